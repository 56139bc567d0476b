//! Who is a minor's guardian, by the household register: plain rules over the members of one
//! household (their relation to the head of household and their birth dates) and today's date.
//!
//! A resident under 18 does not register an account of their own; their guardians act for them.
//! The guardians the register shows are the minor's parents in the same household: for a child
//! (子/女) of the head of household, the head (户主) and the head's spouse (配偶); for a
//! grandchild (孙子/孙女), the head's children and children-in-law (子/女/儿媳/女婿). Only adults
//! are guardians. A minor whose parents are not in the household (or who heads it) has no
//! guardian here: that link is made at a window from other papers, not from the register.

use chrono::{Datelike, NaiveDate};

/// The age of full civil capacity (完全民事行为能力), in full years.
pub const ADULT_AGE: u32 = 18;

/// Age in full years on `on` (0 before the birth date). Someone born on 29 February becomes a year
/// older on 1 March in common years.
pub fn full_years(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on <= birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// Whether someone born on `birth` is 18 or over on `today`.
pub fn is_adult(birth: NaiveDate, today: NaiveDate) -> bool {
    full_years(birth, today) >= ADULT_AGE
}

/// A member of a household as the register shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id_number: String,
    pub name: String,
    pub birth_date: NaiveDate,
    /// Relation to the head of household: 户主, 配偶, 子, 女, 父, 母, 孙子, 孙女, 儿媳, 女婿, …
    pub relation: String,
}

/// The relations to the head of household of a minor's parents, given the minor's own relation;
/// empty when the register does not show the minor's parents.
fn parent_relations(ward_relation: &str) -> &'static [&'static str] {
    match ward_relation.trim() {
        "子" | "女" => &["户主", "配偶"],
        "孙子" | "孙女" => &["子", "女", "儿媳", "女婿"],
        _ => &[],
    }
}

/// Whether `guardian` is a guardian of `ward`, both members of the same household, on `today`:
/// the ward is a minor, the guardian an adult, and the guardian's relation is that of the ward's
/// parent.
pub fn is_guardian_of(guardian: &Member, ward: &Member, today: NaiveDate) -> bool {
    guardian.id_number != ward.id_number
        && !is_adult(ward.birth_date, today)
        && is_adult(guardian.birth_date, today)
        && parent_relations(&ward.relation).contains(&guardian.relation.trim())
}

/// The guardians of `ward` among the members of its household.
pub fn guardians_of<'a>(ward: &Member, household: &'a [Member], today: NaiveDate) -> Vec<&'a Member> {
    household.iter().filter(|g| is_guardian_of(g, ward, today)).collect()
}

