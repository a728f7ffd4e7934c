//! A node configuration file as a YAML value tree: loaded, checked by the CLI's schema
//! (`NodeConfiguration.VALIDATORS`), read into the API's types, and edited in place so keys
//! Berth does not model survive every write.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use berth_api::vantage6::{
    NodeCreate, NodeDatabase, NodeEncryption, NodePolicies, NodeRegistry, NodeRegistryInfo,
    NodeUpdate,
};
use serde_norway::{Mapping, Value};

use crate::error::{AppError, AppResult};

/// Database types whose URI is a file or folder the node mounts (`FILE_BASED_DATABASE_TYPES`).
pub const FILE_TYPES: &[&str] = &["folder", "csv", "parquet", "excel"];

/// The database types the create form offers (the CLI's `DATABASE_TYPES` plus `folder`, `omop`).
pub const DATABASE_TYPES: &[&str] = &[
    "csv", "parquet", "excel", "folder", "sql", "sparql", "omop", "other",
];

/// The levels the CLI's schema accepts.
pub const LOG_LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/// The environment names `v6 node start` sets itself; extra environment may not replace them.
pub const RESERVED_ENV: &[&str] = &["DATA_VOLUME_NAME", "VPN_VOLUME_NAME", "PRIVATE_KEY"];

/// Reads and parses a configuration file.
pub fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let doc: Value = serde_norway::from_str(&text).map_err(|e| format!("not YAML: {e}"))?;
    if doc.is_mapping() {
        Ok(doc)
    } else {
        Err("the file is not a YAML mapping".to_owned())
    }
}

/// Writes `doc` to `path` through a temporary file and a rename; a new file is readable by its
/// owner only (it holds the API key), an existing one keeps its mode.
pub fn save(path: &Path, doc: &Value) -> AppResult<()> {
    let text = super::yaml::to_string(doc);
    let dir = path
        .parent()
        .ok_or_else(|| AppError::internal("configuration path without a folder"))?;
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
    let tmp = dir.join(format!(
        ".{}.berth-tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mode = std::fs::metadata(path).map_or(0o600, |m| {
        use std::os::unix::fs::PermissionsExt;
        m.permissions().mode() & 0o7777
    });
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)
            .map_err(|e| io_error(&tmp, &e))?
    };
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(&tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| io_error(path, &e))
}

/// A file-system failure named by path (the folders are the operator's, not secret). A folder
/// Berth may not write (system scope when Berth is not root) is a 403 that says so.
pub fn io_error(path: &Path, err: &std::io::Error) -> AppError {
    if err.kind() == std::io::ErrorKind::PermissionDenied {
        return AppError::new(
            berth_api::ErrorCode::Forbidden,
            format!(
                "Berth may not write {}: run it as a user that may (system nodes live in /etc/vantage6), or set its vantage6 folders",
                path.display()
            ),
        );
    }
    AppError::new(
        berth_api::ErrorCode::InternalError,
        format!("cannot write {}: {err}", path.display()),
    )
}

/// Python's `str()` of a YAML scalar, as the CLI passes values on (`None` for null).
pub fn py_str(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("None".to_owned()),
        Value::Bool(true) => Some("True".to_owned()),
        Value::Bool(false) => Some("False".to_owned()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
            _ => n.to_string(),
        }),
        Value::String(s) => Some(s.clone()),
        Value::Tagged(t) => py_str(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

/// Python's `int()` of a YAML value (`Use(int)` in the CLI's schema).
fn py_int(v: &Value) -> Option<i64> {
    match v {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::String(s) => s.trim().replace('_', "").parse().ok(),
        _ => None,
    }
}

fn get<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    doc.as_mapping().and_then(|m| m.get(key))
}

fn get_str(doc: &Value, key: &str) -> Option<String> {
    get(doc, key).and_then(py_str)
}

