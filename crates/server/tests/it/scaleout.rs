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
