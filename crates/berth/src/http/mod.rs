//! The HTTP layer: the router (one module per resource), its middleware, and `serve`.

mod audit;
mod auth;
mod containers;
mod docs;
mod exec;
pub mod extract;
mod health;
mod hosts;
mod image_build;
mod images;
mod logs;
mod metrics;
pub mod middleware;
mod networks;
mod notify;
mod schedules;
mod stats;
mod streams;
mod system;
mod tags;
mod ui;
mod updates;
mod users;
mod vantage6;
mod volumes;
mod webhooks;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The OpenAPI document's fixed parts; paths are collected from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(title = "Berth API", description = "Run, schedule and watch containers on every Docker host you own.\n\nErrors are always `{\"error\":{\"code\",\"message\",\"details\",\"field\"},\"status\":\"error\",\"request_id\"}`."),
    tags(
        (name = "health", description = "Liveness, readiness, component status"),
        (name = "hosts", description = "Docker hosts"),
        (name = "containers", description = "Containers"),
        (name = "images", description = "Images"),
        (name = "volumes", description = "Volumes"),
        (name = "networks", description = "Networks"),
        (name = "system", description = "Engine information"),
        (name = "auth", description = "Sign in and out, sessions, own password"),
        (name = "users", description = "Users and roles (admins)"),
        (name = "api-keys", description = "API keys for programs"),
        (name = "audit", description = "The audit log"),
        (name = "streams", description = "Live events and task progress (WebSocket / Server-Sent Events)"),
        (name = "vantage6", description = "vantage6 nodes: the official CLI's configuration files and node containers"),
        (name = "notifications", description = "Notification channels, rules and deliveries (admins)"),
        (name = "schedules", description = "Cron and one-time schedules of container and host actions, with run history"),
        (name = "webhooks", description = "Webhooks in: token URLs bound to one action on one target"),
        (name = "tags", description = "Tags with colours and web-UI links of containers"),
    ),
    modifiers(&Security),
    security(("api_key" = []), ("session" = []))
)]
struct ApiDoc;

/// Declares the two ways to authenticate.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: `Authorization: Bearer berth_…`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The browser session from POST /api/v1/auth/login; changes also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// The `/api/v1` routes with their OpenAPI description.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::whoami))
        .routes(routes!(streams::ws_ticket))
        .routes(routes!(streams::events))
        .routes(routes!(streams::tasks))
        .routes(routes!(streams::task))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::my_sessions))
        .routes(routes!(auth::revoke_my_session))
        .routes(routes!(auth::all_sessions))
        .routes(routes!(auth::revoke_session))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::list_keys, users::create_key))
        .routes(routes!(users::revoke_key))
        .routes(routes!(audit::list))
        .routes(routes!(hosts::list, hosts::create))
        .routes(routes!(hosts::test_new))
        .routes(routes!(hosts::get, hosts::update, hosts::delete))
        .routes(routes!(hosts::test))
        .routes(routes!(containers::list_all))
        .routes(routes!(containers::list, containers::create))
        .routes(routes!(containers::inspect, containers::remove))
        .routes(routes!(containers::start))
        .routes(routes!(containers::stop))
        .routes(routes!(containers::restart))
        .routes(routes!(containers::kill))
        .routes(routes!(containers::pause))
        .routes(routes!(containers::unpause))
        .routes(routes!(containers::rename))
        .routes(routes!(containers::top))
        .routes(routes!(logs::logs))
        .routes(routes!(logs::download))
        .routes(routes!(logs::search))
        .routes(routes!(exec::exec))
        .routes(routes!(stats::stats))
        .routes(routes!(images::list))
        .routes(routes!(images::pull))
        .routes(routes!(images::prune))
        .routes(routes!(images::inspect, images::remove))
        .routes(routes!(images::history))
        .routes(routes!(images::tag))
        .routes(routes!(volumes::list, volumes::create))
        .routes(routes!(volumes::prune))
        .routes(routes!(volumes::inspect, volumes::remove))
        .routes(routes!(networks::list, networks::create))
        .routes(routes!(networks::prune))
        .routes(routes!(networks::inspect, networks::remove))
        .routes(routes!(networks::connect))
        .routes(routes!(networks::disconnect))
        .routes(routes!(system::info))
        .routes(routes!(system::disk_usage))
        .routes(routes!(vantage6::list, vantage6::create))
        .routes(routes!(vantage6::get, vantage6::update, vantage6::delete))
        .routes(routes!(vantage6::set_api_key))
        .routes(routes!(vantage6::start))
        .routes(routes!(vantage6::stop))
        .routes(routes!(vantage6::restart))
        .routes(routes!(vantage6::status))
        .routes(routes!(vantage6::logs))
        .routes(routes!(vantage6::clean))
        .routes(routes!(notify::list_channels, notify::create_channel))
        .routes(routes!(
            notify::get_channel,
            notify::update_channel,
            notify::delete_channel
        ))
        .routes(routes!(notify::test_channel))
        .routes(routes!(notify::list_rules, notify::create_rule))
        .routes(routes!(
            notify::get_rule,
            notify::update_rule,
            notify::delete_rule
        ))
        .routes(routes!(notify::deliveries))
        .routes(routes!(updates::update))
        .routes(routes!(updates::check))
        // schedules, webhooks in, tags (issue 5)
        .routes(routes!(schedules::list, schedules::create))
        .routes(routes!(
            schedules::get,
            schedules::update,
            schedules::delete
        ))
        .routes(routes!(schedules::enable))
        .routes(routes!(schedules::disable))
        .routes(routes!(schedules::run))
        .routes(routes!(schedules::runs))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::runs))
        .routes(routes!(webhooks::trigger))
        .routes(routes!(tags::list, tags::create))
        .routes(routes!(tags::update, tags::delete))
        .routes(routes!(tags::list_meta))
        .routes(routes!(tags::get_meta, tags::set_meta))
        // image build and push (issue 3: deployers pull, build and push)
        .routes(routes!(image_build::build))
        .routes(routes!(image_build::push))
}

