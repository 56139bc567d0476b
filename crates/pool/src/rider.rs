//! The rider code (富春小哥码, E3): a delivery rider's electronic work ID as a signed credential —
//! who (masked, with a hash a gate can match against the ID card), which platform, which estates
//! the rider may enter, and for how long. A property gate checks it offline with `gate_check`.

use chrono::{DateTime, Utc};
use domain::Describe;
use serde::{Deserialize, Serialize};

use crate::cert::{self, PublicKey, VerifyError};

/// The delivery platforms the district knows.
pub const PLATFORMS: &[(&str, &str)] = &[("meituan", "美团外卖"), ("eleme", "饿了么"), ("sf", "顺丰同城"), ("dada", "达达快送")];

pub fn platform_name(code: &str) -> Option<&'static str> {
    PLATFORMS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiderCode {
    /// Credential id.
    pub id: String,
    /// Rider id (the register's).
    pub rid: String,
    /// Masked name and ID number.
    pub n: String,
    pub k: String,
    /// First 16 bytes (hex) of SHA-256(credential id ‖ full ID number).
    pub h: String,
    /// Platform code.
    pub p: String,
    /// Estates (小区) the rider may enter, by code; `*` for every estate of the district.
    pub e: Vec<String>,
    /// Valid from / until (Unix seconds).
    pub nbf: i64,
    pub exp: i64,
}

/// What a gate decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum GateResult {
    Admit { rider: RiderCode },
    Deny { code: &'static str, reason_zh: String, reason_en: String },
}

/// A property gate's offline check: a valid rider code of the district that lists `estate`.
/// `revoked` is the gate's last synchronised revocation list.
pub fn gate_check(text: &str, keys: &[PublicKey], estate: &str, now: DateTime<Utc>, revoked: impl Fn(&str) -> bool) -> GateResult {
    let deny = |e: VerifyError| GateResult::Deny { code: e.code(), reason_zh: e.message_zh(), reason_en: e.message_en() };
    match cert::verify(text, keys, now, revoked) {
        Err(e) => deny(e),
        Ok(v) => match v.body {
            cert::CredentialBody::Rider(r) => {
                if r.e.iter().any(|x| x == "*" || x == estate) {
                    GateResult::Admit { rider: r }
                } else {
                    GateResult::Deny {
                        code: "estate_not_allowed",
                        reason_zh: "该骑手未获准进入本小区".into(),
                        reason_en: "This rider may not enter this estate".into(),
                    }
                }
            }
            cert::CredentialBody::Record(_) => GateResult::Deny {
                code: "not_a_rider_code",
                reason_zh: "这是电子证照，不是小哥码".into(),
                reason_en: "This is an e-certificate, not a rider code".into(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::{CredentialBody, DistrictKey, short_hash};

    fn code(estates: &[&str]) -> CredentialBody {
        CredentialBody::Rider(RiderCode {
            id: "501".into(),
            rid: "9".into(),
            n: "王*".into(),
            k: "330183********1232".into(),
            h: short_hash(&["501", "330183199001011232"]),
            p: "meituan".into(),
            e: estates.iter().map(|s| (*s).to_owned()).collect(),
            nbf: 1_772_000_000,
            exp: 1_780_000_000,
        })
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).expect("time")
    }

    #[test]
    fn gates_admit_listed_estates_within_validity() {
        let k = DistrictKey::from_seed(&[3; 32]);
        let c = k.sign(&code(&["E1", "E2"]));
        let keys = [k.public()];
        assert!(matches!(gate_check(&c.text, &keys, "E1", at(1_775_000_000), |_| false), GateResult::Admit { .. }));
        let deny = |r: GateResult| match r {
            GateResult::Deny { code, .. } => code,
            GateResult::Admit { .. } => "admitted",
        };
        assert_eq!(deny(gate_check(&c.text, &keys, "E3", at(1_775_000_000), |_| false)), "estate_not_allowed");
        assert_eq!(deny(gate_check(&c.text, &keys, "E1", at(1_780_000_001), |_| false)), "credential_expired");
        assert_eq!(deny(gate_check(&c.text, &keys, "E1", at(1_771_000_000), |_| false)), "credential_not_yet_valid");
        assert_eq!(deny(gate_check(&c.text, &keys, "E1", at(1_775_000_000), |id| id == "501")), "credential_revoked");
        let any = k.sign(&code(&["*"]));
        assert!(matches!(gate_check(&any.text, &keys, "E9", at(1_775_000_000), |_| false), GateResult::Admit { .. }));
        let other = DistrictKey::from_seed(&[4; 32]);
        assert_eq!(deny(gate_check(&c.text, &[other.public()], "E1", at(1_775_000_000), |_| false)), "credential_unknown_key");
        assert_eq!(platform_name("eleme"), Some("饿了么"));
    }
}
