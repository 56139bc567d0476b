//! The append-only, hash-chained history of an application: every state change is an entry whose
//! hash covers the previous entry's hash, so an edited or deleted entry breaks the chain.

use chrono::{DateTime, SecondsFormat, Utc};
use domain::{AccountId, ApplicationId, CaseId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash every chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The end of an application's chain, kept on the application so that deleting the last
/// entries is detected too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl Default for ChainHead {
    fn default() -> Self {
        ChainHead { seq: 0, hash: GENESIS.to_owned() }
    }
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub application: ApplicationId,
    /// 1, 2, 3 … without gaps within an application.
    pub seq: i64,
    pub case: Option<CaseId>,
    pub at: DateTime<Utc>,
    /// The account that acted; `None` for the system (scheduler, engine).
    pub actor: Option<AccountId>,
    /// The role it acted in (`applicant`, `clerk`, …, or `system`).
    pub role: String,
    /// What happened: `submitted`, `started`, an action code, `cancelled`, `finished`, `withdrawn`,
    /// `deadline_warning`, `overdue`, `legal_overdue`, `state_overdue`, `supplement_warning`,
    /// `supplement_overdue`, `rated`, `rectification_opened` …
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    /// A comment or details, as compact JSON.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The parts of an entry that the caller chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDraft {
    pub case: Option<CaseId>,
    pub actor: Option<AccountId>,
    pub role: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub detail: String,
}

impl EntryDraft {
    pub fn system(action: &str) -> EntryDraft {
        EntryDraft {
            case: None,
            actor: None,
            role: "system".to_owned(),
            action: action.to_owned(),
            from_state: None,
            to_state: None,
            detail: String::new(),
        }
    }
}

/// The bytes an entry's hash covers, in a fixed order with unambiguous separators.
fn canonical(e: &HistoryEntry) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let fields = [
        e.application.to_string(),
        e.seq.to_string(),
        e.case.map(|c| c.to_string()).unwrap_or_default(),
        e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        e.actor.map(|a| a.to_string()).unwrap_or_default(),
        e.role.clone(),
        e.action.clone(),
        opt(&e.from_state),
        opt(&e.to_state),
        e.detail.clone(),
    ];
    // JSON-encode the field list: no separator inside a field can be confused with one between fields.
    serde_json::to_string(&fields).unwrap_or_default()
}

/// The hash of an entry given its previous hash.
pub fn entry_hash(e: &HistoryEntry) -> String {
    let mut h = Sha256::new();
    h.update(e.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical(e).as_bytes());
    hex::encode(h.finalize())
}

/// Appends an entry to a chain, moving its head.
pub fn append(
    head: &mut ChainHead,
    application: ApplicationId,
    at: DateTime<Utc>,
    draft: EntryDraft,
) -> HistoryEntry {
    let mut e = HistoryEntry {
        application,
        seq: head.seq + 1,
        case: draft.case,
        // Stored with microsecond precision, so the hash is computed on the stored value.
        at: truncate_micros(at),
        actor: draft.actor,
        role: draft.role,
        action: draft.action,
        from_state: draft.from_state,
        to_state: draft.to_state,
        detail: draft.detail,
        prev_hash: head.hash.clone(),
        hash: String::new(),
    };
    e.hash = entry_hash(&e);
    head.seq = e.seq;
    head.hash = e.hash.clone();
    e
}

/// Timestamps are kept to the microsecond everywhere, as both databases store them.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// What is wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: sequence gap (expected {expected}): an entry was deleted")]
    Gap { seq: i64, expected: i64 },
    #[error("entry {seq}: previous hash does not match entry {prev}: an entry was edited or deleted")]
    Link { seq: i64, prev: i64 },
    #[error("entry {seq}: hash does not match its content: the entry was edited")]
    Content { seq: i64 },
    #[error("the chain ends at entry {last} ({last_hash}) but the application records head {head_seq} ({head_hash}): entries were deleted or added")]
    Head {
        last: i64,
        last_hash: String,
        head_seq: i64,
        head_hash: String,
    },
    #[error("entry {seq} belongs to application {found}, not {expected}")]
    Foreign {
        seq: i64,
        found: ApplicationId,
        expected: ApplicationId,
    },
}

/// Checks one application's entries (in `seq` order) against its recorded head.
pub fn verify(
    application: ApplicationId,
    entries: &[HistoryEntry],
    head: &ChainHead,
) -> Result<(), ChainBreak> {
    let mut prev_hash = GENESIS.to_owned();
    let mut expected = 1;
    for e in entries {
        if e.application != application {
            return Err(ChainBreak::Foreign { seq: e.seq, found: e.application, expected: application });
        }
        if e.seq != expected {
            return Err(ChainBreak::Gap { seq: e.seq, expected });
        }
        if e.prev_hash != prev_hash {
            return Err(ChainBreak::Link { seq: e.seq, prev: e.seq - 1 });
        }
        if entry_hash(e) != e.hash {
            return Err(ChainBreak::Content { seq: e.seq });
        }
        prev_hash = e.hash.clone();
        expected += 1;
    }
    let last = expected - 1;
    if last != head.seq || prev_hash != head.hash {
        return Err(ChainBreak::Head {
            last,
            last_hash: prev_hash,
            head_seq: head.seq,
            head_hash: head.hash.clone(),
        });
    }
    Ok(())
}

