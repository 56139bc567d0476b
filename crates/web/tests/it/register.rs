//! Registration on the pages: two steps (the code by text message, then the password) with the
//! one answer whoever asks and errors next to their fields; a guardian's wards on "my data"; and
//! the claim slip a window intake hands over when it opens a resident's account.

use chrono::NaiveDate;
use domain::{HouseholdId, PersonId, ResidentId};
use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::{Client, Page, TestWeb};
use crate::pages::{input_names, sample};

/// A new adult in the population register, without an account; their ID number.
async fn new_resident(t: &TestWeb, name: &str, birth: NaiveDate) -> String {
    for seq in 700..999u16 {
        let id = ResidentId::from_parts("330183", birth, seq).expect("a valid number");
        if t.state.store.registers().person_by_id_number(id.as_str()).await.expect("query").is_some() {
            continue;
        }
        let any = t.state.store.pool().persons_page(0, 1).await.expect("a resident").remove(0);
        let p = store::Person {
            id: PersonId(t.state.parts.ids.next()),
            id_number: id.as_str().to_owned(),
            name: name.to_owned(),
            sex: "male".to_owned(),
            birth_date: birth,
            division: any.division,
            phone: None,
            household: HouseholdId(t.state.parts.ids.next()),
            relation: "户主".to_owned(),
        };
        t.state.store.registers().insert_persons(&[p], t.state.now()).await.expect("insert a resident");
        return id.as_str().to_owned();
    }
    panic!("no free ID number");
}

/// The codes sent to a phone, newest first, read from the outbox as the SMS gateway would.
async fn codes_sent_to(t: &TestWeb, phone: &str) -> Vec<String> {
    let rows = sqlx::query("SELECT text_zh FROM notice WHERE recipient = $1 ORDER BY created_at DESC, id DESC")
        .bind(format!("phone:{phone}"))
        .fetch_all(t.state.store.read_pool())
        .await
        .expect("query");
    rows.iter()
        .map(|r| {
            let text: String = r.get(0);
            text.split("验证码为 ").nth(1).expect("a code").chars().take_while(char::is_ascii_digit).collect()
        })
        .collect()
}

/// The value of a hidden field of a page.
fn hidden(page: &Page, name: &str) -> Option<String> {
    let key = format!("type=\"hidden\" name=\"{name}\" value=\"");
    page.body.split(&key).nth(1).and_then(|s| s.split('"').next()).map(str::to_owned)
}

