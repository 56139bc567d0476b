//! One-click library borrowing (一键借阅, issue 34): the catalogue searched by words or ISBN with
//! copies on the shelf per branch, books chosen and sent home or kept at a desk with the fee shown
//! before ordering; a resident's orders with their steps, loans (renew, a pick-up at home) and
//! holds; the library staff's work list (each step of a parcel, returns, a desk return, a ready
//! hold collected, a catalogue import); the cockpit's library section. Everything goes through
//! `server::areas::library::cases`, which authorises as the API does.

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::Markup;
use maud::html;
use serde::Deserialize;
use server::areas::library::cases as library;
use server::areas::library::views::BranchView;
use server::areas::library::views::HoldView;
use server::areas::library::views::LibraryFiguresQuery;
use server::areas::library::views::LibraryFiguresView;
use server::areas::library::views::LibraryLoanView;
use server::areas::library::views::LibraryOrderView;
use server::areas::library::views::LibraryOrdersQuery;
use server::areas::library::views::OrderActionBody;
use server::areas::library::views::OrderBody;
use server::areas::library::views::QuoteQuery;
use server::areas::library::views::QuoteView;
use server::areas::library::views::RequestView;
use server::areas::library::views::ReturnActionBody;
use server::areas::library::views::ReturnBody;
use server::areas::library::views::TitleQuery;
use server::areas::library::views::TitleView;
use server::auth::Principal;
use server::failure::Failure;
use server::policy::Who;
use store::AccountKind;

use super::form_errors;
use super::on_form;
use super::yuan;
use crate::Web;
use crate::charts;
use crate::charts::Bar;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::layout::Errors;
use crate::layout::Input;
use crate::layout::breadcrumbs;
use crate::layout::csrf;
use crate::layout::error_summary;
use crate::layout::finish;
use crate::layout::input;
use crate::layout::input_id;
use crate::layout::message;
use crate::layout::page_status;
use crate::layout::q as encode;
use crate::layout::radios;
use crate::layout::redirect;
use crate::layout::tag;
use super::banner_markup;

/// Library staff and the administrator.
const STAFF: Who = Who::LIBRARY.or(Who::ADMIN);
/// The most books one click may ask for (the rules' `max_titles_per_order`; the use case checks).
const MAX_BOOKS: usize = 10;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffQuery {
    pub branch: Option<String>,
    pub done: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    ctx.lang.try_t(&format!("lib-done-{}", done?))
}

fn is_resident(ctx: &Ctx) -> bool {
    ctx.user.as_ref().is_some_and(|p| p.account.kind == AccountKind::Citizen)
}

fn branch_name(branches: &[BranchView], code: &str) -> String {
    branches.iter().find(|b| b.code == code).map_or_else(|| code.to_owned(), |b| b.name.clone())
}

/// An RFC 3339 time (as the use cases give them) in China, to the minute.
fn time_of(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| super::time(t.with_timezone(&chrono::Utc))).unwrap_or_else(|| t.to_owned())
}

/// A drop-down with its label and error.
fn select(ctx: &Ctx, errors: &Errors, name: &str, label: &str, choices: &[(String, String)], value: &str) -> Markup {
    let id = input_id(name);
    let err = errors.of(name);
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (label) }
            @if let Some(m) = err { p.error-message #{ (id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            select #(id).input name=(name) aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| format!("{id}-error"))] {
                @for (v, l) in choices { option value=(v) selected[v == value] { (l) } }
            }
        }
    }
}

fn branch_choices(ctx: &Ctx, branches: &[BranchView], desks_only: bool, none: &str) -> Vec<(String, String)> {
    std::iter::once((String::new(), ctx.t(none))).chain(branches.iter().filter(|b| !desks_only || b.pickup_desk).map(|b| (b.code.clone(), b.name.clone()))).collect()
}

/// What a quote costs the reader: "免运费" with the promotion, a fee with its rule, or free.
fn fee_markup(ctx: &Ctx, q: &QuoteView) -> Markup {
    let rule = ctx.lang.pick(&q.rule_zh, &q.rule_en).to_owned();
    html! {
        @if q.fee_fen == 0 && q.waived_fen > 0 {
            (tag("ok", &q.label.clone().filter(|_| ctx.lang == crate::i18n::Lang::Zh).unwrap_or_else(|| ctx.t("lib-free-delivery")))) " "
            span.muted { (rule) " · " (ctx.ta("lib-fee-waived", crate::args![("amount", yuan(q.waived_fen))])) }
        } @else if q.fee_fen == 0 {
            (tag("ok", &ctx.t("lib-fee-free")))
        } @else {
            strong { (yuan(q.fee_fen)) } " " span.muted { (rule) }
        }
    }
}

fn order_state_tag(ctx: &Ctx, state: &str) -> Markup {
    let class = match state {
        "delivered" | "collected" => "ok",
        "ready_for_pickup" | "with_courier" => "warn",
        "cancelled" => "grey",
        _ => "info",
    };
    tag(class, &ctx.lang.try_t(&format!("lib-state-{state}")).unwrap_or_else(|| state.to_owned()))
}

fn hold_state_tag(ctx: &Ctx, state: &str) -> Markup {
    let class = match state {
        "ready" => "ok",
        "expired" | "cancelled" => "grey",
        _ => "info",
    };
    tag(class, &ctx.lang.try_t(&format!("lib-hold-{state}")).unwrap_or_else(|| state.to_owned()))
}

fn return_state_name(ctx: &Ctx, state: &str) -> String {
    ctx.lang.try_t(&format!("lib-return-{state}")).unwrap_or_else(|| state.to_owned())
}

/// An order's way, step by step: those reached with their time, the current one marked.
fn steps(ctx: &Ctx, o: &LibraryOrderView) -> Markup {
    let way: &[&str] = if o.to == "home" { &["placed", "picking", "packed", "with_courier", "delivered"] } else { &["placed", "picking", "packed", "ready_for_pickup", "collected"] };
    let mut all: Vec<&str> = way.to_vec();
    if o.state == "cancelled" {
        all = o.steps.iter().map(|s| s.state.as_str()).collect();
    }
    html! {
        ol.timeline aria-label=(ctx.t("lib-steps")) {
            @for s in all {
                @let reached = o.steps.iter().find(|x| x.state == s);
                li aria-current=[(s == o.state).then_some("step")] {
                    @if let Some(r) = reached {
                        strong { (ctx.lang.try_t(&format!("lib-state-{s}")).unwrap_or_else(|| s.to_owned())) } " · " (time_of(&r.at))
                    } @else {
                        span.muted { (ctx.lang.try_t(&format!("lib-state-{s}")).unwrap_or_else(|| s.to_owned())) " · " (ctx.t("lib-step-not-yet")) }
                    }
                }
            }
        }
    }
}

