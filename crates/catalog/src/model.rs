//! The catalog's public model: departments, record types, materials, workflows, items, bundles and their enums.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// A code that names no variant of one of the catalog's enums.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownCode {
    /// Which enum was asked for, in English (`subject`, `role`, …).
    pub kind: &'static str,
    /// The code that did not match.
    pub value: String,
    /// The accepted codes, comma-separated.
    pub expected: String,
}

/// Declares a fieldless enum with its code, Chinese and English names, `ALL`, `Display` and `FromStr`.
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $zh:literal, $en:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code used in catalog files and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The Chinese name.
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            /// The English name.
            pub fn name_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }

            /// The accepted codes, comma-separated (for error messages).
            pub(crate) fn expected() -> String {
                Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == s)
                    .ok_or_else(|| UnknownCode { kind: $kind, value: s.to_owned(), expected: Self::expected() })
            }
        }
    };
}

coded_enum! {
    /// Who an item, record type or bundle is about: a natural person or an enterprise.
    Subject, "subject" {
        Person => "person", "个人", "Person";
        Enterprise => "enterprise", "企业", "Enterprise";
    }
}

coded_enum! {
    /// The stages of a life (9) and of an enterprise (4) that bundles are grouped into.
    LifeStage, "stage" {
        Birth => "birth", "出生", "Birth";
        Schooling => "schooling", "上学", "Schooling";
        Employment => "employment", "就业", "Employment";
        MarriageChildbirth => "marriage_childbirth", "婚育", "Marriage and childbirth";
        Housing => "housing", "置业", "Housing";
        Relief => "relief", "救助", "Social relief";
        Medical => "medical", "就医", "Medical care";
        Retirement => "retirement", "退休养老", "Retirement and old age";
        Funeral => "funeral", "身后", "Funeral and after death";
        EnterpriseOpening => "enterprise_opening", "企业开办", "Opening an enterprise";
        EnterpriseChange => "enterprise_change", "企业变更", "Changing an enterprise";
        EnterpriseDeregistration => "enterprise_deregistration", "企业注销", "Closing an enterprise";
        ProjectApproval => "project_approval", "项目审批与建设", "Project approval and construction";
    }
}

impl LifeStage {
    /// Whether the stage belongs to a person's life or an enterprise's.
    pub fn subject(self) -> Subject {
        match self {
            LifeStage::EnterpriseOpening
            | LifeStage::EnterpriseChange
            | LifeStage::EnterpriseDeregistration
            | LifeStage::ProjectApproval => Subject::Enterprise,
            _ => Subject::Person,
        }
    }
}

coded_enum! {
    /// The roles that may perform workflow actions.
    Role, "role" {
        Applicant => "applicant", "申请人", "Applicant";
        Window => "window", "窗口人员", "Window staff";
        Clerk => "clerk", "承办人", "Case clerk";
        Reviewer => "reviewer", "审核人", "Reviewer";
        Approver => "approver", "审批人", "Approver";
        Supervisor => "supervisor", "督办人", "Supervisor";
        Admin => "admin", "管理员", "Administrator";
        /// Works in a village or community (社区工作者): visits the households found in
        /// difficulty there.
        CommunityWorker => "community_worker", "社区工作者", "Community worker";
        /// Goes to an elder's home when the monitoring centre dispatches an alarm (网格员、村医、
        /// 志愿者).
        Responder => "responder", "应急响应人", "Responder";
    }
}

