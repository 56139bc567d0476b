//! What a FHIR import answers: the counts of what was stored.


// ---- import

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub patients: usize,
    pub results: usize,
    /// Encounters, episodes of care and referrals.
    pub care: usize,
}