fn destination(ctx: &Ctx, branches: &[BranchView], o: &LibraryOrderView) -> String {
    match &o.to_branch {
        Some(b) if o.to == "branch" => ctx.ta("lib-to-desk", crate::args![("branch", branch_name(branches, b))]),
        _ => ctx.t("lib-to-home"),
    }
}

/// One parcel: where from and to, its books, its fee and its steps.
fn order_card(ctx: &Ctx, branches: &[BranchView], o: &LibraryOrderView, actions: Markup) -> Markup {
    html! {
        article.card aria-labelledby={ "h-order-" (o.id) } {
            h3 #{ "h-order-" (o.id) } { (ctx.ta("lib-order-n", crate::args![("id", o.id.clone())])) " " (order_state_tag(ctx, &o.state)) }
            dl.summary {
                dt { (ctx.t("lib-from")) } dd { (o.branch_name) }
                dt { (ctx.t("lib-to")) } dd { (destination(ctx, branches, o)) }
                dt { (ctx.t("lib-placed-at")) } dd { (time_of(&o.placed_at)) }
                dt { (ctx.t("lib-fee")) } dd { (fee_markup(ctx, &o.quote)) }
                dt { (ctx.t("lib-books")) } dd {
                    ul.detail-list { @for i in &o.items { li { "《" (i.title) "》 " span.muted { (i.isbn) " · " (ctx.t("lib-barcode")) " " (i.barcode) } } } }
                }
            }
            (steps(ctx, o))
            (actions)
        }
    }
}

