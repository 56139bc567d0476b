//! Cross-region handling (跨区域通办) between districts: the signed envelope of the messages two
//! minsheng servers exchange, in the manner of X-Road's signed message exchange. A window in
//! district A takes in an application for an item of district B; A sends B a `case` message; B
//! answers every message with a receipt it signs; B sends `status` messages (with the outputs)
//! back as the case is handled, and A answers those with its own signed receipts. Both sides sign
//! with their district's Ed25519 key and know the other's public key from configuration, so each
//! message and each receipt authenticates its sender (mutual authentication at the message level),
//! and the message id makes every message count once: a replay is answered with the first receipt.
//!
//! What is signed is a canonical text (never re-serialised JSON): the domain, the message id, the
//! sender, the receiver, the kind, the time sent and the SHA-256 of the body exactly as sent.

use base64::Engine;
use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use ed25519_dalek::Signature;
use ed25519_dalek::Signer;
use ed25519_dalek::SigningKey;
use ed25519_dalek::Verifier;
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;

use crate::error::HallError;

/// What a message's signature covers starts with this.
pub const MESSAGE_DOMAIN: &str = "minsheng-crossregion-message-v1";
/// What a receipt's signature covers starts with this.
pub const RECEIPT_DOMAIN: &str = "minsheng-crossregion-receipt-v1";
/// How far a message's time may be from the receiver's clock (either way).
pub const MAX_SKEW_MINUTES: i64 = 10;
/// The largest body a message may carry.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// An application taken in at a window of the sender for an item of the receiver.
    Case,
    /// A change of a forwarded case's status, with its outputs once settled.
    Status,
}

impl MessageKind {
    /// The code in messages: `case`, `status`.
    pub fn code(self) -> &'static str {
        match self {
            MessageKind::Case => "case",
            MessageKind::Status => "status",
        }
    }

    /// Reads a code.
    pub fn parse(s: &str) -> Option<MessageKind> {
        match s {
            "case" => Some(MessageKind::Case),
            "status" => Some(MessageKind::Status),
            _ => None,
        }
    }
}

/// A message as sent: the body as text (signed as is) and the signature over the canonical text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The message id: 32 lowercase hex digits, chosen by the sender, the same on every retry.
    pub id: String,
    /// The sender's district (6-digit division code).
    pub from: String,
    /// The receiver's district.
    pub to: String,
    /// `case` or `status`.
    pub kind: String,
    /// When it was first sent (RFC 3339).
    pub sent_at: String,
    /// The body: JSON text, exactly as signed.
    pub body: String,
    /// Ed25519 signature by the sender's district key over the canonical text, base64url.
    pub signature: String,
}

/// What a receiver says about a message: signed by the receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The message's id.
    pub id: String,
    /// The receiver's district (who signs).
    pub by: String,
    /// When it was received the first time (RFC 3339): a replay gets the same receipt.
    pub at: String,
    /// `accepted` or `refused`.
    pub outcome: String,
    /// The receiver's reference for what it made of it (its application's id), if accepted.
    pub reference: Option<String>,
    /// Why it was refused: a stable code (`unknown_item`, `not_in_register`, …).
    pub code: Option<String>,
    /// Why it was refused, in Chinese.
    pub message: Option<String>,
    /// Ed25519 signature by the receiver's district key over the canonical text, base64url.
    pub signature: String,
}

/// A peer district: its code, name and public key, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerKey {
    pub district: String,
    pub key: VerifyingKey,
}

