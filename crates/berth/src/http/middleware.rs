//! Cross-cutting HTTP behaviour: request ids, the error envelope for every failure (including
//! the ones axum and tower produce themselves), and security headers.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use berth_api::ErrorCode;

use crate::error::{AppError, Enveloped, REQUEST_ID};
use crate::state::AppState;

/// The request id header.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request, as an extension (for logs).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Takes `X-Request-Id` from the request when it is sane, else makes one; echoes it on the
/// response and makes it visible to error envelopes.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    res
}

/// Turns every error response that is not already an envelope (axum's 405, tower's 408 and
/// 413, …) into one, so `/api` clients only ever see JSON errors.
pub async fn envelope_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error())
        || res.extensions().get::<Enveloped>().is_some()
        || res.extensions().get::<DocumentedBody>().is_some()
    {
        return res;
    }
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        s if s.is_client_error() => ErrorCode::ValidationFailed,
        _ => ErrorCode::InternalError,
    };
    let message = match code {
        ErrorCode::RouteNotFound => "no such API route".to_owned(),
        ErrorCode::MethodNotAllowed => format!("{method} is not allowed on this route"),
        ErrorCode::RequestTimeout => "the request took too long and was cancelled".to_owned(),
        ErrorCode::PayloadTooLarge => "the body is larger than this server accepts".to_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    let allow = res.headers().get(axum::http::header::ALLOW).cloned();
    let mut out = AppError::new(code, message).into_response();
    *out.status_mut() = status;
    if let Some(allow) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    out
}

/// Set on error responses whose body is a documented shape of its own (the health checks'
/// 503s say which component is down), so [`envelope_errors`] leaves them as they are.
#[derive(Debug, Clone, Copy)]
pub struct DocumentedBody;

/// The answer to any `/api` path no route matches.
pub async fn api_not_found(method: Method, uri: axum::http::Uri) -> AppError {
    AppError::new(
        ErrorCode::RouteNotFound,
        format!("no API route {method} {}", uri.path()),
    )
}

/// Security headers on every response.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    // The SPA is served from this origin; it talks to the API over fetch and WebSockets.
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    if state.config.https {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if is_api && !h.contains_key(axum::http::header::CACHE_CONTROL) {
        h.insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    res
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// An empty body, for 204 answers.
pub fn no_content() -> Response {
    (StatusCode::NO_CONTENT, Body::empty()).into_response()
}