/// The OpenAPI document (also used by tests that walk every route).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = build_openapi();
    api
}

fn build_openapi() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let health = OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(health::detailed))
        .routes(routes!(metrics::metrics));
    let (api_router, api_doc) = api_routes().split_for_parts();
    let (health_router, health_doc) = health.split_for_parts();
    let mut doc = ApiDoc::openapi();
    let mut prefixed = api_doc;
    prefixed.paths.paths = std::mem::take(&mut prefixed.paths.paths)
        .into_iter()
        .map(|(path, item)| (format!("/api/v1{path}"), item))
        .collect();
    doc.merge(prefixed);
    doc.merge(health_doc);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let router = Router::new()
        .nest("/api/v1", api_router)
        .merge(health_router);
    (router, doc)
}

/// The whole application: routes, docs, middleware.
pub fn router(state: AppState) -> Router {
    let (routes, doc) = build_openapi();
    let doc_json = std::sync::Arc::new(doc.to_json().unwrap_or_else(|_| "{}".to_owned()));
    let config = state.config.clone();
    // Every route above passes the gate (authentication, the permission table, the audit log);
    // the static docs page and the not-found answers below do not.
    let api = routes
        .route(
            "/api/v1/openapi.json",
            get(move || docs::openapi_json(doc_json.clone())),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::middleware::authorize,
        ))
        .route("/api/docs", get(docs::page))
        .route("/api/docs/docs.js", get(docs::script))
        .route("/api", axum::routing::any(middleware::api_not_found))
        .route(
            "/api/{*rest}",
            axum::routing::any(middleware::api_not_found),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes));
    // Everything else is the web UI (its files, or index.html for its client-side routes).
    let mut app = api
        .fallback(ui::serve)
        .layer(axum::middleware::from_fn(middleware::envelope_errors))
        .layer(CompressionLayer::new().gzip(true))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ));
    if !config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        app = app.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PATCH,
                    Method::PUT,
                    Method::DELETE,
                ])
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    middleware::X_REQUEST_ID,
                ])
                .expose_headers([middleware::X_REQUEST_ID])
                .allow_credentials(true),
        );
    }
    app.layer(
        TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req
                .extensions()
                .get::<middleware::RequestId>()
                .map(|r| r.0.clone())
                .unwrap_or_default();
            // A webhook's path holds its token: never log it.
            let path = req.uri().path();
            let path = if path.starts_with("/api/v1/hooks/") { "/api/v1/hooks/…" } else { path };
            tracing::info_span!("request", method = %req.method(), path = %path, request_id = %id)
        })
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
    )
    .layer(axum::middleware::from_fn(middleware::request_id))
    .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` is cancelled; in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
}
