//! Signed credentials that verify offline: e-certificates (电子证照) of shared records and rider
//! codes (富春小哥码). A credential is `MS1:` followed by base45 of
//! `[version 1][key id, 4 bytes][body, compact JSON][Ed25519 signature, 64 bytes]`; the signature
//! covers a domain tag and everything before it. Base45 keeps the text inside the QR code's
//! alphanumeric mode. Verification needs only the district's published public key; revocation is
//! checked by whoever holds the revocation list (the server, `minsheng cert verify --database-url`,
//! or a gate that synchronised `/api/pool/revocations`).

use base64::Engine as _;
use chrono::{DateTime, Utc};
use domain::Describe;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::base45;
use crate::rider::RiderCode;

/// The text every credential starts with.
pub const PREFIX: &str = "MS1:";
const VERSION: u8 = 1;
const DOMAIN: &[u8] = b"minsheng-credential-v1\x00";

/// The district's signing key. `Debug` never prints it.
#[derive(Clone)]
pub struct DistrictKey(SigningKey);

impl std::fmt::Debug for DistrictKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DistrictKey({}, [redacted])", self.public().key_id())
    }
}

impl DistrictKey {
    pub fn from_seed(seed: &[u8; 32]) -> DistrictKey {
        DistrictKey(SigningKey::from_bytes(seed))
    }
    /// Reads a key saved with `to_text` (base64url of the 32-byte seed).
    pub fn from_text(text: &str) -> Option<DistrictKey> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let seed: [u8; 32] = bytes.try_into().ok()?;
        Some(DistrictKey::from_seed(&seed))
    }
    /// The seed as text, for the key file. Secret: never log it.
    pub fn to_text(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.to_bytes())
    }
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The Ed25519 key itself, for other signed exchanges of the district (cross-region messages).
    /// Secret: never log it.
    pub fn ed25519(&self) -> &SigningKey {
        &self.0
    }

    /// Signs a credential body.
    pub fn sign(&self, body: &CredentialBody) -> Credential {
        let json = serde_json::to_vec(body).unwrap_or_default();
        let mut bytes = Vec::with_capacity(json.len() + 69);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.public().kid_bytes());
        bytes.extend_from_slice(&json);
        let sig = self.0.sign(&signed_message(&bytes));
        bytes.extend_from_slice(&sig.to_bytes());
        Credential { text: format!("{PREFIX}{}", base45::encode(&bytes)), body: body.clone() }
    }
}

fn signed_message(bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + bytes.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(bytes);
    m
}

/// The district's public key, as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    fn kid_bytes(&self) -> [u8; 4] {
        let d = Sha256::digest(self.0.as_bytes());
        [d[0], d[1], d[2], d[3]]
    }
    /// A short id of the key (8 hex digits), carried in every credential.
    pub fn key_id(&self) -> String {
        hex::encode(self.kid_bytes())
    }
    /// base64url of the 32 key bytes.
    pub fn to_text(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
    /// Reads `to_text`'s form, or the JSON the server publishes (`{"key": "…", …}`).
    pub fn parse(text: &str) -> Option<PublicKey> {
        let t = text.trim();
        let raw = if t.starts_with('{') {
            serde_json::from_str::<serde_json::Value>(t).ok()?.get("key")?.as_str()?.to_owned()
        } else {
            t.to_owned()
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        let arr: [u8; 32] = bytes.try_into().ok()?;
        VerifyingKey::from_bytes(&arr).ok().map(PublicKey)
    }
    /// The JSON document the server publishes.
    pub fn document(&self, issuer: &str) -> serde_json::Value {
        serde_json::json!({
            "issuer": issuer,
            "alg": "Ed25519",
            "kid": self.key_id(),
            "key": self.to_text(),
            "format": "MS1: + base45([0x01][kid 4 bytes][JSON body][Ed25519 signature 64 bytes]); signed message = \"minsheng-credential-v1\\0\" + all bytes before the signature",
        })
    }
}

/// An e-certificate of one version of a shared record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCert {
    /// Certificate id.
    pub id: String,
    /// Record id and version.
    pub rid: String,
    pub v: i64,
    /// Record type code and name.
    pub rt: String,
    pub rn: String,
    /// Issuing department code and name.
    pub iss: String,
    pub isn: String,
    /// The holder, masked (name and ID number / credit code).
    pub hn: String,
    pub hk: String,
    /// First 16 bytes (hex) of SHA-256(certificate id ‖ holder's full identifier): a verifier
    /// holding the holder's ID card can check it is theirs.
    pub hh: String,
    /// First 16 bytes (hex) of SHA-256 of the record's data as published.
    pub dh: String,
    /// Issued and expiry times (Unix seconds).
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// What a credential says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum CredentialBody {
    #[serde(rename = "c")]
    Record(RecordCert),
    #[serde(rename = "r")]
    Rider(RiderCode),
}

