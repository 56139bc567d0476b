//! The service halls' pages over HTTP (issue 36), as their users: anyone sees the halls and their
//! queues; a resident takes a ticket on the hall's page and sees its number and wait (another
//! resident gets 404 for it); the kiosk takes one signed out and its slip's page opens with the
//! token and not without; window staff call, start and finish at the console, and the board shows
//! the call; a resident cannot open the console; garbage (a window that is not a number, an
//! unknown line, no rating) is sent back with a clear error and changes nothing; cross-region
//! intake refuses an incomplete form. The hall is registered through the use case as `admin`, so
//! nothing depends on the demo's own halls.

use reqwest::StatusCode;
use server::areas::halls::cases;
use server::areas::halls::views::HallBody;
use server::areas::halls::views::SessionBody;
use server::areas::halls::views::TakeBody;
use server::areas::halls::views::TerminalBody;
use server::areas::halls::views::WindowBody;
use server::auth::Principal;

use crate::helpers::Client;
use crate::helpers::TestWeb;

pub const HALL_NAME: &str = "测试便民服务中心";

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

async fn principal(t: &TestWeb, login: &str) -> Principal {
    let (account, _) = t.state.store.identity().account_for_login(login).await.expect("query").expect("an account");
    Principal { account, token_hash: String::new() }
}

/// A town hall of 富春街道 open on weekdays with lunch service and Saturday mornings: its id.
pub async fn seed_hall(t: &TestWeb) -> String {
    let window = |no: u32, name: &str, lines: &[&str]| WindowBody { no, name: name.into(), lines: lines.iter().map(|l| (*l).to_owned()).collect(), open: true, staff: None };
    let body = HallBody {
        id: None,
        name: HALL_NAME.into(),
        level: "town".into(),
        town: "330111001".into(),
        address: "富阳区富春街道江滨西大道 1 号".into(),
        lat: 30.0495,
        lon: 119.9520,
        status: None,
        sessions: vec![
            SessionBody { weekdays: vec![1, 2, 3, 4, 5], opens: "08:30".into(), closes: "17:00".into() },
            SessionBody { weekdays: vec![6], opens: "09:00".into(), closes: "12:00".into() },
        ],
        windows: vec![window(1, "社保医保", &["social_insurance"]), window(2, "社保·户政", &["social_insurance", "public_security"]), window(3, "税务", &["tax"])],
        terminals: vec![TerminalBody { no: 1, name: "自助终端".into(), items: Vec::new() }],
    };
    cases::save_hall(&t.state, &principal(t, "admin").await, body).await.expect("the hall is registered").id
}

/// Two residents of the demo district.
async fn residents(t: &TestWeb) -> (String, String) {
    let logins = t.state.store.registers().bench_citizens(10).await.expect("citizens");
    (logins[0].clone(), logins[1].clone())
}

/// The ticket id in a redirect to its page.
fn ticket_of(location: &str) -> String {
    location.trim_start_matches("/queue/tickets/").split(['?', '#']).next().expect("an id").to_owned()
}