coded_enum! {
    /// What a department answers for beyond its own items and records: the roles the platform
    /// gives its staff (`duties = [...]` in `departments.toml`), so that no department code is
    /// written in Rust.
    Duty, "duty" {
        /// Keeps the district's health records: imports results and care records of any
        /// institution, and reads the recognition figures (卫健).
        HealthRecords => "health_records", "健康档案管理", "Health records";
        /// Pays for care: reads the recognition figures and money saved (医保).
        MedicalInsurance => "medical_insurance", "医疗保障", "Medical insurance";
        /// Oversees delivery platforms and their riders (市场监管).
        RiderOversight => "rider_oversight", "骑手监管", "Rider oversight";
        /// Pays benefits without applying and runs their monthly payouts, answers objections
        /// (民政, 残联, 住建 for their own benefits).
        Welfare => "welfare", "社会福利与救助", "Welfare";
        /// Guards elders living alone: enrols them and their devices, runs the monitoring centre
        /// that answers their alarms (民政).
        ElderlySafety => "elderly_safety", "养老安全守护", "Elderly safety";
        /// Licenses and inspects childcare institutions, publishes their priority rules and runs
        /// the allocation of places (卫健).
        Childcare => "childcare", "托育服务", "Childcare";
        /// Runs public rental housing: applications, the waiting list and lottery, offers, leases,
        /// and the 善居 home improvements (住建).
        HousingSecurity => "housing_security", "住房保障", "Housing security";
        /// Runs hospital parking guidance: registers car parks, their operators' feeds and the
        /// guidance signs (城管).
        ParkingGuidance => "parking_guidance", "停车诱导", "Parking guidance";
        /// Runs the public libraries' one-click borrowing: catalogue, orders, deliveries and
        /// returns (文广旅体).
        Library => "library", "公共图书馆", "Public library";
    }
}

coded_enum! {
    /// The levels of the service network that may handle an item.
    ServiceLevel, "service level" {
        District => "district", "区级", "District";
        Town => "town", "镇街", "Town or sub-district";
        Village => "village", "村社", "Village or community";
    }
}

coded_enum! {
    /// How a terminal workflow state ends a case.
    Outcome, "outcome" {
        Approved => "approved", "准予", "Approved";
        Rejected => "rejected", "不予", "Rejected";
    }
}

coded_enum! {
    /// What a bundle does when one of its items is rejected.
    RejectPolicy, "on_reject" {
        /// Independent items go on; items depending on the rejected one are cancelled.
        Continue => "continue", "其余事项继续办理", "Other items continue";
        /// Every open item is cancelled and the bundle is rejected.
        FailBundle => "fail_bundle", "整件退回", "The whole bundle fails";
    }
}

/// A department (部门) that publishes records and handles items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// What the department answers for beyond its items and records.
    pub duties: Vec<Duty>,
}

impl Department {
    pub fn has(&self, duty: Duty) -> bool {
        self.duties.contains(&duty)
    }
}

/// A kind of shared record (数据同池) a department publishes about a person or an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordType {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// The publishing department.
    pub department: String,
    pub subject: Subject,
    /// Days a record stays valid; `None` when it does not expire (absent or 0 in the file).
    pub validity_days: Option<u32>,
}

/// A material (材料) an item may require.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Material {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// A record type that satisfies the material from shared data (the applicant uploads nothing).
    pub satisfied_by: Option<String>,
    /// Whether an upload may be reused by the same applicant's later applications.
    pub reusable: bool,
    pub description: Option<String>,
}

/// The states and actions of an item case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Workflow {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// The state a new case starts in.
    pub start: String,
    pub states: Vec<State>,
    pub actions: Vec<Action>,
}

impl Workflow {
    /// The state with this code.
    pub fn state(&self, code: &str) -> Option<&State> {
        self.states.iter().find(|s| s.code == code)
    }

    /// The action with this code.
    pub fn action(&self, code: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.code == code)
    }

    /// The actions that may be taken in `state`, in declaration order.
    pub fn actions_from<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a Action> {
        self.actions
            .iter()
            .filter(move |a| a.from.iter().any(|f| f == state))
    }
}

/// A state of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct State {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Working days allowed in this state.
    pub time_limit_days: Option<u32>,
    /// Whether the case clock stops while the case is here (e.g. awaiting supplementary materials).
    pub pauses_clock: bool,
    /// Set on terminal states only.
    pub outcome: Option<Outcome>,
}

impl State {
    /// Whether the case ends here.
    pub fn is_terminal(&self) -> bool {
        self.outcome.is_some()
    }
}

