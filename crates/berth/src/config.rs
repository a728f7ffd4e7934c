//! Configuration: one struct, from flags, `BERTH_*` environment variables and an optional TOML
//! file, in that order of precedence. Secrets may also come from `*_FILE`; `Debug` redacts them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;

/// Flags of `berth serve`; each also reads `BERTH_<NAME>` from the environment.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (flags and environment win over it).
    #[arg(long, env = "BERTH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "BERTH_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Folder for the database and other state [default: ./berth-data].
    #[arg(long, env = "BERTH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The local engine [default: $DOCKER_HOST, else unix:///var/run/docker.sock].
    #[arg(long, env = "BERTH_DOCKER_HOST")]
    pub docker_host: Option<String>,
    /// Log filter, e.g. `info` or `berth=debug,tower_http=info` [default: info].
    #[arg(long, env = "BERTH_LOG_LEVEL")]
    pub log_level: Option<String>,
    /// Log format: `text` or `json` [default: text].
    #[arg(long, env = "BERTH_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Origins allowed to call the API from a browser (CORS), comma-separated [default: none].
    #[arg(long, env = "BERTH_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,
    /// Berth is reached over HTTPS (directly or through a proxy): send HSTS, mark cookies Secure.
    #[arg(long, env = "BERTH_HTTPS")]
    pub https: Option<bool>,
    /// Seconds a non-streaming request may take before it is answered 408 [default: 60].
    #[arg(long, env = "BERTH_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Seconds Berth waits for a Docker engine before answering 503 [default: 15].
    #[arg(long, env = "BERTH_DOCKER_TIMEOUT")]
    pub docker_timeout: Option<u64>,
    /// Seconds between polls of each host [default: 3].
    #[arg(long, env = "BERTH_POLL_INTERVAL")]
    pub poll_interval: Option<u64>,
    /// Largest accepted request body, in bytes [default: 1048576].
    #[arg(long, env = "BERTH_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Allow privileged containers [default: false].
    #[arg(long, env = "BERTH_ALLOW_PRIVILEGED")]
    pub allow_privileged: Option<bool>,
    /// Host paths that bind mounts may never use (they or anything under them), comma-separated;
    /// replaces the built-in list.
    #[arg(long, env = "BERTH_FORBIDDEN_MOUNT_PATHS", value_delimiter = ',')]
    pub forbidden_mount_paths: Option<Vec<String>>,
    /// Minutes a browser session may sit idle before it ends [default: 720].
    #[arg(long, env = "BERTH_SESSION_IDLE_MINUTES")]
    pub session_idle_minutes: Option<u64>,
    /// Hours a browser session lasts at most [default: 168].
    #[arg(long, env = "BERTH_SESSION_MAX_HOURS")]
    pub session_max_hours: Option<u64>,
    /// Login attempts allowed per client address, and per user name, in 15 minutes [default: 10].
    #[arg(long, env = "BERTH_LOGIN_ATTEMPTS")]
    pub login_attempts: Option<u32>,
    /// API requests allowed per user per minute; 0 for no limit [default: 0].
    #[arg(long, env = "BERTH_API_RATE_LIMIT")]
    pub api_rate_limit: Option<u32>,
    /// Days audit entries are kept [default: 365].
    #[arg(long, env = "BERTH_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u32>,
    /// Password for the first `admin` user.
    #[arg(long, env = "BERTH_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// File holding the password for the first `admin` user.
    #[arg(long, env = "BERTH_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,
    /// vantage6 user configuration folder (default: the CLI's, `~/.config/vantage6`).
    #[arg(long, env = "BERTH_V6_USER_CONFIG_DIR")]
    pub v6_user_config_dir: Option<PathBuf>,
    /// vantage6 system configuration folder (default: the CLI's, `/etc/vantage6`).
    #[arg(long, env = "BERTH_V6_SYSTEM_CONFIG_DIR")]
    pub v6_system_config_dir: Option<PathBuf>,
    /// vantage6 user data folder (default: `~/.local/share/vantage6`).
    #[arg(long, env = "BERTH_V6_USER_DATA_DIR")]
    pub v6_user_data_dir: Option<PathBuf>,
    /// vantage6 user log folder (default: `~/.cache/vantage6/log`).
    #[arg(long, env = "BERTH_V6_USER_LOG_DIR")]
    pub v6_user_log_dir: Option<PathBuf>,
    /// vantage6 system data and log folder (default: `/usr/local/share/vantage6`).
    #[arg(long, env = "BERTH_V6_SYSTEM_DATA_DIR")]
    pub v6_system_data_dir: Option<PathBuf>,
    /// The folder relative paths in vantage6 node configurations resolve against, as the CLI's
    /// resolve against the folder `v6 node start` runs in (default: Berth's working folder).
    #[arg(long, env = "BERTH_V6_WORK_DIR")]
    pub v6_work_dir: Option<PathBuf>,
    /// The 32-byte key that seals secrets in the database [default: <data dir>/secret.key,
    /// created at first start].
    #[arg(long, env = "BERTH_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Attempts per notification before it counts as failed [default: 4].
    #[arg(long, env = "BERTH_NOTIFY_ATTEMPTS")]
    pub notify_attempts: Option<u32>,
    /// Milliseconds before a notification's first retry; doubles each time [default: 2000].
    #[arg(long, env = "BERTH_NOTIFY_BACKOFF_MS")]
    pub notify_backoff_ms: Option<u64>,
    /// How often running containers are checked for a newer image (`30m`, `6h`, `1d`; at least
    /// `1m`); `0` or `off` turns the check off [default: 6h].
    #[arg(long, env = "BERTH_UPDATE_CHECK_INTERVAL")]
    pub update_check_interval: Option<String>,
    /// Check only containers carrying this label (`key` or `key=value`) [default: every running
    /// container].
    #[arg(long, env = "BERTH_UPDATE_CHECK_LABEL")]
    pub update_check_label: Option<String>,
    /// Largest build context (the tar archive of `POST …/images/build`), in bytes
    /// [default: 536870912].
    #[arg(long, env = "BERTH_MAX_BUILD_CONTEXT_BYTES")]
    pub max_build_context_bytes: Option<u64>,
}

