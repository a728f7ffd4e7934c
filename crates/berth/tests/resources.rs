#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Images, volumes, networks and system information against the real engines.
//!
//! Every test names its objects uniquely and removes them again, also when it fails (see
//! [`Cleanup`]). Prunes run on the second engine only: on API 1.41 a volume prune removes every
//! unused volume and a network prune every unused network, so a prune on the primary engine could
//! remove what a parallel test has just created.

mod common;

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{ContainerConfig, ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CommitContainerOptions, CreateContainerOptions};
use common::{
    Containers, TestApp, docker1_url, docker2_url, expect_error, json, test_image, test_image_alt,
    unique,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `docker -H <host> …` commands run when the guard drops (also on panic), last added first.
/// Declare it before a [`Containers`] guard so the containers go first.
struct Cleanup {
    host: String,
    commands: Vec<Vec<String>>,
}

impl Cleanup {
    fn on(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            commands: Vec::new(),
        }
    }

    fn add(&mut self, args: &[&str]) {
        self.commands
            .push(args.iter().map(|s| (*s).to_owned()).collect());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for args in self.commands.iter().rev() {
            let _ = std::process::Command::new("docker")
                .arg("-H")
                .arg(&self.host)
                .args(args)
                .output();
        }
    }
}

/// A negotiated client for the guard's engine.
async fn docker(guard: &Containers) -> Docker {
    guard.docker.clone().negotiate_version().await.unwrap()
}

/// Commits a fresh (never started) container of the guard into a new image, tagged `repo:tag`
/// when given, else untagged (dangling). Answers the image id.
async fn commit(guard: &Containers, reference: Option<(&str, &str)>) -> String {
    let source = guard.create(&unique("commit-src"), &["true"], false).await;
    docker(guard)
        .await
        .commit_container(
            CommitContainerOptions {
                container: Some(source),
                repo: reference.map(|(repo, _)| repo.to_owned()),
                tag: reference.map(|(_, tag)| tag.to_owned()),
                pause: false,
                ..Default::default()
            },
            ContainerConfig::default(),
        )
        .await
        .unwrap()
        .id
}

