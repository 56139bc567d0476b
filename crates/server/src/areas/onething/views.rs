//! What the one-thing area answers and takes: views of applications, cases, notices, plans and the
//! catalog, in Chinese with English beside, personal data masked in lists, and only the actions the
//! viewer may take; and the typed inputs of its use cases.

use std::collections::BTreeMap;
use onething::Application;
use store::Account;
use store::AccountKind;
use crate::state::AppState;
use catalog::Catalog;
use catalog::Field;
use catalog::FieldKind;
use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use onething::AppStatus;
use onething::CaseStatus;
use onething::MaterialSource;
use onething::PlannedMaterial;
use onething::Provision;
use onething::RectificationStatus;
use serde::Serialize;
use utoipa::ToSchema;
use crate::areas::onething::cases::actor_for;
use crate::areas::onething::cases::can_view;
use serde::Deserialize;
use utoipa::IntoParams;

pub(crate) fn dept_name(c: &Catalog, code: &str) -> String {
    c.department(code).map(|d| d.name.clone()).unwrap_or_else(|| code.to_owned())
}

pub(crate) fn item_names(c: &Catalog, code: &str) -> (String, String) {
    c.item(code).map(|i| (i.name.clone(), i.name_en.clone())).unwrap_or_else(|| (code.to_owned(), code.to_owned()))
}

/// Masks a resident ID number; credit codes are public and shown whole.
pub fn mask_key(key: &str) -> String {
    if domain::ResidentId::parse(key).is_ok() { domain::mask::id_number(key) } else { key.to_owned() }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    /// `bundle` or `item`.
    pub kind: String,
    pub code: String,
    pub name: String,
    pub name_en: String,
}

