//! Image builds and pushes against the real engine and the local registry. Build contexts are
//! real archives made by the `tar` tool; every image is built FROM the busybox test image, so no
//! registry is needed to build. Every image a test makes is removed when its guard drops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use berth_api::auth::Role;
use common::{TestApp, expect_error, json, test_image, unique};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Local images a test made, removed on drop (also when the test fails).
struct Made(Vec<String>);

impl Made {
    fn new(refs: &[&str]) -> Self {
        Self(refs.iter().map(|r| (*r).to_owned()).collect())
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("docker").args(["rmi", "-f", image]).output();
        }
    }
}

/// A tar archive of `files` (gzip when asked), made by the system's `tar`.
fn context(files: &[(&str, &str)], gzip: bool) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = Command::new("tar")
        .arg(if gzip { "-czf" } else { "-cf" })
        .args(["-", "-C"])
        .arg(dir.path())
        .arg(".")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn dockerfile(body: &str) -> String {
    format!("FROM {}\n{body}", test_image())
}

async fn post_context(
    app: &TestApp,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/hosts/local/images/build?{query}")))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_task(app: &TestApp, id: &str) -> Ws {
    let mut req = format!("ws://{}/api/v1/tasks/{id}", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", app.key).parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// Every state of a task the stream shows, until it ends; the last is the finished task.
async fn follow(app: &TestApp, task: &Value) -> Vec<Value> {
    let mut ws = open_task(app, task["id"].as_str().unwrap()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let mut seen = Vec::new();
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the task did not end in time")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(&text).unwrap();
            let done = v["finished_at"].is_string();
            seen.push(v);
            if done {
                return seen;
            }
        }
    }
}

/// Uploaded build contexts still in the data folder.
fn spooled(app: &TestApp) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(&app.state.config.data_dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".build-context-")
        })
        .map(|e| e.path())
        .collect()
}

fn log_of(task: &Value) -> String {
    task["result"]["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_tar_context_builds_a_tagged_image_with_live_steps_and_an_audit_entry() {
    let app = TestApp::spawn().await;
    let repo = format!("berth-test/{}", unique("build"));
    let (v1, v2) = (format!("{repo}:v1"), format!("{repo}:v2"));
    let _made = Made::new(&[&v1, &v2]);
    let greeting = unique("hello from berth");
    let tar = context(
        &[
            (
                "Dockerfile",
                &dockerfile("COPY hello.txt /\nRUN [\"/bin/busybox\",\"cat\",\"/hello.txt\"]\n"),
            ),
            ("hello.txt", &greeting),
        ],
        false,
    );
    let res = post_context(
        &app,
        &format!("tag={}&tag={}", common::enc(&v1), common::enc(&v2)),
        "application/x-tar",
        tar,
    )
    .await;
    let (status, task) = json(res).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    assert_eq!(task["action"], "image.build");
    assert_eq!(task["target"], v1.as_str());
    let seen = follow(&app, &task).await;
    let done = seen.last().unwrap();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["percent"], 100.0);
    assert_eq!(
        (done["current"].as_u64(), done["total"].as_u64()),
        (Some(3), Some(3)),
        "{done}"
    );
    let id = done["result"]["id"].as_str().unwrap();
    assert!(id.starts_with("sha256:"), "{done}");
    assert_eq!(done["result"]["tags"], json!([v1, v2]));
    // The RUN step's own output is in the log, after the classic builder's step lines.
    let log = log_of(done);
    assert!(log.contains("Step 3/3 : RUN"), "{log}");
    assert!(log.contains(&greeting), "{log}");
    // Progress came live, line by line, while the build ran.
    assert!(
        seen.iter()
            .any(|t| t["status"] == "running" && !t["message"].as_str().unwrap().is_empty()),
        "{seen:?}"
    );
    for tag in [&v1, &v2] {
        let (status, image) = json(
            app.get(&format!("/api/v1/hosts/local/images/{}", common::enc(tag)))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{image}");
        assert_eq!(image["id"], id);
    }
    assert!(
        spooled(&app).is_empty(),
        "the uploaded context outlived its build"
    );
    let (_, audit) = json(app.get("/api/v1/audit?action=image.build").await).await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["outcome"], "success", "{entry}");
    assert_eq!(entry["resource_id"], v1.as_str(), "{entry}");
    assert_eq!(entry["details"]["tags"], json!([v1, v2]), "{entry}");
    assert_eq!(entry["details"]["task"], task["id"], "{entry}");
    app.stop().await;
}

