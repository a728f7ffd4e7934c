//! Channel settings: validation (errors name the field), the split into plain settings and
//! sealed secrets for storage, and the secret-free view the API answers.

use berth_api::notify::{Channel, ChannelConfig};
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::secrets::SecretBox;
use crate::store::ChannelRecord;

/// The fields of each kind that are secret: stored sealed, never answered.
pub fn secret_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "discord" | "slack" => &["webhook_url"],
        "ntfy" => &["token", "password"],
        "webhook" => &["url", "headers"],
        "email" => &["password"],
        _ => &[],
    }
}

/// The kind's wire name.
pub fn kind_of(config: &ChannelConfig) -> &'static str {
    match config {
        ChannelConfig::Discord { .. } => "discord",
        ChannelConfig::Ntfy { .. } => "ntfy",
        ChannelConfig::Slack { .. } => "slack",
        ChannelConfig::Webhook { .. } => "webhook",
        ChannelConfig::Email { .. } => "email",
    }
}

/// The placeholders a generic webhook template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "event",
    "title",
    "message",
    "host",
    "container",
    "time",
    "key",
];

/// The template a generic webhook sends when it names none.
pub const DEFAULT_TEMPLATE: &str = r#"{"event":"{{event}}","title":"{{title}}","message":"{{message}}","host":"{{host}}","container":"{{container}}","time":"{{time}}"}"#;

/// Checks a complete configuration (secrets included); the error names the field.
pub fn validate(config: &ChannelConfig) -> Result<(), AppError> {
    match config {
        ChannelConfig::Discord {
            webhook_url,
            username,
        } => {
            http_url("config.webhook_url", webhook_url.as_deref())?;
            if let Some(name) = username
                && (name.is_empty() || name.chars().count() > 80)
            {
                return Err(AppError::validation(
                    "config.username",
                    "a Discord user name is 1–80 characters",
                ));
            }
        }
        ChannelConfig::Slack { webhook_url, .. } => {
            http_url("config.webhook_url", webhook_url.as_deref())?;
        }
        ChannelConfig::Ntfy {
            server,
            topic,
            token,
            username,
            password,
            priority,
        } => {
            http_url("config.server", Some(server))?;
            if topic.is_empty()
                || topic.len() > 64
                || !topic
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(AppError::validation(
                    "config.topic",
                    "an ntfy topic is 1–64 letters, digits, `_` or `-`",
                ));
            }
            if token.is_some() && (username.is_some() || password.is_some()) {
                return Err(AppError::validation(
                    "config.token",
                    "use a token or a user name and password, not both",
                ));
            }
            if username.is_some() != password.is_some() {
                return Err(AppError::validation(
                    "config.password",
                    "basic authentication needs both a user name and a password",
                ));
            }
            if priority.is_some_and(|p| !(1..=5).contains(&p)) {
                return Err(AppError::validation(
                    "config.priority",
                    "ntfy priorities are 1 (min) to 5 (max)",
                ));
            }
        }
        ChannelConfig::Webhook {
            url,
            method,
            headers,
            template,
        } => {
            http_url("config.url", url.as_deref())?;
            if let Some(m) = method
                && !matches!(m.to_ascii_uppercase().as_str(), "POST" | "PUT" | "PATCH")
            {
                return Err(AppError::validation(
                    "config.method",
                    "the method is POST, PUT or PATCH",
                ));
            }
            for (name, value) in headers.iter().flatten() {
                if http::HeaderName::from_bytes(name.as_bytes()).is_err()
                    || http::HeaderValue::from_str(value).is_err()
                {
                    return Err(AppError::validation(
                        format!("config.headers.{name}"),
                        "not a valid HTTP header name and value",
                    ));
                }
            }
            if let Some(t) = template {
                let probe = render_template(t, |_| "x".to_owned());
                if let Err(e) = serde_json::from_str::<Value>(&probe) {
                    return Err(AppError::validation(
                        "config.template",
                        format!("the template is not JSON once placeholders are filled: {e}"),
                    ));
                }
            }
        }
        ChannelConfig::Email {
            host,
            from,
            to,
            username,
            password,
            ..
        } => {
            if host.is_empty() || host.len() > 253 || host.contains(['/', ' ', '@']) {
                return Err(AppError::validation(
                    "config.host",
                    "an SMTP server name or address",
                ));
            }
            if from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(AppError::validation("config.from", "not an e-mail address"));
            }
            if to.is_empty() {
                return Err(AppError::validation("config.to", "at least one recipient"));
            }
            for (i, addr) in to.iter().enumerate() {
                if addr.parse::<lettre::message::Mailbox>().is_err() {
                    return Err(AppError::validation(
                        format!("config.to.{i}"),
                        "not an e-mail address",
                    ));
                }
            }
            if username.is_some() != password.is_some() {
                return Err(AppError::validation(
                    "config.password",
                    "SMTP authentication needs both a user name and a password",
                ));
            }
        }
    }
    Ok(())
}

