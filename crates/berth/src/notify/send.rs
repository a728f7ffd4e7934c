//! Sending one message to one channel: each service's payload and size limits, a time bound per
//! attempt, retries with exponential backoff, and 429 answers waited out as `Retry-After` says.
//! Errors never carry a URL (webhook URLs hold tokens).

use std::time::Duration;

use berth_api::notify::{ChannelConfig, SmtpSecurity};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::channels::{DEFAULT_TEMPLATE, render_template};
use super::event::{NotifyEvent, kind_name};

/// Discord's limit on `content`.
pub const DISCORD_CONTENT_MAX: usize = 2000;
/// Discord's limit on an embed title.
pub const DISCORD_TITLE_MAX: usize = 256;
/// Discord's limit on an embed description.
pub const DISCORD_DESCRIPTION_MAX: usize = 4096;
/// Slack shows at most about this many characters of `text` before cutting it.
pub const SLACK_TEXT_MAX: usize = 4000;
/// ntfy's default message size limit, in bytes (larger ones become attachments).
pub const NTFY_MESSAGE_MAX_BYTES: usize = 4096;
/// A generic webhook's message value, in characters.
pub const WEBHOOK_MESSAGE_MAX: usize = 8000;
/// An e-mail subject, in characters.
pub const EMAIL_SUBJECT_MAX: usize = 200;
/// The longest `Retry-After` honoured; longer ones are cut to this.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(300);

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub backoff: Duration,
    /// The longest wait between attempts (429's `Retry-After` aside).
    pub max_backoff: Duration,
    /// Time bound of one attempt.
    pub timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(15),
        }
    }
}

/// The rendered message.
#[derive(Debug, Clone)]
pub struct Message {
    /// Event kind (wire name).
    pub event: String,
    /// Deduplication key.
    pub key: String,
    /// Title.
    pub title: String,
    /// Body.
    pub message: String,
    /// Host, if any.
    pub host: String,
    /// Container, if any.
    pub container: String,
    /// When it happened.
    pub time: DateTime<Utc>,
}

impl Message {
    /// Renders an event.
    pub fn of(event: &NotifyEvent) -> Self {
        Self {
            event: kind_name(event.kind()),
            key: event.key(),
            title: event.title(),
            message: event.message(),
            host: event.host().unwrap_or_default().to_owned(),
            container: event.container().unwrap_or_default().to_owned(),
            time: Utc::now(),
        }
    }
}

/// How a send ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Accepted.
    pub ok: bool,
    /// The last attempt's error.
    pub error: Option<String>,
    /// Attempts made.
    pub attempts: u32,
}

/// One attempt's failure.
enum Failure {
    /// Worth another try after the backoff.
    Transient(String),
    /// Rate limited: try again after this long (or the backoff).
    RateLimited(String, Option<Duration>),
    /// Another try would fail the same way.
    Permanent(String),
}