/// The wards of `guardian` among the members of its household, youngest last.
pub fn wards_of<'a>(guardian: &Member, household: &'a [Member], today: NaiveDate) -> Vec<&'a Member> {
    let mut v: Vec<&Member> = household.iter().filter(|w| is_guardian_of(guardian, w, today)).collect();
    v.sort_by(|a, b| a.birth_date.cmp(&b.birth_date).then_with(|| a.id_number.cmp(&b.id_number)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn m(id: &str, relation: &str, birth: NaiveDate) -> Member {
        Member { id_number: id.to_owned(), name: format!("成员{id}"), birth_date: birth, relation: relation.to_owned() }
    }

    const TODAY: (i32, u32, u32) = (2026, 3, 2);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn adulthood_starts_on_the_eighteenth_birthday() {
        assert!(!is_adult(d(2008, 3, 3), today()), "one day short");
        assert!(is_adult(d(2008, 3, 2), today()), "the birthday itself");
        assert!(is_adult(d(1950, 1, 1), today()));
        assert!(!is_adult(d(2030, 1, 1), today()), "not yet born");
        // Born on 29 February: 18 on 1 March of a common year, not on 28 February.
        assert!(!is_adult(d(2008, 2, 29), d(2026, 2, 28)));
        assert!(is_adult(d(2008, 2, 29), d(2026, 3, 1)));
        assert_eq!(full_years(d(1990, 3, 7), d(2025, 3, 6)), 34);
        assert_eq!(full_years(d(1990, 3, 7), d(2025, 3, 7)), 35);
    }

    /// A household headed by the father: father (户主), mother (配偶), a daughter of 10, a son of
    /// 19, and the father's mother (母).
    fn nuclear() -> Vec<Member> {
        vec![
            m("F", "户主", d(1985, 5, 1)),
            m("M", "配偶", d(1987, 6, 1)),
            m("D", "女", d(2016, 1, 1)),
            m("S", "子", d(2006, 1, 1)),
            m("G", "母", d(1960, 1, 1)),
        ]
    }

    #[test]
    fn a_child_of_the_head_has_the_head_and_the_spouse_as_guardians() {
        let h = nuclear();
        let ids = |v: Vec<&Member>| v.into_iter().map(|x| x.id_number.clone()).collect::<Vec<_>>();
        assert_eq!(ids(guardians_of(&h[2], &h, today())), ["F", "M"]);
        assert_eq!(ids(wards_of(&h[0], &h, today())), ["D"], "the adult son is nobody's ward");
        assert_eq!(ids(wards_of(&h[1], &h, today())), ["D"]);
        assert!(wards_of(&h[4], &h, today()).is_empty(), "a grandmother (母 of the head) is not a guardian by the register");
        assert!(wards_of(&h[3], &h, today()).is_empty(), "an adult sibling is not a guardian");
        assert!(!is_guardian_of(&h[2], &h[2], today()));
        assert!(!is_guardian_of(&h[2], &h[0], today()), "the relation goes one way");
    }

    #[test]
    fn a_grandchild_has_the_heads_children_and_children_in_law_as_guardians() {
        let h = vec![
            m("GF", "户主", d(1955, 1, 1)),
            m("GM", "配偶", d(1957, 1, 1)),
            m("F", "子", d(1984, 1, 1)),
            m("M", "儿媳", d(1986, 1, 1)),
            m("B", "孙子", d(2020, 1, 1)),
            m("G", "孙女", d(2012, 1, 1)),
            m("U", "子", d(2009, 1, 1)),
        ];
        let ids = |v: Vec<&Member>| v.into_iter().map(|x| x.id_number.clone()).collect::<Vec<_>>();
        assert_eq!(ids(guardians_of(&h[4], &h, today())), ["F", "M"], "the grandparents are not; the minor uncle is not");
        assert_eq!(ids(wards_of(&h[2], &h, today())), ["G", "B"], "oldest first");
        // The head's minor son has the head and spouse as guardians.
        assert_eq!(ids(guardians_of(&h[6], &h, today())), ["GF", "GM"]);
        assert!(wards_of(&h[6], &h, today()).is_empty(), "a minor is nobody's guardian");
        // A son-in-law (女婿) stands where a daughter-in-law does.
        let h2 = vec![m("W", "女", d(1990, 1, 1)), m("H", "女婿", d(1989, 1, 1)), m("K", "孙女", d(2019, 1, 1))];
        assert_eq!(ids(guardians_of(&h2[2], &h2, today())), ["W", "H"]);
    }

    #[test]
    fn a_minor_without_parents_in_the_register_has_no_guardian_here() {
        let h = vec![m("A", "户主", d(2009, 1, 1)), m("B", "父", d(1970, 1, 1))];
        assert!(guardians_of(&h[0], &h, today()).is_empty());
        let h = vec![m("A", "户主", d(1970, 1, 1)), m("N", "其他", d(2015, 1, 1))];
        assert!(guardians_of(&h[1], &h, today()).is_empty());
    }

    #[test]
    fn a_ward_who_turns_eighteen_is_no_longer_a_ward() {
        let h = vec![m("F", "户主", d(1980, 1, 1)), m("S", "子", d(2008, 3, 3))];
        assert_eq!(wards_of(&h[0], &h, today()).len(), 1);
        assert!(wards_of(&h[0], &h, d(2026, 3, 3)).is_empty());
    }
}
