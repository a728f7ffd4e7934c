//! The node container `v6 node start` would create from a configuration file, computed without
//! touching the engine: name, command, binds, environment, labels, extra hosts and flags, each
//! in the order and spelling `vantage6/cli/node/start.py` (through docker-py) gives them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use berth_api::vantage6::NodeScope;
use serde_norway::Value;

use super::config::{FILE_TYPES, py_str};
use super::{APPNAME, Dirs, container_name, is_identifier, name_allowed};
use crate::error::{AppError, AppResult};

/// Everything the container is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `vantage6-NAME-SCOPE`.
    pub container_name: String,
    /// `vnode-local start -c /mnt/config/NAME.yaml -n NAME --dockerized --user|--system`.
    pub cmd: Vec<String>,
    /// `SOURCE:TARGET[:ro]`, in the CLI's order, extra mounts last.
    pub binds: Vec<String>,
    /// The bind targets (docker-py declares them as the container's volumes).
    pub volume_targets: Vec<String>,
    /// `KEY=VALUE` (or `KEY` for a null extra value), in the CLI's order.
    pub env: Vec<String>,
    /// `vantage6-type`, `system`, `name`.
    pub labels: BTreeMap<String, String>,
    /// `HOST:ADDRESS`, sorted; `None` for an explicit null (docker-py then leaves the key out).
    pub extra_hosts: Option<Vec<String>>,
    /// Removed by the engine when it ends (unless kept).
    pub auto_remove: bool,
    /// Data, VPN, SSH and Squid volumes, in that order.
    pub volumes: [String; 4],
    /// The node's data folder on this machine.
    pub data_dir: PathBuf,
    /// The node's log folder on this machine.
    pub log_dir: PathBuf,
    /// What the CLI would print as warnings.
    pub warnings: Vec<String>,
}

/// The four named volumes of a node (`ctx.docker_*_volume_name`).
pub fn volume_names(name: &str, scope: NodeScope) -> [String; 4] {
    let c = container_name(name, scope);
    [
        format!("{c}-vol"),
        format!("{c}-vpn-vol"),
        format!("{c}-ssh-vol"),
        format!("{c}-squid-vol"),
    ]
}

/// The data and log folders: the file's `directories` when set, else the CLI's defaults.
pub fn folders(dirs: &Dirs, scope: NodeScope, name: &str, doc: &Value) -> (PathBuf, PathBuf) {
    let custom = |key: &str| {
        doc.get("directories")
            .and_then(|d| d.get(key))
            .and_then(py_str)
            .filter(|s| !s.is_empty() && s != "None")
            .map(PathBuf::from)
    };
    (
        custom("data").unwrap_or_else(|| dirs.default_data_dir(scope, name)),
        custom("log").unwrap_or_else(|| dirs.default_log_dir(scope, name)),
    )
}

/// Python's `str(Path(p))`: repeated slashes and `.` parts dropped.
fn py_path(p: &Path) -> PathBuf {
    p.components().collect()
}

/// Python's `PurePath.suffix`.
fn suffix(uri: &str) -> String {
    let name = Path::new(uri)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.rfind('.') {
        Some(i) if i > 0 && i < name.len() - 1 => name[i..].to_owned(),
        _ => String::new(),
    }
}

/// docker-py's `_host_volume_from_bind`: the target of `SOURCE:TARGET[:MODE]`.
fn bind_target(bind: &str) -> String {
    match bind.split_once(':') {
        None => bind.to_owned(),
        Some((_, rest)) if rest == "ro" || rest == "rw" => {
            bind.split(':').next().unwrap_or_default().to_owned()
        }
        Some((_, rest)) if rest.ends_with(":ro") || rest.ends_with(":rw") => {
            rest[..rest.len() - 3].to_owned()
        }
        Some((_, rest)) => rest.to_owned(),
    }
}

/// Sets `key` in an ordered environment, keeping the first position (a Python dict).
fn set_env(env: &mut Vec<(String, Option<String>)>, key: String, value: Option<String>) {
    match env.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => env.push((key, value)),
    }
}

