//! vantage6 nodes against the official CLI (`vantage6==4.15.2`, run through `tests/v6/v6cli.py`)
//! and the real engine: the containers Berth starts must equal the CLI's, the files each writes
//! must load in the other, and bad input must leave nothing behind.
//!
//! The CLI tests need `BERTH_TEST_V6` (a virtual environment with the CLI; scripts/test-env.sh
//! makes it); without it they say so and skip. The node image is the busybox test image with a
//! `vnode-local` that idles until stopped, built locally so nothing is pulled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use berth::vantage6::Dirs;
use bollard::Docker;
use common::{TestApp, USER_PASSWORD, captured_logs, expect_error, json, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The node image both start in these tests.
const NODE_IMAGE: &str = "berth-test/v6node:test";

/// The image the fake server's version (99.1.x) points to.
const VERSIONED_IMAGE: &str = "ghcr.io/vantage6/infrastructure/node:99.1";

/// Builds [`NODE_IMAGE`] (and tags [`VERSIONED_IMAGE`]) from the test image, once per process.
fn node_image() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::write(
            ctx.path().join("vnode-local"),
            "#!/bin/sh\necho \"vnode-local $*\"\ntrap 'echo stopping; exit 0' TERM INT\nwhile true; do sleep 1; done\n",
        )
        .unwrap();
        std::fs::write(
            ctx.path().join("Dockerfile"),
            format!(
                "FROM {}\nCOPY vnode-local /bin/vnode-local\nRUN chmod 0755 /bin/vnode-local\n",
                common::test_image()
            ),
        )
        .unwrap();
        let out = Command::new("docker")
            .env("DOCKER_BUILDKIT", "0")
            .args(["build", "-q", "--network", "none", "-t", NODE_IMAGE])
            .arg(ctx.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = Command::new("docker")
            .args(["tag", NODE_IMAGE, VERSIONED_IMAGE])
            .output()
            .unwrap();
        assert!(out.status.success());
    });
}

/// A private set of the CLI's folders, and the CLI pointed at them.
struct V6 {
    tmp: tempfile::TempDir,
    dirs: Dirs,
}

impl V6 {
    fn new() -> Self {
        let tmp = tempfile::Builder::new().prefix("v6t").tempdir().unwrap();
        let mut dirs = Dirs::from_vars(|k| {
            Self::xdg(tmp.path())
                .into_iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v)
        });
        // The CLI runs in `tmp` (see `cli`): Berth resolves relative paths from there too.
        dirs.work_dir = tmp.path().to_owned();
        Self { tmp, dirs }
    }

    /// The environment that sends the CLI (appdirs) to the same folders.
    fn xdg(root: &Path) -> Vec<(&'static str, String)> {
        let p = |s: &str| root.join(s).to_string_lossy().into_owned();
        vec![
            ("HOME", p("home")),
            ("XDG_CONFIG_HOME", p("cfg")),
            ("XDG_DATA_HOME", p("data")),
            ("XDG_CACHE_HOME", p("cache")),
            ("XDG_CONFIG_DIRS", p("etc")),
            ("XDG_DATA_DIRS", p("share")),
        ]
    }

    /// A file or folder for test data.
    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join("files").join(rel)
    }

    fn file(&self, rel: &str, text: &str) -> String {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }

    /// The CLI, when the environment has it.
    /// The Python of the official CLI's venv. The comparison is the point of these tests, so a
    /// missing CLI fails them (saying how to get it) rather than letting them pass unchecked.
    fn cli_python() -> PathBuf {
        let venv = std::env::var("BERTH_TEST_V6")
            .ok()
            .filter(|v| !v.is_empty())
            .expect(
                "BERTH_TEST_V6 is not set: run scripts/test-env.sh, then `. /run/berth-test/env` \
                 (it installs vantage6==4.15.2 for the comparison with the official CLI)",
            );
        PathBuf::from(venv).join("bin/python")
    }

    /// Runs `v6cli.py ARGS` (with `stdin`), answering (success, stdout + stderr).
    fn cli(&self, args: &[&str], stdin: Option<&str>) -> (bool, String) {
        use std::io::Write;
        let python = Self::cli_python();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/v6/v6cli.py");
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .args(args)
            .envs(Self::xdg(self.tmp.path()))
            .current_dir(self.tmp.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    async fn app(&self) -> TestApp {
        let dirs = self.dirs.clone();
        TestApp::spawn_with(move |c| c.vantage6 = dirs).await
    }
}

/// What a comparison with the official CLI needs: the CLI, the node image, the engine to this test
/// alone (the lock, held until the test ends), fresh vantage6 folders and a Berth using them.
async fn cli_comparison() -> (std::fs::File, V6, TestApp) {
    V6::cli_python();
    node_image();
    let lock = engine_lock();
    let v6 = V6::new();
    let app = v6.app().await;
    (lock, v6, app)
}

/// One test at a time touches node containers: the CLI lists every `vantage6-type=node`
/// container and inspects each, and fails when another test's container vanishes in between.
fn engine_lock() -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::env::temp_dir().join("berth-vantage6-tests.lock"))
        .unwrap();
    file.lock().unwrap();
    file
}

fn docker() -> Docker {
    Docker::connect_with_local_defaults().unwrap()
}

/// `docker inspect` of a container, or `None`.
async fn inspect(name: &str) -> Option<Value> {
    docker()
        .inspect_container(name, None)
        .await
        .ok()
        .map(|c| serde_json::to_value(c).unwrap())
}

async fn volume_exists(name: &str) -> bool {
    docker().inspect_volume(name).await.is_ok()
}

fn volumes_of(name: &str, scope: &str) -> Vec<String> {
    ["vol", "vpn-vol", "ssh-vol", "squid-vol"]
        .iter()
        .map(|v| format!("vantage6-{name}-{scope}-{v}"))
        .collect()
}

