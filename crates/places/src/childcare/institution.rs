//! Childcare institutions (托育机构): kind, place, status, opening hours, licensed places and
//! monthly fees per age class, staff, inspections and the published priority rules, with the
//! checks that the licensed places fit the national class sizes and carer ratios.

use chrono::NaiveDate;
use chrono::NaiveTime;
use domain::CreditCode;
use domain::DivisionCode;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use super::error::ChildcareError;
use super::rules::AgeClass;
use super::rules::ChildcareRules;
use super::rules::Criterion;

/// The most carers or health staff one institution lists.
pub const MAX_STAFF: u32 = 10_000;

domain::define_id! {
    /// A childcare institution (托育机构).
    InstitutionId
}

/// Who runs an institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// 公办托育机构.
    Public,
    /// 社区托育 (community-run or embedded in the community).
    Community,
    /// 幼儿园托班 (toddler classes of a kindergarten).
    Kindergarten,
    /// 单位办托育 (run by an employer for its staff; it may give them priority).
    Employer,
    /// 民办托育机构.
    Private,
}

impl InstitutionKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            InstitutionKind::Public => "public",
            InstitutionKind::Community => "community",
            InstitutionKind::Kindergarten => "kindergarten",
            InstitutionKind::Employer => "employer",
            InstitutionKind::Private => "private",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            InstitutionKind::Public => "公办",
            InstitutionKind::Community => "社区托育",
            InstitutionKind::Kindergarten => "幼儿园托班",
            InstitutionKind::Employer => "单位办",
            InstitutionKind::Private => "民办",
        }
    }
}

/// Whether an institution takes children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionStatus {
    /// Open: takes children.
    Open,
    /// Suspended (after a failed inspection, for repairs): keeps its children, takes no new ones.
    Suspended,
    /// Closed for good.
    Closed,
}

/// When an institution is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningHours {
    /// Opens at (local time).
    pub opens: NaiveTime,
    /// Closes at (local time), after `opens`.
    pub closes: NaiveTime,
    /// Days of the week open, 1 = Monday … 7 = Sunday, ascending, no repeats.
    pub weekdays: Vec<u8>,
}

/// An age class an institution offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassOffer {
    /// The class.
    pub class: AgeClass,
    /// Groups (班) of this class.
    pub groups: u32,
    /// Licensed places (核定托位).
    pub places: u32,
    /// The monthly fee.
    pub monthly_fee: Fen,
}

/// An institution's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Staff {
    /// Carers (保育人员).
    pub carers: u32,
    /// Health staff (保健人员).
    pub health: u32,
}

/// An inspection's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
}

/// An inspection (检查) of an institution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    /// When.
    pub date: NaiveDate,
    /// Who inspected (name or department).
    pub inspector: String,
    /// The result.
    pub result: InspectionResult,
    /// What was found, one line each.
    pub findings: Vec<String>,
}

/// A childcare institution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Institution {
    /// Its id.
    pub id: InstitutionId,
    /// Its name.
    pub name: String,
    /// Who runs it.
    pub kind: InstitutionKind,
    /// The employer's unified social credit code, for employer-run care (and only then).
    pub employer: Option<CreditCode>,
    /// The town (乡镇街道) it is in: its division code (9 digits as the register has it, `330111001`, or 12, `330111001000`).
    pub town: String,
    /// The community (社区) it is in.
    pub community: String,
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Longitude (WGS 84).
    pub lon: f64,
    /// Whether it takes children.
    pub status: InstitutionStatus,
    /// When it is open.
    pub hours: OpeningHours,
    /// The age classes it offers, each at most once.
    pub classes: Vec<ClassOffer>,
    /// Its staff.
    pub staff: Staff,
    /// Its inspections, oldest first.
    pub inspections: Vec<Inspection>,
    /// Its published priority rules: criteria in order, each at most once (the seeded tie-break
    /// always comes last). Empty: the rules' default order.
    pub priority: Vec<Criterion>,
}

