//! Hospital parking guidance's pages over HTTP (issue 34), as their users: anyone finds a car park
//! for a hospital (the verdicts in words, how times were measured, navigation links, the map),
//! opens a sign's QR page and sets off from it (the trip is counted and the browser sent to the map
//! app chosen; an unknown lot is refused on the page and nothing counted), and reads a car park's
//! page (staff bays labelled, the last 24 hours drawn); the parking department and the
//! administrator open the department's page, a resident and a visitor do not; bad forms come back
//! with the error at the field and change nothing; a feed key is shown once; the cockpit's parking
//! section. The hospital, lots and sign are registered through the use cases as `zhzf_clerk`.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use server::areas::parking::cases;
use server::areas::parking::views::BaysView;
use server::areas::parking::views::CountBody;
use server::areas::parking::views::FeesView;
use server::areas::parking::views::HospitalBody;
use server::areas::parking::views::LotBody;
use server::areas::parking::views::ParkingFiguresQuery;
use server::areas::parking::views::PointView;
use server::areas::parking::views::ReadingBody;
use server::areas::parking::views::ReadingsBody;
use server::areas::parking::views::SignBody;
use server::areas::parking::views::SignLotBody;
use server::auth::Principal;

use crate::helpers::Client;
use crate::helpers::TestWeb;

pub const STAFF: &str = "zhzf_clerk";
pub const HOSPITAL: &str = "fy-first";
pub const SIGN: &str = "fy-first-s2";
const TOWN: &str = "330111001";

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

async fn principal(t: &TestWeb, login: &str) -> Principal {
    let (account, _) = t.state.store.identity().account_for_login(login).await.expect("query").expect("an account");
    Principal { account, token_hash: String::new() }
}

fn lot(id: &str, name: &str, kind: &str, structure: &str, hospital: Option<&str>, at: (f64, f64), capacity: BaysView, hours: Option<&str>, fees: Option<FeesView>) -> LotBody {
    LotBody {
        id: id.into(),
        name: name.into(),
        kind: kind.into(),
        structure: structure.into(),
        hospital: hospital.map(str::to_owned),
        town: TOWN.into(),
        location: PointView { lat: at.0, lon: at.1 },
        entrance: PointView { lat: at.0 - 0.0001, lon: at.1 - 0.0001 },
        capacity,
        hours: hours.map(str::to_owned),
        fees,
        address: None,
        operator: None,
    }
}

/// A visitor reading of a lot now, through its feed key.
async fn reading(t: &TestWeb, key: &str, lot: &str, bays: &[(&str, i64)]) {
    let at = (t.state.now() - chrono::Duration::seconds(30)).to_rfc3339();
    let bays: BTreeMap<String, CountBody> = bays.iter().map(|(k, n)| ((*k).to_owned(), CountBody { occupied: Some(*n), free: None })).collect();
    let body = ReadingsBody { readings: vec![ReadingBody { lot: lot.into(), at, bays }] };
    cases::take_http(&t.state, lot, Some(key), body).await.expect("the reading is taken");
}

