//! Rules: which events go to which channels, narrowed by host, tag and label, with a cooldown.

use berth_api::notify::{NotifyEventKind, Rule};

use super::event::NotifyEvent;
use crate::error::AppError;
use crate::store::{RuleRecord, RuleRow};

/// The cooldown when a rule names none.
pub const DEFAULT_COOLDOWN_SECS: u64 = 300;

/// The longest cooldown (a week).
pub const MAX_COOLDOWN_SECS: u64 = 7 * 86_400;

/// A rule with its lists decoded.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Enabled.
    pub enabled: bool,
    /// Events.
    pub events: Vec<NotifyEventKind>,
    /// Channel ids.
    pub channels: Vec<i64>,
    /// Hosts.
    pub hosts: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Labels (`key` or `key=value`).
    pub labels: Vec<String>,
    /// Cooldown.
    pub cooldown_secs: u64,
}

fn list<T: serde::de::DeserializeOwned>(json: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Parsed {
    /// Decodes a stored rule (a list that does not decode is empty).
    pub fn from_record(r: &RuleRecord) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            enabled: r.enabled,
            events: list(&r.events),
            channels: list(&r.channels),
            hosts: list(&r.hosts),
            tags: list(&r.tags),
            labels: list(&r.labels),
            cooldown_secs: u64::try_from(r.cooldown_secs).unwrap_or(0),
        }
    }

    /// Whether `event` is one this rule sends. Host filters need the event to have a host; tag
    /// and label filters need it to be about a container that has them.
    pub fn matches(&self, event: &NotifyEvent) -> bool {
        self.matches_with(event, &[])
    }

    /// [`Self::matches`], counting `stored_tags` (the container's tags kept by Berth, see
    /// `/api/v1/tags`) beside those of its `berth.tags` label.
    pub fn matches_with(&self, event: &NotifyEvent, stored_tags: &[String]) -> bool {
        if !self.enabled || !self.events.contains(&event.kind()) {
            return false;
        }
        if !self.hosts.is_empty()
            && !event
                .host()
                .is_some_and(|h| self.hosts.iter().any(|x| x == h))
        {
            return false;
        }
        if !self.tags.is_empty() {
            let tags = event.tags();
            if !self
                .tags
                .iter()
                .any(|t| tags.contains(t) || stored_tags.contains(t))
            {
                return false;
            }
        }
        if !self.labels.is_empty() {
            let Some(labels) = event.labels() else {
                return false;
            };
            let all = self.labels.iter().all(|sel| match sel.split_once('=') {
                Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
                None => labels.contains_key(sel),
            });
            if !all {
                return false;
            }
        }
        true
    }

    /// The API view.
    pub fn view(&self, r: &RuleRecord) -> Rule {
        Rule {
            id: self.id,
            name: self.name.clone(),
            enabled: self.enabled,
            events: self.events.clone(),
            channels: self.channels.clone(),
            hosts: self.hosts.clone(),
            tags: self.tags.clone(),
            labels: self.labels.clone(),
            cooldown_secs: self.cooldown_secs,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    /// Checks the fields (`known_channels`: ids that exist) and makes the row to store.
    pub fn to_row(&self, known_channels: &[i64]) -> Result<RuleRow, AppError> {
        super::channels::check_name("name", &self.name)?;
        if self.events.is_empty() {
            return Err(AppError::validation("events", "name at least one event"));
        }
        if self.channels.is_empty() {
            return Err(AppError::validation(
                "channels",
                "name at least one channel",
            ));
        }
        for (i, id) in self.channels.iter().enumerate() {
            if !known_channels.contains(id) {
                return Err(AppError::validation(
                    format!("channels.{i}"),
                    format!("no notification channel has id {id}"),
                ));
            }
        }
        for (i, h) in self.hosts.iter().enumerate() {
            if h.is_empty() || h.len() > 64 {
                return Err(AppError::validation(format!("hosts.{i}"), "a host name"));
            }
        }
        for (i, t) in self.tags.iter().enumerate() {
            if t.is_empty() || t.len() > 64 || t.contains(',') {
                return Err(AppError::validation(
                    format!("tags.{i}"),
                    "a tag is 1–64 characters without commas",
                ));
            }
        }
        for (i, l) in self.labels.iter().enumerate() {
            if l.is_empty() || l.starts_with('=') || l.len() > 256 {
                return Err(AppError::validation(
                    format!("labels.{i}"),
                    "a label selector is `key` or `key=value`",
                ));
            }
        }
        if self.cooldown_secs > MAX_COOLDOWN_SECS {
            return Err(AppError::validation(
                "cooldown_secs",
                format!("at most {MAX_COOLDOWN_SECS} seconds (a week)"),
            ));
        }
        Ok(RuleRow {
            name: self.name.trim().to_owned(),
            enabled: self.enabled,
            events: json(&self.events),
            channels: json(&self.channels),
            hosts: json(&self.hosts),
            tags: json(&self.tags),
            labels: json(&self.labels),
            cooldown_secs: i64::try_from(self.cooldown_secs).unwrap_or(0),
        })
    }
}

fn json<T: serde::Serialize>(list: &[T]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn rule() -> Parsed {
        Parsed {
            id: 1,
            name: "r".to_owned(),
            enabled: true,
            events: vec![NotifyEventKind::ContainerDied],
            channels: vec![1],
            hosts: vec![],
            tags: vec![],
            labels: vec![],
            cooldown_secs: 0,
        }
    }

    fn died(host: &str, labels: &[(&str, &str)]) -> NotifyEvent {
        NotifyEvent::ContainerDied {
            host: host.to_owned(),
            container: "web".to_owned(),
            exit_code: Some(1),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn filters_narrow_by_event_host_tag_and_label() {
        let mut r = rule();
        assert!(r.matches(&died("local", &[])));
        assert!(!r.matches(&NotifyEvent::HostOnline {
            host: "local".to_owned()
        }));
        r.hosts = vec!["prod".to_owned()];
        assert!(!r.matches(&died("local", &[])));
        assert!(r.matches(&died("prod", &[])));
        r.labels = vec!["app=web".to_owned(), "tier".to_owned()];
        assert!(!r.matches(&died("prod", &[("app", "web")])));
        assert!(r.matches(&died("prod", &[("app", "web"), ("tier", "x")])));
        r.tags = vec!["critical".to_owned()];
        assert!(!r.matches(&died("prod", &[("app", "web"), ("tier", "x")])));
        assert!(r.matches(&died(
            "prod",
            &[("app", "web"), ("tier", "x"), ("berth.tags", "a, critical")]
        )));
    }
}
