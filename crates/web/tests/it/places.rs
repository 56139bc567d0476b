//! The places pages over HTTP (issue 32), as their users: anyone finds childcare institutions; a
//! parent applies for a place for a child of their household through the form (garbage is sent
//! back with each error next to its field and nothing stored), sees the application waiting, and
//! accepts the place the childcare department's round offers; the staff pages answer only their
//! departments (and the administrator), their forms refuse garbage without changing anything; the
//! housing department adds a home and commits and draws a lottery anyone can check on its page;
//! the cockpit shows the places section. The institution is registered through the use case as
//! `wjw_clerk`, so nothing depends on the demo's own places.

use chrono::Datelike;
use reqwest::StatusCode;
use server::areas::places::cases;
use server::areas::places::housing;
use server::areas::places::views::ClassBody;
use server::areas::places::views::InstitutionBody;
use server::areas::places::views::InstitutionQuery;
use server::auth::Principal;

use crate::helpers::Client;
use crate::helpers::TestWeb;

pub const INSTITUTION_NAME: &str = "测试托育园";

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

async fn principal(t: &TestWeb, login: &str) -> Principal {
    let (account, _) = t.state.store.identity().account_for_login(login).await.expect("query").expect("an account");
    Principal { account, token_hash: String::new() }
}

/// A family of the demo district: a parent's login and the child's name, the child old enough for
/// a place in a fortnight (7–30 months old).
pub struct Family {
    pub parent: String,
    pub child_name: String,
    pub community: String,
}

pub async fn family(t: &TestWeb) -> Family {
    let today = domain::china_date(t.state.now());
    let people = t.state.store.welfare().people_all().await.expect("people");
    let months = |b: chrono::NaiveDate| (today.year() - b.year()) * 12 + today.month() as i32 - b.month() as i32;
    for c in people.iter().filter(|p| (7..=30).contains(&months(p.birth_date))) {
        if let Some(parent) = people.iter().find(|p| p.household == c.household && p.id_number != c.id_number && p.account.is_some() && today.years_since(p.birth_date).unwrap_or(0) >= 18) {
            // A family the demo's own places story left alone.
            let p = principal(t, &parent.id_number).await;
            if !cases::my_applications(&t.state, &p).await.expect("mine").is_empty() || !housing::mine(&t.state, &p).await.expect("mine").is_empty() {
                continue;
            }
            return Family { parent: parent.id_number.clone(), child_name: c.name.clone(), community: parent.division.clone() };
        }
    }
    panic!("a child under 3 with a parent in the demo district");
}

/// Registers an institution with every age class near `community` (as the childcare
/// department): its id.
pub async fn seed_institution(t: &TestWeb, community: &str) -> String {
    let class = |class: &str, places: u32, fee: &str| ClassBody { class: class.into(), groups: 1, places, monthly_fee_yuan: fee.into() };
    let body = InstitutionBody {
        id: None,
        name: INSTITUTION_NAME.into(),
        kind: "community".into(),
        employer: None,
        community: community.into(),
        lat: 30.05,
        lon: 119.95,
        status: None,
        opens: "07:30".into(),
        closes: "17:30".into(),
        weekdays: vec![1, 2, 3, 4, 5],
        classes: vec![class("infant", 10, "2800.00"), class("young_toddler", 15, "2500.00"), class("older_toddler", 20, "2200.00")],
        carers: 12,
        health_staff: 1,
        priority: vec!["hardship".into(), "walking".into()],
    };
    cases::save_institution(&t.state, &principal(t, "wjw_clerk").await, body).await.expect("the institution is registered").id
}

