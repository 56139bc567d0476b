//! The topic scheme: where a device publishes and what the server subscribes to — the
//! guardian's wearables and sensors, and car parks' occupancy feeds (issue 34).
//!
//! A device publishes its readings at QoS 1 on `minsheng/v1/guardian/{device_id}/up`; the
//! servers subscribe with the shared subscription `$share/minsheng/minsheng/v1/guardian/+/up`, so
//! that each reading goes to one of them. A device id is also the device's MQTT user name (the
//! Mosquitto ACL pattern `%u` stands for it), so it is kept to letters, digits, `-` and `_`.

/// The filter every device topic matches.
pub const DEVICE_FILTER: &str = "minsheng/v1/guardian/+/up";

/// The filter every car park's occupancy topic matches: an operator's feed publishes a lot's
/// readings on `minsheng/v1/parking/{lot}/occupancy`, signed in as the feed user
/// [`parking_user`] of that lot.
pub const PARKING_FILTER: &str = "minsheng/v1/parking/+/occupancy";

/// The topic a car park's feed publishes on.
pub fn parking_topic(lot: &str) -> String {
    format!("minsheng/v1/parking/{lot}/occupancy")
}

/// The MQTT user name of a car park's feed (`parking-{lot}`); the lot it may write, if `user` is one.
pub fn parking_user(lot: &str) -> String {
    format!("parking-{lot}")
}

/// The lot whose feed `user` is, if it is a feed user.
pub fn lot_of_user(user: &str) -> Option<&str> {
    user.strip_prefix("parking-").filter(|l| valid_device_id(l))
}

/// The shared-subscription group of the minsheng servers.
pub const SHARE_GROUP: &str = "minsheng";

/// The longest device id accepted (Mosquitto accepts longer user names; 64 is plenty).
pub const MAX_DEVICE_ID_LEN: usize = 64;

/// The topic device `device_id` publishes on.
pub fn device_topic(device_id: &str) -> String {
    format!("minsheng/v1/guardian/{device_id}/up")
}

/// The filter to subscribe to, with the shared-subscription prefix when a group is given.
pub fn subscription(filter: &str, shared_group: Option<&str>) -> String {
    match shared_group {
        Some(group) => format!("$share/{group}/{filter}"),
        None => filter.to_owned(),
    }
}

/// Whether `id` may be a device id: 1 to 64 ASCII letters, digits, `-` or `_` (no `/`, `+`, `#`,
/// `:` or space, which a topic level, an ACL pattern or the password file could not hold).
pub fn valid_device_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_DEVICE_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `topic` may be published to: not empty, no wildcard, no NUL.
pub fn valid_publish_topic(topic: &str) -> bool {
    !topic.is_empty() && !topic.contains(['+', '#', '\0']) && topic.len() <= usize::from(u16::MAX)
}

/// Whether `filter` is a well-formed MQTT filter: `+` and `#` only as whole levels, `#` last.
pub fn valid_filter(filter: &str) -> bool {
    if filter.is_empty() || filter.contains('\0') {
        return false;
    }
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len() - 1;
    levels.iter().enumerate().all(|(i, level)| match *level {
        "+" => true,
        "#" => i == last,
        other => !other.contains(['+', '#']),
    })
}

/// The device id in `topic`: the level that stands where `filter` has its single `+`. `None` if
/// the filter has no `+` or more than one, if the topic does not have the filter's shape, or if
/// the level is not a valid device id.
pub fn device_of(filter: &str, topic: &str) -> Option<String> {
    let f: Vec<&str> = filter.split('/').collect();
    let t: Vec<&str> = topic.split('/').collect();
    if f.len() != t.len() || f.iter().filter(|l| **l == "+").count() != 1 {
        return None;
    }
    let mut id = None;
    for (fl, tl) in f.iter().zip(&t) {
        match *fl {
            "+" => id = Some(*tl),
            // A filter ending in `#` has no fixed shape; the device id is not found there.
            "#" => return None,
            fixed if fixed != *tl => return None,
            _ => {}
        }
    }
    id.filter(|id| valid_device_id(id)).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_id_is_the_level_under_the_plus() {
        let topic = device_topic("wear-00017");
        assert_eq!(topic, "minsheng/v1/guardian/wear-00017/up");
        assert_eq!(device_of(DEVICE_FILTER, &topic).as_deref(), Some("wear-00017"));
    }

    #[test]
    fn a_topic_of_another_shape_has_no_device() {
        for topic in [
            "minsheng/v1/guardian/up",
            "minsheng/v1/guardian/a/b/up",
            "minsheng/v1/guardian/a/down",
            "minsheng/v2/guardian/a/up",
            "minsheng/v1/guardian//up",
            "minsheng/v1/guardian/a b/up",
            "",
        ] {
            assert_eq!(device_of(DEVICE_FILTER, topic), None, "{topic:?}");
        }
        assert_eq!(device_of("a/#", "a/b"), None);
        assert_eq!(device_of("a/+/+", "a/b/c"), None);
        assert_eq!(device_of("a/b", "a/b"), None);
    }

    #[test]
    fn device_ids_are_plain() {
        assert!(valid_device_id("pir-1_A"));
        let long = "x".repeat(MAX_DEVICE_ID_LEN);
        assert!(valid_device_id(&long));
        let too_long = "x".repeat(MAX_DEVICE_ID_LEN + 1);
        for bad in ["", "a/b", "a+b", "a#", "a:b", "a b", "é", too_long.as_str(), "a\nb"] {
            assert!(!valid_device_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn filters_and_topics_are_checked() {
        assert!(valid_filter(DEVICE_FILTER));
        assert!(valid_filter("#"));
        assert!(valid_filter("a/+/#"));
        for bad in ["", "a/#/b", "a+/b", "a/b#", "a\0"] {
            assert!(!valid_filter(bad), "{bad:?}");
        }
        assert!(valid_publish_topic("a/b"));
        for bad in ["", "a/+", "a/#", "a\0"] {
            assert!(!valid_publish_topic(bad), "{bad:?}");
        }
        assert_eq!(subscription(DEVICE_FILTER, Some(SHARE_GROUP)), "$share/minsheng/minsheng/v1/guardian/+/up");
        assert_eq!(subscription(DEVICE_FILTER, None), DEVICE_FILTER);
    }
}
