//! The norms table (`data/circles/norms.toml`): categories with their GB 50180-2018 circle, OSM
//! tag rules, capacity and supply norm; walking profiles; the E2SFCA decay; the warning
//! thresholds. Embedded in the binary and overridable by a file.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The embedded default norms.
pub const DEFAULT_NORMS: &str = include_str!("../../../data/circles/norms.toml");

/// A walking profile: a speed (steps are slowed in the graph itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub speed_kmh: f64,
    #[serde(default)]
    pub source: String,
}

impl Profile {
    /// Flat-walking decimetres covered in `minutes`.
    pub fn cost_of_minutes(&self, minutes: f64) -> u32 {
        (minutes * 60.0 * self.speed_kmh / 3.6 * 10.0)
            .round()
            .clamp(0.0, (u32::MAX - 1) as f64) as u32
    }

    /// Minutes needed for `cost` flat-walking decimetres.
    pub fn minutes_of_cost(&self, cost: u32) -> f64 {
        cost as f64 / 10.0 / (self.speed_kmh / 3.6) / 60.0
    }
}

/// Walking settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Walking {
    pub steps_factor: f64,
    pub max_snap_m: f64,
}

/// Settings for estimating population from buildings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationNorms {
    pub floor_area_per_person_m2: f64,
    #[serde(default)]
    pub floor_area_source: String,
    pub default_levels: f64,
    pub residential_buildings: Vec<String>,
    pub elderly_share: f64,
    #[serde(default)]
    pub elderly_share_source: String,
}

/// Distance decay of the E2SFCA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecayKind {
    Steps,
    Gaussian,
}

/// E2SFCA settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct E2sfcaNorms {
    pub catchment_minutes: f64,
    pub decay: DecayKind,
    /// `[upper bound in minutes, weight]`, ascending.
    pub steps: Vec<[f64; 2]>,
    pub gaussian_at_limit: f64,
}

/// Five-colour thresholds: lower bounds of green, blue, yellow and orange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningNorms {
    pub coverage: [f64; 4],
    pub balance: [f64; 4],
    #[serde(default)]
    pub reasoning: String,
}

/// Whose demand a category serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Demand {
    Residents,
    Elderly,
}

/// One kind of public service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    /// The norm time of its GB 50180 life circle: 5, 10 or 15.
    pub minutes: u32,
    pub circle: String,
    pub osm: Vec<String>,
    #[serde(default)]
    pub capacity_tags: Vec<String>,
    pub capacity_unit: String,
    pub default_capacity: f64,
    pub demand: Demand,
    #[serde(default)]
    pub norm_per_1000: Option<f64>,
    #[serde(default)]
    pub norm_source: Option<String>,
    #[serde(skip)]
    pub rules: Vec<TagRule>,
}

/// A conjunction of tag conditions, parsed from `key=v1|v2&key2!=v3&key3=*`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TagRule {
    pub conditions: Vec<TagCondition>,
}

/// One condition of a [`TagRule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TagCondition {
    /// The key is present with one of the values (any value when the list is empty).
    Is(String, Vec<String>),
    /// The key is absent or has none of the values.
    IsNot(String, Vec<String>),
}

impl TagRule {
    /// Parses `key=v1|v2&key2!=v3&key3=*`.
    pub fn parse(s: &str) -> std::result::Result<TagRule, String> {
        let mut conditions = Vec::new();
        for part in s.split('&') {
            let part = part.trim();
            let (key, values, neg) = if let Some((k, v)) = part.split_once("!=") {
                (k, v, true)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, v, false)
            } else {
                return Err(format!("`{part}` is not key=value"));
            };
            let key = key.trim().to_string();
            if key.is_empty() {
                return Err(format!("`{part}` has an empty key"));
            }
            let values: Vec<String> = if values.trim() == "*" {
                Vec::new()
            } else {
                values.split('|').map(|v| v.trim().to_string()).collect()
            };
            conditions.push(if neg {
                TagCondition::IsNot(key, values)
            } else {
                TagCondition::Is(key, values)
            });
        }
        Ok(TagRule { conditions })
    }

    /// Whether the tags satisfy every condition; `get` looks a key up.
    pub fn matches<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.conditions.iter().all(|c| match c {
            TagCondition::Is(k, vs) => {
                get(k).is_some_and(|v| vs.is_empty() || vs.iter().any(|x| x == v))
            }
            TagCondition::IsNot(k, vs) => {
                get(k).is_none_or(|v| !vs.is_empty() && !vs.iter().any(|x| x == v))
            }
        })
    }

    /// The keys the rule looks at.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.conditions.iter().map(|c| match c {
            TagCondition::Is(k, _) | TagCondition::IsNot(k, _) => k.as_str(),
        })
    }
}