fn http_url(field: &str, value: Option<&str>) -> Result<reqwest::Url, AppError> {
    let Some(value) = value else {
        return Err(AppError::validation(field, "required"));
    };
    let url = reqwest::Url::parse(value)
        .map_err(|e| AppError::validation(field, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(AppError::validation(
            field,
            "an http:// or https:// address with a host",
        ));
    }
    Ok(url)
}

/// Fills `{{name}}` placeholders with `value(name)`; unknown names are left as they are.
pub fn render_template(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) if PLACEHOLDERS.contains(&after[..end].trim()) => {
                out.push_str(&value(after[..end].trim()));
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// What is stored for a configuration.
pub struct Stored {
    /// Kind.
    pub kind: &'static str,
    /// JSON settings without secrets.
    pub settings: String,
    /// The sealed secrets (None when no secret field is set).
    pub secrets: Option<String>,
    /// Display target.
    pub target: String,
}

/// Splits a configuration into plain settings and sealed secrets.
pub fn seal(config: &ChannelConfig, secrets: &SecretBox) -> Result<Stored, AppError> {
    let kind = kind_of(config);
    let mut value = serde_json::to_value(config).map_err(AppError::internal)?;
    let mut hidden = Map::new();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("kind");
        for field in secret_fields(kind) {
            if let Some(v) = obj.remove(*field)
                && !v.is_null()
                && v != Value::Object(Map::new())
            {
                hidden.insert((*field).to_owned(), v);
            }
        }
    }
    let secrets = if hidden.is_empty() {
        None
    } else {
        Some(
            secrets
                .seal(&Value::Object(hidden).to_string())
                .map_err(AppError::internal)?,
        )
    };
    Ok(Stored {
        kind,
        settings: value.to_string(),
        secrets,
        target: target(config),
    })
}

/// The stored secrets of a channel as a JSON object.
pub fn open_secrets(
    record: &ChannelRecord,
    secrets: &SecretBox,
) -> Result<Map<String, Value>, AppError> {
    match &record.secrets {
        None => Ok(Map::new()),
        Some(sealed) => {
            let plain = secrets.open(sealed).map_err(AppError::internal)?;
            match serde_json::from_str(&plain) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(AppError::internal(
                    "sealed channel secrets are not an object",
                )),
            }
        }
    }
}

/// The full configuration of a stored channel, secrets opened.
pub fn open(record: &ChannelRecord, secrets: &SecretBox) -> Result<ChannelConfig, AppError> {
    let mut value: Value = serde_json::from_str(&record.settings).map_err(AppError::internal)?;
    if let Some(obj) = value.as_object_mut() {
        obj.extend(open_secrets(record, secrets)?);
        obj.insert("kind".to_owned(), Value::String(record.kind.clone()));
    }
    serde_json::from_value(value).map_err(AppError::internal)
}

/// For an update: a new configuration of the same kind keeps the stored secrets it leaves out
/// (an empty string clears one).
pub fn keep_secrets(
    new: ChannelConfig,
    old: &ChannelRecord,
    secrets: &SecretBox,
) -> Result<ChannelConfig, AppError> {
    let kind = kind_of(&new);
    if kind != old.kind {
        return Ok(new);
    }
    let stored = open_secrets(old, secrets)?;
    let mut value = serde_json::to_value(&new).map_err(AppError::internal)?;
    if let Some(obj) = value.as_object_mut() {
        let has_user = obj.get("username").is_some_and(|v| !v.is_null());
        for field in secret_fields(kind) {
            // An empty string clears a secret.
            if obj.get(*field).is_some_and(|v| v == "") {
                obj.remove(*field);
                continue;
            }
            // A password only goes with a user name; an ntfy token only without one (so a
            // change of authentication does not drag the old one along).
            let fits = match *field {
                "password" => has_user,
                "token" => !has_user,
                _ => true,
            };
            if fits
                && obj.get(*field).is_none_or(Value::is_null)
                && let Some(v) = stored.get(*field)
            {
                obj.insert((*field).to_owned(), v.clone());
            }
        }
    }
    serde_json::from_value(value).map_err(AppError::internal)
}

