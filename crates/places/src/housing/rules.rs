//! `HousingRules`: the public rental housing rules as data (`data/places/housing.toml`) —
//! eligibility thresholds, the points table, lottery groups, rent bands, the rent subsidy, offers
//! and leases — read and checked once, every error at file, line, column and field.

use std::ops::Range;

use domain::Fen;
use domain::LineIndex;
use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::housing::error::HousingError;
use crate::housing::household::Area;

/// The shipped rules.
pub const EMBEDDED: &str = include_str!("../../../../data/places/housing.toml");

/// A hardship the points table and the lottery groups name (a fixed vocabulary; the points are data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hardship {
    /// 低保: the household holds the minimum living allowance.
    Dibao,
    /// 特困: the household is in extreme poverty support (特困供养).
    Tekun,
    /// A member with a grade 1 or 2 disability certificate.
    DisabilitySevere,
    /// A member aged 60 or more.
    Elder,
    /// A single parent with children under 18.
    SingleParent,
}

impl Hardship {
    /// Every hardship, in order.
    pub const ALL: [Hardship; 5] = [Hardship::Dibao, Hardship::Tekun, Hardship::DisabilitySevere, Hardship::Elder, Hardship::SingleParent];

    /// The code (`dibao`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Hardship::Dibao => "dibao",
            Hardship::Tekun => "tekun",
            Hardship::DisabilitySevere => "disability_severe",
            Hardship::Elder => "elder",
            Hardship::SingleParent => "single_parent",
        }
    }

    /// The Chinese label.
    pub fn label_zh(&self) -> &'static str {
        match self {
            Hardship::Dibao => "低保家庭",
            Hardship::Tekun => "特困供养",
            Hardship::DisabilitySevere => "家庭成员持一、二级残疾人证",
            Hardship::Elder => "家庭成员年满60周岁",
            Hardship::SingleParent => "单亲家庭",
        }
    }

    /// The English label.
    pub fn label_en(&self) -> &'static str {
        match self {
            Hardship::Dibao => "on the minimum living allowance (dibao)",
            Hardship::Tekun => "in extreme-poverty support (tekun)",
            Hardship::DisabilitySevere => "a member with a grade 1-2 disability",
            Hardship::Elder => "a member aged 60 or over",
            Hardship::SingleParent => "single parent",
        }
    }
}

/// Who qualifies (each threshold with where the kind of rule comes from).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityRules {
    /// Highest monthly income per head.
    pub income_per_head_month_max: Fen,
    /// Where the income rule comes from.
    pub income_source: String,
    /// Highest total household assets.
    pub assets_max: Fen,
    /// Where the assets rule comes from.
    pub assets_source: String,
    /// Current housing floor area per head must be below this.
    pub area_per_head_max: Area,
    /// Where the area rule comes from.
    pub area_source: String,
    /// Where the no-home-elsewhere rule comes from.
    pub no_home_elsewhere_source: String,
    /// Months of social insurance in the district that qualify a household not registered here.
    pub social_insurance_months_min: u32,
    /// Where the residence rule comes from.
    pub residence_source: String,
}

/// Points for one hardship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardshipPoints {
    /// The hardship.
    pub code: Hardship,
    /// Its points.
    pub points: u32,
}

/// The waiting list's points table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRules {
    /// Where the table comes from.
    pub source: String,
    /// Points per household member.
    pub per_member: u32,
    /// Points per whole month waited.
    pub per_month_waited: u32,
    /// Months waited counted at most.
    pub months_waited_cap: u32,
    /// Points per hardship, once per household.
    pub hardship: Vec<HardshipPoints>,
}

/// One lottery group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRule {
    /// The group's code (lower-case letters, digits, `_`), part of every applicant's key.
    pub code: String,
    /// Chinese name.
    pub label_zh: String,
    /// English name.
    pub label_en: String,
    /// A household meeting any of these falls in the group; empty for the last group (everyone else).
    pub when_any: Vec<Hardship>,
    /// The group's share of a batch's homes, in percent.
    pub share_percent: u32,
}

