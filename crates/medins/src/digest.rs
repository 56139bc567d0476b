//! The canonical hash of a settlement's input: every field length-prefixed, lists in a fixed
//! order (episodes by hospital and id, an episode's codes and costs sorted), so that the same
//! input in any order hashes the same and a re-run can prove that it reproduces.

use chrono::Datelike;
use chrono::NaiveDate;
use sha2::Digest;
use sha2::Sha256;

use crate::episode::Episode;
use crate::hospital::Hospital;

/// Something fields are fed into, each length-prefixed where its length varies.
pub(crate) trait Feed {
    fn put(&mut self, bytes: &[u8]);

    fn str(&mut self, s: &str) {
        self.put(&(s.len() as u64).to_le_bytes());
        self.put(s.as_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.put(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.put(&v.to_le_bytes());
    }

    fn date(&mut self, d: NaiveDate) {
        self.i64(i64::from(d.num_days_from_ce()));
    }
}

/// A SHA-256 fed field by field.
pub(crate) struct Canon(Sha256);

impl Canon {
    pub fn new(domain: &str) -> Canon {
        let mut c = Canon(Sha256::new());
        c.str(domain);
        c
    }

    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

impl Feed for Canon {
    fn put(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl Feed for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The canonical hash of one episode (its code lists and costs sorted), encoded into `buf`
/// (reused between calls) and hashed at once.
pub(crate) fn episode_with(buf: &mut Vec<u8>, e: &Episode) -> [u8; 32] {
    buf.clear();
    buf.str("episode");
    buf.str(&e.id);
    buf.str(&e.patient);
    buf.str(&e.hospital);
    buf.date(e.admitted);
    buf.date(e.discharged);
    buf.u64(u64::from(e.age));
    buf.str(e.sex.name_en());
    buf.str(&e.principal_dx);
    feed_sorted(buf, e.other_dx.iter().map(String::as_str), |c, d| c.str(d));
    feed_sorted(buf, e.procedures.iter().map(String::as_str), |c, p| c.str(p));
    feed_sorted(buf, e.costs.iter().map(|(k, f)| (k.code(), f.0)), |c, (k, f)| {
        c.str(k);
        c.i64(f);
    });
    buf.str(e.insurance.code());
    Sha256::digest(buf.as_slice()).into()
}

/// Feeds the count and then the items sorted (on the stack for up to 16 items).
fn feed_sorted<T: Ord + Copy + Default>(c: &mut Vec<u8>, items: impl ExactSizeIterator<Item = T>, feed: impl Fn(&mut Vec<u8>, T)) {
    let n = items.len();
    c.u64(n as u64);
    let mut small = [T::default(); 16];
    let mut large = Vec::new();
    let sorted: &mut [T] = if n <= small.len() {
        for (slot, x) in small.iter_mut().zip(items) {
            *slot = x;
        }
        &mut small[..n]
    } else {
        large.extend(items);
        &mut large
    };
    sorted.sort_unstable();
    for x in sorted.iter() {
        feed(c, *x);
    }
}

/// Feeds a hospital into `c`.
pub(crate) fn hospital(c: &mut Canon, h: &Hospital) {
    c.str(&h.code);
    c.str(&h.name);
    c.str(h.level.code());
    c.str(h.membership.code());
    match h.membership.since() {
        Some(d) => c.date(d),
        None => c.i64(i64::MIN),
    }
}