#[tokio::test]
async fn a_gzip_context_takes_a_dockerfile_path_build_args_and_no_cache() {
    let app = TestApp::spawn().await;
    let tag = format!("berth-test/{}:args", unique("build"));
    let _made = Made::new(&[&tag]);
    let tar = context(
        &[(
            "docker/app.Dockerfile",
            &dockerfile(
                "ARG GREETING\nRUN [\"/bin/busybox\",\"sh\",\"-c\",\"echo greeting=$GREETING\"]\n",
            ),
        )],
        true,
    );
    let query = format!(
        "tag={}&dockerfile=docker%2Fapp.Dockerfile&buildarg=GREETING%3Dhi-there&nocache=true",
        common::enc(&tag)
    );
    let (status, task) = json(post_context(&app, &query, "application/gzip", tar).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    let seen = follow(&app, &task).await;
    let done = seen.last().unwrap();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(log_of(done).contains("greeting=hi-there"), "{done}");
    app.stop().await;
}

#[tokio::test]
async fn a_failing_run_or_a_bad_instruction_ends_the_task_failed_with_the_engines_message() {
    let app = TestApp::spawn().await;
    let tag = format!("berth-test/{}:bad", unique("build"));
    let _made = Made::new(&[&tag]);
    let cases = [
        (
            dockerfile("RUN [\"/bin/busybox\",\"false\"]\n"),
            "returned a non-zero code",
        ),
        (dockerfile("FROBNICATE now\n"), "unknown instruction"),
    ];
    for (text, expected) in cases {
        let (status, task) = json(
            app.post(
                "/api/v1/hosts/local/images/build",
                &json!({ "dockerfile": text, "tags": [tag] }),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{task}");
        let done = follow(&app, &task).await.pop().unwrap();
        assert_eq!(done["status"], "failed", "{done}");
        let error = done["error"].as_str().unwrap().to_lowercase();
        assert!(error.contains(expected), "{done}");
        assert!(done["result"]["id"].is_null(), "{done}");
    }
    expect_error(
        app.get(&format!("/api/v1/hosts/local/images/{}", common::enc(&tag)))
            .await,
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn bad_build_requests_are_refused_naming_the_field_and_oversized_contexts_are_413() {
    let app = TestApp::spawn_with(|c| c.max_build_context_bytes = 64 * 1024).await;
    let tar = context(&[("Dockerfile", &dockerfile(""))], false);
    let field = |body: &Value| {
        body["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    for (query, want) in [
        ("tag=Not%20A%20Tag", "tag"),
        ("", "tag"),
        ("tag=team%2Fapp%40sha256%3Aabc", "tag"),
        ("tag=a%3A1&colour=red", "colour"),
        ("tag=a%3A1&nocache=maybe", "nocache"),
        ("tag=a%3A1&dockerfile=..%2Fetc%2Fpasswd", "dockerfile"),
        ("tag=a%3A1&buildarg=NOEQUALS", "buildarg"),
    ] {
        let res = post_context(&app, query, "application/x-tar", tar.clone()).await;
        let body = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(field(&body), want, "{query}: {body}");
    }
    for (body, want) in [
        (
            json!({ "dockerfile": "FROM x", "tags": ["UPPER/case:1"] }),
            "tags",
        ),
        (json!({ "dockerfile": "FROM x", "tags": [] }), "tags"),
        (json!({ "tags": ["a:1"] }), "dockerfile"),
        (json!({ "dockerfile": " ", "tags": ["a:1"] }), "dockerfile"),
        (
            json!({ "dockerfile": "FROM x", "tags": ["a:1"], "build_args": { "1bad": "x" } }),
            "build_args",
        ),
    ] {
        let res = app.post("/api/v1/hosts/local/images/build", &body).await;
        let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
        assert_eq!(field(&err), want, "{body}: {err}");
    }
    // Options of a JSON build go in its body.
    let res = app
        .post(
            "/api/v1/hosts/local/images/build?tag=a%3A1",
            &json!({ "dockerfile": "FROM x", "tags": ["a:1"] }),
        )
        .await;
    let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(field(&err), "tag", "{err}");
    let res = post_context(&app, "tag=a%3A1", "text/plain", "FROM x").await;
    expect_error(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
    let res = post_context(&app, "tag=a%3A1", "application/x-tar", Vec::new()).await;
    let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(field(&err), "body", "{err}");
    // Too large: said up front by Content-Length, and found while streaming a chunked upload.
    let big = vec![0u8; 100 * 1024];
    let res = post_context(&app, "tag=a%3A1", "application/x-tar", big.clone()).await;
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    let chunks = futures_util::stream::iter(
        big.chunks(8 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let res = post_context(
        &app,
        "tag=a%3A1",
        "application/x-tar",
        reqwest::Body::wrap_stream(chunks),
    )
    .await;
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    // A JSON build is held to the server's body limit (1 MiB in tests).
    let huge = json!({ "dockerfile": "#".repeat(2 * 1024 * 1024), "tags": ["a:1"] });
    let res = app.post("/api/v1/hosts/local/images/build", &huge).await;
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    let res = app
        .post(
            "/api/v1/hosts/nope-zz9/images/build",
            &json!({ "dockerfile": "FROM x", "tags": ["a:1"] }),
        )
        .await;
    expect_error(res, StatusCode::NOT_FOUND, "HOST_NOT_FOUND").await;
    // No refused upload is left behind in the data folder.
    let left = spooled(&app);
    assert!(left.is_empty(), "{left:?}");
    app.stop().await;
}

#[tokio::test]
async fn deployers_build_while_operators_viewers_and_tenants_are_refused() {
    let app = TestApp::spawn().await;
    let tag = format!("berth-test/{}:role", unique("build"));
    let _made = Made::new(&[&tag]);
    let body = json!({ "dockerfile": dockerfile("LABEL built.by=deployer\n"), "tags": [tag] });
    for role in [Role::User, Role::Viewer, Role::Operator, Role::Deployer] {
        let name = unique(role.as_str());
        app.create_user(&name, role, None).await;
        let key = app.api_key_for(&name, common::USER_PASSWORD, "write").await;
        let send = |path: &str, body: &Value| {
            app.anon
                .post(app.url(path))
                .bearer_auth(&key)
                .json(body)
                .send()
        };
        let res = send("/api/v1/hosts/local/images/build", &body)
            .await
            .unwrap();
        // An image that is not there: allowed roles reach the handler's 404.
        let push = send(
            "/api/v1/hosts/local/images/127.0.0.1%3A5999%2Fnope%2Fx%3A1/push",
            &json!({}),
        )
        .await
        .unwrap();
        if role == Role::Deployer {
            let (status, task) = json(res).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{task}");
            let done = follow(&app, &task).await.pop().unwrap();
            assert_eq!(done["status"], "succeeded", "{done}");
            assert_eq!(done["username"], name.as_str(), "{done}");
            expect_error(push, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND").await;
        } else {
            expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
            expect_error(push, StatusCode::FORBIDDEN, "FORBIDDEN").await;
        }
    }
    let (_, image) = json(
        app.get(&format!("/api/v1/hosts/local/images/{}", common::enc(&tag)))
            .await,
    )
    .await;
    assert_eq!(image["labels"]["built.by"], "deployer", "{image}");
    app.stop().await;
}

#[tokio::test]
async fn a_push_reaches_the_registry_and_its_password_appears_nowhere() {
    let registry = common::registry();
    let app = TestApp::spawn().await;
    let name = format!("berth-test/{}", unique("push"));
    let repo = format!("{registry}/{name}");
    let image = format!("{repo}:v1");
    let _made = Made::new(&[&image]);
    let (status, tagged) = json(
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
    assert_eq!(status, StatusCode::CREATED, "{tagged}");
    // The registry takes anonymous pushes; the credentials are sent and must leak nowhere.
    let password = unique("registry-secret");
    let (status, task) = json(
        app.post(
            &format!("/api/v1/hosts/local/images/{}/push", common::enc(&image)),
            &json!({ "auth": { "username": "berth-ci", "password": password } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    assert_eq!(task["action"], "image.push");
    assert_eq!(task["target"], image.as_str());
    let seen = follow(&app, &task).await;
    let done = seen.last().unwrap();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(
        done["result"]["digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:"),
        "{done}"
    );
    assert_eq!(done["result"]["image"], image.as_str());
    // Every layer is counted done, however the registry took it.
    assert!(done["total"].as_u64().unwrap() > 0, "{done}");
    assert_eq!(done["current"], done["total"], "{done}");
    let (status, tags) = json(
        app.anon
            .get(format!("http://{registry}/v2/{name}/tags/list"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tags}");
    assert_eq!(tags["tags"], json!(["v1"]), "{tags}");
    let (_, audit) = json(app.get("/api/v1/audit?action=image.push").await).await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["outcome"], "success", "{entry}");
    assert_eq!(entry["resource_id"], image.as_str(), "{entry}");
    assert_eq!(entry["details"]["tag"], "v1", "{entry}");
    assert_eq!(entry["details"]["registry_user"], "berth-ci", "{entry}");
    let (_, tasks) = json(app.get("/api/v1/tasks").await).await;
    for (what, text) in [
        ("audit", audit.to_string()),
        ("task stream", format!("{seen:?}")),
        ("task list", tasks.to_string()),
        ("server log", common::captured_logs()),
    ] {
        assert!(!text.contains(&password), "the password is in the {what}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_refused_push_fails_its_task_and_bad_pushes_are_refused_up_front() {
    let app = TestApp::spawn().await;
    // Nothing listens on this port: the engine's error ends the task.
    let image = format!("127.0.0.1:5999/berth-test/{}:v1", unique("push"));
    let _made = Made::new(&[&image]);
    let (repo, _) = image.rsplit_once(':').unwrap();
    let (status, _) = json(
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
    assert_eq!(status, StatusCode::CREATED);
    let push = |image: String, body: Value| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/v1/hosts/local/images/{}/push", common::enc(&image)),
                &body,
            )
            .await
        }
    };
    let (status, task) = json(push(image.clone(), json!({})).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{task}");
    let done = follow(&app, &task).await.pop().unwrap();
    assert_eq!(done["status"], "failed", "{done}");
    assert!(done["error"].as_str().unwrap().contains("5999"), "{done}");
    let (_, audit) = json(app.get("/api/v1/audit?action=image.push").await).await;
    assert_eq!(audit["entries"][0]["details"]["task"], task["id"]);
    // A tag that contradicts the reference, an id, an unknown image, an empty password.
    let res = push(image.clone(), json!({ "tag": "v2" })).await;
    let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(err["error"]["field"], "tag", "{err}");
    let res = push(format!("sha256:{}", "a".repeat(64)), json!({})).await;
    let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(err["error"]["field"], "image", "{err}");
    let res = push(
        repo.to_owned(),
        json!({ "tag": "nope", "auth": { "username": "u", "password": "" } }),
    )
    .await;
    let err = expect_error(res, StatusCode::BAD_REQUEST, "VALIDATION_FAILED").await;
    assert_eq!(err["error"]["field"], "auth.password", "{err}");
    let res = push(repo.to_owned(), json!({ "tag": "nope" })).await;
    expect_error(res, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND").await;
    app.stop().await;
}
