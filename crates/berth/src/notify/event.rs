//! What can be notified: [`NotifyEvent`], published by the subsystems that see it happen, and
//! the title and text every channel renders from it.

use std::collections::BTreeMap;

use berth_api::notify::NotifyEventKind;

/// Something worth telling people about. Other modules build one and call
/// [`super::Notifier::publish`]; rules decide whether and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum NotifyEvent {
    /// A scheduled run ended in failure.
    ScheduleRunFailed {
        /// Schedule name.
        schedule: String,
        /// Host of the target (`*` for all).
        host: String,
        /// The target (container name, selector or tag).
        target: String,
        /// The action (`restart`, `update`, …).
        action: String,
        /// Why it failed.
        message: String,
    },
    /// A scheduled run succeeded.
    ScheduleRunSucceeded {
        /// Schedule name.
        schedule: String,
        /// Host.
        host: String,
        /// Target.
        target: String,
        /// Action.
        action: String,
        /// Output or summary.
        message: String,
    },
    /// A container exited with a non-zero code (or was killed).
    ContainerDied {
        /// Host.
        host: String,
        /// Container name.
        container: String,
        /// Exit code, when the engine said.
        exit_code: Option<i64>,
        /// The container's labels.
        labels: BTreeMap<String, String>,
    },
    /// The kernel killed a container for running out of memory.
    ContainerOom {
        /// Host.
        host: String,
        /// Container name.
        container: String,
        /// Labels.
        labels: BTreeMap<String, String>,
    },
    /// A container's health check turned unhealthy.
    ContainerUnhealthy {
        /// Host.
        host: String,
        /// Container name.
        container: String,
        /// Labels.
        labels: BTreeMap<String, String>,
    },
    /// A container keeps restarting.
    ContainerRestartLoop {
        /// Host.
        host: String,
        /// Container name.
        container: String,
        /// Starts seen within the window.
        restarts: u32,
        /// The window, seconds.
        window_secs: u64,
        /// Labels.
        labels: BTreeMap<String, String>,
    },
    /// A host stopped answering.
    HostOffline {
        /// Host.
        host: String,
        /// Why.
        error: Option<String>,
    },
    /// A host answers again.
    HostOnline {
        /// Host.
        host: String,
    },
    /// A newer image exists for a container.
    UpdateAvailable {
        /// Host.
        host: String,
        /// Container name.
        container: String,
        /// Image reference.
        image: String,
    },
    /// A container was recreated with a newer image.
    UpdateApplied {
        /// Host.
        host: String,
        /// Container name.
        container: String,
        /// Image reference.
        image: String,
    },
    /// Repeated failed sign-ins.
    LoginFailures {
        /// The user name tried.
        username: String,
        /// The client address.
        client_ip: Option<String>,
        /// Failures counted in the window.
        failures: u32,
    },
    /// A test message from "send test".
    Test,
}

impl NotifyEvent {
    /// The kind rules match on.
    pub fn kind(&self) -> NotifyEventKind {
        use NotifyEventKind as K;
        match self {
            Self::ScheduleRunFailed { .. } => K::ScheduleRunFailed,
            Self::ScheduleRunSucceeded { .. } => K::ScheduleRunSucceeded,
            Self::ContainerDied { .. } => K::ContainerDied,
            Self::ContainerOom { .. } => K::ContainerOom,
            Self::ContainerUnhealthy { .. } => K::ContainerUnhealthy,
            Self::ContainerRestartLoop { .. } => K::ContainerRestartLoop,
            Self::HostOffline { .. } => K::HostOffline,
            Self::HostOnline { .. } => K::HostOnline,
            Self::UpdateAvailable { .. } => K::UpdateAvailable,
            Self::UpdateApplied { .. } => K::UpdateApplied,
            Self::LoginFailures { .. } => K::LoginFailures,
            Self::Test => K::Test,
        }
    }

    /// The host it happened on, if any.
    pub fn host(&self) -> Option<&str> {
        match self {
            Self::ScheduleRunFailed { host, .. }
            | Self::ScheduleRunSucceeded { host, .. }
            | Self::ContainerDied { host, .. }
            | Self::ContainerOom { host, .. }
            | Self::ContainerUnhealthy { host, .. }
            | Self::ContainerRestartLoop { host, .. }
            | Self::HostOffline { host, .. }
            | Self::HostOnline { host }
            | Self::UpdateAvailable { host, .. }
            | Self::UpdateApplied { host, .. } => Some(host),
            Self::LoginFailures { .. } | Self::Test => None,
        }
    }

    /// The container it is about, if any.
    pub fn container(&self) -> Option<&str> {
        match self {
            Self::ContainerDied { container, .. }
            | Self::ContainerOom { container, .. }
            | Self::ContainerUnhealthy { container, .. }
            | Self::ContainerRestartLoop { container, .. }
            | Self::UpdateAvailable { container, .. }
            | Self::UpdateApplied { container, .. } => Some(container),
            _ => None,
        }
    }

