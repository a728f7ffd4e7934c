//! Docker's answers mapped to Berth's errors: its 404 and 409 become ours, a silent engine 503.

use berth_api::ErrorCode;
use bollard::errors::Error as DockerError;
use serde_json::json;

use crate::error::AppError;

/// The kind of object a call was about, to pick the right not-found code.
#[derive(Debug, Clone, Copy)]
pub enum Resource {
    /// A container.
    Container,
    /// An image.
    Image,
    /// A volume.
    Volume,
    /// A network.
    Network,
    /// The engine itself.
    Engine,
}

impl Resource {
    fn not_found(self) -> ErrorCode {
        match self {
            Self::Container => ErrorCode::ContainerNotFound,
            Self::Image => ErrorCode::ImageNotFound,
            Self::Volume => ErrorCode::VolumeNotFound,
            Self::Network => ErrorCode::NetworkNotFound,
            Self::Engine => ErrorCode::DockerError,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Container => "container",
            Self::Image => "image",
            Self::Volume => "volume",
            Self::Network => "network",
            Self::Engine => "object",
        }
    }
}

/// A failed engine call, before it is tied to a resource.
#[derive(Debug)]
pub enum EngineError {
    /// The engine did not answer in time, or not at all.
    Unavailable {
        /// The host.
        host: String,
        /// Why.
        reason: String,
    },
    /// The engine answered with an error.
    Api(DockerError),
}

impl EngineError {
    /// Whether this means the engine cannot be reached (as opposed to refusing a request).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// The engine's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(DockerError::DockerResponseServerError { status_code, .. }) => {
                Some(*status_code)
            }
            _ => None,
        }
    }

    /// Maps to the client-facing error, naming the object the call was about.
    pub fn into_app(self, resource: Resource, id: &str) -> AppError {
        match self {
            Self::Unavailable { host, reason } => AppError::new(
                ErrorCode::DockerUnavailable,
                format!("the Docker engine of host `{host}` does not answer: {reason}"),
            )
            .with_details(json!({ "host": host })),
            Self::Api(DockerError::DockerResponseServerError {
                status_code,
                message,
            }) => {
                let message = message.trim().to_owned();
                match status_code {
                    404 => AppError::new(
                        resource.not_found(),
                        format!("no {} `{id}`: {message}", resource.noun()),
                    )
                    .with_details(json!({ "id": id })),
                    409 => AppError::new(ErrorCode::Conflict, message)
                        .with_details(json!({ "id": id })),
                    400 => AppError::new(ErrorCode::ValidationFailed, message),
                    403 => AppError::new(ErrorCode::Conflict, message),
                    _ => AppError::new(ErrorCode::DockerError, message)
                        .with_details(json!({ "engine_status": status_code })),
                }
            }
            Self::Api(other) => AppError::new(
                ErrorCode::DockerError,
                format!("unexpected answer from the engine: {other}"),
            ),
        }
    }
}

/// Whether a bollard error means the transport failed (no answer), as opposed to an API error.
pub fn is_transport_error(err: &DockerError) -> bool {
    !matches!(
        err,
        DockerError::DockerResponseServerError { .. }
            | DockerError::JsonDataError { .. }
            | DockerError::JsonSerdeError { .. }
            | DockerError::DockerStreamError { .. }
            | DockerError::DockerContainerWaitError { .. }
    )
}