/// A case as its row stands: id, status code, workflow state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    pub id: CaseId,
    pub status: String,
    pub state: Option<String>,
}

/// Checks the rows against the history (issue 29: `verify-history` checked the chain, not the
/// rows, and overwritten cases passed): replaying the entries of an application must give its
/// cases and their workflow states as stored. Every case the history names is one of the
/// application's; each entry leaves the state the one before entered; a case ends in the state
/// its last entry entered, cancelled if its history cancelled it, not waiting if it was started;
/// and the application's status is the one its last application-wide entry set.
pub fn replay(entries: &[HistoryEntry], cases: &[StoredCase], app_status: &str) -> Result<(), String> {
    let mut app_state: Option<&str> = None;
    for e in entries {
        match e.case {
            Some(c) if !cases.iter().any(|k| k.id == c) => {
                return Err(format!("entry {} is about case {c}, which is not one of the application's cases", e.seq));
            }
            Some(_) => {}
            None => {
                if let Some(to) = &e.to_state {
                    app_state = Some(to);
                }
            }
        }
    }
    for case in cases {
        let mut state: Option<&str> = None;
        let mut cancelled = false;
        for e in entries.iter().filter(|e| e.case == Some(case.id)) {
            if let (Some(from), Some(now)) = (&e.from_state, state)
                && from != now
            {
                return Err(format!("case {}: entry {} ({}) leaves state {from}, but the history had it in {now}", case.id, e.seq, e.action));
            }
            if let Some(to) = &e.to_state {
                state = Some(to);
            }
            cancelled |= e.action == "cancelled";
        }
        if state.is_some() && case.state.as_deref() != state {
            return Err(format!("case {}: stored in state {}, but its history ends in {}", case.id, case.state.as_deref().unwrap_or("(none)"), state.unwrap_or_default()));
        }
        if cancelled && case.status != "cancelled" {
            return Err(format!("case {}: its history cancelled it, but it is stored as {}", case.id, case.status));
        }
        if state.is_some() && case.status == "waiting" {
            return Err(format!("case {}: its history started it, but it is stored as waiting", case.id));
        }
        if state.is_none() && !cancelled && case.status != "waiting" {
            return Err(format!("case {}: stored as {}, but its history never started it", case.id, case.status));
        }
    }
    if let Some(s) = app_state
        && s != app_status
    {
        return Err(format!("the application is stored as {app_status}, but its history ends in {s}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> (ChainHead, Vec<HistoryEntry>) {
        let mut head = ChainHead::default();
        let app = ApplicationId(7);
        let t0 = DateTime::from_timestamp(1_700_000_000, 123_456_789).expect("valid time");
        let entries = (0..n)
            .map(|i| {
                let mut d = EntryDraft::system(&format!("step{i}"));
                d.detail = format!("{{\"i\":{i}}}");
                append(&mut head, app, t0 + chrono::Duration::seconds(i as i64), d)
            })
            .collect();
        (head, entries)
    }

    #[test]
    fn intact_chain_verifies() {
        let (head, entries) = chain(5);
        assert_eq!(head.seq, 5);
        assert_eq!(verify(ApplicationId(7), &entries, &head), Ok(()));
    }

    #[test]
    fn edited_entry_is_detected() {
        let (head, mut entries) = chain(5);
        entries[2].detail = "{\"i\":99}".to_owned();
        assert_eq!(verify(ApplicationId(7), &entries, &head), Err(ChainBreak::Content { seq: 3 }));
    }

    #[test]
    fn edited_and_rehashed_entry_breaks_the_next_link() {
        let (head, mut entries) = chain(5);
        entries[2].action = "forged".to_owned();
        entries[2].hash = entry_hash(&entries[2]);
        assert_eq!(
            verify(ApplicationId(7), &entries, &head),
            Err(ChainBreak::Link { seq: 4, prev: 3 })
        );
    }

    #[test]
    fn deleted_middle_entry_is_a_gap() {
        let (head, mut entries) = chain(5);
        entries.remove(1);
        assert_eq!(
            verify(ApplicationId(7), &entries, &head),
            Err(ChainBreak::Gap { seq: 3, expected: 2 })
        );
    }

    #[test]
    fn deleted_last_entry_disagrees_with_the_head() {
        let (head, mut entries) = chain(5);
        entries.pop();
        assert!(matches!(
            verify(ApplicationId(7), &entries, &head),
            Err(ChainBreak::Head { last: 4, head_seq: 5, .. })
        ));
    }

    #[test]
    fn timestamps_are_hashed_at_microsecond_precision() {
        let (_, entries) = chain(1);
        assert_eq!(entries[0].at.timestamp_subsec_nanos() % 1000, 0);
    }
}