/// The lottery's groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotteryRules {
    /// Where the rule comes from.
    pub source: String,
    /// The groups in order.
    pub groups: Vec<GroupRule>,
}

/// A rent band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentBand {
    /// The band's code.
    pub code: String,
    /// Highest monthly income per head in the band.
    pub income_per_head_month_max: Fen,
    /// Share of the market rent paid, in percent.
    pub rent_percent: u32,
}

/// What tenants pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RentRules {
    /// Where the rule comes from.
    pub source: String,
    /// The band 低保 and 特困 households pay whatever their income.
    pub dibao_and_tekun_band: String,
    /// The bands by ascending income.
    pub bands: Vec<RentBand>,
}

/// A rent-subsidy band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubsidyBand {
    /// The band's code.
    pub code: String,
    /// Highest monthly income per head in the band.
    pub income_per_head_month_max: Fen,
    /// Subsidy per square metre of shortfall per month.
    pub per_m2_month: Fen,
}

/// The rent subsidy (住房租赁补贴).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubsidyRules {
    /// Where the rule comes from.
    pub source: String,
    /// The standard area per head.
    pub standard_area_per_head: Area,
    /// The most paid per month.
    pub cap: Fen,
    /// The bands by ascending income.
    pub bands: Vec<SubsidyBand>,
}

/// Which household sizes a home of so many rooms fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomsRule {
    /// Rooms.
    pub rooms: u8,
    /// Smallest household.
    pub min_members: u32,
    /// Largest household.
    pub max_members: u32,
}

/// Offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRules {
    /// Where the rule comes from.
    pub source: String,
    /// Days to answer an offer (the deadline is the offer's day plus these).
    pub deadline_days: u32,
    /// Refusals allowed; one more bars the household.
    pub refusals_allowed: u32,
    /// Months a bar lasts.
    pub bar_months: u32,
    /// Rooms by household size.
    pub rooms: Vec<RoomsRule>,
}

/// Leases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRules {
    /// Where the rule comes from.
    pub source: String,
    /// The term in years.
    pub term_years: u32,
    /// Re-qualification interval in months.
    pub requalify_every_months: u32,
    /// Days to leave once no longer qualified.
    pub grace_days: u32,
}