/// The whole norms file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Norms {
    pub walking: Walking,
    #[serde(rename = "profile")]
    pub profiles: Vec<Profile>,
    pub population: PopulationNorms,
    pub e2sfca: E2sfcaNorms,
    pub warning: WarningNorms,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

impl Default for Norms {
    fn default() -> Self {
        // The embedded file is checked by a test; fall back to an empty table rather than panic.
        Norms::parse(DEFAULT_NORMS, Path::new("data/circles/norms.toml")).unwrap_or_else(|_| {
            Norms {
                walking: Walking {
                    steps_factor: 2.0,
                    max_snap_m: 500.0,
                },
                profiles: Vec::new(),
                population: PopulationNorms {
                    floor_area_per_person_m2: 40.0,
                    floor_area_source: String::new(),
                    default_levels: 2.0,
                    residential_buildings: Vec::new(),
                    elderly_share: 0.187,
                    elderly_share_source: String::new(),
                },
                e2sfca: E2sfcaNorms {
                    catchment_minutes: 15.0,
                    decay: DecayKind::Steps,
                    steps: Vec::new(),
                    gaussian_at_limit: 0.22,
                },
                warning: WarningNorms {
                    coverage: [0.9, 0.75, 0.6, 0.4],
                    balance: [1.0, 0.85, 0.7, 0.5],
                    reasoning: String::new(),
                },
                categories: Vec::new(),
            }
        })
    }
}