/// The optional TOML file; same names as the flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    docker_host: Option<String>,
    log_level: Option<String>,
    log_format: Option<String>,
    cors_origins: Option<Vec<String>>,
    https: Option<bool>,
    request_timeout: Option<u64>,
    docker_timeout: Option<u64>,
    poll_interval: Option<u64>,
    max_body_bytes: Option<usize>,
    allow_privileged: Option<bool>,
    forbidden_mount_paths: Option<Vec<String>>,
    session_idle_minutes: Option<u64>,
    session_max_hours: Option<u64>,
    login_attempts: Option<u32>,
    api_rate_limit: Option<u32>,
    audit_retention_days: Option<u32>,
    admin_password: Option<String>,
    admin_password_file: Option<PathBuf>,
    v6_user_config_dir: Option<PathBuf>,
    v6_system_config_dir: Option<PathBuf>,
    v6_user_data_dir: Option<PathBuf>,
    v6_user_log_dir: Option<PathBuf>,
    v6_system_data_dir: Option<PathBuf>,
    v6_work_dir: Option<PathBuf>,
    secret_key_file: Option<PathBuf>,
    notify_attempts: Option<u32>,
    notify_backoff_ms: Option<u64>,
    update_check_interval: Option<String>,
    update_check_label: Option<String>,
    max_build_context_bytes: Option<u64>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// What may be mounted and how containers may run; one place, so roles can narrow it later.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Whether `privileged: true` is accepted.
    pub allow_privileged: bool,
    /// Host paths bind mounts may not be, or be under.
    pub forbidden_mount_paths: Vec<String>,
}

/// Host paths that would hand the host over to whoever controls the container.
pub const DEFAULT_FORBIDDEN_MOUNT_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/root",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/lib/docker",
    "/run/containerd",
    "/var/run",
    "/run",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
];

