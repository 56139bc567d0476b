//! Delivery fees as data (`data/library/fees.toml`): the base rule (3 yuan for every parcel of up
//! to 3 books) and promotions with date windows (免邮月: 3 or more books free; an all-free week),
//! checked so that no two windows overlap; and the quote shown before ordering, "免运费" where a
//! promotion waives the fee. Pick-up at a desk is free.

use chrono::NaiveDate;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::data::Ctx;
use crate::error::LibraryError;

/// The label shown when a promotion waives the fee.
pub const FREE_LABEL: &str = "免运费";

/// The fee outside promotions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseRule {
    /// Its id (`standard`).
    pub id: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// The fee of one parcel (300 fen).
    pub fee: Fen,
    /// The most books of a parcel (3): an order of n books pays ⌈n / books_per_parcel⌉ fees.
    pub books_per_parcel: u32,
}

/// A promotion: from `from` to `to` (both included) an order of `min_books` or more is free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promotion {
    /// Its id.
    pub id: String,
    /// Its Chinese name (`免邮月`).
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
    /// The fewest books of an order it makes free (1 = every delivery).
    pub min_books: u32,
}

impl Promotion {
    /// Whether the window holds `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }

    fn window(&self) -> String {
        format!("{}–{}", self.from, self.to)
    }
}

/// The delivery fee rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRules {
    /// Where the rules come from.
    pub source: String,
    /// The base rule.
    pub base: BaseRule,
    /// The promotions, by start date; no two overlap.
    pub promotions: Vec<Promotion>,
}

/// How the books reach the reader.
#[derive(Debug, Clone, std::marker::Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handover {
    /// A courier brings them home.
    Delivery,
    /// The reader collects them at a branch desk.
    Pickup,
}

/// The rule a quote applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRule {
    /// Its id (`standard`, a promotion's id, `pickup`).
    pub id: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
}

