//! The application aggregate: one filing of a bundle (or of a single item) with its item cases,
//! materials, rating and rectifications — the unit that is loaded, changed and saved together.

use std::collections::{BTreeMap, BTreeSet};

use catalog::{Role, Subject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{AccountId, ApplicationId, CaseId, RecordId, RectificationId, UploadId};
use serde::{Deserialize, Serialize};

use crate::history::ChainHead;

/// What was applied for: a bundle (一件事) or one item (事项) on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Target {
    Bundle(String),
    Item(String),
}

impl Target {
    pub fn code(&self) -> &str {
        match self {
            Target::Bundle(c) | Target::Item(c) => c,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Bundle(_) => "bundle",
            Target::Item(_) => "item",
        }
    }
    pub fn parse(kind: &str, code: &str) -> Option<Target> {
        match kind {
            "bundle" => Some(Target::Bundle(code.to_owned())),
            "item" => Some(Target::Item(code.to_owned())),
            _ => None,
        }
    }
}

/// How the application came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Filed by the applicant online (浙里办 / the service hall pages).
    Online,
    /// Taken in at a service window on behalf of a person who came in (一窗受理).
    Window,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Window => "window",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "online" => Some(Channel::Online),
            "window" => Some(Channel::Window),
            _ => None,
        }
    }
    /// In-person trips the applicant makes to file through this channel.
    pub fn trips(self) -> u32 {
        match self {
            Channel::Online => 0,
            Channel::Window => 1,
        }
    }
}

/// Who the application is for: a resident (by ID number) or an enterprise (by credit code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applicant {
    pub subject: Subject,
    /// The resident ID number or the unified social credit code.
    pub key: String,
    pub name: String,
    /// The account that owns the application and receives its notices.
    pub account: AccountId,
}

/// The status of a whole application, derived from its item cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppStatus {
    /// Departments are handling it.
    InProgress,
    /// At least one item waits for the applicant's supplementary materials.
    Supplementing,
    /// Every item was approved.
    Completed,
    /// Some items were approved, some rejected or cancelled.
    PartiallyCompleted,
    /// Nothing was approved (or the bundle's policy failed it on a rejection).
    Rejected,
    /// The applicant withdrew it.
    Withdrawn,
}

impl AppStatus {
    pub const ALL: [AppStatus; 6] = [
        AppStatus::InProgress,
        AppStatus::Supplementing,
        AppStatus::Completed,
        AppStatus::PartiallyCompleted,
        AppStatus::Rejected,
        AppStatus::Withdrawn,
    ];
    pub fn code(self) -> &'static str {
        match self {
            AppStatus::InProgress => "in_progress",
            AppStatus::Supplementing => "supplementing",
            AppStatus::Completed => "completed",
            AppStatus::PartiallyCompleted => "partially_completed",
            AppStatus::Rejected => "rejected",
            AppStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<AppStatus> {
        AppStatus::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            AppStatus::InProgress => "办理中",
            AppStatus::Supplementing => "待补正",
            AppStatus::Completed => "已办结",
            AppStatus::PartiallyCompleted => "部分办结",
            AppStatus::Rejected => "未通过",
            AppStatus::Withdrawn => "已撤回",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            AppStatus::InProgress => "In progress",
            AppStatus::Supplementing => "Awaiting supplement",
            AppStatus::Completed => "Completed",
            AppStatus::PartiallyCompleted => "Partially completed",
            AppStatus::Rejected => "Rejected",
            AppStatus::Withdrawn => "Withdrawn",
        }
    }
    /// Finished applications can be rated and change no more.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            AppStatus::Completed
                | AppStatus::PartiallyCompleted
                | AppStatus::Rejected
                | AppStatus::Withdrawn
        )
    }
}

