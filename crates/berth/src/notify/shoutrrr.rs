//! shoutrrr-style URLs (what Watchtower users already have in `WATCHTOWER_NOTIFICATION_URL`),
//! parsed into the same channel configurations the API takes as JSON. Errors name the field `url`.

use std::collections::BTreeMap;

use berth_api::notify::{ChannelConfig, SmtpSecurity};
use reqwest::Url;

use crate::error::AppError;

fn bad(why: impl Into<String>) -> AppError {
    AppError::validation("url", why)
}

/// Percent-decoded user info part.
fn decoded(s: &str) -> String {
    percent_decode(s)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Parses a shoutrrr URL into a channel configuration (not yet validated).
pub fn parse(raw: &str) -> Result<ChannelConfig, AppError> {
    let url = Url::parse(raw.trim()).map_err(|e| bad(format!("not a URL: {e}")))?;
    match url.scheme() {
        "discord" => discord(&url),
        "ntfy" => ntfy(&url),
        "slack" => slack(&url),
        "smtp" => smtp(&url),
        s if s == "generic" || s.starts_with("generic+") => generic(&url, raw.trim()),
        other => Err(bad(format!(
            "unsupported scheme `{other}`: use discord://, ntfy://, slack://, generic+https:// or smtp://"
        ))),
    }
}

/// `discord://token@webhookid[?username=…]`.
fn discord(url: &Url) -> Result<ChannelConfig, AppError> {
    let token = decoded(url.username());
    let id = url.host_str().unwrap_or_default();
    if token.is_empty() || id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad("a Discord URL is discord://token@webhook-id"));
    }
    let q = query(url);
    Ok(ChannelConfig::Discord {
        webhook_url: Some(format!("https://discord.com/api/webhooks/{id}/{token}")),
        username: q.get("username").cloned(),
    })
}

/// `ntfy://[user:pass@]host[:port]/topic[?scheme=http&priority=4&token=…]`; a password with
/// no user name is an access token.
fn ntfy(url: &Url) -> Result<ChannelConfig, AppError> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("an ntfy URL is ntfy://[user:pass@]host/topic"))?;
    let topic = url.path().trim_matches('/').to_owned();
    if topic.is_empty() || topic.contains('/') {
        return Err(bad("an ntfy URL names one topic: ntfy://host/topic"));
    }
    let q = query(url);
    let scheme = q.get("scheme").map_or("https", String::as_str);
    if scheme != "http" && scheme != "https" {
        return Err(bad("the ntfy `scheme` parameter is http or https"));
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let user = decoded(url.username());
    let pass = url.password().map(decoded);
    let (mut token, username, password) = match (user.is_empty(), pass) {
        (true, Some(p)) => (Some(p), None, None),
        (false, Some(p)) => (None, Some(user), Some(p)),
        (false, None) => return Err(bad("an ntfy user name needs a password")),
        (true, None) => (None, None, None),
    };
    if let Some(t) = q.get("token") {
        token = Some(t.clone());
    }
    let priority = match q.get("priority") {
        None => None,
        Some(p) => Some(ntfy_priority(p)?),
    };
    Ok(ChannelConfig::Ntfy {
        server: format!("{scheme}://{host}{port}"),
        topic,
        token,
        username,
        password,
        priority,
    })
}

fn ntfy_priority(p: &str) -> Result<u8, AppError> {
    Ok(match p.to_ascii_lowercase().as_str() {
        "min" | "1" => 1,
        "low" | "2" => 2,
        "default" | "3" => 3,
        "high" | "4" => 4,
        "max" | "urgent" | "5" => 5,
        _ => {
            return Err(bad(
                "the ntfy priority is 1–5 or min, low, default, high, max",
            ));
        }
    })
}

/// `slack://hook:AAA-BBB-CCC@webhook[?channel=…]` or the older `slack://AAA/BBB/CCC`.
fn slack(url: &Url) -> Result<ChannelConfig, AppError> {
    let q = query(url);
    let parts: Vec<String> = if url.password().is_some() {
        if url.username() != "hook" {
            return Err(bad(
                "a Slack webhook URL is slack://hook:AAA-BBB-CCC@webhook (API tokens are not supported)",
            ));
        }
        decoded(url.password().unwrap_or_default())
            .split('-')
            .map(str::to_owned)
            .collect()
    } else {
        std::iter::once(url.host_str().unwrap_or_default().to_owned())
            .chain(url.path().trim_matches('/').split('/').map(str::to_owned))
            .collect()
    };
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(char::is_alphanumeric))
    {
        return Err(bad(
            "a Slack URL is slack://hook:AAA-BBB-CCC@webhook or slack://AAA/BBB/CCC",
        ));
    }
    Ok(ChannelConfig::Slack {
        webhook_url: Some(format!(
            "https://hooks.slack.com/services/{}/{}/{}",
            parts[0], parts[1], parts[2]
        )),
        channel: q.get("channel").cloned(),
    })
}