/// Computes the container of node `name` in `scope` from its file `doc` at `config_file`.
/// Errors are the CLI's refusals (it prints them and exits), each naming the key at fault.
pub fn plan(
    dirs: &Dirs,
    name: &str,
    scope: NodeScope,
    config_file: &Path,
    doc: &Value,
    keep: bool,
) -> AppResult<Plan> {
    if !name_allowed(name) {
        return Err(AppError::validation(
            "name",
            format!("name `{name}` is not allowed: use only a-z A-Z 0-9 _ . -"),
        ));
    }
    let (data_dir, log_dir) = folders(dirs, scope, name, doc);
    let volumes = volume_names(name, scope);
    let mut warnings = Vec::new();
    // (target, source, mode) as in start.py.
    let mut mounts: Vec<(String, String, &str)> = vec![
        (
            "/mnt/log".into(),
            log_dir.to_string_lossy().into_owned(),
            "rw",
        ),
        ("/mnt/data".into(), volumes[0].clone(), "rw"),
        ("/mnt/vpn".into(), volumes[1].clone(), "rw"),
        ("/mnt/ssh".into(), volumes[2].clone(), "rw"),
        ("/mnt/squid".into(), volumes[3].clone(), "rw"),
        (
            format!("/mnt/config/{name}.yaml"),
            config_file.to_string_lossy().into_owned(),
            "ro",
        ),
        (
            "/var/run/docker.sock".into(),
            "/var/run/docker.sock".into(),
            "rw",
        ),
    ];

    let key_name = doc
        .get("encryption")
        .and_then(|e| e.get("private_key"))
        .and_then(py_str)
        .filter(|k| !k.is_empty() && k != "None")
        .unwrap_or_else(|| "private_key.pem".to_owned());
    // The mount source is the CLI's string (relative under a relative data folder); whether the
    // file exists is asked from the CLI's working folder.
    let key_path = py_path(&data_dir.join(&key_name));
    if dirs.resolve(&key_path).exists() {
        mounts.push((
            "/mnt/private_key.pem".into(),
            key_path.to_string_lossy().into_owned(),
            "ro",
        ));
    } else {
        warnings.push(format!(
            "Private key file is provided {}, but does not exist",
            key_path.display()
        ));
    }

    if let Some(tunnels) = doc.get("ssh-tunnels").and_then(Value::as_sequence) {
        for (i, t) in tunnels.iter().enumerate() {
            let host = t.get("hostname").and_then(py_str).unwrap_or_default();
            let key = t
                .get("ssh")
                .and_then(|s| s.get("identity"))
                .and_then(|s| s.get("key"))
                .and_then(py_str)
                .ok_or_else(|| {
                    AppError::validation(
                        format!("ssh-tunnels[{i}].ssh.identity.key"),
                        format!("SSH tunnel identity {host} key not provided"),
                    )
                })?;
            if !dirs.resolve(Path::new(&key)).exists() {
                warnings.push(format!("SSH tunnel identity {host} key does not exist"));
            }
            mounts.push((format!("/mnt/ssh/{host}.pem.tmp"), key, "rw"));
        }
    }

    let mut env: Vec<(String, Option<String>)> = vec![
        ("DATA_VOLUME_NAME".into(), Some(volumes[0].clone())),
        ("VPN_VOLUME_NAME".into(), Some(volumes[1].clone())),
        ("PRIVATE_KEY".into(), Some("/mnt/private_key.pem".into())),
    ];

    let entries: Vec<&Value> = match doc.get("databases") {
        Some(Value::Sequence(items)) => items.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(AppError::validation(
                "databases",
                "`databases` must be a list of mappings with label, uri and type",
            ));
        }
    };
    for (i, entry) in entries.iter().enumerate() {
        let field = |key: &str| format!("databases[{i}].{key}");
        let label = entry.get("label").and_then(py_str).ok_or_else(|| {
            AppError::validation(field("label"), "every database needs a `label`")
        })?;
        if !is_identifier(&label) {
            return Err(AppError::validation(
                field("label"),
                format!(
                    "Database label `{label}` contains invalid characters. Only letters, numbers, and underscores are allowed, and it cannot start with a number."
                ),
            ));
        }
        // The CLI looks each label up again and uses the first entry that has it.
        let db = entries
            .iter()
            .find(|d| d.get("label").and_then(py_str).as_deref() == Some(label.as_str()))
            .unwrap_or(entry);
        let uri = db
            .get("uri")
            .and_then(py_str)
            .ok_or_else(|| AppError::validation(field("uri"), "every database needs a `uri`"))?;
        let db_type = db
            .get("type")
            .and_then(py_str)
            .ok_or_else(|| AppError::validation(field("type"), "every database needs a `type`"))?;
        let mode = db
            .get("mount_mode")
            .map_or_else(|| "copy".to_owned(), |m| py_str(m).unwrap_or_default())
            .to_lowercase();
        if mode != "copy" && mode != "ro" {
            return Err(AppError::validation(
                field("mount_mode"),
                format!(
                    "Database mount_mode `{mode}` is invalid. Supported values are 'copy' and 'ro'."
                ),
            ));
        }
        let file_type = FILE_TYPES.contains(&db_type.as_str());
        if mode == "ro" && !file_type {
            return Err(AppError::validation(
                field("mount_mode"),
                "Database mount_mode `ro` is only supported for file/folder based databases.",
            ));
        }
        // `Path(uri).resolve()` when it exists: absolute from the CLI's working folder, links
        // followed (`Path("")` is the folder itself).
        let candidate = if uri.is_empty() { "." } else { uri.as_str() };
        let resolved = std::fs::canonicalize(dirs.resolve(Path::new(candidate))).ok();
        if file_type && resolved.is_none() {
            return Err(AppError::validation(
                field("uri"),
                format!(
                    "Database {uri} not found. Databases of type '{db_type}' must be present on the harddrive."
                ),
            ));
        }
        let env_key = format!("{}_DATABASE_URI", label.to_uppercase());
        match resolved {
            None => set_env(&mut env, env_key, Some(uri)),
            Some(path) => {
                let path = path.to_string_lossy().into_owned();
                let sfx = suffix(&path);
                set_env(&mut env, env_key, Some(format!("{label}{sfx}")));
                mounts.push((
                    format!("/mnt/{label}{sfx}"),
                    path,
                    if mode == "ro" { "ro" } else { "rw" },
                ));
            }
        }
    }

    let flag = match scope {
        NodeScope::System => "--system",
        NodeScope::User => "--user",
    };
    let cmd = [
        "vnode-local",
        "start",
        "-c",
        &format!("/mnt/config/{name}.yaml"),
        "-n",
        name,
        "--dockerized",
        flag,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();

    let mut binds: Vec<String> = mounts
        .iter()
        .map(|(target, source, mode)| {
            if *mode == "rw" {
                format!("{source}:{target}")
            } else {
                format!("{source}:{target}:{mode}")
            }
        })
        .collect();
    if let Some(extra) = doc.get("node_extra_mounts") {
        let list = extra.as_sequence().ok_or_else(|| {
            AppError::validation(
                "node_extra_mounts",
                "`node_extra_mounts` must be a list of strings",
            )
        })?;
        for m in list {
            binds.push(m.as_str().map(str::to_owned).ok_or_else(|| {
                AppError::validation(
                    "node_extra_mounts",
                    "`node_extra_mounts` must be a list of strings",
                )
            })?);
        }
    }

    if let Some(extra) = doc.get("node_extra_env").and_then(Value::as_mapping) {
        let mut invalid = Vec::new();
        let mut clash = Vec::new();
        let mut add = Vec::new();
        for (k, v) in extra {
            let key = py_str(k).unwrap_or_default();
            if !is_identifier(&key) {
                invalid.push(key);
                continue;
            }
            if env.iter().any(|(e, _)| *e == key) {
                clash.push(key);
                continue;
            }
            let value = match v {
                Value::Null => None,
                other => Some(py_str(other).ok_or_else(|| {
                    AppError::validation(
                        "node_extra_env",
                        format!(
                            "the value of `{key}` must be a single value, not a list or mapping"
                        ),
                    )
                })?),
            };
            add.push((key, value));
        }
        if !invalid.is_empty() {
            return Err(AppError::validation(
                "node_extra_env",
                format!(
                    "Environment variable names should be valid identifiers. The following break this rule: {invalid:?}"
                ),
            ));
        }
        if !clash.is_empty() {
            return Err(AppError::validation(
                "node_extra_env",
                format!("Cannot overwrite existing node environment variables: {clash:?}"),
            ));
        }
        for (k, v) in add {
            set_env(&mut env, k, v);
        }
    }

    // `config.get("node_extra_hosts", {})`: a missing key sends `[]`, an explicit null nothing.
    let extra_hosts = match doc.get("node_extra_hosts") {
        None => Some(Vec::new()),
        Some(v) => v.as_mapping().map(|m| {
            let mut pairs: Vec<(String, String)> = m
                .iter()
                .map(|(k, v)| (py_str(k).unwrap_or_default(), py_str(v).unwrap_or_default()))
                .collect();
            pairs.sort();
            pairs.into_iter().map(|(k, v)| format!("{k}:{v}")).collect()
        }),
    };

    let labels = BTreeMap::from([
        (format!("{APPNAME}-type"), "node".to_owned()),
        (
            "system".to_owned(),
            if scope == NodeScope::System {
                "True"
            } else {
                "False"
            }
            .to_owned(),
        ),
        ("name".to_owned(), name.to_owned()),
    ]);

    Ok(Plan {
        container_name: container_name(name, scope),
        cmd,
        volume_targets: binds.iter().map(|b| bind_target(b)).collect(),
        binds,
        env: env
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k,
            })
            .collect(),
        labels,
        extra_hosts,
        auto_remove: !keep,
        volumes,
        data_dir,
        log_dir,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_targets_and_suffixes_follow_python() {
        assert_eq!(bind_target("/a:/b"), "/b");
        assert_eq!(bind_target("/a:/b:ro"), "/b");
        assert_eq!(bind_target("vol:/b:rw"), "/b");
        assert_eq!(bind_target("/a:/b:z"), "/b:z");
        assert_eq!(suffix("/x/data.csv"), ".csv");
        assert_eq!(suffix("/x/archive.tar.gz"), ".gz");
        assert_eq!(suffix("/x/.hidden"), "");
        assert_eq!(suffix("/x/folder"), "");
    }

    #[test]
    fn a_plain_file_gives_the_cli_command_labels_and_volumes() {
        let dirs = Dirs::from_vars(|k| (k == "HOME").then(|| "/home/ada".to_owned()));
        let doc: Value = serde_norway::from_str(
            "api_key: k\nserver_url: http://x\nport: 7601\napi_path: /api\ntask_dir: /t\n\
             databases:\n- label: db\n  uri: postgresql://h/db\n  type: sql\n\
             node_extra_env: {B: 2, A: null}\nnode_extra_hosts: {z: 1.2.3.4, a: host-gateway}\n",
        )
        .unwrap();
        let p = plan(
            &dirs,
            "n1",
            NodeScope::User,
            Path::new("/c/n1.yaml"),
            &doc,
            false,
        )
        .unwrap();
        assert_eq!(p.container_name, "vantage6-n1-user");
        assert_eq!(
            p.cmd.join(" "),
            "vnode-local start -c /mnt/config/n1.yaml -n n1 --dockerized --user"
        );
        assert_eq!(p.binds[0], "/home/ada/.cache/vantage6/log/node/n1:/mnt/log");
        assert_eq!(p.binds[5], "/c/n1.yaml:/mnt/config/n1.yaml:ro");
        assert_eq!(
            p.env,
            [
                "DATA_VOLUME_NAME=vantage6-n1-user-vol",
                "VPN_VOLUME_NAME=vantage6-n1-user-vpn-vol",
                "PRIVATE_KEY=/mnt/private_key.pem",
                "DB_DATABASE_URI=postgresql://h/db",
                "B=2",
                "A",
            ]
        );
        assert_eq!(p.extra_hosts.unwrap(), ["a:host-gateway", "z:1.2.3.4"]);
        assert_eq!(p.labels["system"], "False");
        assert!(p.auto_remove);
    }

    #[test]
    fn the_cli_refusals_name_the_field() {
        let dirs = Dirs::from_vars(|_| None);
        let doc: Value =
            serde_norway::from_str("databases:\n- label: 1bad\n  uri: /nope\n  type: csv\n")
                .unwrap();
        let err = plan(&dirs, "n", NodeScope::User, Path::new("/c"), &doc, false).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("databases[0].label"));
        let doc: Value = serde_norway::from_str(
            "databases:\n- label: ok\n  uri: /definitely/not/here.csv\n  type: csv\n",
        )
        .unwrap();
        let err = plan(&dirs, "n", NodeScope::User, Path::new("/c"), &doc, false).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("databases[0].uri"));
        let doc: Value = serde_norway::from_str(
            "databases:\n- label: ok\n  uri: postgresql://x\n  type: sql\n  mount_mode: ro\n",
        )
        .unwrap();
        let err = plan(&dirs, "n", NodeScope::User, Path::new("/c"), &doc, false).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("databases[0].mount_mode"));
        let doc: Value = serde_norway::from_str("node_extra_env: {PRIVATE_KEY: x}\n").unwrap();
        let err = plan(&dirs, "n", NodeScope::User, Path::new("/c"), &doc, false).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("node_extra_env"));
    }
}
