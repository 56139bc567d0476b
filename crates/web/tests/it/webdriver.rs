//! A small W3C WebDriver client over reqwest (already in the tree), enough to drive Debian's
//! chromedriver: sessions, navigation, elements, keys, scripts (awaiting promises, for axe-core)
//! and screenshots. chromedriver runs as a child process on a free port and is killed on drop.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[derive(Debug, Clone)]
pub struct Element(String);

impl Driver {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub async fn start() -> Driver {
        let port = free_port();
        let driver = std::env::var("MINSHENG_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().expect("client");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let binary = std::env::var("MINSHENG_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                         "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                         "--lang=zh-CN", "--window-size=1280,900", format!("--user-data-dir={}", profile.path().display())]
            }
        } } });
        let r: Value = http.post(format!("{base}/session")).json(&caps).send().await.expect("new session").json().await.expect("json");
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_owned();
        Driver { child, base, http, session, _profile: profile }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut rb = self.http.request(method, url);
        rb = rb.json(&body.unwrap_or_else(|| json!({})));
        let r: Value = rb.send().await.expect("webdriver").json().await.expect("webdriver json");
        if r["value"].get("error").is_some() {
            panic!("webdriver {path}: {}", r["value"]);
        }
        r["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or("").to_owned()
    }

    pub async fn find(&self, css: &str) -> Element {
        let v = self.cmd(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css }))).await;
        Element(v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}")).to_owned())
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self.cmd(reqwest::Method::POST, "/elements", Some(json!({ "using": "css selector", "value": css }))).await;
        v.as_array().map(|a| a.iter().filter_map(|e| e[ELEMENT].as_str().map(|s| Element(s.to_owned()))).collect()).unwrap_or_default()
    }

    pub async fn click(&self, e: &Element) {
        self.cmd(reqwest::Method::POST, &format!("/element/{}/click", e.0), None).await;
    }

    /// Clicks something that loads a new page, and waits until the new page has loaded.
    pub async fn click_nav(&self, e: &Element) {
        self.script("window.__msOld = true", json!([])).await;
        self.click(e).await;
        for _ in 0..200 {
            let r = self.http.post(format!("{}/session/{}/execute/sync", self.base, self.session))
                .json(&json!({ "script": "return window.__msOld === undefined && document.readyState === 'complete'", "args": [] }))
                .send().await;
            if let Ok(r) = r
                && let Ok(v) = r.json::<Value>().await
                && v["value"] == true
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after the click");
    }

    pub async fn type_into(&self, e: &Element, text: &str) {
        self.cmd(reqwest::Method::POST, &format!("/element/{}/clear", e.0), None).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{}/value", e.0), Some(json!({ "text": text }))).await;
    }

    /// Chooses a file for an `<input type=file>`.
    pub async fn choose_file(&self, e: &Element, path: &Path) {
        self.cmd(reqwest::Method::POST, &format!("/element/{}/value", e.0), Some(json!({ "text": path.display().to_string() }))).await;
    }

    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.cmd(reqwest::Method::GET, &format!("/element/{}/text", e.0), None).await.as_str().unwrap_or("").to_owned()
    }

    /// Runs a script; a returned promise is awaited.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Presses a key (a WebDriver key code such as "\u{E004}" for Tab) on the focused element.
    pub async fn press(&self, key: &str) {
        let actions = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
            { "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }
        ] }] });
        self.cmd(reqwest::Method::POST, "/actions", Some(actions)).await;
    }

    pub async fn set_window(&self, width: u32, height: u32) {
        self.cmd(reqwest::Method::POST, "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    /// A screenshot of the whole page (the window grows to the page's height, up to 5000 px).
    pub async fn screenshot(&self, path: &Path, width: u32) {
        self.set_window(width, 900).await;
        let h = self.script("return document.documentElement.scrollHeight", json!([])).await.as_u64().unwrap_or(900);
        let h = u32::try_from(h).unwrap_or(900).clamp(600, 5000) + 120;
        self.set_window(width, h).await;
        let b64 = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or("")).expect("png");
        std::fs::write(path, png).expect("write screenshot");
        self.set_window(width, 900).await;
    }

    pub async fn quit(self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}
