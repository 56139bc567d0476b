//! Background work: the deadline scheduler, and the outbox worker that delivers notices through
//! a channel (a JSON-lines log file by default, or a signed HTTP webhook) with retries, so that a
//! notice is never lost and — for the log channel — never written twice, even if the process dies
//! between writing it and marking it delivered.

use std::collections::{HashSet, VecDeque};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::Notice;

use crate::config::{NoticeChannel, Secret};
use crate::state::AppState;

/// How far back the log channel looks for notices it already wrote (a crash can only leave the
/// last batch written but not marked).
const LOG_TAIL_BYTES: u64 = 8 * 1024 * 1024;

/// How many ids of notices written the log channel remembers: far more than a crash can leave
/// written but not marked, and a bounded memory however long the process runs.
const LOG_REMEMBERED: usize = 200_000;

/// How long a notice is the outbox worker's once taken (made here, or claimed by polling): long
/// enough to deliver a batch; short enough that a crashed worker's notices go out soon.
const LEASE_SECONDS: i64 = 15;

/// A notice is sent only while its lease has at least this long to run (the fence: past its
/// lease another server may take it). The webhook's own timeout is shorter.
const LEASE_MARGIN_SECONDS: i64 = 2;

/// A delivery channel.
pub enum Channel {
    Log(Arc<LogChannel>),
    Webhook(WebhookChannel),
}

impl Channel {
    pub fn open(cfg: &NoticeChannel) -> std::io::Result<Channel> {
        Ok(match cfg {
            NoticeChannel::Log { path } => Channel::Log(Arc::new(LogChannel::open(path)?)),
            NoticeChannel::Webhook { url, secret } => Channel::Webhook(WebhookChannel::new(url, secret.clone())),
        })
    }

    /// Delivers a batch while this server's lease on it holds (for `left`, less a margin); one
    /// outcome per notice, in order: `None` for one not tried because the lease ran short.
    pub async fn deliver(&self, batch: &[Notice], left: chrono::Duration) -> Vec<Option<Result<(), String>>> {
        let started = std::time::Instant::now();
        let budget = (left - chrono::Duration::seconds(LEASE_MARGIN_SECONDS)).to_std().unwrap_or_default();
        let in_time = || started.elapsed() < budget;
        match self {
            Channel::Log(l) => {
                if !in_time() {
                    return batch.iter().map(|_| None).collect();
                }
                // Writing and syncing the file blocks: not on the runtime's threads.
                let (log, notices) = (l.clone(), batch.to_vec());
                let r = tokio::task::spawn_blocking(move || log.append(&notices))
                    .await
                    .unwrap_or_else(|e| Err(format!("the log channel's writer stopped: {e}")));
                batch.iter().map(|_| Some(r.clone())).collect()
            }
            Channel::Webhook(w) => {
                let mut out = Vec::with_capacity(batch.len());
                for n in batch {
                    // A slow receiver must not make this server post a notice whose lease has
                    // passed to another server meanwhile.
                    out.push(if in_time() { Some(w.post(n).await) } else { None });
                }
                out
            }
        }
    }
}

/// Appends notices as JSON lines, each line whole or not at all, and never a notice twice — even
/// when several servers append to one file (the district's notice log on storage they share):
/// each append takes the file's lock, reads what others appended since it last looked, and skips
/// the notices already there. A line left half-written (a full disk, a kill in the middle) is cut
/// off before anything is appended after it, and at start.
pub struct LogChannel {
    path: PathBuf,
    seen: Mutex<Seen>,
}

/// What this process knows of the file: the ids written last (oldest first, at most
/// [`LOG_REMEMBERED`]) and how far it has read.
#[derive(Default)]
struct Seen {
    ids: HashSet<i64>,
    order: VecDeque<i64>,
    read_to: u64,
}

impl Seen {
    fn insert(&mut self, id: i64) {
        if self.ids.insert(id) {
            self.order.push_back(id);
            if self.order.len() > LOG_REMEMBERED
                && let Some(old) = self.order.pop_front()
            {
                self.ids.remove(&old);
            }
        }
    }

