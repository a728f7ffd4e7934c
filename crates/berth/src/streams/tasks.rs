//! Long jobs (image pulls, …): each a record with progress that watchers follow live. The most
//! recent jobs are kept in memory; they are not needed across restarts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use berth_api::streams::{Task, TaskStatus};
use chrono::Utc;
use tokio::sync::watch;

/// How many finished tasks are remembered.
const KEEP: usize = 200;

/// One task: its latest state, which watchers see change.
pub struct TaskHandle {
    tx: watch::Sender<Task>,
}

impl TaskHandle {
    /// The task as it is now.
    pub fn snapshot(&self) -> Task {
        self.tx.borrow().clone()
    }

    /// A receiver that sees every later state (the latest, when it falls behind).
    pub fn watch(&self) -> watch::Receiver<Task> {
        self.tx.subscribe()
    }

    /// Updates progress.
    pub fn progress(&self, current: u64, total: u64, message: &str) {
        self.tx.send_modify(|t| {
            t.status = TaskStatus::Running;
            t.current = current;
            t.total = total;
            t.percent = (total > 0).then(|| (current as f64 / total as f64 * 100.0).min(100.0));
            message.clone_into(&mut t.message);
        });
    }

    /// Ends the task successfully.
    pub fn succeed(&self, result: serde_json::Value, message: &str) {
        self.tx.send_modify(|t| {
            t.status = TaskStatus::Succeeded;
            t.result = Some(result);
            t.percent = Some(100.0);
            message.clone_into(&mut t.message);
            t.finished_at = Some(Utc::now());
        });
    }

    /// Ends the task with an error and a result that says more (an update that rolled back).
    pub fn fail_with(&self, result: serde_json::Value, error: &str) {
        self.tx.send_modify(|t| {
            t.status = TaskStatus::Failed;
            t.result = Some(result);
            error.clone_into(&mut t.message);
            t.error = Some(error.to_owned());
            t.finished_at = Some(Utc::now());
        });
    }

    /// Ends the task with an error.
    pub fn fail(&self, error: &str) {
        self.tx.send_modify(|t| {
            t.status = TaskStatus::Failed;
            t.error = Some(error.to_owned());
            t.finished_at = Some(Utc::now());
        });
    }
}

/// Every recent task.
#[derive(Default)]
pub struct TaskManager {
    tasks: Mutex<VecDeque<Arc<TaskHandle>>>,
}

impl TaskManager {
    /// Registers a new pending task.
    pub fn create(
        &self,
        action: &str,
        host: Option<&str>,
        target: &str,
        username: Option<&str>,
    ) -> Arc<TaskHandle> {
        let task = Task {
            kind: "task".to_owned(),
            id: uuid::Uuid::new_v4().to_string(),
            action: action.to_owned(),
            host: host.map(str::to_owned),
            target: target.to_owned(),
            username: username.map(str::to_owned),
            status: TaskStatus::Pending,
            current: 0,
            total: 0,
            percent: None,
            message: String::new(),
            result: None,
            error: None,
            created_at: Utc::now(),
            finished_at: None,
        };
        let handle = Arc::new(TaskHandle {
            tx: watch::channel(task).0,
        });
        let mut tasks = self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tasks.push_front(handle.clone());
        while tasks.len() > KEEP {
            // Drop the oldest finished task; running ones stay.
            match tasks
                .iter()
                .rposition(|t| t.snapshot().finished_at.is_some())
            {
                Some(i) => {
                    tasks.remove(i);
                }
                None => break,
            }
        }
        handle
    }

    /// A task by id.
    pub fn get(&self, id: &str) -> Option<Arc<TaskHandle>> {
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|t| t.tx.borrow().id == id)
            .cloned()
    }

    /// Recent tasks, newest first.
    pub fn list(&self) -> Vec<Task> {
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|t| t.snapshot())
            .collect()
    }
}