impl Norms {
    /// Reads and validates a norms file.
    pub fn from_path(path: &Path) -> Result<Norms> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Norms::parse(&text, path)
    }

    /// Parses and validates norms text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Norms> {
        let mut n: Norms = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(0);
            Error::parse(
                path,
                format!("line {line}"),
                "toml",
                e.message().to_string(),
            )
        })?;
        let bad = |record: String, field: &str, msg: &str| {
            Error::parse(path, record, field, msg.to_string())
        };
        if n.profiles.is_empty() {
            return Err(bad(
                "[[profile]]".into(),
                "profile",
                "at least one walking profile is needed",
            ));
        }
        for p in &n.profiles {
            if !(p.speed_kmh.is_finite() && p.speed_kmh > 0.5 && p.speed_kmh < 30.0) {
                return Err(bad(
                    format!("profile `{}`", p.key),
                    "speed_kmh",
                    "must be between 0.5 and 30",
                ));
            }
        }
        if !(n.walking.steps_factor >= 1.0 && n.walking.steps_factor <= 20.0) {
            return Err(bad(
                "[walking]".into(),
                "steps_factor",
                "must be between 1 and 20",
            ));
        }
        if n.population.floor_area_per_person_m2.is_nan()
            || n.population.floor_area_per_person_m2 <= 0.0
            || n.population.default_levels.is_nan()
            || n.population.default_levels <= 0.0
        {
            return Err(bad(
                "[population]".into(),
                "floor_area_per_person_m2",
                "must be positive",
            ));
        }
        if !(n.population.elderly_share > 0.0 && n.population.elderly_share <= 1.0) {
            return Err(bad(
                "[population]".into(),
                "elderly_share",
                "must be in (0, 1]",
            ));
        }
        if n.e2sfca.catchment_minutes.is_nan() || n.e2sfca.catchment_minutes <= 0.0 {
            return Err(bad(
                "[e2sfca]".into(),
                "catchment_minutes",
                "must be positive",
            ));
        }
        if n.e2sfca.decay == DecayKind::Steps {
            let s = &n.e2sfca.steps;
            if s.is_empty()
                || s.windows(2).any(|w| w[1][0] <= w[0][0])
                || s.iter().any(|z| !(0.0..=1.0).contains(&z[1]))
            {
                return Err(bad(
                    "[e2sfca]".into(),
                    "steps",
                    "zones must ascend with weights in [0, 1]",
                ));
            }
        }
        if !(n.e2sfca.gaussian_at_limit > 0.0 && n.e2sfca.gaussian_at_limit <= 1.0) {
            return Err(bad(
                "[e2sfca]".into(),
                "gaussian_at_limit",
                "must be in (0, 1]",
            ));
        }
        for (field, t) in [
            ("coverage", n.warning.coverage),
            ("balance", n.warning.balance),
        ] {
            if t.windows(2).any(|w| w[1] > w[0]) {
                return Err(bad(
                    "[warning]".into(),
                    field,
                    "thresholds must descend from green to orange",
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in n.categories.iter_mut().enumerate() {
            let rec = format!("category {} (`{}`)", i + 1, c.key);
            if c.key.is_empty() || !seen.insert(c.key.clone()) {
                return Err(bad(rec, "key", "must be present and unique"));
            }
            if ![5, 10, 15].contains(&c.minutes) {
                return Err(bad(rec, "minutes", "must be 5, 10 or 15"));
            }
            if c.default_capacity.is_nan() || c.default_capacity < 0.0 {
                return Err(bad(rec, "default_capacity", "must not be negative"));
            }
            if c.norm_per_1000.is_some_and(|v| v.is_nan() || v <= 0.0) {
                return Err(bad(rec, "norm_per_1000", "must be positive"));
            }
            c.rules = c
                .osm
                .iter()
                .map(|r| TagRule::parse(r))
                .collect::<std::result::Result<_, _>>()
                .map_err(|m| bad(rec.clone(), "osm", &m))?;
        }
        if n.categories.is_empty() {
            return Err(bad(
                "[[category]]".into(),
                "category",
                "at least one category is needed",
            ));
        }
        Ok(n)
    }

    /// The category with this key, by index.
    pub fn category_index(&self, key: &str) -> Option<usize> {
        self.categories
            .iter()
            .position(|c| c.key == key || c.name_zh == key)
    }

    /// The profile with this key.
    pub fn profile(&self, key: &str) -> Result<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.key == key)
            .ok_or(Error::NotFound {
                what: "profile",
                key: key.into(),
            })
    }

    /// Share of residents in a category's demand.
    pub fn demand_share(&self, c: &Category) -> f64 {
        match c.demand {
            Demand::Residents => 1.0,
            Demand::Elderly => self.population.elderly_share,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_norms_parse_and_follow_gb50180() {
        let n = Norms::parse(DEFAULT_NORMS, Path::new("norms.toml")).expect("embedded norms");
        let minutes = |k: &str| n.categories[n.category_index(k).expect(k)].minutes;
        assert_eq!(minutes("kindergarten"), 5);
        assert_eq!(minutes("elderly_day_care"), 5);
        assert_eq!(minutes("community_service"), 5);
        assert_eq!(minutes("primary_school"), 10);
        assert_eq!(minutes("middle_school"), 15);
        assert_eq!(minutes("clinic"), 15);
        assert_eq!(minutes("care_home"), 15);
        assert_eq!(minutes("culture"), 15);
        assert!(n.categories.len() >= 12);
        for c in &n.categories {
            assert_eq!(
                c.norm_per_1000.is_some(),
                c.norm_source.is_some(),
                "{}: a norm needs its source",
                c.key
            );
        }
        let p = n.profile("default").expect("default profile");
        assert_eq!(
            p.cost_of_minutes(15.0),
            10_000,
            "15 minutes at 4 km/h is 1000 m"
        );
        assert_eq!(
            n.profile("elderly").expect("elderly").cost_of_minutes(15.0),
            7_500
        );
        assert!((p.minutes_of_cost(10_000) - 15.0).abs() < 1e-9);
    }

    #[test]
    fn tag_rules() {
        let r = TagRule::parse(
            "amenity=social_facility&social_facility=day_care|outreach&social_facility:for!=child",
        )
        .expect("rule");
        let tags = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1)
        };
        assert!(r.matches(tags(&[
            ("amenity", "social_facility"),
            ("social_facility", "outreach")
        ])));
        assert!(!r.matches(tags(&[
            ("amenity", "social_facility"),
            ("social_facility", "outreach"),
            ("social_facility:for", "child")
        ])));
        assert!(!r.matches(tags(&[("amenity", "social_facility")])));
        assert!(
            TagRule::parse("amenity=*")
                .expect("any")
                .matches(tags(&[("amenity", "x")]))
        );
        assert!(TagRule::parse("novalue").is_err());
    }

    #[test]
    fn bad_norms_name_the_field() {
        let text = DEFAULT_NORMS.replace("minutes = 10\n", "minutes = 7\n");
        let e = Norms::parse(&text, Path::new("n.toml")).expect_err("7 minutes");
        assert!(e.to_string().contains("minutes"), "{e}");
        let e = Norms::parse("walking = 3", Path::new("n.toml")).expect_err("garbage");
        assert!(e.to_string().contains("n.toml"), "{e}");
    }
}