    /// Reads what the file holds beyond what was read (its last [`LOG_TAIL_BYTES`] at first),
    /// cutting off a torn last line; the file's length after.
    fn catch_up(&mut self, f: &mut std::fs::File, path: &Path) -> std::io::Result<u64> {
        let len = f.metadata()?.len();
        if len < self.read_to {
            // Cut short or replaced by someone else: read it again.
            self.read_to = 0;
        }
        let start = self.read_to.max(len.saturating_sub(LOG_TAIL_BYTES));
        f.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::new();
        Read::by_ref(f).take(len - start).read_to_end(&mut buf)?;
        let whole = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        if whole < buf.len() {
            let torn = len - (buf.len() - whole) as u64;
            tracing::warn!(file = %path.display(), at = torn, bytes = buf.len() - whole, "the notice log ended in a half-written line; cut off");
            f.set_len(torn)?;
            f.sync_data()?;
        }
        for line in String::from_utf8_lossy(&buf[..whole]).lines() {
            if let Ok(l) = serde_json::from_str::<LogLine>(line)
                && let Ok(id) = l.id.parse::<i64>()
            {
                self.insert(id);
            }
        }
        self.read_to = start + whole as u64;
        Ok(self.read_to)
    }
}


#[derive(serde::Serialize, serde::Deserialize)]
struct LogLine {
    id: String,
    recipient: String,
    kind: String,
    application: String,
    case: Option<String>,
    created_at: String,
    text_zh: String,
    text_en: String,
}

impl LogChannel {
    pub fn open(path: &Path) -> std::io::Result<LogChannel> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let ch = LogChannel { path: path.to_owned(), seen: Mutex::new(Seen::default()) };
        // Read it now (and repair a torn end), so that a bad file stops the start, not a delivery.
        let mut f = ch.file()?;
        f.lock()?;
        crate::locked(&ch.seen).catch_up(&mut f, path)?;
        Ok(ch)
    }

    fn file(&self) -> std::io::Result<std::fs::File> {
        std::fs::OpenOptions::new().create(true).read(true).append(true).open(&self.path)
    }

    fn append(&self, batch: &[Notice]) -> Result<(), String> {
        let at = |e: std::io::Error| format!("{}: {e}", self.path.display());
        let mut seen = crate::locked(&self.seen);
        let mut f = self.file().map_err(at)?;
        // Held until `f` is dropped: one appender at a time, across processes.
        f.lock().map_err(at)?;
        let len = seen.catch_up(&mut f, &self.path).map_err(at)?;
        let mut text = String::new();
        let mut new_ids = Vec::new();
        for n in batch {
            if seen.ids.contains(&n.id.0) || new_ids.contains(&n.id.0) {
                continue;
            }
            let line = LogLine {
                id: n.id.to_string(),
                recipient: n.recipient.clone(),
                kind: n.kind.clone(),
                application: n.application.to_string(),
                case: n.case.map(|c| c.to_string()),
                created_at: store::codec::ts(n.created_at),
                text_zh: n.text_zh.clone(),
                text_en: n.text_en.clone(),
            };
            text.push_str(&serde_json::to_string(&line).map_err(|e| e.to_string())?);
            text.push('\n');
            new_ids.push(n.id.0);
        }
        if text.is_empty() {
            return Ok(());
        }
        let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_data());
        if let Err(e) = written {
            // Whole records or nothing: take back what part of the batch reached the file (if
            // even that fails, the next append or start cuts the torn line off).
            if let Err(cut) = f.set_len(len).and_then(|()| f.sync_data()) {
                tracing::warn!(file = %self.path.display(), error = %cut, "could not take back a half-written batch of notices");
            }
            return Err(at(e));
        }
        seen.read_to = len + text.len() as u64;
        for id in new_ids {
            seen.insert(id);
        }
        Ok(())
    }
}

/// POSTs each notice as JSON with an `Idempotency-Key: notice-<id>` header (so the receiver can
/// drop a repeat after a crash) and an HMAC-SHA256 signature of the body.
pub struct WebhookChannel {
    client: reqwest::Client,
    url: String,
    secret: Secret,
}

impl WebhookChannel {
    pub fn new(url: &str, secret: Secret) -> WebhookChannel {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        WebhookChannel { client, url: url.to_owned(), secret }
    }

    async fn post(&self, n: &Notice) -> Result<(), String> {
        let body = serde_json::json!({
            "id": n.id.to_string(), "recipient": n.recipient, "kind": n.kind,
            "application": n.application.to_string(), "case": n.case.map(|c| c.to_string()),
            "created_at": store::codec::ts(n.created_at), "text_zh": n.text_zh, "text_en": n.text_en,
        })
        .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose().as_bytes()).map_err(|e| e.to_string())?;
        mac.update(body.as_bytes());
        let sig = hex::encode(mac.finalize().into_bytes());
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("idempotency-key", format!("notice-{}", n.id))
            .header("x-minsheng-signature", format!("sha256={sig}"))
            .body(body)
            .send()
            .await
            // Without the URL: it may carry the receiver's token, and this text is logged and stored.
            .map_err(|e| format!("webhook: {}", e.without_url()))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", resp.status()))
        }
    }
}