#[tokio::test]
async fn a_resident_takes_a_ticket_and_sees_its_number_and_wait_and_no_one_else_does() {
    let t = TestWeb::spawn(0).await;
    let hall = seed_hall(&t).await;
    // Someone at the kiosk is first in the social-insurance line.
    cases::take(&t.state, None, &hall, TakeBody { line: "social_insurance".into() }).await.expect("a kiosk ticket");

    let anyone = t.client();
    let r = anyone.get("/queue").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(HALL_NAME) && r.body.contains("q-map-t") && r.body.contains("镇（街）便民服务中心"), "the hall on the map, by level: {}", r.body);
    assert!(r.body.contains("午间不打烊") && r.body.contains("周末办") && r.body.contains("现在开放"), "lunch, weekend and open now: {}", r.body);
    let r = anyone.get(&format!("/queue/halls/{hall}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains(&format!("action=\"/queue/halls/{hall}/take\"")), "no take form for a visitor");
    assert!(r.body.contains("/login?next="), "a visitor is asked to sign in");

    let (me, other) = residents(&t).await;
    let c = signed_in(&t, &me).await;
    let page = c.get(&format!("/queue/halls/{hall}")).await;
    assert!(page.body.contains(&format!("action=\"/queue/halls/{hall}/take\"")), "the take buttons: {}", page.body);
    // An unknown line: refused on the page, nothing taken.
    let r = c.post(&format!("/queue/halls/{hall}/take"), &[("_csrf", &page.csrf()), ("line", "no_such_line")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("error-summary"), "{}", r.body);
    let p = principal(&t, &me).await;
    assert!(cases::my_tickets(&t.state, &p).await.expect("mine").is_empty(), "nothing taken");
    // A real one: A002, one ahead, a wait in minutes.
    let r = c.post(&format!("/queue/halls/{hall}/take"), &[("_csrf", &page.csrf()), ("line", "social_insurance")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location.expect("a redirect");
    assert!(location.starts_with("/queue/tickets/") && location.contains("done=taken"), "{location}");
    let id = ticket_of(&location);
    let r = c.get(&location).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("A002") && r.body.contains("排队等候中"), "the number and the state: {}", r.body);
    assert!(r.body.contains("<span class=\"num\">1</span><span class=\"lbl\">前面还有（人）</span>"), "one ahead: {}", r.body);
    assert!(r.body.contains("预计等候") && r.body.contains(" 分钟</span>"), "the estimated wait: {}", r.body);
    assert!(r.body.contains(&format!("data-feed=\"/api/halls/{hall}/board/live\"")) && r.body.contains("/static/queue.js"), "it follows the board's feed");
    assert!(r.body.contains(&format!("action=\"/queue/tickets/{id}/cancel\"")), "it may be cancelled");
    let r = c.get("/queue").await;
    assert!(r.body.contains("我的排队号和预约") && r.body.contains(&format!("href=\"/queue/tickets/{id}\"")), "listed as hers: {}", r.body);

    // Another resident, and a visitor, do not find it.
    let o = signed_in(&t, &other).await;
    assert_eq!(o.get(&format!("/queue/tickets/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(anyone.get(&format!("/queue/tickets/{id}")).await.status, StatusCode::NOT_FOUND);
    let theirs = o.get(&format!("/queue/tickets/{id}")).await;
    assert!(!theirs.body.contains("A002"));
    // Nor may they cancel it.
    let form = o.get("/queue").await;
    let r = o.post(&format!("/queue/tickets/{id}/cancel"), &[("_csrf", &form.csrf())]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(cases::my_tickets(&t.state, &p).await.expect("mine")[0].state, "waiting");

    // A resident may not open the window console, nor the hall's cockpit, nor cross-region intake.
    for path in [format!("/queue/halls/{hall}/window"), format!("/queue/halls/{hall}/cockpit"), "/crossregion".to_owned()] {
        assert_eq!(c.get(&path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Booking: the free slots of a day, then one booked.
    let r = c.get(&format!("/queue/halls/{hall}?line=tax&day=2026-03-03#book")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("value=\"2026-03-03T10:00\""), "the slots: {}", r.body);
    let r = c.post(&format!("/queue/halls/{hall}/book"), &[("_csrf", &page.csrf()), ("line", "tax"), ("day", "2026-03-03")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no slot chosen: {}", r.body);
    assert!(r.body.contains("id=\"f-slot-error\""), "{}", r.body);
    let r = c.get(&format!("/queue/halls/{hall}?line=dance&day=2026-03-03")).await;
    assert!(r.body.contains("error-summary"), "an unknown line: {}", r.body);
    let r = c.post(&format!("/queue/halls/{hall}/book"), &[("_csrf", &page.csrf()), ("line", "tax"), ("day", "2026-03-03"), ("slot", "2026-03-03T10:00")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get(&r.location.expect("to the appointment")).await;
    assert!(r.body.contains("已预约待签到") && r.body.contains("2026-03-03 10:00"), "{}", r.body);
    assert_eq!(cases::my_tickets(&t.state, &p).await.expect("mine").len(), 2);
    t.shutdown().await;
}

#[tokio::test]
async fn the_kiosk_takes_a_ticket_signed_out_whose_page_opens_with_its_token_only() {
    let t = TestWeb::spawn(0).await;
    let hall = seed_hall(&t).await;
    let kiosk = t.client();
    let page = kiosk.get(&format!("/queue/halls/{hall}/kiosk")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("q-kiosk-button") && page.body.contains("税务") && !page.body.contains("main-nav"), "big buttons, no site navigation: {}", page.body);
    let r = kiosk.post(&format!("/queue/halls/{hall}/kiosk"), &[("_csrf", &page.csrf()), ("line", "nonsense")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("error-summary"));
    let r = kiosk.post(&format!("/queue/halls/{hall}/kiosk"), &[("_csrf", &page.csrf()), ("line", "tax")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let slip = r.location.expect("the slip");
    let token = slip.split("token=").nth(1).expect("a token").to_owned();
    let id = slip.split("ticket=").nth(1).and_then(|s| s.split('&').next()).expect("a ticket").to_owned();
    let r = kiosk.get(&slip).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("E001") && r.body.contains("data:image/svg+xml;base64,"), "the number and the QR code: {}", r.body);
    assert!(r.body.contains(&format!("/queue/tickets/{id}?token={token}")), "the ticket's address with its token");

    let r = kiosk.get(&format!("/queue/tickets/{id}?token={token}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("E001") && r.body.contains("前面还有"), "{}", r.body);
    for path in [format!("/queue/tickets/{id}"), format!("/queue/tickets/{id}?token={}", "0".repeat(32)), format!("/queue/tickets/{id}?token=")] {
        let r = t.client().get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!r.body.contains("E001"), "{path}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn window_staff_call_and_finish_the_board_shows_the_call_and_garbage_changes_nothing() {
    let t = TestWeb::spawn(0).await;
    let hall = seed_hall(&t).await;
    let kiosk = cases::take(&t.state, None, &hall, TakeBody { line: "tax".into() }).await.expect("a kiosk ticket");
    let token = kiosk.token.clone().expect("the slip's token");
    let (me, _) = residents(&t).await;
    let resident = signed_in(&t, &me).await;
    let page = resident.get(&format!("/queue/halls/{hall}")).await;
    let r = resident.post(&format!("/queue/halls/{hall}/take"), &[("_csrf", &page.csrf()), ("line", "social_insurance")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let staff = signed_in(&t, "window").await;
    let console = staff.get(&format!("/queue/halls/{hall}/window?window=3")).await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.body);
    assert!(console.body.contains("叫下一位") && console.body.contains("E001") && console.body.contains("A001"), "the waiting list: {}", console.body);
    assert!(!console.body.contains(&me), "no ID number in the queue");
    // Garbage window numbers: the error beside the field, nothing called.
    let csrf = console.csrf();
    for w in ["abc", "", "-1", "99"] {
        let r = staff.post(&format!("/queue/halls/{hall}/window/call"), &[("_csrf", &csrf), ("window", w)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "window {w:?}: {}", r.body);
        assert!(r.body.contains("error-summary"), "{w:?}: {}", r.body);
    }
    let r = staff.get(&format!("/queue/halls/{hall}/window?window=abc")).await;
    assert!(r.body.contains("id=\"f-window-error\"") && !r.body.contains("叫下一位"), "{}", r.body);
    assert!(cases::board(&t.state, &hall).await.expect("board").called.is_empty(), "nothing called");

    // 叫下一位 at window 3 (tax): E001; the board shows it to anyone.
    let r = staff.post(&format!("/queue/halls/{hall}/window/call"), &[("_csrf", &csrf), ("window", "3")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let console = staff.get(&r.location.expect("back to the console")).await;
    assert!(console.body.contains("已叫号") && console.body.contains("value=\"start\"") && console.body.contains("value=\"no_show\""), "{}", console.body);
    let board = t.client().get(&format!("/queue/halls/{hall}/board")).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body.contains("请 E001 号到 3 号窗口"), "the latest call: {}", board.body);
    assert!(board.body.contains("A001") && board.body.contains("id=\"q-clock\"") && board.body.contains(&format!("data-feed=\"/api/halls/{hall}/board/live\"")), "the next numbers, a clock, live: {}", board.body);
    assert!(!board.body.contains(&me), "no ID number on the board");

    // An unknown action, then start and finish.
    let act = format!("/queue/halls/{hall}/window/act");
    let r = staff.post(&act, &[("_csrf", &csrf), ("ticket", &kiosk.id), ("window", "3"), ("action", "dance")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = staff.post(&act, &[("_csrf", &csrf), ("ticket", &kiosk.id), ("window", "3"), ("action", "start"), ("to_window", "many")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a garbage window to transfer to: {}", r.body);
    assert_eq!(cases::ticket(&t.state, None, &kiosk.id, Some(&token)).await.expect("ticket").state, "called", "unchanged");
    let r = staff.post(&act, &[("_csrf", &csrf), ("ticket", &kiosk.id), ("window", "3"), ("action", "start")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = staff.post(&act, &[("_csrf", &csrf), ("ticket", &kiosk.id), ("window", "3"), ("action", "finish"), ("application", "not-a-number")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-application-error\""), "{}", r.body);
    let r = staff.post(&act, &[("_csrf", &csrf), ("ticket", &kiosk.id), ("window", "3"), ("action", "finish"), ("application", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(cases::ticket(&t.state, None, &kiosk.id, Some(&token)).await.expect("ticket").state, "done");

    // The slip rates the service signed out: no score is refused, then 5.
    let anyone = t.client();
    let page = anyone.get(&format!("/queue/tickets/{}?token={token}", kiosk.id)).await;
    assert!(page.body.contains("非常满意") && page.body.contains("非常不满意"), "the rating form: {}", page.body);
    let r = anyone.post(&format!("/queue/tickets/{}/rate", kiosk.id), &[("_csrf", &page.csrf()), ("token", &token), ("score", "9")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-score-error\""), "{}", r.body);
    let r = anyone.post(&format!("/queue/tickets/{}/rate", kiosk.id), &[("_csrf", &page.csrf()), ("score", "5")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "without the token: {}", r.body);
    let r = anyone.post(&format!("/queue/tickets/{}/rate", kiosk.id), &[("_csrf", &page.csrf()), ("token", &token), ("score", "5")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(cases::ticket(&t.state, None, &kiosk.id, Some(&token)).await.expect("ticket").rating, Some(5));

    // The hall's cockpit for its staff; the district's in the cockpit.
    let r = staff.get(&format!("/queue/halls/{hall}/cockpit")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("各窗口") && r.body.contains("各业务") && r.body.contains("3 号窗口"), "{}", r.body);
    let r = staff.get(&format!("/queue/halls/{hall}/cockpit?day=yesterday")).await;
    assert!(r.body.contains("id=\"f-day-error\""), "a garbage day: {}", r.body);
    let admin = signed_in(&t, "admin").await;
    let r = admin.get("/cockpit").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"h-halls\"") && r.body.contains(HALL_NAME) && r.body.contains("ck-halls-hours-t"), "the cockpit's halls section: {}", r.body);
    // Window staff of another town may not call here.
    let yinhu = signed_in(&t, "window_yinhu").await;
    assert_eq!(yinhu.get(&format!("/queue/halls/{hall}/window?window=1")).await.status, StatusCode::FORBIDDEN);
    t.shutdown().await;
}

#[tokio::test]
async fn cross_region_intake_refuses_an_incomplete_form_and_is_for_window_staff() {
    let t = TestWeb::spawn(0).await;
    let staff = signed_in(&t, "window").await;
    let page = staff.get("/crossregion").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("action=\"/crossregion\"") && page.body.contains("还没有受理跨区域事项"), "{}", page.body);
    let r = staff.post("/crossregion", &[("_csrf", &page.csrf()), ("district", ""), ("item", ""), ("applicant", ""), ("applicant_name", "张三"), ("form", "no equals sign")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["district", "item", "applicant", "form"] {
        assert!(r.body.contains(&format!("id=\"f-{field}-error\"")), "{field}: {}", r.body);
    }
    assert!(r.body.contains("value=\"张三\""), "what was typed is kept");
    let r = staff.post("/crossregion", &[("_csrf", &page.csrf()), ("district", "999999"), ("item", "x1"), ("applicant", "330183199001011232"), ("applicant_name", "张三")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not a peer: {}", r.body);
    assert!(r.body.contains("id=\"f-district-error\""), "{}", r.body);
    let p = principal(&t, "window").await;
    assert!(server::areas::halls::crossregion::cases(&t.state, &p, Default::default()).await.expect("cases").is_empty(), "nothing taken in");
    let (me, _) = residents(&t).await;
    let r = signed_in(&t, &me).await.get("/queue").await;
    assert!(r.body.contains("我的跨区域通办"), "a resident's cases are on the halls page: {}", r.body);
    t.shutdown().await;
}
