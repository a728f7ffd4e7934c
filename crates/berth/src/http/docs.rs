//! The OpenAPI document and a small, dependency-free page that renders it at `/api/docs`.

use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json(doc: Arc<String>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.as_str().to_owned(),
    )
}

/// `GET /api/docs`.
pub async fn page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("docs.html"),
    )
}

/// `GET /api/docs/docs.js`.
pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("docs.js"),
    )
}
