//! `LibraryRules`: the borrowing rules as data (`data/library/rules.toml`) — loan and renewal
//! periods, the loan limit and titles per order, when notices go out, how long a hold copy waits,
//! the no-fine overdue policy and the courier speed of delivery estimates — read and checked once.

use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::data::Ctx;
use crate::error::LibraryError;

/// When notices go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRules {
    /// A "due soon" notice this many days before the due date (3).
    pub before_due_days: i64,
    /// The first overdue notice this many days after the due date (1).
    pub overdue_first_day: i64,
    /// Then every this many days (7).
    pub overdue_every_days: i64,
}

/// What happens when a loan is overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueRules {
    /// The modelling assumption and its source.
    pub assumption: String,
    /// A fine per overdue day in fen (0: Hangzhou Library charges none).
    pub fine_fen_per_day: i64,
    /// Whether a reader with an overdue loan may not borrow until it is back.
    pub suspend_borrowing: bool,
}

/// The borrowing rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryRules {
    /// Where the rules come from.
    pub source: String,
    /// Loan period in days (30).
    pub loan_days: i64,
    /// A renewal makes the loan due this many days after the renewal day (30).
    pub renewal_days: i64,
    /// The most renewals of a loan (2).
    pub max_renewals: u32,
    /// No renewal beyond this many days overdue.
    pub renew_max_overdue_days: i64,
    /// The most items on loan or ordered per reader (20).
    pub max_loans: u32,
    /// The most titles in one order (10).
    pub max_titles_per_order: u32,
    /// Notices.
    pub notices: NoticeRules,
    /// Overdue handling.
    pub overdue: OverdueRules,
    /// Days a hold copy waits to be collected (7).
    pub hold_keep_days: i64,
    /// Courier speed for delivery estimates, km/h.
    pub courier_speed_kmh: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    source: Spanned<String>,
    loan_days: Spanned<i64>,
    renewal_days: Spanned<i64>,
    max_renewals: Spanned<u32>,
    renew_max_overdue_days: Spanned<i64>,
    max_loans: Spanned<u32>,
    max_titles_per_order: Spanned<u32>,
    notices: RawNotices,
    overdue: RawOverdue,
    holds: RawHolds,
    courier: RawCourier,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotices {
    before_due_days: Spanned<i64>,
    overdue_first_day: Spanned<i64>,
    overdue_every_days: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverdue {
    assumption: Spanned<String>,
    fine_fen_per_day: Spanned<i64>,
    suspend_borrowing: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHolds {
    keep_days: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCourier {
    speed_kmh: Spanned<f64>,
}

impl LibraryRules {
    /// The shipped rules (a test checks that they parse).
    pub fn embedded() -> Result<LibraryRules, LibraryError> {
        LibraryRules::parse(crate::data::RULES, "rules.toml")
    }

    /// Reads a rules file named `file`; every error names its file, line, column and field.
    pub fn parse(text: &str, file: &str) -> Result<LibraryRules, LibraryError> {
        let cx = Ctx::new(file, text);
        let raw: Raw = cx.parse(text)?;
        let max_titles = cx.within(&raw.max_titles_per_order, "max_titles_per_order", 1, 100)?;
        let max_loans = cx.within(&raw.max_loans, "max_loans", 1, 1000)?;
        if max_titles > max_loans {
            return Err(cx.err(
                raw.max_titles_per_order.span(),
                "max_titles_per_order",
                "每单书数不能多于借阅上限".to_owned(),
                "an order cannot hold more titles than the loan limit".to_owned(),
            ));
        }
        Ok(LibraryRules {
            source: cx.text(&raw.source, "source")?,
            loan_days: cx.within(&raw.loan_days, "loan_days", 1, 365)?,
            renewal_days: cx.within(&raw.renewal_days, "renewal_days", 1, 365)?,
            max_renewals: cx.within(&raw.max_renewals, "max_renewals", 0, 20)?,
            renew_max_overdue_days: cx.within(&raw.renew_max_overdue_days, "renew_max_overdue_days", 0, 365)?,
            max_loans,
            max_titles_per_order: max_titles,
            notices: NoticeRules {
                before_due_days: cx.within(&raw.notices.before_due_days, "notices.before_due_days", 0, 60)?,
                overdue_first_day: cx.within(&raw.notices.overdue_first_day, "notices.overdue_first_day", 1, 60)?,
                overdue_every_days: cx.within(&raw.notices.overdue_every_days, "notices.overdue_every_days", 1, 90)?,
            },
            overdue: OverdueRules {
                assumption: cx.text(&raw.overdue.assumption, "overdue.assumption")?,
                fine_fen_per_day: cx.within(&raw.overdue.fine_fen_per_day, "overdue.fine_fen_per_day", 0, 10_000)?,
                suspend_borrowing: raw.overdue.suspend_borrowing,
            },
            hold_keep_days: cx.within(&raw.holds.keep_days, "holds.keep_days", 1, 60)?,
            courier_speed_kmh: cx.within(&raw.courier.speed_kmh, "courier.speed_kmh", 1.0, 200.0)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let r = LibraryRules::embedded().unwrap();
        assert_eq!((r.loan_days, r.renewal_days, r.max_renewals, r.max_loans), (30, 30, 2, 20));
        assert_eq!(r.overdue.fine_fen_per_day, 0);
        assert!(r.overdue.suspend_borrowing);
        assert_eq!(r.notices.before_due_days, 3);
        assert_eq!(r.notices.overdue_every_days, 7);
    }

    #[test]
    fn bad_rules_name_line_and_field() {
        let text = crate::data::RULES.replace("loan_days = 30", "loan_days = 0");
        let e = LibraryRules::parse(&text, "rules.toml").unwrap_err();
        assert_eq!(e.field().as_deref(), Some("loan_days"));
        let text = crate::data::RULES.replace("keep_days = 7", "keep_days = 7\nforever = true");
        let e = LibraryRules::parse(&text, "rules.toml").unwrap_err();
        assert!(e.to_string().contains("forever"), "{e}");
    }
}
