//! One-click borrowing's pages over HTTP (issue 34), as their users: anyone searches the
//! catalogue; a resident chooses three books in December and sees "免运费" before anything is
//! ordered, confirms, and finds the parcel with its steps on /library/mine; bad input (no book, an
//! ISBN the catalogue lacks, no address) is sent back with the error and orders nothing; library
//! staff take a parcel through each step with the desk's buttons, the loans start, a renewal is
//! refused while another reader waits, and a return by courier is stepped through to check-in; a
//! bad catalogue file is refused naming its line and field. Other roles are refused the desk and
//! the reader's page. The catalogue is `data/library/sample.csv`, imported through the use case as
//! `wgly_clerk`, with the clock in December 2026 (the 免邮月).

use reqwest::StatusCode;
use server::areas::library::cases as library;
use server::areas::library::views::OrderBody;
use server::auth::Principal;

use crate::helpers::Client;
use crate::helpers::TestWeb;

const HONGLOUMENG: &str = "9787020002207";
const SANTI: &str = "9787536692930";
const WEICHENG: &str = "9787020090006";
/// A well-formed ISBN the sample catalogue does not hold.
const UNKNOWN: &str = "9787111213826";
const HOME: (&str, &str) = ("30.0490", "119.9580");

async fn principal(t: &TestWeb, login: &str) -> Principal {
    let (account, _) = t.state.store.identity().account_for_login(login).await.expect("query").expect("an account");
    Principal { account, token_hash: String::new() }
}

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

/// The clock on Monday 7 December 2026, 10:00 in Hangzhou, and the sample catalogue imported.
async fn december_with_catalogue(t: &TestWeb) {
    let at = chrono::FixedOffset::east_opt(8 * 3600)
        .and_then(|tz| chrono::TimeZone::with_ymd_and_hms(&tz, 2026, 12, 7, 10, 0, 0).single())
        .expect("a valid time")
        .with_timezone(&chrono::Utc);
    t.clock.set(at);
    import_sample(t).await;
}

/// `data/library/sample.csv` imported through the use case as `wgly_clerk`: 10 titles, 23 copies.
pub async fn import_sample(t: &TestWeb) {
    let csv = std::fs::read(format!("{}/../../data/library/sample.csv", env!("CARGO_MANIFEST_DIR"))).expect("sample.csv");
    let v = library::import(&t.state, &principal(t, "wgly_clerk").await, "csv", &csv).await.expect("the sample catalogue is imported");
    assert_eq!((v.titles_added, v.copies_added), (10, 23));
}

/// Residents of the demo district.
async fn residents(t: &TestWeb, n: i64) -> Vec<String> {
    t.state.store.registers().bench_citizens(n).await.expect("citizens")
}

fn order_form<'a>(csrf: &'a str, books: &[&'a str], extra: &'a str, confirm: bool) -> Vec<(String, &'a str)> {
    let mut f: Vec<(String, &str)> = vec![("_csrf".into(), csrf), ("how".into(), "home"), ("lat".into(), HOME.0), ("lon".into(), HOME.1), ("extra".into(), extra)];
    f.extend(books.iter().map(|b| (format!("book-{b}"), "1")));
    if confirm {
        f.push(("confirm".into(), "1"));
    }
    f
}

async fn post_order(c: &Client, form: &[(String, &str)]) -> crate::helpers::Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    c.post("/library/order", &pairs).await
}

