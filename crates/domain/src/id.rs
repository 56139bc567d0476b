//! Typed `i64` ids (different things, different types) and a snowflake-style id generator.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

use crate::Describe;
use crate::time::{Clock, SystemClock};

/// Why a text is not an id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a valid {kind}: an id is a whole number")]
pub struct ParseIdError {
    /// The id type, e.g. `"CaseId"`.
    pub kind: &'static str,
    /// The text given.
    pub input: String,
}

impl Describe for ParseIdError {
    fn code(&self) -> &'static str {
        "invalid_id"
    }

    fn message_zh(&self) -> String {
        format!(
            "“{}”不是有效的编号（{}），编号应为整数。",
            self.input, self.kind
        )
    }

    fn message_en(&self) -> String {
        format!(
            "\"{}\" is not a valid {}: an id is a whole number.",
            self.input, self.kind
        )
    }
}

/// Defines a typed id: `pub struct $name(pub i64)`.
///
/// The type is `Copy`, ordered and hashable; `Debug` prints `$name(123)`, `Display` prints
/// `123`, `FromStr` parses `"123"`. Serde writes it as a JSON **string** (`"123"`), because
/// snowflake ids exceed 2^53 and JavaScript numbers would lose digits; it reads a string or an
/// integer.
///
/// ```
/// domain::define_id! {
///     /// A parcel of land.
///     ParcelId
/// }
/// let id: ParcelId = "42".parse().expect("a number");
/// assert_eq!(serde_json::to_string(&id).expect("serialize"), "\"42\"");
/// ```
#[macro_export]
macro_rules! define_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw number.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::ParseIdError;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                s.parse::<i64>().map($name).map_err(|_| $crate::ParseIdError {
                    kind: stringify!($name),
                    input: s.to_owned(),
                })
            }
        }

        impl ::std::convert::From<i64> for $name {
            fn from(n: i64) -> Self {
                $name(n)
            }
        }

        impl ::std::convert::From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;
                impl $crate::__serde::de::Visitor<'_> for Visitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " as a string of digits or an integer"))
                    }
                    fn visit_str<E: $crate::__serde::de::Error>(self, s: &str) -> ::std::result::Result<$name, E> {
                        s.parse().map_err(E::custom)
                    }
                    fn visit_i64<E: $crate::__serde::de::Error>(self, n: i64) -> ::std::result::Result<$name, E> {
                        Ok($name(n))
                    }
                    fn visit_u64<E: $crate::__serde::de::Error>(self, n: u64) -> ::std::result::Result<$name, E> {
                        i64::try_from(n).map($name).map_err(|_| {
                            E::invalid_value($crate::__serde::de::Unexpected::Unsigned(n), &self)
                        })
                    }
                }
                deserializer.deserialize_any(Visitor)
            }
        }
    };
}

define_id! {
    /// An application (申请) for a public service.
    ApplicationId
}
define_id! {
    /// A case (办件): one application being handled.
    CaseId
}
define_id! {
    /// A notice (通知) sent to a person or enterprise.
    NoticeId
}
define_id! {
    /// A login account.
    AccountId
}
define_id! {
    /// A natural person.
    PersonId
}
define_id! {
    /// An enterprise or other organisation.
    EnterpriseId
}
define_id! {
    /// A record (记录), e.g. an inspection or a visit.
    RecordId
}
define_id! {
    /// An uploaded file.
    UploadId
}
define_id! {
    /// A rating (评价) of a service.
    RatingId
}
define_id! {
    /// A rectification (整改) order.
    RectificationId
}
define_id! {
    /// A household (户).
    HouseholdId
}

/// Milliseconds of 2024-01-01T00:00:00Z since the Unix epoch: the generator's epoch.
const EPOCH_MS: i64 = 1_704_067_200_000;
const NODE_BITS: u32 = 10;
const SEQ_BITS: u32 = 12;
const MAX_NODE: u16 = (1 << NODE_BITS) - 1;
const MAX_SEQ: i64 = (1 << SEQ_BITS) - 1;
const MAX_MS: i64 = (1 << 41) - 1;

/// The node number given to [`IdGenerator::try_new`] is above 1023.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the id generator node must be 0..=1023, not {node}")]
pub struct IdGeneratorError {
    /// The node number given.
    pub node: u16,
}

