//! The web UI: the single-page app built from `web/` by `build.rs` and embedded in the binary.
//!
//! Hashed assets (`/assets/…`) are cached for a year; `index.html` is never cached, so a new
//! binary's UI is picked up at once. Paths that look like client-side routes get `index.html`;
//! API, health and metrics paths never do (they answer their own 404s).

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The built UI (or, without Node at build time, a page saying how to get it).
#[derive(RustEmbed)]
#[folder = "$OUT_DIR/ui"]
struct Assets;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const NO_CACHE: &str = "no-cache";

/// Paths the UI must never answer for: an unknown `/health/x` is a 404, not the app.
fn reserved(path: &str) -> bool {
    ["/api", "/health", "/metrics"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

fn file(path: &str, cache: &'static str) -> Option<Response> {
    let asset = Assets::get(path)?;
    let mime = asset.metadata.mimetype().to_owned();
    let mut res = Response::new(Body::from(asset.data.into_owned()));
    if let Ok(v) = HeaderValue::from_str(&mime) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(res)
}

/// The router's fallback: a UI file, the app for a client route, or a 404.
pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    if !(method == Method::GET || method == Method::HEAD) || reserved(path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let rel = path.trim_start_matches('/');
    if !rel.is_empty() && rel != "index.html" {
        let cache = if rel.starts_with("assets/") {
            IMMUTABLE
        } else {
            NO_CACHE
        };
        if let Some(res) = file(rel, cache) {
            return res;
        }
        // A missing file (`/x.js`, `/assets/old.css`) is a 404, not the app.
        let last = rel.rsplit('/').next().unwrap_or_default();
        if rel.starts_with("assets/") || last.contains('.') {
            return StatusCode::NOT_FOUND.into_response();
        }
    }
    file("index.html", NO_CACHE).unwrap_or_else(|| StatusCode::NOT_FOUND.into_response())
}

#[cfg(test)]
mod tests {
    use super::reserved;

    #[test]
    fn api_health_and_metrics_are_not_ui_routes() {
        for p in [
            "/api",
            "/api/v1/x",
            "/health",
            "/health/nope",
            "/metrics",
            "/metrics/x",
        ] {
            assert!(reserved(p), "{p}");
        }
        for p in ["/", "/containers", "/healthy", "/apis", "/hosts/local"] {
            assert!(!reserved(p), "{p}");
        }
    }
}