/// The lifecycle status of one item case, beside its workflow state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Waiting for the outputs of its prerequisite items.
    Waiting,
    /// Being handled; the clock runs.
    Active,
    /// In a state that pauses the clock (waiting for the applicant's supplement).
    Paused,
    Approved,
    Rejected,
    /// Will not be handled: the bundle failed, a prerequisite was rejected, or the applicant withdrew.
    Cancelled,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Waiting,
        CaseStatus::Active,
        CaseStatus::Paused,
        CaseStatus::Approved,
        CaseStatus::Rejected,
        CaseStatus::Cancelled,
    ];
    pub fn code(self) -> &'static str {
        match self {
            CaseStatus::Waiting => "waiting",
            CaseStatus::Active => "active",
            CaseStatus::Paused => "paused",
            CaseStatus::Approved => "approved",
            CaseStatus::Rejected => "rejected",
            CaseStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            CaseStatus::Waiting => "等待前置事项",
            CaseStatus::Active => "办理中",
            CaseStatus::Paused => "待补正（暂停计时）",
            CaseStatus::Approved => "已办结",
            CaseStatus::Rejected => "未通过",
            CaseStatus::Cancelled => "已取消",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            CaseStatus::Waiting => "Waiting for prerequisites",
            CaseStatus::Active => "In progress",
            CaseStatus::Paused => "Awaiting supplement (clock paused)",
            CaseStatus::Approved => "Approved",
            CaseStatus::Rejected => "Rejected",
            CaseStatus::Cancelled => "Cancelled",
        }
    }
    pub fn is_open(self) -> bool {
        matches!(self, CaseStatus::Waiting | CaseStatus::Active | CaseStatus::Paused)
    }
    pub fn is_terminal(self) -> bool {
        !self.is_open()
    }
}

/// One item of an application, handled by its department through the item's workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemCase {
    pub id: CaseId,
    pub item: String,
    pub department: String,
    pub workflow: String,
    pub status: CaseStatus,
    /// The workflow state; `None` while waiting for prerequisites or when cancelled before starting.
    pub state: Option<String>,
    /// Promised and legal limits in working days, copied from the catalog at submission.
    pub promised_days: u32,
    pub legal_days: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub state_entered_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Last working day by which the case must be finished (承诺时限), moved on by paused days.
    pub promised_deadline: Option<NaiveDate>,
    pub legal_deadline: Option<NaiveDate>,
    /// Last working day allowed in the current state, when the state has a limit.
    pub state_deadline: Option<NaiveDate>,
    pub paused_since: Option<DateTime<Utc>>,
    /// Working days the clock stood still in total.
    pub paused_days: u32,
    /// The deadline warning was sent.
    pub warned: bool,
    /// Past the promised deadline; escalated to the department supervisor.
    pub overdue: bool,
    /// Past the legal deadline; escalated to the district.
    pub legal_overdue: bool,
    /// Past the current state's limit.
    pub state_overdue: bool,
    /// The earliest date on which the deadline scheduler has something to do for this case.
    pub next_check_on: Option<NaiveDate>,
}

/// Where a material of the application comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum MaterialSource {
    /// Filled in from a record government already holds (数据共享).
    Shared {
        record_id: RecordId,
        record_type: String,
        department: String,
        issued_at: DateTime<Utc>,
    },
    /// Will be issued by another item of the same bundle (出生医学证明 → 户口登记).
    IssuedInBundle { item: String, record_id: Option<RecordId> },
    /// Uploaded by the applicant for this application.
    Upload { upload_id: UploadId },
    /// Reused from the applicant's earlier application (再次申请自动获取).
    Reused {
        upload_id: UploadId,
        from_application: ApplicationId,
    },
}

