//! `Episode`: one in-patient stay as the hospital reports it for settlement (病案首页 and
//! 结算清单 in brief) — who, where, when, diagnoses (ICD-10), procedures (ICD-9-CM-3), costs by
//! category and the patient's insurance — and its validation.

use chrono::NaiveDate;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

pub use domain::Sex;

use crate::error::MedinsError;
use crate::grouper::Grouper;

/// The oldest age accepted, in years.
pub const MAX_AGE: u8 = 120;

/// The categories of in-patient costs, after the national in-patient invoice's items
/// (住院收费项目分类).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostCategory {
    /// 床位费.
    Bed,
    /// 诊查费.
    Consultation,
    /// 检查费.
    Examination,
    /// 化验费.
    Laboratory,
    /// 治疗费.
    Treatment,
    /// 手术费.
    Surgery,
    /// 护理费.
    Nursing,
    /// 卫生材料费.
    Materials,
    /// 西药费.
    WesternMedicine,
    /// 中成药费.
    ChinesePatentMedicine,
    /// 中药饮片费.
    ChineseHerbalMedicine,
    /// 其他费.
    Other,
}

impl CostCategory {
    /// Every category, in invoice order.
    pub const ALL: [CostCategory; 12] = [
        CostCategory::Bed,
        CostCategory::Consultation,
        CostCategory::Examination,
        CostCategory::Laboratory,
        CostCategory::Treatment,
        CostCategory::Surgery,
        CostCategory::Nursing,
        CostCategory::Materials,
        CostCategory::WesternMedicine,
        CostCategory::ChinesePatentMedicine,
        CostCategory::ChineseHerbalMedicine,
        CostCategory::Other,
    ];

    /// The stable code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            CostCategory::Bed => "bed",
            CostCategory::Consultation => "consultation",
            CostCategory::Examination => "examination",
            CostCategory::Laboratory => "laboratory",
            CostCategory::Treatment => "treatment",
            CostCategory::Surgery => "surgery",
            CostCategory::Nursing => "nursing",
            CostCategory::Materials => "materials",
            CostCategory::WesternMedicine => "western_medicine",
            CostCategory::ChinesePatentMedicine => "chinese_patent_medicine",
            CostCategory::ChineseHerbalMedicine => "chinese_herbal_medicine",
            CostCategory::Other => "other",
        }
    }

    /// The Chinese name on the invoice.
    pub fn name_zh(self) -> &'static str {
        match self {
            CostCategory::Bed => "床位费",
            CostCategory::Consultation => "诊查费",
            CostCategory::Examination => "检查费",
            CostCategory::Laboratory => "化验费",
            CostCategory::Treatment => "治疗费",
            CostCategory::Surgery => "手术费",
            CostCategory::Nursing => "护理费",
            CostCategory::Materials => "卫生材料费",
            CostCategory::WesternMedicine => "西药费",
            CostCategory::ChinesePatentMedicine => "中成药费",
            CostCategory::ChineseHerbalMedicine => "中药饮片费",
            CostCategory::Other => "其他费",
        }
    }
}

/// The patient's basic medical insurance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceType {
    /// 职工基本医疗保险.
    Employee,
    /// 城乡居民基本医疗保险.
    Resident,
}

impl InsuranceType {
    /// The stable code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            InsuranceType::Employee => "employee",
            InsuranceType::Resident => "resident",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            InsuranceType::Employee => "职工医保",
            InsuranceType::Resident => "城乡居民医保",
        }
    }
}

/// One in-patient stay, as the hospital reports it for settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    /// The hospital's own episode number (病案号); unique within the hospital.
    pub id: String,
    /// The patient's one identity, e.g. an 18-character resident ID number.
    pub patient: String,
    /// The hospital's code.
    pub hospital: String,
    /// The admission date.
    pub admitted: NaiveDate,
    /// The discharge date.
    pub discharged: NaiveDate,
    /// Age in whole years at admission.
    pub age: u8,
    /// The patient's sex.
    pub sex: Sex,
    /// The principal diagnosis (主要诊断), ICD-10.
    pub principal_dx: String,
    /// The other diagnoses (其他诊断), ICD-10.
    pub other_dx: Vec<String>,
    /// The procedures (手术及操作), ICD-9-CM-3; their order does not matter for grouping.
    pub procedures: Vec<String>,
    /// The costs by category, in fen; each line is positive.
    pub costs: Vec<(CostCategory, Fen)>,
    /// The patient's insurance.
    pub insurance: InsuranceType,
}

impl Episode {
    /// The length of stay in days: discharge date minus admission date, and a stay admitted and
    /// discharged on the same day counts as one day (0 if discharged before admitted, which
    /// [`Episode::validate`] refuses).
    pub fn length_of_stay(&self) -> u32 {
        let days = (self.discharged - self.admitted).num_days();
        if days < 0 { 0 } else { u32::try_from(days.max(1)).unwrap_or(u32::MAX) }
    }