/// Checks `doc` as the CLI's `NodeConfiguration` schema does (required keys, their types and
/// ranges); the error names the key at fault.
pub fn validate(doc: &Value) -> AppResult<()> {
    let map = doc
        .as_mapping()
        .ok_or_else(|| AppError::validation("file", "the file is not a YAML mapping"))?;
    let need = |key: &str| {
        map.get(key)
            .ok_or_else(|| AppError::validation(key, format!("`{key}` is required")))
    };
    // Like the CLI's schema, name every missing key at once.
    let missing: Vec<&str> = [
        "api_key",
        "server_url",
        "port",
        "task_dir",
        "databases",
        "api_path",
        "logging",
        "encryption",
    ]
    .into_iter()
    .filter(|k| !map.contains_key(*k))
    .collect();
    if let Some(first) = missing.first() {
        return Err(AppError::validation(
            *first,
            format!("missing keys: {}", missing.join(", ")),
        ));
    }
    let port = need("port")?;
    if !port.is_null() && py_int(port).is_none() {
        return Err(AppError::validation(
            "port",
            "`port` must be a whole number or empty",
        ));
    }
    match need("databases")? {
        Value::Null | Value::Mapping(_) => {}
        Value::Sequence(items) if items.iter().all(Value::is_mapping) => {}
        _ => {
            return Err(AppError::validation(
                "databases",
                "`databases` must be a list of mappings",
            ));
        }
    }
    let logging = need("logging")?
        .as_mapping()
        .ok_or_else(|| AppError::validation("logging", "`logging` must be a mapping"))?;
    let log_key = |key: &str| {
        logging.get(key).ok_or_else(|| {
            AppError::validation(
                format!("logging.{key}"),
                format!("`logging.{key}` is required"),
            )
        })
    };
    let level = log_key("level")?;
    if !py_str(level).is_some_and(|l| LOG_LEVELS.contains(&l.as_str())) {
        return Err(AppError::validation(
            "logging.level",
            format!("`logging.level` must be one of {}", LOG_LEVELS.join(", ")),
        ));
    }
    log_key("use_console")?;
    if py_int(log_key("backup_count")?).is_none_or(|n| n <= 0) {
        return Err(AppError::validation(
            "logging.backup_count",
            "`logging.backup_count` must be a whole number above 0",
        ));
    }
    if py_int(log_key("max_size")?).is_none_or(|n| n <= 16) {
        return Err(AppError::validation(
            "logging.max_size",
            "`logging.max_size` must be a whole number above 16",
        ));
    }
    for key in ["format", "datefmt"] {
        log_key(key)?;
    }
    let encryption = need("encryption")?
        .as_mapping()
        .ok_or_else(|| AppError::validation("encryption", "`encryption` must be a mapping"))?;
    if !matches!(encryption.get("enabled"), Some(Value::Bool(_))) {
        return Err(AppError::validation(
            "encryption.enabled",
            "`encryption.enabled` must be true or false",
        ));
    }
    for key in ["node_extra_env", "node_extra_hosts"] {
        if map.get(key).is_some_and(|v| !v.is_mapping()) {
            return Err(AppError::validation(
                key,
                format!("`{key}` must be a mapping"),
            ));
        }
    }
    if let Some(m) = map.get("node_extra_mounts")
        && !m
            .as_sequence()
            .is_some_and(|s| s.iter().all(Value::is_string))
    {
        return Err(AppError::validation(
            "node_extra_mounts",
            "`node_extra_mounts` must be a list of strings",
        ));
    }
    Ok(())
}

