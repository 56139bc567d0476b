//! Paging and id parsing shared by every area: one `Page` from `limit` and `offset`, one parser of
//! ids in paths, each with the same error.

use domain::ApplicationId;
use store::Page;
use crate::failure::Fallible;

pub(crate) fn page(limit: Option<i64>, offset: Option<i64>) -> Page {
    Page::new(limit.unwrap_or(50), offset.unwrap_or(0))
}

pub(crate) fn app_id(s: &str) -> Fallible<ApplicationId> {
    crate::areas::onething::cases::parse_id(s, "没有这个申请", "No such application")
}
