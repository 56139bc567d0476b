//! The relief directory as Open Referral HSDS 3.0 JSON: an array of `service` objects with their
//! nested organization, service-at-locations (location, addresses), phones and weekly schedules.
//! Ids are UUID-shaped strings derived deterministically from the directory's ids (a version-5
//! style UUID from SHA-256), so the same service keeps its id across exports.

use serde_json::Value;
use serde_json::json;
use sha2::Digest;
use sha2::Sha256;

use crate::directory::ProviderKind;
use crate::directory::ReliefService;

/// A UUID-shaped id for `kind` and `id`: the first 16 bytes of SHA-256 of
/// `minsheng:welfare:<kind>:<id>` with the version (5) and variant bits set.
pub fn uuid_for(kind: &str, id: &str) -> String {
    let h = Sha256::digest(format!("minsheng:welfare:{kind}:{id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..])
}

/// HSDS 3.0 JSON of `services`: an array of `service` objects (status `active`), each with its
/// `organization`, `service_at_locations[].location` (`location_type` `physical`, `addresses`
/// with `address_type` `physical`, also as `physical_addresses` for HSDS 2 readers), `phones`
/// and `schedules` (`freq` `WEEKLY`, `byday`, `opens_at`, `closes_at`).
pub fn hsds(services: &[ReliefService]) -> Value {
    Value::Array(services.iter().map(service).collect())
}

fn service(s: &ReliefService) -> Value {
    let service_id = uuid_for("service", &s.id);
    let org_id = uuid_for("organization", &s.provider.name);
    let location_id = uuid_for("location", &s.id);
    let sal_id = uuid_for("service_at_location", &s.id);
    let (org_kind_zh, org_kind_en) = match s.provider.kind {
        ProviderKind::Government => ("政府部门或公共机构", "government department or public institution"),
        ProviderKind::Social => ("社会力量（慈善、社会组织）", "social force (charity or social organisation)"),
    };
    let address = json!({
        "id": uuid_for("address", &s.id),
        "location_id": location_id,
        "address_1": s.address,
        "city": "杭州市",
        "region": "富阳区",
        "state_province": "浙江省",
        "postal_code": "311400",
        "country": "CN",
        "address_type": "physical",
    });
    json!({
        "id": service_id,
        "organization_id": org_id,
        "name": s.name,
        "alternate_name": s.category,
        "description": s.description,
        "status": "active",
        "eligibility_description": s.eligibility,
        "languages": [{ "id": uuid_for("language", &s.id), "service_id": service_id, "name": "Chinese", "code": "zh" }],
        "attributes": [{
            "id": uuid_for("attribute", &s.id),
            "link_id": service_id,
            "link_type": "service",
            "link_entity": "service",
            "value": s.category,
            "taxonomy_term": { "id": uuid_for("taxonomy_term", &s.category), "code": s.category, "name": s.category, "description": s.category },
        }],
        "organization": {
            "id": org_id,
            "name": s.provider.name,
            "description": format!("{org_kind_zh} / {org_kind_en}"),
        },
        "phones": [{ "id": uuid_for("phone", &s.id), "service_id": service_id, "number": s.phone, "type": "voice", "languages": [] }],
        "schedules": [{
            "id": uuid_for("schedule", &s.id),
            "service_id": service_id,
            "freq": "WEEKLY",
            "wkst": "MO",
            "byday": s.hours.days.join(","),
            "opens_at": s.hours.opens,
            "closes_at": s.hours.closes,
            "timezone": 8,
            "description": format!("{} {}–{}", s.hours.days.join(","), s.hours.opens, s.hours.closes),
        }],
        "service_at_locations": [{
            "id": sal_id,
            "service_id": service_id,
            "location_id": location_id,
            "location": {
                "id": location_id,
                "location_type": "physical",
                "organization_id": org_id,
                "name": s.name,
                "description": s.address,
                "latitude": s.latitude,
                "longitude": s.longitude,
                "external_identifier": s.town,
                "external_identifier_type": "GB/T 2260 division code (town)",
                "addresses": [address.clone()],
                "physical_addresses": [address],
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn hsds_services_have_the_required_fields() {
        let c = Catalog::demo();
        let v = hsds(&c.directory);
        let arr = v.as_array().expect("an array");
        assert_eq!(arr.len(), c.directory.len());
        let mut ids = std::collections::BTreeSet::new();
        for (s, d) in arr.iter().zip(&c.directory) {
            let id = s["id"].as_str().expect("id");
            assert_eq!(id.len(), 36);
            assert_eq!(&id[14..15], "5");
            assert!(ids.insert(id.to_owned()));
            assert_eq!(s["name"], d.name.as_str());
            assert_eq!(s["status"], "active");
            assert_eq!(s["eligibility_description"], d.eligibility.as_str());
            for k in ["id", "name", "description"] {
                assert!(s["organization"][k].is_string(), "organization.{k}");
            }
            let loc = &s["service_at_locations"][0]["location"];
            assert_eq!(loc["location_type"], "physical");
            assert!(loc["id"].is_string());
            assert_eq!(loc["addresses"][0]["address_1"], d.address.as_str());
            assert_eq!(loc["physical_addresses"][0]["country"], "CN");
            assert_eq!(s["phones"][0]["number"], d.phone.as_str());
            assert_eq!(s["schedules"][0]["byday"], d.hours.days.join(",").as_str());
            assert_eq!(s["schedules"][0]["opens_at"], d.hours.opens.as_str());
            assert_eq!(s["schedules"][0]["closes_at"], d.hours.closes.as_str());
        }
        // deterministic
        assert_eq!(hsds(&c.directory), v);
        assert_eq!(uuid_for("service", "x"), uuid_for("service", "x"));
        assert_ne!(uuid_for("service", "x"), uuid_for("location", "x"));
    }
}