impl PeerKey {
    /// Reads a public key given as base64url of its 32 bytes.
    pub fn parse(district: &str, key: &str) -> Result<PeerKey, HallError> {
        check_district("district", district)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(key.trim())
            .map_err(|_| HallError::invalid("public_key", "对方公钥不是 base64url 编码", "the peer's public key is not base64url"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| HallError::invalid("public_key", "对方公钥应为 32 字节", "the peer's public key must be 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&arr).map_err(|_| HallError::invalid("public_key", "对方公钥无效", "the peer's public key is not a valid Ed25519 key"))?;
        Ok(PeerKey { district: district.to_owned(), key })
    }
}

/// A public key as text (base64url of its 32 bytes), for configuration files.
pub fn key_text(key: &VerifyingKey) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn check_district(field: &str, d: &str) -> Result<(), HallError> {
    if d.len() == 6 && d.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(HallError::invalid(field, "区县代码应为 6 位数字", "a district code is 6 digits"))
    }
}

fn check_id(id: &str) -> Result<(), HallError> {
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(HallError::invalid("id", "报文编号应为 32 位小写十六进制", "a message id is 32 lowercase hex digits"))
    }
}

/// A new message id from 16 random bytes (the caller draws them).
pub fn message_id(random: [u8; 16]) -> String {
    hex::encode(random)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

impl Envelope {
    /// The text the signature covers.
    pub fn canonical(&self) -> String {
        format!("{MESSAGE_DOMAIN}\n{}\n{}\n{}\n{}\n{}\n{}", self.id, self.from, self.to, self.kind, self.sent_at, sha256_hex(&self.body))
    }

    /// Seals a message: `body` is the JSON text sent.
    pub fn seal(key: &SigningKey, id: &str, from: &str, to: &str, kind: MessageKind, body: String, now: DateTime<Utc>) -> Result<Envelope, HallError> {
        check_id(id)?;
        check_district("from", from)?;
        check_district("to", to)?;
        if body.len() > MAX_BODY_BYTES {
            return Err(HallError::invalid("body", "报文过大", "the message body is too large"));
        }
        let mut e = Envelope {
            id: id.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            kind: kind.code().to_owned(),
            sent_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            body,
            signature: String::new(),
        };
        e.signature = sign(key, &e.canonical());
        Ok(e)
    }

    /// Opens a message addressed to `me`: the sender is a known peer, its signature verifies over
    /// the body as sent, and its time is within [`MAX_SKEW_MINUTES`] of `now`. The replay of an
    /// id already received is the store's to catch (the caller answers it with the first receipt).
    pub fn open<'a>(&self, me: &str, peers: &'a [PeerKey], now: DateTime<Utc>) -> Result<(&'a PeerKey, MessageKind), HallError> {
        check_id(&self.id)?;
        if self.to != me {
            return Err(HallError::CrossRegion {
                code: "wrong_receiver",
                field: "to",
                message_zh: format!("报文发给 {}，本区为 {me}", self.to),
                message_en: format!("the message is addressed to {}, this district is {me}", self.to),
            });
        }
        let peer = peers.iter().find(|p| p.district == self.from).ok_or_else(|| HallError::CrossRegion {
            code: "unknown_peer",
            field: "from",
            message_zh: format!("未与 {} 建立跨区域通办关系", self.from),
            message_en: format!("{} is not a configured peer district", self.from),
        })?;
        let kind = MessageKind::parse(&self.kind).ok_or_else(|| HallError::invalid("kind", "报文类型应为 case 或 status", "the kind must be case or status"))?;
        if !verify(&peer.key, &self.canonical(), &self.signature) {
            return Err(HallError::CrossRegion {
                code: "bad_signature",
                field: "signature",
                message_zh: "报文签名验证失败：报文被改动或不是对方签发".to_owned(),
                message_en: "the signature does not verify: the message was altered or not sent by the peer".to_owned(),
            });
        }
        let sent = DateTime::parse_from_rfc3339(&self.sent_at)
            .map_err(|_| HallError::invalid("sent_at", "发送时间格式错误", "sent_at is not an RFC 3339 time"))?
            .with_timezone(&Utc);
        if (sent - now).abs() > Duration::minutes(MAX_SKEW_MINUTES) {
            return Err(HallError::CrossRegion {
                code: "stale_message",
                field: "sent_at",
                message_zh: format!("报文时间与本区时钟相差超过 {MAX_SKEW_MINUTES} 分钟，请对方重新签发"),
                message_en: format!("the message's time is more than {MAX_SKEW_MINUTES} minutes from this server's clock; the sender must sign it again"),
            });
        }
        if self.body.len() > MAX_BODY_BYTES {
            return Err(HallError::invalid("body", "报文过大", "the message body is too large"));
        }
        Ok((peer, kind))
    }

    /// The same message signed again at `now` (a retry after the receiver's clock refused it is
    /// the same id, so it still counts once).
    pub fn resealed(&self, key: &SigningKey, now: DateTime<Utc>) -> Envelope {
        let mut e = self.clone();
        e.sent_at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        e.signature = sign(key, &e.canonical());
        e
    }
}

impl Receipt {
    /// The text the signature covers.
    pub fn canonical(&self) -> String {
        format!(
            "{RECEIPT_DOMAIN}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.id,
            self.by,
            self.at,
            self.outcome,
            self.reference.as_deref().unwrap_or(""),
            self.code.as_deref().unwrap_or("")
        )
    }