/// Sends with retries; stops early when `cancel` fires.
pub async fn deliver(
    client: &reqwest::Client,
    config: &ChannelConfig,
    msg: &Message,
    policy: Policy,
    cancel: &CancellationToken,
) -> Outcome {
    let attempts = policy.attempts.max(1);
    let mut last_error = None;
    for attempt in 1..=attempts {
        let result = tokio::select! {
            () = cancel.cancelled() => Err(Failure::Permanent("the server is shutting down".to_owned())),
            r = tokio::time::timeout(policy.timeout, attempt_once(client, config, msg, policy.timeout)) => match r {
                Ok(r) => r,
                Err(_) => Err(Failure::Transient(format!("no answer within {} s", policy.timeout.as_secs_f32()))),
            },
        };
        let wait = match result {
            Ok(()) => {
                return Outcome {
                    ok: true,
                    error: None,
                    attempts: attempt,
                };
            }
            Err(Failure::Permanent(e)) => {
                return Outcome {
                    ok: false,
                    error: Some(e),
                    attempts: attempt,
                };
            }
            Err(Failure::Transient(e)) => {
                last_error = Some(e);
                backoff(policy, attempt)
            }
            Err(Failure::RateLimited(e, after)) => {
                last_error = Some(e);
                after.map_or_else(|| backoff(policy, attempt), |a| a.min(RETRY_AFTER_MAX))
            }
        };
        if attempt < attempts {
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
    Outcome {
        ok: false,
        error: last_error,
        attempts,
    }
}

fn backoff(policy: Policy, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
    let base = policy
        .backoff
        .saturating_mul(factor)
        .min(policy.max_backoff);
    // Up to 10% jitter so many failing channels do not retry in lockstep.
    let jitter = base.mul_f64(rand::random::<f64>() * 0.1);
    base + jitter
}

async fn attempt_once(
    client: &reqwest::Client,
    config: &ChannelConfig,
    msg: &Message,
    timeout: Duration,
) -> Result<(), Failure> {
    match config {
        ChannelConfig::Discord {
            webhook_url,
            username,
        } => {
            let mut body = json!({
                "content": truncate(&format!("**{}**", msg.title), DISCORD_CONTENT_MAX),
                "allowed_mentions": { "parse": [] },
                "embeds": [{
                    "title": truncate(&msg.title, DISCORD_TITLE_MAX),
                    "description": truncate(&msg.message, DISCORD_DESCRIPTION_MAX),
                    "timestamp": msg.time.to_rfc3339(),
                    "color": colour(&msg.event),
                }],
            });
            if let Some(u) = username {
                body["username"] = Value::String(u.clone());
            }
            post_json(client, "POST", webhook_url.as_deref(), &[], None, body).await
        }
        ChannelConfig::Slack {
            webhook_url,
            channel,
        } => {
            let mut body = json!({
                "text": truncate(&format!("*{}*\n{}", msg.title, msg.message), SLACK_TEXT_MAX),
            });
            if let Some(c) = channel {
                body["channel"] = Value::String(c.clone());
            }
            post_json(client, "POST", webhook_url.as_deref(), &[], None, body).await
        }
        ChannelConfig::Ntfy {
            server,
            topic,
            token,
            username,
            password,
            priority,
        } => {
            let mut body = json!({
                "topic": topic,
                "title": truncate(&msg.title, 250),
                "message": truncate_bytes(&msg.message, NTFY_MESSAGE_MAX_BYTES),
                "tags": [msg.event],
            });
            if let Some(p) = priority {
                body["priority"] = json!(p);
            }
            let auth = match (token, username, password) {
                (Some(t), _, _) => Some(Auth::Bearer(t.clone())),
                (None, Some(u), Some(p)) => Some(Auth::Basic(u.clone(), p.clone())),
                _ => None,
            };
            // ntfy takes JSON messages at the server root; the topic is in the body.
            let root = format!("{}/", server.trim_end_matches('/'));
            post_json(client, "POST", Some(&root), &[], auth, body).await
        }
        ChannelConfig::Webhook {
            url,
            method,
            headers,
            template,
        } => {
            let text = render_template(template.as_deref().unwrap_or(DEFAULT_TEMPLATE), |name| {
                let value = match name {
                    "event" => msg.event.clone(),
                    "title" => msg.title.clone(),
                    "message" => truncate(&msg.message, WEBHOOK_MESSAGE_MAX),
                    "host" => msg.host.clone(),
                    "container" => msg.container.clone(),
                    "time" => msg.time.to_rfc3339(),
                    "key" => msg.key.clone(),
                    _ => String::new(),
                };
                json_escape(&value)
            });
            let body: Value = serde_json::from_str(&text)
                .map_err(|e| Failure::Permanent(format!("the template is not JSON: {e}")))?;
            let headers: Vec<(String, String)> = headers
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            post_json(
                client,
                method.as_deref().unwrap_or("POST"),
                url.as_deref(),
                &headers,
                None,
                body,
            )
            .await
        }
        ChannelConfig::Email {
            host,
            port,
            security,
            username,
            password,
            from,
            to,
        } => {
            send_email(
                EmailTarget {
                    host,
                    port: *port,
                    security: *security,
                    username: username.as_deref(),
                    password: password.as_deref(),
                    from,
                    to,
                },
                msg,
                timeout,
            )
            .await
        }
    }
}

enum Auth {
    Bearer(String),
    Basic(String, String),
}

async fn post_json(
    client: &reqwest::Client,
    method: &str,
    url: Option<&str>,
    headers: &[(String, String)],
    auth: Option<Auth>,
    body: Value,
) -> Result<(), Failure> {
    let url = url.ok_or_else(|| Failure::Permanent("no address is set".to_owned()))?;
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| Failure::Permanent("bad method".to_owned()))?;
    let mut req = client.request(method, url).json(&body);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    req = match auth {
        Some(Auth::Bearer(t)) => req.bearer_auth(t),
        Some(Auth::Basic(u, p)) => req.basic_auth(u, Some(p)),
        None => req,
    };
    let res = req.send().await.map_err(|e| {
        // The URL may hold a token: never let it into the error text.
        Failure::Transient(e.without_url().to_string())
    })?;
    let status = res.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let text = res.text().await.unwrap_or_default();
    let error = format!("HTTP {}: {}", status.as_u16(), truncate(text.trim(), 200));
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(Failure::RateLimited(error, retry_after))
    } else if status.is_server_error() || status == reqwest::StatusCode::REQUEST_TIMEOUT {
        Err(Failure::Transient(error))
    } else {
        Err(Failure::Permanent(error))
    }
}

