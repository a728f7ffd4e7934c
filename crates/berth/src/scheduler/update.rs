//! The schedules' and webhooks' `update` action: the safe update of `engine::update`, with its
//! outcome told to the notifier.

use std::sync::Arc;

use berth_api::updates::UpdateStatus;
use futures_util::future::BoxFuture;

use super::ActionRunner;
use crate::engine::HostHandle;
use crate::engine::update::{UpdateOptions, update_container};
use crate::error::AppError;
use crate::notify::{Notifier, NotifyEvent};
use berth_api::error::ErrorCode;

/// Runs safe updates for jobs.
pub struct SafeUpdate {
    notifier: Arc<Notifier>,
}

impl SafeUpdate {
    /// A runner that tells `notifier` about applied updates.
    pub fn new(notifier: Arc<Notifier>) -> Self {
        Self { notifier }
    }
}

impl ActionRunner for SafeUpdate {
    fn update(
        &self,
        host: Arc<HostHandle>,
        container: String,
    ) -> BoxFuture<'static, Result<String, AppError>> {
        let notifier = self.notifier.clone();
        Box::pin(async move {
            let outcome = update_container(&host, &container, UpdateOptions::default()).await?;
            match outcome.status {
                UpdateStatus::UpToDate => Ok(format!("{}: up to date", outcome.name)),
                UpdateStatus::Updated => {
                    notifier.publish(NotifyEvent::update_applied(&outcome));
                    Ok(format!(
                        "{}: updated to {} ({})",
                        outcome.name, outcome.image, outcome.message
                    ))
                }
                // The run failed even though the old container runs again: say so.
                UpdateStatus::RolledBack => Err(AppError::new(
                    ErrorCode::Conflict,
                    format!("{}: rolled back: {}", outcome.name, outcome.message),
                )),
            }
        })
    }
}

/// What a finished run tells the notifier (skipped runs tell nothing).
pub fn notify_event(run: super::RunOutcome) -> Option<NotifyEvent> {
    use berth_api::schedules::RunOutcome as O;
    let action = run.action.as_str().to_owned();
    match run.outcome {
        O::Succeeded => Some(NotifyEvent::ScheduleRunSucceeded {
            schedule: run.name,
            host: run.host,
            target: run.target,
            action,
            message: run.message,
        }),
        O::Failed | O::TimedOut => Some(NotifyEvent::ScheduleRunFailed {
            schedule: run.name,
            host: run.host,
            target: run.target,
            action,
            message: run.message,
        }),
        O::Running | O::Skipped => None,
    }
}