/// 富阳区第一人民医院 with its own car park (visitor, staff, disabled and EV bays), a public garage
/// and street bays, a second-level sign showing the three; live readings for the first two (the
/// street bays' feed is silent).
pub async fn seed_parking(t: &TestWeb) {
    let p = principal(t, STAFF).await;
    let h = HospitalBody { id: HOSPITAL.into(), name: "富阳区第一人民医院".into(), town: TOWN.into(), entrance: PointView { lat: 30.0500, lon: 119.9600 } };
    cases::save_hospital(&t.state, &p, h).await.expect("the hospital");
    let fees = FeesView { first_hour_fen: 500, per_hour_after_fen: 300, daily_cap_fen: Some(3000), free_minutes: 15 };
    let lots = [
        lot("fy-first-own", "一院地下停车场", "hospital", "underground", Some(HOSPITAL), (30.0503, 119.9604), BaysView { visitor: 100, staff: 50, disabled: 4, ev: 6 }, Some("24/7"), Some(fees)),
        lot("fy-garage", "江滨公共停车楼", "public_garage", "multi_storey", None, (30.0550, 119.9620), BaysView { visitor: 300, ..Default::default() }, Some("Mo-Su 06:00-23:00"), None),
        lot("fy-street", "桂花路路内泊位", "street_bays", "street", None, (30.0525, 119.9590), BaysView { visitor: 20, ..Default::default() }, None, None),
    ];
    for l in lots {
        cases::save_lot(&t.state, &p, l).await.expect("a lot");
    }
    let entry = |lot: &str, arrow: &str| SignLotBody { lot: lot.into(), arrow: arrow.into() };
    let sign = SignBody { id: SIGN.into(), name: "金桥北路口二级诱导屏".into(), level: 2, hospital: HOSPITAL.into(), location: PointView { lat: 30.0580, lon: 119.9550 }, lots: vec![entry("fy-first-own", "right"), entry("fy-garage", "ahead"), entry("fy-street", "left")] };
    cases::save_sign(&t.state, &p, sign).await.expect("the sign");
    let own = cases::issue_key(&t.state, &p, "fy-first-own").await.expect("a key").key;
    let garage = cases::issue_key(&t.state, &p, "fy-garage").await.expect("a key").key;
    reading(t, &own, "fy-first-own", &[("visitor", 40), ("staff", 45)]).await;
    reading(t, &garage, "fy-garage", &[("visitor", 120)]).await;
}

async fn trips(t: &TestWeb) -> (u32, u32) {
    cases::sync(&t.state).await.expect("sync");
    let f = cases::figures(&t.state, &principal(t, "admin").await, ParkingFiguresQuery { day: None }).await.expect("figures");
    (f.total_searches, f.total_guided_trips)
}