impl Institution {
    /// Checks everything: a name, a town code, the community, a place on the map,
    /// hours, an employer exactly for employer-run care, each class at most once with places
    /// above zero and within its groups under the standard's class size, a fee not below zero,
    /// enough carers for all places under the standard's carer ratios (per class, rounded up),
    /// inspections not after `today`, and priority criteria the rules know, each once, the
    /// workplace one only for employer-run care.
    pub fn validate(&self, rules: &ChildcareRules, today: NaiveDate) -> Result<(), ChildcareError> {
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            return Err(ChildcareError::invalid("name", "名称应为 1～100 个字", "must be 1–100 characters"));
        }
        check_town(&self.town)?;
        if self.community.trim().is_empty() {
            return Err(ChildcareError::invalid("community", "社区不能为空", "must not be empty"));
        }
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(ChildcareError::invalid("lat", "纬度应在 -90～90 之间", "must be from -90 to 90"));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(ChildcareError::invalid("lon", "经度应在 -180～180 之间", "must be from -180 to 180"));
        }
        if self.hours.closes <= self.hours.opens {
            return Err(ChildcareError::invalid("hours.closes", "关门时间应晚于开门时间", "must be after opens"));
        }
        if self.hours.weekdays.is_empty() || !self.hours.weekdays.windows(2).all(|w| w[0] < w[1]) || self.hours.weekdays.iter().any(|d| !(1..=7).contains(d)) {
            return Err(ChildcareError::invalid("hours.weekdays", "应为 1（周一）～7（周日）的升序且不重复", "must be days 1 (Monday) to 7 (Sunday), ascending, no repeats"));
        }
        match (self.kind, &self.employer) {
            (InstitutionKind::Employer, None) => {
                return Err(ChildcareError::invalid("employer", "单位办托育机构须填写举办单位的统一社会信用代码", "employer-run care needs the employer's unified social credit code"));
            }
            (k, Some(_)) if k != InstitutionKind::Employer => {
                return Err(ChildcareError::invalid("employer", "只有单位办托育机构填写举办单位", "only employer-run care names an employer"));
            }
            _ => {}
        }
        if self.classes.is_empty() {
            return Err(ChildcareError::invalid("classes", "至少开设一个班型", "at least one class is needed"));
        }
        let mut needed: u32 = 0;
        for (i, c) in self.classes.iter().enumerate() {
            if self.classes[..i].iter().any(|o| o.class == c.class) {
                return Err(ChildcareError::invalid(format!("classes[{i}].class"), "班型重复", "the class is given twice"));
            }
            let rule = rules.class(c.class).ok_or_else(|| {
                ChildcareError::invalid(format!("classes[{i}].class"), "托育规则中没有该班型", "the rules have no such class")
            })?;
            if c.groups == 0 || c.groups > 100 {
                return Err(ChildcareError::invalid(format!("classes[{i}].groups"), "班数应为 1～100", "must be 1–100"));
            }
            if c.places == 0 {
                return Err(ChildcareError::invalid(format!("classes[{i}].places"), "核定托位应大于 0（不开设的班型不要列出）", "must be above 0 (leave out a class not offered)"));
            }
            if c.places > c.groups.saturating_mul(rule.max_class_size) {
                return Err(ChildcareError::PlacesOverClassSize {
                    field: format!("classes[{i}].places"),
                    class: c.class.code(),
                    places: c.places,
                    groups: c.groups,
                    max_size: rule.max_class_size,
                });
            }
            if c.monthly_fee.0 < 0 || c.monthly_fee.0 > 10_000_000 {
                return Err(ChildcareError::invalid(format!("classes[{i}].monthly_fee"), "月收费应为 0～100,000 元", "must be 0–100,000 yuan"));
            }
            needed = needed.saturating_add(c.places.div_ceil(rule.children_per_carer.max(1)));
        }
        if self.staff.carers < needed {
            return Err(ChildcareError::TooFewCarers { needed, have: self.staff.carers });
        }
        if self.staff.carers > MAX_STAFF {
            return Err(ChildcareError::invalid("staff.carers", "保育人员不能超过 10000 人", "at most 10,000 carers"));
        }
        if self.staff.health > MAX_STAFF {
            return Err(ChildcareError::invalid("staff.health", "保健人员不能超过 10000 人", "at most 10,000 health staff"));
        }
        for (i, x) in self.inspections.iter().enumerate() {
            check_inspection(x, today).map_err(|e| e.within(&format!("inspections[{i}]")))?;
        }
        self.check_priority(rules)
    }

    /// Checks the published priority rules alone (see [`Institution::validate`]).
    pub fn check_priority(&self, rules: &ChildcareRules) -> Result<(), ChildcareError> {
        for (i, c) in self.priority.iter().enumerate() {
            let field = format!("priority[{i}]");
            let known = rules.criterion(*c).ok_or_else(|| ChildcareError::CriterionNotAllowed { field: field.clone(), criterion: c.code().to_owned() })?;
            if known.employer_run_only && self.kind != InstitutionKind::Employer {
                return Err(ChildcareError::CriterionNotAllowed { field, criterion: c.code().to_owned() });
            }
            if self.priority[..i].contains(c) {
                return Err(ChildcareError::invalid(field, "优先条件重复", "the criterion is given twice"));
            }
        }
        Ok(())
    }

    /// The criteria it ranks by, in order (its own, else the rules' default).
    pub fn priority_order(&self, rules: &ChildcareRules) -> Vec<Criterion> {
        if self.priority.is_empty() { rules.default_for(self.kind == InstitutionKind::Employer) } else { self.priority.clone() }
    }

    /// What it offers in `class`, if anything.
    pub fn offer(&self, class: AgeClass) -> Option<&ClassOffer> {
        self.classes.iter().find(|c| c.class == class)
    }

    /// Licensed places over all classes.
    pub fn licensed_places(&self) -> u64 {
        self.classes.iter().map(|c| u64::from(c.places)).sum()
    }

    /// Records an inspection (not after `today`); a failed one suspends an open institution.
    /// On an error the institution is unchanged.
    pub fn record_inspection(&mut self, inspection: Inspection, today: NaiveDate) -> Result<(), ChildcareError> {
        check_inspection(&inspection, today).map_err(|e| e.within("inspection"))?;
        if inspection.result == InspectionResult::Fail && self.status == InstitutionStatus::Open {
            self.status = InstitutionStatus::Suspended;
        }
        self.inspections.push(inspection);
        self.inspections.sort_by_key(|x| x.date);
        Ok(())
    }

    /// Changes the status: a closed institution stays closed.
    pub fn set_status(&mut self, status: InstitutionStatus) -> Result<(), ChildcareError> {
        if self.status == InstitutionStatus::Closed && status != InstitutionStatus::Closed {
            return Err(ChildcareError::invalid("status", "已停办的机构不能重新开办（请登记为新机构）", "a closed institution cannot reopen (register it anew)"));
        }
        self.status = status;
        Ok(())
    }
}