/// Creates a container of `image` carrying the guard's label (so the guard removes it).
async fn create_from(guard: &Containers, image: &str) -> String {
    docker(guard)
        .await
        .create_container(
            Some(CreateContainerOptions {
                name: Some(unique("from-image")),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(image.to_owned()),
                cmd: Some(vec!["true".to_owned()]),
                labels: Some(HashMap::from([(
                    "berth.test".to_owned(),
                    guard.run_id.clone(),
                )])),
                host_config: Some(HostConfig {
                    network_mode: Some("none".to_owned()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

/// Adds a host whose engine does not exist (a socket nobody listens on); answers its name.
async fn add_down_host(app: &TestApp) -> String {
    let name = unique("down");
    let (status, body) = json(
        app.post(
            "/api/v1/hosts",
            &json!({
                "name": name,
                "url": format!("unix:///run/berth-test/absent-{name}.sock"),
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    name
}

/// A random `10.x.y` prefix for a /24 that no other test picks (in all likelihood).
fn random_subnet() -> (String, String) {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let x = 100 + bytes[0] % 150;
    let y = bytes[1];
    (format!("10.{x}.{y}.0/24"), format!("10.{x}.{y}.1"))
}

fn tags(body: &Value) -> Vec<&str> {
    body["repo_tags"]
        .as_array()
        .unwrap_or_else(|| panic!("no repo_tags: {body}"))
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

fn names(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .unwrap_or_else(|| panic!("not a list: {rows}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

// ----------------------------------------------------------------------------------------------
// Images
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn image_list_contains_the_test_image_with_its_tag() {
    let app = TestApp::spawn().await;
    for query in ["", "?all=true"] {
        let (status, body) =
            json(app.get(&format!("/api/v1/hosts/local/images{query}")).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let row = body
            .as_array()
            .unwrap()
            .iter()
            .find(|r| tags(r).contains(&test_image().as_str()))
            .unwrap_or_else(|| panic!("{} not listed: {body}", test_image()));
        assert!(row["id"].as_str().unwrap().starts_with("sha256:"), "{row}");
        assert_eq!(row["dangling"], false, "{row}");
        assert!(row["size"].as_i64().unwrap() > 0, "{row}");
        assert!(row["containers"].is_i64(), "{row}");
        assert!(row["created"].is_string(), "{row}");
        assert!(row["labels"].is_object(), "{row}");
        assert!(
            !tags(row).contains(&"<none>:<none>"),
            "placeholder tags are filtered: {row}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn image_list_dangling_filter_shows_only_untagged_images() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let guard = Containers::local();
    let id = commit(&guard, None).await;
    cleanup.add(&["rmi", "-f", &id]);
    // A container uses it, so no prune elsewhere takes it away while this test looks.
    create_from(&guard, &id).await;

    let (status, body) = json(app.get("/api/v1/hosts/local/images?dangling=true").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body.as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["id"] == id.as_str())
        .unwrap_or_else(|| panic!("dangling image {id} not listed: {body}"));
    assert_eq!(row["repo_tags"], json!([]), "{row}");
    for r in rows {
        assert_eq!(r["dangling"], true, "{r}");
        assert!(!tags(r).contains(&test_image().as_str()), "{r}");
    }

    // Without the filter it is listed too, flagged dangling, next to the tagged test image.
    let (_, all) = json(app.get("/api/v1/hosts/local/images").await).await;
    let all = all.as_array().unwrap();
    assert!(
        all.iter()
            .any(|r| r["id"] == id.as_str() && r["dangling"] == true)
    );
    assert!(
        all.iter()
            .any(|r| tags(r).contains(&test_image().as_str()) && r["dangling"] == false)
    );
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn image_inspect_by_percent_encoded_reference_and_by_id() {
    let app = TestApp::spawn().await;
    let (status, by_ref) = json(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&test_image())
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{by_ref}");
    assert!(tags(&by_ref).contains(&test_image().as_str()), "{by_ref}");
    let id = by_ref["id"].as_str().unwrap();
    assert!(id.starts_with("sha256:"), "{by_ref}");
    assert!(by_ref["size"].as_i64().unwrap() > 0, "{by_ref}");
    assert_eq!(by_ref["os"], "linux", "{by_ref}");
    assert!(!by_ref["layers"].as_array().unwrap().is_empty(), "{by_ref}");
    for key in ["command", "entrypoint", "env", "exposed_ports", "volumes"] {
        assert!(by_ref[key].is_array(), "{key}: {by_ref}");
    }

    let (status, by_id) = json(app.get(&format!("/api/v1/hosts/local/images/{id}")).await).await;
    assert_eq!(status, StatusCode::OK, "{by_id}");
    assert_eq!(by_id["id"], id);
    assert_eq!(by_id["repo_tags"], by_ref["repo_tags"]);

    // A short id works as the engine's own lookup does.
    let short = &id["sha256:".len().."sha256:".len() + 12];
    let (status, by_short) = json(
        app.get(&format!("/api/v1/hosts/local/images/{short}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{by_short}");
    assert_eq!(by_short["id"], id);
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_image_is_404_image_not_found() {
    let app = TestApp::spawn().await;
    let missing = format!("berth-test/{}:1", unique("nope"));
    let body = expect_error(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&missing)
        ))
        .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    assert_eq!(body["error"]["details"]["id"], missing.as_str(), "{body}");
    expect_error(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}/history",
            common::enc(&missing)
        ))
        .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    expect_error(
        app.delete(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&missing)
        ))
        .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn image_history_lists_the_layers_newest_first() {
    let app = TestApp::spawn().await;
    let (_, image) = json(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&test_image())
        ))
        .await,
    )
    .await;
    let (status, body) = json(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}/history",
            common::enc(&test_image())
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body.as_array().unwrap();
    assert!(!rows.is_empty(), "{body}");
    assert_eq!(rows[0]["id"], image["id"], "{body}");
    assert!(
        rows[0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == test_image().as_str()),
        "{body}"
    );
    for row in rows {
        assert!(row["created_by"].is_string(), "{row}");
        assert!(row["size"].is_i64(), "{row}");
        assert!(row["created"].is_string(), "{row}");
        assert!(row["comment"].is_string(), "{row}");
    }
    app.stop().await;
}

#[tokio::test]
async fn pull_from_the_local_registry_reports_updated_then_up_to_date() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let image = format!("{registry}/berth-test/busybox:latest");

    // Start without a local copy: remove the registry-tagged reference (other tags stay).
    let res = app
        .delete(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&image)
        ))
        .await;
    if res.status() == StatusCode::NOT_FOUND {
        expect_error(res, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND").await;
    } else {
        let (status, body) = json(res).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body["untagged"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == image.as_str()),
            "{body}"
        );
        assert!(body["deleted"].is_array(), "{body}");
    }
    expect_error(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&image)
        ))
        .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;

    let (status, first) = json(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({ "image": image }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["image"], image.as_str(), "{first}");
    assert_eq!(first["updated"], true, "{first}");
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("sha256:"), "{first}");
    assert!(
        first["digest"].as_str().unwrap().starts_with("sha256:"),
        "{first}"
    );
    // The layers are shared with the test image, so there may be nothing to report per layer.
    assert!(first["layers"].is_u64(), "{first}");
    assert!(first["bytes_downloaded"].is_u64(), "{first}");
    assert!(
        first["status"].as_str().unwrap().starts_with("Status: "),
        "{first}"
    );

    let (status, inspected) = json(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&image)
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{inspected}");
    assert_eq!(inspected["id"], id);

    let (status, second) = json(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({ "image": image }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["updated"], false, "{second}");
    assert_eq!(second["id"], id, "{second}");
    assert!(
        second["status"].as_str().unwrap().contains("up to date"),
        "{second}"
    );
    assert_eq!(second["layers_downloaded"], 0, "{second}");

    // By digest: the result names the reference as given.
    let by_digest = format!(
        "{registry}/berth-test/busybox@{}",
        first["digest"].as_str().unwrap()
    );
    let (status, third) = json(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({ "image": by_digest }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{third}");
    assert_eq!(third["image"], by_digest.as_str(), "{third}");
    assert_eq!(third["id"], id, "{third}");
    assert_eq!(third["updated"], false, "{third}");
    app.stop().await;
}

#[tokio::test]
async fn pull_of_an_invalid_reference_is_400_on_image() {
    let app = TestApp::spawn().await;
    for bad in ["", "Not/Lower:case", "a b", "nginx::1", "-nginx"] {
        let body = expect_error(
            app.post("/api/v1/hosts/local/images/pull", &json!({ "image": bad }))
                .await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], "image", "{bad}: {body}");
    }
    let body = expect_error(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({ "image": test_image(), "platform": "linux amd64" }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "platform", "{body}");
    let body = expect_error(
        app.post("/api/v1/hosts/local/images/pull", &json!({}))
            .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(body["error"]["field"], "image", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn pull_of_an_image_the_registry_lacks_is_502_image_pull_failed() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let image = format!("{registry}/berth-test/nope:1");
    let body = expect_error(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({ "image": image }),
        )
        .await,
        StatusCode::BAD_GATEWAY,
        "IMAGE_PULL_FAILED",
    )
    .await;
    assert_eq!(body["error"]["details"]["image"], image.as_str(), "{body}");

    // A registry nobody listens on fails the same way.
    let image = "127.0.0.1:5999/berth-test/busybox:latest";
    let body = expect_error(
        app.post(
            "/api/v1/hosts/local/images/pull",
            &json!({ "image": image }),
        )
        .await,
        StatusCode::BAD_GATEWAY,
        "IMAGE_PULL_FAILED",
    )
    .await;
    assert_eq!(body["error"]["details"]["image"], image, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn pull_on_a_host_whose_engine_is_down_is_503_docker_unavailable() {
    let app = TestApp::spawn().await;
    let host = add_down_host(&app).await;
    let body = expect_error(
        app.post(
            &format!("/api/v1/hosts/{host}/images/pull"),
            &json!({ "image": test_image() }),
        )
        .await,
        StatusCode::SERVICE_UNAVAILABLE,
        "DOCKER_UNAVAILABLE",
    )
    .await;
    assert_eq!(body["error"]["details"]["host"], host.as_str(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn tag_answers_201_with_the_image_and_delete_untags_it() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let repo = format!("berth-test/{}", unique("tagged"));
    let tagged = format!("{repo}:v1");
    let latest = format!("{repo}:latest");
    cleanup.add(&["rmi", &tagged]);
    cleanup.add(&["rmi", &latest]);
    let (_, source) = json(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&test_image())
        ))
        .await,
    )
    .await;

    let (status, body) = json(
        app.post(
            &format!(
                "/api/v1/hosts/local/images/{}/tag",
                common::enc(&test_image())
            ),
            &json!({ "repo": repo, "tag": "v1" }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], source["id"], "{body}");
    assert!(tags(&body).contains(&tagged.as_str()), "{body}");
    assert!(tags(&body).contains(&test_image().as_str()), "{body}");

    // Without a tag it is `latest`; the source may be given by id.
    let id = source["id"].as_str().unwrap();
    let (status, body) = json(
        app.post(
            &format!("/api/v1/hosts/local/images/{id}/tag"),
            &json!({ "repo": repo }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(tags(&body).contains(&latest.as_str()), "{body}");

    for reference in [&tagged, &latest] {
        let (status, body) = json(
            app.delete(&format!(
                "/api/v1/hosts/local/images/{}",
                common::enc(reference)
            ))
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["untagged"], json!([reference]), "{body}");
        assert_eq!(body["deleted"], json!([]), "{body}");
        expect_error(
            app.get(&format!(
                "/api/v1/hosts/local/images/{}",
                common::enc(reference)
            ))
            .await,
            StatusCode::NOT_FOUND,
            "IMAGE_NOT_FOUND",
        )
        .await;
    }
    // The source image is untouched.
    let (status, after) = json(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&test_image())
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["id"], source["id"]);
    app.stop().await;
}

#[tokio::test]
async fn tag_with_an_invalid_repo_or_tag_is_400() {
    let app = TestApp::spawn().await;
    let path = format!(
        "/api/v1/hosts/local/images/{}/tag",
        common::enc(&test_image())
    );
    for (body, field) in [
        (json!({ "repo": "Bad Repo" }), "repo"),
        (json!({ "repo": "" }), "repo"),
        (json!({ "repo": "berth-test/UPPER" }), "repo"),
        (
            json!({ "repo": format!("berth-test/{}", unique("ok")), "tag": "bad tag" }),
            "tag",
        ),
        (
            json!({ "repo": format!("berth-test/{}", unique("ok")), "tag": ".dot" }),
            "tag",
        ),
    ] {
        let err = expect_error(
            app.post(&path, &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    app.stop().await;
}

#[tokio::test]
async fn tag_of_an_unknown_image_is_404() {
    let app = TestApp::spawn().await;
    let missing = format!("berth-test/{}:1", unique("nope"));
    let repo = format!("berth-test/{}", unique("tagged"));
    let mut cleanup = Cleanup::on(&docker1_url());
    cleanup.add(&["rmi", &format!("{repo}:v1")]);
    expect_error(
        app.post(
            &format!("/api/v1/hosts/local/images/{}/tag", common::enc(&missing)),
            &json!({ "repo": repo, "tag": "v1" }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn removing_an_image_a_container_uses_is_409_without_force() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let guard = Containers::local();
    // An image of this test's own (one tag), so a wrong answer cannot remove a shared one.
    let repo = format!("berth-test/{}", unique("inuse"));
    let reference = format!("{repo}:v1");
    let id = commit(&guard, Some((&repo, "v1"))).await;
    cleanup.add(&["rmi", "-f", &id]);
    create_from(&guard, &reference).await;

    for key in [common::enc(&reference), id.clone()] {
        let body = expect_error(
            app.delete(&format!("/api/v1/hosts/local/images/{key}"))
                .await,
            StatusCode::CONFLICT,
            "CONFLICT",
        )
        .await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("container"),
            "{body}"
        );
    }
    let (status, body) = json(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&reference)
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "still there: {body}");
    assert_eq!(body["id"], id.as_str());

    // Once the container is gone, it can be removed.
    guard.cleanup().await;
    let (status, body) = json(
        app.delete(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&reference)
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["untagged"], json!([reference]), "{body}");
    assert!(
        body["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == id.as_str()),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn force_removes_the_tag_of_an_image_a_container_uses_and_the_container_stays() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let guard = Containers::local();
    let repo = format!("berth-test/{}", unique("forced"));
    let reference = format!("{repo}:v1");
    let id = commit(&guard, Some((&repo, "v1"))).await;
    cleanup.add(&["rmi", "-f", &id]);
    let container = create_from(&guard, &reference).await;

    let (status, body) = json(
        app.delete(&format!(
            "/api/v1/hosts/local/images/{}?force=true",
            common::enc(&reference)
        ))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["untagged"], json!([reference]), "{body}");
    expect_error(
        app.get(&format!(
            "/api/v1/hosts/local/images/{}",
            common::enc(&reference)
        ))
        .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    // The container that uses it is untouched.
    let (status, body) = json(
        app.get(&format!("/api/v1/hosts/local/containers/{container}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["image_id"], id.as_str(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn image_prune_removes_dangling_images_and_keeps_tagged_ones() {
    // On the second engine, so it cannot take dangling images of parallel tests.
    let app = TestApp::spawn().await;
    app.add_host("second", &docker2_url()).await;
    let mut cleanup = Cleanup::on(&docker2_url());
    let guard = Containers::on(&docker2_url());
    let dangling = commit(&guard, None).await;
    cleanup.add(&["rmi", "-f", &dangling]);

    let (status, body) = json(
        app.post(
            "/api/v1/hosts/second/images/prune",
            &json!({ "all": false }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["deleted"].is_array(), "{body}");
    assert!(body["space_reclaimed"].is_u64(), "{body}");
    assert!(
        body["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == dangling.as_str()),
        "{dangling} not pruned: {body}"
    );
    expect_error(
        app.get(&format!("/api/v1/hosts/second/images/{dangling}"))
            .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    for image in [test_image(), test_image_alt()] {
        let (status, body) = json(
            app.get(&format!(
                "/api/v1/hosts/second/images/{}",
                common::enc(&image)
            ))
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{image} was pruned: {body}");
    }

    // The body is optional.
    let (status, body) = json(app.post_empty("/api/v1/hosts/second/images/prune").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["deleted"].is_array(), "{body}");
    assert!(body["space_reclaimed"].is_u64(), "{body}");
    guard.cleanup().await;
    app.stop().await;
}

// ----------------------------------------------------------------------------------------------
// Volumes
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn volume_create_list_inspect_and_remove() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let name = unique("berth-vol");
    cleanup.add(&["volume", "rm", "-f", &name]);
    let (status, created) = json(
        app.post(
            "/api/v1/hosts/local/volumes",
            &json!({ "name": name, "labels": { "berth.test": name, "tier": "db" } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["driver"], "local");
    assert_eq!(created["scope"], "local");
    assert_eq!(
        created["labels"],
        json!({ "berth.test": name, "tier": "db" })
    );
    assert_eq!(created["options"], json!({}), "{created}");
    assert!(
        !created["mountpoint"].as_str().unwrap().is_empty(),
        "{created}"
    );

    let (status, list) = json(app.get("/api/v1/hosts/local/volumes").await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(names(&list).contains(&name.as_str()), "{list}");
    let listed: Vec<&str> = names(&list);
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted, "sorted by name");

    let (status, inspected) = json(
        app.get(&format!("/api/v1/hosts/local/volumes/{name}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{inspected}");
    assert_eq!(inspected["name"], name.as_str());
    assert_eq!(inspected["labels"], created["labels"]);
    assert_eq!(inspected["mountpoint"], created["mountpoint"]);

    let res = app
        .delete(&format!("/api/v1/hosts/local/volumes/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.get(&format!("/api/v1/hosts/local/volumes/{name}"))
            .await,
        StatusCode::NOT_FOUND,
        "VOLUME_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn volume_create_without_a_name_lets_the_engine_pick_one() {
    let app = TestApp::spawn().await;
    let (status, created) = json(
        app.post(
            "/api/v1/hosts/local/volumes",
            &json!({ "labels": { "berth.test": unique("anon") } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let name = created["name"].as_str().unwrap().to_owned();
    let _cleanup = {
        let mut c = Cleanup::on(&docker1_url());
        c.add(&["volume", "rm", "-f", &name]);
        c
    };
    assert_eq!(name.len(), 64, "{created}");
    let res = app
        .delete(&format!("/api/v1/hosts/local/volumes/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn creating_a_volume_that_exists_is_409_on_name() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let name = unique("berth-vol");
    cleanup.add(&["volume", "rm", "-f", &name]);
    let spec = json!({ "name": name, "labels": { "berth.test": name } });
    let res = app.post("/api/v1/hosts/local/volumes", &spec).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = expect_error(
        app.post("/api/v1/hosts/local/volumes", &spec).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert_eq!(body["error"]["field"], "name", "{body}");
    let res = app
        .delete(&format!("/api/v1/hosts/local/volumes/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn creating_a_volume_with_an_invalid_name_or_driver_is_400() {
    let app = TestApp::spawn().await;
    for (spec, field) in [
        (json!({ "name": "-bad" }), "name"),
        (json!({ "name": "has space" }), "name"),
        (json!({ "name": "x" }), "name"),
        (json!({ "name": "a/b" }), "name"),
        (
            json!({ "name": unique("berth-vol"), "driver": "" }),
            "driver",
        ),
        (
            json!({ "name": unique("berth-vol"), "driver": "lo cal" }),
            "driver",
        ),
    ] {
        let body = expect_error(
            app.post("/api/v1/hosts/local/volumes", &spec).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], field, "{spec}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_volume_is_404_volume_not_found() {
    let app = TestApp::spawn().await;
    let name = unique("nope-vol");
    let body = expect_error(
        app.delete(&format!("/api/v1/hosts/local/volumes/{name}"))
            .await,
        StatusCode::NOT_FOUND,
        "VOLUME_NOT_FOUND",
    )
    .await;
    assert_eq!(body["error"]["details"]["id"], name.as_str(), "{body}");
    expect_error(
        app.get(&format!("/api/v1/hosts/local/volumes/{name}"))
            .await,
        StatusCode::NOT_FOUND,
        "VOLUME_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn removing_a_volume_a_container_uses_is_409_until_the_container_goes() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let guard = Containers::local();
    let name = unique("berth-vol");
    cleanup.add(&["volume", "rm", "-f", &name]);
    let res = app
        .post(
            "/api/v1/hosts/local/volumes",
            &json!({ "name": name, "labels": { "berth.test": name } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    guard
        .create_with(
            &unique("vol-user"),
            &["sleep", "60"],
            false,
            HashMap::new(),
            HostConfig {
                binds: Some(vec![format!("{name}:/data")]),
                ..Default::default()
            },
        )
        .await;

    let body = expect_error(
        app.delete(&format!("/api/v1/hosts/local/volumes/{name}"))
            .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("in use"),
        "{body}"
    );
    let (status, _) = json(
        app.get(&format!("/api/v1/hosts/local/volumes/{name}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "still there");

    guard.cleanup().await;
    let res = app
        .delete(&format!("/api/v1/hosts/local/volumes/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn volume_prune_removes_unused_volumes_and_keeps_used_ones() {
    // On the second engine: a prune on API 1.41 removes every unused volume, named ones too.
    let app = TestApp::spawn().await;
    app.add_host("second", &docker2_url()).await;
    let mut cleanup = Cleanup::on(&docker2_url());
    let guard = Containers::on(&docker2_url());
    let unused = unique("berth-vol-unused");
    let used = unique("berth-vol-used");
    cleanup.add(&["volume", "rm", "-f", &unused]);
    cleanup.add(&["volume", "rm", "-f", &used]);
    for name in [&unused, &used] {
        let res = app
            .post(
                "/api/v1/hosts/second/volumes",
                &json!({ "name": name, "labels": { "berth.test": name } }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    guard
        .create_with(
            &unique("vol-user"),
            &["true"],
            false,
            HashMap::new(),
            HostConfig {
                binds: Some(vec![format!("{used}:/data")]),
                ..Default::default()
            },
        )
        .await;

    for request in [json!({}), json!({ "all": true })] {
        let res = app
            .post("/api/v1/hosts/second/volumes", &json!({ "name": unused }))
            .await;
        assert!(
            res.status() == StatusCode::CREATED || res.status() == StatusCode::CONFLICT,
            "{}",
            res.status()
        );
        let (status, body) = json(
            app.post("/api/v1/hosts/second/volumes/prune", &request)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{request}: {body}");
        assert!(body["space_reclaimed"].is_u64(), "{body}");
        let deleted = body["deleted"].as_array().unwrap();
        assert!(deleted.iter().any(|d| d == unused.as_str()), "{body}");
        assert!(!deleted.iter().any(|d| d == used.as_str()), "{body}");
        expect_error(
            app.get(&format!("/api/v1/hosts/second/volumes/{unused}"))
                .await,
            StatusCode::NOT_FOUND,
            "VOLUME_NOT_FOUND",
        )
        .await;
        let (status, _) = json(
            app.get(&format!("/api/v1/hosts/second/volumes/{used}"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "the used volume survives");
    }
    guard.cleanup().await;
    app.stop().await;
}

// ----------------------------------------------------------------------------------------------
// Networks
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn network_create_inspect_list_and_remove() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let name = unique("berth-net");
    cleanup.add(&["network", "rm", &name]);
    let (subnet, gateway) = random_subnet();
    let (status, created) = json(
        app.post(
            "/api/v1/hosts/local/networks",
            &json!({
                "name": name,
                "labels": { "berth.test": name },
                "subnet": subnet,
                "gateway": gateway,
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["driver"], "bridge");
    assert_eq!(created["scope"], "local");
    assert_eq!(created["internal"], false);
    assert_eq!(created["labels"], json!({ "berth.test": name }));
    assert_eq!(
        created["subnets"],
        json!([{ "subnet": subnet, "gateway": gateway }])
    );
    assert_eq!(created["containers"], json!([]));
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 64, "{created}");

    let (status, list) = json(app.get("/api/v1/hosts/local/networks").await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} not listed: {list}"));
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["subnets"], created["subnets"]);
    assert!(names(&list).contains(&"bridge"), "{list}");

    for key in [&name, &id] {
        let (status, inspected) = json(
            app.get(&format!("/api/v1/hosts/local/networks/{key}"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{inspected}");
        assert_eq!(inspected["id"], id.as_str());
        assert_eq!(inspected["name"], name.as_str());
        assert_eq!(inspected["containers"], json!([]));
    }

    let res = app
        .delete(&format!("/api/v1/hosts/local/networks/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    expect_error(
        app.get(&format!("/api/v1/hosts/local/networks/{id}")).await,
        StatusCode::NOT_FOUND,
        "NETWORK_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn creating_a_network_with_a_taken_name_is_409_on_name() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let name = unique("berth-net");
    cleanup.add(&["network", "rm", &name]);
    let spec = json!({ "name": name, "labels": { "berth.test": name } });
    let res = app.post("/api/v1/hosts/local/networks", &spec).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = expect_error(
        app.post("/api/v1/hosts/local/networks", &spec).await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert_eq!(body["error"]["field"], "name", "{body}");
    // The predefined networks are taken too.
    let body = expect_error(
        app.post("/api/v1/hosts/local/networks", &json!({ "name": "bridge" }))
            .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert_eq!(body["error"]["field"], "name", "{body}");
    let res = app
        .delete(&format!("/api/v1/hosts/local/networks/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn a_network_may_be_named_like_the_id_prefix_of_another_one() {
    // The engine's lookup also matches id prefixes; only a network of that very name conflicts.
    let app = TestApp::spawn().await;
    let (_, bridge) = json(app.get("/api/v1/hosts/local/networks/bridge").await).await;
    let bridge_id = bridge["id"].as_str().unwrap().to_owned();
    let name = bridge_id[..12].to_owned();
    let mut cleanup = Cleanup::on(&docker1_url());
    cleanup.add(&["network", "rm", &name]);
    let (status, created) = json(
        app.post(
            "/api/v1/hosts/local/networks",
            &json!({ "name": name, "labels": { "berth.test": name } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], name.as_str());
    assert_ne!(created["id"], bridge_id.as_str());
    let res = app
        .delete(&format!("/api/v1/hosts/local/networks/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, _) = json(app.get("/api/v1/hosts/local/networks/bridge").await).await;
    assert_eq!(status, StatusCode::OK, "bridge is untouched");
    app.stop().await;
}

#[tokio::test]
async fn creating_a_network_with_an_invalid_subnet_is_400_on_subnet() {
    let app = TestApp::spawn().await;
    for subnet in [
        "nonsense",
        "10.1.2.0",
        "10.1.2.0/33",
        "300.1.2.0/24",
        "10.1.2.0/x",
        "fd00::/129",
    ] {
        let body = expect_error(
            app.post(
                "/api/v1/hosts/local/networks",
                &json!({ "name": unique("berth-net"), "subnet": subnet }),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], "subnet", "{subnet}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn creating_a_network_with_a_gateway_but_no_subnet_is_400_on_gateway() {
    let app = TestApp::spawn().await;
    let (subnet, _) = random_subnet();
    for (spec, field) in [
        (
            json!({ "name": unique("berth-net"), "gateway": "10.1.2.1" }),
            "gateway",
        ),
        (
            json!({ "name": unique("berth-net"), "subnet": subnet, "gateway": "not-an-ip" }),
            "gateway",
        ),
        (json!({ "name": "-bad" }), "name"),
        (json!({ "name": "has space" }), "name"),
        (
            json!({ "name": unique("berth-net"), "driver": "a b" }),
            "driver",
        ),
    ] {
        let body = expect_error(
            app.post("/api/v1/hosts/local/networks", &spec).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], field, "{spec}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn connect_and_disconnect_a_running_container_with_an_alias() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let guard = Containers::local();
    let name = unique("berth-net");
    cleanup.add(&["network", "rm", &name]);
    let res = app
        .post(
            "/api/v1/hosts/local/networks",
            &json!({ "name": name, "labels": { "berth.test": name } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let container = unique("net-user");
    let id = guard
        .create_with(
            &container,
            &["sleep", "60"],
            true,
            HashMap::new(),
            HostConfig {
                network_mode: Some("bridge".to_owned()),
                ..Default::default()
            },
        )
        .await;
    let alias = unique("svc");

    let res = app
        .post(
            &format!("/api/v1/hosts/local/networks/{name}/connect"),
            &json!({ "container": container, "aliases": [alias] }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = json(
        app.get(&format!("/api/v1/hosts/local/networks/{name}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let attached = body["containers"].as_array().unwrap();
    assert_eq!(attached.len(), 1, "{body}");
    assert_eq!(attached[0]["id"], id.as_str());
    assert_eq!(attached[0]["name"], container.as_str());
    assert!(
        attached[0]["ipv4_address"].as_str().unwrap().contains('/'),
        "{body}"
    );
    let inspected = docker(&guard)
        .await
        .inspect_container(&id, None)
        .await
        .unwrap();
    let endpoint = inspected
        .network_settings
        .and_then(|n| n.networks)
        .and_then(|mut n| n.remove(&name))
        .expect("attached");
    assert!(
        endpoint.aliases.unwrap_or_default().contains(&alias),
        "alias {alias} set"
    );

    let res = app
        .post(
            &format!("/api/v1/hosts/local/networks/{name}/disconnect"),
            &json!({ "container": id }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, body) = json(
        app.get(&format!("/api/v1/hosts/local/networks/{name}"))
            .await,
    )
    .await;
    assert_eq!(body["containers"], json!([]), "{body}");

    let res = app
        .delete(&format!("/api/v1/hosts/local/networks/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn connecting_an_unknown_container_is_404_container_not_found() {
    let app = TestApp::spawn().await;
    let mut cleanup = Cleanup::on(&docker1_url());
    let name = unique("berth-net");
    cleanup.add(&["network", "rm", &name]);
    let res = app
        .post(
            "/api/v1/hosts/local/networks",
            &json!({ "name": name, "labels": { "berth.test": name } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let missing = unique("nope");
    for action in ["connect", "disconnect"] {
        let body = expect_error(
            app.post(
                &format!("/api/v1/hosts/local/networks/{name}/{action}"),
                &json!({ "container": missing }),
            )
            .await,
            StatusCode::NOT_FOUND,
            "CONTAINER_NOT_FOUND",
        )
        .await;
        assert_eq!(body["error"]["details"]["id"], missing.as_str(), "{body}");
    }
    let res = app
        .delete(&format!("/api/v1/hosts/local/networks/{name}"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.stop().await;
}

#[tokio::test]
async fn connecting_to_an_unknown_network_is_404_network_not_found() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    let running = unique("net-user");
    guard.create(&running, &["sleep", "60"], true).await;
    let stopped = unique("net-user");
    guard.create(&stopped, &["sleep", "60"], false).await;
    let missing = unique("nope-net");
    // The engine itself takes any network name for a container that is not running.
    for (action, container) in [
        ("connect", &running),
        ("disconnect", &running),
        ("connect", &stopped),
    ] {
        let body = expect_error(
            app.post(
                &format!("/api/v1/hosts/local/networks/{missing}/{action}"),
                &json!({ "container": container }),
            )
            .await,
            StatusCode::NOT_FOUND,
            "NETWORK_NOT_FOUND",
        )
        .await;
        assert_eq!(body["error"]["details"]["id"], missing.as_str(), "{body}");
    }
    // The stopped container still starts (no reference to the missing network was stored).
    docker(&guard)
        .await
        .start_container(&stopped, None)
        .await
        .unwrap();
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn connect_and_disconnect_validate_their_body() {
    let app = TestApp::spawn().await;
    let path = "/api/v1/hosts/local/networks/bridge";
    for (action, body, field) in [
        ("connect", json!({ "container": "" }), "container"),
        (
            "connect",
            json!({ "container": "web", "aliases": ["ok", "has space"] }),
            "aliases.1",
        ),
        (
            "connect",
            json!({ "container": "web", "aliases": [""] }),
            "aliases.0",
        ),
        (
            "connect",
            json!({ "container": "web", "ipv4_address": "10.0.0.300" }),
            "ipv4_address",
        ),
        ("disconnect", json!({ "container": "" }), "container"),
    ] {
        let err = expect_error(
            app.post(&format!("{path}/{action}"), &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_network_is_404_network_not_found() {
    let app = TestApp::spawn().await;
    let missing = unique("nope-net");
    let body = expect_error(
        app.delete(&format!("/api/v1/hosts/local/networks/{missing}"))
            .await,
        StatusCode::NOT_FOUND,
        "NETWORK_NOT_FOUND",
    )
    .await;
    assert_eq!(body["error"]["details"]["id"], missing.as_str(), "{body}");
    expect_error(
        app.get(&format!("/api/v1/hosts/local/networks/{missing}"))
            .await,
        StatusCode::NOT_FOUND,
        "NETWORK_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn removing_the_predefined_bridge_network_is_refused() {
    let app = TestApp::spawn().await;
    let body = expect_error(
        app.delete("/api/v1/hosts/local/networks/bridge").await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pre-defined"),
        "{body}"
    );
    let (status, _) = json(app.get("/api/v1/hosts/local/networks/bridge").await).await;
    assert_eq!(status, StatusCode::OK, "bridge is still there");
    app.stop().await;
}

#[tokio::test]
async fn network_prune_removes_an_unused_network() {
    // On the second engine: a prune removes every unused network, parallel tests' ones too.
    let app = TestApp::spawn().await;
    app.add_host("second", &docker2_url()).await;
    let mut cleanup = Cleanup::on(&docker2_url());
    let name = unique("berth-net");
    cleanup.add(&["network", "rm", &name]);
    let res = app
        .post(
            "/api/v1/hosts/second/networks",
            &json!({ "name": name, "labels": { "berth.test": name } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (status, body) = json(app.post_empty("/api/v1/hosts/second/networks/prune").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == name.as_str()),
        "{body}"
    );
    assert_eq!(body["space_reclaimed"], 0, "{body}");
    expect_error(
        app.get(&format!("/api/v1/hosts/second/networks/{name}"))
            .await,
        StatusCode::NOT_FOUND,
        "NETWORK_NOT_FOUND",
    )
    .await;
    // The predefined ones stay.
    let (_, list) = json(app.get("/api/v1/hosts/second/networks").await).await;
    assert!(names(&list).contains(&"none"), "{list}");
    assert!(names(&list).contains(&"host"), "{list}");
    app.stop().await;
}

// ----------------------------------------------------------------------------------------------
// System
// ----------------------------------------------------------------------------------------------

fn assert_info(body: &Value, host: &str) {
    assert_eq!(body["host"], host, "{body}");
    assert!(
        !body["server_version"].as_str().unwrap().is_empty(),
        "{body}"
    );
    assert_eq!(body["negotiated_api_version"], "1.41", "{body}");
    assert_eq!(body["api_version"], "1.41", "{body}");
    assert_eq!(body["os_type"], "linux", "{body}");
    for key in [
        "containers",
        "containers_running",
        "containers_paused",
        "containers_stopped",
        "images",
    ] {
        assert!(body[key].as_i64().is_some_and(|n| n >= 0), "{key}: {body}");
    }
    assert!(body["images"].as_i64().unwrap() >= 2, "{body}");
    assert!(body["cpus"].as_i64().unwrap() >= 1, "{body}");
    assert!(body["memory_bytes"].as_i64().unwrap() > 0, "{body}");
    assert!(
        body["runtimes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "runc"),
        "{body}"
    );
    assert!(body["warnings"].is_array(), "{body}");
}

fn assert_df(body: &Value) {
    for kind in ["images", "containers", "volumes", "build_cache"] {
        for key in ["count", "active", "size", "reclaimable"] {
            assert!(body[kind][key].is_u64(), "{kind}.{key}: {body}");
        }
        assert!(
            body[kind]["active"].as_u64() <= body[kind]["count"].as_u64(),
            "{kind}: {body}"
        );
    }
    assert!(body["images"]["count"].as_u64().unwrap() >= 2, "{body}");
    assert!(body["images"]["size"].as_u64().unwrap() > 0, "{body}");
}

#[tokio::test]
async fn system_info_describes_the_primary_engine() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get("/api/v1/hosts/local/system/info").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_info(&body, "local");
    app.stop().await;
}

#[tokio::test]
async fn system_df_adds_up_disk_usage_of_the_primary_engine() {
    let app = TestApp::spawn().await;
    let guard = Containers::local();
    guard.create(&unique("df"), &["sleep", "60"], true).await;
    let (status, body) = json(app.get("/api/v1/hosts/local/system/df").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_df(&body);
    assert!(body["containers"]["count"].as_u64().unwrap() >= 1, "{body}");
    assert!(body["images"]["active"].as_u64().unwrap() >= 1, "{body}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn system_info_and_df_work_on_the_second_host() {
    let app = TestApp::spawn().await;
    app.add_host("second", &docker2_url()).await;
    let (status, second) = json(app.get("/api/v1/hosts/second/system/info").await).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_info(&second, "second");
    let (_, local) = json(app.get("/api/v1/hosts/local/system/info").await).await;
    assert_ne!(
        second["docker_root_dir"], local["docker_root_dir"],
        "two engines"
    );
    let (status, body) = json(app.get("/api/v1/hosts/second/system/df").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_df(&body);
    app.stop().await;
}

#[tokio::test]
async fn system_of_an_unknown_host_is_404_host_not_found() {
    let app = TestApp::spawn().await;
    let host = unique("nohost");
    for what in ["info", "df"] {
        let body = expect_error(
            app.get(&format!("/api/v1/hosts/{host}/system/{what}"))
                .await,
            StatusCode::NOT_FOUND,
            "HOST_NOT_FOUND",
        )
        .await;
        assert_eq!(body["error"]["details"]["host"], host.as_str(), "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn resources_of_an_unknown_host_are_404_host_not_found() {
    let app = TestApp::spawn().await;
    let host = unique("nohost");
    for path in ["images", "volumes", "networks"] {
        expect_error(
            app.get(&format!("/api/v1/hosts/{host}/{path}")).await,
            StatusCode::NOT_FOUND,
            "HOST_NOT_FOUND",
        )
        .await;
        expect_error(
            app.post_empty(&format!("/api/v1/hosts/{host}/{path}/prune"))
                .await,
            StatusCode::NOT_FOUND,
            "HOST_NOT_FOUND",
        )
        .await;
    }
    expect_error(
        app.post(
            &format!("/api/v1/hosts/{host}/images/pull"),
            &json!({ "image": test_image() }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "HOST_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn system_of_a_host_whose_engine_is_down_is_503_docker_unavailable() {
    let app = TestApp::spawn().await;
    let host = add_down_host(&app).await;
    for path in ["system/info", "system/df", "images", "volumes", "networks"] {
        let body = expect_error(
            app.get(&format!("/api/v1/hosts/{host}/{path}")).await,
            StatusCode::SERVICE_UNAVAILABLE,
            "DOCKER_UNAVAILABLE",
        )
        .await;
        assert_eq!(body["error"]["details"]["host"], host.as_str(), "{body}");
    }
    app.stop().await;
}