/// `generic+https://host/path?…` (or `generic://host/path`, HTTPS unless `disabletls=yes`):
/// `@Name=value` parameters become headers, `method=` the method; the rest stays in the URL.
fn generic(url: &Url, raw: &str) -> Result<ChannelConfig, AppError> {
    let inner_scheme = match url.scheme().strip_prefix("generic+") {
        Some(s @ ("http" | "https")) => s.to_owned(),
        Some(_) => return Err(bad("use generic+http:// or generic+https://")),
        None => String::new(),
    };
    let after = raw.split_once("://").map_or("", |(_, rest)| rest);
    let mut target =
        Url::parse(&format!("https://{after}")).map_err(|e| bad(format!("not a URL: {e}")))?;
    if target.host_str().is_none_or(str::is_empty) {
        return Err(bad("a generic URL needs a host"));
    }
    let mut headers = BTreeMap::new();
    let mut method = None;
    let mut kept = Vec::new();
    let mut disable_tls = false;
    for (k, v) in target.query_pairs() {
        if let Some(name) = k.strip_prefix('@') {
            headers.insert(name.to_owned(), v.into_owned());
        } else if k.eq_ignore_ascii_case("method") {
            method = Some(v.to_ascii_uppercase());
        } else if k.eq_ignore_ascii_case("disabletls") {
            disable_tls = matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1");
        } else {
            kept.push((k.into_owned(), v.into_owned()));
        }
    }
    let scheme = if inner_scheme.is_empty() {
        if disable_tls { "http" } else { "https" }.to_owned()
    } else {
        inner_scheme
    };
    target
        .set_scheme(&scheme)
        .map_err(|()| bad("could not use the scheme"))?;
    if kept.is_empty() {
        target.set_query(None);
    } else {
        target.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(ChannelConfig::Webhook {
        url: Some(target.to_string()),
        method,
        headers: (!headers.is_empty()).then_some(headers),
        template: None,
    })
}

/// `smtp://[user:pass@]host[:port]/?from=a@b&to=c@d,e@f[&encryption=none|explicittls|implicittls|auto]`.
fn smtp(url: &Url) -> Result<ChannelConfig, AppError> {
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("an SMTP URL is smtp://[user:pass@]host[:port]/?from=…&to=…"))?;
    let q = query(url);
    let from = q
        .get("from")
        .or_else(|| q.get("fromaddress"))
        .cloned()
        .ok_or_else(|| bad("an SMTP URL needs `from=`"))?;
    let to: Vec<String> = q
        .get("to")
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if to.is_empty() {
        return Err(bad("an SMTP URL needs `to=` (comma-separated)"));
    }
    let port = url.port();
    let security = match q
        .get("encryption")
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("none") => SmtpSecurity::None,
        Some("explicittls" | "starttls") => SmtpSecurity::Starttls,
        Some("implicittls" | "tls") => SmtpSecurity::Tls,
        Some("auto") | None => {
            if port == Some(465) {
                SmtpSecurity::Tls
            } else if q.get("usestarttls").is_some_and(|v| v == "no") || port == Some(25) {
                SmtpSecurity::None
            } else {
                SmtpSecurity::Starttls
            }
        }
        Some(_) => {
            return Err(bad(
                "the SMTP `encryption` is none, explicittls, implicittls or auto",
            ));
        }
    };
    let user = decoded(url.username());
    let (username, password) = match (user.is_empty(), url.password()) {
        (true, None) => (None, None),
        (false, Some(p)) => (Some(user), Some(decoded(p))),
        _ => {
            return Err(bad(
                "SMTP authentication needs both a user name and a password",
            ));
        }
    };
    Ok(ChannelConfig::Email {
        host: host.to_owned(),
        port,
        security,
        username,
        password,
        from,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_escapes_in_user_info_are_decoded() {
        assert_eq!(percent_decode("p%40ss%2Fw"), "p@ss/w");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