impl MaterialSource {
    pub fn code(&self) -> &'static str {
        match self {
            MaterialSource::Shared { .. } => "shared",
            MaterialSource::IssuedInBundle { .. } => "issued_in_bundle",
            MaterialSource::Upload { .. } => "upload",
            MaterialSource::Reused { .. } => "reused",
        }
    }
    /// Whether the applicant had to provide this material by hand for this application.
    pub fn is_upload(&self) -> bool {
        matches!(self, MaterialSource::Upload { .. })
    }
    pub fn upload_id(&self) -> Option<UploadId> {
        match self {
            MaterialSource::Upload { upload_id } | MaterialSource::Reused { upload_id, .. } => {
                Some(*upload_id)
            }
            _ => None,
        }
    }
}

/// One de-duplicated material of the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialEntry {
    pub material: String,
    /// The items that need it.
    pub needed_by: Vec<String>,
    #[serde(flatten)]
    pub source: MaterialSource,
}

/// The figures the reductions report needs, fixed when the application is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Baseline {
    /// Σ materials of each item applied for alone.
    pub materials: u32,
    /// Σ in-person visits of each item applied for alone.
    pub trips: u32,
    /// Σ promised working days of each item applied for one after another.
    pub days: u32,
    /// Number of items.
    pub items: u32,
}

/// The national five-level rating scale of 好差评.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingLevel {
    VeryDissatisfied = 1,
    Dissatisfied = 2,
    Basic = 3,
    Satisfied = 4,
    VerySatisfied = 5,
}

impl RatingLevel {
    pub const ALL: [RatingLevel; 5] = [
        RatingLevel::VerySatisfied,
        RatingLevel::Satisfied,
        RatingLevel::Basic,
        RatingLevel::Dissatisfied,
        RatingLevel::VeryDissatisfied,
    ];
    pub fn code(self) -> &'static str {
        match self {
            RatingLevel::VerySatisfied => "very_satisfied",
            RatingLevel::Satisfied => "satisfied",
            RatingLevel::Basic => "basic",
            RatingLevel::Dissatisfied => "dissatisfied",
            RatingLevel::VeryDissatisfied => "very_dissatisfied",
        }
    }
    pub fn score(self) -> u8 {
        self as u8
    }
    pub fn from_score(n: i64) -> Option<RatingLevel> {
        RatingLevel::ALL.into_iter().find(|l| i64::from(l.score()) == n)
    }
    pub fn parse(s: &str) -> Option<RatingLevel> {
        RatingLevel::ALL.into_iter().find(|l| l.code() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            RatingLevel::VerySatisfied => "非常满意",
            RatingLevel::Satisfied => "满意",
            RatingLevel::Basic => "基本满意",
            RatingLevel::Dissatisfied => "不满意",
            RatingLevel::VeryDissatisfied => "非常不满意",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            RatingLevel::VerySatisfied => "Very satisfied",
            RatingLevel::Satisfied => "Satisfied",
            RatingLevel::Basic => "Basically satisfied",
            RatingLevel::Dissatisfied => "Dissatisfied",
            RatingLevel::VeryDissatisfied => "Very dissatisfied",
        }
    }
    /// 不满意 and 非常不满意 are bad reviews (差评) that open a rectification.
    pub fn is_bad(self) -> bool {
        self <= RatingLevel::Dissatisfied
    }
}

/// One rating the applicant gave; a re-rating after rectification is a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub round: u32,
    pub level: RatingLevel,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectificationStatus {
    /// Opened by a bad rating; the department supervisor must respond.
    Open,
    /// The supervisor reported what was put right; waiting for the applicant's re-rating.
    Responded,
    /// Re-rated; closed.
    Closed,
}

impl RectificationStatus {
    pub fn code(self) -> &'static str {
        match self {
            RectificationStatus::Open => "open",
            RectificationStatus::Responded => "responded",
            RectificationStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<RectificationStatus> {
        [Self::Open, Self::Responded, Self::Closed]
            .into_iter()
            .find(|x| x.code() == s)
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            RectificationStatus::Open => "待整改",
            RectificationStatus::Responded => "已整改待回访",
            RectificationStatus::Closed => "已办结",
        }
    }
    pub fn name_en(self) -> &'static str {
        match self {
            RectificationStatus::Open => "open",
            RectificationStatus::Responded => "answered, awaiting the re-rating",
            RectificationStatus::Closed => "closed",
        }
    }
    /// The status whose Chinese name is `name` (what `EngineError::RectificationState` holds).
    pub fn from_name_zh(name: &str) -> Option<RectificationStatus> {
        [Self::Open, Self::Responded, Self::Closed].into_iter().find(|x| x.name_zh() == name)
    }
}

