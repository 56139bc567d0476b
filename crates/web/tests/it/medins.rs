//! The medical-insurance pages over HTTP (issue 35): only the bureau and hospitals open them, a
//! tertiary hospital applies and the bureau decides (a refusal without its reason is sent back
//! with the error next to the field, and nothing changes), a hospital sees only its own episodes
//! and its own part of a settlement, and a month is previewed, frozen and approved by another
//! person — the same person's approval refused on the page.

use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::Client;
use crate::helpers::TestWeb;
use crate::helpers::api_token;

/// An in-patient episode as a hospital sends it.
pub fn episode(hospital: &str, id: &str, patient: &str, admitted: &str, discharged: &str, dx: &str, cost_fen: i64) -> Value {
    json!({
        "hospital": hospital, "id": id, "patient": patient, "admitted": admitted, "discharged": discharged,
        "age": 67, "sex": "female", "principal_dx": dx, "other_dx": [], "procedures": [],
        "costs": [{"category": "bed", "fen": cost_fen / 5}, {"category": "western_medicine", "fen": cost_fen - cost_fen / 5}],
        "insurance": "employee"
    })
}

/// Sends episodes through the JSON API as `login` (a hospital's staff sends its own).
pub async fn send(t: &TestWeb, login: &str, episodes: Vec<Value>) {
    let token = api_token(t, login).await;
    let r = reqwest::Client::new().post(format!("{}/api/medins/episodes", t.url)).bearer_auth(token).json(&json!({ "episodes": episodes })).send().await.expect("POST");
    let status = r.status();
    assert_eq!(status, StatusCode::OK, "{}", r.text().await.unwrap_or_default());
}

/// Two residents, patients of the episodes.
pub async fn patients(t: &TestWeb) -> (String, String) {
    let a = t.citizen().await;
    let b = t.state.store.registers().bench_citizens(5).await.expect("citizens").into_iter().find(|x| *x != a).expect("another resident");
    (a, b)
}

fn hospital_name(t: &TestWeb, code: &str) -> String {
    t.state.pool.recognition.institution(code).expect("institution").name.clone()
}

async fn membership(t: &TestWeb, code: &str) -> String {
    t.state.store.medins().hospital(code).await.expect("query").expect("hospital").membership
}

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

