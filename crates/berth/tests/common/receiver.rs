//! A real HTTP receiver for notification tests: records every request it gets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode as AxStatus, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone, Default)]
pub struct Recorded {
    hits: Arc<Mutex<Vec<Hit>>>,
    seen: Arc<Mutex<HashMap<String, u32>>>,
}

/// An HTTP receiver on port 0. Paths under `/429/` answer 429 with `Retry-After: 1` the first
/// time; paths under `/500/` always answer 500; the rest answer 204.
pub struct Receiver {
    pub addr: SocketAddr,
    rec: Recorded,
    task: tokio::task::JoinHandle<()>,
}

async fn record(
    State(rec): State<Recorded>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let n = {
        let mut seen = rec.seen.lock().unwrap();
        let n = seen.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    rec.hits.lock().unwrap().push(Hit {
        method: method.to_string(),
        path: path.clone(),
        headers,
        body: serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())),
    });
    if path.starts_with("/429/") && n == 1 {
        return (
            AxStatus::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    if path.starts_with("/500/") {
        return (AxStatus::INTERNAL_SERVER_ERROR, "broken").into_response();
    }
    AxStatus::NO_CONTENT.into_response()
}

impl Receiver {
    pub async fn start() -> Self {
        let rec = Recorded::default();
        let app = axum::Router::new().fallback(record).with_state(rec.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, rec, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn hits(&self, path: &str) -> Vec<Hit> {
        self.rec
            .hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `path` got `n` requests.
    pub async fn wait(&self, path: &str, n: usize, limit: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + limit;
        loop {
            let hits = self.hits(path);
            if hits.len() >= n {
                return hits;
            }
            assert!(
                Instant::now() < deadline,
                "{path}: {} of {n} requests",
                hits.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