fn holds_table(ctx: &Ctx, branches: &[BranchView], holds: &[HoldView], cancel: bool) -> Markup {
    html! {
        div.table-wrap { table {
            caption.visually-hidden { (ctx.t("lib-holds-title")) }
            thead { tr {
                th scope="col" { (ctx.t("lib-col-title")) }
                th scope="col" { (ctx.t("lib-col-state")) }
                th.num scope="col" { (ctx.t("lib-col-position")) }
                th scope="col" { (ctx.t("lib-col-kept")) }
                @if cancel { th scope="col" { (ctx.t("lib-col-actions")) } }
            } }
            tbody {
                @for h in holds {
                    tr {
                        th scope="row" { "《" (h.title) "》" br; span.muted { (h.isbn) } }
                        td { (hold_state_tag(ctx, &h.state)) }
                        td.num { @if let Some(n) = h.position { (ctx.ta("lib-position", crate::args![("n", n)])) } @else { "—" } }
                        td { @if let (Some(b), Some(u)) = (&h.branch, &h.until) { (ctx.ta("lib-kept-at", crate::args![("branch", branch_name(branches, b)), ("until", u.clone())])) } @else { "—" } }
                        @if cancel {
                            td {
                                @if h.state == "waiting" || h.state == "ready" {
                                    form method="post" action={ "/library/holds/" (encode(&h.id)) "/cancel" } {
                                        (csrf(ctx))
                                        button.button.button-secondary type="submit" { (ctx.t("lib-cancel-hold")) span.visually-hidden { " 《" (h.title) "》" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } }
    }
}

// ---------------------------------------------------------------------------------------------
// The catalogue and one click.

/// What the order form holds (kept when it is shown again with errors).
#[derive(Debug, Clone, Default)]
struct OrderForm {
    q: String,
    chosen: Vec<String>,
    extra: String,
    how: String,
    lat: String,
    lon: String,
    branch: String,
}

impl OrderForm {
    fn of(form: &PostForm) -> OrderForm {
        OrderForm {
            q: form.get("q").unwrap_or_default(),
            chosen: form.prefixed("book-").into_keys().collect(),
            extra: form.get("extra").unwrap_or_default(),
            how: form.get("how").unwrap_or_default(),
            lat: form.get("lat").unwrap_or_default(),
            lon: form.get("lon").unwrap_or_default(),
            branch: form.get("branch").unwrap_or_default(),
        }
    }

    /// The ISBNs asked for, chosen then typed, each once; with the input each came from.
    fn isbns(&self) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        let typed = self.extra.split([',', '，', ' ', '、', ';', '；', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(|s| (s.replace('-', ""), "extra"));
        for (isbn, from) in self.chosen.iter().map(|c| (c.clone(), "books")).chain(typed) {
            if !out.iter().any(|(i, _)| *i == isbn) {
                out.push((isbn, from));
            }
        }
        out
    }
}

#[derive(Default)]
struct HomeShown {
    form: OrderForm,
    errors: Errors,
}

const ORDER_FIELDS: [&str; 6] = ["books", "extra", "how", "lat", "lon", "branch"];

/// `GET /library`: the catalogue (words or ISBN), copies on the shelf per branch, today's fees;
/// a resident chooses books and where they go.
pub async fn home(State(web): State<Web>, ctx: Ctx, Query(q): Query<SearchQuery>) -> Response {
    let s = HomeShown { form: OrderForm { q: q.q.unwrap_or_default().trim().to_owned(), how: "home".into(), ..Default::default() }, ..Default::default() };
    let r = render_home(&ctx, &web, s, StatusCode::OK).await;
    finish(&ctx, r)
}

async fn render_home(ctx: &Ctx, web: &Web, s: HomeShown, status: StatusCode) -> Result<Response, Failure> {
    let branches = library::branches()?;
    let words = s.form.q.trim();
    let mut results = library::titles(&web.state, TitleQuery { q: (!words.is_empty()).then(|| words.to_owned()), subject: None }).await?;
    // Books chosen before and not among these results stay chosen.
    for c in &s.form.chosen {
        if !results.iter().any(|t| &t.isbn == c)
            && let Ok(t) = library::title(&web.state, c).await
        {
            results.push(t);
        }
    }
    let resident = is_resident(ctx);
    let fees: Vec<(u32, Result<QuoteView, Failure>)> = (1..=4).map(|n| (n, library::quote(&web.state, QuoteQuery { books: n, delivery: Some(true) }))).collect();
    let title = ctx.t("lib-home-title");
    let known: Vec<String> = ORDER_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let how_choices = vec![("home".to_owned(), ctx.t("lib-how-home")), ("branch".to_owned(), ctx.t("lib-how-branch"))];
    let books_err = s.errors.of("books");
    let body = html! {
        h1 { (title) }
        p.lead { (ctx.t("lib-home-lead")) }
        @if resident { p { a href="/library/mine" { (ctx.t("lib-mine-link")) } } }
        @if ctx.who.meets(STAFF) { p { a href="/library/staff" { (ctx.t("lib-staff-link")) } } }
        section #fees aria-labelledby="h-lib-fees" {
            h2 #h-lib-fees { (ctx.t("lib-fees-title")) }
            ul.detail-list {
                @for (n, q) in &fees {
                    @if let Ok(q) = q { li { (ctx.ta("lib-fee-for", crate::args![("n", *n)])) (ctx.lang.pick("：", ": ")) (fee_markup(ctx, q)) } }
                }
                li { (ctx.t("lib-how-branch")) (ctx.lang.pick("：", ": ")) (tag("ok", &ctx.t("lib-fee-free"))) }
            }
        }
        section #search aria-labelledby="h-lib-search" {
            h2 #h-lib-search { (ctx.t("lib-search-title")) }
            form.actions role="search" method="get" action="/library" {
                div.field {
                    label for="f-q" { (ctx.t("lib-search-label")) }
                    p.hint #f-q-hint { (ctx.t("lib-search-hint")) }
                    input #f-q.input name="q" type="search" value=(words) aria-describedby="f-q-hint";
                }
                button.button.button-secondary type="submit" { (ctx.t("lib-search")) }
            }
        }
        section #order aria-labelledby="h-lib-results" {
            h2 #h-lib-results { (ctx.t("lib-results-title")) " " span.muted { "(" (results.len()) ")" } }
            (error_summary(ctx, &s.errors, &known))
            @if results.is_empty() { p { (ctx.t("lib-no-results")) } }
            form method="post" action="/library/order" novalidate {
                (csrf(ctx))
                input type="hidden" name="q" value=(words);
                @if !results.is_empty() {
                    div #f-books class={ "field" @if books_err.is_some() { " field-error" } } tabindex="-1" {
                        @if let Some(m) = books_err { p.error-message #f-books-error { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
                        div.table-wrap { table {
                            caption { (ctx.ta("lib-choose-caption", crate::args![("n", MAX_BOOKS)])) }
                            thead { tr {
                                @if resident { th scope="col" { (ctx.t("lib-col-choose")) } }
                                th scope="col" { (ctx.t("lib-col-title")) }
                                th.num scope="col" { (ctx.t("lib-col-copies")) }
                                th.num scope="col" { (ctx.t("lib-col-on-shelf")) }
                                th scope="col" { (ctx.t("lib-col-branches")) }
                            } }
                            tbody {
                                @for t in &results {
                                    (title_row(ctx, &branches, t, resident, s.form.chosen.contains(&t.isbn)))
                                }
                            }
                        } }
                    }
                }
                @if resident {
                    (input(ctx, &s.errors, &Input { name: "extra", label: &ctx.t("lib-extra"), hint: Some(&ctx.t("lib-extra-hint")), value: &s.form.extra, ..Default::default() }))
                    (radios(ctx, &s.errors, "how", &ctx.t("lib-how"), &how_choices, &s.form.how, true))
                    fieldset.field {
                        legend { (ctx.t("lib-home-address")) }
                        p.hint { (ctx.t("lib-latlon-hint")) }
                        (input(ctx, &s.errors, &Input { name: "lat", label: &ctx.t("lib-lat"), value: &s.form.lat, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                        (input(ctx, &s.errors, &Input { name: "lon", label: &ctx.t("lib-lon"), value: &s.form.lon, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                    }
                    (select(ctx, &s.errors, "branch", &ctx.t("lib-pickup-branch"), &branch_choices(ctx, &branches, true, "lib-choose-branch"), &s.form.branch))
                    button.button type="submit" { (ctx.t("lib-see-fee")) }
                }
            }
            @if ctx.user.is_none() {
                p { a href={ "/login?next=" (encode("/library")) } { (ctx.t("lib-sign-in")) } }
            } @else if !resident {
                p.muted { (ctx.t("lib-staff-no-order")) }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

fn title_row(ctx: &Ctx, branches: &[BranchView], t: &TitleView, resident: bool, checked: bool) -> Markup {
    let id = input_id(&format!("book-{}", t.isbn));
    html! {
        tr {
            @if resident {
                td { div.checks { div.check { input #(id) type="checkbox" name={ "book-" (t.isbn) } value="1" checked[checked]; label.visually-hidden for=(id) { (ctx.ta("lib-choose-book", crate::args![("title", t.title.clone())])) } } } }
            }
            th scope="row" {
                "《" (t.title) "》" br;
                span.muted { (t.author) " · " (t.publisher) @if let Some(y) = t.year { " · " (y) } " · ISBN " (t.isbn) }
                @if t.holds_waiting > 0 { br; span.muted { (ctx.ta("lib-holds-waiting", crate::args![("n", t.holds_waiting)])) } }
            }
            td.num { (t.copies) }
            td.num { @if t.available == 0 { (tag("warn", &ctx.t("lib-none-on-shelf"))) } @else { (t.available) } }
            td {
                ul.detail-list {
                    @for b in &t.branches {
                        li { (branch_name(branches, &b.branch)) (ctx.lang.pick("：", ": ")) (ctx.ta("lib-branch-copies", crate::args![("available", b.available), ("copies", b.copies)])) }
                    }
                }
            }
        }
    }
}

/// A coordinate as typed, in its range.
fn coordinate(ctx: &Ctx, errors: &mut Errors, field: &str, v: &str, max: f64) -> Option<f64> {
    let x = v.trim().parse::<f64>().ok().filter(|x| x.is_finite() && x.abs() <= max);
    if x.is_none() {
        errors.push(field, ctx.t(if v.trim().is_empty() { "lib-err-latlon-missing" } else { "lib-err-latlon" }));
    }
    x
}

/// `POST /library/order`: first the fee and what will happen (nothing is ordered yet), then —
/// confirmed — the order: its parcels and holds.
pub async fn order(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let f = OrderForm::of(&form);
        let shown = |errors: Errors| HomeShown { form: f.clone(), errors };
        let mut errors = Errors::default();
        let isbns = f.isbns();
        if isbns.is_empty() {
            errors.push("books", ctx.t("lib-err-no-book"));
        } else if isbns.len() > MAX_BOOKS {
            errors.push("books", ctx.ta("lib-err-too-many", crate::args![("n", MAX_BOOKS)]));
        }
        let (mut lat, mut lon, mut branch) = (None, None, None);
        match f.how.as_str() {
            "home" => {
                lat = coordinate(&ctx, &mut errors, "lat", &f.lat, 90.0);
                lon = coordinate(&ctx, &mut errors, "lon", &f.lon, 180.0);
            }
            "branch" if f.branch.is_empty() => errors.push("branch", ctx.t("lib-err-branch")),
            "branch" => branch = Some(f.branch.clone()),
            _ => errors.push("how", ctx.t("lib-err-how")),
        }
        if !errors.is_empty() {
            return render_home(&ctx, &web, shown(errors), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        // Each title is looked up first: an unknown ISBN is named on the form, nothing ordered.
        let mut titles = Vec::with_capacity(isbns.len());
        for (isbn, from) in &isbns {
            match library::title(&web.state, isbn).await {
                Ok(t) => titles.push(t),
                Err(Failure::NotFound { .. }) => errors.push(from, ctx.ta("lib-err-unknown-isbn", crate::args![("isbn", isbn.clone())])),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return render_home(&ctx, &web, shown(errors), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let delivery = branch.is_none();
        let sent = titles.iter().filter(|t| t.available > 0).count();
        let quote = if sent > 0 {
            match library::quote(&web.state, QuoteQuery { books: u32::try_from(sent).unwrap_or(u32::MAX), delivery: Some(delivery) }) {
                Ok(q) => Some(q),
                Err(e) if on_form(&e) => return render_home(&ctx, &web, shown(form_errors(&ctx, &e, &[("books", "books".to_owned())])), e.status()).await,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        if form.get("confirm").as_deref() != Some("1") {
            return confirm_page(&ctx, &f, &titles, quote.as_ref(), delivery);
        }
        let body = OrderBody { isbns: titles.iter().map(|t| t.isbn.clone()).collect(), lat, lon, branch, barcodes: Vec::new() };
        match library::place(&web.state, p, body).await {
            Ok(v) => placed_page(&ctx, &v),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("isbns", "books".to_owned()), ("lat", "lat".to_owned()), ("lon", "lon".to_owned()), ("branch", "branch".to_owned())]);
                render_home(&ctx, &web, shown(errors), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// The fee and what will happen, before anything is ordered.
fn confirm_page(ctx: &Ctx, f: &OrderForm, titles: &[TitleView], quote: Option<&QuoteView>, delivery: bool) -> Result<Response, Failure> {
    let branches = library::branches()?;
    let title = ctx.t("lib-confirm-title");
    let back = if f.q.is_empty() { "/library".to_owned() } else { format!("/library?q={}", encode(&f.q)) };
    let body = html! {
        (breadcrumbs(ctx, &[("/library", ctx.t("lib-home-title")), ("", title.clone())]))
        h1 { (title) }
        section aria-labelledby="h-lib-fee" {
            h2 #h-lib-fee { (ctx.t("lib-fee")) }
            p.lead {
                @match quote {
                    Some(q) => { (ctx.ta("lib-fee-for", crate::args![("n", q.books)])) (ctx.lang.pick("：", ": ")) (fee_markup(ctx, q)) }
                    None => { (ctx.t("lib-fee-none")) }
                }
            }
        }
        dl.summary {
            dt { (ctx.t("lib-to")) }
            dd {
                @if delivery { (ctx.t("lib-to-home")) " " span.muted { "(" (f.lat) ", " (f.lon) ")" } }
                @else { (ctx.ta("lib-to-desk", crate::args![("branch", branch_name(&branches, &f.branch))])) }
            }
        }
        div.table-wrap { table {
            caption { (ctx.t("lib-confirm-books")) }
            thead { tr { th scope="col" { (ctx.t("lib-col-title")) } th scope="col" { (ctx.t("lib-col-what")) } } }
            tbody {
                @for t in titles {
                    tr {
                        th scope="row" { "《" (t.title) "》" br; span.muted { (t.author) " · ISBN " (t.isbn) } }
                        td { @if t.available > 0 { (tag("ok", &ctx.t("lib-will-send"))) } @else { (tag("warn", &ctx.t("lib-will-hold"))) } }
                    }
                }
            }
        } }
        div.actions {
            form method="post" action="/library/order" {
                (csrf(ctx))
                input type="hidden" name="confirm" value="1";
                input type="hidden" name="q" value=(f.q);
                @for t in titles { input type="hidden" name={ "book-" (t.isbn) } value="1"; }
                input type="hidden" name="how" value=(f.how);
                @if delivery {
                    input type="hidden" name="lat" value=(f.lat);
                    input type="hidden" name="lon" value=(f.lon);
                } @else {
                    input type="hidden" name="branch" value=(f.branch);
                }
                button.button type="submit" { (ctx.t("lib-confirm")) }
            }
            a.button.button-secondary href=(back) { (ctx.t("lib-change")) }
        }
    };
    Ok(page_status(ctx, StatusCode::OK, &title, body))
}

/// What one click made: the parcels and the holds with their place in the queue.
fn placed_page(ctx: &Ctx, v: &RequestView) -> Result<Response, Failure> {
    let branches = library::branches()?;
    let title = ctx.t("lib-placed-title");
    let body = html! {
        (breadcrumbs(ctx, &[("/library", ctx.t("lib-home-title")), ("", title.clone())]))
        div.banner role="status" tabindex="-1" data-autofocus { p { strong { (title) } } }
        h1 { (ctx.ta("lib-request-n", crate::args![("id", v.request.clone())])) }
        @if let Some(q) = &v.quote { p.lead { (ctx.t("lib-fee")) (ctx.lang.pick("：", ": ")) (fee_markup(ctx, q)) } }
        section aria-labelledby="h-lib-parcels" {
            h2 #h-lib-parcels { (ctx.ta("lib-parcels-n", crate::args![("n", v.orders.len())])) }
            @if v.orders.is_empty() { p { (ctx.t("lib-no-parcels")) } }
            @for o in &v.orders { (order_card(ctx, &branches, o, html! {})) }
        }
        @if !v.holds.is_empty() {
            section aria-labelledby="h-lib-new-holds" {
                h2 #h-lib-new-holds { (ctx.t("lib-new-holds")) }
                (holds_table(ctx, &branches, &v.holds, false))
            }
        }
        p { a href="/library/mine" { (ctx.t("lib-mine-link")) } }
    };
    Ok(page_status(ctx, StatusCode::OK, &title, body))
}

// ---------------------------------------------------------------------------------------------
// A resident's borrowing.

#[derive(Default)]
struct MineShown {
    banner: Option<String>,
    errors: Errors,
}

/// `GET /library/mine`: the resident's orders with their steps, loans and holds.
pub async fn mine(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = render_mine(&ctx, &web, MineShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await;
    finish(&ctx, r)
}

async fn render_mine(ctx: &Ctx, web: &Web, s: MineShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let branches = library::branches()?;
    let orders = library::my_orders(&web.state, p).await?;
    let loans = library::my_loans(&web.state, p).await?;
    let holds = library::my_holds(&web.state, p).await?;
    let title = ctx.t("lib-mine-title");
    let open_loans: Vec<&LibraryLoanView> = loans.iter().filter(|l| l.returned.is_none() || l.return_state.as_deref().is_some_and(|r| r != "checked_in")).collect();
    let body = html! {
        (breadcrumbs(ctx, &[("/library", ctx.t("lib-home-title")), ("", title.clone())]))
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        (error_summary(ctx, &s.errors, &[]))
        p { a.button href="/library" { (ctx.t("lib-borrow-more")) } }
        section #loans aria-labelledby="h-lib-loans" {
            h2 #h-lib-loans { (ctx.t("lib-loans-title")) }
            @if open_loans.is_empty() { p { (ctx.t("lib-no-loans")) } } @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("lib-loans-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("lib-col-title")) }
                        th scope="col" { (ctx.t("lib-col-due")) }
                        th scope="col" { (ctx.t("lib-col-overdue")) }
                        th.num scope="col" { (ctx.t("lib-col-renewals")) }
                        th scope="col" { (ctx.t("lib-col-actions")) }
                    } }
                    tbody {
                        @for l in &open_loans { (loan_row(ctx, l)) }
                    }
                } }
            }
        }
        section #orders aria-labelledby="h-lib-orders" {
            h2 #h-lib-orders { (ctx.t("lib-orders-title")) }
            @if orders.is_empty() { p { (ctx.t("lib-no-orders")) } }
            @for o in &orders {
                (order_card(ctx, &branches, o, html! {
                    @if o.state == "placed" {
                        form method="post" action={ "/library/orders/" (encode(&o.id)) "/cancel" } {
                            (csrf(ctx))
                            button.button.button-secondary type="submit" { (ctx.t("lib-cancel-order")) span.visually-hidden { " " (o.id) } }
                        }
                    }
                }))
            }
        }
        section #holds aria-labelledby="h-lib-holds" {
            h2 #h-lib-holds { (ctx.t("lib-holds-title")) }
            @if holds.is_empty() { p { (ctx.t("lib-no-holds")) } } @else { (holds_table(ctx, &branches, &holds, true)) }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

fn loan_row(ctx: &Ctx, l: &LibraryLoanView) -> Markup {
    html! {
        tr {
            th scope="row" { "《" (l.title) "》" br; span.muted { (ctx.ta("lib-loan-since", crate::args![("day", l.started.clone()), ("id", l.id.clone())])) } }
            td { (l.due) }
            td { @if l.overdue_days > 0 { (tag("bad", &ctx.ta("lib-overdue-days", crate::args![("n", l.overdue_days)]))) } @else { (tag("ok", &ctx.t("lib-not-overdue"))) } }
            td.num { (l.renewals) }
            td {
                @match &l.return_state {
                    Some(r) => { (tag("info", &return_state_name(ctx, r))) }
                    None => {
                        div.actions {
                            form method="post" action={ "/library/loans/" (encode(&l.id)) "/renew" } {
                                (csrf(ctx))
                                button.button.button-secondary type="submit" { (ctx.t("lib-renew")) span.visually-hidden { " 《" (l.title) "》" } }
                            }
                            form method="post" action={ "/library/loans/" (encode(&l.id)) "/return" } {
                                (csrf(ctx))
                                button.button.button-secondary type="submit" { (ctx.t("lib-return-courier")) span.visually-hidden { " 《" (l.title) "》" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Runs a resident's step; a refusal is shown on their page.
async fn mine_step(ctx: &Ctx, web: &Web, done: &str, r: Result<(), Failure>) -> Result<Response, Failure> {
    match r {
        Ok(()) => Ok(redirect(&format!("/library/mine?done={done}"))),
        Err(e) if on_form(&e) => render_mine(ctx, web, MineShown { errors: form_errors(ctx, &e, &[]), ..Default::default() }, e.status()).await,
        Err(e) => Err(e),
    }
}

/// `POST /library/orders/{id}/cancel`: the reader cancels before picking starts.
pub async fn cancel_order(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let done = library::act(&web.state, p, &id, OrderActionBody { action: "cancel".into() }).await.map(|_| ());
        mine_step(&ctx, &web, "cancelled", done).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /library/loans/{id}/renew`: renewed, or the refusal (another reader waits…) shown.
pub async fn renew(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let done = library::renew(&web.state, p, &id).await.map(|_| ());
        mine_step(&ctx, &web, "renewed", done).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /library/loans/{id}/return`: 请快递上门取书.
pub async fn give_back(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let done = library::give_back(&web.state, p, &id, ReturnBody { how: "courier".into(), branch: None }).await.map(|_| ());
        mine_step(&ctx, &web, "pickup", done).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /library/holds/{id}/cancel`.
pub async fn cancel_hold(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let done = library::cancel_hold(&web.state, p, &id).await.map(|_| ());
        mine_step(&ctx, &web, "hold-cancelled", done).await
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The library staff.

#[derive(Default)]
struct StaffShown {
    branch: String,
    banner: Option<String>,
    /// The form the errors belong to: `work`, `returns`, `desk`, `hold`, `import`.
    section: &'static str,
    errors: Errors,
    values: std::collections::BTreeMap<String, String>,
}

impl StaffShown {
    fn errors_of(&self, section: &str) -> Errors {
        if self.section == section { self.errors.clone() } else { Errors::default() }
    }
    fn value(&self, name: &str) -> String {
        self.values.get(name).cloned().unwrap_or_default()
    }
}

/// `GET /library/staff?branch=`: a branch's parcels with a button for each next step, returns
/// under way, a desk return, a ready hold collected, a catalogue import; the library's figures.
pub async fn staff(State(web): State<Web>, ctx: Ctx, Query(q): Query<StaffQuery>) -> Response {
    let s = StaffShown { branch: q.branch.unwrap_or_default().trim().to_owned(), banner: banner(&ctx, q.done.as_deref()), ..Default::default() };
    let r = render_staff(&ctx, &web, s, StatusCode::OK).await;
    finish(&ctx, r)
}

/// The next steps of a parcel, by its state and where it goes.
fn next_steps(o: &LibraryOrderView) -> &'static [&'static str] {
    match (o.state.as_str(), o.to.as_str()) {
        ("placed", _) => &["start_picking", "cancel"],
        ("picking", _) => &["pack"],
        ("packed", "home") => &["hand_to_courier"],
        ("packed", _) => &["ready_for_pickup"],
        ("with_courier", _) => &["deliver"],
        ("ready_for_pickup", _) => &["collect"],
        _ => &[],
    }
}

async fn render_staff(ctx: &Ctx, web: &Web, s: StaffShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let branches = library::branches()?;
    let branch = (!s.branch.is_empty()).then(|| s.branch.clone());
    let work = library::work(&web.state, p, LibraryOrdersQuery { branch: branch.clone(), open: Some(true) }).await?;
    let title = ctx.t("lib-staff-title");
    let all_branches = branch_choices(ctx, &branches, false, "lib-all-branches");
    let desk_branches = branch_choices(ctx, &branches, false, "lib-choose-branch");
    let ret_actions = vec![("picked_up".to_owned(), ctx.t("lib-ret-picked_up")), ("send".to_owned(), ctx.t("lib-ret-send")), ("check_in".to_owned(), ctx.t("lib-ret-check_in"))];
    let formats = vec![("csv".to_owned(), "CSV".to_owned()), ("marc".to_owned(), "MARC 21 (ISO 2709)".to_owned())];
    let (ret_e, desk_e, hold_e, import_e, work_e) = (s.errors_of("returns"), s.errors_of("desk"), s.errors_of("hold"), s.errors_of("import"), s.errors_of("work"));
    let format_value = { let v = s.value("format"); if v.is_empty() { "csv".to_owned() } else { v } };
    let figures = cockpit_section(ctx, web, p).await;
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        form.actions method="get" action="/library/staff" {
            (select(ctx, &Errors::default(), "branch", &ctx.t("lib-branch"), &all_branches, &s.branch))
            button.button.button-secondary type="submit" { (ctx.t("lib-show")) }
        }
        section #work aria-labelledby="h-lib-work" {
            h2 #h-lib-work { (ctx.ta("lib-work-title", crate::args![("n", work.len())])) }
            (error_summary(ctx, &work_e, &[]))
            @if work.is_empty() { p { (ctx.t("lib-work-none")) } }
            @for o in &work {
                (order_card(ctx, &branches, o, html! {
                    div.actions {
                        @for a in next_steps(o) {
                            form method="post" action={ "/library/staff/orders/" (encode(&o.id)) "/act" } {
                                (csrf(ctx))
                                input type="hidden" name="action" value=(a);
                                input type="hidden" name="branch" value=(s.branch);
                                button class={ "button" @if *a == "cancel" { " button-secondary" } } type="submit" {
                                    (ctx.t(&format!("lib-act-{a}"))) span.visually-hidden { " " (ctx.ta("lib-order-n", crate::args![("id", o.id.clone())])) }
                                }
                            }
                        }
                    }
                }))
            }
        }
        section #returns aria-labelledby="h-lib-returns" {
            h2 #h-lib-returns { (ctx.t("lib-returns-title")) }
            p { (ctx.t("lib-returns-lead")) }
            (error_summary(ctx, &ret_e, &["ret-loan".to_owned(), "ret-action".to_owned(), "ret-branch".to_owned()]))
            form.stack method="post" action="/library/staff/returns" novalidate {
                (csrf(ctx))
                input type="hidden" name="at" value=(s.branch);
                (input(ctx, &ret_e, &Input { name: "ret-loan", label: &ctx.t("lib-loan-id"), value: &s.value("ret-loan"), required: true, inputmode: Some("numeric"), width: Some("w-short"), ..Default::default() }))
                (radios(ctx, &ret_e, "ret-action", &ctx.t("lib-ret-step"), &ret_actions, &s.value("ret-action"), true))
                (select(ctx, &ret_e, "ret-branch", &ctx.t("lib-ret-branch"), &desk_branches, &s.value("ret-branch")))
                button.button type="submit" { (ctx.t("lib-ret-record")) }
            }
        }
        section #desk aria-labelledby="h-lib-desk" {
            h2 #h-lib-desk { (ctx.t("lib-desk-title")) }
            (error_summary(ctx, &desk_e, &["desk-loan".to_owned(), "desk-branch".to_owned()]))
            form.stack method="post" action="/library/staff/desk-return" novalidate {
                (csrf(ctx))
                input type="hidden" name="at" value=(s.branch);
                (input(ctx, &desk_e, &Input { name: "desk-loan", label: &ctx.t("lib-loan-id"), value: &s.value("desk-loan"), required: true, inputmode: Some("numeric"), width: Some("w-short"), ..Default::default() }))
                (select(ctx, &desk_e, "desk-branch", &ctx.t("lib-desk-branch"), &desk_branches, &s.value("desk-branch")))
                button.button type="submit" { (ctx.t("lib-desk-record")) }
            }
        }
        section #hold aria-labelledby="h-lib-collect" {
            h2 #h-lib-collect { (ctx.t("lib-collect-title")) }
            (error_summary(ctx, &hold_e, &["hold-id".to_owned()]))
            form.stack method="post" action="/library/staff/holds/collect" novalidate {
                (csrf(ctx))
                input type="hidden" name="at" value=(s.branch);
                (input(ctx, &hold_e, &Input { name: "hold-id", label: &ctx.t("lib-hold-id"), hint: Some(&ctx.t("lib-hold-id-hint")), value: &s.value("hold-id"), required: true, ..Default::default() }))
                button.button type="submit" { (ctx.t("lib-collect")) }
            }
        }
        section #import aria-labelledby="h-lib-import" {
            h2 #h-lib-import { (ctx.t("lib-import-title")) }
            p { (ctx.t("lib-import-lead")) }
            (error_summary(ctx, &import_e, &["format".to_owned(), "file".to_owned()]))
            form.stack method="post" action="/library/staff/import" enctype="multipart/form-data" novalidate {
                (csrf(ctx))
                input type="hidden" name="at" value=(s.branch);
                (radios(ctx, &import_e, "format", &ctx.t("lib-import-format"), &formats, &format_value, true))
                (file_field(ctx, &import_e))
                button.button type="submit" { (ctx.t("lib-import")) }
            }
        }
        (figures)
    };
    Ok(page_status(ctx, status, &title, body))
}

fn file_field(ctx: &Ctx, errors: &Errors) -> Markup {
    let id = input_id("file");
    let err = errors.of("file");
    let described = if err.is_some() { format!("{id}-hint {id}-error") } else { format!("{id}-hint") };
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (ctx.t("lib-import-file")) }
            p.hint #{ (id) "-hint" } { (ctx.t("lib-import-hint")) }
            @if let Some(m) = err { p.error-message #{ (id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            input #(id).file name="file" type="file" required accept=".csv,.txt,.mrc,.marc,text/csv" aria-invalid=[err.map(|_| "true")] aria-describedby=(described);
        }
    }
}

fn back_to_staff(at: &str, done: &str) -> Response {
    if at.is_empty() { redirect(&format!("/library/staff?done={done}")) } else { redirect(&format!("/library/staff?branch={}&done={done}", encode(at))) }
}

/// A staff form's refusal shown on the page (its field renamed to the form's input), or an error page.
async fn staff_refused(ctx: &Ctx, web: &Web, form: &PostForm, section: &'static str, e: Failure, rename: &[(&str, String)]) -> Result<Response, Failure> {
    if !on_form(&e) && !matches!(e, Failure::NotFound { .. }) {
        return Err(e);
    }
    let status = if matches!(e, Failure::NotFound { .. }) { StatusCode::UNPROCESSABLE_ENTITY } else { e.status() };
    let s = StaffShown { branch: form.get("at").or_else(|| form.get("branch")).unwrap_or_default(), section, errors: form_errors(ctx, &e, rename), values: form.fields.clone(), ..Default::default() };
    render_staff(ctx, web, s, status).await
}

/// `POST /library/staff/orders/{id}/act`: the next step of a parcel.
pub async fn staff_act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        match library::act(&web.state, p, &id, OrderActionBody { action: action.clone() }).await {
            Ok(_) => Ok(back_to_staff(&form.get("branch").unwrap_or_default(), &format!("act-{action}"))),
            Err(e) => staff_refused(&ctx, &web, &form, "work", e, &[]).await,
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /library/staff/returns`: a step of a return under way.
pub async fn staff_return(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let mut errors = Errors::default();
        let loan = form.get("ret-loan").unwrap_or_default();
        let action = form.get("ret-action").unwrap_or_default();
        if loan.is_empty() {
            errors.push("ret-loan", ctx.t("lib-err-loan"));
        }
        if action.is_empty() {
            errors.push("ret-action", ctx.t("lib-err-ret-action"));
        }
        let branch = form.get("ret-branch");
        if action == "check_in" && branch.is_none() {
            errors.push("ret-branch", ctx.t("lib-err-branch"));
        }
        if !errors.is_empty() {
            let s = StaffShown { branch: form.get("at").unwrap_or_default(), section: "returns", errors, values: form.fields.clone(), ..Default::default() };
            return render_staff(&ctx, &web, s, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        match library::return_step(&web.state, p, &loan, ReturnActionBody { action: action.clone(), branch }).await {
            Ok(_) => Ok(back_to_staff(&form.get("at").unwrap_or_default(), &format!("ret-{action}"))),
            Err(e) => staff_refused(&ctx, &web, &form, "returns", e, &[("action", "ret-action".to_owned()), ("branch", "ret-branch".to_owned())]).await,
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /library/staff/desk-return`: a book given back at this desk.
pub async fn desk_return(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let mut errors = Errors::default();
        let loan = form.get("desk-loan").unwrap_or_default();
        let branch = form.get("desk-branch");
        if loan.is_empty() {
            errors.push("desk-loan", ctx.t("lib-err-loan"));
        }
        if branch.is_none() {
            errors.push("desk-branch", ctx.t("lib-err-branch"));
        }
        if !errors.is_empty() {
            let s = StaffShown { branch: form.get("at").unwrap_or_default(), section: "desk", errors, values: form.fields.clone(), ..Default::default() };
            return render_staff(&ctx, &web, s, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        match library::give_back(&web.state, p, &loan, ReturnBody { how: "desk".into(), branch }).await {
            Ok(_) => Ok(back_to_staff(&form.get("at").unwrap_or_default(), "desk")),
            Err(e) => staff_refused(&ctx, &web, &form, "desk", e, &[("branch", "desk-branch".to_owned())]).await,
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /library/staff/holds/collect`: the reader collects a book kept for their hold.
pub async fn collect_hold(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let Some(id) = form.get("hold-id") else {
            let mut errors = Errors::default();
            errors.push("hold-id", ctx.t("lib-err-hold"));
            let s = StaffShown { branch: form.get("at").unwrap_or_default(), section: "hold", errors, values: form.fields.clone(), ..Default::default() };
            return render_staff(&ctx, &web, s, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match library::collect_hold(&web.state, p, &id).await {
            Ok(_) => Ok(back_to_staff(&form.get("at").unwrap_or_default(), "collected")),
            Err(e) => staff_refused(&ctx, &web, &form, "hold", e, &[]).await,
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /library/staff/import`: a catalogue file, CSV or MARC 21, all or nothing; a refusal
/// names the line or record and the field.
pub async fn import(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let format = form.get("format").unwrap_or_else(|| "csv".into());
        let file = form.files.iter().find(|f| f.field == "file" && !f.bytes.is_empty());
        let refuse = |field: &str, msg: String| {
            let mut errors = Errors::default();
            errors.push(field, msg);
            StaffShown { branch: form.get("at").unwrap_or_default(), section: "import", errors, values: form.fields.clone(), ..Default::default() }
        };
        let Some(file) = file else {
            return render_staff(&ctx, &web, refuse("file", ctx.t("lib-err-file")), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match library::import(&web.state, p, &format, &file.bytes).await {
            Ok(v) => {
                let s = StaffShown {
                    branch: form.get("at").unwrap_or_default(),
                    banner: Some(ctx.ta("lib-imported", crate::args![("titles", v.titles_added), ("copies", v.copies_added)])),
                    ..Default::default()
                };
                render_staff(&ctx, &web, s, StatusCode::OK).await
            }
            Err(e) if on_form(&e) => {
                let b = e.body();
                let input = if b.field.as_deref() == Some("format") { "format" } else { "file" };
                let mut msg = message(ctx.lang, &e);
                if let Some(f) = b.field.as_deref().filter(|f| !f.is_empty() && *f != "format" && *f != "body" && !msg.contains(*f)) {
                    msg = format!("{msg} {}", ctx.ta("lib-import-field", crate::args![("field", f)]));
                }
                render_staff(&ctx, &web, refuse(input, msg), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The cockpit's library section.

/// The library's figures of the last 30 days (library staff, supervisors, the administrator):
/// requests by day, loans, new readers, fees charged and waived, holds, overdue.
pub async fn cockpit_section(ctx: &Ctx, web: &Web, p: &Principal) -> Markup {
    let f = library::figures(&web.state, p, LibraryFiguresQuery { from: None, to: None }).await;
    let branches = library::branches().unwrap_or_default();
    if let Err(e) = &f {
        tracing::warn!(error = %message(crate::i18n::Lang::En, e), "the cockpit's library figures");
    }
    html! {
        section aria-labelledby="h-library" {
            h2 #h-library { (ctx.t("lib-cockpit-title")) }
            @match &f {
                Ok(f) => {
                    p.muted { (ctx.ta("lib-figures-of", crate::args![("from", f.from.clone()), ("to", f.to.clone())])) }
                    ul.figures {
                        li { span.num { (f.requests) } span.lbl { (ctx.t("lib-fig-requests")) } span.def { (ctx.ta("lib-fig-requests-def", crate::args![("delivery", f.delivery), ("pickup", f.pickup), ("parcels", f.parcels)])) } }
                        li { span.num { (f.loans_started) } span.lbl { (ctx.t("lib-fig-loans-started")) } }
                        li { span.num { (f.loans_out) } span.lbl { (ctx.t("lib-fig-loans-out")) } }
                        li { span.num { (f.new_readers) } span.lbl { (ctx.t("lib-fig-new-readers")) } }
                        li { span.num { (yuan(f.fees_charged_fen)) } span.lbl { (ctx.t("lib-fig-fees-charged")) } }
                        li { span.num { (yuan(f.fees_waived_fen)) } span.lbl { (ctx.t("lib-fig-fees-waived")) } span.def { (ctx.ta("lib-fig-free-def", crate::args![("n", f.requests_free)])) } }
                        li { span.num { (f.holds_waiting) } span.lbl { (ctx.t("lib-fig-holds-waiting")) } span.def { (ctx.ta("lib-fig-holds-ready", crate::args![("n", f.holds_ready)])) } }
                        li { span.num { (f.overdue) } span.lbl { (ctx.t("lib-fig-overdue")) } }
                    }
                    @let days = every_day(f);
                    @if !days.is_empty() {
                        @let bars: Vec<Bar> = days.iter().map(|(day, n)| Bar { label: day.get(8..).unwrap_or(day).trim_start_matches('0').to_owned(), value: f64::from(*n), text: if *n == 0 { String::new() } else { n.to_string() } }).collect();
                        @let chart_title = ctx.t("lib-by-day-title");
                        @let desc = f.by_day.iter().filter(|d| d.count > 0).map(|d| format!("{} {}", d.period, d.count)).collect::<Vec<_>>().join(ctx.lang.pick("；", "; "));
                        div.charts {
                            figure.chart {
                                figcaption { (chart_title) }
                                (charts::vbars("lib-by-day", &chart_title, if desc.is_empty() { "—" } else { &desc }, &bars))
                            }
                        }
                        details {
                            summary { (ctx.t("lib-by-day-table")) }
                            div.table-wrap { table {
                                caption.visually-hidden { (chart_title) }
                                thead { tr { th scope="col" { (ctx.t("lib-col-day")) } th.num scope="col" { (ctx.t("lib-fig-requests")) } } }
                                tbody { @for (day, n) in &days { tr { th scope="row" { (day) } td.num { (n) } } } }
                            } }
                        }
                    }
                    @if !f.to_pick.is_empty() {
                        p { (ctx.t("lib-to-pick")) (ctx.lang.pick("：", ": ")) @for (i, b) in f.to_pick.iter().enumerate() { @if i > 0 { (ctx.lang.pick("、", ", ")) } (branch_name(&branches, &b.branch)) " " (b.copies) } }
                    }
                }
                Err(_) => { p.muted { (ctx.t("lib-cockpit-unavailable")) } }
            }
        }
    }
}

/// Requests on every day of the period, days without any included (the figures list only days
/// with requests).
fn every_day(f: &LibraryFiguresView) -> Vec<(String, u32)> {
    let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (parse(&f.from), parse(&f.to)) else {
        return f.by_day.iter().map(|d| (d.period.clone(), d.count)).collect();
    };
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            let day = d.to_string();
            let n = f.by_day.iter().filter(|x| x.period == day).map(|x| x.count).sum();
            (day, n)
        })
        .collect()
}