#[tokio::test]
async fn the_pages_open_for_their_audiences_and_refuse_others() {
    let t = TestWeb::spawn(0).await;
    december_with_catalogue(&t).await;
    let anyone = t.client();
    let r = anyone.get("/library").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("三体") && r.body.contains("富阳区图书馆（总馆）") && r.body.contains("登录后即可借阅"), "the catalogue with copies per branch: {}", r.body);
    assert!(!r.body.contains("name=\"book-"), "no choosing without signing in");
    let r = anyone.get("/library?q=余华").await;
    assert!(r.body.contains("《活着》") && !r.body.contains("《三体》"), "a search by author: {}", r.body);
    let r = anyone.get("/library?q=7536692935").await;
    assert!(r.body.contains("《三体》") && !r.body.contains("《活着》"), "an ISBN-10 finds its title: {}", r.body);
    for path in ["/library/mine", "/library/staff"] {
        let r = anyone.get(path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert!(r.location.as_deref().is_some_and(|l| l.starts_with("/login")), "{path}: {:?}", r.location);
    }

    let resident = signed_in(&t, &t.citizen().await).await;
    let r = resident.get("/library").await;
    assert!(r.body.contains("name=\"book-9787536692930\"") && r.body.contains("送书到家") && r.body.contains("到馆自取"), "{}", r.body);
    assert!(r.body.contains("¥3.00") && r.body.contains("免运费"), "today's fees before ordering: 3 yuan for one or two books, free for three: {}", r.body);
    assert_eq!(resident.get("/library/mine").await.status, StatusCode::OK);
    assert_eq!(resident.get("/library/staff").await.status, StatusCode::FORBIDDEN);

    for login in ["ga_clerk", "window", "ga_supervisor"] {
        let c = signed_in(&t, login).await;
        assert_eq!(c.get("/library/staff").await.status, StatusCode::FORBIDDEN, "{login}");
        assert_eq!(c.get("/library/mine").await.status, StatusCode::FORBIDDEN, "{login}");
    }
    for login in ["wgly_clerk", "admin"] {
        let c = signed_in(&t, login).await;
        let r = c.get("/library/staff").await;
        assert_eq!(r.status, StatusCode::OK, "{login}: {}", r.body);
        assert!(r.body.contains("导入馆藏") && r.body.contains("快递还书") && r.body.contains("h-library"), "{login}: the desk's forms and figures: {}", r.body);
        let r = c.get("/library").await;
        assert!(r.body.contains("借书请用居民账号登录") && !r.body.contains("name=\"book-"), "{login}: staff do not order");
    }
    // The cockpit's library section, for the administrator and supervisors.
    let r = signed_in(&t, "admin").await.get("/cockpit").await;
    assert!(r.status == StatusCode::OK && r.body.contains("h-library") && r.body.contains("借阅申请"), "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn a_resident_sees_free_delivery_before_ordering_three_books_in_december_and_follows_the_parcel() {
    let t = TestWeb::spawn(0).await;
    december_with_catalogue(&t).await;
    let login = t.citizen().await;
    let c = signed_in(&t, &login).await;
    let p = principal(&t, &login).await;
    let csrf = c.get("/library").await.csrf();

    // First the fee: nothing ordered yet.
    let r = post_order(&c, &order_form(&csrf, &[HONGLOUMENG, SANTI, WEICHENG], "", false)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("免运费") && r.body.contains("确认借阅") && r.body.contains("免邮月"), "free delivery shown before ordering: {}", r.body);
    assert!(library::my_orders(&t.state, &p).await.expect("orders").is_empty(), "nothing ordered before confirming");
    // Two books: 3 yuan.
    let r = post_order(&c, &order_form(&csrf, &[HONGLOUMENG, SANTI], "", false)).await;
    assert!(r.body.contains("¥3.00") && !r.body.contains("tag-ok\">免运费"), "two books cost 3 yuan: {}", r.body);

    // Confirmed: one parcel from the central library, with its steps.
    let r = post_order(&c, &order_form(&csrf, &[HONGLOUMENG, SANTI, WEICHENG], "", true)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("借阅已提交") && r.body.contains("富阳区图书馆（总馆）") && r.body.contains("免运费"), "{}", r.body);
    assert!(r.body.contains("红楼梦") && r.body.contains("三体") && r.body.contains("围城") && r.body.contains("已下单"), "{}", r.body);
    let orders = library::my_orders(&t.state, &p).await.expect("orders");
    assert_eq!((orders.len(), orders[0].items.len(), orders[0].quote.fee_fen), (1, 3, 0), "{orders:?}");

    let r = c.get("/library/mine").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&format!("订单 {}", orders[0].id)) && r.body.contains("已下单") && r.body.contains("快递配送中") && r.body.contains("未到"), "the order with its steps: {}", r.body);
    assert!(r.body.contains("取消订单"), "cancellable before picking: {}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn bad_input_is_sent_back_with_the_error_and_orders_nothing() {
    let t = TestWeb::spawn(0).await;
    december_with_catalogue(&t).await;
    let login = t.citizen().await;
    let c = signed_in(&t, &login).await;
    let p = principal(&t, &login).await;
    let csrf = c.get("/library").await.csrf();

    let r = post_order(&c, &order_form(&csrf, &[], "", true)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请至少选择一本书") && r.body.contains("error-summary"), "{}", r.body);

    let r = post_order(&c, &order_form(&csrf, &[SANTI], UNKNOWN, true)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("馆藏中没有 ISBN {UNKNOWN}")) && r.body.contains("href=\"#f-extra\""), "the unknown ISBN named at its input: {}", r.body);
    assert!(r.body.contains("name=\"book-9787536692930\" value=\"1\" checked"), "the chosen book stays chosen: {}", r.body);

    let r = post_order(&c, &order_form(&csrf, &[SANTI], "not-an-isbn", true)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let pairs = [("_csrf", csrf.as_str()), ("how", "home"), ("lat", "north"), ("book-9787536692930", "1"), ("confirm", "1")];
    let r = c.post("/library/order", &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("请填写正确的纬度和经度") && r.body.contains("送书到家请填写纬度和经度"), "{}", r.body);
    let pairs = [("_csrf", csrf.as_str()), ("how", "branch"), ("book-9787536692930", "1"), ("confirm", "1")];
    let r = c.post("/library/order", &pairs).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("请选择图书馆"), "{}", r.body);
    let pairs = [("_csrf", csrf.as_str()), ("how", "branch"), ("branch", "FY-NOPE"), ("book-9787536692930", "1"), ("confirm", "1")];
    let r = c.post("/library/order", &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown branch: {}", r.body);
    // Without the form's token: refused before anything.
    let r = c.post("/library/order", &[("how", "home"), ("lat", HOME.0), ("lon", HOME.1), ("book-9787536692930", "1"), ("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    assert!(library::my_orders(&t.state, &p).await.expect("orders").is_empty(), "nothing ordered");
    assert_eq!(library::title(&t.state, SANTI).await.expect("title").available, 3, "no copy taken");
    t.shutdown().await;
}

#[tokio::test]
async fn library_staff_step_a_parcel_through_the_desk_and_readers_renew_and_return() {
    let t = TestWeb::spawn(0).await;
    december_with_catalogue(&t).await;
    let logins = residents(&t, 10).await;
    let (a, b, c) = (&logins[0], &logins[1], &logins[2]);
    let placed = library::place(&t.state, &principal(&t, a).await, OrderBody { isbns: vec![HONGLOUMENG.into(), SANTI.into(), WEICHENG.into()], lat: Some(30.049), lon: Some(119.958), branch: None, barcodes: Vec::new() })
        .await
        .expect("ordered");
    let id = placed.orders[0].id.clone();

    let staff = signed_in(&t, "wgly_clerk").await;
    let r = staff.get("/library/staff?branch=FY-ZG").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(&format!("订单 {id}")) && r.body.contains("开始备书"), "the parcel on the central library's list: {}", r.body);
    let csrf = r.csrf();
    // A step out of turn: refused on the page, nothing changes.
    let r = staff.post(&format!("/library/staff/orders/{id}/act"), &[("_csrf", &csrf), ("action", "deliver"), ("branch", "FY-ZG")]).await;
    assert!(r.status.is_client_error() && r.body.contains("error-summary"), "{}: {}", r.status, r.body);
    for (action, shown) in [("start_picking", "备书中"), ("pack", "已打包"), ("hand_to_courier", "快递配送中"), ("deliver", "")] {
        let r = staff.post(&format!("/library/staff/orders/{id}/act"), &[("_csrf", &csrf), ("action", action), ("branch", "FY-ZG")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.body);
        assert_eq!(r.location.as_deref(), Some(format!("/library/staff?branch=FY-ZG&done=act-{action}").as_str()));
        if !shown.is_empty() {
            let page = staff.get(&format!("/library/staff?branch=FY-ZG&done=act-{action}")).await;
            assert!(page.body.contains(shown) && page.body.contains("role=\"status\""), "{action}: {}", page.body);
        }
    }
    let r = staff.get("/library/staff?branch=FY-ZG").await;
    assert!(!r.body.contains(&format!("订单 {id}")), "delivered: off the list");

    // The reader's loans started; another reader takes the other 围城 and a third waits for it.
    let reader = signed_in(&t, a).await;
    let r = reader.get("/library/mine").await;
    assert!(r.body.contains("已送达") && r.body.contains("续借") && r.body.contains("请快递上门取书") && r.body.contains("未逾期"), "{}", r.body);
    let loans = library::my_loans(&t.state, &principal(&t, a).await).await.expect("loans");
    assert_eq!(loans.len(), 3);
    let weicheng = loans.iter().find(|l| l.isbn == WEICHENG).expect("围城 on loan").id.clone();
    let santi = loans.iter().find(|l| l.isbn == SANTI).expect("三体 on loan").id.clone();
    for who in [b, c] {
        library::place(&t.state, &principal(&t, who).await, OrderBody { isbns: vec![WEICHENG.into()], lat: Some(30.049), lon: Some(119.958), branch: None, barcodes: Vec::new() }).await.expect("ordered");
    }
    let waiting = signed_in(&t, c).await.get("/library/mine").await;
    assert!(waiting.body.contains("排队中") && waiting.body.contains("第 1 位"), "the third reader's hold: {}", waiting.body);

    let csrf = reader.get("/library/mine").await.csrf();
    let r = reader.post(&format!("/library/loans/{weicheng}/renew"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("error-summary") && r.body.contains("位其他读者在排队预约，不能续借"), "a renewal refused while another reader waits, said plainly: {}", r.body);
    let r = reader.post(&format!("/library/loans/{santi}/renew"), &[("_csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/library/mine?done=renewed")), "{}", r.body);
    let r = reader.post(&format!("/library/loans/{santi}/return"), &[("_csrf", &csrf)]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/library/mine?done=pickup")), "{}", r.body);
    assert!(reader.get("/library/mine").await.body.contains("已预约上门取书"));
    // Someone else's loan is not theirs to renew.
    let other = signed_in(&t, b).await;
    let other_csrf = other.get("/library/mine").await.csrf();
    assert_eq!(other.post(&format!("/library/loans/{santi}/renew"), &[("_csrf", &other_csrf)]).await.status, StatusCode::NOT_FOUND);

    // The courier's return, step by step at the desk; check-in needs its library.
    let r = staff.post("/library/staff/returns", &[("_csrf", &csrf_of(&staff).await), ("ret-loan", &santi), ("ret-action", "check_in")]).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("请选择图书馆"), "{}", r.body);
    for action in ["picked_up", "send", "check_in"] {
        let r = staff.post("/library/staff/returns", &[("_csrf", &csrf_of(&staff).await), ("ret-loan", &santi), ("ret-action", action), ("ret-branch", "FY-ZG")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{action}: {}", r.body);
    }
    assert!(reader.get("/library/mine").await.body.contains("在借的书"));
    assert_eq!(library::title(&t.state, SANTI).await.expect("title").available, 3, "back on the shelf");

    // A bad catalogue file: its line and field named, nothing imported.
    let csv = std::fs::read_to_string(format!("{}/../../data/library/sample.csv", env!("CARGO_MANIFEST_DIR"))).expect("sample.csv").replacen("9787506365437", "9787506365438", 1);
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&staff).await)
        .text("format", "csv")
        .part("file", reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("bad.csv").mime_str("text/csv").expect("mime"));
    let r = staff.http.post(format!("{}/library/staff/import", staff.base)).multipart(form).send().await.expect("import");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("第 5 行") && body.contains("isbn") && body.contains("未导入任何数据") && body.contains("href=\"#f-file\""), "the line and field named: {body}");
    let empty = reqwest::multipart::Form::new().text("_csrf", csrf_of(&staff).await).text("format", "csv");
    let r = staff.http.post(format!("{}/library/staff/import", staff.base)).multipart(empty).send().await.expect("import");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("请选择要导入的文件"));
    t.shutdown().await;
}

async fn csrf_of(c: &Client) -> String {
    c.get("/library/staff").await.csrf()
}