/// An action that moves a case from one of several states to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub from: Vec<String>,
    pub to: String,
    pub roles: Vec<Role>,
    pub requires_comment: bool,
}

/// A service item (事项) of one department.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub department: String,
    pub subject: Subject,
    /// 法定时限, working days.
    pub legal_days: u32,
    /// 承诺时限, working days.
    pub promised_days: u32,
    pub levels: Vec<ServiceLevel>,
    /// Whether the item can be done fully online (全程网办).
    pub online: bool,
    /// In-person visits needed when applied for alone (到现场次数).
    pub visits: u32,
    pub workflow: String,
    pub materials: Vec<String>,
    /// Record types issued when a case is approved.
    pub outputs: Vec<String>,
    /// Fee in fen (0.01 yuan).
    pub fee_fen: i64,
    pub fields: Vec<Field>,
}

/// A one-thing bundle (一件事): one application that spawns several items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bundle {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub stage: LifeStage,
    pub subject: Subject,
    /// Member items, in declaration order.
    pub items: Vec<String>,
    /// Item → the member items that must be approved before it starts.
    pub prerequisites: BTreeMap<String, Vec<String>>,
    pub on_reject: RejectPolicy,
    pub fields: Vec<Field>,
    pub description: Option<String>,
}

/// One application-form field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// `[a-z0-9_]`, unique within its form.
    pub key: String,
    pub label: String,
    pub label_en: String,
    #[serde(flatten)]
    pub kind: FieldKind,
    pub required: bool,
    /// Prefilled from the applicant's last application of the same bundle or item.
    pub reuse: bool,
}

/// The type of a form field and its constraints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Text {
        max_len: u32,
    },
    LongText {
        max_len: u32,
    },
    Date,
    #[serde(rename = "datetime")]
    DateTime,
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Choice {
        choices: Vec<Choice>,
    },
    IdNumber,
    CreditCode,
    Phone,
}

impl FieldKind {
    /// The type codes accepted in catalog files.
    pub const CODES: &'static [&'static str] = &[
        "text",
        "long_text",
        "date",
        "datetime",
        "number",
        "choice",
        "id_number",
        "credit_code",
        "phone",
    ];

    /// The type code as written in catalog files.
    pub fn code(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::LongText { .. } => "long_text",
            FieldKind::Date => "date",
            FieldKind::DateTime => "datetime",
            FieldKind::Number { .. } => "number",
            FieldKind::Choice { .. } => "choice",
            FieldKind::IdNumber => "id_number",
            FieldKind::CreditCode => "credit_code",
            FieldKind::Phone => "phone",
        }
    }
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub label_en: String,
}

/// A material a bundle needs, with the items that need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterialNeed {
    pub material: String,
    /// Member items that require the material, in bundle order.
    pub needed_by: Vec<String>,
    /// A member item whose outputs include the material's `satisfied_by` record type.
    pub issued_in_bundle_by: Option<String>,
}

/// What applying through a bundle saves against applying for its items one by one, as far as the
/// catalog alone can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BundleReduction {
    pub items: usize,
    /// Materials summed over the items, as if each were applied for alone.
    pub materials_item_by_item: usize,
    /// Distinct materials across the items.
    pub materials_distinct: usize,
    /// Distinct materials that are neither held in shared data nor issued inside the bundle:
    /// what the applicant uploads the first time.
    pub materials_to_upload: usize,
    /// In-person visits summed over the items.
    pub visits_item_by_item: u32,
    /// Promised days summed over the items (one after the other).
    pub days_item_by_item: u32,
    /// Promised days along the longest prerequisite chain (items in parallel otherwise).
    pub days_in_bundle: u32,
}

/// Counts of the catalog's contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogStats {
    pub departments: usize,
    pub record_types: usize,
    pub materials: usize,
    pub workflows: usize,
    pub items: usize,
    pub bundles: usize,
    /// Every stage, in `LifeStage::ALL` order, with its number of bundles (0 included).
    pub bundles_per_stage: Vec<(LifeStage, usize)>,
    /// The sum of every bundle's reduction.
    pub reduction: BundleReduction,
}