/// The databases of a file (entries that are not mappings are left out).
pub fn databases(doc: &Value) -> Vec<NodeDatabase> {
    get(doc, "databases")
        .and_then(Value::as_sequence)
        .map(|items| {
            items
                .iter()
                .filter(|d| d.is_mapping())
                .map(|d| NodeDatabase {
                    label: get_str(d, "label").unwrap_or_default(),
                    uri: get_str(d, "uri").unwrap_or_default(),
                    db_type: get_str(d, "type").unwrap_or_default(),
                    read_only: get_str(d, "mount_mode")
                        .is_some_and(|m| m.eq_ignore_ascii_case("ro")),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The fields Berth shows of a file (leniently: a missing key reads as empty).
pub struct Fields {
    pub api_key_set: bool,
    pub server_url: String,
    pub port: Option<u16>,
    pub api_path: String,
    pub task_dir: String,
    pub databases: Vec<NodeDatabase>,
    pub logging_level: String,
    pub encryption: NodeEncryption,
    pub policies: Option<NodePolicies>,
    pub extra_env: BTreeMap<String, String>,
    pub extra_mounts: Vec<String>,
    pub extra_hosts: BTreeMap<String, String>,
    pub docker_registries: Vec<NodeRegistryInfo>,
    pub image: Option<String>,
}

fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((py_str(k)?, py_str(v).unwrap_or_default())))
                .collect()
        })
        .unwrap_or_default()
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(py_str).collect())
        .unwrap_or_default()
}

