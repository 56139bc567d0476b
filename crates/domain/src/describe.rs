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

/// What sort of failure an error is: the one vocabulary engines, use cases and front ends share.
/// Only the HTTP layer turns a kind into a status code (`server::http_error`), in one place; the
/// web pages and the command line show the same error their own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request could not be read at all (not JSON, not the expected shape).
    Malformed,
    /// No valid session.
    Unauthenticated,
    /// A wrong login or password.
    BadCredentials,
    /// Signed in, but the actor may not do this.
    Forbidden,
    /// Something named does not exist, or the caller may not know of it.
    NotFound,
    /// Not possible in the current state.
    Conflict,
    /// The request is over a size limit.
    TooLarge,
    /// The content is not of a type the operation takes.
    UnsupportedMedia,
    /// Well-formed, but wrong: a field fails a rule.
    Invalid,
    /// Too many attempts; try again later.
    TooMany,
    /// The client took too long to send the request.
    TimedOut,
    /// The storage cannot take this now (a full or read-only disk, the database out of reach);
    /// nothing was changed; try again later.
    Unavailable,
    /// Our fault, never the user's: logged with its cause, shown as a generic message.
    Internal,
}
