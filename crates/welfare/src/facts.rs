//! `Facts`: what the registers say about one person, and the named facts rules read from them on
//! a given date (`age`, `alive`, `resident`, …), each with its type, labels and source register.

use chrono::Datelike;
use chrono::NaiveDate;
use serde::Deserialize;
use serde::Serialize;

/// What the registers say about ONE person. Plain data; the named facts of [`FACTS`] are derived
/// from it on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Date of birth (from the household register).
    pub birth_date: NaiveDate,
    /// Household registration (户籍) in the district.
    pub registered_in_district: bool,
    /// Registration cancelled by moving out (户口迁出) on this date.
    pub moved_out_on: Option<NaiveDate>,
    /// Date of death (death registration / cremation record).
    pub death_date: Option<NaiveDate>,
    /// Lives in a care institution (供养机构/养老机构 集中供养).
    pub in_institution: bool,
    /// 1 (most severe) ..= 4, from the disability certificate (残疾人证).
    pub disability_grade: Option<u8>,
    /// The household holds a valid minimum-living-allowance (低保) status.
    pub dibao: bool,
    /// Monthly household income per head in fen from the latest household finance check
    /// (家庭经济状况核对); `None` = never checked (the fact is unknown).
    pub income_per_head_fen: Option<i64>,
    /// Number of people in the household.
    pub household_size: u32,
    /// Everyone in the household is 60 or older.
    pub household_elders_only: bool,
    /// Lives alone.
    pub lives_alone: bool,
    /// Other household members aged 18–59 without a grade 1–2 disability (legal supporters).
    pub capable_adults: u32,
    /// A valid rent-subsidy qualification from the housing bureau.
    pub rent_subsidy_qualified: bool,
    /// Registered unemployed.
    pub unemployed: bool,
}

impl Default for Facts {
    /// A registered, living adult of a one-person household born on 1970-01-01 with nothing else known.
    fn default() -> Facts {
        Facts {
            birth_date: NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default(),
            registered_in_district: true,
            moved_out_on: None,
            death_date: None,
            in_institution: false,
            disability_grade: None,
            dibao: false,
            income_per_head_fen: None,
            household_size: 1,
            household_elders_only: false,
            lives_alone: false,
            capable_adults: 0,
            rent_subsidy_qualified: false,
            unemployed: false,
        }
    }
}

/// Whole years of age on `on` (the birthday counts: someone born on 15 March 1946 is 80 on
/// 15 March 2026). Negative before birth.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut years = i64::from(on.year()) - i64::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

impl Facts {
    /// Whole years of age on `on`.
    pub fn age(&self, on: NaiveDate) -> i64 {
        age_on(self.birth_date, on)
    }

    /// Alive on `on`: no death on or before it.
    pub fn alive(&self, on: NaiveDate) -> bool {
        self.death_date.is_none_or(|d| d > on)
    }

    /// Registered in the district on `on` and not moved out on or before it.
    pub fn resident(&self, on: NaiveDate) -> bool {
        self.registered_in_district && self.moved_out_on.is_none_or(|d| d > on)
    }
}

/// The type of a fact or an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    /// A whole number.
    Int,
    /// True or false.
    Bool,
}

impl Type {
    /// `int` or `bool`.
    pub fn name(&self) -> &'static str {
        match self {
            Type::Int => "int",
            Type::Bool => "bool",
        }
    }
}

/// A value during evaluation: three-valued for booleans (Kleene), and integers may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A whole number.
    Int(i64),
    /// True or false.
    Bool(bool),
    /// Not known (a fact never recorded, a division by zero, an overflow).
    Unknown,
}

impl Value {
    /// The value as rules show it: `80`, `true`, `false`, or `未知` when unknown.
    pub fn show(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Unknown => UNKNOWN_ZH.to_owned(),
        }
    }
}

/// How an unknown value is shown in reasons.
pub const UNKNOWN_ZH: &str = "未知";

