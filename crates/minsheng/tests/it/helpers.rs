//! Running the real `minsheng` binary: a clean environment, captured output, the workspace root,
//! and read-only access to a SQLite database it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_minsheng");

/// The workspace root (where `catalog/` lives).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

/// A `minsheng` command with the caller's `MINSHENG…` settings removed (so a CI's database URL
/// does not leak in), fast password hashing, and quiet logs.
pub fn minsheng(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("MINSHENG") {
            c.env_remove(k);
        }
    }
    c.env("MINSHENG__AUTH__ARGON2_MEMORY_KIB", "64")
        .env("MINSHENG__AUTH__ARGON2_ITERATIONS", "1")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1");
    c
}

/// What a finished command did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing the output when it is not.
    pub fn expect_code(&self, code: i32, what: &str) -> &Run {
        assert_eq!(self.code, Some(code), "{what}\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }
}

pub fn run(cmd: &mut Command) -> Run {
    let Output { status, stdout, stderr } = cmd.output().expect("run minsheng");
    Run { code: status.code(), stdout: String::from_utf8_lossy(&stdout).into_owned(), stderr: String::from_utf8_lossy(&stderr).into_owned() }
}

/// Runs `minsheng args…` in `dir` and waits for it.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run(minsheng(args).current_dir(dir))
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A connection pool on a SQLite file another process may be writing (read-only).
pub async fn open_sqlite(path: &Path, read_only: bool) -> sqlx::SqlitePool {
    let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(read_only).busy_timeout(std::time::Duration::from_secs(10));
    sqlx::sqlite::SqlitePoolOptions::new().max_connections(2).connect_with(opts).await.expect("open sqlite")
}

/// Copies a SQLite database with its WAL files, if any.
pub fn copy_db(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let src = PathBuf::from(format!("{}{suffix}", from.display()));
        if src.exists() {
            std::fs::copy(&src, format!("{}{suffix}", to.display())).expect("copy database");
        }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A valid value for a form field described by a plan (as the API tests' `sample`).
pub fn sample(f: &serde_json::Value) -> String {
    match f["type"].as_str().unwrap_or("text") {
        "date" => "2026-03-10".into(),
        "datetime" => if f["key"].as_str().unwrap_or("").contains("end") { "2026-03-11T05:00".into() } else { "2026-03-10T22:00".into() },
        "number" => format!("{}", f["min"].as_f64().unwrap_or(1.0).max(1.0)),
        "choice" => f["choices"][0]["value"].as_str().unwrap_or("").to_owned(),
        "phone" => "13900001234".into(),
        "id_number" => "330183199001011232".into(),
        "credit_code" => "91330000742906207U".into(),
        _ => "测试".into(),
    }
}

/// A `minsheng demo` child process (300 residents, 20 enterprises, no history, no second district)
/// serving on a free port, its standard output and error in files under `logs`; killed when dropped.
pub struct DemoServer {
    pub child: std::process::Child,
    pub url: String,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DemoServer {
    /// Starts it on the data in `data`; `name` tells its output files apart, `env` adds settings.
    pub fn start(data: &Path, logs: &Path, name: &str, env: &[(&str, &str)]) -> DemoServer {
        use std::fs::File;
        use std::process::Stdio;
        let listen = format!("127.0.0.1:{}", free_port());
        let (stdout, stderr) = (logs.join(format!("stdout-{name}.txt")), logs.join(format!("stderr-{name}.txt")));
        let data_s = data.display().to_string();
        let mut cmd = minsheng(&["demo", "--data-dir", &data_s, "--residents", "300", "--enterprises", "20", "--history", "0", "--listen", &listen, "--no-peer"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .current_dir(logs)
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("start minsheng demo");
        DemoServer { child, url: format!("http://{listen}"), stdout, stderr }
    }

    /// What it printed so far, both streams.
    pub fn output(&self) -> String {
        format!(
            "--- stdout\n{}\n--- stderr\n{}",
            std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            std::fs::read_to_string(&self.stderr).unwrap_or_default()
        )
    }

    /// Waits until it answers /healthz and has printed its demo log-ins (at most `patience`, a
    /// guard against hanging); returns them as (login, who).
    pub async fn ready(&mut self, http: &reqwest::Client, patience: std::time::Duration) -> Vec<(String, String)> {
        let started = std::time::Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("minsheng demo exited with {status}\n{}", self.output());
            }
            let healthy = http.get(format!("{}/healthz", self.url)).send().await.is_ok_and(|r| r.status().is_success());
            let out = std::fs::read_to_string(&self.stdout).unwrap_or_default();
            if healthy && out.contains("Ctrl-C") {
                return out
                    .lines()
                    .filter(|l| l.starts_with("  ") && !l.contains("http://"))
                    .filter_map(|l| l.trim().split_once(' ').map(|(login, who)| (login.to_owned(), who.trim().to_owned())))
                    .collect();
            }
            assert!(started.elapsed() < patience, "the server did not come up\n{}", self.output());
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
