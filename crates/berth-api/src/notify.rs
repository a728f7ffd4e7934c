//! Notifications out: channels (where messages go), rules (which events go where) and deliveries
//! (the outcome of each send). Channel secrets are write-only: responses only say which are set.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// How e-mail reaches the SMTP server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption (only for a relay on a trusted network).
    None,
}

/// Where a channel sends, by kind. Secret fields (`webhook_url`, `token`, `password`, the generic
/// webhook's `url` and `headers`) are accepted here and never answered back.
#[derive(Clone, PartialEq, Serialize, Deserialize, ToSchema, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ChannelConfig {
    /// A Discord webhook (mentions are always disabled).
    Discord {
        /// `https://discord.com/api/webhooks/{id}/{token}` (secret).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        webhook_url: Option<String>,
        /// The name the message is posted under.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
    },
    /// An ntfy server: a JSON message posted to the server root with the topic.
    Ntfy {
        /// The server, e.g. `https://ntfy.sh`.
        server: String,
        /// The topic.
        topic: String,
        /// An access token (secret), sent as a bearer token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// User for basic authentication.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// Password for basic authentication (secret).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        /// Priority 1–5.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<u8>,
    },
    /// A Slack incoming webhook.
    Slack {
        /// `https://hooks.slack.com/services/…` (secret).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        webhook_url: Option<String>,
        /// A channel override, e.g. `#ops`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    /// Any HTTP endpoint, with a JSON body made from a template.
    Webhook {
        /// The address (secret: it often carries a token).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// `POST` (default), `PUT` or `PATCH`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<String>,
        /// Extra request headers (secret: they often carry credentials).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        headers: Option<BTreeMap<String, String>>,
        /// A JSON body with placeholders `{{event}}`, `{{title}}`, `{{message}}`, `{{host}}`,
        /// `{{container}}`, `{{time}}`; values are escaped for use inside JSON strings.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<String>,
    },
    /// E-mail over SMTP.
    Email {
        /// SMTP server name.
        host: String,
        /// Port; by default 587 (STARTTLS), 465 (TLS) or 25 (none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// Connection security.
        #[serde(default)]
        security: SmtpSecurity,
        /// SMTP user.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// SMTP password (secret).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        /// Sender address.
        from: String,
        /// Recipients.
        to: Vec<String>,
    },
}

/// `POST /notifications/channels`: a `config`, or a shoutrrr-style `url` (`discord://…`,
/// `ntfy://…`, `slack://…`, `generic+https://…`, `smtp://…`).
#[derive(Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ChannelCreate {
    /// Unique name.
    pub name: String,
    /// Whether it sends (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The settings.
    #[serde(default)]
    pub config: Option<ChannelConfig>,
    /// A shoutrrr URL instead of `config`.
    #[serde(default)]
    pub url: Option<String>,
}

/// `PATCH /notifications/channels/{id}`. A new `config` of the same kind keeps the stored
/// secrets it leaves out.
#[derive(Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ChannelUpdate {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// Enable or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// New settings.
    #[serde(default)]
    pub config: Option<ChannelConfig>,
    /// New settings as a shoutrrr URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// `Debug` that never prints a secret: only the kind and the non-secret settings.
impl std::fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Discord { username, .. } => f
                .debug_struct("Discord")
                .field("username", username)
                .finish_non_exhaustive(),
            Self::Ntfy {
                server,
                topic,
                username,
                priority,
                ..
            } => f
                .debug_struct("Ntfy")
                .field("server", server)
                .field("topic", topic)
                .field("username", username)
                .field("priority", priority)
                .finish_non_exhaustive(),
            Self::Slack { channel, .. } => f
                .debug_struct("Slack")
                .field("channel", channel)
                .finish_non_exhaustive(),
            Self::Webhook {
                method, template, ..
            } => f
                .debug_struct("Webhook")
                .field("method", method)
                .field("template", template)
                .finish_non_exhaustive(),
            Self::Email {
                host,
                port,
                security,
                username,
                from,
                to,
                ..
            } => f
                .debug_struct("Email")
                .field("host", host)
                .field("port", port)
                .field("security", security)
                .field("username", username)
                .field("from", from)
                .field("to", to)
                .finish_non_exhaustive(),
        }
    }
}

