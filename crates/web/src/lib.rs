//! The minsheng web pages, served by the same binary as the API: the citizen service hall
//! (网上办事大厅), the window and clerk workbench (一窗受理、办件队列), supervision (督办、差评整改),
//! the district cockpit (数字驾驶舱), medical insurance payment (医保支付), welfare (免申即享、幸福清单), the elderly safety guardian (空巢老人安全守护) and community governance (社区治理), the service halls (服务大厅: queue tickets, the display board, the window console, cross-region intake) and hospital parking guidance (停车诱导: where to park, a sign's QR page, car parks, the department's page). Server-rendered HTML
//! (maud), Chinese by default with an English switch (Fluent), barrier-free (WCAG 2.1 AA, elder
//! mode). Pages call the server's service layer and the store directly — never the JSON API over
//! HTTP — and check roles and data scope exactly as the API does.

pub mod bench;
pub mod charts;
pub mod cockpit;
pub mod ctx;
pub mod forms;
pub mod i18n;
pub mod layout;

mod assets;
mod pages;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use server::AppState;
use tower_http_headers::security_headers;

/// The state of the page handlers: the server's state and the cockpit's snapshot cache.
#[derive(Clone)]
pub struct Web {
    pub state: AppState,
    pub cockpit: Arc<cockpit::Cache>,
}

/// How the pages behave beyond the server's configuration.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// How old the cockpit's figures may be before a request refreshes them (in the background;
    /// the request is answered from the previous snapshot). Zero: always fresh.
    pub cockpit_max_age: Duration,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions { cockpit_max_age: Duration::from_secs(60) }
    }
}

/// The pages, with default options.
pub fn router(state: AppState) -> Router {
    router_with(state, WebOptions::default())
}

