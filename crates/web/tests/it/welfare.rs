//! The welfare pages over HTTP (issue 31), as real users: a resident sees every benefit's decision
//! with its reasons and objects (an empty objection is sent back with the error next to the field
//! and changes nothing); the civil affairs clerk previews and freezes a month's run, cannot freeze
//! it twice nor approve it himself, the approver approves, the bank file downloads as CSV and the
//! bank's return file is taken (a bad one refused with its line and field); a community worker
//! sees the worklist of the division and records a visit; residents stay out of the staff pages
//! and of other households' happiness lists.

use reqwest::StatusCode;

use crate::helpers::Client;
use crate::helpers::TestWeb;

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

/// A benefit the civil affairs bureau (mzj) pays: (code, name).
fn mzj_benefit() -> (String, String) {
    let b = server::areas::welfare::cases::catalog().benefits.iter().find(|b| b.department == "mzj").expect("a benefit mzj pays");
    (b.code.clone(), b.name.clone())
}

/// A resident with an account living in `division` (and another household's id).
async fn resident_in(t: &TestWeb, division: &str) -> (String, i64) {
    for key in t.state.store.registers().bench_citizens(400).await.expect("citizens") {
        let p = t.state.store.registers().person_by_id_number(&key).await.expect("query").expect("person");
        if p.division.starts_with(division) {
            return (key, p.household.0);
        }
    }
    panic!("no resident with an account in {division}");
}

