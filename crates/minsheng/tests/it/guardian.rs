//! The guardian end to end from the command line: `minsheng demo` enrols the pilot community's
//! elders and runs its embedded MQTT broker; `minsheng guardian simulate` plays their devices
//! through it; the scripted fall becomes an alarm the centre sees. A broken credentials file is
//! refused with its line.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::DemoServer;
use crate::helpers::free_port;
use crate::helpers::run_in;

#[tokio::test]
async fn the_simulator_plays_the_demo_homes_and_a_fall_becomes_an_alarm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let port = free_port();
    let mqtt = format!("127.0.0.1:{port}");
    let mut server = DemoServer::start(&data, dir.path(), "guardian", &[("MINSHENG__GUARDIAN__EMBEDDED_LISTEN", mqtt.as_str())]);
    let http = reqwest::Client::new();
    server.ready(&http, Duration::from_secs(180)).await;
    let devices = data.join("guardian-devices.csv");
    assert!(devices.exists(), "the demo wrote the devices' credentials\n{}", server.output());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&devices).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the credentials file is readable by its owner only");
    }

    // The fall is scripted 20 s after the start.
    let broker = format!("mqtt://{mqtt}");
    let devices_s = devices.display().to_string();
    let run = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || run_in(&dir, &["guardian", "simulate", "--broker", &broker, "--devices", &devices_s, "--interval", "5", "--seconds", "30"])
    })
    .await
    .expect("simulator");
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("readings sent in total"), "{}", run.stdout);

    let token = crate::crash::login(&http, &server.url, "mzj_clerk").await;
    let mut kinds = Vec::new();
    for _ in 0..50 {
        let v: Value = http.get(format!("{}/api/guardian/alarms?open=true", server.url)).bearer_auth(&token).send().await.expect("alarms").json().await.expect("json");
        kinds = v["alarms"].as_array().cloned().unwrap_or_default().iter().filter_map(|a| a["kind"].as_str().map(str::to_owned)).collect::<Vec<_>>();
        if kinds.iter().any(|k| k == "fall") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(kinds.iter().any(|k| k == "fall"), "the scripted fall is an alarm: {kinds:?}\n{}", server.output());
    drop(server);

    // A broken credentials file names its line.
    std::fs::write(dir.path().join("bad.csv"), "sim_elder,sim_device,device,kind,password\n1,a,b\n").expect("write");
    let run = run_in(dir.path(), &["guardian", "simulate", "--devices", "bad.csv", "--seconds", "1"]);
    assert_ne!(run.code, Some(0));
    assert!(run.stderr.contains("bad.csv:2"), "{}", run.stderr);
}