/// The pages. Everything outside `/api` and `/healthz` is a page.
pub fn router_with(state: AppState, opts: WebOptions) -> Router {
    let upload_limit = state.config.upload_bytes.saturating_mul(8).max(1 << 20);
    let web = Web { state, cockpit: Arc::new(cockpit::Cache::new(opts.cockpit_max_age)) };
    // Compute the cockpit's first snapshot in the background, so no leader waits for it.
    if !opts.cockpit_max_age.is_zero()
        && let Ok(rt) = tokio::runtime::Handle::try_current()
    {
        let (cache, state) = (web.cockpit.clone(), web.state.clone());
        rt.spawn(async move {
            if let Err(e) = cache.get(&state).await {
                tracing::warn!(error = %e, "cockpit snapshot");
            }
        });
    }
    Router::new()
        .route("/", get(pages::hall::home))
        .route("/accessibility", get(pages::hall::accessibility))
        .route("/bundles/{code}", get(pages::hall::bundle))
        .route("/items/{code}", get(pages::hall::item))
        .route("/apply/{kind}/{code}", get(pages::apply::form).post(pages::apply::submit))
        .route("/applications", get(pages::mine::list))
        .route("/applications/{id}", get(pages::detail::show))
        .route("/applications/{id}/cases/{case}/act", post(pages::detail::act))
        .route("/applications/{id}/rate", post(pages::detail::rate))
        .route("/applications/{id}/withdraw", post(pages::detail::withdraw))
        .route("/notices", get(pages::mine::notices))
        .route("/me/data", get(pages::mine::data))
        .route("/login", get(pages::auth::login_form).post(pages::auth::login))
        .route("/register", get(pages::auth::register_form).post(pages::auth::register))
        .route("/register/code", post(pages::auth::register_code))
        .route("/logout", post(pages::auth::logout))
        .route("/prefs/lang/{lang}", get(pages::auth::set_lang))
        .route("/prefs/elder/{on}", get(pages::auth::set_elder))
        .route("/staff", get(pages::staff::queue))
        .route("/staff/intake", get(pages::staff::intake_form).post(pages::staff::intake_start))
        .route("/staff/claim-code", post(pages::staff::claim_code))
        .route("/supervision", get(pages::supervision::show))
        .route("/supervision/rectifications/{id}", post(pages::supervision::respond))
        .route("/cockpit", get(pages::cockpit::show))
        .route("/medins", get(pages::medins::show))
        .route("/medins/hospitals/{code}/apply", post(pages::medins::apply))
        .route("/medins/hospitals/{code}/decision", post(pages::medins::decide))
        .route("/medins/settlements/preview", post(pages::medins::preview))
        .route("/medins/settlements/{month}", get(pages::medins::settlement))
        .route("/medins/settlements/{month}/freeze", post(pages::medins::freeze))
        .route("/medins/settlements/{month}/approve", post(pages::medins::approve))
        .route("/welfare", get(pages::welfare::show))
        .route("/welfare/objections", post(pages::welfare::object))
        .route("/welfare/help", post(pages::welfare::help))
        .route("/welfare/happiness", get(pages::welfare::my_happiness))
        .route("/welfare/staff", get(pages::welfare::staff))
        .route("/welfare/runs", post(pages::welfare::freeze))
        .route("/welfare/runs/preview", post(pages::welfare::preview))
        .route("/welfare/runs/{id}", get(pages::welfare::run))
        .route("/welfare/runs/{id}/approve", post(pages::welfare::approve))
        .route("/welfare/runs/{id}/bank-file", get(pages::welfare::bank_file))
        .route("/welfare/runs/{id}/returns", post(pages::welfare::returns))
        .route("/welfare/objections/{id}/decision", post(pages::welfare::decide))
        .route("/welfare/sweep", post(pages::welfare::sweep))
        .route("/welfare/worklist", get(pages::welfare::worklist))
        .route("/welfare/flags/{household}/visit", post(pages::welfare::visit))
        .route("/welfare/households/{household}/happiness", get(pages::welfare::household_happiness))
        .route("/guardian", get(pages::guardian::console))
        .route("/guardian/alarms/{id}", get(pages::guardian::alarm))
        .route("/guardian/alarms/{id}/act", post(pages::guardian::act))
        .route("/guardian/respond", get(pages::guardian::respond_page))
        .route("/guardian/respond/availability", post(pages::guardian::availability))
        .route("/guardian/respond/{id}", post(pages::guardian::respond))
        .route("/guardian/respond/alarms/{id}", get(pages::guardian::respond_alarm))
        .route("/guardian/responders", get(pages::guardian::responders).post(pages::guardian::save_responder))
        .route("/guardian/elders", get(pages::guardian::elders).post(pages::guardian::enrol))
        .route("/guardian/elders/{id}", get(pages::guardian::elder))
        .route("/guardian/elders/{id}/devices", post(pages::guardian::add_device))
        .route("/guardian/elders/{id}/withdraw", post(pages::guardian::withdraw))
        .route("/governance", get(pages::governance::home))
        .route("/governance/report", post(pages::governance::report))
        .route("/governance/queue", get(pages::governance::queue))
        .route("/governance/expenses/{id}/act", post(pages::governance::expense_act))
        .route("/governance/issues/{id}", get(pages::governance::issue))
        .route("/governance/issues/{id}/act", post(pages::governance::act))
        .route("/governance/estates/{id}", get(pages::governance::estate))
        .route("/governance/meetings/{id}", get(pages::governance::meeting))
        .route("/governance/meetings/{id}/act", post(pages::governance::meeting_act))
        .route("/governance/projects", get(pages::governance::projects))
        .route("/places", get(pages::places::home))
        .route("/places/childcare/apply", post(pages::places::childcare_apply))
        .route("/places/childcare/applications/{id}/act", post(pages::places::childcare_act))
        .route("/places/housing", get(pages::places::housing_home))
        .route("/places/housing/apply", post(pages::places::housing_apply))
        .route("/places/housing/offers/{id}/answer", post(pages::places::answer_offer))
        .route("/places/draws/{id}", get(pages::places::draw_page))
        .route("/places/shanju/{id}/act", post(pages::places::project_act))
        .route("/places/childcare/staff", get(pages::places::childcare_staff))
        .route("/places/childcare/institutions", post(pages::places::save_institution))
        .route("/places/childcare/inspections", post(pages::places::inspect))
        .route("/places/childcare/rounds", post(pages::places::run_round))
        .route("/places/housing/staff", get(pages::places::housing_staff))
        .route("/places/housing/draws", post(pages::places::create_draw))
        .route("/places/housing/draws/{id}/draw", post(pages::places::run_draw))
        .route("/places/housing/homes", post(pages::places::add_unit))
        .route("/places/housing/homes/{id}/offer", post(pages::places::offer))
        .route("/places/housing/leases/{id}/act", post(pages::places::lease_act))
        .route("/places/housing/shanju", post(pages::places::open_project))
        .route("/queue", get(pages::queue::home))
        .route("/queue/halls/{id}", get(pages::queue::hall))
        .route("/queue/halls/{id}/take", post(pages::queue::take))
        .route("/queue/halls/{id}/book", post(pages::queue::book))
        .route("/queue/halls/{id}/kiosk", get(pages::queue::kiosk).post(pages::queue::kiosk_take))
        .route("/queue/halls/{id}/board", get(pages::queue::board))
        .route("/queue/halls/{id}/window", get(pages::queue::window))
        .route("/queue/halls/{id}/window/call", post(pages::queue::call))
        .route("/queue/halls/{id}/window/act", post(pages::queue::act))
        .route("/queue/halls/{id}/cockpit", get(pages::queue::hall_cockpit))
        .route("/queue/tickets/{id}", get(pages::queue::ticket))
        .route("/queue/tickets/{id}/check-in", post(pages::queue::check_in))
        .route("/queue/tickets/{id}/cancel", post(pages::queue::cancel))
        .route("/queue/tickets/{id}/rate", post(pages::queue::rate))
        .route("/crossregion", get(pages::queue::crossregion_page).post(pages::queue::forward))
        .route("/library", get(pages::library::home))
        .route("/library/order", post(pages::library::order))
        .route("/library/mine", get(pages::library::mine))
        .route("/library/orders/{id}/cancel", post(pages::library::cancel_order))
        .route("/library/loans/{id}/renew", post(pages::library::renew))
        .route("/library/loans/{id}/return", post(pages::library::give_back))
        .route("/library/holds/{id}/cancel", post(pages::library::cancel_hold))
        .route("/library/staff", get(pages::library::staff))
        .route("/library/staff/orders/{id}/act", post(pages::library::staff_act))
        .route("/library/staff/returns", post(pages::library::staff_return))
        .route("/library/staff/desk-return", post(pages::library::desk_return))
        .route("/library/staff/holds/collect", post(pages::library::collect_hold))
        .route("/library/staff/import", post(pages::library::import))
        .route("/parking", get(pages::parking::home))
        .route("/parking/signs/{id}", get(pages::parking::sign))
        .route("/parking/signs/{id}/go", post(pages::parking::go))
        .route("/parking/lots/{id}", get(pages::parking::lot))
        .route("/parking/staff", get(pages::parking::staff))
        .route("/parking/staff/hospitals", post(pages::parking::save_hospital))
        .route("/parking/staff/lots", post(pages::parking::save_lot))
        .route("/parking/staff/signs", post(pages::parking::save_sign))
        .route("/parking/staff/lots/{id}/key", post(pages::parking::issue_key))
        .route("/static/parking.css", get(assets::parking_css))
        .route("/static/parking.js", get(assets::parking_js))
        .route("/static/queue.css", get(assets::queue_css))
        .route("/static/queue.js", get(assets::queue_js))
        .route("/static/guardian.js", get(assets::guardian_js))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route_layer(axum::middleware::from_fn_with_state(web.clone(), guard))
        .fallback(pages::hall::not_found)
        .layer(DefaultBodyLimit::max(upload_limit))
        .layer(axum::middleware::from_fn_with_state(web.clone(), ctx::same_origin_only))
        .layer(axum::middleware::from_fn_with_state(web.clone(), ctx::pre_session_cookie))
        .layer(axum::middleware::map_response_with_state(web.clone(), security_headers))
        .with_state(web)
}

/// Every page is answered from the route × role policy first (`server::policy`): a visitor who
/// is not signed in is sent to sign in, an account outside the page's audience gets the error page.
async fn guard(axum::extract::State(web): axum::extract::State<Web>, req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::extract::FromRequestParts;
    let (mut parts, body) = req.into_parts();
    match server::policy::authorise(&web.state, &mut parts).await {
        Ok(()) => next.run(axum::extract::Request::from_parts(parts, body)).await,
        Err(e) => match ctx::Ctx::from_request_parts(&mut parts, &web).await {
            Ok(ctx) => layout::error_page(&ctx, e),
            Err(r) => r,
        },
    }
}

mod tower_http_headers {
    //! Security headers of every page.
    use super::*;
    use axum::extract::State;
    use axum::response::Response;

    pub async fn security_headers(State(web): State<Web>, mut r: Response) -> Response {
        let h = r.headers_mut();
        if let Some(v) = server::hsts(&web.state.config) {
            h.insert(header::STRICT_TRANSPORT_SECURITY, v);
        }
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                // A parking sign's trip form is answered with a redirect to the map app chosen: form-action
                // lets those (and only those) through.
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self' geo: https://uri.amap.com https://api.map.baidu.com https://maps.apple.com; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        r
    }
}
