//! The shared data pool (数据同池) as plain Rust over plain data — no SQL, no HTTP, no clock of its
//! own (the caller passes `now`): the schema of each record type, the purposes, consents and rules
//! that decide whether a read is lawful, the hash-chained access log, record versions (corrections
//! and revocation), signed e-certificates (电子证照) and the rider code (富春小哥码) that verify
//! offline, HL7 FHIR R4 resource types, the mutual recognition of medical results (医检互认), and who
//! is a minor's guardian by the household register.

pub mod access;
pub mod base45;
pub mod care;
pub mod cert;
pub mod error;
pub mod fhir;
pub mod guardian;
pub mod log;
pub mod qr;
pub mod recognition;
pub mod rider;
pub mod schema;
pub mod validity;
pub mod version;

pub use access::{Basis, Consent, Decision, FilingFacts, GranteeKind, Purpose, Reader, ReaderKind, ReadFacts};
pub use cert::{Credential, CredentialBody, DistrictKey, PublicKey, RecordCert, Verified, VerifyError};
pub use error::PoolError;
pub use log::{AccessEntry, ChainBreak, GENESIS, Outcome};
pub use recognition::{Decision as RecognitionDecision, Institution, InstitutionLevel, RecognitionCatalog, RecognisableItem, ResultSummary};
pub use rider::RiderCode;
pub use schema::{RecordSchema, SchemaSet};
pub use version::{RecordMeta, RecordStatus};
