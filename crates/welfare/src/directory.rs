//! The relief directory: services of government and social forces (temporary assistance,
//! medical and education assistance, legal aid, meal help, charities, social-work stations …)
//! with where and when they are open and which discovery signals they help with.

use serde::Serialize;

use crate::catalog::Catalog;

/// Who provides a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// A government department or public institution.
    Government,
    /// A social force: charity, Red Cross, social-work organisation, volunteers.
    Social,
}

/// The provider organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provider {
    /// Its name.
    pub name: String,
    /// Government or social.
    pub kind: ProviderKind,
}

/// Weekly opening hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hours {
    /// Day codes `MO`…`SU` (iCalendar, as HSDS `byday`).
    pub days: Vec<String>,
    /// Opening time `HH:MM`.
    pub opens: String,
    /// Closing time `HH:MM`.
    pub closes: String,
}

/// One relief service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliefService {
    /// Stable id, e.g. `lin-shi-jiu-zhu`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// A category such as 临时救助 or 医疗救助.
    pub category: String,
    /// Who provides it.
    pub provider: Provider,
    /// What it offers.
    pub description: String,
    /// Who can use it, in words.
    pub eligibility: String,
    /// Street address.
    pub address: String,
    /// The town (乡镇/街道) division code, 9 digits (or a 12-digit village code).
    pub town: String,
    /// WGS-84 latitude.
    pub latitude: f64,
    /// WGS-84 longitude.
    pub longitude: f64,
    /// Telephone.
    pub phone: String,
    /// Opening hours.
    pub hours: Hours,
    /// The discovery signal codes it helps with.
    pub signals: Vec<String>,
}

/// Searching the directory: `catalog.directory.search(…)`.
pub trait DirectorySearch {
    /// Services whose name, category, description, eligibility or provider contains `text`
    /// (case-insensitive), in `town` (a 9-digit town code matches its villages' 12-digit codes
    /// and the other way round), helping with `signal`; `None` filters nothing. File order.
    fn search(&self, text: Option<&str>, town: Option<&str>, signal: Option<&str>) -> Vec<&ReliefService>;
}

impl DirectorySearch for [ReliefService] {
    fn search(&self, text: Option<&str>, town: Option<&str>, signal: Option<&str>) -> Vec<&ReliefService> {
        search(self, text, town, signal)
    }
}

impl Catalog {
    /// Searches the relief directory (see [`DirectorySearch::search`]).
    pub fn search(&self, text: Option<&str>, town: Option<&str>, signal: Option<&str>) -> Vec<&ReliefService> {
        search(&self.directory, text, town, signal)
    }
}

/// Searches `services` (see [`DirectorySearch::search`]).
pub fn search<'a>(services: &'a [ReliefService], text: Option<&str>, town: Option<&str>, signal: Option<&str>) -> Vec<&'a ReliefService> {
    let needle = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    let town = town.map(str::trim).filter(|t| !t.is_empty());
    let signal = signal.map(str::trim).filter(|t| !t.is_empty());
    services
        .iter()
        .filter(|s| {
            needle.as_ref().is_none_or(|n| {
                [&s.name, &s.category, &s.description, &s.eligibility, &s.provider.name, &s.address]
                    .iter()
                    .any(|f| f.to_lowercase().contains(n.as_str()))
            })
        })
        .filter(|s| town.is_none_or(|t| s.town.starts_with(t) || t.starts_with(s.town.as_str())))
        .filter(|s| signal.is_none_or(|g| s.signals.iter().any(|x| x == g)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_directory_searches() {
        let c = Catalog::demo();
        assert!(c.directory.len() >= 15, "{}", c.directory.len());
        assert_eq!(c.directory.search(None, None, None).len(), c.directory.len());
        let medical = c.directory.search(Some("医疗救助"), None, None);
        assert!(!medical.is_empty());
        assert!(medical.iter().all(|s| s.name.contains("医疗救助") || s.description.contains("医疗救助") || s.category.contains("医疗救助") || s.eligibility.contains("医疗救助") || s.provider.name.contains("医疗救助") || s.address.contains("医疗救助")));
        let earner = c.search(None, None, Some("earner_died"));
        assert!(!earner.is_empty());
        assert!(earner.iter().all(|s| s.signals.iter().any(|x| x == "earner_died")));
        let town = &c.directory[0].town;
        let here = c.directory.search(None, Some(&town[..9]), None);
        assert!(here.iter().all(|s| s.town.starts_with(&town[..9])));
        assert!(here.len() < c.directory.len());
        assert!(c.directory.search(Some("没有这种服务"), None, None).is_empty());
        assert!(c.directory.iter().any(|s| s.provider.kind == ProviderKind::Social));
        assert!(c.directory.iter().any(|s| s.provider.kind == ProviderKind::Government));
        for s in &c.directory {
            assert!((29.7..30.4).contains(&s.latitude) && (119.4..120.3).contains(&s.longitude), "{}", s.id);
            assert!(s.town.starts_with("330111"), "{}", s.id);
        }
    }
}