/// A secret string: never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// The effective configuration of `berth serve`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// State folder.
    pub data_dir: PathBuf,
    /// The local engine's address.
    pub docker_host: String,
    /// Log filter.
    pub log_level: String,
    /// Log format.
    pub log_format: LogFormat,
    /// CORS origins.
    pub cors_origins: Vec<String>,
    /// Served over HTTPS.
    pub https: bool,
    /// Non-streaming request timeout, seconds.
    pub request_timeout_secs: u64,
    /// Docker call timeout, seconds.
    pub docker_timeout_secs: u64,
    /// Host poll interval, seconds.
    pub poll_interval_secs: u64,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Container policy.
    pub policy: Policy,
    /// Idle minutes before a session ends.
    pub session_idle_minutes: u64,
    /// Hours a session lasts at most.
    pub session_max_hours: u64,
    /// Login attempts per address and per user name in 15 minutes.
    pub login_attempts: u32,
    /// API requests per user per minute (0: unlimited).
    pub api_rate_limit: u32,
    /// Days audit entries are kept.
    pub audit_retention_days: u32,
    /// First admin's password.
    pub admin_password: Option<Secret>,
    /// The vantage6 CLI's folders (node configurations, data, logs).
    pub vantage6: crate::vantage6::Dirs,
    /// The secret key file, when not the data folder's `secret.key`.
    pub secret_key_file: Option<PathBuf>,
    /// Attempts per notification.
    pub notify_attempts: u32,
    /// First notification retry delay, milliseconds.
    pub notify_backoff_ms: u64,
    /// How often running containers are checked for a newer image (`None`: never).
    pub update_check_interval: Option<std::time::Duration>,
    /// Only containers with this label are checked for updates.
    pub update_check_label: Option<String>,
    /// Largest build context upload (spooled to the data folder, never held in memory).
    pub max_build_context_bytes: u64,
}