/// The wait before attempt `n + 1`: 5 s, 10 s, 20 s … at most an hour.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(0, 10)).min(3600);
    chrono::Duration::seconds(secs)
}

/// Delivers what is due once (claiming it by polling); returns how many notices were delivered.
pub async fn deliver_once(state: &AppState, channel: &Channel) -> Result<usize, store::StoreError> {
    let now = state.now();
    let lease = now + chrono::Duration::seconds(LEASE_SECONDS);
    let batch = state.store.notices().claim_notices(now, lease, state.config.notice_batch).await?;
    deliver(state, channel, &batch, lease).await
}

/// Delivers notices this worker holds the lease of (until `until`); records which went out and
/// which failed. How many went out.
async fn deliver(state: &AppState, channel: &Channel, batch: &[Notice], until: chrono::DateTime<chrono::Utc>) -> Result<usize, store::StoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let now = state.now();
    let results = channel.deliver(batch, until - now).await;
    let mut ok = Vec::new();
    for (n, r) in batch.iter().zip(results) {
        match r {
            Some(Ok(())) => ok.push(n.id),
            Some(Err(e)) => {
                let give_up = n.attempts + 1 >= i64::from(state.config.notice_max_attempts);
                tracing::warn!(notice = %n.id, attempts = n.attempts + 1, give_up, error = %e, "notice delivery failed");
                if !state.store.notices().mark_attempt_failed(n.id, &e, now + backoff(n.attempts), give_up).await? {
                    tracing::warn!(notice = %n.id, "another server has taken this notice since; left to it");
                }
            }
            // Its lease ran short: whoever takes it next delivers it.
            None => tracing::debug!(notice = %n.id, "lease ran short before sending; left for the next worker"),
        }
    }
    state.store.notices().mark_delivered(&ok, state.now()).await?;
    Ok(ok.len())
}

/// The outbox worker, until `stop` fires: delivers the notices the writer hands over as soon as
/// they are durable (leased to this worker when they were written), and polls for the rest —
/// those due for another attempt, and those whose lease ran out (a worker that died, or one
/// handed over too late to deliver in time).
pub async fn notifier(state: AppState, channel: Channel, mut stop: tokio::sync::watch::Receiver<bool>) {
    let lease = chrono::Duration::seconds(LEASE_SECONDS);
    let mut feed = state.store.notices().notice_feed(lease);
    let mut feed_open = true;
    let batch_max = usize::try_from(state.config.notice_batch).unwrap_or(usize::MAX);
    let mut poll = tokio::time::interval(Duration::from_millis(state.config.notice_poll_millis));
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let result = tokio::select! {
            got = feed.recv(), if feed_open => match got {
                Some(mut batch) => {
                    // Whatever else has come meanwhile goes in the same round.
                    while batch.len() < batch_max
                        && let Ok(more) = feed.try_recv()
                    {
                        batch.extend(more);
                    }
                    // With a margin, so that a notice is not delivered just as polling may take it.
                    let still_ours = state.now() + chrono::Duration::seconds(LEASE_MARGIN_SECONDS) - lease;
                    batch.retain(|n| n.created_at > still_ours);
                    let until = batch.iter().map(|n| n.created_at).min().map_or_else(|| state.now(), |first| first + lease);
                    deliver(&state, &channel, &batch, until).await.map(drop)
                }
                None => {
                    feed_open = false;
                    Ok(())
                }
            },
            _ = poll.tick() => poll_due(&state, &channel, batch_max).await,
            _ = stop.changed() => return,
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "notice worker");
        }
    }
}

/// Polls for due notices until a round comes back short of a full batch.
async fn poll_due(state: &AppState, channel: &Channel, batch_max: usize) -> Result<(), store::StoreError> {
    while deliver_once(state, channel).await? >= batch_max {}
    Ok(())
}