/// All the public rental housing rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HousingRules {
    /// Who qualifies.
    pub eligibility: EligibilityRules,
    /// The points table.
    pub points: PointsRules,
    /// The lottery groups.
    pub lottery: LotteryRules,
    /// Rent.
    pub rent: RentRules,
    /// The rent subsidy.
    pub subsidy: SubsidyRules,
    /// Offers.
    pub offers: OfferRules,
    /// Leases.
    pub lease: LeaseRules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    eligibility: RawEligibility,
    points: RawPoints,
    lottery: RawLottery,
    rent: RawRent,
    subsidy: RawSubsidy,
    offers: RawOffers,
    lease: RawLease,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEligibility {
    income_per_head_month_max_yuan: Spanned<String>,
    income_source: Spanned<String>,
    assets_max_yuan: Spanned<String>,
    assets_source: Spanned<String>,
    area_per_head_max_m2: Spanned<String>,
    area_source: Spanned<String>,
    no_home_elsewhere_source: Spanned<String>,
    social_insurance_months_min: Spanned<u32>,
    residence_source: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoints {
    source: Spanned<String>,
    per_member: Spanned<u32>,
    per_month_waited: Spanned<u32>,
    months_waited_cap: Spanned<u32>,
    hardship: Vec<RawHardship>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHardship {
    code: Spanned<Hardship>,
    points: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLottery {
    source: Spanned<String>,
    group: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    code: Spanned<String>,
    label_zh: Spanned<String>,
    label_en: Spanned<String>,
    when_any: Spanned<Vec<Hardship>>,
    share_percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRent {
    source: Spanned<String>,
    dibao_and_tekun_band: Spanned<String>,
    band: Vec<RawRentBand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRentBand {
    code: Spanned<String>,
    income_per_head_month_max_yuan: Spanned<String>,
    rent_percent: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubsidy {
    source: Spanned<String>,
    standard_area_per_head_m2: Spanned<String>,
    cap_yuan_per_month: Spanned<String>,
    band: Vec<RawSubsidyBand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubsidyBand {
    code: Spanned<String>,
    income_per_head_month_max_yuan: Spanned<String>,
    yuan_per_m2_month: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffers {
    source: Spanned<String>,
    deadline_days: Spanned<u32>,
    refusals_allowed: Spanned<u32>,
    bar_months: Spanned<u32>,
    rooms: Vec<RawRooms>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRooms {
    rooms: Spanned<u8>,
    min_members: Spanned<u32>,
    max_members: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLease {
    source: Spanned<String>,
    term_years: Spanned<u32>,
    requalify_every_months: Spanned<u32>,
    grace_days: Spanned<u32>,
}

/// Builds errors at positions of one file.
struct Ctx<'a> {
    name: &'a str,
    lines: LineIndex<'a>,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, field: &str, zh: String, en: String) -> HousingError {
        let (line, column) = self.lines.position(span.start);
        HousingError::Rules { file: self.name.to_owned(), line, column, field: field.to_owned(), message_zh: zh, message_en: en }
    }

    /// A positive amount of yuan with up to two decimals.
    fn yuan(&self, v: &Spanned<String>, field: &str) -> Result<Fen, HousingError> {
        Fen::parse_yuan(v.get_ref()).ok().filter(|f| f.0 > 0).ok_or_else(|| {
            self.err(v.span(), field, format!("「{}」不是正的金额（元）", v.get_ref()), format!("{:?} is not a positive amount of yuan", v.get_ref()))
        })
    }

    /// A positive area in square metres with up to two decimals.
    fn area(&self, v: &Spanned<String>, field: &str) -> Result<Area, HousingError> {
        Fen::parse_yuan(v.get_ref()).ok().filter(|f| f.0 > 0).map(|f| Area(f.0)).ok_or_else(|| {
            self.err(v.span(), field, format!("「{}」不是正的面积（平方米）", v.get_ref()), format!("{:?} is not a positive area in square metres", v.get_ref()))
        })
    }

    /// A whole number in a range.
    fn within<T: Copy + PartialOrd + std::fmt::Display>(&self, v: &Spanned<T>, field: &str, lo: T, hi: T) -> Result<T, HousingError> {
        let n = *v.get_ref();
        if n < lo || n > hi {
            return Err(self.err(v.span(), field, format!("{n} 不在 {lo}–{hi} 之间"), format!("{n} is not within {lo}..={hi}")));
        }
        Ok(n)
    }

    /// A non-empty text.
    fn text(&self, v: &Spanned<String>, field: &str) -> Result<String, HousingError> {
        let t = v.get_ref().trim();
        if t.is_empty() {
            return Err(self.err(v.span(), field, "不能为空".to_owned(), "must not be empty".to_owned()));
        }
        Ok(t.to_owned())
    }

    /// A code: lower-case ASCII letters, digits and `_`, 1–32 long.
    fn code(&self, v: &Spanned<String>, field: &str) -> Result<String, HousingError> {
        let c = v.get_ref();
        if c.is_empty() || c.len() > 32 || !c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(self.err(
                v.span(),
                field,
                format!("「{c}」不是代码（小写字母、数字、下划线，1–32 位）"),
                format!("{c:?} is not a code (lower-case letters, digits, _; 1-32 long)"),
            ));
        }
        Ok(c.clone())
    }
}

impl HousingRules {
    /// The shipped rules (a test checks that they parse).
    pub fn embedded() -> Result<HousingRules, HousingError> {
        HousingRules::parse("housing.toml", EMBEDDED)
    }

    /// Reads a rules file; every error names its file, line, column and field.
    pub fn parse(name: &str, text: &str) -> Result<HousingRules, HousingError> {
        let cx = Ctx { name, lines: LineIndex::new(text) };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let m = e.message().trim().to_owned();
            cx.err(e.span().unwrap_or(0..0), "toml", format!("TOML 格式错误：{m}"), m)
        })?;
        let e = &raw.eligibility;
        let eligibility = EligibilityRules {
            income_per_head_month_max: cx.yuan(&e.income_per_head_month_max_yuan, "eligibility.income_per_head_month_max_yuan")?,
            income_source: cx.text(&e.income_source, "eligibility.income_source")?,
            assets_max: cx.yuan(&e.assets_max_yuan, "eligibility.assets_max_yuan")?,
            assets_source: cx.text(&e.assets_source, "eligibility.assets_source")?,
            area_per_head_max: cx.area(&e.area_per_head_max_m2, "eligibility.area_per_head_max_m2")?,
            area_source: cx.text(&e.area_source, "eligibility.area_source")?,
            no_home_elsewhere_source: cx.text(&e.no_home_elsewhere_source, "eligibility.no_home_elsewhere_source")?,
            social_insurance_months_min: cx.within(&e.social_insurance_months_min, "eligibility.social_insurance_months_min", 1, 240)?,
            residence_source: cx.text(&e.residence_source, "eligibility.residence_source")?,
        };

        let p = &raw.points;
        let mut hardship: Vec<HardshipPoints> = Vec::new();
        for (i, h) in p.hardship.iter().enumerate() {
            let field = format!("points.hardship[{i}]");
            if hardship.iter().any(|x| x.code == *h.code.get_ref()) {
                return Err(cx.err(h.code.span(), &format!("{field}.code"), "重复的困难类别".to_owned(), "hardship listed twice".to_owned()));
            }
            hardship.push(HardshipPoints { code: *h.code.get_ref(), points: cx.within(&h.points, &format!("{field}.points"), 0, 1000)? });
        }
        let points = PointsRules {
            source: cx.text(&p.source, "points.source")?,
            per_member: cx.within(&p.per_member, "points.per_member", 0, 1000)?,
            per_month_waited: cx.within(&p.per_month_waited, "points.per_month_waited", 0, 1000)?,
            months_waited_cap: cx.within(&p.months_waited_cap, "points.months_waited_cap", 0, 600)?,
            hardship,
        };

        let l = &raw.lottery;
        let mut groups: Vec<GroupRule> = Vec::new();
        let mut share = 0u32;
        let n = l.group.len();
        for (i, g) in l.group.iter().enumerate() {
            let field = format!("lottery.group[{i}]");
            let code = cx.code(&g.code, &format!("{field}.code"))?;
            if groups.iter().any(|x| x.code == code) {
                return Err(cx.err(g.code.span(), &format!("{field}.code"), format!("组代码「{code}」重复"), format!("group code {code:?} twice")));
            }
            let last = i + 1 == n;
            if last != g.when_any.get_ref().is_empty() {
                return Err(cx.err(
                    g.when_any.span(),
                    &format!("{field}.when_any"),
                    "只有最后一组的 when_any 为空（其余所有家庭）".to_owned(),
                    "when_any is empty for the last group (everyone else) and only for it".to_owned(),
                ));
            }
            let pct = cx.within(&g.share_percent, &format!("{field}.share_percent"), 0, 100)?;
            share += pct;
            groups.push(GroupRule {
                code,
                label_zh: cx.text(&g.label_zh, &format!("{field}.label_zh"))?,
                label_en: cx.text(&g.label_en, &format!("{field}.label_en"))?,
                when_any: g.when_any.get_ref().clone(),
                share_percent: pct,
            });
        }
        if groups.is_empty() || share != 100 {
            return Err(cx.err(
                l.source.span(),
                "lottery.group",
                format!("至少一组，各组 share_percent 之和应为 100，现为 {share}"),
                format!("at least one group, and the shares must add up to 100, not {share}"),
            ));
        }
        let lottery = LotteryRules { source: cx.text(&l.source, "lottery.source")?, groups };

        let r = &raw.rent;
        let mut bands: Vec<RentBand> = Vec::new();
        for (i, b) in r.band.iter().enumerate() {
            let field = format!("rent.band[{i}]");
            let code = cx.code(&b.code, &format!("{field}.code"))?;
            let max = cx.yuan(&b.income_per_head_month_max_yuan, &format!("{field}.income_per_head_month_max_yuan"))?;
            if bands.iter().any(|x| x.code == code || x.income_per_head_month_max >= max) {
                return Err(cx.err(
                    b.code.span(),
                    &format!("{field}.code"),
                    "租金档次代码重复或收入上限未递增".to_owned(),
                    "band code twice or income maximum not ascending".to_owned(),
                ));
            }
            bands.push(RentBand { code, income_per_head_month_max: max, rent_percent: cx.within(&b.rent_percent, &format!("{field}.rent_percent"), 1, 100)? });
        }
        let top = bands.last().map(|b| b.income_per_head_month_max).unwrap_or_default();
        if top < eligibility.income_per_head_month_max {
            return Err(cx.err(
                r.source.span(),
                "rent.band",
                "租金档次须覆盖到准入收入上限".to_owned(),
                "the rent bands must reach the eligibility income maximum".to_owned(),
            ));
        }
        if !bands.iter().any(|b| b.code == *r.dibao_and_tekun_band.get_ref()) {
            return Err(cx.err(
                r.dibao_and_tekun_band.span(),
                "rent.dibao_and_tekun_band",
                "没有这个租金档次".to_owned(),
                "no such rent band".to_owned(),
            ));
        }
        let rent = RentRules { source: cx.text(&r.source, "rent.source")?, dibao_and_tekun_band: r.dibao_and_tekun_band.get_ref().clone(), bands };

        let s = &raw.subsidy;
        let mut sbands: Vec<SubsidyBand> = Vec::new();
        for (i, b) in s.band.iter().enumerate() {
            let field = format!("subsidy.band[{i}]");
            let code = cx.code(&b.code, &format!("{field}.code"))?;
            let max = cx.yuan(&b.income_per_head_month_max_yuan, &format!("{field}.income_per_head_month_max_yuan"))?;
            if sbands.iter().any(|x| x.code == code || x.income_per_head_month_max >= max) {
                return Err(cx.err(
                    b.code.span(),
                    &format!("{field}.code"),
                    "补贴档次代码重复或收入上限未递增".to_owned(),
                    "band code twice or income maximum not ascending".to_owned(),
                ));
            }
            sbands.push(SubsidyBand { code, income_per_head_month_max: max, per_m2_month: cx.yuan(&b.yuan_per_m2_month, &format!("{field}.yuan_per_m2_month"))? });
        }
        if sbands.is_empty() {
            return Err(cx.err(s.source.span(), "subsidy.band", "至少一个补贴档次".to_owned(), "at least one subsidy band".to_owned()));
        }
        let subsidy = SubsidyRules {
            source: cx.text(&s.source, "subsidy.source")?,
            standard_area_per_head: cx.area(&s.standard_area_per_head_m2, "subsidy.standard_area_per_head_m2")?,
            cap: cx.yuan(&s.cap_yuan_per_month, "subsidy.cap_yuan_per_month")?,
            bands: sbands,
        };

        let o = &raw.offers;
        let mut rooms: Vec<RoomsRule> = Vec::new();
        for (i, rr) in o.rooms.iter().enumerate() {
            let field = format!("offers.rooms[{i}]");
            let r = cx.within(&rr.rooms, &format!("{field}.rooms"), 1, 10)?;
            let lo = cx.within(&rr.min_members, &format!("{field}.min_members"), 1, 30)?;
            let hi = cx.within(&rr.max_members, &format!("{field}.max_members"), lo, 30)?;
            if rooms.iter().any(|x| x.rooms == r) {
                return Err(cx.err(rr.rooms.span(), &format!("{field}.rooms"), "房型重复".to_owned(), "rooms listed twice".to_owned()));
            }
            rooms.push(RoomsRule { rooms: r, min_members: lo, max_members: hi });
        }
        if rooms.is_empty() {
            return Err(cx.err(o.source.span(), "offers.rooms", "至少一种房型".to_owned(), "at least one rooms rule".to_owned()));
        }
        let offers = OfferRules {
            source: cx.text(&o.source, "offers.source")?,
            deadline_days: cx.within(&o.deadline_days, "offers.deadline_days", 1, 90)?,
            refusals_allowed: cx.within(&o.refusals_allowed, "offers.refusals_allowed", 0, 10)?,
            bar_months: cx.within(&o.bar_months, "offers.bar_months", 0, 60)?,
            rooms,
        };

        let le = &raw.lease;
        let lease = LeaseRules {
            source: cx.text(&le.source, "lease.source")?,
            term_years: cx.within(&le.term_years, "lease.term_years", 1, 5)?,
            requalify_every_months: cx.within(&le.requalify_every_months, "lease.requalify_every_months", 1, 60)?,
            grace_days: cx.within(&le.grace_days, "lease.grace_days", 0, 730)?,
        };
        Ok(HousingRules { eligibility, points, lottery, rent, subsidy, offers, lease })
    }

    /// The rent band for a monthly income per head (dibao/tekun households take their band).
    pub fn rent_band(&self, income_per_head: Fen, dibao_or_tekun: bool) -> Option<&RentBand> {
        if dibao_or_tekun {
            return self.rent.bands.iter().find(|b| b.code == self.rent.dibao_and_tekun_band);
        }
        self.rent.bands.iter().find(|b| income_per_head <= b.income_per_head_month_max)
    }

    /// The subsidy band for a monthly income per head.
    pub fn subsidy_band(&self, income_per_head: Fen) -> Option<&SubsidyBand> {
        self.subsidy.bands.iter().find(|b| income_per_head <= b.income_per_head_month_max)
    }

    /// Whether a home of `rooms` fits a household of `members`.
    pub fn fits(&self, rooms: u8, members: usize) -> bool {
        let m = u32::try_from(members).unwrap_or(u32::MAX);
        self.offers.rooms.iter().any(|r| r.rooms == rooms && (r.min_members..=r.max_members).contains(&m))
    }

    /// The points of a hardship (0 when the table does not list it).
    pub fn hardship_points(&self, h: Hardship) -> u32 {
        self.points.hardship.iter().find(|x| x.code == h).map_or(0, |x| x.points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let r = HousingRules::embedded();
        assert!(r.is_ok(), "{r:?}");
        let Ok(r) = r else { return };
        assert_eq!(r.eligibility.income_per_head_month_max, Fen::from_yuan(4300));
        assert_eq!(r.eligibility.area_per_head_max, Area(1500));
        assert_eq!(r.lottery.groups.len(), 2);
        assert_eq!(r.lease.term_years, 3);
        assert!(r.fits(2, 3) && !r.fits(1, 3));
        assert_eq!(r.rent_band(Fen::from_yuan(3000), false).map(|b| b.code.as_str()), Some("c"));
        assert_eq!(r.rent_band(Fen::from_yuan(3000), true).map(|b| b.code.as_str()), Some("a"));
    }

    #[test]
    fn errors_name_line_column_and_field() {
        let bad = EMBEDDED.replace("rent_percent = 30", "rent_percent = 300");
        let e = HousingRules::parse("housing.toml", &bad);
        assert!(matches!(&e, Err(HousingError::Rules { field, line, column, .. }) if field == "rent.band[1].rent_percent" && *line > 0 && *column > 0), "{e:?}");
        let bad = EMBEDDED.replace("code = \"tekun\"", "code = \"rich\"");
        assert!(matches!(HousingRules::parse("housing.toml", &bad), Err(HousingError::Rules { field, line, .. }) if field == "toml" && line > 0));
        let bad = EMBEDDED.replace("share_percent = 70", "share_percent = 60");
        assert!(matches!(HousingRules::parse("housing.toml", &bad), Err(HousingError::Rules { field, .. }) if field == "lottery.group"));
        let bad = EMBEDDED.replace("assets_max_yuan = \"600000\"", "assets_max_yuan = \"-1\"");
        assert!(matches!(HousingRules::parse("housing.toml", &bad), Err(HousingError::Rules { field, .. }) if field == "eligibility.assets_max_yuan"));
        assert!(matches!(HousingRules::parse("housing.toml", "x = 1"), Err(HousingError::Rules { .. })));
    }
}
