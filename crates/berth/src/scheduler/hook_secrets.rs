//! Webhook signature secrets at rest: sealed with the installation's key, as channel secrets
//! are, because anyone holding a plain one (a copy of `berth.db`, a backup) could sign calls that
//! pass the check. Rows written before secrets were sealed are sealed at start.

use crate::error::AppError;
use crate::secrets::SecretBox;
use crate::store::{NewAuditEntry, Store, WebhookRecord};

/// Seals a secret for storage.
pub fn seal(secrets: &SecretBox, secret: &str) -> Result<String, AppError> {
    secrets.seal(secret).map_err(AppError::internal)
}

/// A stored webhook's secret in plain text, to check a signature (`None`: it has none).
pub fn open(secrets: &SecretBox, hook: &WebhookRecord) -> Result<Option<String>, AppError> {
    hook.sealed_secret
        .as_deref()
        .map(|sealed| secrets.open(sealed))
        .transpose()
        .map_err(|e| {
            tracing::warn!(webhook = hook.id, error = %e, "a webhook's secret does not open");
            AppError::internal(e)
        })
}

/// Seals every secret still stored in plain text; how many there were. Audited as one
/// `webhook.secrets_sealed` entry by `berth`, so the change to stored rows is on record.
pub async fn seal_plain(store: &Store, secrets: &SecretBox) -> anyhow::Result<u64> {
    let plain = store.plain_webhook_secrets().await?;
    if plain.is_empty() {
        return Ok(0);
    }
    let mut sealed = Vec::with_capacity(plain.len());
    for (id, secret) in plain {
        sealed.push((id, secrets.seal(&secret)?));
    }
    let ids: Vec<i64> = sealed.iter().map(|(id, _)| *id).collect();
    let changed = store.seal_webhook_secrets(&sealed).await?;
    store
        .append_audit(&NewAuditEntry {
            username: Some("berth".to_owned()),
            action: "webhook.secrets_sealed".to_owned(),
            resource_type: Some("webhook".to_owned()),
            outcome: "success".to_owned(),
            details: serde_json::json!({ "webhook_ids": ids }).to_string(),
            ..Default::default()
        })
        .await?;
    tracing::info!(
        webhooks = changed,
        "sealed webhook secrets that were stored in plain text"
    );
    Ok(changed)
}