/// The fee of an order, shown before it is placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Books of the order.
    pub books: u32,
    /// What the reader pays.
    pub fee_fen: Fen,
    /// What the base rule would charge (0 for pick-up).
    pub base_fen: Fen,
    /// What a promotion waived (`base_fen - fee_fen`).
    pub waived_fen: Fen,
    /// The rule applied.
    pub rule_applied: AppliedRule,
    /// "免运费" when a promotion waived the fee.
    pub label: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    source: Spanned<String>,
    base: RawBase,
    #[serde(default)]
    promotion: Vec<RawPromotion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBase {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    fee_fen: Spanned<i64>,
    books_per_parcel: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPromotion {
    id: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    from: Spanned<toml::value::Datetime>,
    to: Spanned<toml::value::Datetime>,
    min_books: Spanned<u32>,
}

impl FeeRules {
    /// The shipped rules (a test checks that they parse).
    pub fn embedded() -> Result<FeeRules, LibraryError> {
        FeeRules::parse(crate::data::FEES, "fees.toml")
    }

    /// Reads a fees file named `file`: unknown fields, a window ending before it starts, a
    /// duplicate id and overlapping windows (the error names both) are refused.
    pub fn parse(text: &str, file: &str) -> Result<FeeRules, LibraryError> {
        let cx = Ctx::new(file, text);
        let raw: Raw = cx.parse(text)?;
        let base = BaseRule {
            id: cx.text(&raw.base.id, "base.id")?,
            name_zh: cx.text(&raw.base.name_zh, "base.name_zh")?,
            name_en: cx.text(&raw.base.name_en, "base.name_en")?,
            fee: Fen(cx.within(&raw.base.fee_fen, "base.fee_fen", 0, 100_000)?),
            books_per_parcel: cx.within(&raw.base.books_per_parcel, "base.books_per_parcel", 1, 100)?,
        };
        let mut promos: Vec<(usize, Promotion)> = Vec::new();
        for (i, p) in raw.promotion.iter().enumerate() {
            let f = format!("promotion[{i}]");
            let id = cx.text(&p.id, &format!("{f}.id"))?;
            if id == base.id || id == "pickup" || promos.iter().any(|(_, x)| x.id == id) {
                return Err(cx.err(p.id.span(), &format!("{f}.id"), format!("规则编号「{id}」重复"), format!("rule id {id:?} twice")));
            }
            let from = cx.date(&p.from, &format!("{f}.from"))?;
            let to = cx.date(&p.to, &format!("{f}.to"))?;
            if from > to {
                return Err(cx.err(
                    p.to.span(),
                    &format!("{f}.to"),
                    format!("结束日期 {to} 早于开始日期 {from}"),
                    format!("ends ({to}) before it starts ({from})"),
                ));
            }
            let promo = Promotion {
                id,
                name_zh: cx.text(&p.name_zh, &format!("{f}.name_zh"))?,
                name_en: cx.text(&p.name_en, &format!("{f}.name_en"))?,
                from,
                to,
                min_books: cx.within(&p.min_books, &format!("{f}.min_books"), 1, 100)?,
            };
            if let Some((_, other)) = promos.iter().find(|(_, x)| x.from <= promo.to && promo.from <= x.to) {
                return Err(LibraryError::OverlappingPromotions {
                    line: cx.line(p.id.span().start),
                    first: other.id.clone(),
                    first_window: other.window(),
                    second: promo.id.clone(),
                    second_window: promo.window(),
                });
            }
            promos.push((i, promo));
        }
        let mut promotions: Vec<Promotion> = promos.into_iter().map(|(_, p)| p).collect();
        promotions.sort_by_key(|p| p.from);
        Ok(FeeRules { source: cx.text(&raw.source, "source")?, base, promotions })
    }

    /// The promotion running on `date`, if any.
    pub fn promotion_on(&self, date: NaiveDate) -> Option<&Promotion> {
        self.promotions.iter().find(|p| p.covers(date))
    }

    /// What the base rule charges for `books` books delivered.
    pub fn base_fee(&self, books: u32) -> Fen {
        let parcels = books.div_ceil(self.base.books_per_parcel);
        Fen(self.base.fee.0.saturating_mul(i64::from(parcels)))
    }
}

impl Quote {
    /// The quote of nothing sent (a request that only joins hold queues).
    pub fn nothing() -> Quote {
        Quote {
            books: 0,
            fee_fen: Fen(0),
            base_fen: Fen(0),
            waived_fen: Fen(0),
            rule_applied: AppliedRule { id: "nothing_sent".to_owned(), name_zh: "无需寄送".to_owned(), name_en: "nothing sent".to_owned() },
            label: None,
        }
    }
}

/// The fee of an order of `books` books placed on `date` (Beijing date), delivered or picked up.
pub fn quote(rules: &FeeRules, books: u32, date: NaiveDate, handover: Handover) -> Result<Quote, LibraryError> {
    if books == 0 {
        return Err(LibraryError::invalid("books", "至少选择一本书", "choose at least one book"));
    }
    if handover == Handover::Pickup {
        return Ok(Quote {
            books,
            fee_fen: Fen(0),
            base_fen: Fen(0),
            waived_fen: Fen(0),
            rule_applied: AppliedRule {
                id: "pickup".to_owned(),
                name_zh: "到馆自取（免费）".to_owned(),
                name_en: "pick-up at a branch desk (free)".to_owned(),
            },
            label: None,
        });
    }
    let base_fen = rules.base_fee(books);
    let b = &rules.base;
    match rules.promotion_on(date).filter(|p| books >= p.min_books) {
        Some(p) if base_fen.0 > 0 => Ok(Quote {
            books,
            fee_fen: Fen(0),
            base_fen,
            waived_fen: base_fen,
            rule_applied: AppliedRule { id: p.id.clone(), name_zh: p.name_zh.clone(), name_en: p.name_en.clone() },
            label: Some(FREE_LABEL.to_owned()),
        }),
        _ => Ok(Quote {
            books,
            fee_fen: base_fen,
            base_fen,
            waived_fen: Fen(0),
            rule_applied: AppliedRule { id: b.id.clone(), name_zh: b.name_zh.clone(), name_en: b.name_en.clone() },
            label: None,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use domain::Describe;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn three_books_are_free_in_the_free_delivery_month_and_two_cost_3_yuan() {
        let r = FeeRules::embedded().unwrap();
        let q = quote(&r, 3, d("2026-12-07"), Handover::Delivery).unwrap();
        assert_eq!((q.fee_fen, q.base_fen, q.waived_fen), (Fen(0), Fen(300), Fen(300)));
        assert_eq!(q.label.as_deref(), Some("免运费"));
        assert_eq!(q.rule_applied.id, "free-delivery-month-2026-12");
        // Two books in the same window: under the promotion's 3 books, 3 yuan.
        let q = quote(&r, 2, d("2026-12-07"), Handover::Delivery).unwrap();
        assert_eq!((q.fee_fen, q.waived_fen, q.label.as_deref()), (Fen(300), Fen(0), None));
        assert_eq!(q.rule_applied.id, "standard");
        // Three books outside any window: 3 yuan.
        let q = quote(&r, 3, d("2027-01-01"), Handover::Delivery).unwrap();
        assert_eq!((q.fee_fen, q.label.as_deref()), (Fen(300), None));
        // The window's both ends are included.
        assert_eq!(quote(&r, 3, d("2026-12-01"), Handover::Delivery).unwrap().fee_fen, Fen(0));
        assert_eq!(quote(&r, 3, d("2026-12-31"), Handover::Delivery).unwrap().fee_fen, Fen(0));
        assert_eq!(quote(&r, 3, d("2026-11-30"), Handover::Delivery).unwrap().fee_fen, Fen(300));
    }

    #[test]
    fn more_than_three_books_pay_per_parcel_and_an_all_free_week_frees_one_book() {
        let r = FeeRules::embedded().unwrap();
        let fees: Vec<i64> = (1..=10).map(|n| quote(&r, n, d("2027-02-01"), Handover::Delivery).unwrap().fee_fen.0).collect();
        assert_eq!(fees, [300, 300, 300, 600, 600, 600, 900, 900, 900, 1200]);
        let q = quote(&r, 1, d("2027-04-23"), Handover::Delivery).unwrap();
        assert_eq!((q.fee_fen, q.waived_fen, q.label.as_deref()), (Fen(0), Fen(300), Some("免运费")));
        let q = quote(&r, 7, d("2026-12-20"), Handover::Delivery).unwrap();
        assert_eq!((q.fee_fen, q.waived_fen), (Fen(0), Fen(900)));
    }

    #[test]
    fn pickup_is_free_and_zero_books_are_refused() {
        let r = FeeRules::embedded().unwrap();
        let q = quote(&r, 2, d("2027-01-10"), Handover::Pickup).unwrap();
        assert_eq!((q.fee_fen, q.base_fen, q.waived_fen, q.label), (Fen(0), Fen(0), Fen(0), None));
        assert_eq!(q.rule_applied.id, "pickup");
        assert_eq!(quote(&r, 0, d("2027-01-10"), Handover::Delivery).unwrap_err().field().as_deref(), Some("books"));
    }

    #[test]
    fn overlapping_windows_are_refused_naming_both() {
        let extra = "\n[[promotion]]\nid = \"new-year\"\nname_zh = \"元旦\"\nname_en = \"New Year\"\nfrom = 2026-12-30\nto = 2027-01-03\nmin_books = 1\n";
        let text = format!("{}{extra}", crate::data::FEES);
        let e = FeeRules::parse(&text, "fees.toml").unwrap_err();
        assert_eq!(e.code(), "overlapping_promotions");
        let m = e.to_string();
        assert!(m.contains("free-delivery-month-2026-12") && m.contains("new-year"), "{m}");
        assert!(e.message_zh().contains("重叠"));
        // Touching windows (one ends the day before the other starts) are fine.
        let ok = text.replace("from = 2026-12-30", "from = 2027-01-01");
        assert_eq!(FeeRules::parse(&ok, "fees.toml").unwrap().promotions.len(), 3);
    }

    #[test]
    fn from_after_to_unknown_fields_and_bad_dates_are_refused() {
        let t = crate::data::FEES.replace("to = 2026-12-31", "to = 2026-11-30");
        let e = FeeRules::parse(&t, "fees.toml").unwrap_err();
        assert_eq!(e.field().as_deref(), Some("promotion[0].to"));
        let t = crate::data::FEES.replace("min_books = 3", "min_books = 3\nmax_books = 9");
        let e = FeeRules::parse(&t, "fees.toml").unwrap_err();
        assert!(e.to_string().contains("max_books"), "{e}");
        let t = crate::data::FEES.replace("from = 2026-12-01", "from = 2026-12-01T08:00:00");
        let e = FeeRules::parse(&t, "fees.toml").unwrap_err();
        assert_eq!(e.field().as_deref(), Some("promotion[0].from"));
        let t = crate::data::FEES.replace("fee_fen = 300", "fee_fen = -300");
        assert_eq!(FeeRules::parse(&t, "fees.toml").unwrap_err().field().as_deref(), Some("base.fee_fen"));
    }
}
