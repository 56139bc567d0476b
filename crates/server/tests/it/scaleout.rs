//! Several servers on one database (issue 29): node numbers leased from the database so that two
//! servers never make the same ids, and an id that clashes anyway is an error, never an overwrite.

use std::collections::BTreeSet;

use domain::ApplicationId;
use onething::Effects;
use server::areas::onething::cases::FnJob;
use store::{Store, StoreError, StoreOptions};

use crate::helpers::{Db, TestApp, backends};

/// A new application whose cases carry the ids of another application's cases (two servers with
/// one node number made the same ids) fails; the other application keeps its cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_clash_is_an_error_never_an_overwrite() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (_, token) = t.citizen().await;
        let filed = t.file(&token, "birth").await;
        let id: i64 = filed["id"].as_str().expect("id").parse().expect("numeric id");
        let store = t.state.store.clone();
        let before = store.onething().application(ApplicationId(id)).await.expect("read").expect("filed");
        let cases: BTreeSet<i64> = before.cases.iter().map(|c| c.id.0).collect();
        assert!(cases.len() > 1, "{db:?}: a bundle has several cases");
        let new_id = store.ids().next();
        let job = FnJob::new(vec![ApplicationId(id)], id.unsigned_abs(), move |uow: &mut store::UnitOfWork| {
            let mut twin = uow.get(ApplicationId(id)).expect("loaded").clone();
            twin.id = ApplicationId(new_id);
            uow.insert(twin, Effects::default());
        });
        let r = store.run(job).await;
        assert!(r.as_ref().is_err_and(StoreError::is_unique_violation), "{db:?}: {r:?}");
        let after = store.onething().application(ApplicationId(id)).await.expect("read").expect("still there");
        let still: BTreeSet<i64> = after.cases.iter().map(|c| c.id.0).collect();
        assert_eq!(still, cases, "{db:?}: the application keeps its cases");
        assert!(store.onething().application(ApplicationId(new_id)).await.expect("read").is_none(), "{db:?}: nothing of the twin was written");
        let r = t.get(&token, &format!("/api/applications/{id}")).await;
        assert_eq!(r.status, reqwest::StatusCode::OK, "{db:?}: {}", r.body);
        assert_eq!(r.body["cases"].as_array().map(Vec::len), Some(cases.len()), "{db:?}");
        t.shutdown().await;
    }
}

/// Servers opening one database take different node numbers; a configured number another live
/// server holds is refused with a message that says what to do; a number given back is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_on_one_database_take_different_node_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let one = Store::open(&StoreOptions::new(&url)).await.expect("first server");
    let two = Store::open(&StoreOptions::new(&url)).await.expect("second server");
    let (a, b) = (one.node().expect("leased"), two.node().expect("leased"));
    assert_ne!(a, b, "two live servers, two node numbers");
    assert_eq!((one.ids().node(), two.ids().node()), (a, b), "ids are made with the leased numbers");
    let clash = Store::open(&StoreOptions { node: Some(a), ..StoreOptions::new(&url) }).await;
    let e = clash.expect_err("a number a live server holds is refused");
    assert!(matches!(e, StoreError::NodeTaken { node, .. } if node == a), "{e}");
    assert!(e.to_string().contains("database.node"), "{e}");
    one.close().await;
    let again = Store::open(&StoreOptions { node: Some(a), ..StoreOptions::new(&url) }).await.expect("given back, free again");
    assert_eq!(again.node(), Some(a));
    again.close().await;
    two.close().await;
    let _ = Db::Sqlite;
}