/// A rectification (差评整改) one department owes for a bad rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rectification {
    pub id: RectificationId,
    pub department: String,
    pub status: RectificationStatus,
    /// The rating round that opened it.
    pub opened_by_round: u32,
    pub opened_at: DateTime<Utc>,
    /// Last working day for the supervisor's response.
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub response: Option<String>,
    pub responded_by: Option<AccountId>,
    pub responded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The re-rating that closed it.
    pub closing_level: Option<RatingLevel>,
}

/// An application: the aggregate the engine changes and the store saves as a whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    pub id: ApplicationId,
    pub target: Target,
    pub applicant: Applicant,
    /// The account that filed it: the applicant, or a window clerk taking it in.
    pub submitted_by: AccountId,
    pub channel: Channel,
    /// The division (town or village) where it is handled, when filed at a service centre.
    pub division: Option<String>,
    pub status: AppStatus,
    pub submitted_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Derived from the items: the latest expected finish along the prerequisite graph.
    pub deadline: Option<NaiveDate>,
    /// Application form values by field key.
    pub form: BTreeMap<String, String>,
    pub materials: Vec<MaterialEntry>,
    pub cases: Vec<ItemCase>,
    pub baseline: Baseline,
    /// Extra in-person trips made after filing (supplements handed in at a window).
    pub extra_trips: u32,
    /// Working days from filing to finishing, once finished.
    pub elapsed_days: Option<u32>,
    pub ratings: Vec<Rating>,
    pub rectifications: Vec<Rectification>,
    pub history: ChainHead,
    /// Optimistic-concurrency version, bumped on every save.
    pub version: i64,
    /// Parts changed since load (not persisted): the store writes only these.
    #[serde(skip)]
    pub touched: Touched,
}

/// What changed in an application since it was loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub created: bool,
    pub cases: BTreeSet<CaseId>,
    pub rectifications: BTreeSet<RectificationId>,
    /// The form, the materials or the ratings changed.
    pub docs: bool,
}

impl Application {
    pub fn case(&self, id: CaseId) -> Option<&ItemCase> {
        self.cases.iter().find(|c| c.id == id)
    }
    pub fn case_mut(&mut self, id: CaseId) -> Option<&mut ItemCase> {
        self.touched.cases.insert(id);
        self.cases.iter_mut().find(|c| c.id == id)
    }
    pub fn case_by_item(&self, item: &str) -> Option<&ItemCase> {
        self.cases.iter().find(|c| c.item == item)
    }
    pub fn latest_rating(&self) -> Option<&Rating> {
        self.ratings.last()
    }
    /// Materials the applicant had to upload by hand for this application.
    pub fn uploaded_materials(&self) -> u32 {
        u32::try_from(self.materials.iter().filter(|m| m.source.is_upload()).count())
            .unwrap_or(u32::MAX)
    }
    /// In-person trips the applicant made: the filing channel plus supplements at a window.
    pub fn trips(&self) -> u32 {
        self.channel.trips() + self.extra_trips
    }
    /// Departments involved, in case order, without repeats.
    pub fn departments(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.cases {
            if !out.contains(&c.department) {
                out.push(c.department.clone());
            }
        }
        out
    }
    /// Whether `account` may act as the applicant.
    pub fn is_applicant(&self, account: AccountId) -> bool {
        self.applicant.account == account
    }
    pub fn mark_all_touched(&mut self) {
        self.touched.created = true;
        self.touched.docs = true;
        self.touched.cases = self.cases.iter().map(|c| c.id).collect();
        self.touched.rectifications = self.rectifications.iter().map(|r| r.id).collect();
    }
}