/// Removes whatever a test left of a node on the engine.
async fn sweep(name: &str, scope: &str) {
    let d = docker();
    let _ = d
        .remove_container(
            &format!("vantage6-{name}-{scope}"),
            Some(bollard::query_parameters::RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await;
    for _ in 0..20 {
        if inspect(&format!("vantage6-{name}-{scope}")).await.is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for v in volumes_of(name, scope) {
        let _ = d
            .remove_volume(&v, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await;
    }
}

/// Removes, when dropped, everything the engine holds of the nodes it names: the container
/// `vantage6-NAME-SCOPE` (Berth's or the CLI's, running or kept), every volume and network whose
/// name starts with `vantage6-NAME-SCOPE-` (the four node volumes, temporary `…-tmpvol`s, the
/// node's `…-net`). Like `common::Containers`, it works through the `docker` CLI, synchronously,
/// so it also runs while a failed test unwinds, where no runtime can be awaited.
struct NodeGuard {
    nodes: Vec<String>,
}

impl NodeGuard {
    /// Guards the nodes `(name, scope)`.
    fn new(nodes: &[(&str, &str)]) -> Self {
        Self {
            nodes: nodes
                .iter()
                .map(|(name, scope)| format!("vantage6-{name}-{scope}"))
                .collect(),
        }
    }

    /// The names `docker KIND ls` lists that belong to a guarded node.
    fn listed(kind: &str, container: &str) -> Vec<String> {
        let out = Command::new("docker")
            .args([kind, "ls", "--format", "{{.Name}}"])
            .args(["--filter", &format!("name={container}-")])
            .output();
        out.map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                // `name=` filters on a substring; keep only this node's own.
                .filter(|n| n.starts_with(&format!("{container}-")))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
    }
}

impl Drop for NodeGuard {
    fn drop(&mut self) {
        for container in &self.nodes {
            // `rm -f` waits until the container is gone, so its volumes are free afterwards.
            let _ = Command::new("docker")
                .args(["rm", "-fv", container])
                .output();
            let volumes = Self::listed("volume", container);
            if !volumes.is_empty() {
                let _ = Command::new("docker")
                    .args(["volume", "rm", "-f"])
                    .args(&volumes)
                    .output();
            }
            let networks = Self::listed("network", container);
            if !networks.is_empty() {
                let _ = Command::new("docker")
                    .args(["network", "rm"])
                    .args(&networks)
                    .output();
            }
        }
    }
}

/// What must be equal between the two containers: the whole `Config` (but the hostname, the
/// container id's prefix), the whole `HostConfig`, the mounts, the command and the name.
fn comparable(c: &Value) -> Value {
    let mut config = c["Config"].clone();
    config.as_object_mut().unwrap().remove("Hostname");
    let mut mounts = c["Mounts"].as_array().cloned().unwrap_or_default();
    mounts.sort_by_key(|m| m["Destination"].as_str().unwrap_or_default().to_owned());
    json!({
        "Name": c["Name"],
        "Path": c["Path"],
        "Args": c["Args"],
        "Image": c["Image"],
        "Config": config,
        "HostConfig": c["HostConfig"],
        "Mounts": mounts,
    })
}

/// Lists the keys at which two JSON values differ (for a readable failure).
fn diff(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                diff(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{at}.{k}"),
                    out,
                );
            }
        }
        _ if a != b => out.push(format!("{at}: CLI {a} vs Berth {b}")),
        _ => {}
    }
}

/// Starts node `name` with the CLI (`cli_args` after `node start --name NAME`), records the
/// container, stops it with the CLI, starts it with Berth (`start`), records again and compares.
/// Answers Berth's start result; the node is left running under Berth.
async fn compare_start(
    v6: &V6,
    app: &TestApp,
    name: &str,
    scope: &str,
    cli_args: &[&str],
    start: Value,
) -> Value {
    let cname = format!("vantage6-{name}-{scope}");
    let mut args = vec!["node", "start", "--name", name];
    if scope == "system" {
        args.push("--system");
    }
    args.extend_from_slice(cli_args);
    let (ok, out) = v6.cli(&args, None);
    assert!(ok, "v6 node start failed:\n{out}");
    let cli = inspect(&cname).await.expect("the CLI's node container");
    // Gone the way the CLI removes it, so Berth starts from the same clean slate.
    let mut stop = vec!["node", "stop", "--name", name];
    if scope == "system" {
        stop.push("--system");
    }
    let (ok, out) = v6.cli(&stop, None);
    assert!(ok, "v6 node stop failed:\n{out}");
    if cli["HostConfig"]["AutoRemove"] == true {
        // The CLI's stop semantics, which Berth's stop is held to below: all four volumes go.
        for v in volumes_of(name, scope) {
            assert!(!volume_exists(&v).await, "the CLI's stop left {v}");
        }
    }
    sweep(name, scope).await;

    let (status, started) = json(
        app.post(&format!("/api/v1/vantage6/nodes/{name}/start"), &start)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let berth = inspect(&cname).await.expect("Berth's node container");
    let (a, b) = (comparable(&cli), comparable(&berth));
    let mut differences = Vec::new();
    diff(&a, &b, "", &mut differences);
    assert!(
        differences.is_empty(),
        "the containers differ:\n{}",
        differences.join("\n")
    );
    started
}

/// Stops a node through Berth and checks the CLI's stop semantics: container and volumes gone.
async fn berth_stop(app: &TestApp, name: &str, scope: &str) {
    let (status, body) = json(
        app.post(
            &format!("/api/v1/vantage6/nodes/{name}/stop"),
            &json!({ "scope": scope }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["container"]["state"], "no_container", "{body}");
    assert!(inspect(&format!("vantage6-{name}-{scope}")).await.is_none());
    for v in volumes_of(name, scope) {
        assert!(!volume_exists(&v).await, "{v} survived the stop");
    }
}

fn logging() -> Value {
    json!({
        "level": "DEBUG", "use_console": true, "backup_count": 5, "max_size": 1024,
        "format": "%(asctime)s - %(message)s", "datefmt": "%H:%M:%S"
    })
}

#[tokio::test]
async fn a_cli_written_node_with_every_file_database_starts_as_the_cli_starts_it() {
    let (_lock, v6, app) = cli_comparison().await;
    let name = unique("v6files");
    let _nodes = NodeGuard::new(&[(&name, "user")]);
    let csv = v6.file("db/a.csv", "x,y\n1,2\n");
    let parquet = v6.file("db/b.parquet", "PAR1");
    let excel = v6.file("db/c.xlsx", "PK");
    let folder = v6.path("db/images");
    std::fs::create_dir_all(&folder).unwrap();
    let config = json!({
        "api_key": "cli-written-key-0001",
        "server_url": "http://127.0.0.1",
        "port": 9,
        "api_path": "/api",
        "task_dir": v6.path("tasks"),
        "databases": [
            {"label": "default", "uri": csv, "type": "csv"},
            {"label": "pq", "uri": parquet, "type": "parquet", "mount_mode": "ro"},
            {"label": "sheet", "uri": excel, "type": "excel"},
            {"label": "imgs", "uri": folder, "type": "folder", "mount_mode": "ro"},
            {"label": "warehouse", "uri": "postgresql://db.local:5432/omop", "type": "sql"}
        ],
        "logging": logging(),
        "encryption": {"enabled": false, "private_key": ""},
        "vpn_subnet": "10.76.0.0/16"
    });
    let (ok, out) = v6.cli(
        &["write-config", &name, "--user"],
        Some(&config.to_string()),
    );
    assert!(ok, "{out}");

    // Berth reads what the CLI wrote, never answering the key.
    let res = app
        .get(&format!("/api/v1/vantage6/nodes/{name}?scope=user"))
        .await;
    let text = res.text().await.unwrap();
    assert!(!text.contains("cli-written-key-0001"), "{text}");
    let detail: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(detail["api_key_set"], true);
    assert_eq!(detail["port"], 9);
    assert_eq!(detail["logging_level"], "DEBUG");
    let dbs = detail["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), 5);
    assert_eq!(dbs[1]["read_only"], true);
    assert_eq!(dbs[4]["type"], "sql");
    assert_eq!(detail["container"]["state"], "no_container");

    let started = compare_start(
        &v6,
        &app,
        &name,
        "user",
        &["--image", NODE_IMAGE],
        json!({ "scope": "user", "image": NODE_IMAGE }),
    )
    .await;
    assert_eq!(started["image"], NODE_IMAGE);
    assert_eq!(started["container"]["state"], "running");
    let c = inspect(&format!("vantage6-{name}-user")).await.unwrap();
    let env: Vec<&str> = c["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"PQ_DATABASE_URI=pq.parquet"), "{env:?}");
    assert!(
        env.contains(&"WAREHOUSE_DATABASE_URI=postgresql://db.local:5432/omop"),
        "{env:?}"
    );
    berth_stop(&app, &name, "user").await;
    // An edit keeps the key Berth does not model.
    let (status, body) = json(
        app.patch(
            &format!("/api/v1/vantage6/nodes/{name}"),
            &json!({ "logging_level": "WARNING" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = std::fs::read_to_string(
        v6.dirs
            .config_file(berth_api::vantage6::NodeScope::User, &name),
    )
    .unwrap();
    assert!(text.contains("vpn_subnet:"), "{text}");
    let (ok, out) = v6.cli(&["load-config", &name, "--user"], None);
    assert!(ok, "{out}");
    let loaded: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(loaded["config"]["logging"]["level"], "WARNING");
    assert_eq!(loaded["config"]["vpn_subnet"], "10.76.0.0/16");
    assert_eq!(loaded["config"]["databases"][1]["mount_mode"], "ro");
    app.stop().await;
}

#[tokio::test]
async fn relative_paths_in_a_node_resolve_from_the_working_folder_as_the_cli_resolves_them() {
    let (_lock, v6, app) = cli_comparison().await;
    let name = unique("v6rel");
    let _nodes = NodeGuard::new(&[(&name, "user")]);
    v6.file("rel/patients.csv", "id\n1\n");
    v6.file("rel/2024.parquet", "PAR1");
    std::fs::create_dir_all(v6.path("rel/images")).unwrap();
    // `Path.resolve()` follows links: the mount and the suffix are the target's.
    std::os::unix::fs::symlink("2024.parquet", v6.path("rel/latest.csv")).unwrap();
    // Relative folders without a slash: made in the working folder, and (as the CLI passes
    // them on) a named volume to the engine; named so the guard removes it.
    let log_dir = format!("vantage6-{name}-user-logdir");
    let data_dir = format!("vantage6-{name}-user-datadir");
    let config = json!({
        "api_key": "relative-key-0009",
        "server_url": "http://127.0.0.1",
        "port": 9,
        "api_path": "/api",
        "task_dir": "tasks",
        "directories": {"log": log_dir, "data": data_dir},
        "databases": [
            {"label": "default", "uri": "files/rel/patients.csv", "type": "csv"},
            {"label": "imgs", "uri": "./files/rel/images", "type": "folder", "mount_mode": "ro"},
            {"label": "latest", "uri": "files/rel/latest.csv", "type": "parquet"},
            {"label": "remote", "uri": "files/rel/not-here.db", "type": "sql"}
        ],
        "logging": logging(),
        "encryption": {"enabled": false, "private_key": ""}
    });
    let (ok, out) = v6.cli(
        &["write-config", &name, "--user"],
        Some(&config.to_string()),
    );
    assert!(ok, "{out}");
    // Berth's own working folder (the crate's, under cargo) has none of these files.
    let own = std::env::current_dir().unwrap();
    assert!(!own.join("files/rel/patients.csv").exists());

    compare_start(
        &v6,
        &app,
        &name,
        "user",
        &["--image", NODE_IMAGE],
        json!({ "scope": "user", "image": NODE_IMAGE }),
    )
    .await;
    let c = inspect(&format!("vantage6-{name}-user")).await.unwrap();
    let binds: Vec<&str> = c["HostConfig"]["Binds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let root = std::fs::canonicalize(v6.tmp.path()).unwrap();
    let root = root.display();
    for bind in [
        format!("{root}/files/rel/patients.csv:/mnt/default.csv"),
        format!("{root}/files/rel/images:/mnt/imgs:ro"),
        format!("{root}/files/rel/2024.parquet:/mnt/latest.parquet"),
        format!("{log_dir}:/mnt/log"),
    ] {
        assert!(binds.contains(&bind.as_str()), "{bind} not in {binds:?}");
    }
    let env = c["Config"]["Env"].to_string();
    assert!(
        env.contains("REMOTE_DATABASE_URI=files/rel/not-here.db"),
        "{env}"
    );
    assert!(env.contains("LATEST_DATABASE_URI=latest.parquet"), "{env}");
    assert!(v6.tmp.path().join(&data_dir).is_dir());
    assert!(!own.join(&data_dir).exists() && !own.join(&log_dir).exists());
    berth_stop(&app, &name, "user").await;

    // An edit checks relative database files from the same folder, and says so when missing.
    let node = format!("/api/v1/vantage6/nodes/{name}");
    let (status, detail) = json(app.get(&node).await).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["databases"][0]["uri"], "files/rel/patients.csv");
    let mut dbs = detail["databases"].clone();
    dbs[0]["read_only"] = json!(true);
    let (status, body) = json(app.patch(&node, &json!({ "databases": dbs })).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    dbs[0]["uri"] = json!("files/rel/gone.csv");
    let res = app.patch(&node, &json!({ "databases": dbs })).await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "databases[0].uri");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&v6.tmp.path().display().to_string()),
        "{message}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_berth_written_node_with_encryption_and_extras_starts_as_the_cli_starts_it() {
    let (_lock, v6, app) = cli_comparison().await;
    let name = unique("v6extra");
    let _nodes = NodeGuard::new(&[(&name, "user")]);
    // A relative private key lives in the node's data folder.
    let data = v6
        .dirs
        .default_data_dir(berth_api::vantage6::NodeScope::User, &name);
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("key.pem"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let extra = v6.path("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let csv = v6.file("data.csv", "a\n1\n");
    let body = json!({
        "name": name,
        "api_key": "berth-written-key-0002",
        "server_url": "https://v6.example.org",
        "databases": [{"label": "default", "uri": csv, "type": "csv"}],
        "encryption": {"enabled": true, "private_key": "key.pem"},
        "policies": {"allowed_algorithms": ["^harbor2\\.vantage6\\.ai/.*"], "allowed_organizations": ["3", "acme"]},
        "extra_env": {"EXTRA_ONE": "1", "LOG_COLOR": "off"},
        "extra_mounts": [format!("{}:/mnt/extra:ro", extra.display())],
        "extra_hosts": {"db.local": "10.0.0.5", "alpha": "host-gateway"},
        "docker_registries": [{"registry": "harbor2.vantage6.ai", "username": "u", "password": "registry-pass"}],
        "image": NODE_IMAGE
    });
    let (status, detail) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    assert_eq!(detail["port"], 443);
    assert_eq!(detail["docker_registries"][0]["password_set"], true);
    assert!(!detail.to_string().contains("registry-pass"));
    assert!(!detail.to_string().contains("berth-written-key-0002"));

    // The CLI loads what Berth wrote.
    let (ok, out) = v6.cli(&["load-config", &name, "--user"], None);
    assert!(ok, "{out}");
    let loaded: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(loaded["config"]["api_key"], "berth-written-key-0002");
    assert_eq!(loaded["config"]["encryption"]["enabled"], true);
    assert_eq!(
        loaded["config"]["policies"]["allowed_organizations"],
        json!([3, "acme"])
    );
    assert_eq!(loaded["data_dir"], data.to_string_lossy().as_ref());

    // Kept: the comparison includes auto-remove off.
    let started = compare_start(
        &v6,
        &app,
        &name,
        "user",
        &["--keep"],
        json!({ "scope": "user", "keep": true }),
    )
    .await;
    assert_eq!(started["image"], NODE_IMAGE);
    let c = inspect(&format!("vantage6-{name}-user")).await.unwrap();
    assert_eq!(c["HostConfig"]["AutoRemove"], false);
    let binds = c["HostConfig"]["Binds"].to_string();
    assert!(binds.contains("key.pem:/mnt/private_key.pem:ro"), "{binds}");
    assert!(binds.contains(":/mnt/extra:ro"), "{binds}");
    assert_eq!(
        c["HostConfig"]["ExtraHosts"],
        json!(["alpha:host-gateway", "db.local:10.0.0.5"])
    );
    app.stop().await;
}

#[tokio::test]
async fn a_system_node_with_a_read_only_database_starts_as_the_cli_starts_it() {
    let (_lock, v6, app) = cli_comparison().await;
    let name = unique("v6sys");
    let _nodes = NodeGuard::new(&[(&name, "system")]);
    let csv = v6.file("sys/patients.csv", "id\n1\n");
    let key = v6.file("keys/private.pem", "-----BEGIN PRIVATE KEY-----\n");
    let body = json!({
        "name": name, "scope": "system",
        "api_key": "system-key-0003",
        "server_url": "http://127.0.0.1", "port": 9,
        "databases": [{"label": "patients", "uri": csv, "type": "csv", "read_only": true}],
        "encryption": {"enabled": true, "private_key": key},
        "image": NODE_IMAGE
    });
    let (status, detail) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    assert!(
        detail["config_file"]
            .as_str()
            .unwrap()
            .ends_with(&format!("etc/vantage6/node/{name}.yaml"))
    );
    compare_start(
        &v6,
        &app,
        &name,
        "system",
        &[],
        json!({ "scope": "system" }),
    )
    .await;
    let c = inspect(&format!("vantage6-{name}-system")).await.unwrap();
    assert_eq!(c["Config"]["Labels"]["system"], "True");
    assert_eq!(
        c["Config"]["Cmd"],
        json!([
            "vnode-local",
            "start",
            "-c",
            format!("/mnt/config/{name}.yaml"),
            "-n",
            name,
            "--dockerized",
            "--system"
        ])
    );
    assert!(
        c["HostConfig"]["Binds"]
            .to_string()
            .contains(":/mnt/patients.csv:ro")
    );
    let (status, list) = json(app.get("/api/v1/vantage6/nodes").await).await;
    assert_eq!(status, StatusCode::OK);
    let me = list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name.as_str())
        .unwrap();
    assert_eq!(me["scope"], "system");
    assert_eq!(me["container"]["state"], "running");
    assert!(
        me["container"]["logs_url"]
            .as_str()
            .unwrap()
            .starts_with("/api/v1/hosts/local/containers/")
    );
    assert_eq!(list["running"], 1);
    berth_stop(&app, &name, "system").await;
    app.stop().await;
}

/// A server that answers every request with `{"version": "99.1.3"}`.
async fn version_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router =
        axum::Router::new().fallback(|| async { axum::Json(json!({ "version": "99.1.3" })) });
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

// The fake server answers the CLI while the test waits for it: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_image_both_ask_the_server_for_its_version() {
    let (_lock, v6, app) = cli_comparison().await;
    let port = version_server().await;
    let name = unique("v6ver");
    let _nodes = NodeGuard::new(&[(&name, "user")]);
    let body = json!({
        "name": name, "api_key": "k-0004",
        "server_url": "http://127.0.0.1", "port": port, "api_path": "/api"
    });
    let (status, detail) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let started = compare_start(&v6, &app, &name, "user", &[], json!({})).await;
    assert_eq!(started["image"], VERSIONED_IMAGE);
    let warnings = started["warnings"].to_string();
    assert!(warnings.contains("Will use local image"), "{warnings}");
    assert!(warnings.contains("Version mismatch"), "{warnings}");
    berth_stop(&app, &name, "user").await;
    app.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_leaves_nothing_behind() {
    // It runs `v6 node start` and starts a node of its own.
    let _lock = engine_lock();
    let v6 = V6::new();
    let app = v6.app().await;
    let name = unique("v6bad");
    let half = unique("v6half");
    let _nodes = NodeGuard::new(&[(&name, "user"), (&half, "user")]);
    let csv = v6.file("ok.csv", "a\n");
    let base = json!({ "name": name, "api_key": "k", "server_url": "http://127.0.0.1", "port": 9 });
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    let file = v6
        .dirs
        .config_file(berth_api::vantage6::NodeScope::User, &name);

    let res = app
        .post(
            "/api/v1/vantage6/nodes",
            &with(json!({"databases": [{"label": "my-db", "uri": csv, "type": "csv"}]})),
        )
        .await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "databases[0].label");
    assert!(!file.exists());

    let res = app
        .post(
            "/api/v1/vantage6/nodes",
            &with(json!({"databases": [{"label": "db", "uri": v6.path("missing.csv"), "type": "csv"}]})),
        )
        .await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "databases[0].uri");
    assert!(!file.exists());

    let res = app
        .post("/api/v1/vantage6/nodes", &with(json!({"name": "bad name"})))
        .await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "name");

    let res = app
        .post(
            "/api/v1/vantage6/nodes",
            &with(json!({"extra_env": {"PRIVATE_KEY": "x"}})),
        )
        .await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "extra_env");

    let (status, _) = json(app.post("/api/v1/vantage6/nodes", &base).await).await;
    assert_eq!(status, StatusCode::CREATED);
    let res = app.post("/api/v1/vantage6/nodes", &base).await;
    let body = expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert_eq!(body["error"]["field"], "name");

    // Nothing listens on port 9: no version, and the default image cannot be pulled here.
    let res = app
        .post(&format!("/api/v1/vantage6/nodes/{name}/start"), &json!({}))
        .await;
    let body = expect_error(res, StatusCode::BAD_GATEWAY, "IMAGE_PULL_FAILED").await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("server version"), "{message}");
    assert!(
        message.contains("infrastructure/node:cotopaxi"),
        "{message}"
    );
    assert!(inspect(&format!("vantage6-{name}-user")).await.is_none());
    for v in volumes_of(&name, "user") {
        assert!(!volume_exists(&v).await, "{v} was made");
    }
    let scope = berth_api::vantage6::NodeScope::User;
    assert!(!v6.dirs.default_data_dir(scope, &name).exists());
    assert!(!v6.dirs.default_log_dir(scope, &name).exists());

    // A label the CLI refuses, written by hand, is refused at start, naming it.
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "databases: []",
        &format!("databases:\n- label: 2nd\n  uri: {csv}\n  type: csv"),
    );
    std::fs::write(&file, text).unwrap();
    let res = app
        .post(
            &format!("/api/v1/vantage6/nodes/{name}/start"),
            &json!({"image": NODE_IMAGE}),
        )
        .await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "databases[0].label");
    assert!(inspect(&format!("vantage6-{name}-user")).await.is_none());
    for v in volumes_of(&name, "user") {
        assert!(!volume_exists(&v).await, "{v} was made");
    }
    // The CLI refuses the same file (though it has made the node's volumes by then).
    node_image();
    let (ok, out) = v6.cli(
        &["node", "start", "--name", &name, "--image", NODE_IMAGE],
        None,
    );
    assert!(!ok && out.contains("invalid characters"), "{out}");
    assert!(inspect(&format!("vantage6-{name}-user")).await.is_none());
    sweep(&name, "user").await;

    let res = app.get("/api/v1/vantage6/nodes/nope?scope=system").await;
    expect_error(res, StatusCode::NOT_FOUND, "NODE_NOT_FOUND").await;

    // The engine refuses the container (a mount mode it does not know): what the start made
    // before (volumes, folders) is taken back.
    node_image();
    let body = json!({
        "name": half, "api_key": "k", "server_url": "http://127.0.0.1", "port": 9,
        "image": NODE_IMAGE, "extra_mounts": [format!("{}:/mnt/x:notamode", v6.path("").display())]
    });
    let (status, _) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED);
    let res = app
        .post(&format!("/api/v1/vantage6/nodes/{half}/start"), &json!({}))
        .await;
    let (status, body) = json(res).await;
    assert!(
        status.is_client_error() || status.is_server_error(),
        "{body}"
    );
    assert!(inspect(&format!("vantage6-{half}-user")).await.is_none());
    for v in volumes_of(&half, "user") {
        assert!(!volume_exists(&v).await, "{v} was left behind");
    }
    assert!(!v6.dirs.default_data_dir(scope, &half).exists());
    assert!(!v6.dirs.default_log_dir(scope, &half).exists());

    // A file the CLI would not load is listed as such, with the reason.
    let dir = v6.dirs.node_config_dir(scope);
    std::fs::write(dir.join("broken.yaml"), "api_key: [\n").unwrap();
    std::fs::write(
        dir.join("partial.yaml"),
        "api_key: k\nserver_url: http://x\n",
    )
    .unwrap();
    let (status, list) = json(app.get("/api/v1/vantage6/nodes").await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let find = |n: &str| {
        list["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("broken")["valid"], false);
    let partial = find("partial");
    assert_eq!(partial["valid"], false);
    assert!(
        partial["error"].as_str().unwrap().contains("port"),
        "{partial}"
    );
    assert_eq!(find(&name)["valid"], true);
    let res = app.get("/api/v1/vantage6/nodes/broken").await;
    let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["field"], "file");
    app.stop().await;
}

#[tokio::test]
async fn stop_remove_and_clean_do_what_the_cli_does() {
    node_image();
    let _lock = engine_lock();
    let v6 = V6::new();
    let app = v6.app().await;
    let name = unique("v6life");
    let _nodes = NodeGuard::new(&[(&name, "user")]);
    let scope = berth_api::vantage6::NodeScope::User;
    let body = json!({
        "name": name, "api_key": "k-0005", "server_url": "http://127.0.0.1", "port": 9,
        "image": NODE_IMAGE
    });
    let (status, detail) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{detail}");
    let node = format!("/api/v1/vantage6/nodes/{name}");
    let (_, s) = json(app.get(&format!("{node}/status")).await).await;
    assert_eq!(s["state"], "no_container");

    // Two starts at once: one starts the node, the other is refused (busy, or already running).
    let start = format!("{node}/start");
    let empty = json!({});
    let (a, b) = tokio::join!(app.post(&start, &empty), app.post(&start, &empty));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let (_, started) = json(app.get(&format!("{node}/status")).await).await;
    assert_eq!(started["state"], "running", "{started}");
    for v in volumes_of(&name, "user") {
        assert!(volume_exists(&v).await, "{v} missing");
    }
    assert!(v6.dirs.default_log_dir(scope, &name).is_dir());
    let res = app.post(&format!("{node}/start"), &json!({})).await;
    expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    // The node's logs, through the containers' logs endpoint.
    let mut lines = Value::Null;
    for _ in 0..50 {
        let (status, body) = json(app.get(&format!("{node}/logs?scope=user&tail=all")).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body.to_string().contains("vnode-local start -c") {
            lines = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(lines.to_string().contains("--dockerized --user"), "{lines}");
    let res = app.delete(&node).await;
    expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;

    berth_stop(&app, &name, "user").await;
    let res = app.post(&format!("{node}/stop"), &json!({})).await;
    expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;

    // Kept: the ended container stays and holds its volumes; a new start clears it away.
    let (status, _) = json(
        app.post(&format!("{node}/start"), &json!({"keep": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, stopped) = json(app.post(&format!("{node}/stop"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    assert_eq!(stopped["container"]["state"], "stopped");
    assert!(!stopped["warnings"].as_array().unwrap().is_empty());
    let (status, restarted) = json(app.post(&format!("{node}/start"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{restarted}");
    assert_eq!(restarted["container"]["state"], "running");
    let before = restarted["container"]["id"].clone();
    let (status, again) = json(app.post(&format!("{node}/restart"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_ne!(again["container"]["id"], before);
    berth_stop(&app, &name, "user").await;

    // Clean removes temporary volumes (`…-tmpvol`) and nothing else.
    let tmp = format!("vantage6-{name}-user-7-tmpvol");
    let keep = format!("vantage6-{name}-user-vol");
    for v in [&tmp, &keep] {
        docker()
            .create_volume(bollard::models::VolumeCreateRequest {
                name: Some(v.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let (status, cleaned) = json(app.post("/api/v1/vantage6/clean", &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{cleaned}");
    assert!(cleaned["removed"].as_array().unwrap().contains(&json!(tmp)));
    assert!(!volume_exists(&tmp).await);
    assert!(volume_exists(&keep).await);

    // Remove: configuration, volumes and logs go.
    let res = app.delete(&node).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!volume_exists(&keep).await);
    assert!(!v6.dirs.config_file(scope, &name).exists());
    assert!(!v6.dirs.default_log_dir(scope, &name).exists());
    let res = app.get(&node).await;
    expect_error(res, StatusCode::NOT_FOUND, "NODE_NOT_FOUND").await;

    let (_, audit) = json(app.get("/api/v1/audit?action=vantage6_node.").await).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    for a in [
        "vantage6_node.create",
        "vantage6_node.start",
        "vantage6_node.stop",
        "vantage6_node.restart",
        "vantage6_node.clean",
        "vantage6_node.remove",
    ] {
        assert!(actions.contains(&a), "{a} not audited: {audit}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_failing_test_leaves_no_node_container_volume_or_network_behind() {
    node_image();
    let _lock = engine_lock();
    let v6 = V6::new();
    let app = v6.app().await;
    let name = unique("v6panic");
    let body = json!({
        "name": name, "api_key": "k-0008", "server_url": "http://127.0.0.1", "port": 9,
        "image": NODE_IMAGE
    });
    let (status, _) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED);
    // Kept, so the container outlives its process too; plus what a real node makes as it runs.
    let (status, started) = json(
        app.post(
            &format!("/api/v1/vantage6/nodes/{name}/start"),
            &json!({"keep": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let cname = format!("vantage6-{name}-user");
    let tmpvol = format!("{cname}-3-tmpvol");
    let net = format!("{cname}-net");
    docker()
        .create_volume(bollard::models::VolumeCreateRequest {
            name: Some(tmpvol.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    docker()
        .create_network(bollard::models::NetworkCreateRequest {
            name: net.clone(),
            ..Default::default()
        })
        .await
        .unwrap();

    // A test body that fails with the guard held: the guard runs while the panic unwinds.
    let failed = std::thread::spawn({
        let name = name.clone();
        move || {
            let _nodes = NodeGuard::new(&[(&name, "user")]);
            panic!("a failing node test (expected)");
        }
    })
    .join();
    assert!(failed.is_err());
    assert!(inspect(&cname).await.is_none(), "{cname} survived");
    for v in volumes_of(&name, "user").iter().chain([&tmpvol]) {
        assert!(!volume_exists(v).await, "{v} survived");
    }
    assert!(
        docker()
            .inspect_network(
                &net,
                None::<bollard::query_parameters::InspectNetworkOptions>
            )
            .await
            .is_err(),
        "{net} survived"
    );
    app.stop().await;
}

/// The node's live logs as server-sent events, following (through the node's logs address).
async fn follow_logs(app: &TestApp, node: &str) -> reqwest::Response {
    let res = app
        .client
        .get(app.url(&format!("{node}/logs?follow=true&tail=all")))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res
}

/// Reads the event stream until a `line` event contains `needle`; panics on its end first.
async fn read_until(res: &mut reqwest::Response, seen: &mut String, needle: &str) {
    let deadline = std::time::Duration::from_secs(15);
    tokio::time::timeout(deadline, async {
        while !seen
            .split("\n\n")
            .any(|b| b.contains("event: line") && b.contains(needle))
        {
            match res.chunk().await.unwrap() {
                Some(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                None => panic!("the stream ended before `{needle}`:\n{seen}"),
            }
            assert!(
                !seen.contains("event: end") || seen.contains(needle),
                "the stream ended before `{needle}`:\n{seen}"
            );
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no `{needle}` in time:\n{seen}"));
}

async fn exit_code(container: &str) -> i64 {
    inspect(container).await.unwrap()["State"]["ExitCode"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn logs_follow_a_running_node_and_stop_restart_force_and_keep_work_as_the_cli_does() {
    node_image();
    let _lock = engine_lock();
    let v6 = V6::new();
    let app = v6.app().await;
    let name = unique("v6ops");
    let _nodes = NodeGuard::new(&[(&name, "user")]);
    let cname = format!("vantage6-{name}-user");
    let node = format!("/api/v1/vantage6/nodes/{name}");
    let body = json!({
        "name": name, "api_key": "k-0010", "server_url": "http://127.0.0.1", "port": 9,
        "image": NODE_IMAGE
    });
    let (status, _) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED);
    // No container yet: its logs are not found, nor are those of a node that does not exist.
    let res = app.get(&format!("{node}/logs?tail=all")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.get("/api/v1/vantage6/nodes/nope/logs").await;
    expect_error(res, StatusCode::NOT_FOUND, "NODE_NOT_FOUND").await;
    // Restart is for a running node (Berth answers 409 where the CLI only prints a warning).
    let res = app.post(&format!("{node}/restart"), &json!({})).await;
    expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert!(inspect(&cname).await.is_none());

    // Kept, so the ended container can be inspected. The live logs follow: a line the node
    // prints while stopping arrives on the stream that was opened before.
    let (status, started) = json(
        app.post(&format!("{node}/start"), &json!({"keep": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let mut stream = follow_logs(&app, &node).await;
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "vnode-local start -c").await;
    let (status, stopped) = json(app.post(&format!("{node}/stop"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{stopped}");
    read_until(&mut stream, &mut seen, "stopping").await;
    drop(stream);
    assert_eq!(stopped["container"]["state"], "stopped");
    // A gentle stop lets the node end itself (its TERM handler exits 0).
    assert_eq!(exit_code(&cname).await, 0);
    let (_, s) = json(app.get(&format!("{node}/status")).await).await;
    assert_eq!(s["state"], "stopped", "{s}");

    // `force` kills it (as `v6 node stop --force`): no TERM handler runs.
    let (status, _) = json(
        app.post(&format!("{node}/start"), &json!({"keep": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, killed) = json(
        app.post(&format!("{node}/stop"), &json!({"force": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{killed}");
    assert_eq!(exit_code(&cname).await, 137);

    // Restart passes its options to the new start, as the CLI's does: here `keep`.
    let (status, started) = json(app.post(&format!("{node}/start"), &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let auto = inspect(&cname).await.unwrap();
    assert_eq!(auto["HostConfig"]["AutoRemove"], true);
    let (status, restarted) = json(
        app.post(&format!("{node}/restart"), &json!({"keep": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{restarted}");
    assert_eq!(restarted["container"]["state"], "running");
    assert_ne!(restarted["container"]["id"], started["container"]["id"]);
    let kept = inspect(&cname).await.unwrap();
    assert_eq!(kept["HostConfig"]["AutoRemove"], false);
    // The restart's stop removed the four volumes; its start made them again.
    for v in volumes_of(&name, "user") {
        assert!(volume_exists(&v).await, "{v} missing after the restart");
    }

    // Viewers read the node's logs but may not stop it.
    let viewer = unique("viewer");
    app.create_user(&viewer, berth_api::auth::Role::Viewer, None)
        .await;
    let view = app.login(&viewer, USER_PASSWORD).await;
    let res = view.get(&app, &format!("{node}/logs?tail=all")).await;
    let (status, lines) = json(res).await;
    assert_eq!(status, StatusCode::OK, "{lines}");
    assert!(lines.to_string().contains("vnode-local start"), "{lines}");
    let res = view.post(&app, &format!("{node}/stop"), &json!({})).await;
    expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let (_, audit) = json(app.get("/api/v1/audit?action=vantage6_node.stop").await).await;
    let forced: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_id"] == name.as_str())
        .map(|e| &e["details"]["force"])
        .collect();
    assert!(
        forced.contains(&&json!(true)) && forced.contains(&&json!(false)),
        "{audit}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_node_the_cli_started_is_seen_running_and_stopped_by_berth() {
    let (_lock, v6, app) = cli_comparison().await;
    let name = unique("v6cross");
    let _nodes = NodeGuard::new(&[(&name, "user")]);
    let body = json!({
        "name": name, "api_key": "k-0011", "server_url": "http://127.0.0.1", "port": 9
    });
    let (status, _) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED);
    let (ok, out) = v6.cli(
        &["node", "start", "--name", &name, "--image", NODE_IMAGE],
        None,
    );
    assert!(ok, "{out}");
    let (_, list) = json(app.get("/api/v1/vantage6/nodes").await).await;
    let me = list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name.as_str())
        .cloned()
        .unwrap();
    assert_eq!(me["container"]["state"], "running", "{me}");
    assert_eq!(me["container"]["image"], NODE_IMAGE);
    // Berth refuses to start it a second time, and stops it as the CLI would.
    let res = app
        .post(&format!("/api/v1/vantage6/nodes/{name}/start"), &json!({}))
        .await;
    expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    berth_stop(&app, &name, "user").await;
    // Nothing is left that would stop the CLI from starting it again.
    let (ok, out) = v6.cli(
        &["node", "start", "--name", &name, "--image", NODE_IMAGE],
        None,
    );
    assert!(ok, "{out}");
    assert_eq!(
        inspect(&format!("vantage6-{name}-user")).await.unwrap()["State"]["Running"],
        true
    );
    app.stop().await;
}

/// `PATCH` of a node's logging level in a signed-in session.
async fn patch_as(app: &TestApp, who: &common::Session, name: &str) -> reqwest::Response {
    app.anon
        .patch(app.url(&format!("/api/v1/vantage6/nodes/{name}")))
        .header("cookie", &who.cookie)
        .header("x-csrf-token", &who.csrf)
        .json(&json!({"logging_level": "DEBUG"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn viewers_read_nodes_operators_act_and_the_api_key_never_leaves() {
    let v6 = V6::new();
    let app = v6.app().await;
    let name = unique("v6perm");
    let viewer = unique("viewer");
    let operator = unique("operator");
    app.create_user(&viewer, berth_api::auth::Role::Viewer, None)
        .await;
    app.create_user(&operator, berth_api::auth::Role::Operator, None)
        .await;
    let op = app.login(&operator, USER_PASSWORD).await;
    let view = app.login(&viewer, USER_PASSWORD).await;
    let body = json!({
        "name": name, "api_key": "very-secret-api-key-0006",
        "server_url": "http://127.0.0.1", "port": 9
    });
    let res = view.post(&app, "/api/v1/vantage6/nodes", &body).await;
    expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let res = op.post(&app, "/api/v1/vantage6/nodes", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = view.get(&app, "/api/v1/vantage6/nodes").await;
    let text = res.text().await.unwrap();
    assert!(text.contains(&name) && !text.contains("very-secret-api-key-0006"));
    let res = view
        .post(
            &app,
            &format!("/api/v1/vantage6/nodes/{name}/start"),
            &json!({}),
        )
        .await;
    expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/vantage6/nodes/{name}/api-key"),
            Some(&json!({"api_key": "rotated-secret-key-0007"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let file = std::fs::read_to_string(
        v6.dirs
            .config_file(berth_api::vantage6::NodeScope::User, &name),
    )
    .unwrap();
    assert!(file.contains("rotated-secret-key-0007"));
    let (_, detail) = json(app.get(&format!("/api/v1/vantage6/nodes/{name}")).await).await;
    assert_eq!(detail["api_key_set"], true);
    assert!(!detail.to_string().contains("rotated-secret-key-0007"));
    // An edit: operators may, viewers may not; both changes are audited.
    let res = patch_as(&app, &view, &name).await;
    expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let res = patch_as(&app, &op, &name).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, audit) = json(app.get("/api/v1/audit?action=vantage6_node.").await).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_id"] == name.as_str())
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in ["vantage6_node.update", "vantage6_node.set_api_key"] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    let logs = captured_logs();
    for secret in ["very-secret-api-key-0006", "rotated-secret-key-0007"] {
        assert!(!audit.to_string().contains(secret));
        assert!(!logs.contains(secret));
    }
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(
            v6.dirs
                .config_file(berth_api::vantage6::NodeScope::User, &name),
        )
        .unwrap()
        .permissions()
        .mode()
            & 0o777
    };
    assert_eq!(mode, 0o600);
    app.stop().await;
}

#[tokio::test]
async fn nodes_are_listed_as_unknown_while_the_engine_does_not_answer() {
    let v6 = V6::new();
    let sock = v6.tmp.path().join("engine.sock");
    let proxy = common::Proxy::start(&sock);
    let dirs = v6.dirs.clone();
    let url = format!("unix://{}", sock.display());
    let app = TestApp::spawn_with(move |c| {
        c.vantage6 = dirs;
        c.docker_host = url;
    })
    .await;
    let name = unique("v6down");
    let body = json!({ "name": name, "api_key": "k", "server_url": "http://127.0.0.1", "port": 9 });
    let (status, _) = json(app.post("/api/v1/vantage6/nodes", &body).await).await;
    assert_eq!(status, StatusCode::CREATED);
    drop(proxy);
    let (status, list) = json(app.get("/api/v1/vantage6/nodes").await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["nodes"][0]["container"]["state"], "unknown", "{list}");
    let (status, detail) = json(app.get(&format!("/api/v1/vantage6/nodes/{name}")).await).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["container"]["state"], "unknown");
    let res = app
        .post(&format!("/api/v1/vantage6/nodes/{name}/start"), &json!({}))
        .await;
    expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "DOCKER_UNAVAILABLE").await;
    app.stop().await;
}
