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
    let env = vec![
        ("MINSHENG__DATA_DIR".to_owned(), other_dir.path().display().to_string()),
        ("MINSHENG__DATABASE__URL".to_owned(), format!("sqlite://{}", t.dir.path().join("t.db").display())),
        ("MINSHENG__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
    ];
    let config = server::Config::load(None, env).expect("config");
    let state = server::build_state(config, std::sync::Arc::new(t.clock.clone())).await.expect("second server");
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
