//! Deadlines with a manual clock: the scheduler warns the department's clerks the working day
//! before a promised deadline, marks the case overdue the day after and escalates it to the
//! department's supervisor with an apology to the applicant; a paused case does not run late;
//! working days follow the holiday calendar with its adjusted working days (调休).
//!
//! Expected dates are worked out by hand from the 2026 calendar in `data/calendar` (国办发明电
//! 〔2025〕7号): March 2026 has no holidays; 劳动节 is 1–5 May with Saturday 9 May worked.
//! "n working days after d" counts the working days strictly after d.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, backends};

const CERT: &str = "cl-disability-cert";

fn case<'a>(app: &'a Value, item: &str) -> &'a Value {
    app["cases"].as_array().and_then(|cs| cs.iter().find(|c| c["item"] == item)).unwrap_or_else(|| panic!("case {item} in {app}"))
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn view(t: &TestApp, id: &str) -> Value {
    let admin = t.login("admin").await;
    let r = t.get(&admin, &format!("/api/applications/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn act(t: &TestApp, login: &str, app: &Value, item: &str, action: &str, comment: Option<&str>) -> Value {
    let token = t.login(login).await;
    let (id, case_id) = (app["id"].as_str().expect("id"), case(app, item)["id"].as_str().expect("case id"));
    let r = t.post(&token, &format!("/api/applications/{id}/cases/{case_id}/actions"), json!({ "action": action, "comment": comment })).await;
    assert_eq!(r.status, StatusCode::OK, "{login} {action}: {}", r.body);
    r.body
}

/// The notices a staff member sees, as (kind, application).
async fn staff_notices(t: &TestApp, login: &str) -> Vec<(String, String)> {
    let token = t.login(login).await;
    let r = t.get(&token, "/api/notices?limit=500").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| (n["kind"].as_str().unwrap_or("").to_owned(), n["application"].as_str().unwrap_or("").to_owned()))
        .collect()
}

async fn kinds_for_applicant(t: &TestApp, citizen: &str, id: &str) -> Vec<String> {
    let token = t.login(citizen).await;
    let r = t.get(&token, &format!("/api/applications/{id}/notices")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().expect("notices").iter().filter_map(|n| n["kind"].as_str().map(str::to_owned)).collect()
}

async fn warn_overdue_escalate(t: &TestApp) {
    // Monday 2 March 2026, 09:00. 残疾人一件事 starts with the disability certificate (残联, 10
    // promised and 20 legal working days); the two subsidies wait for it.
    let (a_login, a) = t.citizen().await;
    let (b_login, b) = t.other_citizen(&a_login).await;
    let first = t.file(&a, "disability").await;
    let id = first["id"].as_str().expect("id").to_owned();
    // 10 working days after Mon 2 Mar: 3–6 Mar (4), 9–13 Mar (9), Mon 16 Mar (10).
    assert_eq!(case(&first, CERT)["promised_deadline"], "2026-03-16");
    // 20 working days: … 16 Mar (10), 17–20 (14), 23–27 (19), Mon 30 Mar (20).
    assert_eq!(case(&first, CERT)["legal_deadline"], "2026-03-30");
    act(t, "cl_clerk", &first, CERT, "accept", None).await;

    // B's certificate is sent back for a supplement at once: its clock stands still.
    let paused = t.file(&b, "disability").await;
    let paused_id = paused["id"].as_str().expect("id").to_owned();
    let r = act(t, "cl_clerk", &paused, CERT, "request_supplement", Some("请补充近三个月的诊断证明")).await;
    assert_eq!(case(&r, CERT)["status"], "paused");

    assert!(t.tick().await.is_empty(), "nothing is due on the day of filing");

    // Thu 12 Mar: two working days left — no warning yet.
    t.set_china_time(date(2026, 3, 12), 9, 0);
    assert_eq!(t.tick().await.warned, 0);
    assert_eq!(case(&view(t, &id).await, CERT)["warned"], false);

    // Fri 13 Mar, the working day before the deadline: the clerks are warned, once.
    t.set_china_time(date(2026, 3, 13), 9, 0);
    let out = t.tick().await;
    assert_eq!((out.warned, out.overdue), (1, 0), "{out:?}");
    let app = view(t, &id).await;
    assert_eq!(case(&app, CERT)["warned"], true);
    assert_eq!(case(&app, CERT)["overdue"], false);
    let warning = ("deadline_warning".to_owned(), id.clone());
    assert!(staff_notices(t, "cl_clerk").await.contains(&warning), "the 残联 clerk is warned");
    assert!(staff_notices(t, "cl_reviewer").await.contains(&warning), "so are the department's reviewers");
    assert!(!staff_notices(t, "ga_clerk").await.contains(&warning), "another department's clerk is not");
    assert!(!staff_notices(t, "cl_supervisor").await.contains(&warning), "the supervisor is not, yet");
    assert!(!kinds_for_applicant(t, &a_login, &id).await.iter().any(|k| k == "deadline_warning"));
    let notices = t.count("notice").await;
    assert!(t.tick().await.is_empty(), "a second tick the same day does nothing");
    assert_eq!(t.count("notice").await, notices);

    // Mon 16 Mar, the deadline itself: not overdue yet.
    t.set_china_time(date(2026, 3, 16), 17, 30);
    assert_eq!(t.tick().await.overdue, 0);

    // Tue 17 Mar: overdue, escalated to the 残联 supervisor, an apology to the applicant.
    t.set_china_time(date(2026, 3, 17), 9, 0);
    let out = t.tick().await;
    assert_eq!(out.overdue, 1, "only the running case: {out:?}");
    let app = view(t, &id).await;
    assert_eq!(case(&app, CERT)["overdue"], true);
    let escalation = ("overdue".to_owned(), id.clone());
    assert!(staff_notices(t, "cl_supervisor").await.contains(&escalation));
    assert!(!staff_notices(t, "ga_supervisor").await.contains(&escalation));
    assert!(kinds_for_applicant(t, &a_login, &id).await.iter().any(|k| k == "overdue_applicant"), "the applicant is told");
    let history = t.get(&t.login(&a_login).await, &format!("/api/applications/{id}/history")).await.body;
    assert!(history.as_array().expect("history").iter().any(|h| h["action"] == "overdue"), "{history}");

    // 督办: the supervisor's list has it; another department's supervisor's does not.
    let cert_id = case(&app, CERT)["id"].as_str().expect("id").to_owned();
    let sup = t.login("cl_supervisor").await;
    let list = t.get(&sup, "/api/supervision/overdue").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let rows = list.body.as_array().expect("rows");
    let row = rows.iter().find(|r| r["id"] == cert_id.as_str()).unwrap_or_else(|| panic!("the case in {rows:?}"));
    assert_eq!(row["overdue"], true);
    assert_eq!(row["days_left"], -1, "one working day past");
    let other = t.get(&t.login("ga_supervisor").await, "/api/supervision/overdue").await.body;
    assert!(!other.as_array().expect("rows").iter().any(|r| r["id"] == cert_id.as_str()), "{other}");
    let queue = t.get(&t.login("cl_clerk").await, "/api/cases?overdue=true").await.body;
    assert!(queue.as_array().expect("rows").iter().any(|r| r["id"] == cert_id.as_str()), "{queue}");

    // The paused case did not run late, and nobody was told it did.
    let p = view(t, &paused_id).await;
    assert_eq!(case(&p, CERT)["status"], "paused");
    assert_eq!(case(&p, CERT)["overdue"], false);
    assert_eq!(case(&p, CERT)["warned"], false);
    assert!(!rows.iter().any(|r| r["application"] == paused_id.as_str()));
    assert!(!kinds_for_applicant(t, &b_login, &paused_id).await.iter().any(|k| k.starts_with("overdue")));

    // B supplies the documents on Tue 17 Mar. Paused from Mon 2 Mar: 3–6 (4), 9–13 (9), 16–17
    // (11) working days, so the deadline moves from 16 Mar by 11: 17–20 (4), 23–27 (9), 30–31
    // Mar (11) → Tue 31 Mar.
    let r = act(t, &b_login, &p, CERT, "resubmit", None).await;
    let c = case(&r, CERT);
    assert_eq!(c["status"], "active");
    assert_eq!(c["paused_days"], 11);
    assert_eq!(c["promised_deadline"], "2026-03-31");
    let out = t.tick().await;
    assert_eq!(out.overdue, 0, "{out:?}");
    assert_eq!(case(&view(t, &paused_id).await, CERT)["overdue"], false);
    assert!(!b.is_empty());
}

#[tokio::test]
async fn the_scheduler_warns_marks_overdue_and_escalates_on_every_backend() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        warn_overdue_escalate(&t).await;
        t.shutdown().await;
    }
}