/// A sign-out on one server ends the session on every server at once: beside another server, the
/// session cache is not trusted (issue 29: the token stayed valid on the other for 30 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_out_on_one_server_ends_the_session_on_the_other() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, token) = t.citizen().await;
    // A second server on the same database, with a data directory of its own.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let state = beside(&t, other_dir.path(), Vec::new()).await;
    assert_ne!(state.store.node(), t.state.store.node(), "two node numbers");
    let second = server::App::serve(state, false).await.expect("serve");
    let other = format!("http://{}", second.addr);
    let me = |base: String| {
        let http = t.http.clone();
        let token = token.clone();
        async move { http.get(format!("{base}/api/me")).bearer_auth(token).send().await.expect("request").status() }
    };
    assert_eq!(me(t.url.clone()).await, reqwest::StatusCode::OK, "signed in on the first");
    assert_eq!(me(other.clone()).await, reqwest::StatusCode::OK, "and on the second");
    assert_eq!(me(t.url.clone()).await, reqwest::StatusCode::OK, "asked again (a cache would answer now)");
    let out = t.http.post(format!("{other}/api/auth/logout")).bearer_auth(&token).send().await.expect("logout");
    assert!(out.status().is_success(), "{}", out.status());
    assert_eq!(me(t.url.clone()).await, reqwest::StatusCode::UNAUTHORIZED, "signed out on the second, at once on the first");
    second.shutdown().await;
    t.shutdown().await;
}

/// A second server's state on `t`'s SQLite database and clock, with a data directory of its own
/// and the settings `extra`.
async fn beside(t: &TestApp, dir: &std::path::Path, extra: Vec<(String, String)>) -> server::AppState {
    let mut env = vec![
        ("MINSHENG__DATA_DIR".to_owned(), dir.display().to_string()),
        ("MINSHENG__DATABASE__URL".to_owned(), format!("sqlite://{}", t.dir.path().join("t.db").display())),
        ("MINSHENG__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
    ];
    env.extend(extra);
    let config = server::Config::load(None, env).expect("config");
    server::build_state(config, std::sync::Arc::new(t.clock.clone())).await.expect("second server")
}

/// The ids in a notice log, in order.
fn logged_ids(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a whole JSON line")["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Issue 29, finding 2: a server wrote notices to the district's notice log and was killed before
/// it marked them delivered; the other server took them over when their lease ran out and wrote
/// them again. Now the log channel reads, under the file's lock, what any server wrote, and skips
/// those; and a server whose lease ran out cannot hand back a notice another server has taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_one_server_wrote_before_it_was_killed_is_not_sent_again_by_the_other() {
    use server::background::{Channel, deliver_once};
    use server::config::NoticeChannel;
    let t = TestApp::spawn(Db::Sqlite).await;
    let NoticeChannel::Log { path } = t.state.config.notice_channel.clone() else { panic!("the log channel is the default") };
    let other_dir = tempfile::tempdir().expect("tempdir");
    let b = beside(&t, other_dir.path(), vec![("MINSHENG__NOTICES__LOG_PATH".to_owned(), path.display().to_string())]).await;
    // Both servers are running: each has its channel open before anything is written.
    let (a_channel, b_channel) = (Channel::open(&t.state.config.notice_channel).expect("a"), Channel::open(&b.config.notice_channel).expect("b"));
    let (_, token) = t.citizen().await;
    t.file(&token, "birth").await;
    // Server A takes the due notices and writes them to the log …
    let now = t.state.now();
    let lease = chrono::Duration::seconds(15);
    let taken = t.state.store.notices().claim_notices(now, now + lease, 100).await.expect("claim");
    assert!(!taken.is_empty(), "filing made notices");
    let sent = a_channel.deliver(&taken, lease).await;
    assert!(sent.iter().all(|r| matches!(r, Some(Ok(())))), "{sent:?}");
    // … and is killed before it marks them delivered. Their lease runs out; B takes them over.
    t.clock.advance(chrono::Duration::seconds(20));
    let delivered = deliver_once(&b, &b_channel).await.expect("deliver");
    assert_eq!(delivered, taken.len(), "B marks them delivered");
    let ids = logged_ids(&path);
    let mut once: Vec<String> = ids.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), ids.len(), "every notice is in the log once: {ids:?}");
    let want: BTreeSet<String> = taken.iter().map(|n| n.id.to_string()).collect();
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), want);
    for n in &taken {
        let row = t.state.store.notices().notices_of_application(n.application).await.expect("read");
        assert!(row.iter().filter(|r| r.id == n.id).all(|r| r.status == "delivered"), "{:?}", n.id);
    }

    // Fenced: A takes the next notices, stalls past its lease, B takes them; A, late, cannot hand
    // them back (which would let a third server send them while B does).
    t.file(&token, "birth").await;
    let now = t.state.now();
    let mine = t.state.store.notices().claim_notices(now, now + lease, 100).await.expect("claim");
    assert!(!mine.is_empty());
    t.clock.advance(chrono::Duration::seconds(20));
    let now = t.state.now();
    let theirs = b.store.notices().claim_notices(now, now + lease, 100).await.expect("claim");
    assert_eq!(theirs.len(), mine.len(), "B takes them over once A's lease ran out");
    let handed_back = t.state.store.notices().mark_attempt_failed(mine[0].id, "late", now, false).await.expect("mark");
    assert!(!handed_back, "a server whose lease ran out changes nothing");
    let again = t.state.store.notices().claim_notices(now, now + lease, 100).await.expect("claim");
    assert!(again.is_empty(), "B's lease holds: nobody else may take them: {again:?}");
    assert!(b.store.notices().mark_attempt_failed(theirs[0].id, "receiver down", now, false).await.expect("mark"), "the holder may");
    b.store.close().await;
    t.shutdown().await;
}

