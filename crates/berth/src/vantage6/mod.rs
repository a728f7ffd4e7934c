//! vantage6 nodes as the official CLI (`vantage6==4.15.2`, `v6 node …`) makes them: its YAML
//! configuration files in its own folders, and the node container `v6 node start` runs.
//!
//! The CLI is the reference: the folders are `appdirs`' on Linux (see [`Dirs`]), the file is
//! validated by the CLI's schema ([`config`]), and the container's command, binds, environment,
//! labels and flags are built as `vantage6/cli/node/start.py` builds them ([`plan`]); a test
//! starts the same file with both and compares what the engine reports.

pub mod config;
pub mod container;
pub mod files;
pub mod plan;
pub mod version;
pub mod yaml;

use std::path::{Path, PathBuf};

use berth_api::vantage6::NodeScope;

/// The CLI's application name: folder names, container and volume prefixes, the type label.
pub const APPNAME: &str = "vantage6";

/// The folders the CLI uses (`appdirs.AppDirs("vantage6")` on Linux, plus the CLI's own
/// `/etc/vantage6` for system configurations). Each is the `vantage6` folder itself; node files
/// live in its `node/` subfolder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// `$XDG_CONFIG_HOME/vantage6` (`~/.config/vantage6`).
    pub user_config: PathBuf,
    /// `$XDG_DATA_HOME/vantage6` (`~/.local/share/vantage6`).
    pub user_data: PathBuf,
    /// `$XDG_CACHE_HOME/vantage6/log` (`~/.cache/vantage6/log`).
    pub user_log: PathBuf,
    /// `/etc/vantage6` (the first `$XDG_CONFIG_DIRS` entry + `/vantage6` when it has no `xdg`).
    pub system_config: PathBuf,
    /// The first `$XDG_DATA_DIRS` entry + `/vantage6` (`/usr/local/share/vantage6`); system
    /// nodes keep data and logs here.
    pub system_data: PathBuf,
    /// The folder relative paths in a configuration resolve against. `v6 node start` resolves
    /// them against the folder it is run from (a database `uri` through `Path(uri).resolve()`,
    /// `directories.*` and a key under a relative data folder through `mkdir`/`exists`), and
    /// never against the file's folder; Berth stands in for a CLI run from this folder: its own
    /// working folder at start, unless set (`BERTH_V6_WORK_DIR`).
    pub work_dir: PathBuf,
}

impl Dirs {
    /// The folders as the CLI computes them from this process's environment.
    pub fn from_env() -> Self {
        Self::from_vars(|key| std::env::var(key).ok())
    }

    /// The folders from an environment lookup (appdirs 1.4 on Linux; an unset variable takes the
    /// default, a set one is used as it is); the working folder is this process's.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let home = var("HOME").unwrap_or_else(|| "/root".to_owned());
        let expand = |p: &str| -> PathBuf {
            match p.strip_prefix('~') {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                    PathBuf::from(format!("{home}{rest}"))
                }
                _ => PathBuf::from(p),
            }
        };
        let user = |key: &str, default: &str| {
            expand(&var(key).unwrap_or_else(|| default.to_owned())).join(APPNAME)
        };
        let first = |key: &str, default: &str| {
            let list = var(key).unwrap_or_else(|| default.to_owned());
            let first = list.split(':').next().unwrap_or_default();
            expand(first.trim_end_matches('/')).join(APPNAME)
        };
        let site_config = first("XDG_CONFIG_DIRS", "/etc/xdg");
        Self {
            user_config: user("XDG_CONFIG_HOME", "~/.config"),
            user_data: user("XDG_DATA_HOME", "~/.local/share"),
            user_log: user("XDG_CACHE_HOME", "~/.cache").join("log"),
            // The CLI prefers /etc/vantage6 over appdirs' /etc/xdg/vantage6.
            system_config: if site_config.to_string_lossy().contains("xdg") {
                PathBuf::from("/etc").join(APPNAME)
            } else {
                site_config
            },
            system_data: first("XDG_DATA_DIRS", "/usr/local/share:/usr/share"),
            work_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
        }
    }

    /// `path` as the CLI's file-system calls see it: relative to [`Dirs::work_dir`], an absolute
    /// path as it is (Python's `os.path.join` and `Path` semantics).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        self.work_dir.join(path)
    }

    /// The folder holding the node configuration files of `scope`.
    pub fn node_config_dir(&self, scope: NodeScope) -> PathBuf {
        match scope {
            NodeScope::User => self.user_config.join("node"),
            NodeScope::System => self.system_config.join("node"),
        }
    }

    /// `NAME.yaml` in the scope's folder.
    pub fn config_file(&self, scope: NodeScope, name: &str) -> PathBuf {
        self.node_config_dir(scope).join(format!("{name}.yaml"))
    }

    /// The node's default data folder (the file's `directories.data` overrides it).
    pub fn default_data_dir(&self, scope: NodeScope, name: &str) -> PathBuf {
        match scope {
            NodeScope::User => self.user_data.join("node").join(name),
            NodeScope::System => self.system_data.join("node").join(name),
        }
    }

    /// The node's default log folder (the file's `directories.log` overrides it).
    pub fn default_log_dir(&self, scope: NodeScope, name: &str) -> PathBuf {
        match scope {
            NodeScope::User => self.user_log.join("node").join(name),
            NodeScope::System => self.system_data.join("node").join(name),
        }
    }
}

