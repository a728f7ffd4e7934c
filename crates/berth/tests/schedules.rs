//! Schedules against a real server and real containers: cron with a seconds field and one-time
//! runs (no test waits a minute), every action, the policies, restarts and two servers on one
//! database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use berth_api::auth::Role;
use common::{Containers, TestApp, expect_error, json, test_image, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A shell that leaves at once on SIGTERM, so stop and restart take no 10 s grace.
const QUICK_SLEEPER: [&str; 3] = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, body) = json(app.post("/api/v1/schedules", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn runs(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, body) = json(app.get(&format!("/api/v1/schedules/{id}/runs")).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["runs"].as_array().unwrap().clone()
}

/// Waits until the schedule's finished runs satisfy `done`; panics after `limit`.
async fn wait_runs(
    app: &TestApp,
    id: i64,
    limit: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let all = runs(app, id).await;
        let finished: Vec<Value> = all
            .iter()
            .filter(|r| r["outcome"] != "running")
            .cloned()
            .collect();
        if done(&finished) {
            return finished;
        }
        assert!(started.elapsed() < limit, "runs not as expected: {all:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn started_at(app: &TestApp, name: &str) -> String {
    let (status, body) = json(
        app.get(&format!("/api/v1/hosts/local/containers/{name}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["started_at"].as_str().unwrap().to_owned()
}

fn in_a_second() -> String {
    (chrono::Utc::now() + chrono::Duration::milliseconds(1200)).to_rfc3339()
}

#[tokio::test]
async fn invalid_cron_or_timezone_is_a_400_naming_the_field_and_next_runs_are_shown() {
    let app = TestApp::spawn().await;
    let base = json!({"name": "n", "host": "local", "container": "web", "action": "restart"});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    for (extra, field) in [
        (json!({"cron": "61 * * * *"}), "cron"),
        (json!({"cron": "* * *"}), "cron"),
        (json!({"cron": "0 0 * * * * 2030"}), "cron"),
        (
            json!({"cron": "0 3 * * *", "timezone": "Mars/Olympus"}),
            "timezone",
        ),
        (json!({}), "cron"),
        (json!({"run_at": "2001-01-01T00:00:00Z"}), "run_at"),
        (json!({"cron": "0 3 * * *", "action": "explode"}), "action"),
        (json!({"cron": "0 3 * * *", "action": "exec"}), "command"),
        (json!({"cron": "0 3 * * *", "tag": "x"}), "container"),
    ] {
        let body = expect_error(
            app.post("/api/v1/schedules", &with(extra.clone())).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        if field == "action" {
            // serde says which variants exist (the flattened shape loses the field path).
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("restart"),
                "{body}"
            );
        } else {
            assert_eq!(body["error"]["field"], field, "{extra}: {body}");
        }
    }
    let created = create(
        &app,
        with(
            json!({"name": "nightly", "cron": "30 3 * * MON-FRI", "timezone": "Europe/Amsterdam"}),
        ),
    )
    .await;
    assert_eq!(created["timezone"], "Europe/Amsterdam");
    let (_, got) = json(
        app.get(&format!("/api/v1/schedules/{}", created["id"]))
            .await,
    )
    .await;
    let next: Vec<&str> = got["next_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(next.len(), 5, "{got}");
    // 03:30 in Amsterdam is 02:30 UTC in winter, 01:30 in summer; weekdays only.
    for t in &next {
        let t: chrono::DateTime<chrono::Utc> = t.parse().unwrap();
        assert!(
            matches!(t.format("%H:%M").to_string().as_str(), "02:30" | "01:30"),
            "{t}"
        );
        assert!(
            !matches!(t.format("%a").to_string().as_str(), "Sat" | "Sun"),
            "{t}"
        );
    }
    // The server's zone is the default.
    let default = create(&app, with(json!({"cron": "0 3 * * *"}))).await;
    assert!(!default["timezone"].as_str().unwrap().is_empty());
    // Disabled schedules show no next runs; enabling counts from now.
    let (_, off) = json(
        app.post_empty(&format!("/api/v1/schedules/{}/disable", created["id"]))
            .await,
    )
    .await;
    assert_eq!(off["next_runs"], json!([]));
    let (_, on) = json(
        app.post_empty(&format!("/api/v1/schedules/{}/enable", created["id"]))
            .await,
    )
    .await;
    assert_eq!(on["next_runs"].as_array().unwrap().len(), 5);
    expect_error(
        app.get("/api/v1/schedules/424242").await,
        StatusCode::NOT_FOUND,
        "SCHEDULE_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_one_time_restart_fires_and_is_recorded_and_audited_as_the_scheduler() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("sched-restart");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let before = started_at(&app, &name).await;
    let mut outcomes = app.state.scheduler.subscribe();
    let s = create(
        &app,
        json!({"name": "once", "host": "local", "container": name, "action": "restart", "run_at": in_a_second(), "timezone": "UTC"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let done = wait_runs(&app, id, Duration::from_secs(20), |r| !r.is_empty()).await;
    assert_eq!(done[0]["outcome"], "succeeded", "{done:?}");
    assert_eq!(done[0]["trigger"], "schedule");
    assert!(done[0]["scheduled_for"].is_string());
    assert_ne!(
        started_at(&app, &name).await,
        before,
        "StartedAt should change"
    );
    // Done for good: a one-time schedule has no next run.
    let (_, got) = json(app.get(&format!("/api/v1/schedules/{id}")).await).await;
    assert_eq!(got["next_runs"], json!([]));
    // The notifier's hook point saw it.
    let outcome = tokio::time::timeout(Duration::from_secs(5), outcomes.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.schedule_id, Some(id));
    assert!(outcome.ok);
    // Audited as the action with the scheduler as actor.
    let (_, audit) = json(
        app.get("/api/v1/audit?action=container.restart&limit=5")
            .await,
    )
    .await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["username"], "scheduler", "{audit}");
    assert_eq!(entry["outcome"], "success");
    app.stop().await;
}

#[tokio::test]
async fn exec_keeps_output_and_exit_code_and_retries_with_backoff() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("sched-exec");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let s = create(
        &app,
        json!({"name": "exec", "host": "local", "container": name, "action": "exec",
               "command": ["sh", "-c", "echo hello from exec; exit 3"], "cron": "0 0 1 1 *",
               "retries": 2, "retry_backoff_secs": 1}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let (status, started) =
        json(app.post_empty(&format!("/api/v1/schedules/{id}/run")).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let done = wait_runs(&app, id, Duration::from_secs(30), |r| !r.is_empty()).await;
    let run = &done[0];
    assert_eq!(run["id"], started["run_id"]);
    assert_eq!(run["outcome"], "failed", "{run}");
    assert_eq!(run["exit_code"], 3);
    assert_eq!(run["attempts"], 3, "1 try + 2 retries: {run}");
    assert!(
        run["output"].as_str().unwrap().contains("hello from exec"),
        "{run}"
    );
    assert!(run["message"].as_str().unwrap().contains("code 3"), "{run}");
    assert_eq!(run["trigger"], "user");
    assert_eq!(run["triggered_by"], "admin");
    app.stop().await;
}

#[tokio::test]
async fn a_run_past_its_maximum_run_time_times_out() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("sched-slow");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let s = create(
        &app,
        json!({"name": "slow", "host": "local", "container": name, "action": "exec",
               "command": ["sleep", "5"], "cron": "0 0 1 1 *", "max_runtime_secs": 1}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/v1/schedules/{id}/run")).await;
    let done = wait_runs(&app, id, Duration::from_secs(20), |r| !r.is_empty()).await;
    assert_eq!(done[0]["outcome"], "timed_out", "{done:?}");
    app.stop().await;
}

#[tokio::test]
async fn run_keeps_the_output_of_a_one_off_container_and_removes_it() {
    let app = TestApp::spawn().await;
    let s = create(
        &app,
        json!({"name": "job", "host": "local", "action": "run", "image": test_image(),
               "command": ["echo", "from a one-off"], "network": "none", "run_at": in_a_second()}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let done = wait_runs(&app, id, Duration::from_secs(30), |r| !r.is_empty()).await;
    let run = &done[0];
    assert_eq!(run["outcome"], "succeeded", "{run}");
    assert_eq!(run["exit_code"], 0);
    assert!(
        run["output"].as_str().unwrap().contains("from a one-off"),
        "{run}"
    );
    let message = run["message"].as_str().unwrap();
    let container = message.split('`').nth(1).unwrap();
    assert!(container.starts_with("berth-run-"), "{message}");
    let res = app
        .get(&format!("/api/v1/hosts/local/containers/{container}"))
        .await;
    expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    app.stop().await;
}

#[tokio::test]
async fn prune_removes_the_stopped_containers_it_is_narrowed_to() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let stopped = unique("sched-stopped");
    let running = unique("sched-running");
    guard.create(&stopped, &["true"], false).await;
    guard.create(&running, &QUICK_SLEEPER, true).await;
    let s = create(
        &app,
        json!({"name": "prune", "host": "local", "action": "prune", "prune": ["containers"],
               "selector": {"label": guard.label()}, "cron": "0 0 1 1 *"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/v1/schedules/{id}/run")).await;
    let done = wait_runs(&app, id, Duration::from_secs(20), |r| !r.is_empty()).await;
    assert_eq!(done[0]["outcome"], "succeeded", "{done:?}");
    assert!(
        done[0]["message"]
            .as_str()
            .unwrap()
            .contains("1 containers"),
        "{done:?}"
    );
    let gone = app
        .get(&format!("/api/v1/hosts/local/containers/{stopped}"))
        .await;
    expect_error(gone, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    let (status, _) = json(
        app.get(&format!("/api/v1/hosts/local/containers/{running}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_target_that_no_longer_exists_fails_with_that_reason() {
    let app = TestApp::spawn().await;
    let mut outcomes = app.state.scheduler.subscribe();
    let ghost = unique("sched-ghost");
    let s = create(
        &app,
        json!({"name": "ghost", "host": "local", "container": ghost, "action": "restart",
               "run_at": in_a_second(), "retries": 3}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let done = wait_runs(&app, id, Duration::from_secs(20), |r| !r.is_empty()).await;
    assert_eq!(done[0]["outcome"], "failed");
    assert_eq!(done[0]["attempts"], 1, "a missing target is not retried");
    let message = done[0]["message"].as_str().unwrap();
    assert!(
        message.contains("no longer exists") && message.contains(&ghost),
        "{message}"
    );
    let outcome = tokio::time::timeout(Duration::from_secs(5), outcomes.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(!outcome.ok);
    assert!(outcome.message.contains("no longer exists"));
    app.stop().await;
}

#[tokio::test]
async fn a_run_is_skipped_while_the_previous_one_still_runs() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let name = unique("sched-overlap");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let s = create(
        &app,
        json!({"name": "overlap", "host": "local", "container": name, "action": "exec",
               "command": ["sleep", "3"], "cron": "*/1 * * * * *"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let done = wait_runs(&app, id, Duration::from_secs(20), |r| {
        r.iter().any(|r| r["outcome"] == "succeeded") && r.iter().any(|r| r["outcome"] == "skipped")
    })
    .await;
    let skipped = done.iter().find(|r| r["outcome"] == "skipped").unwrap();
    assert!(
        skipped["message"]
            .as_str()
            .unwrap()
            .contains("still running"),
        "{skipped}"
    );
    app.delete(&format!("/api/v1/schedules/{id}")).await;
    app.stop().await;
}

#[tokio::test]
async fn a_schedule_survives_a_restart_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let guard = Containers::local();
    let name = unique("sched-survive");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let s = create(
        &app,
        json!({"name": "survivor", "host": "local", "container": name, "action": "start", "cron": "*/1 * * * * *"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    wait_runs(&app, id, Duration::from_secs(10), |r| !r.is_empty()).await;
    app.stop().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let restarted_at = chrono::Utc::now();
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    // The stop gave the lease back, so firing resumes at once (a server that died would hold
    // it until it expires, 30 s).
    let done = wait_runs(&app, id, Duration::from_secs(45), |r| {
        r.iter().any(|r| {
            r["outcome"] == "succeeded"
                && r["started_at"]
                    .as_str()
                    .unwrap()
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap()
                    > restarted_at
        })
    })
    .await;
    assert!(!done.is_empty());
    app.delete(&format!("/api/v1/schedules/{id}")).await;
    app.stop().await;
}

#[tokio::test]
async fn two_servers_on_one_database_fire_each_occurrence_once() {
    let dir = tempfile::tempdir().unwrap();
    let guard = Containers::local();
    let name = unique("sched-once");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let a = TestApp::spawn_in(dir.path(), |_| {}).await;
    let b = TestApp::spawn_in(dir.path(), |_| {}).await;
    let s = create(
        &a,
        json!({"name": "once-only", "host": "local", "container": name, "action": "start", "cron": "*/1 * * * * *"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let done = wait_runs(&b, id, Duration::from_secs(20), |r| r.len() >= 5).await;
    a.delete(&format!("/api/v1/schedules/{id}")).await;
    let mut due: Vec<&str> = done
        .iter()
        .map(|r| r["scheduled_for"].as_str().unwrap())
        .collect();
    let n = due.len();
    due.sort_unstable();
    due.dedup();
    assert_eq!(due.len(), n, "an occurrence fired twice: {done:?}");
    assert!(done.iter().all(|r| r["outcome"] == "succeeded"), "{done:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn tags_filter_lists_and_target_schedules() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let tagged = unique("sched-tagged");
    let other = unique("sched-untagged");
    guard.create(&tagged, &QUICK_SLEEPER, true).await;
    guard.create(&other, &QUICK_SLEEPER, true).await;
    let tag = unique("nightly");
    let (status, body) = json(
        app.post("/api/v1/tags", &json!({"name": tag, "color": "#3b82f6"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let bad = app
        .post("/api/v1/tags", &json!({"name": "x1", "color": "blue"}))
        .await;
    assert_eq!(
        expect_error(bad, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await["error"]["field"],
        "color"
    );
    let (status, meta) = json(
        app.patch(
            &format!("/api/v1/hosts/local/containers/{tagged}/meta"),
            &json!({"tags": [tag], "web_url": "http://127.0.0.1:8080/"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    let (_, list) = json(
        app.get(&format!("/api/v1/hosts/local/containers?tag={tag}"))
            .await,
    )
    .await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec![tagged.as_str()]);
    let (_, all) = json(app.get(&format!("/api/v1/containers?tag={tag}")).await).await;
    assert_eq!(all["containers"].as_array().unwrap().len(), 1);
    let (_, metas) = json(app.get("/api/v1/container-meta?host=local").await).await;
    assert!(
        metas
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["container"] == tagged.as_str() && m["web_url"] == "http://127.0.0.1:8080/")
    );
    // A schedule on the tag restarts only the tagged container.
    let before = (
        started_at(&app, &tagged).await,
        started_at(&app, &other).await,
    );
    let s = create(
        &app,
        json!({"name": "by-tag", "host": "local", "tag": tag, "action": "restart", "run_at": in_a_second()}),
    )
    .await;
    let done = wait_runs(
        &app,
        s["id"].as_i64().unwrap(),
        Duration::from_secs(20),
        |r| !r.is_empty(),
    )
    .await;
    assert_eq!(done[0]["outcome"], "succeeded", "{done:?}");
    assert_ne!(started_at(&app, &tagged).await, before.0);
    assert_eq!(started_at(&app, &other).await, before.1);
    assert_eq!(
        app.delete(&format!("/api/v1/tags/{tag}")).await.status(),
        StatusCode::NO_CONTENT
    );
    app.stop().await;
}

#[tokio::test]
async fn viewers_read_schedules_operators_manage_them_tenants_are_refused() {
    let app = TestApp::spawn().await;
    let mut keys = Vec::new();
    for role in [Role::Viewer, Role::Operator, Role::User] {
        let name = unique(role.as_str());
        app.create_user(&name, role, None).await;
        keys.push(app.api_key_for(&name, common::USER_PASSWORD, "write").await);
    }
    let body = json!({"name": "r", "host": "local", "container": "web", "action": "restart", "cron": "0 3 * * *"});
    let post = |key: &str| {
        app.anon
            .post(app.url("/api/v1/schedules"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let get = |key: &str| {
        app.anon
            .get(app.url("/api/v1/schedules"))
            .bearer_auth(key)
            .send()
    };
    assert_eq!(get(&keys[0]).await.unwrap().status(), StatusCode::OK);
    expect_error(
        post(&keys[0]).await.unwrap(),
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    assert_eq!(post(&keys[1]).await.unwrap().status(), StatusCode::CREATED);
    expect_error(
        get(&keys[2]).await.unwrap(),
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn after_downtime_a_missed_run_is_skipped_or_with_catch_up_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let guard = Containers::local();
    let name = unique("sched-missed");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let body = |catch_up: bool| json!({"name": "missed", "host": "local", "container": name, "action": "start", "run_at": at, "catch_up": catch_up});
    let skip = create(&app, body(false)).await["id"].as_i64().unwrap();
    let catch = create(&app, body(true)).await["id"].as_i64().unwrap();
    app.stop().await;
    // Down past the due time and the grace that tells downtime from lateness.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let caught = wait_runs(&app, catch, Duration::from_secs(15), |r| !r.is_empty()).await;
    assert_eq!(caught.len(), 1, "{caught:?}");
    assert_eq!(caught[0]["outcome"], "succeeded", "{caught:?}");
    let skipped = wait_runs(&app, skip, Duration::from_secs(15), |r| !r.is_empty()).await;
    assert_eq!(skipped[0]["outcome"], "skipped", "{skipped:?}");
    assert!(
        skipped[0]["message"].as_str().unwrap().contains("missed"),
        "{skipped:?}"
    );
    // Neither fires again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(runs(&app, catch).await.len(), 1);
    assert_eq!(runs(&app, skip).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn old_runs_are_pruned_past_the_newest_kept_per_schedule() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for name in ["a", "b"] {
        let s = create(
            &app,
            json!({"name": name, "host": "local", "container": "web", "action": "start", "cron": "0 0 1 1 *"}),
        )
        .await;
        ids.push(s["id"].as_i64().unwrap());
    }
    for id in &ids {
        for _ in 0..8 {
            app.state
                .store
                .insert_run(&berth::store::NewRun {
                    schedule_id: Some(*id),
                    webhook_id: None,
                    scheduled_for: None,
                    started_at: chrono::Utc::now(),
                    outcome: "succeeded".to_owned(),
                    message: None,
                    trigger: "user".to_owned(),
                    triggered_by: None,
                    owner: None,
                })
                .await
                .unwrap();
        }
    }
    let newest = runs(&app, ids[0]).await[0]["id"].clone();
    assert_eq!(app.state.store.prune_runs(3).await.unwrap(), 10);
    for id in &ids {
        assert_eq!(runs(&app, *id).await.len(), 3);
    }
    assert_eq!(runs(&app, ids[0]).await[0]["id"], newest);
    app.stop().await;
}

#[tokio::test]
async fn a_name_on_every_host_acts_where_the_container_is() {
    let app = TestApp::spawn().await;
    app.add_host("second", &common::docker2_url()).await;
    let guard = Containers::on(&common::docker2_url());
    let name = unique("sched-everywhere");
    guard.create(&name, &QUICK_SLEEPER, false).await;
    let s = create(
        &app,
        json!({"name": "all-hosts", "host": "*", "container": name, "action": "start", "cron": "0 0 1 1 *"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    app.post_empty(&format!("/api/v1/schedules/{id}/run")).await;
    let done = wait_runs(&app, id, Duration::from_secs(20), |r| !r.is_empty()).await;
    assert_eq!(done[0]["outcome"], "succeeded", "{done:?}");
    assert_eq!(
        done[0]["message"].as_str().unwrap(),
        format!("second/{name}: started")
    );
    let (_, c) = json(
        app.get(&format!("/api/v1/hosts/second/containers/{name}"))
            .await,
    )
    .await;
    assert_eq!(c["state"], "running", "{c}");
    app.stop().await;
}

/// A run cut off by a server stop is closed at the next start (as failed, "Berth stopped during
/// this run"), audited, and the schedule fires again at once (its lease was given back).
#[tokio::test]
async fn a_run_cut_off_by_a_stop_is_closed_as_interrupted_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let guard = Containers::local();
    let name = unique("sched-cut");
    guard.create(&name, &QUICK_SLEEPER, true).await;
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let rx = common::receiver::Receiver::start().await;
    app.notify_to(&rx.url("/failed"), &["schedule_run_failed"])
        .await;
    let s = create(
        &app,
        json!({"name": "long-exec", "host": "local", "container": name, "action": "exec",
               "command": ["sleep", "20"], "cron": "0 3 1 1 *", "timezone": "UTC"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let (status, started) =
        json(app.post_empty(&format!("/api/v1/schedules/{id}/run")).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_i64().unwrap();
    assert_eq!(runs(&app, id).await[0]["outcome"], "running");
    app.stop().await;

    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let limit = Instant::now() + Duration::from_secs(10);
    let run = loop {
        let all = runs(&app, id).await;
        let run = all.iter().find(|r| r["id"] == run_id).unwrap().clone();
        if run["outcome"] != "running" {
            break run;
        }
        assert!(
            Instant::now() < limit,
            "still running after a restart: {run}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(run["outcome"], "failed", "{run}");
    assert_eq!(run["message"], "Berth stopped during this run", "{run}");
    assert!(run["finished_at"].is_string(), "{run}");
    let (_, audit) = json(
        app.get("/api/v1/audit?action=schedule.run_interrupted")
            .await,
    )
    .await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["resource_id"], id.to_string(), "{audit}");
    assert_eq!(entry["outcome"], "failure", "{audit}");
    assert_eq!(entry["username"], "scheduler", "{audit}");
    // Rules for failed runs hear of it.
    let hits = rx.wait("/failed", 1, Duration::from_secs(10)).await;
    assert!(
        hits[0]
            .body
            .to_string()
            .contains("Berth stopped during this run"),
        "{:?}",
        hits[0].body
    );
    // The lease went back at the stop: a new run starts now, not after the 30 s lease.
    let (status, again) = json(app.post_empty(&format!("/api/v1/schedules/{id}/run")).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    let newest = runs(&app, id).await[0].clone();
    assert_eq!(newest["outcome"], "running", "{newest}");
    app.delete(&format!("/api/v1/schedules/{id}")).await;
    app.stop().await;
}

/// `/container-meta` is narrowed like container lists: a tenant sees the tags and links of the
/// containers it owns only, and a user granted some hosts sees those hosts' entries only.
#[tokio::test]
async fn container_meta_shows_a_tenant_only_its_own_containers_and_a_viewer_only_its_hosts() {
    let app = TestApp::spawn().await;
    app.add_host("second", &common::docker2_url()).await;
    let guard = Containers::local();
    let guard2 = Containers::on(&common::docker2_url());
    let tenant = unique("tenant");
    let mine = unique("meta-mine");
    let theirs = unique("meta-theirs");
    let elsewhere = unique("meta-elsewhere");
    let owned = std::collections::HashMap::from([("berth.owner".to_owned(), tenant.clone())]);
    guard
        .create_with(&mine, &QUICK_SLEEPER, false, owned, Default::default())
        .await;
    guard.create(&theirs, &QUICK_SLEEPER, false).await;
    guard2.create(&elsewhere, &QUICK_SLEEPER, false).await;
    let tag = unique("team");
    let (status, body) = json(
        app.post("/api/v1/tags", &json!({"name": tag, "color": "#10b981"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (host, name) in [("local", &mine), ("local", &theirs), ("second", &elsewhere)] {
        let (status, meta) = json(
            app.patch(
                &format!("/api/v1/hosts/{host}/containers/{name}/meta"),
                &json!({"tags": [tag], "web_url": format!("https://{name}.example.org/")}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{meta}");
    }
    let names = |metas: &Value| -> Vec<String> {
        let mut n: Vec<String> = metas
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["tags"] == json!([tag]))
            .map(|m| {
                format!(
                    "{}/{}",
                    m["host"].as_str().unwrap(),
                    m["container"].as_str().unwrap()
                )
            })
            .collect();
        n.sort();
        n
    };
    let (status, all) = json(app.get("/api/v1/container-meta").await).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(names(&all).len(), 3, "{all}");

    app.create_user(&tenant, Role::User, None).await;
    let session = app.login(&tenant, common::USER_PASSWORD).await;
    let (status, seen) = json(session.get(&app, "/api/v1/container-meta").await).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(names(&seen), vec![format!("local/{mine}")], "{seen}");
    let (_, seen) = json(
        session
            .get(&app, "/api/v1/container-meta?host=second")
            .await,
    )
    .await;
    assert!(names(&seen).is_empty(), "{seen}");

    let viewer = unique("viewer");
    app.create_user(&viewer, Role::Viewer, Some(vec!["local".to_owned()]))
        .await;
    let session = app.login(&viewer, common::USER_PASSWORD).await;
    let (_, seen) = json(session.get(&app, "/api/v1/container-meta").await).await;
    let mut want = vec![format!("local/{mine}"), format!("local/{theirs}")];
    want.sort();
    assert_eq!(names(&seen), want, "{seen}");
    app.stop().await;
}

/// A server that died mid-run leaves no stop behind: its run is closed once its heartbeat
/// lapses, by the periodic sweep of a server still running, while a run another live server
/// vouches for is left alone.
#[tokio::test]
async fn a_run_whose_server_died_is_closed_when_its_heartbeat_lapses_and_a_live_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let s = create(
        &app,
        json!({"name": "orphaned", "host": "local", "container": "web", "action": "start", "cron": "0 3 1 1 *"}),
    )
    .await;
    let id = s["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for owner in ["a-server-that-died", "a-server-still-running"] {
        let run = berth::store::NewRun {
            schedule_id: Some(id),
            webhook_id: None,
            scheduled_for: None,
            started_at: chrono::Utc::now(),
            outcome: "running".to_owned(),
            message: None,
            trigger: "schedule".to_owned(),
            triggered_by: None,
            owner: Some(owner.to_owned()),
        };
        ids.push(app.state.store.insert_run(&run).await.unwrap());
    }
    // The dead server's heartbeat lapsed long ago.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("berth.db").display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE schedule_runs SET alive_until = 1 WHERE id = $1")
        .bind(ids[0])
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let done = wait_runs(&app, id, Duration::from_secs(25), |r| !r.is_empty()).await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0]["id"], ids[0], "{done:?}");
    assert_eq!(done[0]["message"], "Berth stopped during this run");
    let all = runs(&app, id).await;
    let live = all.iter().find(|r| r["id"] == ids[1]).unwrap();
    assert_eq!(live["outcome"], "running", "{live}");
    app.delete(&format!("/api/v1/schedules/{id}")).await;
    app.stop().await;
}