/// Issue 31 with several servers: the same month's run frozen on two servers at once is made
/// once (one answer 200, the other 409 `run_exists`), and a death published on one server closes
/// the entitlement the other reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_make_a_months_run_once() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let other_dir = tempfile::tempdir().expect("tempdir");
        let url = t.state.config.database_url.expose().to_owned();
        let config = server::Config::load(
            None,
            vec![
                ("MINSHENG__DATA_DIR".to_owned(), other_dir.path().display().to_string()),
                ("MINSHENG__DATABASE__URL".to_owned(), url),
                ("MINSHENG__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ],
        )
        .expect("config");
        let state = server::build_state(config, std::sync::Arc::new(t.clock.clone())).await.expect("second server");
        let second = server::App::serve(state, false).await.expect("serve");
        let other = format!("http://{}", second.addr);
        let clerk = t.login("mzj_clerk").await;
        let r = t.post(&clerk, "/api/welfare/sweep", serde_json::json!({})).await;
        assert_eq!(r.status, reqwest::StatusCode::OK, "{db:?}: {}", r.body);
        let month = welfare::Month::of(domain::china_date(t.state.now())).to_string();
        let send = |base: String| {
            let (http, clerk, month) = (t.http.clone(), clerk.clone(), month.clone());
            async move {
                let r = http.post(format!("{base}/api/welfare/runs")).bearer_auth(clerk).json(&serde_json::json!({ "month": month })).send().await.expect("request");
                let status = r.status().as_u16();
                let v: serde_json::Value = r.json().await.expect("json");
                (status, v["code"].as_str().unwrap_or("").to_owned())
            }
        };
        let (a, b) = tokio::join!(send(t.url.clone()), send(other.clone()));
        let mut answers = vec![a, b];
        answers.sort();
        assert_eq!(answers[0].0, 200, "{db:?}: {answers:?}");
        assert_eq!(answers[1], (409, "run_exists".to_owned()), "{db:?}: {answers:?}");
        assert_eq!(t.count("welfare_run").await, 1, "{db:?}");
        let lines = t.strings("SELECT CAST(lines AS TEXT) FROM welfare_run").await;
        assert_eq!(t.count("welfare_payment").await.to_string(), lines[0], "{db:?}: one whole run");
        second.shutdown().await;
        t.shutdown().await;
    }
}
