//! Which node image a start uses: `--image`, else the file's `images.node`, else the node image
//! of the server's `major.minor` (asked at `GET {server}/version`), else the default image.

use std::time::Duration;

use serde_norway::Value;

use super::config::py_str;

/// `ghcr.io/vantage6`.
pub const DEFAULT_REGISTRY: &str = "ghcr.io/vantage6";

/// The image the CLI falls back to (`DEFAULT_NODE_IMAGE`).
pub const DEFAULT_NODE_IMAGE: &str = "ghcr.io/vantage6/infrastructure/node:cotopaxi";

/// How often the CLI tries a server that refuses connections (`attempts_on_timeout=3`: the first
/// try and three more, one second apart).
const ATTEMPTS: u32 = 4;

/// One try's bound (the CLI has none; a server that never answers should not hang a request).
const TRY_TIMEOUT: Duration = Duration::from_secs(5);

/// The image choice and what the CLI would have warned about on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChoice {
    /// The image.
    pub image: String,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// `http(s)://host[:port]/api/version` as the CLI's client builds it.
pub fn version_url(doc: &Value) -> String {
    let mut host = doc.get("server_url").and_then(py_str).unwrap_or_default();
    // A server on this machine is reached through localhost from outside a container.
    if host == "http://host.docker.internal" || host == "http://172.17.0.1" {
        host = "http://localhost".to_owned();
    }
    let port = doc
        .get("port")
        .filter(|p| !matches!(p, Value::Null | Value::Bool(false)))
        .and_then(py_str)
        .filter(|p| !p.is_empty() && p != "0");
    let api_path = doc.get("api_path").and_then(py_str).unwrap_or_default();
    match port {
        Some(port) => format!("{host}:{port}{api_path}/version"),
        None => format!("{host}{api_path}/version"),
    }
}

/// Asks the server for its version; `Err` says why not.
pub async fn server_version(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(TRY_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let mut attempt = 0;
    let response = loop {
        attempt += 1;
        match client.get(url).send().await {
            Ok(r) => break r,
            Err(e) if e.is_connect() && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(format!("{url}: {e}")),
        }
    };
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|e| format!("{url} answered {status} without JSON: {e}"))?;
    body.get("version")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{url} answered {status} without a version"))
}

/// Picks the image as `v6 node start` does.
pub async fn choose(explicit: Option<&str>, doc: &Value) -> ImageChoice {
    let mut warnings = Vec::new();
    if let Some(image) = explicit.filter(|i| !i.is_empty()) {
        return ImageChoice {
            image: image.to_owned(),
            warnings,
        };
    }
    let images = doc.get("images").filter(|i| match i {
        Value::Mapping(m) => !m.is_empty(),
        Value::Null => false,
        _ => true,
    });
    let image = match images {
        // A file with `images` but no `images.node` gets the default image, unasked.
        Some(images) => images.get("node").and_then(py_str),
        None => {
            let url = version_url(doc);
            match server_version(&url).await {
                Ok(version) => {
                    let major_minor = version.split('.').take(2).collect::<Vec<_>>().join(".");
                    if !CLI_VERSION.starts_with(&major_minor) {
                        warnings.push(format!(
                            "Version mismatch between CLI and server/node. CLI is running on version {CLI_VERSION}, while node and server are on version {major_minor}."
                        ));
                    }
                    Some(format!(
                        "{DEFAULT_REGISTRY}/infrastructure/node:{major_minor}"
                    ))
                }
                Err(reason) => {
                    warnings.push(format!(
                        "Could not determine server version ({reason}). Using default node image"
                    ));
                    None
                }
            }
        }
    };
    ImageChoice {
        image: image.unwrap_or_else(|| DEFAULT_NODE_IMAGE.to_owned()),
        warnings,
    }
}

/// The CLI version Berth reproduces.
pub const CLI_VERSION: &str = "4.15.2";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_url_is_built_as_the_client_builds_it() {
        let doc: Value =
            serde_norway::from_str("server_url: https://v6.org\nport: 443\napi_path: /api\n")
                .unwrap();
        assert_eq!(version_url(&doc), "https://v6.org:443/api/version");
        let doc: Value = serde_norway::from_str(
            "server_url: http://host.docker.internal\nport: null\napi_path: /api\n",
        )
        .unwrap();
        assert_eq!(version_url(&doc), "http://localhost/api/version");
    }
}