#[tokio::test]
async fn a_resident_sees_the_decisions_and_objects() {
    let t = TestWeb::spawn(0).await;
    let key = t.citizen().await;
    let c = signed_in(&t, &key).await;
    let page = c.get("/welfare").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>我的待遇</h1>") && page.body.contains("各项待遇的判断"), "{}", page.body);
    assert!(page.body.contains("href=\"/welfare\" aria-current=\"page\""), "in the resident's navigation");
    let (code, name) = mzj_benefit();
    assert!(page.body.contains(&name), "every benefit's decision is shown: {name}");
    assert!(page.body.contains("class=\"reasons\""), "with its clauses");
    assert!(page.body.contains("不符合") || page.body.contains("符合") || page.body.contains("可能符合"));
    let csrf = page.csrf();

    // An empty objection: the error next to the field, and nothing changes.
    let r = c.post("/welfare/objections", &[("_csrf", &csrf), ("benefit", &code), ("reason", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-reason-error\"") && r.body.contains("href=\"#f-reason\""), "next to the field, linked from the summary: {}", r.body);
    assert!(r.body.contains("<h1>我的待遇</h1>"), "the page itself, not an error page");
    assert!(r.body.contains(&format!("value=\"{code}\" selected")), "the choice is kept");
    assert!(t.state.store.welfare().objections(None, Some(&key)).await.expect("query").is_empty(), "nothing stored");
    // No benefit chosen.
    let r = c.post("/welfare/objections", &[("_csrf", &csrf), ("reason", "理由")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-benefit-error\""), "{}", r.body);

    // A real one.
    let r = c.post("/welfare/objections", &[("_csrf", &csrf), ("benefit", &code), ("reason", "我家的情况已经变化，请重新核实")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.as_deref().is_some_and(|l| l.starts_with("/welfare?done=objected")));
    let page = c.get("/welfare?done=objected").await;
    assert!(page.body.contains("异议已提交") && page.body.contains("我家的情况已经变化"), "{}", page.body);
    // A second one on the same benefit while the first is open: refused on the form.
    let r = c.post("/welfare/objections", &[("_csrf", &csrf), ("benefit", &code), ("reason", "再说一次")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("id=\"f-benefit-error\"") && r.body.contains("正在处理中"), "{}", r.body);

    // The department answers it; the resident reads the answer.
    let clerk = signed_in(&t, "mzj_clerk").await;
    let staff = clerk.get("/welfare/staff").await;
    assert_eq!(staff.status, StatusCode::OK, "{}", staff.body);
    assert!(staff.body.contains("我家的情况已经变化"), "the open objection is listed");
    assert!(!staff.body.contains(&key), "the person masked");
    let id = t.state.store.welfare().objections(None, Some(&key)).await.expect("query")[0].id;
    let action = format!("/welfare/objections/{id}/decision");
    let csrf = staff.csrf();
    let r = clerk.post(&action, &[("_csrf", &csrf), (&format!("uphold-{id}"), "no"), (&format!("answer-{id}"), "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-answer-{id}-error\"")), "{}", r.body);
    let r = clerk.post(&action, &[("_csrf", &csrf), (&format!("uphold-{id}"), "no"), (&format!("answer-{id}"), "经核实，您的情况不符合条件")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get("/welfare").await;
    assert!(page.body.contains("经核实，您的情况不符合条件") && page.body.contains("不成立"), "{}", page.body);

    // Asking for help: an empty request is sent back, a real one goes to the worklist.
    let csrf = page.csrf();
    let r = c.post("/welfare/help", &[("_csrf", &csrf), ("help", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-help-error\""), "{}", r.body);
    let r = c.post("/welfare/help", &[("_csrf", &csrf), ("help", "家人住院，收入中断")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/welfare?done=helped")), "{}", r.body);

    // The household's happiness list, its print layout and a bad period.
    let page = c.get("/welfare/happiness").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>幸福清单</h1>") && page.body.contains("您可能还可以享受") && page.body.contains("合计金额"), "{}", page.body);
    assert!(!page.body.contains(&key), "members masked");
    let print = c.get("/welfare/happiness?print=1").await;
    assert!(print.body.contains("print-sheet") && !print.body.contains("action=\"/welfare/happiness\""), "the print layout");
    let r = c.get("/welfare/happiness?from=2026-13").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-from-error\""), "{}", r.body);

    // In English.
    c.get("/prefs/lang/en?back=/").await;
    let page = c.get("/welfare").await;
    assert!(page.body.contains("<h1>My benefits</h1>") && page.body.contains("Each benefit"), "{}", page.body);
    t.shutdown().await;
}

#[tokio::test]
async fn a_run_is_previewed_frozen_once_and_approved_by_another_person() {
    let t = TestWeb::spawn(0).await;
    let clerk = signed_in(&t, "mzj_clerk").await;
    let page = clerk.get("/welfare").await;
    assert_eq!((page.status, page.location.as_deref()), (StatusCode::SEE_OTHER, Some("/welfare/staff")), "staff are sent to their page");
    let page = clerk.get("/welfare/staff").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>待遇发放</h1>") && page.body.contains("待遇目录") && page.body.contains(&mzj_benefit().1), "{}", page.body);
    assert!(page.body.contains("href=\"/welfare/staff\" aria-current=\"page\""), "in the navigation");
    let csrf = page.csrf();

    // Last month, unless the demo has paid it already (then the next month not yet run).
    let today = domain::china_date(t.state.now());
    let runs = t.state.store.welfare().runs().await.expect("runs");
    let month = [today.checked_sub_months(chrono::Months::new(1)), Some(today), today.checked_add_months(chrono::Months::new(1))]
        .into_iter()
        .flatten()
        .map(|m| m.format("%Y-%m").to_string())
        .find(|m| !runs.iter().any(|r| r.month == *m && r.department == "mzj"))
        .expect("a month not run");

    // A bad month: next to the field.
    let r = clerk.post("/welfare/runs/preview", &[("_csrf", &csrf), ("month", "2026-13")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-month-error\""), "{}", r.body);
    // The preview.
    let r = clerk.post("/welfare/runs/preview", &[("_csrf", &csrf), ("month", &month)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let preview = r.body.split_once("id=\"preview-result\"").expect("the preview").1;
    assert!(preview.contains(&format!("{month} ")) && preview.contains("按待遇合计") && preview.contains("action=\"/welfare/runs\""), "{preview}");
    assert!(t.state.store.welfare().runs().await.expect("runs").len() == runs.len(), "a preview stores nothing");
    // Frozen.
    let r = clerk.post("/welfare/runs", &[("_csrf", &csrf), ("month", &month)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location.expect("to the run");
    assert!(to.starts_with("/welfare/runs/") && to.ends_with("?done=frozen"), "{to}");
    let id = to.trim_start_matches("/welfare/runs/").trim_end_matches("?done=frozen").to_owned();
    let page = clerk.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("发放批次已生成") && page.body.contains("已生成，待审批"), "{}", page.body);
    // Not twice.
    let r = clerk.post("/welfare/runs", &[("_csrf", &csrf), ("month", &month)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("id=\"f-month-error\"") && r.body.contains("不能重复生成"), "{}", r.body);
    // Not approved by the one who froze it.
    let r = clerk.post(&format!("/welfare/runs/{id}/approve"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("class=\"error-summary\"") && r.body.contains("生成批次的人不能审批同一批次"), "{}", r.body);
    assert!(r.body.contains("发放批次</h1>"), "the run's page itself, not an error page");
    assert_eq!(t.state.store.welfare().run(id.parse().expect("id")).await.expect("query").expect("run").status, "frozen");
    // The bank file waits for the approval.
    let r = clerk.get(&format!("/welfare/runs/{id}/bank-file")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    let approver = signed_in(&t, "mzj_approver").await;
    let page = approver.get(&format!("/welfare/runs/{id}")).await;
    let csrf = page.csrf();
    let r = approver.post(&format!("/welfare/runs/{id}/approve"), &[("_csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("/welfare/runs/{id}?done=approved").as_str())), "{}", r.body);
    let page = approver.get(&format!("/welfare/runs/{id}?done=approved")).await;
    assert!(page.body.contains("发放批次已审批") && page.body.contains(&format!("href=\"/welfare/runs/{id}/bank-file\"")), "{}", page.body);

    // The bank file, as a CSV download.
    let r = approver.get(&format!("/welfare/runs/{id}/bank-file")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/csv")));
    assert!(r.headers.get("content-disposition").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("attachment") && v.contains(".csv")));
    let file = r.body.clone();
    assert!(file.lines().count() >= 1, "{file}");

    // The bank's return file: a bad one is refused with its line and field, a good one taken.
    let page = approver.get(&format!("/welfare/runs/{id}")).await;
    assert!(page.body.contains(&format!("action=\"/welfare/runs/{id}/returns\"")), "{}", page.body);
    let csrf = page.csrf();
    let upload = |text: String| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .part("file", reqwest::multipart::Part::text(text).file_name("return.csv").mime_str("text/csv").expect("mime"));
        approver.http.post(format!("{}/welfare/runs/{id}/returns", approver.base)).header("origin", t.origin()).multipart(form).send()
    };
    let r = upload("batch,reference,account,amount,status,reason\nnonsense,1,2,3,99,\n".to_owned()).await.expect("upload");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("id=\"f-file-error\"") && body.contains("第 "), "{body}");
    let good = demo::seed_welfare::bank_return(&file, &id, 7);
    let r = upload(good).await.expect("upload");
    let status = r.status();
    let body = r.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("回盘已导入"), "{body}");

    // The cockpit's welfare section: beneficiaries per benefit, the elders' indicator.
    let admin = signed_in(&t, "admin").await;
    let page = admin.get("/cockpit").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let section = page.body.split_once("id=\"h-welfare\"").expect("the welfare section").1;
    assert!(section.contains("80–99 岁户籍老人") && section.contains("自动享受高龄津贴"), "{section}");
    assert!(section.contains("id=\"ck-welfare-t\"") && section.contains("每月发放金额"), "the chart and the money: {section}");
    t.shutdown().await;
}

#[tokio::test]
async fn a_community_worker_visits_and_residents_stay_out() {
    let t = TestWeb::spawn(0).await;
    // A resident of the worker's town asks for help: the household is on the worklist.
    let (key, household) = resident_in(&t, "330111001").await;
    let resident = signed_in(&t, &key).await;
    let csrf = resident.get("/welfare").await.csrf();
    let r = resident.post("/welfare/help", &[("_csrf", &csrf), ("help", "老人独居，行动不便")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let worker = signed_in(&t, "community_worker").await;
    let r = worker.get("/welfare").await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/welfare/worklist")));
    let page = worker.get("/welfare/worklist").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>困难家庭走访</h1>") && page.body.contains("330111001"), "{}", page.body);
    assert!(page.body.contains(&format!("id=\"household-{household}\"")) && page.body.contains("老人独居，行动不便"), "{}", page.body);
    assert!(!page.body.contains(&key), "members masked");
    let action = format!("/welfare/flags/{household}/visit");
    assert!(page.body.contains(&format!("action=\"{action}\"")));
    let csrf = page.csrf();
    // No outcome: next to the field; nothing changes.
    let r = worker.post(&action, &[("_csrf", &csrf), (&format!("note-{household}"), "已上门")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-outcome-{household}-error\"")), "{}", r.body);
    assert_eq!(t.state.store.welfare().flag(household).await.expect("query").expect("flag").status, "open");
    // Enrolled without a service: refused next to the services.
    let r = worker.post(&action, &[("_csrf", &csrf), (&format!("outcome-{household}"), "enrolled"), (&format!("note-{household}"), "需要救助")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-services-{household}-error\"")), "{}", r.body);
    // Referred.
    let r = worker.post(&action, &[("_csrf", &csrf), (&format!("outcome-{household}"), "referred"), (&format!("note-{household}"), "已上门了解，转介民政局")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/welfare/worklist?done=visited")), "{}", r.body);
    let f = t.state.store.welfare().flag(household).await.expect("query").expect("flag");
    assert_eq!((f.status.as_str(), f.outcome.as_deref()), ("visited", Some("已上门了解，转介民政局")));
    let page = worker.get("/welfare/worklist?done=visited").await;
    assert!(page.body.contains("走访情况已记录") && page.body.contains("已上门了解，转介民政局"), "{}", page.body);
    // The household's happiness list, for its worker.
    let page = worker.get(&format!("/welfare/households/{household}/happiness")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>幸福清单</h1>") && !page.body.contains(&key), "{}", page.body);
    // Not a worker's page for staff forms, nor the staff page for a worker.
    assert_eq!(worker.get("/welfare/staff").await.status, StatusCode::FORBIDDEN);

    // Another resident sees neither the staff pages nor someone else's household.
    let other = t.state.store.registers().bench_citizens(20).await.expect("citizens").into_iter().find(|x| *x != key).expect("another resident");
    let c = signed_in(&t, &other).await;
    for path in ["/welfare/staff", "/welfare/worklist", &format!("/welfare/households/{household}/happiness"), "/welfare/runs/1"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(r.body.contains("您的账号无权使用此功能"), "{path}: {}", r.body);
    }
    let r = c.get("/welfare/happiness").await;
    assert_eq!(r.status, StatusCode::OK, "their own list");
    assert!(!r.body.contains(&format!("/welfare/households/{household}")), "not the other household's");
    t.shutdown().await;
}
