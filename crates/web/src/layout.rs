//! The page shell (skip link, header with the navigation the account may use, language and elder
//! mode switches, footer), the error pages, and the form widgets with their error messages.

use axum::http::header::{CACHE_CONTROL, CONTENT_LANGUAGE, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use catalog::Role;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use server::failure::Failure;
use server::policy::Who;
use store::AccountKind;

use crate::assets;
use crate::ctx::{CSRF_FIELD, Ctx};
use crate::i18n::Lang;

/// A link of the main navigation.
struct NavLink {
    href: &'static str,
    key: &'static str,
}

fn nav_links(ctx: &Ctx) -> Vec<NavLink> {
    let mut v = vec![NavLink { href: "/", key: "nav-hall" }];
    let Some(p) = &ctx.user else {
        v.push(NavLink { href: "/library", key: "lib-nav" });
        v.push(NavLink { href: "/queue", key: "q-nav-queue" });
        v.push(NavLink { href: "/parking", key: "pk-nav" });
        return v;
    };
    if p.account.kind != AccountKind::Staff {
        v.push(NavLink { href: "/applications", key: "nav-mine" });
        v.push(NavLink { href: "/me/data", key: "nav-data" });
        if p.account.kind == AccountKind::Citizen {
            v.push(NavLink { href: "/welfare", key: "nav-welfare" });
            v.push(NavLink { href: "/governance", key: "nav-governance" });
            v.push(NavLink { href: "/places", key: "nav-places" });
            v.push(NavLink { href: "/library", key: "lib-nav" });
            v.push(NavLink { href: "/queue", key: "q-nav-queue" });
            v.push(NavLink { href: "/parking", key: "pk-nav" });
        }
        v.push(NavLink { href: "/notices", key: "nav-notices" });
        return v;
    }
    if ctx.who.meets(Who::HANDLER) {
        v.push(NavLink { href: "/staff", key: "nav-workbench" });
    }
    if p.has(Role::Window) {
        v.push(NavLink { href: "/staff/intake", key: "nav-intake" });
    }
    if p.has(Role::Supervisor) || p.is_admin() {
        v.push(NavLink { href: "/supervision", key: "nav-supervision" });
        v.push(NavLink { href: "/cockpit", key: "nav-cockpit" });
    }
    if ctx.who.meets(Who::INSURANCE.or(Who::ADMIN).or(Who::CLINICIAN)) {
        v.push(NavLink { href: "/medins", key: "nav-medins" });
    }
    if ctx.who.meets(Who::WELFARE.or(Who::ADMIN)) {
        v.push(NavLink { href: "/welfare/staff", key: "nav-welfare-staff" });
    }
    if ctx.who.meets(Who::COMMUNITY) && !ctx.who.meets(Who::ADMIN) {
        v.push(NavLink { href: "/welfare/worklist", key: "nav-welfare-worklist" });
    }
    if ctx.who.meets(Who::COMMUNITY) {
        v.push(NavLink { href: "/governance/queue", key: "nav-governance-queue" });
    }
    if ctx.who.meets(Who::CHILDCARE.or(Who::ADMIN)) {
        v.push(NavLink { href: "/places/childcare/staff", key: "nav-places-childcare" });
    }
    if ctx.who.meets(Who::HOUSING.or(Who::ADMIN)) {
        v.push(NavLink { href: "/places/housing/staff", key: "nav-places-housing" });
    }
    if ctx.who.meets(Who::GUARDIAN.or(Who::ADMIN)) {
        v.push(NavLink { href: "/guardian", key: "nav-guardian" });
        v.push(NavLink { href: "/guardian/elders", key: "nav-guardian-elders" });
    }
    if ctx.who.meets(Who::RESPONDER) {
        v.push(NavLink { href: "/guardian/respond", key: "nav-guardian-respond" });
    }
    if ctx.who.meets(Who::WINDOW.or(Who::SUPERVISOR).or(Who::ADMIN)) {
        v.push(NavLink { href: "/queue", key: "q-nav-queue" });
    }
    if ctx.who.meets(Who::WINDOW.or(Who::ADMIN)) {
        v.push(NavLink { href: "/crossregion", key: "q-nav-crossregion" });
    }
    if ctx.who.meets(Who::LIBRARY.or(Who::ADMIN)) {
        v.push(NavLink { href: "/library/staff", key: "lib-nav-staff" });
    }
    if ctx.who.meets(Who::PARKING.or(Who::ADMIN)) {
        v.push(NavLink { href: "/parking/staff", key: "pk-nav-staff" });
    }
    v.push(NavLink { href: "/notices", key: "nav-notices" });
    v
}

fn is_current(path: &str, href: &str) -> bool {
    if href == "/" {
        path == "/" || path.starts_with("/bundles") || path.starts_with("/stages")
    } else if href == "/guardian" {
        path == "/guardian" || path.starts_with("/guardian/alarms") || path.starts_with("/guardian/responders")
    } else if href == "/staff" {
        path == "/staff" || path.starts_with("/staff/queue")
    } else {
        path == href || path.starts_with(&format!("{href}/"))
    }
}

/// A hidden CSRF field for a form.
pub fn csrf(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(ctx.csrf); }
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn q(s: &str) -> String {
    url_encode(s)
}

fn header(ctx: &Ctx) -> Markup {
    let other = ctx.lang.other();
    let back = url_encode(&ctx.here);
    html! {
        a.skip-link href="#main" { (ctx.t("skip-to-content")) }
        header.site-header {
            div.gov-bar {
                div.wrap {
                    span { (ctx.t("gov-name")) }
                    div.switches {
                        a href={ "/prefs/lang/" (other.code()) "?back=" (back) } lang=(other.html()) hreflang=(other.html()) {
                            (ctx.t("lang-switch"))
                        }
                        a href={ "/prefs/elder/" (if ctx.elder { "off" } else { "on" }) "?back=" (back) } {
                            (if ctx.elder { ctx.t("elder-off") } else { ctx.t("elder-on") })
                        }
                    }
                }
            }
            div.wrap.brand-row {
                a.brand href="/" {
                    span.brand-mark aria-hidden="true" { "民" }
                    span { (ctx.t("site-name")) }
                }
                div.account {
                    @if let Some(p) = &ctx.user {
                        span.who { (ctx.ta("signed-in-as", crate::args![("name", p.account.display_name.clone())])) }
                        form method="post" action="/logout" {
                            (csrf(ctx))
                            button.link-button type="submit" { (ctx.t("sign-out")) }
                        }
                    } @else {
                        a href={ "/login?next=" (back) } { (ctx.t("sign-in")) }
                        a href="/register" { (ctx.t("register")) }
                    }
                }
            }
            nav.main-nav aria-label=(ctx.t("nav-label")) {
                ul.wrap {
                    @for l in nav_links(ctx) {
                        li {
                            @if is_current(&ctx.path, l.href) {
                                a href=(l.href) aria-current="page" { (ctx.t(l.key)) }
                            } @else {
                                a href=(l.href) { (ctx.t(l.key)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn footer(ctx: &Ctx) -> Markup {
    html! {
        footer.site-footer {
            div.wrap {
                p { (ctx.t("footer-host")) }
                p { (ctx.t("footer-help")) }
                p { a href="/accessibility" { (ctx.t("footer-accessibility")) } " · " a href="/api/openapi.json" { (ctx.t("footer-api")) } }
            }
        }
    }
}

/// A whole page.
pub fn document(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    document_with(ctx.lang, ctx.elder, title, header(ctx), body, footer(ctx))
}

fn document_with(lang: Lang, elder: bool, title: &str, header: Markup, body: Markup, footer: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.html()) class=(if elder { "elder" } else { "" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " - " (lang.t("site-name")) }
                link rel="stylesheet" href=(assets::CSS_URL);
                script src=(assets::JS_URL) defer {}
            }
            body {
                (header)
                main #main.wrap tabindex="-1" {
                    (body)
                }
                (footer)
            }
        }
    }
}

fn with_headers(status: StatusCode, lang: Lang, markup: Markup) -> Response {
    let mut resp = (status, Html(markup.into_string())).into_response();
    let h = resp.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(CONTENT_LANGUAGE, HeaderValue::from_static(lang.html()));
    resp
}

/// A page answered with 200.
pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Response {
    with_headers(StatusCode::OK, ctx.lang, document(ctx, title, body))
}

/// A page answered with another status (a form re-shown with its errors: 422).
pub fn page_status(ctx: &Ctx, status: StatusCode, title: &str, body: Markup) -> Response {
    with_headers(status, ctx.lang, document(ctx, title, body))
}

/// 303 See Other to a local path.
pub fn redirect(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp
}

/// The message of an API error in the page's language.
pub fn message(lang: Lang, e: &Failure) -> String {
    let b = e.body();
    lang.pick(&b.message, &b.message_en).to_owned()
}

/// An error as a page: sign in when there is no session, else the message in the user's language.
pub fn error_page(ctx: &Ctx, e: Failure) -> Response {
    if matches!(e, Failure::Unauthorized) {
        return redirect(&format!("/login?next={}", url_encode(&ctx.here)));
    }
    let status = e.status();
    let title = match status {
        StatusCode::NOT_FOUND => ctx.t("error-not-found-title"),
        StatusCode::FORBIDDEN => ctx.t("error-forbidden-title"),
        s if s.is_server_error() => ctx.t("error-internal-title"),
        _ => ctx.t("error-title"),
    };
    let msg = message(ctx.lang, &e);
    let body = html! {
        h1 { (title) }
        p.lead { (msg) }
        p { a href="/" { (ctx.t("error-home")) } }
    };
    let r = page_status(ctx, status, &title, body);
    // Logged with its cause chain (the page shows a generic message).
    if let Failure::Internal(_) = e {
        let _ = e.into_response();
    }
    r
}

/// An error page for requests refused before a context exists (bad form, CSRF).
pub fn bare_error(lang: Lang, status: StatusCode, msg: &str) -> Response {
    let header = html! { a.skip-link href="#main" { (lang.t("skip-to-content")) } header.site-header { div.wrap.brand-row { a.brand href="/" { span.brand-mark aria-hidden="true" { "民" } span { (lang.t("site-name")) } } } } };
    let body = html! { h1 { (lang.t("error-title")) } p.lead { (msg) } p { a href="javascript:history.back()" { (lang.t("error-back")) } } };
    let footer = html! {};
    with_headers(status, lang, document_with(lang, false, &lang.t("error-title"), header, body, footer))
}

/// Runs a handler body; errors become pages.
pub fn finish(ctx: &Ctx, r: Result<Response, Failure>) -> Response {
    match r {
        Ok(r) => r,
        Err(e) => error_page(ctx, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Forms.

/// Errors of a submitted form: (input name, message).
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    /// An API error on a form: next to its field when it names one the form has, else on top.
    pub fn from_api(lang: Lang, e: &Failure) -> Errors {
        let b = e.body();
        let field = b.field.unwrap_or_default();
        Errors(vec![(field, lang.pick(&b.message, &b.message_en).to_owned())])
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn push(&mut self, field: &str, msg: String) {
        self.0.push((field.to_owned(), msg));
    }
    /// The message for an input, if any.
    pub fn of(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }
    /// Whether an error concerns an input the form shows (else it goes only to the summary).
    fn has_field(&self, field: &str, known: &[String]) -> bool {
        known.iter().any(|k| k == field)
    }
}

/// The HTML id of an input.
pub fn input_id(name: &str) -> String {
    let mut s = String::from("f-");
    for c in name.chars() {
        s.push(if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' });
    }
    s
}

/// The error summary on top of a form (GOV.UK pattern): focused on load, each entry links to
/// its input.
pub fn error_summary(ctx: &Ctx, errors: &Errors, known: &[String]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" aria-labelledby="error-summary-title" data-autofocus {
                h2 #error-summary-title { (ctx.t("form-errors-title")) }
                ul {
                    @for (f, m) in &errors.0 {
                        li {
                            @if errors.has_field(f, known) {
                                a href={ "#" (input_id(f)) } { (m) }
                            } @else {
                                (m)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One text-like input with its label, hint and error.
#[derive(Debug, Clone, Default)]
pub struct Input<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub hint: Option<&'a str>,
    pub value: &'a str,
    /// text | password | date | datetime-local | number | tel
    pub kind: &'a str,
    pub required: bool,
    pub autocomplete: Option<&'a str>,
    pub inputmode: Option<&'a str>,
    pub maxlength: Option<u32>,
    pub width: Option<&'a str>,
}

pub fn input(ctx: &Ctx, errors: &Errors, i: &Input<'_>) -> Markup {
    let id = input_id(i.name);
    let err = errors.of(i.name);
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let mut described = Vec::new();
    if i.hint.is_some() {
        described.push(hint_id.clone());
    }
    if err.is_some() {
        described.push(err_id.clone());
    }
    let described = described.join(" ");
    let kind = if i.kind.is_empty() { "text" } else { i.kind };
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (i.label) @if !i.required { span.optional { " " (ctx.t("form-optional")) } } }
            @if let Some(h) = i.hint { p.hint #(hint_id) { (h) } }
            @if let Some(m) = err { p.error-message #(err_id) { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            input #(id) class={ "input" @if let Some(w) = i.width { " " (w) } } name=(i.name) type=(kind) value=(i.value)
                required[i.required] aria-required=[i.required.then_some("true")]
                autocomplete=[i.autocomplete] inputmode=[i.inputmode] maxlength=[i.maxlength]
                aria-invalid=[err.map(|_| "true")] aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
        }
    }
}

/// A multi-line text input.
pub fn textarea(ctx: &Ctx, errors: &Errors, name: &str, label: &str, hint: Option<&str>, value: &str, required: bool) -> Markup {
    let id = input_id(name);
    let err = errors.of(name);
    let err_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described: Vec<&str> = [hint.map(|_| hint_id.as_str()), err.map(|_| err_id.as_str())].into_iter().flatten().collect();
    let described = described.join(" ");
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (label) @if !required { span.optional { " " (ctx.t("form-optional")) } } }
            @if let Some(h) = hint { p.hint #(hint_id) { (h) } }
            @if let Some(m) = err { p.error-message #(err_id) { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            textarea #(id).input name=(name) rows="4" required[required] aria-invalid=[err.map(|_| "true")]
                aria-describedby=[(!described.is_empty()).then_some(described.as_str())] { (value) }
        }
    }
}

/// Radio buttons in a fieldset.
pub fn radios(ctx: &Ctx, errors: &Errors, name: &str, legend: &str, choices: &[(String, String)], value: &str, required: bool) -> Markup {
    let id = input_id(name);
    let err = errors.of(name);
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            fieldset #(id) aria-describedby=[err.map(|_| format!("{id}-error"))] {
                legend { (legend) @if !required { span.optional { " " (ctx.t("form-optional")) } } }
                @if let Some(m) = err { p.error-message #{ (id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
                div.radios {
                    @for (i, (v, l)) in choices.iter().enumerate() {
                        div.radio {
                            input #{ (id) "-" (i) } type="radio" name=(name) value=(v) checked[v == value] required[required];
                            label for={ (id) "-" (i) } { (l) }
                        }
                    }
                }
            }
        }
    }
}

/// A file input.
pub fn file_input(ctx: &Ctx, errors: &Errors, name: &str, label: &str, hint: Option<&str>, required: bool) -> Markup {
    let id = input_id(name);
    let err = errors.of(name);
    let described: Vec<String> = [hint.map(|_| format!("{id}-hint")), err.map(|_| format!("{id}-error"))].into_iter().flatten().collect();
    let described = described.join(" ");
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (label) }
            @if let Some(h) = hint { p.hint #{ (id) "-hint" } { (h) } }
            @if let Some(m) = err { p.error-message #{ (id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            input #(id).file name=(name) type="file" required[required] accept=".pdf,.jpg,.jpeg,.png,.webp,.ofd,.txt"
                aria-invalid=[err.map(|_| "true")] aria-describedby=[(!described.is_empty()).then_some(described.as_str())];
        }
    }
}

/// A status tag: text (never colour alone) with a class for its colour.
pub fn tag(class: &str, text: &str) -> Markup {
    html! { strong class={ "tag tag-" (class) } { (text) } }
}

/// A table's hidden caption and its head: a row-header column, then number columns (all message
/// keys).
pub fn table_head(ctx: &Ctx, caption: &str, first: &str, numbers: &[&str]) -> Markup {
    head_of(ctx, caption, first, numbers, true)
}

/// Like [`table_head`], for columns of text.
pub fn text_table_head(ctx: &Ctx, caption: &str, first: &str, others: &[&str]) -> Markup {
    head_of(ctx, caption, first, others, false)
}

fn head_of(ctx: &Ctx, caption: &str, first: &str, others: &[&str], numbers: bool) -> Markup {
    html! {
        caption.visually-hidden { (ctx.t(caption)) }
        thead { tr {
            th scope="col" { (ctx.t(first)) }
            @for k in others { th.num[numbers] scope="col" { (ctx.t(k)) } }
        } }
    }
}

/// Breadcrumbs.
pub fn breadcrumbs(ctx: &Ctx, trail: &[(&str, String)]) -> Markup {
    html! {
        nav.breadcrumbs aria-label=(ctx.t("breadcrumbs")) {
            ol {
                @for (i, (href, label)) in trail.iter().enumerate() {
                    li {
                        @if i + 1 == trail.len() { span aria-current="page" { (label) } } @else { a href=(href) { (label) } }
                    }
                }
            }
        }
    }
}

/// Raw SVG or other trusted markup built by this crate.
pub fn raw(s: String) -> Markup {
    PreEscaped(s)
}