#[tokio::test]
async fn anyone_finds_a_car_park_and_sets_off_from_a_signs_qr_page_and_the_trip_is_counted() {
    let t = TestWeb::spawn(0).await;
    seed_parking(&t).await;
    let anyone = t.client();

    // The find page: the hospitals to choose from, then the answer.
    let r = anyone.get("/parking").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("富阳区第一人民医院") && r.body.contains("id=\"pk-locate\""), "the hospitals and the location button: {}", r.body);
    let r = anyone.get(&format!("/parking?hospital={HOSPITAL}&disabled=1")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for text in ["一院地下停车场", "江滨公共停车楼", "桂花路路内泊位", "有空位", "数据中断（未知）", "直线估算", "pk-map-t", "geo:", "uri.amap.com", "api.map.baidu.com", "maps.apple.com", "href=\"/parking/lots/fy-first-own\""] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    assert!(r.body.contains("checked") && r.body.contains("name=\"disabled\""), "the permit stays ticked");
    // From the driver's position; garbage there is refused on the page.
    let r = anyone.get(&format!("/parking?hospital={HOSPITAL}&lat=30.06&lon=119.95")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("按您的当前位置计算"), "{}", r.body);
    let r = anyone.get(&format!("/parking?hospital={HOSPITAL}&lat=north&lon=119.95")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("error-summary") && r.body.contains("f-lat-error"), "{}", r.body);
    let r = anyone.get("/parking?hospital=nowhere").await;
    assert!(r.body.contains("error-summary") && r.body.contains("没有这家医院"), "{}", r.body);

    // A lot's page: bays by type with the staff bays labelled, the last 24 hours drawn.
    let r = anyone.get("/parking/lots/fy-first-own").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for text in ["职工车位，不对外", "无障碍车位", "充电车位", "pk-hist-t", "全天开放", "首小时"] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    let r = anyone.get("/parking/lots/fy-street").await;
    assert!(r.body.contains("数据中断（未知）") && r.body.contains("最近 24 小时没有读数"), "a silent feed: {}", r.body);
    assert_eq!(anyone.get("/parking/lots/nowhere").await.status, StatusCode::NOT_FOUND);

    // The sign's QR page: its rows, the best lot with room and the buttons.
    let before = trips(&t).await;
    let page = anyone.get(&format!("/parking/signs/{SIGN}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in ["金桥北路口二级诱导屏", "诱导屏现在显示", "最佳停车场", "右转", "data-lot=\"fy-street\">—（未知）", "/static/parking.js", &format!("action=\"/parking/signs/{SIGN}/go\""), "value=\"amap\""] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let guidance = page.body.split("name=\"guidance\" value=\"").nth(1).and_then(|s| s.split('"').next()).expect("the answer's id").to_owned();
    // An unknown lot: refused on the page, nothing counted.
    let r = anyone.post(&format!("/parking/signs/{SIGN}/go"), &[("_csrf", &page.csrf()), ("guidance", &guidance), ("lot", "nowhere"), ("app", "amap")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("error-summary") && r.body.contains("没有这个停车场"), "{}", r.body);
    // No CSRF token: refused.
    let r = anyone.post(&format!("/parking/signs/{SIGN}/go"), &[("guidance", &guidance), ("lot", "fy-garage")]).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(trips(&t).await.1, before.1, "nothing counted");
    // The default (geo:) and a chosen app.
    let r = anyone.post(&format!("/parking/signs/{SIGN}/go"), &[("_csrf", &page.csrf()), ("guidance", &guidance), ("lot", "fy-garage")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.as_deref().is_some_and(|l| l.starts_with("geo:30.055,119.962")), "{:?}", r.location);
    let r = anyone.post(&format!("/parking/signs/{SIGN}/go"), &[("_csrf", &page.csrf()), ("guidance", &guidance), ("lot", "fy-garage"), ("app", "amap")]).await;
    assert!(r.location.as_deref().is_some_and(|l| l.starts_with("https://uri.amap.com/navigation?")), "{:?}", r.location);
    let csp = r.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(csp.contains("form-action 'self' geo: https://uri.amap.com"), "the browser may follow it: {csp}");
    let after = trips(&t).await;
    assert_eq!(after.1, before.1 + 2, "two guided trips");
    assert!(after.0 > before.0, "the page's answers are searches");
    assert_eq!(anyone.get("/parking/signs/nowhere").await.status, StatusCode::NOT_FOUND);

    // English.
    anyone.get("/prefs/lang/en?back=/parking").await;
    let r = anyone.get(&format!("/parking?hospital={HOSPITAL}")).await;
    assert!(r.body.contains("straight-line estimate") && r.body.contains("lang=\"zh-CN\""), "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn the_parking_department_registers_and_issues_keys_and_bad_forms_change_nothing() {
    let t = TestWeb::spawn(0).await;
    seed_parking(&t).await;
    let (resident, _) = {
        let logins = t.state.store.registers().bench_citizens(2).await.expect("citizens");
        (logins[0].clone(), logins[1].clone())
    };
    // A visitor is sent to sign in; a resident and a clerk of another department are refused.
    let anyone = t.client();
    let r = anyone.get("/parking/staff").await;
    assert!(r.status == StatusCode::SEE_OTHER && r.location.as_deref().is_some_and(|l| l.starts_with("/login")), "{:?}", r.location);
    for login in [resident.as_str(), "ga_clerk"] {
        let c = signed_in(&t, login).await;
        assert_eq!(c.get("/parking/staff").await.status, StatusCode::FORBIDDEN, "{login}");
        let form = c.get("/parking").await;
        let r = c.post("/parking/staff/hospitals", &[("_csrf", &form.csrf()), ("h_id", "x"), ("h_name", "x"), ("h_town", TOWN), ("h_lat", "30"), ("h_lon", "120")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
    }
    // The administrator sees the page too.
    assert_eq!(signed_in(&t, "admin").await.get("/parking/staff").await.status, StatusCode::OK);

    let c = signed_in(&t, STAFF).await;
    let page = c.get("/parking/staff").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in ["一院地下停车场", "有密钥", "无密钥", "金桥北路口二级诱导屏", "各时段占用率", "action=\"/parking/staff/hospitals\"", "action=\"/parking/staff/lots\"", "action=\"/parking/staff/signs\""] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let hospitals = cases::hospitals(&t.state).await.expect("hospitals").len();
    let lots = cases::lots(&t.state, None).await.expect("lots").len();
    // A hospital in a town that is not the district's: at the field, nothing saved.
    let r = c.post("/parking/staff/hospitals", &[("_csrf", &page.csrf()), ("h_id", "fy-second"), ("h_name", "富阳区第二人民医院"), ("h_town", "999999999"), ("h_lat", "30.05"), ("h_lon", "119.95")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-h_town-error\"") && r.body.contains("value=\"富阳区第二人民医院\""), "the error at the town, the form kept: {}", r.body);
    // A lot whose latitude is not a number, and one with no public bay.
    let mut form: Vec<(&str, &str)> = vec![("_csrf", ""), ("l_id", "fy-new"), ("l_name", "新停车场"), ("l_kind", "public_garage"), ("l_structure", "surface"), ("l_hospital", ""), ("l_town", TOWN), ("l_lat", "north"), ("l_lon", "119.96"), ("l_entrance_lat", "30.05"), ("l_entrance_lon", "119.96"), ("l_visitor", "10")];
    let csrf = page.csrf();
    form[0].1 = &csrf;
    let r = c.post("/parking/staff/lots", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-l_lat-error\"") && r.body.contains("“纬度（车辆入口）”须为数字"), "the field named: {}", r.body);
    form[7].1 = "30.05";
    form[11].1 = "0";
    let r = c.post("/parking/staff/lots", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-l_visitor-error\""), "no public bay, at the visitor bays: {}", r.body);
    // A sign listing an unknown lot.
    let r = c.post("/parking/staff/signs", &[("_csrf", &csrf), ("s_id", "fy-s3"), ("s_name", "路口三级屏"), ("s_level", "3"), ("s_hospital", HOSPITAL), ("s_lat", "30.051"), ("s_lon", "119.958"), ("s_lots", "nowhere right")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("error-summary") && r.body.contains("没有这个停车场"), "{}", r.body);
    assert_eq!(cases::hospitals(&t.state).await.expect("hospitals").len(), hospitals, "nothing saved");
    assert_eq!(cases::lots(&t.state, None).await.expect("lots").len(), lots, "nothing saved");
    assert!(cases::sign_view(&t.state, "fy-s3").await.is_err(), "no sign saved");

    // Good ones are saved.
    form[11].1 = "10";
    let r = c.post("/parking/staff/lots", &form).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/parking/staff?done=lot")), "{}", r.body);
    let r = c.post("/parking/staff/signs", &[("_csrf", &csrf), ("s_id", "fy-s3"), ("s_name", "路口三级屏"), ("s_level", "3"), ("s_hospital", HOSPITAL), ("s_lat", "30.051"), ("s_lon", "119.958"), ("s_lots", "fy-first-own right\nfy-new left")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(cases::sign_view(&t.state, "fy-s3").await.expect("the sign").rows.len(), 2);

    // A feed key, shown once with the MQTT user and topic and the HTTP header.
    let r = c.post("/parking/staff/lots/fy-street/key", &[("_csrf", &csrf)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("parking-fy-street") && r.body.contains("X-Feed-Key: ") && r.body.contains("只显示这一次"), "{}", r.body);
    let again = c.get("/parking/staff").await;
    assert!(!again.body.contains("X-Feed-Key: "), "shown once");
    t.shutdown().await;
}

#[tokio::test]
async fn the_cockpit_has_a_parking_section_for_those_allowed() {
    let t = TestWeb::spawn(0).await;
    seed_parking(&t).await;
    let c = signed_in(&t, "admin").await;
    let r = c.get("/cockpit").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for text in ["aria-labelledby=\"h-parking\"", "医院停车诱导", "各时段占用率", "诱导出行", "ck-pk-occ-t", "现在已满"] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    assert_eq!(signed_in(&t, STAFF).await.get("/cockpit").await.status, StatusCode::FORBIDDEN, "the cockpit is for leaders and supervisors");
    t.shutdown().await;
}