/// Reads the modelled fields of a file.
pub fn fields(doc: &Value) -> Fields {
    let enc = get(doc, "encryption");
    let policies = get(doc, "policies")
        .filter(|p| p.is_mapping())
        .map(|p| NodePolicies {
            allowed_algorithms: str_list(get(p, "allowed_algorithms")),
            allowed_algorithm_stores: str_list(get(p, "allowed_algorithm_stores")),
            allowed_organizations: str_list(get(p, "allowed_organizations")),
            allowed_users: str_list(get(p, "allowed_users")),
            allow_either_whitelist_or_store: get(p, "allow_either_whitelist_or_store")
                .and_then(Value::as_bool),
        });
    Fields {
        api_key_set: get_str(doc, "api_key").is_some_and(|k| !k.is_empty() && k != "None"),
        server_url: get_str(doc, "server_url").unwrap_or_default(),
        port: get(doc, "port")
            .and_then(py_int)
            .and_then(|p| u16::try_from(p).ok()),
        api_path: get_str(doc, "api_path").unwrap_or_default(),
        task_dir: get_str(doc, "task_dir").unwrap_or_default(),
        databases: databases(doc),
        logging_level: get(doc, "logging")
            .and_then(|l| get_str(l, "level"))
            .unwrap_or_default(),
        encryption: NodeEncryption {
            enabled: enc
                .and_then(|e| get(e, "enabled"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            private_key: enc
                .and_then(|e| get_str(e, "private_key"))
                .filter(|k| !k.is_empty() && k != "None"),
        },
        policies,
        extra_env: str_map(get(doc, "node_extra_env")),
        extra_mounts: str_list(get(doc, "node_extra_mounts")),
        extra_hosts: str_map(get(doc, "node_extra_hosts")),
        docker_registries: get(doc, "docker_registries")
            .and_then(Value::as_sequence)
            .map(|s| {
                s.iter()
                    .map(|r| NodeRegistryInfo {
                        registry: get_str(r, "registry").unwrap_or_default(),
                        username: get_str(r, "username"),
                        password_set: get_str(r, "password").is_some_and(|p| !p.is_empty()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        image: get(doc, "images").and_then(|i| get_str(i, "node")),
    }
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

/// The `logging` block `v6 node new` writes, with `level`.
fn logging_block(level: &str) -> Value {
    let mut m = Mapping::new();
    m.insert(s("level"), s(level));
    m.insert(s("use_console"), Value::Bool(true));
    m.insert(s("backup_count"), Value::from(5));
    m.insert(s("max_size"), Value::from(1024));
    m.insert(
        s("format"),
        s("%(asctime)s - %(name)-14s - %(levelname)-8s - %(message)s"),
    );
    m.insert(s("datefmt"), s("%Y-%m-%d %H:%M:%S"));
    let loggers = [
        "urllib3",
        "requests",
        "engineio.client",
        "docker.utils.config",
        "docker.auth",
    ]
    .iter()
    .map(|name| {
        let mut l = Mapping::new();
        l.insert(s("name"), s(name));
        l.insert(s("level"), s("warning"));
        Value::Mapping(l)
    })
    .collect();
    m.insert(s("loggers"), Value::Sequence(loggers));
    Value::Mapping(m)
}

/// Sets or (with `None`) removes a key.
fn put(map: &mut Mapping, key: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            map.insert(s(key), v);
        }
        None => {
            map.remove(key);
        }
    }
}

fn database_entries(old: Option<&Value>, dbs: &[NodeDatabase]) -> Value {
    let old: Vec<&Value> = old
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    Value::Sequence(
        dbs.iter()
            .map(|db| {
                // An edit keeps what Berth does not model of the entry with the same label.
                let mut m = old
                    .iter()
                    .find(|o| get_str(o, "label").as_deref() == Some(db.label.as_str()))
                    .and_then(|o| o.as_mapping().cloned())
                    .unwrap_or_default();
                m.insert(s("label"), s(&db.label));
                m.insert(s("uri"), s(&db.uri));
                m.insert(s("type"), s(&db.db_type));
                if db.read_only {
                    m.insert(s("mount_mode"), s("ro"));
                } else if get_str(&Value::Mapping(m.clone()), "mount_mode").as_deref() == Some("ro")
                {
                    m.remove("mount_mode");
                }
                Value::Mapping(m)
            })
            .collect(),
    )
}

fn string_map(map: &BTreeMap<String, String>) -> Option<Value> {
    (!map.is_empty()).then(|| Value::Mapping(map.iter().map(|(k, v)| (s(k), s(v))).collect()))
}

fn string_list(items: &[String]) -> Option<Value> {
    (!items.is_empty()).then(|| Value::Sequence(items.iter().map(|i| s(i)).collect()))
}

/// Ids are written as numbers (the server's ids), names as strings.
fn id_list(items: &[String]) -> Option<Value> {
    (!items.is_empty()).then(|| {
        Value::Sequence(
            items
                .iter()
                .map(|i| i.parse::<i64>().map_or_else(|_| s(i), Value::from))
                .collect(),
        )
    })
}

fn apply_policies(map: &mut Mapping, policies: &NodePolicies) {
    let mut p = map
        .get("policies")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    put(
        &mut p,
        "allowed_algorithms",
        string_list(&policies.allowed_algorithms),
    );
    put(
        &mut p,
        "allowed_algorithm_stores",
        string_list(&policies.allowed_algorithm_stores),
    );
    put(
        &mut p,
        "allowed_organizations",
        id_list(&policies.allowed_organizations),
    );
    put(&mut p, "allowed_users", id_list(&policies.allowed_users));
    put(
        &mut p,
        "allow_either_whitelist_or_store",
        policies.allow_either_whitelist_or_store.map(Value::Bool),
    );
    put(
        map,
        "policies",
        (!p.is_empty()).then_some(Value::Mapping(p)),
    );
}

fn apply_registries(map: &mut Mapping, registries: &[NodeRegistry]) {
    let old = map.get("docker_registries").cloned().unwrap_or(Value::Null);
    let list: Vec<Value> = registries
        .iter()
        .map(|r| {
            let mut m = Mapping::new();
            m.insert(s("registry"), s(&r.registry));
            if let Some(u) = &r.username {
                m.insert(s("username"), s(u));
            }
            // Leaving the password out keeps the stored one of the same registry.
            let password = r.password.clone().or_else(|| {
                old.as_sequence()?
                    .iter()
                    .find(|o| get_str(o, "registry").as_deref() == Some(r.registry.as_str()))
                    .and_then(|o| get_str(o, "password"))
            });
            if let Some(p) = password {
                m.insert(s("password"), s(&p));
            }
            Value::Mapping(m)
        })
        .collect();
    put(
        map,
        "docker_registries",
        (!list.is_empty()).then_some(Value::Sequence(list)),
    );
}

fn apply_encryption(map: &mut Mapping, enc: &NodeEncryption) {
    let mut e = map
        .get("encryption")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    e.insert(s("enabled"), Value::Bool(enc.enabled));
    e.insert(
        s("private_key"),
        s(enc.private_key.as_deref().unwrap_or_default()),
    );
    map.insert(s("encryption"), Value::Mapping(e));
}

/// The document `v6 node new` would write for `req` (keys in PyYAML's sorted order).
pub fn new_document(req: &NodeCreate, default_task_dir: &str) -> Value {
    let mut m = Mapping::new();
    m.insert(s("api_key"), s(&req.api_key));
    m.insert(s("api_path"), s(req.api_path.as_deref().unwrap_or("/api")));
    m.insert(s("databases"), database_entries(None, &req.databases));
    apply_registries(&mut m, &req.docker_registries);
    apply_encryption(&mut m, &req.encryption);
    if let Some(image) = req.image.as_deref().filter(|i| !i.is_empty()) {
        let mut images = Mapping::new();
        images.insert(s("node"), s(image));
        m.insert(s("images"), Value::Mapping(images));
    }
    m.insert(
        s("logging"),
        logging_block(req.logging_level.as_deref().unwrap_or("INFO")),
    );
    put(&mut m, "node_extra_env", string_map(&req.extra_env));
    put(&mut m, "node_extra_hosts", string_map(&req.extra_hosts));
    put(&mut m, "node_extra_mounts", string_list(&req.extra_mounts));
    if let Some(p) = &req.policies {
        apply_policies(&mut m, p);
    }
    let server_url = req.server_url.trim_end_matches('/');
    let port = req.port.unwrap_or(if server_url.starts_with("https") {
        443
    } else {
        7601
    });
    m.insert(s("port"), Value::from(port));
    m.insert(s("server_url"), s(server_url));
    m.insert(
        s("task_dir"),
        s(req.task_dir.as_deref().unwrap_or(default_task_dir)),
    );
    Value::Mapping(m)
}

/// Applies an edit to `doc` in place; keys not named in `req` stay untouched.
pub fn apply_update(doc: &mut Value, req: &NodeUpdate) -> AppResult<()> {
    let map = doc
        .as_mapping_mut()
        .ok_or_else(|| AppError::validation("file", "the file is not a YAML mapping"))?;
    if let Some(url) = &req.server_url {
        map.insert(s("server_url"), s(url.trim_end_matches('/')));
    }
    if let Some(port) = req.port {
        map.insert(s("port"), Value::from(port));
    }
    if let Some(p) = &req.api_path {
        map.insert(s("api_path"), s(p));
    }
    if let Some(t) = &req.task_dir {
        map.insert(s("task_dir"), s(t));
    }
    if let Some(dbs) = &req.databases {
        let entries = database_entries(map.get("databases"), dbs);
        map.insert(s("databases"), entries);
    }
    if let Some(level) = &req.logging_level {
        match map.get_mut("logging").and_then(Value::as_mapping_mut) {
            Some(l) => {
                l.insert(s("level"), s(level));
            }
            None => {
                map.insert(s("logging"), logging_block(level));
            }
        }
    }
    if let Some(enc) = &req.encryption {
        apply_encryption(map, enc);
    }
    if let Some(p) = &req.policies {
        apply_policies(map, p);
    }
    if let Some(env) = &req.extra_env {
        put(map, "node_extra_env", string_map(env));
    }
    if let Some(mounts) = &req.extra_mounts {
        put(map, "node_extra_mounts", string_list(mounts));
    }
    if let Some(hosts) = &req.extra_hosts {
        put(map, "node_extra_hosts", string_map(hosts));
    }
    if let Some(regs) = &req.docker_registries {
        apply_registries(map, regs);
    }
    if let Some(image) = &req.image {
        let mut images = map
            .get("images")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        put(&mut images, "node", (!image.is_empty()).then(|| s(image)));
        put(
            map,
            "images",
            (!images.is_empty()).then_some(Value::Mapping(images)),
        );
    }
    Ok(())
}

/// Sets the API key (`v6 node set-api-key`).
pub fn set_api_key(doc: &mut Value, key: &str) -> AppResult<()> {
    let map = doc
        .as_mapping_mut()
        .ok_or_else(|| AppError::validation("file", "the file is not a YAML mapping"))?;
    map.insert(s("api_key"), s(key));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create() -> NodeCreate {
        NodeCreate {
            name: "n".into(),
            api_key: "secret".into(),
            server_url: "https://v6.example.org/".into(),
            databases: vec![NodeDatabase {
                label: "default".into(),
                uri: "/data/a.csv".into(),
                db_type: "csv".into(),
                read_only: true,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_new_document_passes_the_cli_schema_with_the_wizard_defaults() {
        let doc = new_document(&create(), "/tmp/task");
        validate(&doc).unwrap();
        let f = fields(&doc);
        assert_eq!(f.port, Some(443));
        assert_eq!(f.server_url, "https://v6.example.org");
        assert_eq!(f.api_path, "/api");
        assert_eq!(f.logging_level, "INFO");
        assert!(f.api_key_set);
        assert!(f.databases[0].read_only);
    }

    #[test]
    fn an_edit_keeps_keys_berth_does_not_model() {
        let mut doc = new_document(&create(), "/tmp/task");
        doc.as_mapping_mut()
            .unwrap()
            .insert(s("vpn_subnet"), s("10.76.0.0/16"));
        let mut dbs = doc["databases"].as_sequence().unwrap().clone();
        dbs[0]
            .as_mapping_mut()
            .unwrap()
            .insert(s("note"), s("kept"));
        doc.as_mapping_mut()
            .unwrap()
            .insert(s("databases"), Value::Sequence(dbs));
        let update = NodeUpdate {
            logging_level: Some("DEBUG".into()),
            databases: Some(vec![NodeDatabase {
                label: "default".into(),
                uri: "/data/b.csv".into(),
                db_type: "csv".into(),
                read_only: false,
            }]),
            ..Default::default()
        };
        apply_update(&mut doc, &update).unwrap();
        assert_eq!(doc["vpn_subnet"], s("10.76.0.0/16"));
        assert_eq!(doc["databases"][0]["note"], s("kept"));
        assert!(doc["databases"][0].get("mount_mode").is_none());
        assert_eq!(doc["logging"]["level"], s("DEBUG"));
        assert_eq!(doc["logging"]["max_size"], Value::from(1024));
    }

    #[test]
    fn the_schema_names_the_key_at_fault() {
        let mut doc = new_document(&create(), "/t");
        doc.as_mapping_mut().unwrap().remove("task_dir");
        assert_eq!(
            validate(&doc).unwrap_err().field.as_deref(),
            Some("task_dir")
        );
        let mut doc = new_document(&create(), "/t");
        doc["logging"]
            .as_mapping_mut()
            .unwrap()
            .insert(s("level"), s("NOTSET"));
        assert_eq!(
            validate(&doc).unwrap_err().field.as_deref(),
            Some("logging.level")
        );
        let mut doc = new_document(&create(), "/t");
        doc["encryption"]
            .as_mapping_mut()
            .unwrap()
            .insert(s("enabled"), s("yes"));
        assert_eq!(
            validate(&doc).unwrap_err().field.as_deref(),
            Some("encryption.enabled")
        );
    }

    #[test]
    fn python_str_of_scalars() {
        assert_eq!(py_str(&Value::Bool(true)).unwrap(), "True");
        assert_eq!(py_str(&Value::from(5)).unwrap(), "5");
        assert_eq!(py_str(&Value::from(2.0)).unwrap(), "2.0");
        assert_eq!(py_str(&Value::Null).unwrap(), "None");
    }
}