impl Describe for IdGeneratorError {
    fn code(&self) -> &'static str {
        "invalid_node"
    }

    fn message_zh(&self) -> String {
        format!(
            "编号生成器的节点号应在 0 至 1023 之间，现为 {}，请修改配置。",
            self.node
        )
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// Makes unique, strictly increasing `i64` ids, snowflake-style: 41 bits of milliseconds since
/// 2024-01-01T00:00:00Z, 10 bits of node, 12 bits of sequence.
///
/// Ids keep increasing when the clock steps back (the generator keeps counting from the last id
/// it gave) and when more than 4096 are asked for in one millisecond (it borrows the next
/// millisecond). Run one generator per process, each process with its own node number. The
/// 41 bits of milliseconds last until 2093.
pub struct IdGenerator {
    node: AtomicI64,
    last: AtomicI64,
    clock: Arc<dyn Clock>,
}

impl IdGenerator {
    /// A generator for `node` (0..=1023) on the system clock. A larger node number is reduced
    /// modulo 1024; use [`IdGenerator::try_new`] for a node number read from configuration.
    pub fn new(node: u16) -> IdGenerator {
        IdGenerator::with_clock(node & MAX_NODE, Arc::new(SystemClock))
    }

    /// A generator for `node`, or an error if it is above 1023.
    pub fn try_new(node: u16) -> Result<IdGenerator, IdGeneratorError> {
        if node > MAX_NODE {
            return Err(IdGeneratorError { node });
        }
        Ok(IdGenerator::new(node))
    }

    /// A generator reading time from `clock` (node reduced modulo 1024).
    pub fn with_clock(node: u16, clock: Arc<dyn Clock>) -> IdGenerator {
        IdGenerator {
            node: AtomicI64::new(i64::from(node & MAX_NODE)),
            last: AtomicI64::new(0),
            clock,
        }
    }

    /// The node number.
    pub fn node(&self) -> u16 {
        u16::try_from(self.node.load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Sets the node number (reduced modulo 1024): once, at start, when the store has leased it
    /// and before the first id.
    pub fn set_node(&self, node: u16) {
        self.node.store(i64::from(node & MAX_NODE), Ordering::Relaxed);
    }

    /// The next id: unique and greater than every id this generator gave before.
    pub fn next(&self) -> i64 {
        let ms = (self.clock.now().timestamp_millis() - EPOCH_MS).clamp(0, MAX_MS);
        let fresh = (ms << (NODE_BITS + SEQ_BITS)) | (self.node.load(Ordering::Relaxed) << SEQ_BITS);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let next = if fresh > last {
                fresh
            } else if last & MAX_SEQ < MAX_SEQ {
                last + 1
            } else {
                // Sequence exhausted (or the clock stepped back): borrow the next millisecond.
                let last_ms = last >> (NODE_BITS + SEQ_BITS);
                ((last_ms + 1) << (NODE_BITS + SEQ_BITS)) | (self.node.load(Ordering::Relaxed) << SEQ_BITS)
            };
            match self
                .last
                .compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }

    /// The instant encoded in an id made by an `IdGenerator`.
    pub fn timestamp(id: i64) -> DateTime<Utc> {
        let ms = (id >> (NODE_BITS + SEQ_BITS)) + EPOCH_MS;
        DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// The node encoded in an id made by an `IdGenerator`.
    pub fn node_of(id: i64) -> u16 {
        u16::try_from((id >> SEQ_BITS) & i64::from(MAX_NODE)).unwrap_or(0)
    }
}

impl fmt::Debug for IdGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdGenerator")
            .field("node", &self.node)
            .field("last", &self.last.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::Duration;

    use super::*;
    use crate::ManualClock;

    #[test]
    fn ids_serialize_as_strings() {
        let big = CaseId(1_234_567_890_123_456_789);
        let json = serde_json::to_string(&big).expect("serialize");
        assert_eq!(json, "\"1234567890123456789\"");
        assert_eq!(
            serde_json::from_str::<CaseId>(&json).expect("from string"),
            big
        );
        assert_eq!(
            serde_json::from_str::<CaseId>("1234567890123456789").expect("from integer"),
            big
        );
        assert_eq!(
            serde_json::from_str::<PersonId>("-7").expect("negative"),
            PersonId(-7)
        );
        for bad in [
            "\"12a\"",
            "\"\"",
            "1.5",
            "null",
            "18446744073709551615",
            "\" 1\"",
        ] {
            assert!(
                serde_json::from_str::<CaseId>(bad).is_err(),
                "{bad} accepted"
            );
        }
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            case: CaseId,
            person: Option<PersonId>,
        }
        let row = Row {
            case: CaseId(9_007_199_254_740_993),
            person: Some(PersonId(1)),
        };
        let json = serde_json::to_string(&row).expect("serialize");
        assert_eq!(json, r#"{"case":"9007199254740993","person":"1"}"#);
        assert_eq!(serde_json::from_str::<Row>(&json).expect("round trip"), row);
    }

    #[test]
    fn ids_print_and_parse() {
        let id = ApplicationId(123);
        assert_eq!(format!("{id:?}"), "ApplicationId(123)");
        assert_eq!(id.to_string(), "123");
        assert_eq!("123".parse::<ApplicationId>(), Ok(id));
        let err = "x".parse::<HouseholdId>().expect_err("not a number");
        assert_eq!(err.kind, "HouseholdId");
        assert_eq!(err.code(), "invalid_id");
        assert_eq!(i64::from(RatingId::from(5)), 5);
    }

    /// Compile-time check: the generator is shared between threads.
    const _: fn() = || {
        fn shareable<T: Send + Sync>() {}
        shareable::<IdGenerator>();
    };

    #[test]
    fn generator_layout() {
        let t = DateTime::from_timestamp_millis(EPOCH_MS + 1000).expect("instant");
        let clock = ManualClock::new(t);
        let g = IdGenerator::with_clock(5, Arc::new(clock));
        let a = g.next();
        assert_eq!(a, (1000 << 22) | (5 << 12));
        assert_eq!(g.next(), a + 1);
        assert_eq!(IdGenerator::timestamp(a), t);
        assert_eq!(IdGenerator::node_of(a), 5);
        assert_eq!(
            IdGenerator::try_new(1024).map(|g| g.node()),
            Err(IdGeneratorError { node: 1024 })
        );
        assert_eq!(IdGenerator::try_new(1023).map(|g| g.node()), Ok(1023));
        assert_eq!(IdGenerator::new(1025).node(), 1);
    }

    #[test]
    fn generator_survives_clock_steps_back_and_bursts() {
        let t = DateTime::from_timestamp_millis(EPOCH_MS + 10_000).expect("instant");
        let clock = ManualClock::new(t);
        let g = IdGenerator::with_clock(1023, Arc::new(clock.clone()));
        let mut last = 0;
        let mut take = |n: usize| {
            for _ in 0..n {
                let id = g.next();
                assert!(id > last, "{id} after {last}");
                assert_eq!(IdGenerator::node_of(id), 1023);
                last = id;
            }
            last
        };
        // 10 000 ids in one frozen millisecond borrow the next two.
        let burst_end = take(10_000);
        assert_eq!(
            IdGenerator::timestamp(burst_end),
            t + Duration::milliseconds(2)
        );
        clock.advance(Duration::seconds(-5));
        take(10);
        clock.advance(Duration::seconds(10));
        let after = take(1);
        assert_eq!(IdGenerator::timestamp(after), t + Duration::seconds(5));
        // Before the epoch the generator still counts up from where it was.
        clock.set(DateTime::from_timestamp_millis(0).expect("1970"));
        assert!(take(3) > after);
    }

    #[test]
    fn generator_is_unique_and_increasing_across_threads() {
        let g = Arc::new(IdGenerator::new(7));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let g = Arc::clone(&g);
                std::thread::spawn(move || {
                    let ids: Vec<i64> = (0..20_000).map(|_| g.next()).collect();
                    assert!(
                        ids.windows(2).all(|w| w[0] < w[1]),
                        "not increasing within a thread"
                    );
                    ids
                })
            })
            .collect();
        let mut all = HashSet::new();
        for h in handles {
            for id in h.join().expect("thread") {
                assert!(id > 0);
                assert!(all.insert(id), "duplicate {id}");
            }
        }
        assert_eq!(all.len(), 80_000);
        assert!(all.iter().all(|&id| IdGenerator::node_of(id) == 7));
    }
}