/// Someone taking an action on an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account: AccountId,
    /// The workflow roles the actor holds for this application (the server decides, from the
    /// account's roles and data scope).
    pub roles: Vec<Role>,
    pub name: String,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// The first of the actor's roles that the action allows, for the record.
    pub fn role_for(&self, allowed: &[Role]) -> Option<Role> {
        self.roles.iter().copied().find(|r| allowed.contains(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_back() {
        for s in AppStatus::ALL {
            assert_eq!(AppStatus::parse(s.code()), Some(s));
            assert!(!s.name_zh().is_empty() && !s.name_en().is_empty());
        }
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.code()), Some(s));
            assert_eq!(s.is_open(), !s.is_terminal());
        }
        for s in [RectificationStatus::Open, RectificationStatus::Responded, RectificationStatus::Closed] {
            assert_eq!(RectificationStatus::parse(s.code()), Some(s));
            assert_eq!(RectificationStatus::from_name_zh(s.name_zh()), Some(s));
        }
        for c in [Channel::Online, Channel::Window] {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
        assert_eq!((Channel::Online.trips(), Channel::Window.trips()), (0, 1));
        let t = Target::Bundle("birth".into());
        assert_eq!(Target::parse(t.kind(), t.code()), Some(t));
        assert_eq!(Target::parse("item", "x"), Some(Target::Item("x".into())));
        assert_eq!(Target::parse("thing", "x"), None);
        assert_eq!(AppStatus::parse("done"), None);
    }

    #[test]
    fn finished_statuses() {
        let finished: Vec<_> = AppStatus::ALL.into_iter().filter(|s| s.is_finished()).collect();
        assert_eq!(
            finished,
            [AppStatus::Completed, AppStatus::PartiallyCompleted, AppStatus::Rejected, AppStatus::Withdrawn]
        );
    }

    #[test]
    fn rating_levels_order_from_worst_to_best() {
        assert!(RatingLevel::VeryDissatisfied < RatingLevel::Dissatisfied);
        assert!(RatingLevel::Basic < RatingLevel::VerySatisfied);
        let bad: Vec<_> = RatingLevel::ALL.into_iter().filter(|l| l.is_bad()).collect();
        assert_eq!(bad, [RatingLevel::Dissatisfied, RatingLevel::VeryDissatisfied]);
        let names: Vec<_> = RatingLevel::ALL.into_iter().map(RatingLevel::name_zh).collect();
        assert_eq!(names, ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]);
    }

    #[test]
    fn material_sources_tell_what_the_applicant_uploaded() {
        let up = MaterialSource::Upload { upload_id: UploadId(3) };
        let reused = MaterialSource::Reused { upload_id: UploadId(4), from_application: ApplicationId(1) };
        let inside = MaterialSource::IssuedInBundle { item: "a".into(), record_id: None };
        assert!(up.is_upload() && !reused.is_upload() && !inside.is_upload());
        assert_eq!((up.upload_id(), reused.upload_id(), inside.upload_id()), (Some(UploadId(3)), Some(UploadId(4)), None));
        assert_eq!((up.code(), reused.code(), inside.code()), ("upload", "reused", "issued_in_bundle"));
    }

    #[test]
    fn an_actor_acts_in_its_first_allowed_role() {
        let a = Actor { account: AccountId(1), roles: vec![Role::Admin, Role::Reviewer, Role::Clerk], name: String::new() };
        assert_eq!(a.role_for(&[Role::Clerk, Role::Reviewer]), Some(Role::Reviewer));
        assert_eq!(a.role_for(&[Role::Applicant]), None);
        assert!(a.has(Role::Clerk) && !a.has(Role::Window));
    }
}