#[tokio::test]
async fn only_the_bureau_and_hospitals_open_the_insurance_pages() {
    let t = TestWeb::spawn(0).await;
    let anon = t.client();
    let r = anon.get("/medins").await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/login?next=/medins")));
    let resident = signed_in(&t, &t.citizen().await).await;
    let window = signed_in(&t, "window").await;
    for (who, c) in [("a resident", &resident), ("a window clerk", &window)] {
        for path in ["/medins", "/medins/settlements/2026-02"] {
            let r = c.get(path).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} may not open {path}");
            assert!(r.body.contains("无权访问") && r.body.contains("您的账号无权使用此功能"), "{who}: the forbidden page: {}", r.body);
        }
        assert!(!c.get("/").await.body.contains("href=\"/medins\""), "{who} has no link to it");
    }
    // A hospital does not decide, preview or approve; the bureau does not apply.
    let doctor = signed_in(&t, "fy-1h_doctor").await;
    let page = doctor.get("/medins").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("href=\"/medins\" aria-current=\"page\""), "in the hospital's navigation");
    let csrf = page.csrf();
    let r = doctor.post("/medins/settlements/preview", &[("_csrf", &csrf), ("month", "2026-02"), ("budget", "1000")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = doctor.post("/medins/hospitals/fy-1h/decision", &[("_csrf", &csrf), ("decision-fy-1h", "approve")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let clerk = signed_in(&t, "ybj_clerk").await;
    let page = clerk.get("/medins").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("href=\"/medins\""), "in the bureau's navigation");
    let r = clerk.post("/medins/hospitals/fy-1h/apply", &[("_csrf", &page.csrf())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin = signed_in(&t, "admin").await;
    assert_eq!(admin.get("/medins").await.status, StatusCode::OK);
    t.shutdown().await;
}

#[tokio::test]
async fn a_hospital_applies_and_the_bureau_decides_on_the_page() {
    let t = TestWeb::spawn(0).await;
    let (fy1h, fy2h) = (hospital_name(&t, "fy-1h"), hospital_name(&t, "fy-2h"));

    // The tertiary hospital is not in; it applies.
    let doctor = signed_in(&t, "fy-1h_doctor").await;
    let page = doctor.get("/medins").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&fy1h) && page.body.contains("未加入"), "{}", page.body);
    assert!(page.body.contains("action=\"/medins/hospitals/fy-1h/apply\""), "a tertiary hospital not in may apply");
    let r = doctor.post("/medins/hospitals/fy-1h/apply", &[("_csrf", &page.csrf()), ("note", "已具备按床日付费条件")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/medins?done=applied")), "{}", r.body);
    let page = doctor.get("/medins?done=applied").await;
    assert!(page.body.contains("申请已提交") && page.body.contains("已申请，待审核"), "{}", page.body);
    assert!(!page.body.contains("/apply\""), "no second application while the first is pending");
    // A secondary hospital is included without applying.
    let other = signed_in(&t, "fy-2h_doctor").await;
    let page = other.get("/medins").await;
    assert!(page.body.contains(&fy2h) && page.body.contains("已纳入") && page.body.contains("无需申请"), "{}", page.body);
    assert!(!page.body.contains("/apply\""));

    // The bureau sees the hospitals and the application.
    let clerk = signed_in(&t, "ybj_clerk").await;
    let page = clerk.get("/medins").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&fy1h) && page.body.contains(&fy2h), "the scheme's hospitals are listed");
    assert!(page.body.contains("已具备按床日付费条件"), "with the hospital's note");
    assert!(page.body.contains("action=\"/medins/hospitals/fy-1h/decision\""), "{}", page.body);
    let csrf = page.csrf();

    // A refusal without its reason: the error next to the field, and nothing changes.
    let r = clerk.post("/medins/hospitals/fy-1h/decision", &[("_csrf", &csrf), ("decision-fy-1h", "refuse"), ("note-fy-1h", "  ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-note-fy-1h-error\"") && r.body.contains("href=\"#f-note-fy-1h\""), "next to the field, linked from the summary: {}", r.body);
    assert!(r.body.contains("不予批准时须写明理由"), "{}", r.body);
    assert!(r.body.contains("value=\"refuse\" checked"), "the choice is kept");
    assert_eq!(membership(&t, "fy-1h").await, "applied", "nothing changed");
    // No choice at all.
    let r = clerk.post("/medins/hospitals/fy-1h/decision", &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-decision-fy-1h-error\""), "{}", r.body);
    // A bad date.
    let r = clerk.post("/medins/hospitals/fy-1h/decision", &[("_csrf", &csrf), ("decision-fy-1h", "approve"), ("since-fy-1h", "2026-02-30")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-since-fy-1h-error\""), "{}", r.body);
    assert_eq!(membership(&t, "fy-1h").await, "applied");

    // Approved from January.
    let r = clerk.post("/medins/hospitals/fy-1h/decision", &[("_csrf", &csrf), ("decision-fy-1h", "approve"), ("since-fy-1h", "2026-01-01")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/medins?done=approved")), "{}", r.body);
    assert_eq!(membership(&t, "fy-1h").await, "approved");
    let page = clerk.get("/medins?done=approved").await;
    assert!(page.body.contains("已批准纳入") && page.body.contains("申请已批准") && page.body.contains("2026-01-01"), "{}", page.body);
    assert!(page.body.contains("暂无待审核的纳入申请"), "nothing left to decide");
    let page = doctor.get("/medins").await;
    assert!(page.body.contains("申请已批准") && page.body.contains("2026-01-01"), "the hospital sees it");
    // In English.
    clerk.get("/prefs/lang/en?back=/").await;
    let page = clerk.get("/medins").await;
    assert!(page.body.contains("<h1>Medical insurance payment</h1>") && page.body.contains("Approved") && page.body.contains("Tertiary"), "{}", page.body);
    t.shutdown().await;
}

#[tokio::test]
async fn a_month_is_previewed_frozen_and_approved_by_another_person_and_hospitals_see_their_own() {
    let t = TestWeb::spawn(0).await;
    let (a, b) = patients(&t).await;
    let (fy1h, fy2h) = (hospital_name(&t, "fy-1h"), hospital_name(&t, "fy-2h"));
    send(&t, "fy-1h_doctor", vec![
        episode("fy-1h", "ZY2025-0901", &b, "2025-12-01", "2025-12-15", "I63.9", 1_500_000),
        episode("fy-1h", "ZY2026-0001", &a, "2026-02-02", "2026-02-09", "J18.9", 900_000),
        episode("fy-1h", "ZY2026-0002", &b, "2026-02-03", "2026-02-12", "I63.9", 1_200_000),
        episode("fy-1h", "ZY2026-0003", &a, "2026-02-16", "2026-02-20", "J18.9", 700_000),
    ])
    .await;
    send(&t, "fy-2h_doctor", vec![episode("fy-2h", "E2H-0077", &b, "2026-02-10", "2026-02-14", "J18.9", 400_000)]).await;

    // A hospital sees its own episodes only, patients masked.
    let doctor = signed_in(&t, "fy-1h_doctor").await;
    let page = doctor.get("/medins").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for id in ["ZY2026-0001", "ZY2026-0002", "ZY2026-0003", "ZY2025-0901"] {
        assert!(page.body.contains(id), "{id} listed");
    }
    assert!(!page.body.contains("E2H-0077"), "another hospital's episode is not shown");
    assert!(!page.body.contains(&a) && !page.body.contains(&b), "ID numbers are masked");
    assert!(page.body.contains(&domain::mask::id_number(&a)), "as the use case masks them");
    assert!(page.body.contains("¥9,000.00"), "money in yuan with separators");
    let other = signed_in(&t, "fy-2h_doctor").await;
    let page = other.get("/medins").await;
    assert!(page.body.contains("E2H-0077") && !page.body.contains("ZY2026-0001"), "{}", page.body);

    // fy-1h joins from January (through the use cases: the page flow is tested above).
    let clerk = signed_in(&t, "ybj_clerk").await;
    let csrf = doctor.get("/medins").await.csrf();
    assert_eq!(doctor.post("/medins/hospitals/fy-1h/apply", &[("_csrf", &csrf)]).await.status, StatusCode::SEE_OTHER);
    let csrf = clerk.get("/medins").await.csrf();
    let r = clerk.post("/medins/hospitals/fy-1h/decision", &[("_csrf", &csrf), ("decision-fy-1h", "approve"), ("since-fy-1h", "2026-01-01")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The indicators: the district's charts and fy-1h before and after it joined.
    let page = clerk.get("/medins").await;
    assert!(page.body.contains("id=\"mi-los-t\"") && page.body.contains("id=\"mi-cost-t\""), "both charts drawn");
    let before_after = page.body.split_once("各医院加入前后对比").expect("the before/after table").1;
    assert!(before_after.contains(&fy1h) && before_after.contains("\u{2212}"), "fy-1h's stays got shorter and cheaper: {before_after}");

    // Garbage in the preview form: errors next to their fields.
    let r = clerk.post("/medins/settlements/preview", &[("_csrf", &csrf), ("month", "2026-13"), ("budget", "100000")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-month-error\""), "{}", r.body);
    let r = clerk.post("/medins/settlements/preview", &[("_csrf", &csrf), ("month", "2026-02"), ("budget", "1,000")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-budget-error\"") && r.body.contains("value=\"2026-02\""), "{}", r.body);
    let r = clerk.post("/medins/settlements/preview", &[("_csrf", &csrf), ("month", "2026-02"), ("budget", "0")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-budget-error\""), "the use case's refusal stands next to the budget: {}", r.body);

    // The preview: point value, payments per hospital, re-admissions, the first lines.
    let r = clerk.post("/medins/settlements/preview", &[("_csrf", &csrf), ("month", "2026-02"), ("budget", "100000")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let preview = r.body.split_once("id=\"preview-result\"").expect("the preview").1;
    assert!(preview.contains("2026-02 结算预览") && preview.contains("¥100,000.00"), "{preview}");
    assert!(preview.contains(&fy1h) && preview.contains(&fy2h), "payments per hospital");
    assert!(preview.contains("ZY2026-0003") && preview.contains("再入院（前次 ZY2026-0001）"), "the re-admission is flagged");
    assert!(!preview.contains(&a), "patients masked");
    assert!(preview.contains("action=\"/medins/settlements/2026-02/freeze\""));
    // March is not over: not frozen, said on the page.
    let r = clerk.post("/medins/settlements/2026-03/freeze", &[("_csrf", &csrf), ("budget", "100000")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("当月尚未结束"), "{}", r.body);
    let r = clerk.post("/medins/settlements/2026-02/freeze", &[("_csrf", &csrf), ("budget", "100000")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/medins?done=frozen")), "{}", r.body);
    let page = clerk.get("/medins?done=frozen").await;
    assert!(page.body.contains("结算已冻结") && page.body.contains("已冻结，待审批"), "{}", page.body);
    assert!(page.body.contains("action=\"/medins/settlements/2026-02/approve\""));

    // The same person may not approve: refused on the page, nothing changed.
    let r = clerk.post("/medins/settlements/2026-02/approve", &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("class=\"error-summary\"") && r.body.contains("冻结和审批须由不同的人完成"), "{}", r.body);
    assert!(r.body.contains("<h1>医保支付管理</h1>"), "the page itself, not an error page");
    assert_eq!(t.state.store.medins().settlement("2026-02").await.expect("query").expect("frozen").status, "frozen");
    let approver = signed_in(&t, "ybj_approver").await;
    let csrf = approver.get("/medins").await.csrf();
    let r = approver.post("/medins/settlements/2026-02/approve", &[("_csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/medins?done=settled")), "{}", r.body);
    let page = approver.get("/medins?done=settled").await;
    assert!(page.body.contains("结算已审批") && page.body.contains("已审批"), "{}", page.body);
    let detail = approver.get("/medins/settlements/2026-02").await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert!(detail.body.contains(&fy1h) && detail.body.contains(&fy2h) && detail.body.contains("E2H-0077"), "the bureau sees every line");

    // A hospital sees its own part of the month.
    let page = doctor.get("/medins").await;
    assert!(page.body.contains("href=\"/medins/settlements/2026-02\""), "its settlements listed");
    let own = doctor.get("/medins/settlements/2026-02").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(own.body.contains(&fy1h) && own.body.contains("ZY2026-0002"), "{}", own.body);
    assert!(!own.body.contains(&fy2h) && !own.body.contains("E2H-0077"), "not another hospital's payment or lines");
    assert!(!own.body.contains(&a) && !own.body.contains(&b), "patients masked");
    let r = doctor.get("/medins/settlements/2026-13").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.shutdown().await;
}
