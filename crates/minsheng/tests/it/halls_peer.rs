//! `minsheng demo` starts a second district, 上城区 (330102), beside 富阳区, each configured with
//! the other as its cross-region peer by keys kept in their data directories: a window in 富阳区
//! hands a case to 上城区, 上城区's staff approve it through its own engine, and the result comes
//! back to 富阳区 — over HTTP, between the two districts of the one demo process.

use std::fs::File;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use reqwest::Client;
use serde_json::Value;
use serde_json::json;

use crate::helpers::free_port;
use crate::helpers::minsheng;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn login(http: &Client, url: &str, who: &str) -> String {
    let r = http.post(format!("{url}/api/auth/login")).json(&json!({ "login": who, "password": "demo1234" })).send().await.expect("login");
    let v: Value = r.json().await.expect("json");
    v["token"].as_str().unwrap_or_else(|| panic!("a token for {who}: {v}")).to_owned()
}

async fn get(http: &Client, url: &str, token: &str) -> Value {
    http.get(url).bearer_auth(token).send().await.expect("get").json().await.expect("json")
}

#[tokio::test]
async fn the_demos_two_districts_hand_a_case_across_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let (pa, pb, pm) = (free_port(), free_port(), free_port());
    let (a, b) = (format!("http://127.0.0.1:{pa}"), format!("http://127.0.0.1:{pb}"));
    let out = dir.path().join("stdout.txt");
    let data_s = data.display().to_string();
    let (listen, peer_listen, mqtt) = (format!("127.0.0.1:{pa}"), format!("127.0.0.1:{pb}"), format!("127.0.0.1:{pm}"));
    let args = ["demo", "--data-dir", &data_s, "--residents", "300", "--enterprises", "10", "--history", "0", "--listen", &listen, "--peer-listen", &peer_listen, "--mqtt-listen", &mqtt];
    let _child = Child(
        minsheng(&args)
            .env("MINSHENG__HALLS__POLL_SECONDS", "1")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("stdout"))
            .stderr(File::create(dir.path().join("stderr.txt")).expect("stderr"))
            .spawn()
            .expect("minsheng demo"),
    );
    let http = Client::new();
    let started = Instant::now();
    let printed = loop {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let up = http.get(format!("{b}/healthz")).send().await.is_ok_and(|r| r.status().is_success());
        if up && text.contains("Ctrl-C") {
            break text;
        }
        let err = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
        assert!(started.elapsed() < Duration::from_secs(120), "the demo and its peer did not come up\n{text}\n{err}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(printed.contains("上城区") && printed.contains(&format!("{b}/")) && printed.contains("/api/crossregion/cases"), "{printed}");

    // Each district publishes the key the other configured, and lists the other as its peer.
    let (admin_a, admin_b) = (login(&http, &a, "admin").await, login(&http, &b, "admin").await);
    let (ka, kb) = (get(&http, &format!("{a}/api/crossregion/key"), &admin_a).await, get(&http, &format!("{b}/api/crossregion/key"), &admin_b).await);
    assert_eq!((ka["district"].as_str(), kb["district"].as_str()), (Some("330111"), Some("330102")), "{ka} {kb}");
    let peer_key = |k: &Value, code: &str| k["peers"].as_array().and_then(|p| p.iter().find(|x| x["district"] == code)).map(|x| x["public_key"].clone());
    assert_eq!(peer_key(&ka, "330102"), Some(kb["public_key"].clone()), "{ka} {kb}");
    assert_eq!(peer_key(&kb, "330111"), Some(ka["public_key"].clone()), "{ka} {kb}");
    for key in [data.join("pool-signing.key"), data.join("peer").join("pool-signing.key")] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("the district key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key.display());
    }

    // The printed example, as a window in 富阳区 would send it.
    let applicant = printed.split("\"applicant\":\"").nth(1).and_then(|s| s.split('"').next()).expect("the example's applicant").to_owned();
    let name = printed.split("\"applicant_name\":\"").nth(1).and_then(|s| s.split('"').next()).expect("the example's name").to_owned();
    let window = login(&http, &a, "window").await;
    let body = json!({ "district": "330102", "item": "zgj-housing-status", "applicant": applicant, "applicant_name": name, "phone": "13905710001" });
    let r = http.post(format!("{a}/api/crossregion/cases")).bearer_auth(&window).json(&body).send().await.expect("forward");
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let case: Value = r.json().await.expect("json");
    let id = case["id"].as_str().expect("id").to_owned();
    let until = |what: &'static str| {
        let (http, a, window, id) = (http.clone(), a.clone(), window.clone(), id.clone());
        async move {
            let started = Instant::now();
            loop {
                let c = get(&http, &format!("{a}/api/crossregion/cases/{id}"), &window).await;
                if c["state"] == what {
                    return c;
                }
                assert!(started.elapsed() < Duration::from_secs(30), "the case is not {what}: {c}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    };
    let accepted = until("accepted").await;
    let remote = accepted["remote_application"].as_str().expect("上城区's application").to_owned();

    // 上城区's staff take it to approval through its own engine.
    let catalog = catalog::Catalog::demo();
    for _ in 0..20 {
        let app = get(&http, &format!("{b}/api/applications/{remote}"), &admin_b).await;
        let Some(c) = app["cases"].as_array().expect("cases").iter().find(|c| c["status"] == "active").cloned() else { break };
        let (dept, item, state) = (c["department"].as_str().expect("dept"), c["item"].as_str().expect("item"), c["state"].as_str().expect("state"));
        let wf = catalog.item(item).and_then(|i| catalog.workflow(&i.workflow)).expect("workflow");
        let action = demo::seed::toward_approval(wf, state).expect("a way to approval").code.clone();
        let mut done = false;
        for role in ["clerk", "reviewer", "approver"] {
            let token = login(&http, &b, &format!("{dept}_{role}")).await;
            let r = http.post(format!("{b}/api/applications/{remote}/cases/{}/actions", c["id"].as_str().expect("id"))).bearer_auth(&token).json(&json!({ "action": action })).send().await.expect("act");
            if r.status().is_success() {
                done = true;
                break;
            }
        }
        assert!(done, "nobody in {dept} took {action} on {item}");
    }
    // The result comes back to 富阳区.
    let completed = until("completed").await;
    assert_eq!(completed["settled"].as_bool(), Some(true), "{completed}");
}