/// One named fact: what pages show about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FactInfo {
    /// The name rules use, e.g. `age`.
    pub name: &'static str,
    /// `Int` or `Bool`.
    pub ty: Type,
    /// Chinese label.
    pub label_zh: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// The register or record it comes from.
    pub source: &'static str,
}

/// The facts rules may use, in the order of [`FactId`].
pub const FACTS: &[FactInfo] = &[
    FactInfo { name: "age", ty: Type::Int, label_zh: "年龄（周岁）", label_en: "age (whole years)", source: "户籍登记的出生日期 (household register: date of birth)" },
    FactInfo { name: "alive", ty: Type::Bool, label_zh: "健在", label_en: "alive", source: "死亡登记/火化信息 (death registration and cremation records)" },
    FactInfo { name: "resident", ty: Type::Bool, label_zh: "本区户籍", label_en: "registered in the district", source: "公安户籍登记及迁出记录 (police household register, moves out)" },
    FactInfo { name: "in_institution", ty: Type::Bool, label_zh: "集中供养", label_en: "lives in a care institution", source: "民政供养机构/养老机构入住名册 (civil affairs institution rolls)" },
    FactInfo { name: "disability_grade", ty: Type::Int, label_zh: "残疾等级（无为 0）", label_en: "disability grade (0 = none)", source: "残联残疾人证信息 (disabled persons' federation certificate)" },
    FactInfo { name: "disabled", ty: Type::Bool, label_zh: "持残疾人证", label_en: "holds a disability certificate", source: "残联残疾人证信息 (disabled persons' federation certificate)" },
    FactInfo { name: "dibao", ty: Type::Bool, label_zh: "低保对象", label_en: "household on the minimum living allowance", source: "民政低保名册 (civil affairs dibao roll)" },
    FactInfo { name: "income_per_head", ty: Type::Int, label_zh: "家庭月人均收入（分）", label_en: "monthly household income per head (fen)", source: "居民家庭经济状况核对结果 (household finance check)" },
    FactInfo { name: "household_size", ty: Type::Int, label_zh: "家庭人口数", label_en: "household size", source: "户籍登记 (household register)" },
    FactInfo { name: "elders_only", ty: Type::Bool, label_zh: "纯老家庭", label_en: "everyone in the household is 60+", source: "户籍登记 (household register)" },
    FactInfo { name: "lives_alone", ty: Type::Bool, label_zh: "独居", label_en: "lives alone", source: "社区走访登记 (community visit records)" },
    FactInfo { name: "capable_adults", ty: Type::Int, label_zh: "有赡养/抚养/扶养能力的家庭成员数", label_en: "capable legal supporters in the household", source: "户籍登记与残疾人证 (household register and disability certificates)" },
    FactInfo { name: "rent_subsidy_qualified", ty: Type::Bool, label_zh: "住房租赁补贴资格", label_en: "qualified for the rent subsidy", source: "住建局保障房资格库 (housing bureau qualification register)" },
    FactInfo { name: "unemployed", ty: Type::Bool, label_zh: "登记失业", label_en: "registered unemployed", source: "人社局失业登记 (human resources bureau unemployment register)" },
];

/// A fact by position in [`FACTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactId {
    /// `age`
    Age,
    /// `alive`
    Alive,
    /// `resident`
    Resident,
    /// `in_institution`
    InInstitution,
    /// `disability_grade`
    DisabilityGrade,
    /// `disabled`
    Disabled,
    /// `dibao`
    Dibao,
    /// `income_per_head`
    IncomePerHead,
    /// `household_size`
    HouseholdSize,
    /// `elders_only`
    EldersOnly,
    /// `lives_alone`
    LivesAlone,
    /// `capable_adults`
    CapableAdults,
    /// `rent_subsidy_qualified`
    RentSubsidyQualified,
    /// `unemployed`
    Unemployed,
}