    /// A signed acceptance.
    pub fn accepted(key: &SigningKey, id: &str, by: &str, reference: Option<String>, at: DateTime<Utc>) -> Receipt {
        let mut r = Receipt {
            id: id.to_owned(),
            by: by.to_owned(),
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            outcome: "accepted".to_owned(),
            reference,
            code: None,
            message: None,
            signature: String::new(),
        };
        r.signature = sign(key, &r.canonical());
        r
    }

    /// A signed refusal: the message was read and will never be taken (an unknown item, an
    /// applicant not in the register); the sender stops retrying and tells its applicant why.
    pub fn refused(key: &SigningKey, id: &str, by: &str, code: &str, message: &str, at: DateTime<Utc>) -> Receipt {
        let mut r = Receipt {
            id: id.to_owned(),
            by: by.to_owned(),
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            outcome: "refused".to_owned(),
            reference: None,
            code: Some(code.to_owned()),
            message: Some(message.to_owned()),
            signature: String::new(),
        };
        r.signature = sign(key, &r.canonical());
        r
    }

    /// Checks a receipt for the message `id` sent to `peer`: signed by the peer, about this message.
    pub fn check(&self, id: &str, peer: &PeerKey) -> Result<(), HallError> {
        if self.id != id || self.by != peer.district {
            return Err(HallError::CrossRegion {
                code: "receipt_mismatch",
                field: "receipt",
                message_zh: "回执与所发报文不符".to_owned(),
                message_en: "the receipt is not for the message sent".to_owned(),
            });
        }
        if !matches!(self.outcome.as_str(), "accepted" | "refused") {
            return Err(HallError::invalid("outcome", "回执结果应为 accepted 或 refused", "the outcome must be accepted or refused"));
        }
        if !verify(&peer.key, &self.canonical(), &self.signature) {
            return Err(HallError::CrossRegion {
                code: "bad_signature",
                field: "receipt.signature",
                message_zh: "回执签名验证失败".to_owned(),
                message_en: "the receipt's signature does not verify".to_owned(),
            });
        }
        Ok(())
    }
}

fn sign(key: &SigningKey, text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.sign(text.as_bytes()).to_bytes())
}

fn verify(key: &VerifyingKey, text: &str, signature: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature.trim()) else { return false };
    let Ok(arr) = <[u8; 64]>::try_from(bytes.as_slice()) else { return false };
    key.verify(text.as_bytes(), &Signature::from_bytes(&arr)).is_ok()
}

/// The body of a `case` message: an application taken in at a window of the sender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseBody {
    /// The sender's case id (status messages name it).
    pub case: String,
    /// The receiver's item code.
    pub item: String,
    /// The applicant's ID number (18 characters) or credit code.
    pub applicant: String,
    pub applicant_name: String,
    /// Where the applicant is told (a mobile number), if given.
    pub phone: Option<String>,
    /// The form as filled at the window.
    pub form: serde_json::Map<String, serde_json::Value>,
    /// Originals seen at the window (their names): the receiver need not ask for them again.
    pub materials_seen: Vec<String>,
    /// Where it was taken in: the hall and window, in words.
    pub taken_in_at: String,
    /// When (RFC 3339).
    pub taken_in: String,
}