impl CredentialBody {
    pub fn id(&self) -> &str {
        match self {
            CredentialBody::Record(c) => &c.id,
            CredentialBody::Rider(r) => &r.id,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialBody::Record(_) => "certificate",
            CredentialBody::Rider(_) => "rider_code",
        }
    }
    fn window(&self) -> (i64, Option<i64>) {
        match self {
            CredentialBody::Record(c) => (c.iat, c.exp),
            CredentialBody::Rider(r) => (r.nbf, Some(r.exp)),
        }
    }
}

/// A signed credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub text: String,
    pub body: CredentialBody,
}

/// A credential that passed verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub key_id: String,
    pub body: CredentialBody,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("not a minsheng credential (it must start with MS1: followed by base45)")]
    Malformed,
    #[error("signed with an unknown key {0}")]
    UnknownKey(String),
    #[error("the signature does not match: the credential was forged or altered")]
    BadSignature,
    #[error("expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("not valid before {0}")]
    NotYetValid(DateTime<Utc>),
    #[error("revoked")]
    Revoked,
}

impl Describe for VerifyError {
    fn code(&self) -> &'static str {
        match self {
            VerifyError::Malformed => "credential_malformed",
            VerifyError::UnknownKey(_) => "credential_unknown_key",
            VerifyError::BadSignature => "credential_forged",
            VerifyError::Expired(_) => "credential_expired",
            VerifyError::NotYetValid(_) => "credential_not_yet_valid",
            VerifyError::Revoked => "credential_revoked",
        }
    }
    fn message_zh(&self) -> String {
        match self {
            VerifyError::Malformed => "这不是本区签发的电子证照或小哥码（格式不符）".into(),
            VerifyError::UnknownKey(k) => format!("签名密钥 {k} 不是本区公布的密钥"),
            VerifyError::BadSignature => "签名验证失败：证照被伪造或篡改".into(),
            VerifyError::Expired(t) => format!("已于 {} 过期", domain::china_time(*t).format("%Y-%m-%d %H:%M")),
            VerifyError::NotYetValid(t) => format!("{} 之前尚未生效", domain::china_time(*t).format("%Y-%m-%d %H:%M")),
            VerifyError::Revoked => "已被撤销".into(),
        }
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
}

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Decodes and checks the signature only (no time or revocation check).
pub fn open(text: &str, keys: &[PublicKey]) -> Result<Verified, VerifyError> {
    let t = text.trim();
    let b45 = t.strip_prefix(PREFIX).ok_or(VerifyError::Malformed)?;
    let bytes = base45::decode(b45).ok_or(VerifyError::Malformed)?;
    if bytes.len() < 1 + 4 + 2 + 64 || bytes[0] != VERSION {
        return Err(VerifyError::Malformed);
    }
    let kid = hex::encode(&bytes[1..5]);
    let key = keys.iter().find(|k| k.key_id() == kid).ok_or_else(|| VerifyError::UnknownKey(kid.clone()))?;
    let (signed, sig) = bytes.split_at(bytes.len() - 64);
    let sig = Signature::from_slice(sig).map_err(|_| VerifyError::BadSignature)?;
    key.0.verify(&signed_message(signed), &sig).map_err(|_| VerifyError::BadSignature)?;
    let body: CredentialBody = serde_json::from_slice(&signed[5..]).map_err(|_| VerifyError::Malformed)?;
    Ok(Verified { key_id: kid, body })
}