/// `Retry-After`: seconds (Discord may send fractions) or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?;
    (when.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

struct EmailTarget<'a> {
    host: &'a str,
    port: Option<u16>,
    security: SmtpSecurity,
    username: Option<&'a str>,
    password: Option<&'a str>,
    from: &'a str,
    to: &'a [String],
}

async fn send_email(t: EmailTarget<'_>, msg: &Message, timeout: Duration) -> Result<(), Failure> {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

    let permanent = |e: &dyn std::fmt::Display| Failure::Permanent(e.to_string());
    let mut email = lettre::Message::builder()
        .from(t.from.parse().map_err(|e| permanent(&e))?)
        .subject(truncate(&msg.title, EMAIL_SUBJECT_MAX));
    for to in t.to {
        email = email.to(to.parse().map_err(|e| permanent(&e))?);
    }
    let mut body = msg.message.clone();
    body.push_str("\n\n");
    if !msg.host.is_empty() {
        body.push_str(&format!("Host: {}\n", msg.host));
    }
    if !msg.container.is_empty() {
        body.push_str(&format!("Container: {}\n", msg.container));
    }
    body.push_str(&format!(
        "Event: {}\nTime: {}\n\n-- \nBerth\n",
        msg.event,
        msg.time.to_rfc3339()
    ));
    let email = email
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| permanent(&e))?;
    let builder = match t.security {
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(t.host)
            .map_err(|e| permanent(&e))?,
        SmtpSecurity::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(t.host).map_err(|e| permanent(&e))?
        }
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(t.host),
    };
    let mut builder = builder.timeout(Some(timeout));
    if let Some(port) = t.port {
        builder = builder.port(port);
    }
    if let (Some(u), Some(p)) = (t.username, t.password) {
        builder = builder.credentials(Credentials::new(u.to_owned(), p.to_owned()));
    }
    match builder.build().send(email).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
        Err(e) => Err(Failure::Transient(e.to_string())),
    }
}

/// Red for trouble, green for good news, grey otherwise (Discord embed colour).
fn colour(event: &str) -> u32 {
    match event {
        "schedule_run_succeeded" | "host_online" | "update_applied" => 0x2E_CC71,
        "update_available" | "test" => 0x34_98DB,
        _ => 0xE7_4C3C,
    }
}

/// At most `max` characters, the last one `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// At most `max` bytes of UTF-8, cut on a character boundary, `…` when cut.
pub fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A value escaped for use inside a JSON string (without the quotes).
pub fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_characters_and_bytes() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        let cut = truncate_bytes("ééééé", 7);
        assert!(cut.len() <= 7 && cut.ends_with('…'), "{cut}");
    }

    #[test]
    fn escaping_keeps_a_template_valid_json() {
        let v = format!(r#"{{"m":"{}"}}"#, json_escape("a \"quote\"\nand \\ slash"));
        let parsed: Value = serde_json::from_str(&v).unwrap();
        assert_eq!(parsed["m"], "a \"quote\"\nand \\ slash");
    }

    /// HTTPS and SMTP over TLS use rustls with one crypto provider: building and failing to
    /// connect must be an error, never a panic.
    #[tokio::test]
    async fn tls_channels_fail_cleanly_when_nothing_listens() {
        let client = reqwest::Client::builder().build().unwrap();
        let policy = Policy {
            attempts: 1,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            timeout: Duration::from_secs(5),
        };
        let msg = Message::of(&NotifyEvent::Test);
        let cancel = CancellationToken::new();
        let https = ChannelConfig::Slack {
            webhook_url: Some("https://127.0.0.1:1/hook".to_owned()),
            channel: None,
        };
        let out = deliver(&client, &https, &msg, policy, &cancel).await;
        assert!(!out.ok && out.error.is_some());
        assert!(
            !out.error.unwrap_or_default().contains("127.0.0.1:1/hook"),
            "no URL in errors"
        );
        let smtp = ChannelConfig::Email {
            host: "127.0.0.1".to_owned(),
            port: Some(1),
            security: SmtpSecurity::Tls,
            username: None,
            password: None,
            from: "a@example.com".to_owned(),
            to: vec!["b@example.com".to_owned()],
        };
        let out = deliver(&client, &smtp, &msg, policy, &cancel).await;
        assert!(!out.ok && out.error.is_some());
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert!(parse_retry_after("soon").is_none());
    }
}
