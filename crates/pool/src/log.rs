//! The access log (数据调阅日志): one entry per read or refused read — who, which record, for
//! which purpose, on which basis, when — hash-chained so that an edited, inserted or deleted entry
//! is detected. Each writer process appends to its own chain (`chain` = its node number).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Allowed,
    Refused,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Refused => "refused",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "allowed" => Some(Outcome::Allowed),
            "refused" => Some(Outcome::Refused),
            _ => None,
        }
    }
}

/// One entry of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    pub chain: i64,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub reader: Option<i64>,
    /// The reader's department, institution or platform.
    pub reader_org: Option<String>,
    pub subject_key: String,
    /// The shared record or FHIR resource read (`shared_record:<id>`, `Observation/<id>`, …).
    pub resource: String,
    pub purpose: String,
    pub purpose_ref: Option<String>,
    /// The basis of an allowed read, or the refusal code.
    pub basis: String,
    pub outcome: Outcome,
    pub prev_hash: String,
    pub hash: String,
}

impl AccessEntry {
    /// Whether this is an allowed read of health data for treatment: what the cockpit counts as a
    /// health-record look-up.
    pub fn is_health_read(&self) -> bool {
        self.purpose == crate::access::Purpose::Treatment { order: None }.code() && self.outcome == Outcome::Allowed
    }

    /// The hash of the entry's content chained to `prev_hash` (SHA-256, hex). Fields are joined
    /// with a separator that cannot occur in them (unit separator, 0x1F).
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let ts = self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let reader = self.reader.map(|r| r.to_string()).unwrap_or_default();
        for part in [
            self.prev_hash.as_str(),
            &self.chain.to_string(),
            &self.seq.to_string(),
            &ts,
            &reader,
            self.reader_org.as_deref().unwrap_or(""),
            &self.subject_key,
            &self.resource,
            &self.purpose,
            self.purpose_ref.as_deref().unwrap_or(""),
            &self.basis,
            self.outcome.code(),
        ] {
            h.update(part.as_bytes());
            h.update([0x1F]);
        }
        hex::encode(h.finalize())
    }

    /// Links the entry after `prev` (seq and hash) and computes its hash.
    pub fn seal(mut self, prev_seq: i64, prev_hash: &str) -> AccessEntry {
        self.seq = prev_seq + 1;
        self.prev_hash = prev_hash.to_owned();
        self.hash = self.compute_hash();
        self
    }
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub chain: i64,
    pub seq: i64,
    pub problem: String,
}

/// Verifies entries of one chain in `seq` order, starting after (`prev_seq`, `prev_hash`).
/// Returns the last (seq, hash) on success.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a AccessEntry>, prev_seq: i64, prev_hash: &str) -> Result<(i64, String), ChainBreak> {
    let mut seq = prev_seq;
    let mut hash = prev_hash.to_owned();
    for e in entries {
        if e.seq != seq + 1 {
            return Err(ChainBreak { chain: e.chain, seq: seq + 1, problem: format!("entry {} is missing (found {} next)", seq + 1, e.seq) });
        }
        if e.prev_hash != hash {
            return Err(ChainBreak { chain: e.chain, seq: e.seq, problem: "does not link to the entry before it".into() });
        }
        if e.compute_hash() != e.hash {
            return Err(ChainBreak { chain: e.chain, seq: e.seq, problem: "its content was changed".into() });
        }
        seq = e.seq;
        hash = e.hash.clone();
    }
    Ok((seq, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(subject: &str, outcome: Outcome) -> AccessEntry {
        AccessEntry {
            chain: 0,
            seq: 0,
            at: DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z").map(|t| t.with_timezone(&Utc)).expect("time"),
            reader: Some(42),
            reader_org: Some("ga".into()),
            subject_key: subject.into(),
            resource: "shared_record:1".into(),
            purpose: "case".into(),
            purpose_ref: Some("7".into()),
            basis: "case_handling".into(),
            outcome,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn chain(n: usize) -> Vec<AccessEntry> {
        let mut out: Vec<AccessEntry> = Vec::new();
        for i in 0..n {
            let (seq, prev) = out.last().map(|e| (e.seq, e.hash.clone())).unwrap_or((0, GENESIS.to_owned()));
            out.push(entry(&format!("S{i}"), if i % 3 == 0 { Outcome::Refused } else { Outcome::Allowed }).seal(seq, &prev));
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(10);
        let (seq, hash) = verify(&c, 0, GENESIS).expect("intact");
        assert_eq!((seq, hash), (10, c[9].hash.clone()));
        // Verification can resume from a known head.
        assert!(verify(&c[5..], 5, &c[4].hash).is_ok());
    }

    #[test]
    fn edits_deletions_and_insertions_are_detected() {
        let c = chain(6);
        let mut edited = c.clone();
        edited[2].subject_key = "someone else".into();
        assert_eq!(verify(&edited, 0, GENESIS).expect_err("edited").seq, 3);
        let mut flipped = c.clone();
        flipped[0].outcome = Outcome::Allowed;
        assert!(verify(&flipped, 0, GENESIS).is_err(), "a refusal turned into a read");
        let mut deleted = c.clone();
        deleted.remove(3);
        assert_eq!(verify(&deleted, 0, GENESIS).expect_err("deleted").seq, 4);
        let mut rehashed = c.clone();
        rehashed[1].subject_key = "x".into();
        rehashed[1].hash = rehashed[1].compute_hash();
        assert!(verify(&rehashed, 0, GENESIS).is_err(), "recomputing one hash breaks the next link");
    }
}