impl Config {
    /// Builds the configuration: flags and environment (already merged by clap), then the file,
    /// then defaults.
    pub fn load(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let log_format = match args
            .log_format
            .or(file.log_format)
            .as_deref()
            .unwrap_or("text")
        {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("log format must be `text` or `json`, not `{other}`"),
        };
        let admin_password = match (
            args.admin_password.or(file.admin_password),
            args.admin_password_file.or(file.admin_password_file),
        ) {
            (Some(p), _) => Some(Secret::new(p)),
            (None, Some(path)) => Some(Secret::new(read_secret_file(&path)?)),
            (None, None) => None,
        };
        let docker_host = args
            .docker_host
            .or(file.docker_host)
            .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned());
        let config = Self {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))),
            data_dir: args
                .data_dir
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("./berth-data")),
            docker_host,
            log_level: args
                .log_level
                .or(file.log_level)
                .unwrap_or_else(|| "info".to_owned()),
            log_format,
            cors_origins: args.cors_origins.or(file.cors_origins).unwrap_or_default(),
            https: args.https.or(file.https).unwrap_or(false),
            request_timeout_secs: args.request_timeout.or(file.request_timeout).unwrap_or(60),
            docker_timeout_secs: args.docker_timeout.or(file.docker_timeout).unwrap_or(15),
            poll_interval_secs: args.poll_interval.or(file.poll_interval).unwrap_or(3),
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(1024 * 1024),
            policy: Policy {
                allow_privileged: args
                    .allow_privileged
                    .or(file.allow_privileged)
                    .unwrap_or(false),
                forbidden_mount_paths: args
                    .forbidden_mount_paths
                    .or(file.forbidden_mount_paths)
                    .unwrap_or_else(|| {
                        DEFAULT_FORBIDDEN_MOUNT_PATHS
                            .iter()
                            .map(|s| (*s).to_owned())
                            .collect()
                    }),
            },
            session_idle_minutes: args
                .session_idle_minutes
                .or(file.session_idle_minutes)
                .unwrap_or(720),
            session_max_hours: args
                .session_max_hours
                .or(file.session_max_hours)
                .unwrap_or(168),
            login_attempts: args.login_attempts.or(file.login_attempts).unwrap_or(10),
            api_rate_limit: args.api_rate_limit.or(file.api_rate_limit).unwrap_or(0),
            audit_retention_days: args
                .audit_retention_days
                .or(file.audit_retention_days)
                .unwrap_or(365),
            admin_password,
            vantage6: {
                let d = crate::vantage6::Dirs::from_env();
                crate::vantage6::Dirs {
                    user_config: args
                        .v6_user_config_dir
                        .or(file.v6_user_config_dir)
                        .unwrap_or(d.user_config),
                    system_config: args
                        .v6_system_config_dir
                        .or(file.v6_system_config_dir)
                        .unwrap_or(d.system_config),
                    user_data: args
                        .v6_user_data_dir
                        .or(file.v6_user_data_dir)
                        .unwrap_or(d.user_data),
                    user_log: args
                        .v6_user_log_dir
                        .or(file.v6_user_log_dir)
                        .unwrap_or(d.user_log),
                    system_data: args
                        .v6_system_data_dir
                        .or(file.v6_system_data_dir)
                        .unwrap_or(d.system_data),
                    // A relative setting is taken from Berth's working folder, once, here.
                    work_dir: args
                        .v6_work_dir
                        .or(file.v6_work_dir)
                        .map_or_else(|| d.work_dir.clone(), |w| d.work_dir.join(w)),
                }
            },
            secret_key_file: args.secret_key_file.or(file.secret_key_file),
            notify_attempts: args.notify_attempts.or(file.notify_attempts).unwrap_or(4),
            notify_backoff_ms: args
                .notify_backoff_ms
                .or(file.notify_backoff_ms)
                .unwrap_or(2000),
            update_check_interval: parse_interval(
                args.update_check_interval
                    .or(file.update_check_interval)
                    .as_deref()
                    .unwrap_or(DEFAULT_UPDATE_CHECK_INTERVAL),
            )
            .context("update_check_interval")?,
            update_check_label: args
                .update_check_label
                .or(file.update_check_label)
                .filter(|l| !l.trim().is_empty()),
            max_build_context_bytes: args
                .max_build_context_bytes
                .or(file.max_build_context_bytes)
                .unwrap_or(DEFAULT_MAX_BUILD_CONTEXT_BYTES),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.poll_interval_secs == 0 || self.poll_interval_secs > 3600 {
            bail!("poll interval must be between 1 and 3600 seconds");
        }
        if self.docker_timeout_secs == 0 || self.request_timeout_secs == 0 {
            bail!("timeouts must be at least 1 second");
        }
        if self.session_idle_minutes == 0 || self.session_max_hours == 0 || self.login_attempts == 0
        {
            bail!("session lifetimes and login attempts must be at least 1");
        }
        if self.audit_retention_days == 0 {
            bail!("audit retention must be at least 1 day");
        }
        if let Some(p) = &self.admin_password
            && p.expose().chars().count() < crate::auth::password::MIN_LENGTH
        {
            bail!(
                "the admin password must have at least {} characters",
                crate::auth::password::MIN_LENGTH
            );
        }
        if self.notify_attempts == 0 || self.notify_attempts > 20 {
            bail!("notification attempts must be between 1 and 20");
        }
        if self.max_body_bytes < 1024 {
            bail!("max body size must be at least 1024 bytes");
        }
        for origin in &self.cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                bail!("CORS origin `{origin}` must start with http:// or https://");
            }
        }
        Ok(())
    }

    /// A configuration for tests: everything default, data in `data_dir`.
    pub fn for_tests(data_dir: &Path, docker_host: &str) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.to_owned(),
            docker_host: docker_host.to_owned(),
            log_level: "info".to_owned(),
            log_format: LogFormat::Text,
            cors_origins: Vec::new(),
            https: false,
            request_timeout_secs: 60,
            docker_timeout_secs: 10,
            poll_interval_secs: 1,
            max_body_bytes: 1024 * 1024,
            policy: Policy {
                allow_privileged: false,
                forbidden_mount_paths: DEFAULT_FORBIDDEN_MOUNT_PATHS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            },
            session_idle_minutes: 720,
            session_max_hours: 168,
            login_attempts: 10,
            api_rate_limit: 0,
            audit_retention_days: 365,
            admin_password: None,
            vantage6: crate::vantage6::Dirs::from_env(),
            secret_key_file: None,
            notify_attempts: 3,
            notify_backoff_ms: 100,
            // Off: a test server pulling every running container's image would disturb others.
            update_check_interval: None,
            update_check_label: None,
            max_build_context_bytes: DEFAULT_MAX_BUILD_CONTEXT_BYTES,
        }
    }
}

