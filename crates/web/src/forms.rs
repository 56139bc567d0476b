//! Submitted forms: URL-encoded or multipart (with files), whose CSRF token is always checked
//! against the browser's session (or pre-session, `ctx::Binding`) before a handler sees them.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::Web;
use crate::ctx::{CSRF_FIELD, LANG_COOKIE, cookie, csrf_binding};
use crate::i18n::Lang;

/// A file chosen in a form.
#[derive(Debug, Clone)]
pub struct FileField {
    pub field: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// A submitted form whose CSRF token matched.
#[derive(Debug, Clone, Default)]
pub struct PostForm {
    pub fields: BTreeMap<String, String>,
    pub files: Vec<FileField>,
}

impl PostForm {
    /// A trimmed text field, `None` when absent or blank.
    pub fn get(&self, k: &str) -> Option<String> {
        self.fields.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// Text fields whose names start with `prefix`, with the prefix removed.
    pub fn prefixed(&self, prefix: &str) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.trim().to_owned())))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }
}

fn refuse(lang: Lang, status: StatusCode, key: &str) -> Response {
    crate::layout::bare_error(lang, status, &lang.t(key)).into_response()
}

impl FromRequest<Web> for PostForm {
    type Rejection = Response;

    async fn from_request(req: Request, web: &Web) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let lang = cookie(&parts.headers, LANG_COOKIE).and_then(|l| Lang::parse(&l)).unwrap_or_default();
        let binding = csrf_binding(&mut parts, web).await.map_err(|e| crate::layout::bare_error(lang, e.status(), &crate::layout::message(lang, &e)))?;
        let ct = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        let req = Request::from_parts(parts, body);
        let mut form = PostForm::default();
        if ct.starts_with("multipart/form-data") {
            let mut mp = Multipart::from_request(req, web).await.map_err(|_| refuse(lang, StatusCode::BAD_REQUEST, "error-bad-form"))?;
            loop {
                let field = match mp.next_field().await {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                        return Err(refuse(lang, StatusCode::PAYLOAD_TOO_LARGE, "error-too-large"));
                    }
                    Err(_) => return Err(refuse(lang, StatusCode::BAD_REQUEST, "error-bad-form")),
                };
                let name = field.name().unwrap_or("").to_owned();
                match field.file_name().map(str::to_owned) {
                    Some(file_name) => {
                        let content_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
                        let bytes = field.bytes().await.map_err(|e| {
                            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                                refuse(lang, StatusCode::PAYLOAD_TOO_LARGE, "error-too-large")
                            } else {
                                refuse(lang, StatusCode::BAD_REQUEST, "error-bad-form")
                            }
                        })?;
                        if !file_name.is_empty() && !bytes.is_empty() {
                            form.files.push(FileField { field: name, file_name, content_type, bytes });
                        }
                    }
                    None => {
                        let text = field.text().await.map_err(|_| refuse(lang, StatusCode::BAD_REQUEST, "error-bad-form"))?;
                        form.fields.insert(name, text);
                    }
                }
            }
        } else {
            let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, web)
                .await
                .map_err(|_| refuse(lang, StatusCode::BAD_REQUEST, "error-bad-form"))?;
            for (k, v) in pairs {
                form.fields.insert(k, v);
            }
        }
        let token = form.fields.get(CSRF_FIELD).cloned().unwrap_or_default();
        if !binding.accepts(web, &token) {
            return Err(refuse(lang, StatusCode::FORBIDDEN, "error-csrf"));
        }
        Ok(form)
    }
}