/// `vantage6-NAME-SCOPE`: the node container's name.
pub fn container_name(name: &str, scope: NodeScope) -> String {
    format!("{APPNAME}-{name}-{}", scope.as_str())
}

/// Whether `name` is a configuration name the CLI accepts (`^[a-zA-Z0-9_.-]+$`).
pub fn name_allowed(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Python's `str.isidentifier()` for the ASCII range (database labels, extra environment names).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_follow_appdirs_and_the_cli_prefers_etc_vantage6() {
        let d = Dirs::from_vars(|k| (k == "HOME").then(|| "/home/ada".to_owned()));
        assert_eq!(d.user_config, PathBuf::from("/home/ada/.config/vantage6"));
        assert_eq!(
            d.user_data,
            PathBuf::from("/home/ada/.local/share/vantage6")
        );
        assert_eq!(d.user_log, PathBuf::from("/home/ada/.cache/vantage6/log"));
        assert_eq!(d.system_config, PathBuf::from("/etc/vantage6"));
        assert_eq!(d.system_data, PathBuf::from("/usr/local/share/vantage6"));
        assert_eq!(
            d.config_file(NodeScope::System, "n1"),
            PathBuf::from("/etc/vantage6/node/n1.yaml")
        );
        let d = Dirs::from_vars(|k| match k {
            "XDG_CONFIG_DIRS" => Some("/opt/cfg/:/x".to_owned()),
            "XDG_DATA_DIRS" => Some("/opt/data".to_owned()),
            _ => None,
        });
        assert_eq!(d.system_config, PathBuf::from("/opt/cfg/vantage6"));
        assert_eq!(
            d.default_log_dir(NodeScope::System, "n"),
            PathBuf::from("/opt/data/vantage6/node/n")
        );
    }

    #[test]
    fn relative_paths_resolve_from_the_work_dir_and_absolute_ones_stay() {
        let mut d = Dirs::from_vars(|_| None);
        d.work_dir = PathBuf::from("/srv/v6");
        assert_eq!(
            d.resolve(Path::new("data/a.csv")),
            PathBuf::from("/srv/v6/data/a.csv")
        );
        assert_eq!(
            d.resolve(Path::new("/abs/a.csv")),
            PathBuf::from("/abs/a.csv")
        );
    }

    #[test]
    fn identifiers_and_names_follow_python_and_the_cli() {
        assert!(is_identifier("default"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("my-db"));
        assert!(!is_identifier(""));
        assert!(name_allowed("node-1.a_b"));
        assert!(!name_allowed("node 1"));
        assert!(!name_allowed("a/b"));
    }
}
