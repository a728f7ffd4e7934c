//! Berth's API contract: every request and response body of `/api/v1`, and the error codes.
//!
//! This crate does no I/O. Its types derive `serde` (the wire format), `utoipa::ToSchema` (the
//! OpenAPI document) and `ts_rs::TS` (the TypeScript definitions the web UI imports), so the
//! server, the documentation and the browser cannot drift apart.

pub mod auth;
pub mod containers;
pub mod error;
pub mod health;
pub mod hosts;
pub mod images;
pub mod networks;
pub mod notify;
pub mod schedules;
pub mod streams;
pub mod system;
pub mod updates;
pub mod vantage6;
pub mod volumes;

pub use error::{ErrorBody, ErrorCode, ErrorEnvelope};