pub fn target_view(c: &Catalog, kind: &str, code: &str) -> TargetView {
    let (name, name_en) = match kind {
        "bundle" => c.bundle(code).map(|b| (b.name.clone(), b.name_en.clone())),
        _ => c.item(code).map(|i| (i.name.clone(), i.name_en.clone())),
    }
    .unwrap_or_else(|| (code.to_owned(), code.to_owned()));
    TargetView { kind: kind.to_owned(), code: code.to_owned(), name, name_en }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantView {
    /// `person` or `enterprise`.
    pub subject: String,
    pub name: String,
    /// ID number (masked unless the viewer handles the case) or credit code.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub needed_by: Vec<String>,
    /// `shared` (from government data), `issued_in_bundle`, `upload`, `reused` (from the last application).
    pub source: String,
    pub source_name: String,
    pub record_id: Option<String>,
    pub record_type: Option<String>,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    /// The item of this bundle that issues it.
    pub item: Option<String>,
    pub upload_id: Option<String>,
    pub from_application: Option<String>,
}

pub(crate) fn source_name(code: &str) -> &'static str {
    match code {
        "shared" => "共享数据自动获取",
        "issued_in_bundle" => "由本件事前置事项出具",
        "upload" => "申请人上传",
        "reused" => "沿用上次申请",
        "to_upload" => "需上传",
        _ => "",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub requires_comment: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: String,
    pub item: String,
    pub item_name: String,
    pub item_name_en: String,
    pub department: String,
    pub department_name: String,
    /// waiting | active | paused | approved | rejected | cancelled
    pub status: String,
    pub status_name: String,
    pub status_name_en: String,
    pub state: Option<String>,
    pub state_name: Option<String>,
    pub state_name_en: Option<String>,
    pub promised_days: u32,
    pub legal_days: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub promised_deadline: Option<NaiveDate>,
    pub legal_deadline: Option<NaiveDate>,
    pub state_deadline: Option<NaiveDate>,
    pub paused_days: u32,
    pub warned: bool,
    pub overdue: bool,
    pub legal_overdue: bool,
    /// Items of the bundle this one waits for.
    pub prerequisites: Vec<String>,
    /// The actions the viewer may take now.
    pub actions: Vec<ActionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    pub round: u32,
    /// very_satisfied | satisfied | basic | dissatisfied | very_dissatisfied
    pub level: String,
    pub level_name: String,
    pub score: u8,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RectificationView {
    pub id: String,
    pub department: String,
    pub department_name: String,
    /// open | responded | closed
    pub status: String,
    pub status_name: String,
    pub opened_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub response: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closing_level: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    pub materials: u64,
    pub trips: u64,
    pub days: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    pub target: TargetView,
    pub applicant: ApplicantView,
    /// online | window
    pub channel: String,
    pub division: Option<String>,
    /// in_progress | supplementing | completed | partially_completed | rejected | withdrawn
    pub status: String,
    pub status_name: String,
    pub status_name_en: String,
    pub submitted_at: DateTime<Utc>,
    pub deadline: Option<NaiveDate>,
    pub finished_at: Option<DateTime<Utc>>,
    pub form: BTreeMap<String, String>,
    pub materials: Vec<MaterialView>,
    pub cases: Vec<CaseView>,
    pub ratings: Vec<RatingView>,
    pub rectifications: Vec<RectificationView>,
    /// What applying item by item would have taken (Σ of the items).
    pub item_by_item: FiguresView,
    /// What this application took: materials uploaded, trips, working days (when finished).
    pub this_application: FiguresView,
    pub can_rate: bool,
    pub can_withdraw: bool,
    /// Only in the window's answer to a filing that found the resident's account unclaimed (opened
    /// at a window, never registered) with no live claim code: the new claim code to hand over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_code: Option<crate::areas::identity::views::ClaimCodeView>,
}

pub fn application_view(state: &AppState, viewer: &Account, app: &Application) -> ApplicationView {
    let c = state.catalog();
    let engine = state.engine();
    let handler = viewer.kind == AccountKind::Staff && can_view(viewer, app);
    let key = if app.is_applicant(viewer.id) || handler { app.applicant.key.clone() } else { mask_key(&app.applicant.key) };
    let bundle = match &app.target {
        onething::Target::Bundle(code) => c.bundle(code),
        onething::Target::Item(_) => None,
    };
    let materials = app
        .materials
        .iter()
        .map(|m| {
            let (name, name_en) = c
                .material(&m.material)
                .map(|x| (x.name.clone(), x.name_en.clone()))
                .unwrap_or_else(|| (m.material.clone(), m.material.clone()));
            let code = m.source.code();
            let mut v = MaterialView {
                code: m.material.clone(),
                name,
                name_en,
                needed_by: m.needed_by.clone(),
                source: code.to_owned(),
                source_name: source_name(code).to_owned(),
                record_id: None,
                record_type: None,
                department: None,
                department_name: None,
                issued_at: None,
                item: None,
                upload_id: None,
                from_application: None,
            };
            match &m.source {
                MaterialSource::Shared { record_id, record_type, department, issued_at } => {
                    v.record_id = Some(record_id.to_string());
                    v.record_type = Some(record_type.clone());
                    v.department_name = Some(dept_name(c, department));
                    v.department = Some(department.clone());
                    v.issued_at = Some(*issued_at);
                }
                MaterialSource::IssuedInBundle { item, record_id } => {
                    v.item = Some(item.clone());
                    v.record_id = record_id.map(|r| r.to_string());
                }
                MaterialSource::Upload { upload_id } => v.upload_id = Some(upload_id.to_string()),
                MaterialSource::Reused { upload_id, from_application } => {
                    v.upload_id = Some(upload_id.to_string());
                    v.from_application = Some(from_application.to_string());
                }
            }
            v
        })
        .collect();
    let cases = app
        .cases
        .iter()
        .map(|k| {
            let (item_name, item_name_en) = item_names(c, &k.item);
            let wf = c.workflow(&k.workflow);
            let st = k.state.as_deref().and_then(|s| wf.and_then(|w| w.state(s)));
            let actor = actor_for(viewer, app, Some(k.id));
            let actions = engine
                .available_actions(app, k.id, &actor)
                .into_iter()
                .map(|a| ActionView { code: a.code, name: a.name, name_en: a.name_en, requires_comment: a.requires_comment })
                .collect();
            CaseView {
                id: k.id.to_string(),
                item: k.item.clone(),
                item_name,
                item_name_en,
                department_name: dept_name(c, &k.department),
                department: k.department.clone(),
                status: k.status.code().to_owned(),
                status_name: k.status.name_zh().to_owned(),
                status_name_en: k.status.name_en().to_owned(),
                state: k.state.clone(),
                state_name: st.map(|s| s.name.clone()),
                state_name_en: st.map(|s| s.name_en.clone()),
                promised_days: k.promised_days,
                legal_days: k.legal_days,
                started_at: k.started_at,
                finished_at: k.finished_at,
                promised_deadline: k.promised_deadline,
                legal_deadline: k.legal_deadline,
                state_deadline: k.state_deadline,
                paused_days: k.paused_days,
                warned: k.warned,
                overdue: k.overdue,
                legal_overdue: k.legal_overdue,
                prerequisites: bundle.map(|b| b.prerequisites_of(&k.item).to_vec()).unwrap_or_default(),
                actions,
            }
        })
        .collect();
    let ratings = app
        .ratings
        .iter()
        .map(|r| RatingView {
            round: r.round,
            level: r.level.code().to_owned(),
            level_name: r.level.name_zh().to_owned(),
            score: r.level.score(),
            comment: r.comment.clone(),
            at: r.at,
        })
        .collect();
    let rectifications = app
        .rectifications
        .iter()
        .map(|r| RectificationView {
            id: r.id.to_string(),
            department_name: dept_name(c, &r.department),
            department: r.department.clone(),
            status: r.status.code().to_owned(),
            status_name: r.status.name_zh().to_owned(),
            opened_at: r.opened_at,
            due_on: r.due_on,
            overdue: r.overdue,
            response: r.response.clone(),
            responded_at: r.responded_at,
            closed_at: r.closed_at,
            closing_level: r.closing_level.map(|l| l.code().to_owned()),
        })
        .collect();
    let is_applicant = app.is_applicant(viewer.id);
    let awaiting_rerating = app.rectifications.iter().any(|r| r.status == RectificationStatus::Responded);
    let target = target_view(c, app.target.kind(), app.target.code());
    ApplicationView {
        id: app.id.to_string(),
        target,
        applicant: ApplicantView {
            subject: store::codec::subject_code(app.applicant.subject).to_owned(),
            name: app.applicant.name.clone(),
            key,
        },
        channel: app.channel.code().to_owned(),
        division: app.division.clone(),
        status: app.status.code().to_owned(),
        status_name: app.status.name_zh().to_owned(),
        status_name_en: app.status.name_en().to_owned(),
        submitted_at: app.submitted_at,
        deadline: app.deadline,
        finished_at: app.finished_at,
        form: app.form.clone(),
        materials,
        cases,
        ratings,
        rectifications,
        item_by_item: FiguresView {
            materials: u64::from(app.baseline.materials),
            trips: u64::from(app.baseline.trips),
            days: Some(u64::from(app.baseline.days)),
        },
        this_application: FiguresView {
            materials: u64::from(app.uploaded_materials()),
            trips: u64::from(app.trips()),
            days: app.elapsed_days.map(u64::from),
        },
        can_rate: is_applicant && app.status.is_finished() && (app.ratings.is_empty() || awaiting_rerating),
        can_withdraw: is_applicant && !app.status.is_finished(),
        claim_code: None,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppSummaryView {
    pub id: String,
    pub target: TargetView,
    /// Masked (张*丰).
    pub applicant_name: String,
    /// Masked ID number or credit code.
    pub applicant_key: String,
    pub channel: String,
    pub status: String,
    pub status_name: String,
    pub submitted_at: DateTime<Utc>,
    pub deadline: Option<NaiveDate>,
    pub finished_at: Option<DateTime<Utc>>,
    pub items: i64,
    pub rating: Option<i64>,
}

pub fn summary_view(c: &Catalog, s: &store::AppSummary, own: bool) -> AppSummaryView {
    let status = AppStatus::parse(&s.status);
    AppSummaryView {
        id: s.id.to_string(),
        target: target_view(c, &s.target_kind, &s.target_code),
        applicant_name: if own { s.applicant_name.clone() } else { domain::mask::name(&s.applicant_name) },
        applicant_key: mask_key(&s.applicant_key),
        channel: s.channel.clone(),
        status: s.status.clone(),
        status_name: status.map(|x| x.name_zh().to_owned()).unwrap_or_default(),
        submitted_at: s.submitted_at,
        deadline: s.deadline,
        finished_at: s.finished_at,
        items: s.item_count,
        rating: s.last_rating,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseRowView {
    pub id: String,
    pub application: String,
    pub item: String,
    pub item_name: String,
    pub department: String,
    pub department_name: String,
    pub status: String,
    pub status_name: String,
    pub state: Option<String>,
    pub state_name: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub promised_deadline: Option<NaiveDate>,
    pub legal_deadline: Option<NaiveDate>,
    /// Working days left to the promised deadline (negative when overdue).
    pub days_left: Option<i64>,
    pub warned: bool,
    pub overdue: bool,
    pub legal_overdue: bool,
    pub applicant_name: String,
    pub applicant_key: String,
    pub target: TargetView,
    pub channel: String,
}

pub fn case_row_view(state: &AppState, r: &store::CaseRow) -> CaseRowView {
    let c = state.catalog();
    let today = domain::china_date(state.now());
    let wf = c.item(&r.item).and_then(|i| c.workflow(&i.workflow));
    let state_name = r.state.as_deref().and_then(|s| wf.and_then(|w| w.state(s))).map(|s| s.name.clone());
    CaseRowView {
        id: r.id.to_string(),
        application: r.application.to_string(),
        item_name: item_names(c, &r.item).0,
        item: r.item.clone(),
        department_name: dept_name(c, &r.department),
        department: r.department.clone(),
        status_name: CaseStatus::parse(&r.status).map(|s| s.name_zh().to_owned()).unwrap_or_default(),
        status: r.status.clone(),
        state: r.state.clone(),
        state_name,
        started_at: r.started_at,
        promised_deadline: r.promised_deadline,
        legal_deadline: r.legal_deadline,
        days_left: r.promised_deadline.map(|d| state.calendar().working_days_between(today, d)),
        warned: r.warned,
        overdue: r.overdue,
        legal_overdue: r.legal_overdue,
        applicant_name: domain::mask::name(&r.applicant_name),
        applicant_key: mask_key(&r.applicant_key),
        target: target_view(c, &r.target_kind, &r.target_code),
        channel: r.channel.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: String,
    pub kind: String,
    pub application: String,
    pub case: Option<String>,
    pub text: String,
    pub text_en: String,
    pub created_at: DateTime<Utc>,
    /// pending | delivered | failed
    pub delivery: String,
}

pub fn notice_view(n: &store::Notice) -> NoticeView {
    NoticeView {
        id: n.id.to_string(),
        kind: n.kind.clone(),
        application: n.application.to_string(),
        case: n.case.map(|c| c.to_string()),
        text: n.text_zh.clone(),
        text_en: n.text_en.clone(),
        created_at: n.created_at,
        delivery: n.status.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub seq: i64,
    pub case: Option<String>,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub role: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: String,
    pub hash: String,
}

pub fn history_view(h: &onething::HistoryEntry) -> HistoryView {
    HistoryView {
        seq: h.seq,
        case: h.case.map(|c| c.to_string()),
        at: h.at,
        actor: h.actor.map(|a| a.to_string()),
        role: h.role.clone(),
        action: h.action.clone(),
        from_state: h.from_state.clone(),
        to_state: h.to_state.clone(),
        detail: h.detail.clone(),
        hash: h.hash.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldView {
    pub key: String,
    pub label: String,
    pub label_en: String,
    /// text | long_text | date | datetime | number | choice | id_number | credit_code | phone
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    /// Pre-filled from the last application when allowed.
    pub reuse: bool,
    pub max_len: Option<u32>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub choices: Vec<ChoiceView>,
    /// The value pre-filled from the applicant's last application, if any.
    pub prefilled: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChoiceView {
    pub value: String,
    pub label: String,
    pub label_en: String,
}

pub fn field_view(f: &Field, prefilled: Option<String>) -> FieldView {
    let (max_len, min, max, choices) = match &f.kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => (Some(*max_len), None, None, vec![]),
        FieldKind::Number { min, max } => (None, *min, *max, vec![]),
        FieldKind::Choice { choices } => (
            None,
            None,
            None,
            choices
                .iter()
                .map(|c| ChoiceView { value: c.value.clone(), label: c.label.clone(), label_en: c.label_en.clone() })
                .collect(),
        ),
        _ => (None, None, None, vec![]),
    };
    FieldView {
        key: f.key.clone(),
        label: f.label.clone(),
        label_en: f.label_en.clone(),
        kind: f.kind.code().to_owned(),
        required: f.required,
        reuse: f.reuse,
        max_len,
        min,
        max,
        choices,
        prefilled,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedMaterialView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub needed_by: Vec<String>,
    /// shared | issued_in_bundle | reused | to_upload
    pub status: String,
    pub status_name: String,
    pub record_id: Option<String>,
    pub record_type: Option<String>,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub item: Option<String>,
    pub upload_id: Option<String>,
    pub from_application: Option<String>,
}

pub fn planned_material_view(c: &Catalog, m: &PlannedMaterial) -> PlannedMaterialView {
    let mut v = PlannedMaterialView {
        code: m.material.clone(),
        name: m.name.clone(),
        name_en: m.name_en.clone(),
        needed_by: m.needed_by.clone(),
        status: String::new(),
        status_name: String::new(),
        record_id: None,
        record_type: None,
        department: None,
        department_name: None,
        issued_at: None,
        item: None,
        upload_id: None,
        from_application: None,
    };
    let status = match &m.provision {
        Provision::Shared { record } => {
            v.record_id = Some(record.id.to_string());
            v.record_type = Some(record.record_type.clone());
            v.department = Some(record.department.clone());
            v.department_name = Some(dept_name(c, &record.department));
            v.issued_at = Some(record.issued_at);
            "shared"
        }
        Provision::IssuedInBundle { item } => {
            v.item = Some(item.clone());
            "issued_in_bundle"
        }
        Provision::Reused { source } => {
            if let MaterialSource::Reused { upload_id, from_application } = source {
                v.upload_id = Some(upload_id.to_string());
                v.from_application = Some(from_application.to_string());
            }
            "reused"
        }
        Provision::ToUpload => "to_upload",
    };
    v.status = status.to_owned();
    v.status_name = source_name(status).to_owned();
    v
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub target: TargetView,
    pub applicant: ApplicantView,
    pub items: Vec<String>,
    pub materials: Vec<PlannedMaterialView>,
    pub fields: Vec<FieldView>,
    /// The last application reused for a repeat, if any.
    pub prior: Option<String>,
    /// Σ materials of the items applied for one by one.
    pub item_by_item_materials: u32,
    /// Materials still to upload now.
    pub to_upload: usize,
}

/// The short answer to a change when the client sends `Prefer: return=minimal` (RFC 7240): the
/// application's status and each case's state, enough to continue without the full representation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationBrief {
    pub id: String,
    pub status: String,
    pub deadline: Option<NaiveDate>,
    pub cases: Vec<CaseBrief>,
    /// As in `ApplicationView`: a window's new claim code for the resident.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_code: Option<crate::areas::identity::views::ClaimCodeView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseBrief {
    pub id: String,
    pub item: String,
    pub department: String,
    pub status: String,
    pub state: Option<String>,
}

pub fn application_brief(app: &Application) -> ApplicationBrief {
    ApplicationBrief {
        id: app.id.to_string(),
        status: app.status.code().to_owned(),
        deadline: app.deadline,
        cases: app
            .cases
            .iter()
            .map(|c| CaseBrief {
                id: c.id.to_string(),
                item: c.item.clone(),
                department: c.department.clone(),
                status: c.status.code().to_owned(),
                state: c.state.clone(),
            })
            .collect(),
        claim_code: None,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemsQuery {
    pub department: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// How many items (事项) it handles.
    pub items: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub bundle: Option<String>,
    pub item: Option<String>,
    /// Window staff: the applicant's ID number or credit code.
    #[param(pattern = "^([0-9]{17}[0-9Xx]|[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10})$")]
    pub applicant: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Uploads.

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    pub id: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub file_name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name as the applicant knows it.
    pub name: Option<String>,
}

/// A file's raw bytes, as the body of an upload (for the document only: the handler reads `Bytes`).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    pub target: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The action code, e.g. `accept`, `approve`, `request_supplement`, `supplement`, `reject`.
    pub action: String,
    /// Opinion or reason (required for rejections and supplement requests).
    pub comment: Option<String>,
    /// Supplementary uploads by material code (for the `supplement` action).
    #[serde(default)]
    pub materials: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// very_satisfied 非常满意 | satisfied 满意 | basic 基本满意 | dissatisfied 不满意 | very_dissatisfied 非常不满意
    /// (or the score, 5 to 1)
    #[schema(schema_with = crate::openapi::rating_levels)]
    pub level: String,
    pub comment: Option<String>,
    /// For a bad rating: the departments it is about (default: all that handled it).
    #[serde(default)]
    pub departments: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationBody {
    /// What was found and put right (整改情况).
    pub response: String,
}

// ---------------------------------------------------------------------------------------------
// Staff queues and supervision.

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// waiting | active | paused | approved | rejected | cancelled (default: the open ones)
    pub status: Option<String>,
    pub overdue: Option<bool>,
    /// Only cases due within this many working days.
    pub due_within: Option<i64>,
    /// Admins: one department.
    pub department: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RectQuery {
    /// open | responded | closed
    pub status: Option<String>,
    pub department: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RectificationRowView {
    pub id: String,
    pub application: String,
    pub department: String,
    pub department_name: String,
    pub status: String,
    pub status_name: String,
    pub opened_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub response: Option<String>,
    pub target: crate::areas::onething::views::TargetView,
    pub applicant_name: String,
    pub rating: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Reports.

#[derive(Debug, Serialize, ToSchema)]
pub struct ReductionLine {
    pub bundle: String,
    pub name: String,
    pub name_en: String,
    /// Completed applications measured.
    pub applications: i64,
    /// Σ item by item over those applications.
    pub baseline: serde_json::Value,
    /// Σ what the applicants actually did.
    pub actual: serde_json::Value,
    /// 1 − actual ÷ baseline for materials, trips and days (0.8 = −80%).
    pub reduction: serde_json::Value,
    /// The same as designed in the catalog, for one application.
    pub designed: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReductionReport {
    pub total: ReductionLine,
    pub bundles: Vec<ReductionLine>,
    pub formula: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub applications_by_status: BTreeMap<String, i64>,
    pub notices: serde_json::Value,
    pub satisfaction: serde_json::Value,
}