/// The deadline scheduler: a tick every `tick_seconds` until `stop` fires.
pub async fn scheduler(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = Duration::from_secs(state.config.tick_seconds);
    loop {
        // One server runs the district's duties at a time (the lowest live node number).
        if state.store.leads() {
            duties(&state).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The deadline tick and the purges, once.
async fn duties(state: &AppState) {
    match crate::areas::onething::cases::tick(state).await {
        Ok(o) if !o.is_empty() => tracing::info!(
            warned = o.warned, overdue = o.overdue, legal_overdue = o.legal_overdue,
            state_overdue = o.state_overdue, rectifications_overdue = o.rectifications_overdue, "deadline tick"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = ?e, "deadline tick failed"),
    }
    // Benefits follow the registers: records published since the last look, and everyone once a day.
    crate::areas::welfare::cases::duty(state).await;
    // Residents' issues past their deadline escalate; issued night-construction certificates
    // become permits pushed to their supervisors.
    crate::areas::governance::cases::duty(state).await;
    // Housing applications whose qualification was issued go on the waiting list; offers past
    // their deadline expire.
    crate::areas::places::housing::duty(state).await;
    // Occupancy readings older than 35 days go.
    crate::areas::parking::cases::duty(state).await;
    // Library loans due soon or overdue are told (each once a day).
    crate::areas::library::cases::duty(state).await;
    if let Err(e) = state.store.identity().purge_sessions(state.now()).await {
        tracing::warn!(error = %e, "purging sessions");
    }
    // Registration challenges only count for an hour; none is kept beyond a day.
    if let Err(e) = state.store.identity().purge_challenges(state.now() - chrono::Duration::days(1)).await {
        tracing::warn!(error = %e, "purging registration challenges");
    }
}

/// While the storage is faulty, probes it every `every` (a small write taken back), so that the
/// server finds by itself when it takes writes again — a load balancer that took it out of
/// service sends it nothing that would tell it.
pub async fn storage_watch(state: AppState, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if state.store.storage_fault().is_some() && state.store.probe_storage().await.is_ok() {
            tracing::info!("storage probe succeeded: ready again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{ApplicationId, NoticeId};

    fn notice(id: i64) -> Notice {
        Notice {
            id: NoticeId(id),
            recipient: "account:1".into(),
            kind: "submitted".into(),
            application: ApplicationId(9),
            case: None,
            text_zh: "已提交".into(),
            text_en: "received".into(),
            created_at: chrono::Utc::now(),
            status: "pending".into(),
            attempts: 0,
            delivered_at: None,
        }
    }

    #[test]
    fn the_log_channel_never_writes_a_notice_twice_even_after_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("n.log");
        let ch = LogChannel::open(&path).expect("open");
        ch.append(&[notice(1), notice(2)]).expect("append");
        ch.append(&[notice(2), notice(3)]).expect("append");
        // A restart: the process died after writing 3 but before marking it delivered.
        let ch = LogChannel::open(&path).expect("reopen");
        ch.append(&[notice(3), notice(4)]).expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        let ids: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<LogLine>(l).expect("json").id)
            .collect();
        assert_eq!(ids, vec!["1", "2", "3", "4"]);
    }

    /// Issue 29, finding 5: on a full disk the log was left with a half-written line, the next
    /// notice was appended onto it, and one delivered notice was lost.
    #[test]
    fn a_half_written_line_is_cut_off_at_start_and_before_the_next_append() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("n.log");
        let ch = LogChannel::open(&path).expect("open");
        ch.append(&[notice(1)]).expect("append");
        // A write cut short (disk full, or the process killed in the middle).
        let whole = std::fs::read(&path).expect("read");
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(br#"{"id":"2","recipient":"acc"#).expect("torn");
        drop(f);
        // The next append (by this process or another) cuts it off first, and writes whole lines.
        ch.append(&[notice(2), notice(3)]).expect("append");
        let ids = |p: &Path| -> Vec<String> {
            std::fs::read_to_string(p).expect("read").lines().map(|l| serde_json::from_str::<LogLine>(l).expect("whole line").id).collect()
        };
        assert_eq!(ids(&path), vec!["1", "2", "3"]);
        // At start too.
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(br#"{"id":"4","reci"#).expect("torn");
        drop(f);
        let ch = LogChannel::open(&path).expect("reopen repairs");
        assert_eq!(ids(&path), vec!["1", "2", "3"]);
        ch.append(&[notice(4)]).expect("append");
        assert_eq!(ids(&path), vec!["1", "2", "3", "4"]);
        assert!(std::fs::read(&path).expect("read").starts_with(&whole));
    }

    /// Two channels on one file (two servers sharing the district's notice log) never write a
    /// notice twice, though each opened the file before the other wrote.
    #[test]
    fn two_channels_on_one_file_write_each_notice_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("shared.log");
        let (a, b) = (LogChannel::open(&path).expect("a"), LogChannel::open(&path).expect("b"));
        a.append(&[notice(1), notice(2)]).expect("a");
        b.append(&[notice(2), notice(3)]).expect("b");
        a.append(&[notice(3), notice(4)]).expect("a");
        let text = std::fs::read_to_string(&path).expect("read");
        let ids: Vec<String> = text.lines().map(|l| serde_json::from_str::<LogLine>(l).expect("json").id).collect();
        assert_eq!(ids, vec!["1", "2", "3", "4"]);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0).num_seconds(), 5);
        assert_eq!(backoff(3).num_seconds(), 40);
        assert_eq!(backoff(30).num_seconds(), 3600);
    }
}
