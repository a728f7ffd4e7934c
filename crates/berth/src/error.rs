//! `AppError`: every failure a request can meet, each with a stable code, answered as the one
//! JSON envelope with the `X-Request-Id` of the request.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use berth_api::{ErrorBody, ErrorCode, ErrorEnvelope};
use serde_json::{Value, json};

tokio::task_local! {
    /// The id of the request being served; set by the request-id middleware.
    pub static REQUEST_ID: String;
}

/// The current request's id, or `-` outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct AppError {
    /// Stable code; decides the HTTP status.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
    /// The request field at fault.
    pub field: Option<String>,
    /// Extra context (never secret).
    pub details: Value,
}

/// Shorthand for handler results.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            details: json!({}),
        }
    }

    /// A validation failure of one field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message).with_field(field)
    }

    /// Names the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Adds context.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// An internal failure: logged in full, answered without detail.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(request_id = %current_request_id(), error = %err, "internal error");
        Self::new(
            ErrorCode::InternalError,
            "an internal error occurred; the server log has the details under this request id",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The envelope for this error.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone(),
                field: self.field.clone(),
            },
            status: "error".to_owned(),
            request_id: current_request_id(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for AppError {}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code.as_str(), message = %self.message, "request failed");
        }
        let retry_after = self
            .details
            .get("retry_after_seconds")
            .and_then(Value::as_u64);
        let mut res = (status, axum::Json(self.envelope())).into_response();
        if let (ErrorCode::RateLimited, Some(secs)) = (self.code, retry_after) {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        // Marks the body as an envelope (so the fallback middleware leaves it alone) and tells
        // the audit layer the code.
        res.extensions_mut().insert(Enveloped(self.code));
        res
    }
}

/// Set on responses whose body is already an error envelope, with its code.
#[derive(Debug, Clone, Copy)]
pub struct Enveloped(pub ErrorCode);

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::error!(error = %err, "database unavailable");
                Self::new(
                    ErrorCode::DatabaseUnavailable,
                    "the database does not answer",
                )
            }
            _ => Self::internal(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn render(err: AppError) -> (StatusCode, Value) {
        let res = REQUEST_ID
            .scope("req-1".to_owned(), async move { err.into_response() })
            .await;
        let status = res.status();
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn each_code_renders_the_pinned_envelope() {
        for code in ErrorCode::ALL {
            let (status, body) = render(AppError::new(code, "msg")).await;
            assert_eq!(status.as_u16(), code.http_status());
            assert_eq!(
                body,
                json!({
                    "error": {"code": code.as_str(), "message": "msg", "details": {}, "field": null},
                    "status": "error",
                    "request_id": "req-1"
                })
            );
        }
    }

    #[tokio::test]
    async fn a_validation_error_names_its_field() {
        let (status, body) =
            render(AppError::validation("ports.0.host_port", "must be 1-65535")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["field"], "ports.0.host_port");
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    }

    #[tokio::test]
    async fn internal_errors_say_nothing_internal() {
        let (status, body) = render(AppError::internal("secret path /var/lib/x failed")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("/var/lib/x"));
    }
}
