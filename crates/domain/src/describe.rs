//! The [`Describe`] trait: a stable error code plus a Chinese and an English message.

/// A stable error code plus a Chinese and an English message, implemented by every user-facing
/// error.
///
/// The server turns these into its JSON error body; the code is what clients match on, so it
/// never changes once released.
pub trait Describe {
    /// A stable snake_case code, e.g. `"invalid_id_number"`.
    fn code(&self) -> &'static str;
    /// Chinese first: what is wrong and how to fix it.
    fn message_zh(&self) -> String;
    /// The same in English.
    fn message_en(&self) -> String;
}
