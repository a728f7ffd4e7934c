//! The one error envelope every failing request answers with, and its stable codes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// A machine-readable error code. Clients switch on this, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[ts(export)]
pub enum ErrorCode {
    /// A field of the request is invalid; `field` names it.
    ValidationFailed,
    /// The body is not valid JSON or does not match the expected shape.
    InvalidJson,
    /// The request's `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// The body is larger than the configured limit.
    PayloadTooLarge,
    /// No route matches the path.
    RouteNotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The request took longer than the configured request timeout.
    RequestTimeout,
    /// No host has this name.
    HostNotFound,
    /// A host with this name already exists.
    HostExists,
    /// No container has this id or name on the host.
    ContainerNotFound,
    /// No image has this reference or id on the host.
    ImageNotFound,
    /// No volume has this name on the host.
    VolumeNotFound,
    /// No network has this id or name on the host.
    NetworkNotFound,
    /// The engine refused because of the resource's state (name in use, port taken, removing a running container, …).
    Conflict,
    /// The request is valid but the configured policy forbids it (a host path, privileged mode, …).
    PolicyViolation,
    /// Pulling an image failed (unknown image, registry unreachable, …).
    ImagePullFailed,
    /// The Docker engine of the host does not answer.
    DockerUnavailable,
    /// The Docker engine answered with an error Berth has no better code for.
    DockerError,
    /// The database does not answer.
    DatabaseUnavailable,
    /// No valid session or API key (missing, wrong, expired, revoked, or the user is disabled).
    Unauthenticated,
    /// Authenticated, but the role, the key's scope or the host grants do not allow this.
    Forbidden,
    /// The password must be changed (`POST /api/v1/auth/password`) before anything else.
    PasswordChangeRequired,
    /// A cookie-authenticated change came without the right `X-CSRF-Token`.
    CsrfTokenInvalid,
    /// Too many requests; `Retry-After` says when to try again.
    RateLimited,
    /// No user has this id or name.
    UserNotFound,
    /// A user with this name exists.
    UserExists,
    /// The change would leave no enabled admin.
    LastAdmin,
    /// No session has this id (or it is not yours).
    SessionNotFound,
    /// No API key has this id (or it is not yours).
    ApiKeyNotFound,
    /// No task has this id (or it is not yours); tasks are kept in memory for a while.
    TaskNotFound,
    /// No vantage6 node configuration of this name in this scope.
    NodeNotFound,
    /// No notification channel has this id.
    NotificationChannelNotFound,
    /// No notification rule has this id.
    NotificationRuleNotFound,
    /// An unexpected failure inside Berth; the request id finds it in the server log.
    InternalError,
    /// No schedule has this id.
    ScheduleNotFound,
    /// No webhook has this id or token.
    WebhookNotFound,
    /// No tag has this name.
    TagNotFound,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::ValidationFailed | Self::InvalidJson | Self::PolicyViolation => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden | Self::PasswordChangeRequired | Self::CsrfTokenInvalid => 403,
            Self::UserNotFound
            | Self::SessionNotFound
            | Self::ApiKeyNotFound
            | Self::TaskNotFound
            | Self::NodeNotFound
            | Self::NotificationChannelNotFound
            | Self::NotificationRuleNotFound
            | Self::ScheduleNotFound
            | Self::WebhookNotFound
            | Self::TagNotFound => 404,
            Self::UserExists | Self::LastAdmin => 409,
            Self::RateLimited => 429,
            Self::RouteNotFound
            | Self::HostNotFound
            | Self::ContainerNotFound
            | Self::ImageNotFound
            | Self::VolumeNotFound
            | Self::NetworkNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestTimeout => 408,
            Self::HostExists | Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InternalError => 500,
            Self::DockerError | Self::ImagePullFailed => 502,
            Self::DockerUnavailable | Self::DatabaseUnavailable => 503,
        }
    }

    /// The code as it appears on the wire, e.g. `CONTAINER_NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed => "VALIDATION_FAILED",
            Self::InvalidJson => "INVALID_JSON",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::RouteNotFound => "ROUTE_NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::HostNotFound => "HOST_NOT_FOUND",
            Self::HostExists => "HOST_EXISTS",
            Self::ContainerNotFound => "CONTAINER_NOT_FOUND",
            Self::ImageNotFound => "IMAGE_NOT_FOUND",
            Self::VolumeNotFound => "VOLUME_NOT_FOUND",
            Self::NetworkNotFound => "NETWORK_NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::PolicyViolation => "POLICY_VIOLATION",
            Self::ImagePullFailed => "IMAGE_PULL_FAILED",
            Self::DockerUnavailable => "DOCKER_UNAVAILABLE",
            Self::DockerError => "DOCKER_ERROR",
            Self::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            Self::InternalError => "INTERNAL_ERROR",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::PasswordChangeRequired => "PASSWORD_CHANGE_REQUIRED",
            Self::CsrfTokenInvalid => "CSRF_TOKEN_INVALID",
            Self::RateLimited => "RATE_LIMITED",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::UserExists => "USER_EXISTS",
            Self::LastAdmin => "LAST_ADMIN",
            Self::SessionNotFound => "SESSION_NOT_FOUND",
            Self::ApiKeyNotFound => "API_KEY_NOT_FOUND",
            Self::TaskNotFound => "TASK_NOT_FOUND",
            Self::NodeNotFound => "NODE_NOT_FOUND",
            Self::NotificationChannelNotFound => "NOTIFICATION_CHANNEL_NOT_FOUND",
            Self::NotificationRuleNotFound => "NOTIFICATION_RULE_NOT_FOUND",
            Self::ScheduleNotFound => "SCHEDULE_NOT_FOUND",
            Self::WebhookNotFound => "WEBHOOK_NOT_FOUND",
            Self::TagNotFound => "TAG_NOT_FOUND",
        }
    }

    /// Every code, for tests and documentation.
    pub const ALL: [ErrorCode; 37] = [
        Self::ValidationFailed,
        Self::InvalidJson,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::RouteNotFound,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::HostNotFound,
        Self::HostExists,
        Self::ContainerNotFound,
        Self::ImageNotFound,
        Self::VolumeNotFound,
        Self::NetworkNotFound,
        Self::Conflict,
        Self::PolicyViolation,
        Self::ImagePullFailed,
        Self::DockerUnavailable,
        Self::DockerError,
        Self::DatabaseUnavailable,
        Self::InternalError,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::PasswordChangeRequired,
        Self::CsrfTokenInvalid,
        Self::RateLimited,
        Self::UserNotFound,
        Self::UserExists,
        Self::LastAdmin,
        Self::SessionNotFound,
        Self::ApiKeyNotFound,
        Self::TaskNotFound,
        Self::NodeNotFound,
        Self::NotificationChannelNotFound,
        Self::NotificationRuleNotFound,
        Self::ScheduleNotFound,
        Self::WebhookNotFound,
        Self::TagNotFound,
    ];
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorBody,
    /// Always `"error"`.
    pub status: String,
    /// The request's id, also in the `X-Request-Id` header; quote it when reporting a problem.
    pub request_id: String,
}

/// What went wrong, for people (`message`) and programs (`code`, `field`, `details`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// Extra context (never a secret); an empty object when there is none.
    #[ts(type = "Record<string, unknown>")]
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// For validation failures: the request field at fault, as a dotted path (`ports.0.host_port`).
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_wire_name_and_has_an_error_status() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            assert!(code.http_status() >= 400, "{code:?}");
        }
    }
}