/// The API view: settings without secrets, and which secrets are set.
pub fn view(record: &ChannelRecord, secrets: &SecretBox) -> Channel {
    let secrets_set = open_secrets(record, secrets)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    Channel {
        id: record.id,
        name: record.name.clone(),
        kind: record.kind.clone(),
        enabled: record.enabled,
        settings: serde_json::from_str(&record.settings).unwrap_or_default(),
        secrets_set,
        target: record.target.clone(),
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

/// Where a channel sends, with nothing secret: scheme and host (and the ntfy topic).
pub fn target(config: &ChannelConfig) -> String {
    let origin = |u: Option<&str>| {
        u.and_then(|u| reqwest::Url::parse(u).ok())
            .map(|u| {
                let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!(
                    "{}://{}{port}",
                    u.scheme(),
                    u.host_str().unwrap_or_default()
                )
            })
            .unwrap_or_default()
    };
    match config {
        ChannelConfig::Discord { webhook_url, .. } | ChannelConfig::Slack { webhook_url, .. } => {
            origin(webhook_url.as_deref())
        }
        ChannelConfig::Webhook { url, .. } => origin(url.as_deref()),
        ChannelConfig::Ntfy { server, topic, .. } => {
            format!("{}/{topic}", origin(Some(server)))
        }
        ChannelConfig::Email { host, port, to, .. } => format!(
            "smtp://{host}{} → {}",
            port.map(|p| format!(":{p}")).unwrap_or_default(),
            to.join(", ")
        ),
    }
}

/// Checks a channel name.
pub fn check_name(field: &str, name: &str) -> Result<(), AppError> {
    if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(AppError::validation(field, "a name is 1–64 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_known_placeholders_only() {
        let out = render_template(
            r#"{"a":"{{title}}","b":"{{nope}}","c":"{{ host }}"}"#,
            |n| format!("<{n}>"),
        );
        assert_eq!(out, r#"{"a":"<title>","b":"{{nope}}","c":"<host>"}"#);
    }

    #[test]
    fn secrets_are_split_out_and_come_back() {
        let secrets = SecretBox::from_key(&[1; 32]);
        let config = ChannelConfig::Ntfy {
            server: "https://ntfy.example".to_owned(),
            topic: "ops".to_owned(),
            token: Some("tk_secret".to_owned()),
            username: None,
            password: None,
            priority: Some(4),
        };
        let stored = seal(&config, &secrets).unwrap();
        assert!(!stored.settings.contains("tk_secret"));
        assert!(!stored.secrets.as_deref().unwrap().contains("tk_secret"));
        let record = ChannelRecord {
            id: 1,
            name: "n".to_owned(),
            kind: stored.kind.to_owned(),
            enabled: true,
            settings: stored.settings,
            secrets: stored.secrets,
            target: stored.target,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        assert_eq!(open(&record, &secrets).unwrap(), config);
        assert_eq!(view(&record, &secrets).secrets_set, vec!["token"]);

        // Same kind, token left out: kept. Switching to a user name: the token is not carried.
        let ntfy =
            |token: Option<&str>, user: Option<&str>, pw: Option<&str>| ChannelConfig::Ntfy {
                server: "https://ntfy.example".to_owned(),
                topic: "ops".to_owned(),
                token: token.map(str::to_owned),
                username: user.map(str::to_owned),
                password: pw.map(str::to_owned),
                priority: None,
            };
        let kept = keep_secrets(ntfy(None, None, None), &record, &secrets).unwrap();
        assert_eq!(kept, ntfy(Some("tk_secret"), None, None));
        let switched =
            keep_secrets(ntfy(None, Some("bob"), Some("pw")), &record, &secrets).unwrap();
        assert_eq!(switched, ntfy(None, Some("bob"), Some("pw")));
        let cleared = keep_secrets(ntfy(Some(""), None, None), &record, &secrets).unwrap();
        assert_eq!(cleared, ntfy(None, None, None));
    }
}
