//! Rebuilds the store when a migration is added or changed: `sqlx::migrate!` embeds the files at
//! compile time, and cargo does not otherwise know that it read them. And sets `gated_postgres`
//! when `MINSHENG_TEST_POSTGRES` names a server, so that the PostgreSQL tests are reported as
//! skipped (ignored) in the run's summary when it does not, not as passed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    gate("MINSHENG_TEST_POSTGRES", "gated_postgres");
}

fn gate(var: &str, cfg: &str) {
    println!("cargo::rustc-check-cfg=cfg({cfg})");
    println!("cargo::rerun-if-env-changed={var}");
    if std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg={cfg}");
    }
}