    /// The container's labels, where the event is about one.
    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            Self::ContainerDied { labels, .. }
            | Self::ContainerOom { labels, .. }
            | Self::ContainerUnhealthy { labels, .. }
            | Self::ContainerRestartLoop { labels, .. } => Some(labels),
            _ => None,
        }
    }

    /// The container's tags: the comma-separated `berth.tags` label.
    pub fn tags(&self) -> Vec<String> {
        self.labels()
            .and_then(|l| l.get(TAGS_LABEL))
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What makes two events "the same" for deduplication: kind and subject.
    pub fn key(&self) -> String {
        let kind = kind_name(self.kind());
        let subject = match self {
            Self::ScheduleRunFailed { schedule, .. }
            | Self::ScheduleRunSucceeded { schedule, .. } => schedule.clone(),
            Self::LoginFailures { username, .. } => username.to_lowercase(),
            Self::Test => String::new(),
            other => other.container().unwrap_or_default().to_owned(),
        };
        format!("{kind}:{}:{subject}", self.host().unwrap_or("-"))
    }

    /// A one-line title.
    pub fn title(&self) -> String {
        match self {
            Self::ScheduleRunFailed { schedule, .. } => format!("Schedule `{schedule}` failed"),
            Self::ScheduleRunSucceeded { schedule, .. } => {
                format!("Schedule `{schedule}` succeeded")
            }
            Self::ContainerDied {
                host, container, ..
            } => format!("Container `{container}` died on {host}"),
            Self::ContainerOom {
                host, container, ..
            } => format!("Container `{container}` was killed: out of memory on {host}"),
            Self::ContainerUnhealthy {
                host, container, ..
            } => format!("Container `{container}` is unhealthy on {host}"),
            Self::ContainerRestartLoop {
                host, container, ..
            } => format!("Container `{container}` keeps restarting on {host}"),
            Self::HostOffline { host, .. } => format!("Host {host} is offline"),
            Self::HostOnline { host } => format!("Host {host} is online again"),
            Self::UpdateAvailable {
                host, container, ..
            } => format!("Update available for `{container}` on {host}"),
            Self::UpdateApplied {
                host, container, ..
            } => format!("`{container}` updated on {host}"),
            Self::LoginFailures { username, .. } => {
                format!("Repeated failed sign-ins for `{username}`")
            }
            Self::Test => "Berth test notification".to_owned(),
        }
    }

    /// The body text.
    pub fn message(&self) -> String {
        match self {
            Self::ScheduleRunFailed {
                host,
                target,
                action,
                message,
                ..
            }
            | Self::ScheduleRunSucceeded {
                host,
                target,
                action,
                message,
                ..
            } => format!("{action} of {target} on {host}: {message}"),
            Self::ContainerDied { exit_code, .. } => match exit_code {
                Some(code) => format!("It exited with code {code}."),
                None => "It exited.".to_owned(),
            },
            Self::ContainerOom { .. } => "The kernel's OOM killer stopped it.".to_owned(),
            Self::ContainerUnhealthy { .. } => "Its health check fails.".to_owned(),
            Self::ContainerRestartLoop {
                restarts,
                window_secs,
                ..
            } => format!("It started {restarts} times in {window_secs} s."),
            Self::HostOffline { error, .. } => error
                .clone()
                .unwrap_or_else(|| "The engine does not answer.".to_owned()),
            Self::HostOnline { .. } => "The engine answers again.".to_owned(),
            Self::UpdateAvailable { image, .. } => format!("A newer {image} was pulled."),
            Self::UpdateApplied { image, .. } => format!("It now runs the newer {image}."),
            Self::LoginFailures {
                client_ip,
                failures,
                ..
            } => format!(
                "{failures} failed sign-ins from {}.",
                client_ip.as_deref().unwrap_or("an unknown address")
            ),
            Self::Test => "If you can read this, the channel works.".to_owned(),
        }
    }
}

impl NotifyEvent {
    /// The event for an update that recreated a container on a newer image.
    pub fn update_applied(outcome: &berth_api::updates::UpdateOutcome) -> Self {
        Self::UpdateApplied {
            host: outcome.host.clone(),
            container: outcome.name.clone(),
            image: outcome.image.clone(),
        }
    }
}

/// The label whose comma-separated value lists a container's tags.
pub const TAGS_LABEL: &str = "berth.tags";

/// The wire name of a kind (`container_died`).
pub fn kind_name(kind: NotifyEventKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A kind from its wire name.
pub fn kind_from_name(name: &str) -> Option<NotifyEventKind> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}