#[tokio::test]
async fn registering_takes_two_steps_with_the_one_answer() {
    let t = TestWeb::spawn(0).await;
    let id = new_resident(&t, "高远", NaiveDate::from_ymd_opt(1991, 11, 11).expect("date")).await;
    let c = t.client();
    let form = c.get("/register").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("action=\"/register/code\"") && form.body.contains("name=\"claim_code\""), "{}", form.body);
    assert!(form.body.contains("在窗口办理时领取的认领码"), "the claim code is explained");
    assert!(form.body.contains("id=\"f-claim_code-hint\"") && form.body.contains("aria-describedby=\"f-claim_code-hint\""), "the hint is tied to its input");
    let csrf = form.csrf();

    // Step one: a bad ID number is an error next to its field; a missing name too.
    let r = c.post("/register/code", &[("_csrf", &csrf), ("id_number", "330183199001011233"), ("name", ""), ("phone", "13900001234")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-name-error\""), "{}", r.body);
    let r = c.post("/register/code", &[("_csrf", &csrf), ("id_number", "330183199001011233"), ("name", "高远"), ("phone", "13900001234")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-id_number-error\"") && r.body.contains("href=\"#f-id_number\""), "{}", r.body);

    // A wrong name and the right one read the same, and only the right one gets a code.
    let phone = "13912345678";
    let wrong = c.post("/register/code", &[("_csrf", &csrf), ("id_number", &id), ("name", "高远不是我"), ("phone", phone)]).await;
    assert_eq!(wrong.status, StatusCode::OK, "{}", wrong.body);
    assert!(codes_sent_to(&t, phone).await.is_empty());
    let step2 = c.post("/register/code", &[("_csrf", &csrf), ("id_number", &id), ("name", "高远"), ("phone", phone), ("claim_code", "")]).await;
    assert_eq!(step2.status, StatusCode::OK, "{}", step2.body);
    let message = "验证码已发送至 139****5678，10 分钟内有效";
    assert!(wrong.body.contains(message) && step2.body.contains(message), "{}", step2.body);
    assert_eq!(hidden(&step2, "id_number").as_deref(), Some(id.as_str()));
    assert_eq!(hidden(&step2, "phone").as_deref(), Some(phone));
    assert!(step2.body.contains("autocomplete=\"one-time-code\"") && step2.body.contains("name=\"password\""));
    let codes = codes_sent_to(&t, phone).await;
    assert_eq!(codes.len(), 1);

    // Step two: a wrong code stands next to the code, a weak password next to the password.
    let csrf = step2.csrf();
    let fields = |code: &str, password: &str| -> Vec<(&'static str, String)> {
        vec![("_csrf", csrf.clone()), ("id_number", id.clone()), ("name", "高远".into()), ("phone", phone.into()), ("claim_code", String::new()), ("code", code.into()), ("password", password.into())]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let c = &c;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post("/register", &pairs).await
        }
    };
    let r = post(fields("000000", "abc12345")).await;
    let r = if codes[0] == "000000" { post(fields("000001", "abc12345")).await } else { r };
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-code-error\"") && r.body.contains("验证码不正确或已失效"), "{}", r.body);
    let r = post(fields("000000", "short")).await;
    assert!(r.body.contains("id=\"f-password-error\""), "{}", r.body);
    let r = post(fields(&codes[0], "abc12345")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/"));
    let mine = c.get("/me/data").await;
    assert_eq!(mine.status, StatusCode::OK, "signed in");

    // In English too.
    let other = t.client();
    other.get("/prefs/lang/en?back=/").await;
    let csrf = other.get("/register").await.csrf();
    let r = other.post("/register/code", &[("_csrf", &csrf), ("id_number", &id), ("name", "高远"), ("phone", "13811112222")]).await;
    assert!(r.body.contains("a code has been sent to 138****2222"), "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn a_guardian_sees_the_minors_in_their_care() {
    let t = TestWeb::spawn(0).await;
    let row = sqlx::query(
        "SELECT c.id_number, h.id_number FROM person c JOIN person h ON h.household = c.household AND h.relation = '户主'
          WHERE c.relation IN ('子', '女') AND c.birth_date > '2012-01-01' AND h.birth_date < '1995-01-01'
            AND EXISTS (SELECT 1 FROM account a WHERE a.login = h.id_number) ORDER BY c.id LIMIT 1",
    )
    .fetch_one(t.state.store.read_pool())
    .await
    .expect("a minor with a parent");
    let (child, parent): (String, String) = (row.get(0), row.get(1));
    let c = t.client();
    c.login(&parent).await;
    let page = c.get("/me/data").await;
    assert!(page.body.contains("我监护的未成年人"), "{}", page.body);
    let masked = format!("{}********{}", &child[..6], &child[14..]);
    assert!(page.body.contains(&masked) && !page.body.contains(&child), "masked: {}", page.body);
    // A resident without minors in their care sees no such section.
    let someone = t.citizen().await;
    let other = t.client();
    other.login(&someone).await;
    let wards = server::areas::identity::cases::wards(&t.state, &t.state.store.identity().account_for_login(&someone).await.expect("query").expect("account").0).await.expect("wards");
    assert_eq!(other.get("/me/data").await.body.contains("我监护的未成年人"), !wards.is_empty());
    t.shutdown().await;
}

/// Files the application form a window intake shows (with its hidden applicant); the answer.
async fn submit_intake(t: &TestWeb, w: &Client, form: &Page, code: &str) -> reqwest::Response {
    let mut mp = reqwest::multipart::Form::new().text("_csrf", form.csrf()).text("idem", hidden(form, "idem").expect("idem"));
    mp = mp.text("applicant", hidden(form, "applicant").expect("applicant"));
    let cat = t.state.catalog();
    for f in cat.bundle(code).expect("bundle").form_fields(cat) {
        if f.required {
            mp = mp.text(format!("form.{}", f.key), sample(&f.kind, &f.key));
        }
    }
    for name in input_names(&form.body, "materials.") {
        let part = reqwest::multipart::Part::bytes(b"%PDF-1.4\n%test\n".to_vec()).file_name("scan.pdf").mime_str("application/pdf").expect("mime");
        mp = mp.part(name, part);
    }
    w.http.post(format!("{}/apply/bundle/{code}", w.base)).multipart(mp).send().await.expect("POST")
}

#[tokio::test]
async fn a_window_intake_that_opens_an_account_hands_over_a_claim_slip() {
    let t = TestWeb::spawn(0).await;
    let id = new_resident(&t, "沈佳", NaiveDate::from_ymd_opt(1977, 7, 17).expect("date")).await;
    let w = t.client();
    w.login("window").await;
    let intake = w.get("/staff/intake").await;
    assert!(intake.body.contains("action=\"/staff/claim-code\""), "the lost-slip form");
    let csrf = intake.csrf();
    let form = w.post("/staff/intake", &[("_csrf", &csrf), ("applicant", &id), ("target", "bundle:medical")]).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let r = submit_intake(&t, &w, &form, "medical").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let slip = r.text().await.expect("body");
    assert!(slip.contains("网上账号认领凭条") && slip.contains("沈佳") && slip.contains("data-print"), "{slip}");
    let code = slip.split("class=\"claim-code\">").nth(1).and_then(|s| s.split('<').next()).expect("the claim code").to_owned();
    assert_eq!(code.len(), 9, "{code}");
    assert!(slip.contains(&format!("认领码 {code}")), "the resident is told how to use it");

    // The slip was lost: a new code, and the old one stops working.
    let csrf = w.get("/staff/intake").await.csrf();
    let bad = w.post("/staff/claim-code", &[("_csrf", &csrf), ("resident", "330183199001011233")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"f-resident-error\""), "{}", bad.body);
    let again = w.post("/staff/claim-code", &[("_csrf", &csrf), ("resident", &id)]).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    let second = again.body.split("class=\"claim-code\">").nth(1).and_then(|s| s.split('<').next()).expect("a new claim code").to_owned();
    assert_ne!(code, second);

    // A resident's own pages never offer it.
    let c = t.client();
    c.login(&t.citizen().await).await;
    let csrf = c.get("/applications").await.csrf();
    let r = c.post("/staff/claim-code", &[("_csrf", &csrf), ("resident", &id)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    t.shutdown().await;
}