/// Checks a town code: 12 digits, a valid division code of a town (乡镇街道).
pub fn check_town(town: &str) -> Result<(), ChildcareError> {
    let ok = (town.len() == 9 || town.len() == 12)
        && town.bytes().all(|b| b.is_ascii_digit())
        && DivisionCode::parse(town).is_ok_and(|d| d.level() == domain::DivisionLevel::Town);
    if ok {
        Ok(())
    } else {
        Err(ChildcareError::invalid("town", "应为乡镇街道的行政区划代码（9 位，如 330111001；或 12 位，如 330111001000）", "must be a town's division code (9 digits, e.g. 330111001, or 12, e.g. 330111001000)"))
    }
}

fn check_inspection(x: &Inspection, today: NaiveDate) -> Result<(), ChildcareError> {
    if x.date > today {
        return Err(ChildcareError::invalid("date", "检查日期不能晚于今天", "must not be after today"));
    }
    if x.inspector.trim().is_empty() {
        return Err(ChildcareError::invalid("inspector", "检查人不能为空", "must not be empty"));
    }
    if x.result == InspectionResult::Fail && x.findings.iter().all(|f| f.trim().is_empty()) {
        return Err(ChildcareError::invalid("findings", "不合格须写明发现的问题", "a failed inspection needs its findings"));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub(crate) fn employer_code() -> CreditCode {
        CreditCode::from_parts('9', '1', "330111", "MA2B3C4D").unwrap()
    }

    pub(crate) fn sample(id: i64) -> Institution {
        Institution {
            id: InstitutionId(id),
            name: format!("阳光托育 {id}"),
            kind: InstitutionKind::Community,
            employer: None,
            town: "330111001000".into(),
            community: "春江社区".into(),
            lat: 30.05,
            lon: 119.95,
            status: InstitutionStatus::Open,
            hours: OpeningHours { opens: NaiveTime::from_hms_opt(7, 30, 0).unwrap(), closes: NaiveTime::from_hms_opt(17, 30, 0).unwrap(), weekdays: vec![1, 2, 3, 4, 5] },
            classes: vec![
                ClassOffer { class: AgeClass::Infant, groups: 1, places: 10, monthly_fee: Fen(300_000) },
                ClassOffer { class: AgeClass::YoungToddler, groups: 1, places: 15, monthly_fee: Fen(250_000) },
                ClassOffer { class: AgeClass::OlderToddler, groups: 1, places: 20, monthly_fee: Fen(200_000) },
            ],
            // 10/3 → 4, 15/5 → 3, 20/7 → 3.
            staff: Staff { carers: 10, health: 1 },
            inspections: vec![],
            priority: vec![],
        }
    }

    fn rules() -> ChildcareRules {
        ChildcareRules::embedded().unwrap()
    }

    #[test]
    fn a_sample_institution_is_valid_and_uses_the_default_order() {
        let i = sample(1);
        i.validate(&rules(), d(2026, 9, 1)).unwrap();
        assert_eq!(i.priority_order(&rules()), [Criterion::Sibling, Criterion::Hardship, Criterion::Walking]);
        assert_eq!(i.licensed_places(), 45);
    }

    #[test]
    fn places_must_fit_class_sizes_and_carer_ratios() {
        let r = rules();
        let mut i = sample(1);
        i.classes[0].places = 11;
        let e = i.validate(&r, d(2026, 9, 1)).unwrap_err();
        assert!(matches!(e, ChildcareError::PlacesOverClassSize { places: 11, groups: 1, max_size: 10, .. }), "{e:?}");
        assert_eq!(e.field().as_deref(), Some("classes[0].places"));
        i.classes[0].groups = 2;
        i.validate(&r, d(2026, 9, 1)).unwrap(); // two groups; 11/3 → 4, + 3 + 3 = 10 carers.
        let mut i = sample(1);
        i.staff.carers = 9;
        assert_eq!(i.validate(&r, d(2026, 9, 1)).unwrap_err(), ChildcareError::TooFewCarers { needed: 10, have: 9 });
        let mut i = sample(1);
        i.classes[1].places = 0;
        assert_eq!(i.validate(&r, d(2026, 9, 1)).unwrap_err().field().as_deref(), Some("classes[1].places"));
        let mut i = sample(1);
        i.classes[2].class = AgeClass::Infant;
        assert_eq!(i.validate(&r, d(2026, 9, 1)).unwrap_err().field().as_deref(), Some("classes[2].class"));
    }

    #[test]
    fn the_workplace_criterion_is_for_employer_run_care_only() {
        let r = rules();
        let mut i = sample(1);
        i.priority = vec![Criterion::Workplace, Criterion::Walking];
        let e = i.validate(&r, d(2026, 9, 1)).unwrap_err();
        assert_eq!(e, ChildcareError::CriterionNotAllowed { field: "priority[0]".into(), criterion: "workplace".into() });
        i.kind = InstitutionKind::Employer;
        assert_eq!(i.validate(&r, d(2026, 9, 1)).unwrap_err().field().as_deref(), Some("employer"));
        i.employer = Some(employer_code());
        i.validate(&r, d(2026, 9, 1)).unwrap();
        i.priority = vec![Criterion::Walking, Criterion::Walking];
        assert_eq!(i.validate(&r, d(2026, 9, 1)).unwrap_err().field().as_deref(), Some("priority[1]"));
        i.priority = vec![];
        assert_eq!(i.priority_order(&r), [Criterion::Sibling, Criterion::Hardship, Criterion::Workplace, Criterion::Walking]);
        let mut p = sample(1);
        p.employer = Some(employer_code());
        assert_eq!(p.validate(&r, d(2026, 9, 1)).unwrap_err().field().as_deref(), Some("employer"));
    }

    #[test]
    fn bad_values_name_their_field() {
        let r = rules();
        let today = d(2026, 9, 1);
        type Change = fn(&mut Institution);
        let cases: Vec<(Change, &str)> = vec![
            (|i| i.name = " ".into(), "name"),
            (|i| i.town = "3301110010".into(), "town"),
            (|i| i.town = "330111000000".into(), "town"),
            (|i| i.community = String::new(), "community"),
            (|i| i.lat = f64::NAN, "lat"),
            (|i| i.lon = 200.0, "lon"),
            (|i| i.hours.closes = NaiveTime::from_hms_opt(7, 0, 0).unwrap(), "hours.closes"),
            (|i| i.hours.weekdays = vec![2, 1], "hours.weekdays"),
            (|i| i.classes.clear(), "classes"),
            (|i| i.classes[0].monthly_fee = Fen(-1), "classes[0].monthly_fee"),
            (|i| i.classes[0].groups = 0, "classes[0].groups"),
            (|i| i.staff.carers = MAX_STAFF + 1, "staff.carers"),
            (|i| i.staff.health = u32::MAX, "staff.health"),
        ];
        for (change, field) in cases {
            let mut i = sample(1);
            change(&mut i);
            assert_eq!(i.validate(&r, today).unwrap_err().field().as_deref(), Some(field));
        }
    }

    #[test]
    fn a_failed_inspection_suspends_and_a_closed_institution_stays_closed() {
        let today = d(2026, 9, 1);
        let mut i = sample(1);
        let before = i.clone();
        let bad = Inspection { date: d(2026, 9, 2), inspector: "区卫健局".into(), result: InspectionResult::Pass, findings: vec![] };
        assert_eq!(i.record_inspection(bad, today).unwrap_err().field().as_deref(), Some("inspection.date"));
        let no_findings = Inspection { date: today, inspector: "区卫健局".into(), result: InspectionResult::Fail, findings: vec![] };
        assert_eq!(i.record_inspection(no_findings, today).unwrap_err().field().as_deref(), Some("inspection.findings"));
        assert_eq!(i, before);
        let fail = Inspection { date: today, inspector: "区卫健局".into(), result: InspectionResult::Fail, findings: vec!["消防通道堵塞".into()] };
        i.record_inspection(fail, today).unwrap();
        assert_eq!(i.status, InstitutionStatus::Suspended);
        i.validate(&rules(), today).unwrap();
        i.set_status(InstitutionStatus::Closed).unwrap();
        assert!(i.set_status(InstitutionStatus::Open).is_err());
        assert_eq!(i.status, InstitutionStatus::Closed);
    }

    #[test]
    fn an_institution_round_trips_through_json() {
        let mut i = sample(7);
        i.kind = InstitutionKind::Employer;
        i.employer = Some(employer_code());
        let json = serde_json::to_string(&i).unwrap();
        assert!(json.contains("\"id\":\"7\""));
        let back: Institution = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
    }
}