/// Verifies a credential offline at `now`: signature, validity window, and (when the caller has
/// a revocation list) revocation.
pub fn verify(text: &str, keys: &[PublicKey], now: DateTime<Utc>, revoked: impl Fn(&str) -> bool) -> Result<Verified, VerifyError> {
    let v = open(text, keys)?;
    let (nbf, exp) = v.body.window();
    let t = now.timestamp();
    if t < nbf && matches!(v.body, CredentialBody::Rider(_)) {
        return Err(VerifyError::NotYetValid(ts(nbf)));
    }
    if let Some(exp) = exp
        && t > exp
    {
        return Err(VerifyError::Expired(ts(exp)));
    }
    if revoked(v.body.id()) {
        return Err(VerifyError::Revoked);
    }
    Ok(v)
}

/// First 16 bytes (hex) of SHA-256 over the parts joined with 0x1F.
pub fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1F]);
    }
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn key(n: u8) -> DistrictKey {
        DistrictKey::from_seed(&[n; 32])
    }

    fn cert(exp: Option<i64>) -> CredentialBody {
        CredentialBody::Record(RecordCert {
            id: "77".into(),
            rid: "12".into(),
            v: 1,
            rt: "marriage_registration".into(),
            rn: "结婚登记信息（结婚证）".into(),
            iss: "mzj".into(),
            isn: "杭州市富阳区民政局".into(),
            hn: "许*诺".into(),
            hk: "330183********1232".into(),
            hh: short_hash(&["77", "330183199001011232"]),
            dh: short_hash(&["{}"]),
            iat: 1_772_000_000,
            exp,
        })
    }

    fn at(secs: i64) -> DateTime<Utc> {
        ts(secs)
    }

    #[test]
    fn a_signed_certificate_verifies_offline() {
        let k = key(1);
        let c = k.sign(&cert(Some(1_900_000_000)));
        assert!(c.text.starts_with(PREFIX));
        assert!(c.text[PREFIX.len()..].bytes().all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)), "QR alphanumeric");
        let v = verify(&c.text, &[k.public()], at(1_800_000_000), |_| false).expect("valid");
        assert_eq!(v.body, c.body);
        assert_eq!(v.key_id, k.public().key_id());
        let published = PublicKey::parse(&k.public().document("富阳区").to_string()).expect("published key parses");
        assert!(verify(&c.text, &[published], at(1_800_000_000), |_| false).is_ok());
    }

    #[test]
    fn tampering_with_any_byte_fails() {
        let k = key(1);
        let c = k.sign(&cert(None));
        let bytes = base45::decode(&c.text[PREFIX.len()..]).expect("base45");
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let forged = format!("{PREFIX}{}", base45::encode(&b));
            let r = verify(&forged, &[k.public()], at(1_800_000_000), |_| false);
            assert!(r.is_err(), "byte {i} flipped still verified");
        }
        // Changing one character of the text fails too.
        let mut chars: Vec<char> = c.text.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let s: String = chars.into_iter().collect();
        assert!(verify(&s, &[k.public()], at(1_800_000_000), |_| false).is_err());
    }

    #[test]
    fn other_keys_expiry_and_revocation_fail() {
        let k = key(1);
        let c = k.sign(&cert(Some(1_800_000_000)));
        assert_eq!(verify(&c.text, &[key(2).public()], at(1_700_000_000), |_| false), Err(VerifyError::UnknownKey(k.public().key_id())));
        assert!(matches!(verify(&c.text, &[k.public()], at(1_800_000_001), |_| false), Err(VerifyError::Expired(_))));
        assert_eq!(verify(&c.text, &[k.public()], at(1_700_000_000), |id| id == "77"), Err(VerifyError::Revoked));
        assert_eq!(verify("hello", &[k.public()], at(0), |_| false), Err(VerifyError::Malformed));
        assert_eq!(verify("MS1:abc", &[k.public()], at(0), |_| false), Err(VerifyError::Malformed));
        // A body signed by another key under this key's id is a forgery.
        let other = key(2).sign(&cert(None));
        let mut b = base45::decode(&other.text[PREFIX.len()..]).expect("base45");
        b[1..5].copy_from_slice(&hex::decode(k.public().key_id()).expect("hex"));
        let forged = format!("{PREFIX}{}", base45::encode(&b));
        assert_eq!(verify(&forged, &[k.public()], at(0), |_| false), Err(VerifyError::BadSignature));
        assert!(!format!("{k:?}").contains(&k.to_text()), "the key never prints");
        assert_eq!(DistrictKey::from_text(&k.to_text()).map(|x| x.public()), Some(k.public()));
    }
}
