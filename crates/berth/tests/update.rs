//! Safe updates against the real engine and the local registry: images are committed from the
//! busybox test image with a different env/label/command, pushed to 127.0.0.1:5000, and the
//! local tag is moved back to the old image so the update's pull really changes it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HealthConfig, HostConfig};
use bollard::query_parameters::CreateContainerOptions;
use common::receiver::Receiver;
use common::{Containers, TestApp, docker1_url, expect_error, json, test_image, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Runs the docker CLI against the primary engine; answers stdout (trimmed).
fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .arg("-H")
        .arg(docker1_url())
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Images, networks and volumes a test made, removed when it ends (also on panic).
struct Scratch {
    images: Vec<String>,
    networks: Vec<String>,
    volumes: Vec<String>,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let run = |args: &[&str]| {
            let _ = Command::new("docker")
                .arg("-H")
                .arg(docker1_url())
                .args(args)
                .output();
        };
        for n in &self.networks {
            run(&["network", "rm", n]);
        }
        for v in &self.volumes {
            run(&["volume", "rm", "-f", v]);
        }
        for i in &self.images {
            run(&["image", "rm", "-f", i]);
        }
    }
}

/// A repository in the local registry only this test uses.
struct Repo {
    reference: String,
    scratch: Scratch,
}

impl Repo {
    fn new(registry: &str) -> Self {
        let reference = format!("{registry}/berth-test/{}:latest", unique("upd"));
        Self {
            scratch: Scratch {
                images: vec![reference.clone()],
                networks: Vec::new(),
                volumes: Vec::new(),
            },
            reference,
        }
    }

    /// Commits a version of the busybox image (env `MODE`, label, command), tags it as the
    /// reference and pushes it; answers its id.
    fn publish(&mut self, version: &str, cmd: &str) -> String {
        let tmp = unique("upd-build");
        docker(&["create", "--name", &tmp, &test_image(), "true"]);
        let id = docker(&[
            "commit",
            "--change",
            &format!("ENV MODE={version}"),
            "--change",
            &format!("LABEL berth.test.version={version}"),
            "--change",
            &format!("CMD {cmd}"),
            &tmp,
            &self.reference,
        ]);
        docker(&["rm", &tmp]);
        docker(&["push", &self.reference]);
        // Keep every version's id tagged so the scratch cleanup finds it.
        let keep = format!("{}-{version}", self.reference);
        docker(&["tag", &id, &keep]);
        self.scratch.images.push(keep);
        id
    }

    /// Points the local tag at `id` again (the registry keeps the newer one).
    fn retag_locally(&self, id: &str) {
        docker(&["tag", id, &self.reference]);
    }
}