/// The update check's interval when none is configured.
pub const DEFAULT_UPDATE_CHECK_INTERVAL: &str = "6h";

/// 512 MiB: room for a real application's context; larger ones belong in a registry pipeline.
const DEFAULT_MAX_BUILD_CONTEXT_BYTES: u64 = 512 * 1024 * 1024;

/// The shortest update check interval: each round pulls from registries, which rate-limit.
pub const MIN_UPDATE_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Parses an interval such as `90s`, `30m`, `6h` or `1d` (a bare number is seconds); `0` or
/// `off` is `None`.
pub fn parse_interval(text: &str) -> anyhow::Result<Option<std::time::Duration>> {
    let text = text.trim();
    if text == "0" || text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| anyhow::anyhow!("`{text}` is not an interval such as 30m, 6h or 1d"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => bail!("unknown unit `{other}` in `{text}`: use s, m, h or d"),
    };
    let interval = std::time::Duration::from_secs(n.saturating_mul(scale));
    if interval.is_zero() {
        return Ok(None);
    }
    if interval < MIN_UPDATE_CHECK_INTERVAL {
        bail!("`{text}` is too short: at least 1m (or 0 to turn the check off)");
    }
    Ok(Some(interval))
}

fn read_secret_file(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading secret file {}", path.display()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_check_intervals_parse_with_units_and_turn_off_with_zero() {
        use std::time::Duration;
        assert_eq!(
            parse_interval("6h").unwrap(),
            Some(Duration::from_secs(6 * 3600))
        );
        assert_eq!(
            parse_interval("30m").unwrap(),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            parse_interval("1d").unwrap(),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_interval("120").unwrap(),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_interval("0").unwrap(), None);
        assert_eq!(parse_interval("off").unwrap(), None);
        assert!(parse_interval("10s").is_err(), "shorter than a minute");
        assert!(parse_interval("6 weeks").is_err());
        assert!(parse_interval("h").is_err());
        let err = Config::load(ServeArgs {
            update_check_interval: Some("5x".to_owned()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("update_check_interval"),
            "{err:#}"
        );
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("berth.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9999\"\npoll_interval = 7\nlog_format = \"json\"\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(file),
            listen: Some("127.0.0.1:7000".parse().unwrap()),
            ..ServeArgs::default()
        };
        let config = Config::load(args).unwrap();
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.poll_interval_secs, 7);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.request_timeout_secs, 60);
    }

    #[test]
    fn secrets_come_from_files_and_are_redacted_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "correct horse battery\n").unwrap();
        let args = ServeArgs {
            admin_password_file: Some(file),
            ..ServeArgs::default()
        };
        let config = Config::load(args).unwrap();
        assert_eq!(
            config.admin_password.as_ref().map(Secret::expose),
            Some("correct horse battery")
        );
        assert!(!format!("{config:?}").contains("horse"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("berth.toml");
        std::fs::write(&file, "lisen = \"127.0.0.1:1\"\n").unwrap();
        let err = Config::load(ServeArgs {
            config: Some(file),
            ..ServeArgs::default()
        })
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn the_vantage6_work_dir_defaults_to_the_working_folder_and_a_relative_one_is_taken_from_it() {
        let here = std::env::current_dir().unwrap();
        let config = Config::load(ServeArgs::default()).unwrap();
        assert_eq!(config.vantage6.work_dir, here);
        let config = Config::load(ServeArgs {
            v6_work_dir: Some("nodes".into()),
            ..ServeArgs::default()
        })
        .unwrap();
        assert_eq!(config.vantage6.work_dir, here.join("nodes"));
        let config = Config::load(ServeArgs {
            v6_work_dir: Some("/srv/v6".into()),
            ..ServeArgs::default()
        })
        .unwrap();
        assert_eq!(config.vantage6.work_dir, PathBuf::from("/srv/v6"));
    }
}