/// `Debug` without the shoutrrr URL (it holds credentials).
impl std::fmt::Debug for ChannelCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelCreate")
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("config", &self.config)
            .field("url", &self.url.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// `Debug` without the shoutrrr URL (it holds credentials).
impl std::fmt::Debug for ChannelUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelUpdate")
            .field("name", &self.name)
            .field("enabled", &self.enabled)
            .field("config", &self.config)
            .field("url", &self.url.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A channel as answered: its settings without secrets.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Channel {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// `discord`, `ntfy`, `slack`, `webhook` or `email`.
    pub kind: String,
    /// Whether it sends.
    pub enabled: bool,
    /// The settings with secret fields left out.
    #[ts(type = "Record<string, unknown>")]
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Names of the secret fields that are set (their values are never answered).
    pub secrets_set: Vec<String>,
    /// Where it sends, without secrets (scheme and host).
    pub target: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What can be notified.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema, TS,
)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NotifyEventKind {
    /// A scheduled run failed.
    ScheduleRunFailed,
    /// A scheduled run succeeded.
    ScheduleRunSucceeded,
    /// A container exited with a non-zero code.
    ContainerDied,
    /// A container was killed for running out of memory.
    ContainerOom,
    /// A container's health check reports unhealthy.
    ContainerUnhealthy,
    /// A container restarted several times in a short while.
    ContainerRestartLoop,
    /// A host stopped answering.
    HostOffline,
    /// A host answers again.
    HostOnline,
    /// A newer image exists for a container.
    UpdateAvailable,
    /// A container was recreated with a newer image.
    UpdateApplied,
    /// Several failed sign-ins for one user name or address.
    LoginFailures,
    /// A test message (send test).
    Test,
}

/// `POST /notifications/rules`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RuleCreate {
    /// Unique name.
    pub name: String,
    /// Whether it applies (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// The events it matches (at least one).
    pub events: Vec<NotifyEventKind>,
    /// Channel ids to send to (at least one).
    pub channels: Vec<i64>,
    /// Only these hosts (empty: all).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Only containers with one of these tags (empty: any).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Only containers with all these labels, `key` or `key=value` (empty: any).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Seconds in which the same event (same kind and subject) is sent once (default 300).
    #[serde(default)]
    pub cooldown_secs: Option<u64>,
}

/// `PATCH /notifications/rules/{id}`: fields to change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RuleUpdate {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// Enable or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// New events.
    #[serde(default)]
    pub events: Option<Vec<NotifyEventKind>>,
    /// New channels.
    #[serde(default)]
    pub channels: Option<Vec<i64>>,
    /// New host filter.
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    /// New tag filter.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// New label filter.
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// New cooldown.
    #[serde(default)]
    pub cooldown_secs: Option<u64>,
}

/// A rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Rule {
    /// Id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Whether it applies.
    pub enabled: bool,
    /// Events matched.
    pub events: Vec<NotifyEventKind>,
    /// Channel ids.
    pub channels: Vec<i64>,
    /// Host filter (empty: all).
    pub hosts: Vec<String>,
    /// Tag filter (empty: any).
    pub tags: Vec<String>,
    /// Label filter (empty: any).
    pub labels: Vec<String>,
    /// Cooldown in seconds.
    pub cooldown_secs: u64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// The outcome of one send.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// The channel (absent once it was deleted).
    pub channel_id: Option<i64>,
    /// The channel's name at the time.
    pub channel_name: String,
    /// The rule that matched (absent for a send test).
    pub rule_id: Option<i64>,
    /// The event.
    pub event: NotifyEventKind,
    /// What the event was about, e.g. `container_died:local:web` (deduplication key).
    pub event_key: String,
    /// The message title.
    pub title: String,
    /// Whether the service accepted it.
    pub ok: bool,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// When the event was queued.
    pub created_at: DateTime<Utc>,
    /// When the last attempt ended.
    pub finished_at: DateTime<Utc>,
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, TS)]
#[ts(export)]
pub struct DeliveryPage {
    /// Deliveries, newest first.
    pub deliveries: Vec<Delivery>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_secret() {
        let create = ChannelCreate {
            name: "n".to_owned(),
            enabled: None,
            config: Some(ChannelConfig::Ntfy {
                server: "https://ntfy.sh".to_owned(),
                topic: "t".to_owned(),
                token: Some("tk_secret".to_owned()),
                username: None,
                password: Some("pw_secret".to_owned()),
                priority: None,
            }),
            url: Some("discord://dc_secret@1".to_owned()),
        };
        let text = format!("{create:?}");
        assert!(text.contains("ntfy.sh"), "{text}");
        for secret in ["tk_secret", "pw_secret", "dc_secret"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