#[tokio::test]
async fn each_page_answers_its_own_users() {
    let t = TestWeb::spawn(0).await;
    let f = family(&t).await;
    seed_institution(&t, &f.community).await;

    let anonymous = t.client();
    let r = anonymous.get("/places").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<h1>托育服务</h1>") && r.body.contains(INSTITUTION_NAME), "anyone finds the institutions: {}", r.body);
    assert!(r.body.contains("role=\"img\"") && r.body.contains("pl-map-t"), "on a map");
    assert!(r.body.contains("/login?next="), "a visitor is asked to sign in to apply");
    assert!(!r.body.contains("action=\"/places/childcare/apply\""), "no apply form for a visitor");
    let r = anonymous.get("/places?lat=30.06&lon=119.96").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("分钟"), "walking minutes from home: {}", r.body);
    let r = anonymous.get("/places?lat=north&lon=119.96").await;
    assert!(r.body.contains("id=\"f-lat-error\"") && r.body.contains(INSTITUTION_NAME), "a bad point is pointed out, the list still shown");

    let parent = signed_in(&t, &f.parent).await;
    let r = parent.get("/places").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("action=\"/places/childcare/apply\"") && r.body.contains(&f.child_name), "the apply form offers the child: {}", r.body);
    assert!(!r.body.contains(&f.parent), "no ID number of the family in the page");
    let r = parent.get("/places/housing").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("保障资格逐条说明") && r.body.contains("依据"), "eligibility criterion by criterion: {}", r.body);
    for staff in ["/places/childcare/staff", "/places/housing/staff"] {
        let r = parent.get(staff).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a resident on {staff}");
    }

    let wjw = signed_in(&t, "wjw_clerk").await;
    let r = wjw.get("/places/childcare/staff").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains(INSTITUTION_NAME) && r.body.contains("action=\"/places/childcare/rounds\""), "{}", r.body);
    assert_eq!(wjw.get("/places/housing/staff").await.status, StatusCode::FORBIDDEN, "childcare staff on the housing page");
    assert_eq!(wjw.get("/places/housing").await.status, StatusCode::FORBIDDEN, "a clerk has no household");

    let zjj = signed_in(&t, "zjj_clerk").await;
    let r = zjj.get("/places/housing/staff").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("轮候名单") && r.body.contains("action=\"/places/housing/homes\""), "{}", r.body);
    assert_eq!(zjj.get("/places/childcare/staff").await.status, StatusCode::FORBIDDEN, "housing staff on the childcare page");

    let admin = signed_in(&t, "admin").await;
    for page in ["/places/childcare/staff", "/places/housing/staff"] {
        assert_eq!(admin.get(page).await.status, StatusCode::OK, "the administrator on {page}");
    }
    let r = admin.get("/cockpit").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("id=\"h-places\"") && r.body.contains("每千人托位数") && r.body.contains("ck-places-t"), "the cockpit's places section: {}", r.body);
    let places = cases::figures(&t.state).await.expect("figures").district.licensed_places;
    assert!(places >= 45 && r.body.contains(&format!("<span class=\"num\">{places}</span><span class=\"lbl\">核定托位</span>")), "the institution's places counted: {}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn a_parent_applies_through_the_form_and_accepts_the_place_offered() {
    let t = TestWeb::spawn(0).await;
    let f = family(&t).await;
    let inst = seed_institution(&t, &f.community).await;
    let c = signed_in(&t, &f.parent).await;
    let page = c.get("/places").await;
    let csrf = page.csrf();
    assert!(page.body.contains("您还没有入托申请"), "no application yet");

    // Nothing chosen, no date, a home that is not a number: each error next to its field.
    let r = c.post("/places/childcare/apply", &[("_csrf", &csrf), ("child", ""), ("start_date", ""), ("home_lat", "north"), ("home_lon", "119.9")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["child", "start_date", "pref-1", "home_lat"] {
        assert!(r.body.contains(&format!("id=\"f-{field}-error\"")) && r.body.contains(&format!("href=\"#f-{field}\"")), "{field} next to its field and in the summary: {}", r.body);
    }
    assert!(r.body.contains("value=\"north\""), "what was typed is kept");
    // A child of another household (a number past the list), an institution that does not exist.
    let r = c.post("/places/childcare/apply", &[("_csrf", &csrf), ("child", "99"), ("start_date", "2026-03-16"), ("pref-1", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = c.post("/places/childcare/apply", &[("_csrf", &csrf), ("child", "1"), ("start_date", "2026-03-16"), ("pref-2", "12345"), ("home_lat", "30.06"), ("home_lon", "119.96")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-pref-2-error\""), "the unknown institution next to its preference: {}", r.body);
    let me = principal(&t, &f.parent).await;
    assert!(cases::my_applications(&t.state, &me).await.expect("mine").is_empty(), "nothing stored");

    // A real one: the first child of the list, the institution as the first preference.
    let child = page.body.split("name=\"child\"").nth(1).and_then(|s| s.split("value=\"").nth(2)).and_then(|s| s.split('"').next()).expect("a child to choose").to_owned();
    let r = c.post("/places/childcare/apply", &[("_csrf", &csrf), ("child", &child), ("start_date", "2026-03-16"), ("pref-1", &inst), ("home_lat", "30.06"), ("home_lon", "119.96")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location.as_deref().is_some_and(|l| l.starts_with("/places?done=applied")), "{:?}", r.location);
    let r = c.get("/places?done=applied").await;
    assert!(r.body.contains("入托申请已提交") && r.body.contains("轮候中") && r.body.contains(INSTITUTION_NAME), "the application, waiting: {}", r.body);
    assert!(r.body.contains("value=\"withdraw\""), "it may be withdrawn");
    // The same child again: refused, shown on the form.
    let r = c.post("/places/childcare/apply", &[("_csrf", &csrf), ("child", &child), ("start_date", "2026-03-16"), ("pref-1", &inst), ("home_lat", "30.06"), ("home_lon", "119.96")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("id=\"f-child-error\""), "{}", r.body);
    assert_eq!(cases::my_applications(&t.state, &me).await.expect("mine").len(), 1);

    // The childcare department sees it with the child's name and ID number masked, and runs a
    // round through its form.
    let wjw = signed_in(&t, "wjw_clerk").await;
    let staff = wjw.get("/places/childcare/staff").await;
    let first = f.child_name.chars().next().expect("a name").to_string();
    assert!(staff.body.contains(&format!("{first}*")) && !staff.body.contains(&format!(">{}<", f.child_name)), "the name masked in the queue");
    let r = wjw.post("/places/childcare/rounds", &[("_csrf", &staff.csrf()), ("seed", "test-round")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let staff = wjw.get("/places/childcare/staff").await;
    assert!(staff.body.contains("test-round"), "the round with its seed");

    // The family accepts the place offered.
    let r = c.get("/places").await;
    assert!(r.body.contains("已录取，待确认") && r.body.contains("value=\"accept\"") && r.body.contains("value=\"decline\""), "{}", r.body);
    let app = cases::my_applications(&t.state, &me).await.expect("mine").remove(0).id;
    let r = c.post(&format!("/places/childcare/applications/{app}/act"), &[("_csrf", &csrf), ("action", "accept")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c.get("/places").await;
    assert!(r.body.contains("已入托") && r.body.contains(&format!("name=\"last_day-{app}\"")), "enrolled, with the leave form: {}", r.body);
    // Leaving without a last day: the error beside the field, nothing changed.
    let r = c.post(&format!("/places/childcare/applications/{app}/act"), &[("_csrf", &csrf), ("action", "leave"), (&format!("last_day-{app}"), "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-last_day-{app}-error\"")), "{}", r.body);
    assert_eq!(cases::my_applications(&t.state, &me).await.expect("mine")[0].state, "enrolled");
    // Another family cannot act on it.
    let other = t.state.store.registers().bench_citizens(20).await.expect("citizens").into_iter().find(|l| *l != f.parent).expect("another resident");
    let o = signed_in(&t, &other).await;
    let page = o.get("/places").await;
    let r = o.post(&format!("/places/childcare/applications/{app}/act"), &[("_csrf", &page.csrf()), ("action", "leave"), (&format!("last_day-{app}"), "2026-12-31")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn staff_forms_refuse_garbage_and_change_nothing() {
    let t = TestWeb::spawn(0).await;
    let f = family(&t).await;
    let wjw = signed_in(&t, "wjw_clerk").await;
    let page = wjw.get("/places/childcare/staff").await;
    let csrf = page.csrf();
    let r = wjw.post("/places/childcare/institutions", &[("_csrf", &csrf), ("name", ""), ("kind", "castle"), ("community", "123"), ("lat", "x"), ("lon", ""), ("carers", "many")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["name", "kind", "lat", "lon", "carers"] {
        assert!(r.body.contains(&format!("id=\"f-{field}-error\"")), "{field}: {}", r.body);
    }
    // Well-formed but not a community of the district: the use case's error on its field.
    let r = wjw.post("/places/childcare/institutions", &[("_csrf", &csrf), ("name", "新托育园"), ("kind", "private"), ("community", "123"), ("lat", "30.05"), ("lon", "119.95"), ("opens", "07:30"), ("closes", "17:30"), ("weekday-1", "1"), ("carers", "5"), ("groups-older_toddler", "1"), ("places-older_toddler", "20"), ("fee-older_toddler", "2000")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-community-error\"") && r.body.contains("value=\"新托育园\""), "{}", r.body);
    let wjw_p = principal(&t, "wjw_clerk").await;
    let all = InstitutionQuery { all: Some(true), ..Default::default() };
    let before = cases::institutions(&t.state, Some(&wjw_p), all.clone()).await.expect("list").len();
    assert!(!cases::institutions(&t.state, Some(&wjw_p), all.clone()).await.expect("list").iter().any(|i| i.name == "新托育园"), "nothing registered");
    // Then a good one.
    let r = wjw.post("/places/childcare/institutions", &[("_csrf", &csrf), ("name", "新托育园"), ("kind", "private"), ("community", &f.community), ("lat", "30.05"), ("lon", "119.95"), ("status", "open"), ("opens", "07:30"), ("closes", "17:30"), ("weekday-1", "1"), ("weekday-2", "1"), ("carers", "5"), ("groups-older_toddler", "1"), ("places-older_toddler", "20"), ("fee-older_toddler", "2000")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list: Vec<_> = cases::institutions(&t.state, Some(&wjw_p), all.clone()).await.expect("list").into_iter().filter(|i| i.name == "新托育园").collect();
    assert_eq!(list.len(), 1);
    assert_eq!(cases::institutions(&t.state, Some(&wjw_p), all.clone()).await.expect("list").len(), before + 1);
    // An inspection without a result: refused, nothing recorded.
    let r = wjw.post("/places/childcare/inspections", &[("_csrf", &csrf), ("institution", &list[0].id), ("date", "2026-03-01")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-result-error\""), "{}", r.body);
    let r = wjw.post("/places/childcare/inspections", &[("_csrf", &csrf), ("institution", &list[0].id), ("date", "March"), ("result", "pass")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-date-error\""), "{}", r.body);
    assert!(cases::institution(&t.state, &list[0].id).await.expect("one").inspections.is_empty(), "no inspection recorded");
    // The edit form is filled with what is registered.
    let r = wjw.get(&format!("/places/childcare/staff?edit={}", list[0].id)).await;
    assert!(r.body.contains(&format!("name=\"id\" value=\"{}\"", list[0].id)) && r.body.contains("value=\"新托育园\""), "{}", r.body);

    // Housing: a home with garbage, then a good one; a draw with garbage, then one committed and
    // drawn, which anyone checks on its page.
    let zjj = signed_in(&t, "zjj_clerk").await;
    let zjj_p = principal(&t, "zjj_clerk").await;
    let page = zjj.get("/places/housing/staff").await;
    let csrf = page.csrf();
    let homes = housing::units(&t.state, &zjj_p).await.expect("units").len();
    let draws = housing::draws(&t.state).await.expect("draws").len();
    let r = zjj.post("/places/housing/homes", &[("_csrf", &csrf), ("estate", "公租房小区"), ("building", "1"), ("number", "101"), ("floor_area_m2", "big"), ("rooms", "two"), ("market_rent_yuan", "1800")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-rooms-error\""), "{}", r.body);
    let r = zjj.post("/places/housing/homes", &[("_csrf", &csrf), ("estate", "公租房小区"), ("building", "1"), ("number", "101"), ("floor_area_m2", "big"), ("rooms", "2"), ("market_rent_yuan", "1800")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-floor_area_m2-error\"") && r.body.contains("value=\"公租房小区\""), "{}", r.body);
    assert_eq!(housing::units(&t.state, &zjj_p).await.expect("units").len(), homes, "no home added");
    let r = zjj.post("/places/housing/homes", &[("_csrf", &csrf), ("estate", "公租房小区"), ("building", "1"), ("number", "101"), ("floor_area_m2", "45.60"), ("rooms", "2"), ("market_rent_yuan", "1800")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let units = housing::units(&t.state, &zjj_p).await.expect("units");
    assert_eq!(units.len(), homes + 1);
    let unit = units.iter().find(|u| u.estate == "公租房小区" && u.number == "101").expect("the home").id.clone();
    let r = zjj.post(&format!("/places/housing/homes/{unit}/offer"), &[("_csrf", &csrf)]).await;
    if housing::waiting_list(&t.state, &zjj_p).await.expect("waiting").is_empty() {
        // Nobody waits: offering the home is refused beside its button.
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(r.body.contains("class=\"error-message\""), "{}", r.body);
    }
    let r = zjj.post("/places/housing/draws", &[("_csrf", &csrf), ("title", ""), ("homes", "0")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-title-error\"") && r.body.contains("id=\"f-homes-error\""), "{}", r.body);
    assert_eq!(housing::draws(&t.state).await.expect("draws").len(), draws, "no draw committed");
    let r = zjj.post("/places/housing/draws", &[("_csrf", &csrf), ("title", "2026 年第一批公租房摇号"), ("homes", "1")]).await;
    if r.status == StatusCode::SEE_OTHER {
        let draw = housing::draws(&t.state).await.expect("draws").remove(0);
        let anyone = t.client();
        let p = anyone.get(&format!("/places/draws/{}", draw.id)).await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert!(p.body.contains(&draw.seed_sha256) && p.body.contains("开奖时公布"), "the commitment, the seed kept: {}", p.body);
        assert!(p.body.contains("tools/lottery-verify/verify.py"), "how to re-run it");
        let r = zjj.post(&format!("/places/housing/draws/{}/draw", draw.id), &[("_csrf", &csrf)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let seed = housing::draws(&t.state).await.expect("draws").remove(0).seed.expect("the seed published");
        let p = anyone.get(&format!("/places/draws/{}?seed={seed}", draw.id)).await;
        assert!(p.body.contains("验证通过"), "the published seed reproduces the draw: {}", p.body);
        let p = anyone.get(&format!("/places/draws/{}?seed={}", draw.id, "0".repeat(64))).await;
        assert!(p.body.contains("id=\"f-seed-error\"") && !p.body.contains("验证通过"), "another seed does not: {}", p.body);
    } else {
        // A draw over nobody may be refused by the engine: on the form, nothing committed.
        assert!(r.status.is_client_error(), "{}", r.body);
        assert!(r.body.contains("error-summary"), "{}", r.body);
        assert_eq!(housing::draws(&t.state).await.expect("draws").len(), draws);
    }

    // A resident's housing application with no route chosen: refused, nothing filed.
    let parent = signed_in(&t, &f.parent).await;
    let page = parent.get("/places/housing").await;
    assert!(page.body.contains("action=\"/places/housing/apply\""), "the apply form: {}", page.body);
    let r = parent.post("/places/housing/apply", &[("_csrf", &page.csrf()), ("route", "palace"), ("phone", "123")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-route-error\"") && r.body.contains("value=\"123\""), "{}", r.body);
    assert!(housing::mine(&t.state, &principal(&t, &f.parent).await).await.expect("mine").is_empty(), "nothing filed");
    t.shutdown().await;
}

#[tokio::test]
async fn a_home_improvement_goes_from_the_housing_department_to_the_resident() {
    let t = TestWeb::spawn(0).await;
    let f = family(&t).await;
    let zjj = signed_in(&t, "zjj_clerk").await;
    let zjj_p = principal(&t, "zjj_clerk").await;
    let page = zjj.get("/places/housing/staff").await;
    let csrf = page.csrf();
    let projects = housing::projects(&t.state, &zjj_p).await.expect("projects").len();
    // Nothing filled in, then someone the register does not know: refused, nothing opened.
    let r = zjj.post("/places/housing/shanju", &[("_csrf", &csrf), ("resident", ""), ("address", ""), ("basis", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["resident", "address", "basis"] {
        assert!(r.body.contains(&format!("id=\"f-{field}-error\"")), "{field}: {}", r.body);
    }
    let r = zjj.post("/places/housing/shanju", &[("_csrf", &csrf), ("resident", "110101199003077777"), ("address", "富春街道 1 号"), ("basis", "低保")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-resident-error\"") && r.body.contains("value=\"富春街道 1 号\""), "{}", r.body);
    assert_eq!(housing::projects(&t.state, &zjj_p).await.expect("projects").len(), projects, "nothing opened");
    let r = zjj.post("/places/housing/shanju", &[("_csrf", &csrf), ("resident", &f.parent), ("address", "富春街道 江滨西大道 8 号 2 单元 301"), ("basis", "低保")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let project = housing::projects(&t.state, &zjj_p).await.expect("projects").remove(0);
    let page = zjj.get("/places/housing/staff").await;
    assert!(page.body.contains(&project.resident) && !page.body.contains(&f.parent), "the resident's ID number masked");
    assert!(page.body.contains(&format!("name=\"notes-{}\"", project.id)), "the survey form: {}", page.body);
    // The survey step through its form.
    let r = zjj.post(&format!("/places/shanju/{}/act", project.id), &[("_csrf", &csrf), ("action", "survey"), (&format!("notes-{}", project.id), "卫生间无扶手\n楼梯照明不足")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(housing::projects(&t.state, &zjj_p).await.expect("projects")[0].state, "surveyed");
    // The plan with a cost that is not an amount: refused beside the project, nothing changed.
    let r = zjj.post(&format!("/places/shanju/{}/act", project.id), &[("_csrf", &csrf), ("action", "plan"), (&format!("items-{}", project.id), "加装扶手，八百"), (&format!("budget-{}", project.id), "3000")]).await;
    assert!(r.status.is_client_error(), "{}", r.body);
    assert!(r.body.contains("error-summary"), "{}", r.body);
    assert_eq!(housing::projects(&t.state, &zjj_p).await.expect("projects")[0].state, "surveyed");
    // The resident sees the works on their housing page, and may not take a department's step.
    let c = signed_in(&t, &f.parent).await;
    let page = c.get("/places/housing").await;
    assert!(page.body.contains("善居工程") && page.body.contains("卫生间无扶手"), "{}", page.body);
    let r = c.post(&format!("/places/shanju/{}/act", project.id), &[("_csrf", &page.csrf()), ("action", "start")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(housing::projects(&t.state, &zjj_p).await.expect("projects")[0].state, "surveyed");
    t.shutdown().await;
}