#[tokio::test]
async fn working_days_skip_the_may_day_holiday_and_count_the_adjusted_saturday() {
    let t = TestApp::spawn(Db::Sqlite).await;
    // Friday 24 April 2026, the last Friday before 劳动节 (1–5 May; Saturday 9 May is worked).
    t.set_china_time(date(2026, 4, 24), 10, 0);
    let (login, citizen) = t.citizen().await;
    let app = t.file(&citizen, "disability").await;
    let id = app["id"].as_str().expect("id").to_owned();
    let c = case(&app, CERT);
    // 10 working days after Fri 24 Apr: 27–30 Apr (4), [1–5 May off], 6–8 May (7), Sat 9 May
    // (8, worked), 11–12 May (10) → Tue 12 May. Without the holiday it would be 8 May; without
    // the worked Saturday, 13 May.
    assert_eq!(c["promised_deadline"], "2026-05-12", "{c}");
    // 20 working days: … 12 May (10), 13–15 (13), 18–22 (18), 25–26 May (20) → Tue 26 May.
    assert_eq!(c["legal_deadline"], "2026-05-26", "{c}");
    // The subsidies start when the certificate is expected (12 May) and take 10 more working
    // days: 13–15 (3), 18–22 (8), 25–26 May (10) → the bundle is due Tue 26 May.
    assert_eq!(app["deadline"], "2026-05-26", "{app}");
    act(&t, "cl_clerk", &app, CERT, "accept", None).await;

    // The warning is due the working day before Tue 12 May, Mon 11 May. On Sat 9 May (a worked
    // Saturday) two working days are left, 11 and 12 May: no warning yet.
    t.set_china_time(date(2026, 5, 9), 9, 0);
    assert_eq!(t.tick().await.warned, 0);
    let queue = t.get(&t.login("cl_clerk").await, "/api/cases").await.body;
    let row = queue.as_array().expect("rows").iter().find(|r| r["application"] == id.as_str()).expect("our case").clone();
    assert_eq!(row["days_left"], 2, "11 and 12 May: {row}");
    t.set_china_time(date(2026, 5, 11), 9, 0);
    assert_eq!(t.tick().await.warned, 1);
    // Wed 13 May: overdue.
    t.set_china_time(date(2026, 5, 13), 9, 0);
    assert_eq!(t.tick().await.overdue, 1);
    assert!(kinds_for_applicant(&t, &login, &id).await.iter().any(|k| k == "overdue_applicant"));
    t.shutdown().await;
}