/// Creates `name` on `image` through Berth, labelled for `guard`'s clean-up, with `extra` fields
/// merged into the spec; answers its id.
async fn create(
    app: &TestApp,
    guard: &Containers,
    image: &str,
    name: &str,
    start: bool,
    extra: Value,
) -> String {
    let mut spec = json!({ "image": image, "name": name, "start": start,
                           "labels": { "berth.test": guard.run_id } });
    if let (Some(spec), Value::Object(extra)) = (spec.as_object_mut(), extra) {
        spec.extend(extra);
    }
    let (status, created) = json(app.post("/api/v1/hosts/local/containers", &spec).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn inspect(app: &TestApp, name: &str) -> Value {
    let (status, body) = json(
        app.get(&format!("/api/v1/hosts/local/containers/{name}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn update(app: &TestApp, name: &str, settle: u32) -> Value {
    let (status, body) = json(
        app.post(
            &format!("/api/v1/hosts/local/containers/{name}/update?wait=true"),
            &json!({ "settle_seconds": settle, "stop_timeout": 1 }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Names of every container on the engine whose name contains `part`.
async fn names_like(app: &TestApp, part: &str) -> Vec<String> {
    let (status, rows) = json(
        app.get(&format!(
            "/api/v1/hosts/local/containers?all=true&name={part}"
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

fn has(list: &Value, item: &str) -> bool {
    list.as_array().unwrap().iter().any(|v| v == item)
}

#[tokio::test]
async fn an_update_recreates_the_container_on_the_new_image_with_its_configuration_kept() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let mut repo = Repo::new(&registry);
    let v1 = repo.publish("v1", r#"["sleep","3600"]"#);
    let (net_a, net_b, volume) = (unique("upd-a"), unique("upd-b"), unique("upd-vol"));
    repo.scratch.networks.extend([net_a.clone(), net_b.clone()]);
    repo.scratch.volumes.push(volume.clone());
    docker(&["network", "create", &net_a]);
    docker(&["network", "create", &net_b]);

    let name = unique("upd-web");
    let (status, created) = json(
        app.post(
            "/api/v1/hosts/local/containers",
            &json!({
                "image": repo.reference, "name": name, "start": true,
                "env": { "USER_SET": "kept" },
                "labels": { "app": "web", "berth.test": guard.run_id },
                "mounts": [{ "type": "volume", "source": volume, "target": "/data" }],
                "ports": [{ "container_port": 8080 }],
                "network": net_a, "restart_policy": "unless-stopped", "memory_bytes": 64 * 1024 * 1024,
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let old_id = created["id"].as_str().unwrap().to_owned();
    docker(&["network", "connect", "--alias", "web-alias", &net_b, &name]);
    // Something written to the volume must survive the update.
    docker(&["exec", &name, "sh", "-c", "echo hello > /data/file"]);
    let before = inspect(&app, &name).await;
    assert!(has(&before["env"], "MODE=v1"), "{before}");

    // v2 changes the image's env, label and command; the local tag goes back to v1.
    let v2 = repo.publish("v2", r#"["sleep","3601"]"#);
    repo.retag_locally(&v1);
    assert_ne!(v1, v2);

    let outcome = update(&app, &name, 1).await;
    assert_eq!(outcome["status"], "updated", "{outcome}");
    assert_eq!(outcome["updated"], true, "{outcome}");
    assert_eq!(outcome["rolled_back"], false, "{outcome}");
    assert_eq!(outcome["name"], name.as_str(), "{outcome}");
    assert_eq!(outcome["old_image_id"], v1.as_str(), "{outcome}");
    assert_eq!(outcome["new_image_id"], v2.as_str(), "{outcome}");
    assert_eq!(outcome["old_container_id"], old_id.as_str(), "{outcome}");
    assert_eq!(outcome["running"], true, "{outcome}");
    let new_id = outcome["container_id"].as_str().unwrap();
    assert_ne!(new_id, old_id, "{outcome}");

    let after = inspect(&app, &name).await;
    assert_eq!(after["id"], new_id, "{after}");
    assert_eq!(after["image_id"], v2.as_str(), "{after}");
    assert_eq!(after["image"], repo.reference.as_str(), "{after}");
    assert_eq!(after["running"], true, "{after}");
    // The old image's defaults gave way to the new image's; what was set on the container stayed.
    assert!(has(&after["env"], "MODE=v2"), "{after}");
    assert!(!has(&after["env"], "MODE=v1"), "{after}");
    assert!(has(&after["env"], "USER_SET=kept"), "{after}");
    assert_eq!(after["command"], json!(["sleep", "3601"]), "{after}");
    assert_eq!(after["labels"]["berth.test.version"], "v2", "{after}");
    assert_eq!(after["labels"]["app"], "web", "{after}");
    assert_eq!(after["labels"]["berth.owner"], "admin", "{after}");
    assert_eq!(after["restart_policy"], "unless-stopped", "{after}");
    assert_eq!(after["memory_bytes"], 64 * 1024 * 1024, "{after}");
    let mount = after["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["target"] == "/data")
        .unwrap_or_else(|| panic!("no /data mount: {after}"));
    assert_eq!(mount["source"], volume.as_str(), "{after}");
    assert!(
        after["ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["container_port"] == 8080 && p["host_port"].is_u64()),
        "{after}"
    );
    let networks: Vec<&str> = after["networks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["network"].as_str().unwrap())
        .collect();
    assert_eq!(networks, {
        let mut n = vec![net_a.as_str(), net_b.as_str()];
        n.sort();
        n
    });
    let on_b = after["networks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["network"] == net_b.as_str())
        .unwrap();
    assert!(has(&on_b["aliases"], "web-alias"), "{after}");
    assert!(
        !has(&on_b["aliases"], &old_id[..12]),
        "the old id is no alias of the new container: {after}"
    );
    assert_eq!(
        docker(&["exec", &name, "cat", "/data/file"]),
        "hello",
        "the volume's data is still there"
    );

    // The old container is gone, under either name.
    expect_error(
        app.get(&format!("/api/v1/hosts/local/containers/{old_id}"))
            .await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    assert_eq!(names_like(&app, &name).await, vec![name.clone()]);

    let (status, audit) = json(app.get("/api/v1/audit?action=container.update").await).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entry = &audit["entries"][0];
    assert_eq!(entry["resource_id"], name.as_str(), "{audit}");
    assert_eq!(entry["details"]["status"], "updated", "{audit}");
    drop(guard);
    app.stop().await;
}

#[tokio::test]
async fn a_new_image_whose_command_fails_is_rolled_back_to_the_old_container() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let mut repo = Repo::new(&registry);
    let v1 = repo.publish("v1", r#"["sleep","3600"]"#);
    let name = unique("upd-rb");
    let old_id = create(
        &app,
        &guard,
        &repo.reference,
        &name,
        true,
        json!({"restart_policy": "on-failure:3"}),
    )
    .await;
    let v3 = repo.publish("v3", r#"["sh","-c","echo broken; exit 3"]"#);
    repo.retag_locally(&v1);

    let outcome = update(&app, &name, 2).await;
    assert_eq!(outcome["status"], "rolled_back", "{outcome}");
    assert_eq!(outcome["rolled_back"], true, "{outcome}");
    assert_eq!(outcome["updated"], false, "{outcome}");
    assert_eq!(outcome["new_image_id"], v3.as_str(), "{outcome}");
    assert_eq!(outcome["container_id"], old_id.as_str(), "{outcome}");
    assert_eq!(outcome["running"], true, "{outcome}");
    let message = outcome["message"].as_str().unwrap();
    assert!(
        message.contains("exit code 3") || message.contains("restarted"),
        "{outcome}"
    );

    let after = inspect(&app, &name).await;
    assert_eq!(after["id"], old_id.as_str(), "{after}");
    assert_eq!(after["running"], true, "{after}");
    assert_eq!(after["image_id"], v1.as_str(), "{after}");
    assert!(has(&after["env"], "MODE=v1"), "{after}");
    // The failed new container is gone; only the old one is left, under its own name.
    assert_eq!(names_like(&app, &name).await, vec![name.clone()]);
    drop(guard);
    app.stop().await;
}

#[tokio::test]
async fn check_reports_an_update_without_recreating_and_the_task_applies_it() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let mut repo = Repo::new(&registry);
    let v1 = repo.publish("v1", r#"["sleep","3600"]"#);
    let name = unique("upd-chk");
    let old_id = create(&app, &guard, &repo.reference, &name, true, json!({})).await;
    let check_path = format!("/api/v1/hosts/local/containers/{name}/update/check");

    let (status, check) = json(app.post_empty(&check_path).await).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["update_available"], false, "{check}");
    assert_eq!(check["current_image_id"], v1.as_str(), "{check}");
    assert_eq!(check["latest_image_id"], v1.as_str(), "{check}");
    assert_eq!(check["image"], repo.reference.as_str(), "{check}");

    // Unchanged image: the update is a no-op.
    let outcome = update(&app, &name, 1).await;
    assert_eq!(outcome["status"], "up_to_date", "{outcome}");
    assert_eq!(outcome["updated"], false, "{outcome}");
    assert_eq!(outcome["container_id"], old_id.as_str(), "{outcome}");
    assert_eq!(inspect(&app, &name).await["id"], old_id.as_str());

    let v2 = repo.publish("v2", r#"["sleep","3601"]"#);
    repo.retag_locally(&v1);
    let (status, check) = json(app.post_empty(&check_path).await).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["update_available"], true, "{check}");
    assert_eq!(check["current_image_id"], v1.as_str(), "{check}");
    assert_eq!(check["latest_image_id"], v2.as_str(), "{check}");
    let still = inspect(&app, &name).await;
    assert_eq!(still["id"], old_id.as_str(), "checking recreates nothing");
    assert_eq!(still["image_id"], v1.as_str(), "{still}");

    // Without `wait`, the update is a task to follow.
    let (status, task) = json(
        app.post(
            &format!("/api/v1/hosts/local/containers/{name}/update"),
            &json!({ "settle_seconds": 1, "stop_timeout": 1 }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    assert_eq!(task["action"], "container.update", "{task}");
    let task_id = task["id"].as_str().unwrap();
    let started = std::time::Instant::now();
    let done = loop {
        let (status, t) = json(app.get(&format!("/api/v1/tasks/{task_id}")).await).await;
        assert_eq!(status, StatusCode::OK, "{t}");
        if t["finished_at"].is_string() {
            break t;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["status"], "updated", "{done}");
    assert_eq!(done["current"], done["total"], "{done}");
    let after = inspect(&app, &name).await;
    assert_eq!(after["id"], done["result"]["container_id"], "{after}");
    assert_eq!(after["image_id"], v2.as_str(), "{after}");
    drop(guard);
    app.stop().await;
}

#[tokio::test]
async fn a_stopped_container_is_updated_and_stays_stopped() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let mut repo = Repo::new(&registry);
    let v1 = repo.publish("v1", r#"["sleep","3600"]"#);
    let name = unique("upd-stopped");
    let old_id = create(&app, &guard, &repo.reference, &name, false, json!({})).await;
    // Even a command that fails cannot fail an update that does not start the container.
    let v3 = repo.publish("v3", r#"["sh","-c","exit 3"]"#);
    repo.retag_locally(&v1);
    let outcome = update(&app, &name, 30).await;
    assert_eq!(outcome["status"], "updated", "{outcome}");
    assert_eq!(outcome["running"], false, "{outcome}");
    let after = inspect(&app, &name).await;
    assert_eq!(after["state"], "created", "{after}");
    assert_eq!(after["image_id"], v3.as_str(), "{after}");
    assert_ne!(after["id"], old_id.as_str(), "{after}");
    assert_eq!(names_like(&app, &name).await, vec![name.clone()]);
    drop(guard);
    app.stop().await;
}

/// Creates a running container with a health check that passes once `/ok` exists.
async fn with_healthcheck(guard: &Containers, name: &str, image: &str) -> String {
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    let body = ContainerCreateBody {
        image: Some(image.to_owned()),
        labels: Some(HashMap::from([(
            "berth.test".to_owned(),
            guard.run_id.clone(),
        )])),
        healthcheck: Some(HealthConfig {
            test: Some(vec!["CMD-SHELL".to_owned(), "test -f /ok".to_owned()]),
            interval: Some(300_000_000),
            timeout: Some(1_000_000_000),
            retries: Some(2),
            // Failures in the first 3 s do not count: the healthy image needs a second.
            start_period: Some(3_000_000_000),
            start_interval: None,
        }),
        host_config: Some(HostConfig::default()),
        ..Default::default()
    };
    let created = docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(name.to_owned()),
                ..Default::default()
            }),
            body,
        )
        .await
        .unwrap();
    docker.start_container(&created.id, None).await.unwrap();
    created.id
}

#[tokio::test]
async fn an_update_waits_for_health_and_rolls_back_an_unhealthy_container() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let mut repo = Repo::new(&registry);
    let healthy_cmd = r#"["sh","-c","sleep 1; touch /ok; sleep 3600"]"#;
    let v1 = repo.publish("v1", healthy_cmd);
    let name = unique("upd-health");
    let first_id = with_healthcheck(&guard, &name, &repo.reference).await;

    // v2 becomes healthy after a second: the update waits for it and succeeds.
    let v2 = repo.publish("v2", healthy_cmd);
    repo.retag_locally(&v1);
    let outcome = update(&app, &name, 0).await;
    assert_eq!(outcome["status"], "updated", "{outcome}");
    let after = inspect(&app, &name).await;
    assert_eq!(after["health"]["status"], "healthy", "{after}");
    assert_eq!(after["image_id"], v2.as_str(), "{after}");
    let healthy_id = after["id"].as_str().unwrap().to_owned();
    assert_ne!(healthy_id, first_id);

    // v3 never becomes healthy: rolled back to the v2 container.
    let v3 = repo.publish("v3", r#"["sleep","3600"]"#);
    repo.retag_locally(&v2);
    let outcome = update(&app, &name, 1).await;
    assert_eq!(outcome["status"], "rolled_back", "{outcome}");
    assert_eq!(outcome["new_image_id"], v3.as_str(), "{outcome}");
    assert!(
        outcome["message"].as_str().unwrap().contains("unhealthy"),
        "{outcome}"
    );
    let restored = inspect(&app, &name).await;
    assert_eq!(restored["id"], healthy_id.as_str(), "{restored}");
    assert_eq!(restored["running"], true, "{restored}");
    assert_eq!(names_like(&app, &name).await, vec![name.clone()]);
    drop(guard);
    app.stop().await;
}

#[tokio::test]
async fn update_refuses_bad_settle_times_unknown_containers_and_image_id_containers() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("upd-bad");
    guard.create(&name, &["sleep", "3600"], false).await;
    let body = expect_error(
        app.post(
            &format!("/api/v1/hosts/local/containers/{name}/update"),
            &json!({ "settle_seconds": 100_000 }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "settle_seconds", "{body}");
    expect_error(
        app.post_empty("/api/v1/hosts/local/containers/no-such-container-xyz/update?wait=true")
            .await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;
    expect_error(
        app.post_empty("/api/v1/hosts/local/containers/no-such-container-xyz/update/check")
            .await,
        StatusCode::NOT_FOUND,
        "CONTAINER_NOT_FOUND",
    )
    .await;

    // A container made from an image id has no reference to pull.
    let image_id = docker(&["image", "inspect", "--format", "{{.Id}}", &test_image()]);
    let by_id = unique("upd-byid");
    docker(&[
        "create",
        "--name",
        &by_id,
        "--label",
        &guard.label(),
        &image_id,
        "true",
    ]);
    let body = expect_error(
        app.post_empty(&format!(
            "/api/v1/hosts/local/containers/{by_id}/update?wait=true"
        ))
        .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("image id"),
        "{body}"
    );
    drop(guard);
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_cannot_update_or_check_a_container_it_does_not_own_and_a_viewer_cannot_update() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("upd-owned");
    guard.create(&name, &["sleep", "3600"], false).await;
    let tenant = unique("tenant");
    app.create_user(&tenant, berth_api::auth::Role::User, None)
        .await;
    let viewer = unique("viewer");
    app.create_user(&viewer, berth_api::auth::Role::Viewer, None)
        .await;
    let as_user = |key: String| {
        let client = reqwest::Client::new();
        let url = app.url(&format!("/api/v1/hosts/local/containers/{name}/update"));
        async move {
            let update = client
                .post(format!("{url}?wait=true"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            let check = client
                .post(format!("{url}/check"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            (update, check)
        }
    };
    let key = app
        .api_key_for(&tenant, common::USER_PASSWORD, "write")
        .await;
    let (update, check) = as_user(key).await;
    expect_error(update, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    expect_error(check, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    let key = app
        .api_key_for(&viewer, common::USER_PASSWORD, "write")
        .await;
    let (update, check) = as_user(key).await;
    expect_error(update, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    expect_error(check, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    drop(guard);
    app.stop().await;
}

/// The schedules' `update` action is the safe update: a run recreates the container on the new
/// image, and the notifier is told both that the update was applied and that the run succeeded.
#[tokio::test]
async fn a_scheduled_update_recreates_the_container_and_notifies() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let rx = Receiver::start().await;
    app.notify_to(
        &rx.url("/updates"),
        &["update_applied", "schedule_run_succeeded"],
    )
    .await;

    let mut repo = Repo::new(&registry);
    let v1 = repo.publish("v1", r#"["sleep","3600"]"#);
    let name = unique("upd-sched");
    let old_id = create(&app, &guard, &repo.reference, &name, true, json!({})).await;
    let v2 = repo.publish("v2", r#"["sleep","3601"]"#);
    repo.retag_locally(&v1);

    let (status, schedule) = json(
        app.post(
            "/api/v1/schedules",
            &json!({"name": unique("nightly-update"), "host": "local", "container": name,
                    "action": "update", "cron": "0 3 * * *", "timezone": "UTC"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let id = schedule["id"].as_i64().unwrap();
    let (status, started) =
        json(app.post_empty(&format!("/api/v1/schedules/{id}/run")).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");

    // The default settling time is 10 s.
    let limit = std::time::Instant::now() + Duration::from_secs(60);
    let run = loop {
        let (_, body) = json(app.get(&format!("/api/v1/schedules/{id}/runs")).await).await;
        let run = body["runs"][0].clone();
        if run["outcome"].is_string() && run["outcome"] != "running" {
            break run;
        }
        assert!(std::time::Instant::now() < limit, "{body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(run["outcome"], "succeeded", "{run}");
    assert!(
        run["message"].as_str().unwrap().contains("updated"),
        "{run}"
    );
    let after = inspect(&app, &name).await;
    assert_ne!(after["id"], old_id.as_str(), "{after}");
    assert_eq!(after["image_id"], v2.as_str(), "{after}");

    let hits = rx.wait("/updates", 2, Duration::from_secs(20)).await;
    let events: Vec<&str> = hits
        .iter()
        .map(|h| h.body["event"].as_str().unwrap())
        .collect();
    assert!(events.contains(&"update_applied"), "{events:?}");
    assert!(events.contains(&"schedule_run_succeeded"), "{events:?}");
    let applied = hits
        .iter()
        .find(|h| h.body["event"] == "update_applied")
        .unwrap();
    assert_eq!(
        applied.body["container"],
        name.as_str(),
        "{:?}",
        applied.body
    );
    drop(guard);
    app.stop().await;
}

/// The periodic update check (a 300 ms interval here, narrowed to this test's containers)
/// announces a newer image once, not every round, and again only when a newer one appears.
#[tokio::test]
async fn the_periodic_check_announces_a_new_image_once_per_new_digest() {
    let registry = common::registry();
    let guard = Containers::local();
    let label = guard.label();
    let app = TestApp::spawn_with(|c| {
        c.update_check_interval = Some(Duration::from_millis(300));
        c.update_check_label = Some(label);
    })
    .await;
    let rx = Receiver::start().await;
    // No cooldown: only the check itself may keep the announcement to one.
    app.notify_to(&rx.url("/available"), &["update_available"])
        .await;

    let mut repo = Repo::new(&registry);
    let v1 = repo.publish("v1", r#"["sleep","3600"]"#);
    let name = unique("upd-watch");
    create(&app, &guard, &repo.reference, &name, true, json!({})).await;
    // Several rounds on the newest image: nothing to announce.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(rx.hits("/available").is_empty());

    repo.publish("v2", r#"["sleep","3601"]"#);
    repo.retag_locally(&v1);
    let hits = rx.wait("/available", 1, Duration::from_secs(20)).await;
    assert_eq!(
        hits[0].body["event"], "update_available",
        "{:?}",
        hits[0].body
    );
    assert_eq!(
        hits[0].body["container"],
        name.as_str(),
        "{:?}",
        hits[0].body
    );
    // More rounds see the same update: still one message.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(rx.hits("/available").len(), 1);

    // A newer image than the announced one is news again.
    repo.publish("v3", r#"["sleep","3602"]"#);
    repo.retag_locally(&v1);
    rx.wait("/available", 2, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rx.hits("/available").len(), 2);
    // The container itself was left alone; each pull that found news is audited.
    let after = inspect(&app, &name).await;
    assert_eq!(after["image_id"], v1.as_str(), "{after}");
    let (_, audit) = json(
        app.get(&format!(
            "/api/v1/audit?action=container.update_check&resource_id={name}"
        ))
        .await,
    )
    .await;
    assert_eq!(audit["total"], 2, "{audit}");
    assert_eq!(audit["entries"][0]["username"], "update-check", "{audit}");
    drop(guard);
    app.stop().await;
}