    /// The total cost (saturating; [`Episode::validate`] refuses a total that does not fit).
    pub fn total_cost(&self) -> Fen {
        self.costs.iter().map(|(_, f)| *f).sum()
    }

    /// Checks everything a settlement relies on: the text fields are there, every diagnosis and
    /// procedure code is in the grouper's code lists (the error names the code and the field),
    /// discharge is not before admission, the age is 0–120, and the costs are there, each
    /// positive, with a total that fits.
    pub fn validate(&self, grouper: &Grouper) -> Result<(), MedinsError> {
        self.check_fields()?;
        grouper.check_codes(self)?;
        self.check_dates_age_costs().map(|_| ())
    }

    /// The text fields are there.
    pub(crate) fn check_fields(&self) -> Result<(), MedinsError> {
        for (field, value) in [("id", &self.id), ("patient", &self.patient), ("hospital", &self.hospital)] {
            if value.trim().is_empty() {
                return Err(MedinsError::MissingField { field: field.to_owned() });
            }
        }
        Ok(())
    }

    /// Discharge not before admission, the age in range, the costs acceptable; gives the total.
    pub(crate) fn check_dates_age_costs(&self) -> Result<Fen, MedinsError> {
        if self.discharged < self.admitted {
            return Err(MedinsError::DischargeBeforeAdmission {
                episode: self.id.clone(),
                admitted: self.admitted,
                discharged: self.discharged,
            });
        }
        if self.age > MAX_AGE {
            return Err(MedinsError::AgeOutOfRange { age: self.age });
        }
        self.checked_total_cost()
    }

    /// The total cost, or why the costs are not acceptable.
    pub fn checked_total_cost(&self) -> Result<Fen, MedinsError> {
        if self.costs.is_empty() {
            return Err(MedinsError::InvalidCost {
                field: "costs".into(),
                message: "the episode has no costs".into(),
                message_zh: "病例没有费用明细".into(),
            });
        }
        let mut total = Fen::ZERO;
        for (i, (cat, amount)) in self.costs.iter().enumerate() {
            if amount.0 <= 0 {
                return Err(MedinsError::InvalidCost {
                    field: format!("costs[{i}]"),
                    message: format!("{} is {}: every cost line must be positive", cat.code(), amount.to_yuan_string()),
                    message_zh: format!("{}为 {} 元，每项费用必须大于零", cat.name_zh(), amount.to_yuan_string()),
                });
            }
            total = total.checked_add(*amount).ok_or_else(|| MedinsError::InvalidCost {
                field: "costs".into(),
                message: "the total cost is too large".into(),
                message_zh: "费用合计过大".into(),
            })?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    fn episode() -> Episode {
        Episode {
            id: "ZY001".into(),
            patient: "330111195001011234".into(),
            hospital: "fy-2h".into(),
            admitted: d(2024, 3, 1),
            discharged: d(2024, 3, 1),
            age: 74,
            sex: Sex::Male,
            principal_dx: "J18.9".into(),
            other_dx: vec![],
            procedures: vec![],
            costs: vec![(CostCategory::Bed, Fen(5_000)), (CostCategory::WesternMedicine, Fen(12_000))],
            insurance: InsuranceType::Employee,
        }
    }

    #[test]
    fn length_of_stay_counts_a_same_day_stay_as_one() {
        let mut e = episode();
        assert_eq!(e.length_of_stay(), 1);
        e.discharged = d(2024, 3, 2);
        assert_eq!(e.length_of_stay(), 1);
        e.discharged = d(2024, 3, 13);
        assert_eq!(e.length_of_stay(), 12);
        e.discharged = d(2024, 2, 1);
        assert_eq!(e.length_of_stay(), 0);
        assert_eq!(e.total_cost(), Fen(17_000));
    }

    #[test]
    fn validation_names_what_is_wrong() {
        let g = Grouper::embedded();
        assert_eq!(episode().validate(&g), Ok(()));
        let mut e = episode();
        e.patient = " ".into();
        assert_eq!(e.validate(&g), Err(MedinsError::MissingField { field: "patient".into() }));
        let mut e = episode();
        e.age = 121;
        assert_eq!(e.validate(&g), Err(MedinsError::AgeOutOfRange { age: 121 }));
        let mut e = episode();
        e.costs.push((CostCategory::Other, Fen(0)));
        let err = e.validate(&g).expect_err("zero cost");
        assert_eq!(err.field().as_deref(), Some("costs[2]"));
        let mut e = episode();
        e.costs.clear();
        assert!(matches!(e.validate(&g), Err(MedinsError::InvalidCost { .. })));
        let mut e = episode();
        e.costs = vec![(CostCategory::Bed, Fen(i64::MAX)), (CostCategory::Other, Fen(1))];
        assert!(matches!(e.validate(&g), Err(MedinsError::InvalidCost { .. })));
        for c in CostCategory::ALL {
            let json = serde_json::to_string(&c).expect("json");
            assert_eq!(json, format!("\"{}\"", c.code()));
        }
        assert_eq!(serde_json::to_string(&InsuranceType::Resident).expect("json"), "\"resident\"");
    }
}
