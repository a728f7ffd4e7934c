//! Extractors whose rejections are Berth errors (never axum's plain-text ones).

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use berth_api::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A JSON body; a bad one is answered with the envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::JsonDataError(e) => data_error(&e.body_text()),
        JsonRejection::JsonSyntaxError(e) => AppError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {}", inner(&e.body_text())),
        ),
        JsonRejection::BytesRejection(e) => bytes_rejection(&e),
        other => AppError::new(ErrorCode::InvalidJson, other.body_text()),
    }
}

/// serde's message names the field path first (`ports[0].host_port: invalid type…`); keep it as `field`.
fn data_error(text: &str) -> AppError {
    let detail = inner(text);
    let field = detail
        .split_once(": ")
        .map(|(path, _)| path.replace('[', ".").replace(']', ""))
        .filter(|p| !p.contains(' ') && p != ".");
    let mut err = AppError::new(
        ErrorCode::ValidationFailed,
        format!("the body does not match the expected shape: {detail}"),
    );
    if let Some(field) = field {
        err = err.with_field(field);
    } else if let Some(name) = missing_field(detail) {
        err = err.with_field(name);
    }
    err
}

fn missing_field(detail: &str) -> Option<String> {
    let start = detail.find("missing field `")? + "missing field `".len();
    let rest = &detail[start..];
    Some(rest[..rest.find('`')?].to_owned())
}

/// Strips axum's "Failed to deserialize the JSON body into the target type: " prefix.
fn inner(text: &str) -> &str {
    text.split_once("type: ").map_or(text, |(_, rest)| rest)
}

fn bytes_rejection(e: &BytesRejection) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(
            ErrorCode::PayloadTooLarge,
            "the body is larger than this server accepts",
        )
    } else {
        AppError::new(
            ErrorCode::InvalidJson,
            format!("the body could not be read: {}", e.body_text()),
        )
    }
}

/// An optional JSON body: an empty body is `T::default()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        let has_type = req.headers().contains_key(CONTENT_TYPE);
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| bytes_rejection(&e))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        if has_type && !is_json {
            return Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with `Content-Type: application/json`",
            ));
        }
        // Same parser and error mapping as `Json`, so a bad field is named the same way.
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(v)| Self(v))
            .map_err(json_rejection)
    }
}

/// Query parameters; bad ones are a 400 envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| query_error(&e.body_text()))
    }
}

/// serde names the parameter first (`since: input contains invalid characters`), or says
/// ``unknown field `x` ``; keep it as `field`.
fn query_error(text: &str) -> AppError {
    let detail = text
        .split_once("query string: ")
        .map_or(text, |(_, rest)| rest);
    let field = detail
        .split_once(": ")
        .map(|(name, _)| name.to_owned())
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .or_else(|| {
            let start = detail.find("unknown field `")? + "unknown field `".len();
            let rest = &detail[start..];
            Some(rest[..rest.find('`')?].to_owned())
        })
        .or_else(|| missing_field(detail));
    let err = AppError::new(
        ErrorCode::ValidationFailed,
        format!("bad query parameters: {detail}"),
    );
    match field {
        Some(f) => err.with_field(f),
        None => err,
    }
}

/// Path parameters; bad ones are a 400 envelope.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| {
                AppError::new(
                    ErrorCode::ValidationFailed,
                    format!("bad path: {}", e.body_text()),
                )
            })
    }
}

/// For routes that take their options in the JSON body: a query parameter is refused (400
/// naming it) rather than silently ignored, so `?timeout=5` does not look like it worked.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoQuery;

impl<S: Send + Sync> FromRequestParts<S> for NoQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(raw) = parts.uri.query().filter(|q| !q.is_empty()) else {
            return Ok(Self);
        };
        let name = raw.split('&').next().unwrap_or_default();
        let name = name.split('=').next().unwrap_or_default();
        let name: String = name.chars().take(64).collect();
        Err(AppError::validation(
            name.clone(),
            format!(
                "this route takes no query parameter `{name}`: send its options as the JSON body"
            ),
        ))
    }
}

/// The client's address, when the server knows it.
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// A WebSocket upgrade when the request asks for one; `None` for a plain request.
pub struct MaybeWebSocket(pub Option<axum::extract::ws::WebSocketUpgrade>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeWebSocket {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if !crate::streams::is_websocket(&parts.headers) {
            return Ok(Self(None));
        }
        axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map(|ws| Self(Some(ws)))
            .map_err(|e| {
                AppError::new(
                    ErrorCode::ValidationFailed,
                    format!("bad WebSocket upgrade: {}", e.body_text()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::query_error;

    #[test]
    fn a_bad_query_parameter_is_named_as_the_field() {
        let cases = [
            (
                "Failed to deserialize query string: since: input contains invalid characters",
                Some("since"),
            ),
            (
                "Failed to deserialize query string: force: provided string was not `true` or `false`",
                Some("force"),
            ),
            (
                "Failed to deserialize query string: unknown field `bogus`, expected `all` or `dangling`",
                Some("bogus"),
            ),
            (
                "Failed to deserialize query string: missing field `q`",
                Some("q"),
            ),
            (
                "Failed to deserialize query string: invalid digit found in string",
                None,
            ),
        ];
        for (text, field) in cases {
            let err = query_error(text);
            assert_eq!(err.field.as_deref(), field, "{text}");
            assert!(
                err.message.starts_with("bad query parameters: "),
                "{}",
                err.message
            );
            assert!(
                !err.message.contains("Failed to deserialize"),
                "{}",
                err.message
            );
        }
    }
}