/// Every fact id, in the order of [`FACTS`].
pub const FACT_IDS: [FactId; 14] = [
    FactId::Age,
    FactId::Alive,
    FactId::Resident,
    FactId::InInstitution,
    FactId::DisabilityGrade,
    FactId::Disabled,
    FactId::Dibao,
    FactId::IncomePerHead,
    FactId::HouseholdSize,
    FactId::EldersOnly,
    FactId::LivesAlone,
    FactId::CapableAdults,
    FactId::RentSubsidyQualified,
    FactId::Unemployed,
];

impl FactId {
    /// The fact called `name`.
    pub fn from_name(name: &str) -> Option<FactId> {
        FACTS.iter().position(|f| f.name == name).and_then(|i| FACT_IDS.get(i).copied())
    }

    /// Its description.
    pub fn info(self) -> &'static FactInfo {
        &FACTS[self as usize]
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        self.info().name
    }
}

/// The facts of one person on one date, computed once for a whole rule set.
#[derive(Debug, Clone, Copy)]
pub struct FactValues {
    values: [Value; 14],
}

impl FactValues {
    /// The named facts of `facts` on `on`.
    pub fn new(facts: &Facts, on: NaiveDate) -> FactValues {
        let count = |n: u32| Value::Int(i64::from(n));
        FactValues {
            values: [
                Value::Int(facts.age(on)),
                Value::Bool(facts.alive(on)),
                Value::Bool(facts.resident(on)),
                Value::Bool(facts.in_institution),
                Value::Int(i64::from(facts.disability_grade.unwrap_or(0))),
                Value::Bool(facts.disability_grade.is_some()),
                Value::Bool(facts.dibao),
                facts.income_per_head_fen.map_or(Value::Unknown, Value::Int),
                count(facts.household_size),
                Value::Bool(facts.household_elders_only),
                Value::Bool(facts.lives_alone),
                count(facts.capable_adults),
                Value::Bool(facts.rent_subsidy_qualified),
                Value::Bool(facts.unemployed),
            ],
        }
    }

    /// The value of one fact.
    pub fn get(&self, id: FactId) -> Value {
        self.values[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    #[test]
    fn facts_on_a_date() {
        let f = Facts {
            birth_date: d(1946, 3, 15),
            death_date: Some(d(2026, 5, 10)),
            moved_out_on: None,
            disability_grade: Some(2),
            ..Facts::default()
        };
        assert_eq!(f.age(d(2026, 3, 14)), 79);
        assert_eq!(f.age(d(2026, 3, 15)), 80);
        assert!(f.alive(d(2026, 5, 9)));
        assert!(!f.alive(d(2026, 5, 10)));
        let v = FactValues::new(&f, d(2026, 4, 1));
        assert_eq!(v.get(FactId::Age), Value::Int(80));
        assert_eq!(v.get(FactId::DisabilityGrade), Value::Int(2));
        assert_eq!(v.get(FactId::Disabled), Value::Bool(true));
        assert_eq!(v.get(FactId::IncomePerHead), Value::Unknown);
        assert_eq!(v.get(FactId::IncomePerHead).show(), "未知");
        let moved = Facts { moved_out_on: Some(d(2026, 2, 1)), ..Facts::default() };
        assert!(moved.resident(d(2026, 1, 31)));
        assert!(!moved.resident(d(2026, 2, 1)));
        let none = Facts { registered_in_district: false, ..Facts::default() };
        assert!(!none.resident(d(2026, 1, 1)));
    }

    #[test]
    fn the_fact_table_matches_the_ids() {
        assert_eq!(FACTS.len(), FACT_IDS.len());
        for (i, id) in FACT_IDS.iter().enumerate() {
            assert_eq!(*id as usize, i);
            assert_eq!(FactId::from_name(id.name()), Some(*id));
            assert!(!FACTS[i].label_zh.is_empty() && !FACTS[i].source.is_empty());
        }
        assert_eq!(FactId::from_name("salary"), None);
    }
}
