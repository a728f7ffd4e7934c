//! Host management: the rules for adding, changing and removing hosts, across the store, the
//! TLS files and the live registry.

use std::sync::Arc;

use berth_api::ErrorCode;
use berth_api::hosts::{HostCreate, HostTls, HostUpdate};

use super::{Engines, HostHandle, check_url};
use crate::error::AppError;
use crate::store::{HostRecord, Store};
use crate::validate;

/// Colours given to hosts added without one, in turn.
const PALETTE: [&str; 8] = [
    "#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#4b5563",
];

/// The name the local engine is registered under at first start.
pub const LOCAL_HOST: &str = "local";

fn check_tls(url: &str, tls: Option<&HostTls>) -> Result<(), AppError> {
    let Some(tls) = tls else { return Ok(()) };
    if url.starts_with("unix://") {
        return Err(AppError::validation(
            "tls",
            "TLS applies to tcp:// hosts, not unix sockets",
        ));
    }
    for (field, pem, kind) in [
        ("tls.ca_cert", &tls.ca_cert, "CERTIFICATE"),
        ("tls.client_cert", &tls.client_cert, "CERTIFICATE"),
        ("tls.client_key", &tls.client_key, "PRIVATE KEY"),
    ] {
        if !(pem.contains("-----BEGIN ") && pem.contains(kind)) || pem.len() > 64 * 1024 {
            return Err(AppError::validation(
                field,
                format!("expected PEM text containing a {kind}"),
            ));
        }
    }
    Ok(())
}

fn check_description(description: Option<&str>) -> Result<(), AppError> {
    match description {
        Some(d) => validate::text("description", d, 500),
        None => Ok(()),
    }
}

impl Engines {
    /// Registers every stored host; at first start, adds the local engine as `local`.
    pub async fn load(&self, store: &Store, local_url: &str) -> anyhow::Result<()> {
        if store.setting("local_host_registered").await?.is_none() {
            if store.host(LOCAL_HOST).await?.is_none() {
                store
                    .insert_host(
                        LOCAL_HOST,
                        local_url,
                        PALETTE[0],
                        Some("The Docker engine on this machine"),
                        false,
                    )
                    .await?;
            }
            store.set_setting("local_host_registered", "true").await?;
        }
        for record in store.list_hosts().await? {
            self.insert(record);
        }
        Ok(())
    }

    /// Validates and adds a host.
    pub async fn add_host(
        &self,
        store: &Store,
        req: HostCreate,
    ) -> Result<Arc<HostHandle>, AppError> {
        validate::host_name("name", &req.name)?;
        check_tls(&req.url, req.tls.as_ref())?;
        check_url(&req.url, req.tls.is_some())?;
        check_description(req.description.as_deref())?;
        let color = match &req.color {
            Some(c) => {
                validate::color("color", c)?;
                c.clone()
            }
            None => PALETTE[store.list_hosts().await?.len() % PALETTE.len()].to_owned(),
        };
        let description = req.description.as_deref().filter(|d| !d.is_empty());
        let record = store
            .insert_host(&req.name, &req.url, &color, description, req.tls.is_some())
            .await?
            .ok_or_else(|| host_exists(&req.name))?;
        if let Err(e) = self.store_tls(record.id, req.tls.as_ref()) {
            // Nothing half-made: the row goes if its certificates cannot be written.
            let _ = store.delete_host(&record.name).await;
            return Err(e);
        }
        Ok(self.insert(record))
    }

    /// Applies a partial update; reconnects when the address or certificates change.
    pub async fn update_host(
        &self,
        store: &Store,
        name: &str,
        req: HostUpdate,
    ) -> Result<Arc<HostHandle>, AppError> {
        let current = self.get(name)?;
        let mut record: HostRecord = current.record.clone();
        if let Some(new_name) = &req.name {
            validate::host_name("name", new_name)?;
            record.name = new_name.clone();
        }
        if let Some(url) = &req.url {
            record.url = url.clone();
        }
        if let Some(color) = &req.color {
            validate::color("color", color)?;
            record.color = color.clone();
        }
        if let Some(description) = &req.description {
            check_description(Some(description))?;
            record.description = (!description.is_empty()).then(|| description.clone());
        }
        if req.tls.is_some() && req.remove_tls {
            return Err(AppError::validation(
                "remove_tls",
                "give new certificates or remove them, not both",
            ));
        }
        let tls_after = if req.remove_tls {
            false
        } else {
            record.tls || req.tls.is_some()
        };
        if tls_after && req.tls.is_none() && !record.tls {
            return Err(AppError::validation("tls", "TLS certificates are required"));
        }
        check_tls(&record.url, req.tls.as_ref())?;
        if record.url.starts_with("unix://") && tls_after {
            return Err(AppError::validation(
                "url",
                "a host with TLS certificates needs a tcp:// address; remove them first",
            ));
        }
        check_url(&record.url, tls_after)?;
        record.tls = tls_after;
        let updated = store
            .update_host(record.id, &record)
            .await?
            .ok_or_else(|| host_exists(&record.name))?;
        if req.tls.is_some() || req.remove_tls {
            self.store_tls(updated.id, req.tls.as_ref())?;
        }
        if updated.name != name {
            self.remove(name);
        }
        Ok(self.insert(updated))
    }

    /// Removes a host: its row, its certificates, its poller.
    pub async fn remove_host(&self, store: &Store, name: &str) -> Result<(), AppError> {
        let handle = self.get(name)?;
        store.delete_host(name).await?;
        self.remove(name);
        self.store_tls(handle.record.id, None)?;
        Ok(())
    }
}

fn host_exists(name: &str) -> AppError {
    AppError::new(
        ErrorCode::HostExists,
        format!("a host named `{name}` already exists"),
    )
    .with_field("name")
}