/// The body of a `status` message: where the receiver's handling of a forwarded case stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// The sender-of-the-case's case id.
    pub case: String,
    /// The handling district's application id.
    pub application: String,
    /// The handling district's state code (`submitted`, `approved`, `rejected`, …).
    pub state: String,
    /// The state in words (Chinese).
    pub state_zh: String,
    /// The case is settled (approved, rejected or withdrawn): nothing more will follow.
    pub settled: bool,
    /// The outputs issued (a licence's or certificate's name and number), once settled.
    pub outputs: Vec<String>,
    /// What the applicant is told, in Chinese.
    pub note: Option<String>,
    /// The state's sequence number at the handling district: a later status has a higher one, so
    /// an older status that arrives late never overwrites a newer one.
    pub seq: u32,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    fn peers() -> Vec<PeerKey> {
        vec![PeerKey { district: "330111".into(), key: key(1).verifying_key() }]
    }

    fn sealed() -> Envelope {
        Envelope::seal(&key(1), &message_id([7; 16]), "330111", "330102", MessageKind::Case, r#"{"a":1}"#.into(), now()).unwrap()
    }

    #[test]
    fn a_sealed_message_opens_at_its_receiver_and_nowhere_else() {
        let e = sealed();
        let ps = peers();
        let (peer, kind) = e.open("330102", &ps, now()).unwrap();
        assert_eq!((peer.district.as_str(), kind), ("330111", MessageKind::Case));
        let code = |r: Result<(&PeerKey, MessageKind), HallError>| match r {
            Err(HallError::CrossRegion { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(e.open("330106", &peers(), now())), "wrong_receiver");
        assert_eq!(code(e.open("330102", &[], now())), "unknown_peer");
        let mut altered = e.clone();
        altered.body = r#"{"a":2}"#.into();
        assert_eq!(code(altered.open("330102", &peers(), now())), "bad_signature");
        let mut forged = Envelope::seal(&key(9), &message_id([7; 16]), "330111", "330102", MessageKind::Case, "{}".into(), now()).unwrap();
        assert_eq!(code(forged.open("330102", &peers(), now())), "bad_signature");
        forged.signature = "not base64!".into();
        assert_eq!(code(forged.open("330102", &peers(), now())), "bad_signature");
        assert_eq!(code(e.open("330102", &peers(), now() + Duration::minutes(11))), "stale_message");
        let again = e.resealed(&key(1), now() + Duration::minutes(30));
        assert_eq!(again.id, e.id);
        assert!(again.open("330102", &peers(), now() + Duration::minutes(30)).is_ok());
    }

    #[test]
    fn receipts_are_signed_by_the_receiver_and_about_the_message() {
        let a = PeerKey { district: "330102".into(), key: key(2).verifying_key() };
        let r = Receipt::accepted(&key(2), &message_id([7; 16]), "330102", Some("42".into()), now());
        r.check(&message_id([7; 16]), &a).unwrap();
        assert!(r.check(&message_id([8; 16]), &a).is_err());
        let mut changed = r.clone();
        changed.reference = Some("43".into());
        assert!(changed.check(&message_id([7; 16]), &a).is_err());
        let forged = Receipt::accepted(&key(3), &message_id([7; 16]), "330102", None, now());
        assert!(forged.check(&message_id([7; 16]), &a).is_err());
        let no = Receipt::refused(&key(2), &message_id([7; 16]), "330102", "unknown_item", "本区没有该事项", now());
        no.check(&message_id([7; 16]), &a).unwrap();
    }

    #[test]
    fn bad_ids_districts_and_keys_are_refused() {
        assert!(Envelope::seal(&key(1), "XYZ", "330111", "330102", MessageKind::Case, "{}".into(), now()).is_err());
        assert!(Envelope::seal(&key(1), &message_id([1; 16]), "33011", "330102", MessageKind::Case, "{}".into(), now()).is_err());
        assert!(PeerKey::parse("330111", "short").is_err());
        assert!(PeerKey::parse("330111", &key_text(&key(1).verifying_key())).is_ok());
    }
}
