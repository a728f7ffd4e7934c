//! Notifications out, against real local receivers: an HTTP server that records what it gets
//! (and can answer 429 or be down), and a small SMTP server; rules fed by a real container.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth::notify::NotifyEvent;
use berth_api::auth::Role;
use common::receiver::Receiver;
use common::{Containers, Proxy, TestApp, expect_error, json, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A small SMTP server that accepts everything and keeps each message (envelope and data).
struct SmtpReceiver {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpReceiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, kept.clone()));
            }
        });
        Self { addr, mails, task }
    }

    async fn wait(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.mails.lock().unwrap().clone();
            if mails.len() >= n {
                return mails;
            }
            assert!(Instant::now() < deadline, "{} of {n} mails", mails.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn smtp_session(stream: tokio::net::TcpStream, mails: Arc<Mutex<Vec<String>>>) {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let _ = w.write_all(b"220 receiver ESMTP\r\n").await;
    let mut envelope = String::new();
    let mut data = String::new();
    let mut in_data = false;
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if in_data {
            if line == ".\r\n" {
                in_data = false;
                mails.lock().unwrap().push(format!("{envelope}\r\n{data}"));
                envelope.clear();
                data.clear();
                let _ = w.write_all(b"250 2.0.0 queued\r\n").await;
            } else {
                data.push_str(&line);
            }
            continue;
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-receiver\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") {
            b"250 receiver\r\n"
        } else if upper.starts_with("AUTH") {
            envelope.push_str(&line);
            b"235 2.7.0 accepted\r\n"
        } else if upper.starts_with("MAIL FROM") || upper.starts_with("RCPT TO") {
            envelope.push_str(&line);
            b"250 2.1.0 ok\r\n"
        } else if upper.starts_with("DATA") {
            in_data = true;
            b"354 go ahead\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = w.write_all(b"221 bye\r\n").await;
            return;
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        if w.write_all(reply).await.is_err() {
            return;
        }
    }
}

async fn create_channel(app: &TestApp, body: Value) -> Value {
    let (status, channel) = json(app.post("/api/v1/notifications/channels", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{channel}");
    channel
}

async fn create_rule(app: &TestApp, body: Value) -> Value {
    let (status, rule) = json(app.post("/api/v1/notifications/rules", &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    rule
}

async fn send_test(app: &TestApp, id: &Value) -> Value {
    let (status, d) = json(
        app.post_empty(&format!("/api/v1/notifications/channels/{id}/test"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    d
}

async fn deliveries(app: &TestApp) -> Vec<Value> {
    let (status, page) = json(app.get("/api/v1/notifications/deliveries?limit=500").await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["deliveries"].as_array().unwrap().clone()
}

/// Waits until `n` deliveries satisfy `want`.
async fn wait_deliveries(
    app: &TestApp,
    n: usize,
    limit: Duration,
    want: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + limit;
    loop {
        let found: Vec<Value> = deliveries(app).await.into_iter().filter(&want).collect();
        if found.len() >= n {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} deliveries: {:?}",
            found.len(),
            deliveries(app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn run_failed(schedule: &str, message: &str) -> NotifyEvent {
    NotifyEvent::ScheduleRunFailed {
        schedule: schedule.to_owned(),
        host: "local".to_owned(),
        target: "web".to_owned(),
        action: "restart".to_owned(),
        message: message.to_owned(),
    }
}

#[tokio::test]
async fn each_http_channel_sends_the_shape_its_service_expects() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let discord = create_channel(
        &app,
        json!({"name": "discord", "config": {"kind": "discord", "webhook_url": rx.url("/discord/123/tok"), "username": "Berth"}}),
    )
    .await;
    let slack = create_channel(
        &app,
        json!({"name": "slack", "config": {"kind": "slack", "webhook_url": rx.url("/slack/A/B/C"), "channel": "#ops"}}),
    )
    .await;
    let ntfy = create_channel(
        &app,
        json!({"name": "ntfy", "config": {"kind": "ntfy", "server": rx.url(""), "topic": "alerts", "token": "tk_ntfy_secret", "priority": 4}}),
    )
    .await;
    let ntfy_basic = create_channel(
        &app,
        json!({"name": "ntfy-basic", "config": {"kind": "ntfy", "server": rx.url("/basic"), "topic": "alerts", "username": "bob", "password": "pw"}}),
    )
    .await;
    let hook = create_channel(
        &app,
        json!({"name": "hook", "config": {"kind": "webhook", "url": rx.url("/hook"), "method": "PUT",
            "headers": {"X-Token": "hdr-secret"},
            "template": "{\"text\":\"{{title}}: {{message}}\",\"kind\":\"{{event}}\",\"nested\":{\"host\":\"{{host}}\"}}"}}),
    )
    .await;

    for c in [&discord, &slack, &ntfy, &ntfy_basic, &hook] {
        let d = send_test(&app, &c["id"]).await;
        assert_eq!(d["ok"], true, "{d}");
        assert_eq!(d["attempts"], 1, "{d}");
        assert_eq!(d["event"], "test", "{d}");
    }

    let hit = &rx.hits("/discord/123/tok")[0];
    assert_eq!(hit.method, "POST");
    assert_eq!(
        hit.body["allowed_mentions"]["parse"],
        json!([]),
        "{:?}",
        hit.body
    );
    assert_eq!(hit.body["username"], "Berth");
    assert_eq!(hit.body["embeds"][0]["title"], "Berth test notification");
    assert!(
        hit.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    let hit = &rx.hits("/slack/A/B/C")[0];
    assert_eq!(hit.body["channel"], "#ops");
    assert!(
        hit.body["text"]
            .as_str()
            .unwrap()
            .contains("Berth test notification")
    );

    // ntfy: JSON to the server root with the topic in the body.
    let hit = &rx.hits("/")[0];
    assert_eq!(hit.body["topic"], "alerts");
    assert_eq!(hit.body["priority"], 4);
    assert_eq!(hit.body["title"], "Berth test notification");
    assert_eq!(hit.headers["authorization"], "Bearer tk_ntfy_secret");
    let hit = &rx.hits("/basic/")[0];
    assert_eq!(hit.headers["authorization"], "Basic Ym9iOnB3"); // bob:pw

    let hit = &rx.hits("/hook")[0];
    assert_eq!(hit.method, "PUT");
    assert_eq!(hit.headers["x-token"], "hdr-secret");
    assert_eq!(hit.body["kind"], "test");
    assert_eq!(
        hit.body["text"],
        "Berth test notification: If you can read this, the channel works."
    );

    // An event with quotes, newlines and a very long text: escaped in the template, cut to
    // each service's limits.
    create_rule(
        &app,
        json!({"name": "all", "events": ["schedule_run_failed"],
            "channels": [discord["id"], ntfy["id"], hook["id"], slack["id"]]}),
    )
    .await;
    let long = format!("\"quoted\"\nline \\ {}", "é".repeat(10_000));
    app.state.notifier.publish(run_failed("nightly", &long));
    let hit = rx
        .wait("/discord/123/tok", 2, Duration::from_secs(10))
        .await[1]
        .clone();
    assert_eq!(hit.body["allowed_mentions"]["parse"], json!([]));
    let description = hit.body["embeds"][0]["description"].as_str().unwrap();
    assert_eq!(description.chars().count(), 4096);
    assert!(description.ends_with('…'));
    assert!(hit.body["content"].as_str().unwrap().chars().count() <= 2000);
    let hit = rx.wait("/", 2, Duration::from_secs(10)).await[1].clone();
    assert!(hit.body["message"].as_str().unwrap().len() <= 4096);
    let hit = rx.wait("/hook", 2, Duration::from_secs(10)).await[1].clone();
    let text = hit.body["text"].as_str().unwrap();
    assert!(
        text.starts_with(
            "Schedule `nightly` failed: restart of web on local: \"quoted\"\nline \\ é"
        ),
        "{text}"
    );
    assert_eq!(hit.body["nested"]["host"], "local");
    let hit = rx.wait("/slack/A/B/C", 2, Duration::from_secs(10)).await[1].clone();
    assert!(hit.body["text"].as_str().unwrap().chars().count() <= 4000);
    app.stop().await;
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_then_delivered() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let c = create_channel(
        &app,
        json!({"name": "limited", "config": {"kind": "discord", "webhook_url": rx.url("/429/hook")}}),
    )
    .await;
    let started = Instant::now();
    let d = send_test(&app, &c["id"]).await;
    assert_eq!(d["ok"], true, "{d}");
    assert_eq!(d["attempts"], 2, "{d}");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    let hits = rx.hits("/429/hook");
    assert_eq!(hits.len(), 2);
    let page = deliveries(&app).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["id"], d["id"], "the test's outcome is kept");
    app.stop().await;
}

#[tokio::test]
async fn a_receiver_that_is_down_fails_after_its_retries_and_holds_up_nothing_else() {
    // Three attempts, 100 ms apart and doubling (the test configuration).
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let down = create_channel(
        &app,
        json!({"name": "down", "config": {"kind": "slack", "webhook_url": format!("http://{closed}/hook")}}),
    )
    .await;
    let broken = create_channel(
        &app,
        json!({"name": "broken", "config": {"kind": "slack", "webhook_url": rx.url("/500/hook")}}),
    )
    .await;
    let up = create_channel(
        &app,
        json!({"name": "up", "config": {"kind": "slack", "webhook_url": rx.url("/up")}}),
    )
    .await;
    create_rule(
        &app,
        json!({"name": "r", "events": ["schedule_run_failed"], "channels": [down["id"], broken["id"], up["id"]]}),
    )
    .await;
    app.state.notifier.publish(run_failed("nightly", "exit 1"));
    let all = wait_deliveries(&app, 3, Duration::from_secs(15), |_| true).await;
    let by_name = |n: &str| all.iter().find(|d| d["channel_name"] == n).unwrap().clone();
    let (down_d, broken_d, up_d) = (by_name("down"), by_name("broken"), by_name("up"));
    assert_eq!(up_d["ok"], true, "{up_d}");
    assert_eq!(up_d["attempts"], 1);
    assert_eq!(down_d["ok"], false, "{down_d}");
    assert_eq!(down_d["attempts"], 3, "{down_d}");
    assert!(down_d["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(broken_d["ok"], false);
    assert_eq!(broken_d["attempts"], 3);
    assert!(
        broken_d["error"].as_str().unwrap().contains("HTTP 500"),
        "{broken_d}"
    );
    assert_eq!(rx.hits("/500/hook").len(), 3);
    // The good channel was not made to wait for the others' retries.
    assert!(
        up_d["finished_at"].as_str().unwrap() < down_d["finished_at"].as_str().unwrap(),
        "{up_d} {down_d}"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("berth_notifications{outcome=\"sent\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("berth_notifications{outcome=\"failed\"} 2"),
        "{metrics}"
    );
    assert_eq!(up_d["event"], "schedule_run_failed");
    assert_eq!(up_d["event_key"], "schedule_run_failed:local:nightly");
    app.stop().await;
}

#[tokio::test]
async fn email_goes_out_over_smtp_with_authentication() {
    let app = TestApp::spawn().await;
    let smtp = SmtpReceiver::start().await;
    let c = create_channel(
        &app,
        json!({"name": "mail", "url": format!(
            "smtp://mailer:s3cret-pw@127.0.0.1:{}/?from=berth@example.com&to=ops@example.com,oncall@example.com&encryption=none",
            smtp.addr.port()
        )}),
    )
    .await;
    assert_eq!(c["kind"], "email");
    assert_eq!(c["secrets_set"], json!(["password"]));
    assert_eq!(c["settings"]["username"], "mailer");
    let d = send_test(&app, &c["id"]).await;
    assert_eq!(d["ok"], true, "{d}");
    let mail = smtp.wait(1).await.remove(0);
    assert!(mail.contains("MAIL FROM:<berth@example.com>"), "{mail}");
    assert!(mail.contains("RCPT TO:<ops@example.com>"), "{mail}");
    assert!(mail.contains("RCPT TO:<oncall@example.com>"), "{mail}");
    assert!(mail.contains("Subject: Berth test notification"), "{mail}");
    assert!(mail.contains("If you can read this"), "{mail}");
    // AUTH PLAIN carries "\0mailer\0s3cret-pw".
    use base64::Engine;
    let auth = mail
        .lines()
        .find(|l| l.starts_with("AUTH PLAIN "))
        .unwrap()
        .trim_start_matches("AUTH PLAIN ")
        .trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .unwrap();
    assert_eq!(decoded, b"\0mailer\0s3cret-pw");
    app.stop().await;
}

#[tokio::test]
async fn shoutrrr_urls_become_the_same_channel_configs() {
    let app = TestApp::spawn().await;
    let c = create_channel(
        &app,
        json!({"name": "d", "url": "discord://tok_discord_secret@123456789?username=Ops"}),
    )
    .await;
    assert_eq!(c["kind"], "discord");
    assert_eq!(c["settings"], json!({"username": "Ops"}));
    assert_eq!(c["secrets_set"], json!(["webhook_url"]));
    assert_eq!(c["target"], "https://discord.com");

    let c = create_channel(&app, json!({"name": "n", "url": "ntfy://bob:pw_ntfy@ntfy.example:8080/alerts?scheme=http&priority=high"})).await;
    assert_eq!(c["kind"], "ntfy");
    assert_eq!(c["settings"]["server"], "http://ntfy.example:8080");
    assert_eq!(c["settings"]["topic"], "alerts");
    assert_eq!(c["settings"]["username"], "bob");
    assert_eq!(c["settings"]["priority"], 4);
    assert_eq!(c["secrets_set"], json!(["password"]));

    let c = create_channel(
        &app,
        json!({"name": "nt", "url": "ntfy://:tk_tok@ntfy.sh/alerts"}),
    )
    .await;
    assert_eq!(c["settings"]["server"], "https://ntfy.sh");
    assert_eq!(c["secrets_set"], json!(["token"]));

    let c = create_channel(
        &app,
        json!({"name": "s", "url": "slack://hook:AAA-BBB-CCC@webhook?channel=%23ops"}),
    )
    .await;
    assert_eq!(c["kind"], "slack");
    assert_eq!(c["settings"]["channel"], "#ops");
    assert_eq!(c["target"], "https://hooks.slack.com");

    let c = create_channel(&app, json!({"name": "g", "url": "generic+https://hooks.example.com/in?@X-Api-Key=k_generic&method=put&foo=bar"})).await;
    assert_eq!(c["kind"], "webhook");
    assert_eq!(c["settings"]["method"], "PUT");
    assert_eq!(c["target"], "https://hooks.example.com");
    assert_eq!(c["secrets_set"], json!(["headers", "url"]));

    let c = create_channel(&app, json!({"name": "m", "url": "smtp://u:p@mail.example:587/?from=a@example.com&to=x@example.com,y@example.com"})).await;
    assert_eq!(c["kind"], "email");
    assert_eq!(c["settings"]["security"], "starttls");
    assert_eq!(c["settings"]["port"], 587);
    assert_eq!(
        c["settings"]["to"],
        json!(["x@example.com", "y@example.com"])
    );

    for bad in [
        "discord://nope",
        "discord://@123",
        "ftp://example.com",
        "ntfy://ntfy.sh/",
        "slack://hook:onlyone@webhook",
        "smtp://mail.example/?to=x@example.com",
        "smtp://mail.example/?from=nobody&to=x@example.com",
        "ntfy://ntfy.sh/bad.topic",
        "not a url",
    ] {
        let body = expect_error(
            app.post(
                "/api/v1/notifications/channels",
                &json!({"name": unique("bad"), "url": bad}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(body["error"]["field"], "url", "{bad}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn secrets_are_never_answered_and_are_encrypted_in_the_database() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let secrets = [
        "tok-discord-4f1c9e",
        "tk-ntfy-88a2b1",
        "pw-smtp-17d0c3",
        "hdr-webhook-5e6f7a",
    ];
    let discord = create_channel(
        &app,
        json!({"name": "d", "config": {"kind": "discord", "webhook_url": rx.url(&format!("/d/1/{}", secrets[0]))}}),
    )
    .await;
    create_channel(&app, json!({"name": "n", "config": {"kind": "ntfy", "server": "https://ntfy.example", "topic": "t", "token": secrets[1]}})).await;
    create_channel(&app, json!({"name": "m", "config": {"kind": "email", "host": "mail.example", "username": "u", "password": secrets[2], "from": "a@example.com", "to": ["b@example.com"]}})).await;
    create_channel(&app, json!({"name": "w", "config": {"kind": "webhook", "url": "https://example.com/x", "headers": {"Authorization": secrets[3]}}})).await;

    let id = &discord["id"];
    // A change that leaves the secret out keeps it (the channel still sends).
    let (status, patched) = json(
        app.patch(
            &format!("/api/v1/notifications/channels/{id}"),
            &json!({"name": "d2", "config": {"kind": "discord", "username": "Renamed"}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["secrets_set"], json!(["webhook_url"]));
    assert_eq!(send_test(&app, id).await["ok"], true);
    assert_eq!(rx.hits(&format!("/d/1/{}", secrets[0])).len(), 1);

    let mut answers = vec![patched.to_string()];
    for path in [
        "/api/v1/notifications/channels".to_owned(),
        format!("/api/v1/notifications/channels/{id}"),
        "/api/v1/notifications/deliveries".to_owned(),
        "/api/v1/audit?limit=1000".to_owned(),
    ] {
        let (status, body) = json(app.get(&path).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        answers.push(body.to_string());
    }
    let list = &answers[1];
    assert!(list.contains("secrets_set"), "{list}");
    for secret in secrets {
        for answer in &answers {
            assert!(!answer.contains(secret), "{secret} answered: {answer}");
        }
        assert!(!common::captured_logs().contains(secret), "{secret} logged");
    }

    // On disk: only ciphertext (the WAL holds recent writes, so read it as well).
    let dir = app.state.config.data_dir.clone();
    let key = std::fs::read(dir.join("secret.key")).unwrap();
    assert_eq!(key.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("secret.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let mut bytes = std::fs::read(dir.join("berth.db")).unwrap();
    bytes.extend(std::fs::read(dir.join("berth.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("ntfy.example"),
        "settings are stored in the clear"
    );
    assert!(text.contains("v1:"), "sealed values are there");
    for secret in secrets {
        assert!(!text.contains(secret), "{secret} stored in the clear");
    }
    app.stop().await;
}

/// Tags kept by Berth (`/api/v1/tags`, a container's meta) count for a rule's tag filter, as
/// well as those of the `berth.tags` label.
#[tokio::test]
async fn a_rule_for_a_tag_kept_by_berth_hears_of_that_containers_death() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let guard = Containers::local();
    let tag = unique("critical");
    let (status, body) = json(
        app.post("/api/v1/tags", &json!({"name": tag, "color": "#ef4444"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hook = create_channel(
        &app,
        json!({"name": "hook", "config": {"kind": "webhook", "url": rx.url("/tagged")}}),
    )
    .await;
    create_rule(
        &app,
        json!({"name": "tagged", "events": ["container_died"], "channels": [hook["id"]],
            "tags": [tag], "cooldown_secs": 0}),
    )
    .await;
    // Two containers die; only the tagged one is news for this rule.
    let tagged = unique("dies-tagged");
    let plain = unique("dies-plain");
    guard
        .create(&tagged, &["sh", "-c", "sleep 2; exit 4"], false)
        .await;
    guard
        .create(&plain, &["sh", "-c", "sleep 1; exit 4"], false)
        .await;
    let (status, meta) = json(
        app.patch(
            &format!("/api/v1/hosts/local/containers/{tagged}/meta"),
            &json!({"tags": [tag]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    for name in [&plain, &tagged] {
        let res = app
            .post_empty(&format!("/api/v1/hosts/local/containers/{name}/start"))
            .await;
        assert!(res.status().is_success(), "{}", res.status());
    }
    let hit = rx
        .wait("/tagged", 1, Duration::from_secs(20))
        .await
        .remove(0);
    assert_eq!(hit.body["container"], tagged.as_str(), "{:?}", hit.body);
    // The untagged one died first; give a stray send time to show, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.hits("/tagged").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_container_that_dies_is_sent_by_the_rule_for_container_died() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let guard = Containers::local();
    let hook = create_channel(
        &app,
        json!({"name": "hook", "config": {"kind": "webhook", "url": rx.url("/died")}}),
    )
    .await;
    // Only this test's containers (other tests' containers die too).
    create_rule(
        &app,
        json!({"name": "deaths", "events": ["container_died"], "channels": [hook["id"]],
            "hosts": ["local"], "labels": [guard.label()], "cooldown_secs": 0}),
    )
    .await;
    let name = unique("dies");
    guard
        .create(&name, &["sh", "-c", "sleep 0.3; exit 3"], true)
        .await;
    let hit = rx.wait("/died", 1, Duration::from_secs(20)).await.remove(0);
    assert_eq!(hit.body["event"], "container_died", "{:?}", hit.body);
    assert_eq!(hit.body["container"], name);
    assert_eq!(hit.body["host"], "local");
    assert!(
        hit.body["message"].as_str().unwrap().contains("code 3"),
        "{:?}",
        hit.body
    );
    let d = wait_deliveries(&app, 1, Duration::from_secs(5), |d| {
        d["event"] == "container_died"
    })
    .await;
    assert_eq!(d[0]["ok"], true);
    assert_eq!(d[0]["event_key"], format!("container_died:local:{name}"));

    // A container stopped on purpose is not news; one that exits cleanly neither.
    let calm = unique("calm");
    guard.create(&calm, &["sh", "-c", "exit 0"], true).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rx.hits("/died").len(), 1);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn the_same_event_within_the_cooldown_is_sent_once() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let c = create_channel(
        &app,
        json!({"name": "c", "config": {"kind": "slack", "webhook_url": rx.url("/cool")}}),
    )
    .await;
    let other = create_channel(
        &app,
        json!({"name": "o", "config": {"kind": "slack", "webhook_url": rx.url("/cool2")}}),
    )
    .await;
    create_rule(&app, json!({"name": "cool", "events": ["schedule_run_failed"], "channels": [c["id"]], "cooldown_secs": 600})).await;
    // A second rule naming the same channel does not make a second message for one event.
    create_rule(&app, json!({"name": "cool-too", "events": ["schedule_run_failed"], "channels": [c["id"]], "cooldown_secs": 600})).await;
    // Without a cooldown every event goes out.
    create_rule(&app, json!({"name": "every", "events": ["schedule_run_failed"], "channels": [other["id"]], "cooldown_secs": 0})).await;
    for _ in 0..3 {
        app.state.notifier.publish(run_failed("nightly", "exit 1"));
    }
    app.state.notifier.publish(run_failed("weekly", "exit 2"));
    rx.wait("/cool", 2, Duration::from_secs(10)).await;
    rx.wait("/cool2", 4, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let texts: Vec<String> = rx
        .hits("/cool")
        .iter()
        .map(|h| h.body["text"].to_string())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(
        texts.iter().filter(|t| t.contains("nightly")).count(),
        1,
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.contains("weekly")).count(),
        1,
        "{texts:?}"
    );
    assert_eq!(rx.hits("/cool2").len(), 4);
    app.stop().await;
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_notified() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let c = create_channel(
        &app,
        json!({"name": "sec", "config": {"kind": "webhook", "url": rx.url("/logins")}}),
    )
    .await;
    create_rule(
        &app,
        json!({"name": "logins", "events": ["login_failures"], "channels": [c["id"]]}),
    )
    .await;
    for _ in 0..6 {
        let res = app
            .anon
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "wrong password here"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let hit = rx
        .wait("/logins", 1, Duration::from_secs(10))
        .await
        .remove(0);
    assert_eq!(hit.body["event"], "login_failures");
    assert!(hit.body["title"].as_str().unwrap().contains("admin"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.hits("/logins").len(), 1, "the cooldown keeps it to one");
    app.stop().await;
}

#[tokio::test]
async fn a_host_going_offline_and_back_is_notified() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let dir = tempfile::Builder::new()
        .prefix("bn")
        .tempdir_in("/tmp")
        .unwrap();
    let sock = dir.path().join("d.sock");
    let proxy = Proxy::start(&sock);
    let name = unique("flaky");
    app.add_host(&name, &format!("unix://{}", sock.display()))
        .await;
    app.wait_online(&name).await;
    let c = create_channel(
        &app,
        json!({"name": "hosts", "config": {"kind": "webhook", "url": rx.url("/hosts")}}),
    )
    .await;
    create_rule(&app, json!({"name": "hosts", "events": ["host_offline", "host_online"], "channels": [c["id"]], "hosts": [name]})).await;
    drop(proxy);
    let hit = rx
        .wait("/hosts", 1, Duration::from_secs(15))
        .await
        .remove(0);
    assert_eq!(hit.body["event"], "host_offline");
    assert_eq!(hit.body["host"], name);
    let _proxy = Proxy::start(&sock);
    let hits = rx.wait("/hosts", 2, Duration::from_secs(15)).await;
    assert_eq!(hits[1].body["event"], "host_online");

    // A host that is down from the start is news too.
    let dead = unique("dead");
    create_rule(
        &app,
        json!({"name": "dead", "events": ["host_offline"], "channels": [c["id"]], "hosts": [dead]}),
    )
    .await;
    let (status, body) = json(
        app.post(
            "/api/v1/hosts",
            &json!({"name": dead, "url": format!("unix://{}", dir.path().join("none.sock").display())}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hits = rx.wait("/hosts", 3, Duration::from_secs(15)).await;
    assert_eq!(hits[2].body["event"], "host_offline");
    assert_eq!(hits[2].body["host"], dead);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_answered_400_with_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"name": "a", "config": {"kind": "discord"}}),
            "config.webhook_url",
        ),
        (
            json!({"name": "a", "config": {"kind": "discord", "webhook_url": "ftp://x/y"}}),
            "config.webhook_url",
        ),
        (
            json!({"name": "a", "config": {"kind": "ntfy", "server": "https://ntfy.sh", "topic": "bad topic"}}),
            "config.topic",
        ),
        (
            json!({"name": "a", "config": {"kind": "ntfy", "server": "https://ntfy.sh", "topic": "t", "priority": 9}}),
            "config.priority",
        ),
        (
            json!({"name": "a", "config": {"kind": "webhook", "url": "https://x.example", "template": "{\"a\": {{title}} "}}),
            "config.template",
        ),
        (
            json!({"name": "a", "config": {"kind": "webhook", "url": "https://x.example", "method": "DELETE"}}),
            "config.method",
        ),
        (
            json!({"name": "a", "config": {"kind": "email", "host": "m.example", "from": "nope", "to": ["b@example.com"]}}),
            "config.from",
        ),
        (
            json!({"name": "a", "config": {"kind": "email", "host": "m.example", "from": "a@example.com", "to": []}}),
            "config.to",
        ),
        (
            json!({"name": "a", "config": {"kind": "email", "host": "m.example", "from": "a@example.com", "to": ["ok@example.com", "bad"]}}),
            "config.to.1",
        ),
        (json!({"name": "", "url": "discord://t@1"}), "name"),
        (json!({"name": "a"}), "config"),
        (
            json!({"name": "a", "url": "discord://t@1", "config": {"kind": "slack", "webhook_url": "https://x.example"}}),
            "url",
        ),
    ];
    for (body, field) in cases {
        let err = expect_error(
            app.post("/api/v1/notifications/channels", &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    let c = create_channel(&app, json!({"name": "ok", "url": "discord://t@1"})).await;
    let dup = expect_error(
        app.post(
            "/api/v1/notifications/channels",
            &json!({"name": "ok", "url": "discord://t@1"}),
        )
        .await,
        StatusCode::CONFLICT,
        "CONFLICT",
    )
    .await;
    assert_eq!(dup["error"]["field"], "name");
    let rules = [
        (
            json!({"name": "r", "events": [], "channels": [c["id"]]}),
            "events",
        ),
        (
            json!({"name": "r", "events": ["host_offline"], "channels": []}),
            "channels",
        ),
        (
            json!({"name": "r", "events": ["host_offline"], "channels": [c["id"], 999]}),
            "channels.1",
        ),
        (
            json!({"name": "r", "events": ["host_offline"], "channels": [c["id"]], "cooldown_secs": 99_999_999}),
            "cooldown_secs",
        ),
        (
            json!({"name": "r", "events": ["host_offline"], "channels": [c["id"]], "labels": ["=x"]}),
            "labels.0",
        ),
    ];
    for (body, field) in rules {
        let err = expect_error(
            app.post("/api/v1/notifications/rules", &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    let err = expect_error(
        app.post(
            "/api/v1/notifications/rules",
            &json!({"name": "r", "events": ["sunrise"], "channels": [c["id"]]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert!(
        err["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .starts_with("events"),
        "{err}"
    );
    expect_error(
        app.post_empty("/api/v1/notifications/channels/424242/test")
            .await,
        StatusCode::NOT_FOUND,
        "NOTIFICATION_CHANNEL_NOT_FOUND",
    )
    .await;
    expect_error(
        app.get("/api/v1/notifications/rules/424242").await,
        StatusCode::NOT_FOUND,
        "NOTIFICATION_RULE_NOT_FOUND",
    )
    .await;
    let err = expect_error(
        app.get("/api/v1/notifications/channels/abc").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(err["error"]["field"], "id");
    expect_error(
        app.get("/api/v1/notifications/deliveries?limit=0").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn rules_and_channels_are_managed_by_admins_only_and_audited() {
    let app = TestApp::spawn().await;
    let c = create_channel(&app, json!({"name": "c", "url": "discord://t@1"})).await;
    let rule = create_rule(
        &app,
        json!({"name": "r", "events": ["host_offline"], "channels": [c["id"]]}),
    )
    .await;
    assert_eq!(rule["cooldown_secs"], 300);
    let (status, updated) = json(
        app.patch(
            &format!("/api/v1/notifications/rules/{}", rule["id"]),
            &json!({"events": ["host_offline", "host_online"], "enabled": false}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["events"], json!(["host_offline", "host_online"]));
    assert_eq!(updated["enabled"], false);
    let (_, list) = json(app.get("/api/v1/notifications/rules").await).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    app.create_user("operator1", Role::Operator, None).await;
    let key = app
        .api_key_for("operator1", common::USER_PASSWORD, "write")
        .await;
    for path in [
        "/api/v1/notifications/channels",
        "/api/v1/notifications/rules",
        "/api/v1/notifications/deliveries",
    ] {
        let res = app
            .anon
            .get(app.url(path))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }

    // Deleting a channel takes it out of the rules that name it.
    let other = create_channel(&app, json!({"name": "other", "url": "discord://t@2"})).await;
    let (_, both) = json(
        app.patch(
            &format!("/api/v1/notifications/rules/{}", rule["id"]),
            &json!({"channels": [c["id"], other["id"]]}),
        )
        .await,
    )
    .await;
    assert_eq!(both["channels"], json!([c["id"], other["id"]]));
    let res = app
        .delete(&format!("/api/v1/notifications/channels/{}", other["id"]))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, after) = json(
        app.get(&format!("/api/v1/notifications/rules/{}", rule["id"]))
            .await,
    )
    .await;
    assert_eq!(after["channels"], json!([c["id"]]));
    expect_error(
        app.get(&format!("/api/v1/notifications/channels/{}", other["id"]))
            .await,
        StatusCode::NOT_FOUND,
        "NOTIFICATION_CHANNEL_NOT_FOUND",
    )
    .await;

    let res = app
        .delete(&format!("/api/v1/notifications/rules/{}", rule["id"]))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .delete(&format!("/api/v1/notifications/channels/{}", c["id"]))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, audit) = json(app.get("/api/v1/audit?limit=100").await).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "notification_channel.create",
        "notification_rule.create",
        "notification_rule.update",
        "notification_rule.delete",
        "notification_channel.delete",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn restart_loops_and_failing_health_checks_are_notified() {
    use bollard::models::{
        ContainerCreateBody, HealthConfig, HostConfig, RestartPolicy, RestartPolicyNameEnum,
    };
    use bollard::query_parameters::CreateContainerOptions;

    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let guard = Containers::local();
    let hook = create_channel(
        &app,
        json!({"name": "hook", "config": {"kind": "webhook", "url": rx.url("/trouble")}}),
    )
    .await;
    create_rule(
        &app,
        json!({"name": "trouble", "events": ["container_restart_loop", "container_unhealthy"],
            "channels": [hook["id"]], "labels": [guard.label()]}),
    )
    .await;
    let looping = unique("loops");
    guard
        .create_with(
            &looping,
            &["sh", "-c", "exit 1"],
            true,
            HashMap::new(),
            HostConfig {
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::ALWAYS),
                    maximum_retry_count: None,
                }),
                ..Default::default()
            },
        )
        .await;
    let sick = unique("sick");
    let docker = guard.docker.clone().negotiate_version().await.unwrap();
    let created = docker
        .create_container(
            Some(CreateContainerOptions {
                name: Some(sick.clone()),
                ..Default::default()
            }),
            ContainerCreateBody {
                image: Some(common::test_image()),
                cmd: Some(vec!["sleep".to_owned(), "60".to_owned()]),
                labels: Some(HashMap::from([(
                    "berth.test".to_owned(),
                    guard.run_id.clone(),
                )])),
                healthcheck: Some(HealthConfig {
                    test: Some(vec!["CMD".to_owned(), "false".to_owned()]),
                    interval: Some(300_000_000),
                    timeout: Some(1_000_000_000),
                    retries: Some(1),
                    ..Default::default()
                }),
                host_config: Some(HostConfig {
                    network_mode: Some("none".to_owned()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    docker.start_container(&created.id, None).await.unwrap();

    let hits = rx.wait("/trouble", 2, Duration::from_secs(20)).await;
    let find = |event: &str| {
        hits.iter()
            .find(|h| h.body["event"] == event)
            .map(|h| h.body.clone())
    };
    let lp = find("container_restart_loop").expect("restart loop notified");
    assert_eq!(lp["container"], looping);
    let un = find("container_unhealthy").expect("unhealthy notified");
    assert_eq!(un["container"], sick);
    // Restarting goes on; the default cooldown keeps it to one message per container.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loops = rx
        .hits("/trouble")
        .iter()
        .filter(|h| h.body["event"] == "container_restart_loop")
        .count();
    assert_eq!(loops, 1);
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn other_subsystems_broadcasts_can_be_followed() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let c = create_channel(
        &app,
        json!({"name": "c", "config": {"kind": "webhook", "url": rx.url("/runs")}}),
    )
    .await;
    create_rule(
        &app,
        json!({"name": "runs", "events": ["schedule_run_succeeded"], "channels": [c["id"]]}),
    )
    .await;
    // What the schedules module might broadcast: (schedule, ok).
    let (tx, sub) = tokio::sync::broadcast::channel::<(String, bool)>(16);
    app.state.notifier.follow(sub, |(schedule, ok)| {
        ok.then(|| NotifyEvent::ScheduleRunSucceeded {
            schedule,
            host: "local".to_owned(),
            target: "web".to_owned(),
            action: "restart".to_owned(),
            message: "done".to_owned(),
        })
    });
    tx.send(("nightly".to_owned(), true)).unwrap();
    tx.send(("hourly".to_owned(), false)).unwrap();
    let hit = rx.wait("/runs", 1, Duration::from_secs(10)).await.remove(0);
    assert_eq!(hit.body["event"], "schedule_run_succeeded");
    assert!(hit.body["title"].as_str().unwrap().contains("nightly"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits("/runs").len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn deliveries_are_paged_newest_first_and_filter_by_channel() {
    let app = TestApp::spawn().await;
    let rx = Receiver::start().await;
    let a = create_channel(
        &app,
        json!({"name": "a", "config": {"kind": "slack", "webhook_url": rx.url("/a")}}),
    )
    .await;
    let b = create_channel(
        &app,
        json!({"name": "b", "config": {"kind": "slack", "webhook_url": rx.url("/b")}}),
    )
    .await;
    let mut ids = Vec::new();
    for c in [&a, &b, &a] {
        ids.push(send_test(&app, &c["id"]).await["id"].as_i64().unwrap());
    }
    let (_, first) = json(app.get("/api/v1/notifications/deliveries?limit=2").await).await;
    let got: Vec<i64> = first["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2], ids[1]]);
    let before = first["next_before"].as_i64().unwrap();
    let (_, second) = json(
        app.get(&format!(
            "/api/v1/notifications/deliveries?limit=2&before={before}"
        ))
        .await,
    )
    .await;
    let got: Vec<i64> = second["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(got, vec![ids[0]]);
    assert!(second["next_before"].is_null());
    let (_, only_a) = json(
        app.get(&format!(
            "/api/v1/notifications/deliveries?channel={}",
            a["id"]
        ))
        .await,
    )
    .await;
    let names: Vec<&str> = only_a["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["channel_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a", "a"]);

    // A disabled channel is skipped by rules (a send test still reaches it).
    let (status, _) = json(
        app.patch(
            &format!("/api/v1/notifications/channels/{}", b["id"]),
            &json!({"enabled": false}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    create_rule(
        &app,
        json!({"name": "r", "events": ["schedule_run_failed"], "channels": [a["id"], b["id"]]}),
    )
    .await;
    app.state.notifier.publish(run_failed("nightly", "exit 1"));
    rx.wait("/a", 3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits("/b").len(), 1, "only the earlier send test");
    app.stop().await;
}

/// Cooldowns are kept in the database: a server started on the same data folder does not send
/// again what the previous one sent within the rule's cooldown (other keys still go out).
#[tokio::test]
async fn a_cooldown_outlives_a_restart_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let rx = Receiver::start().await;
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let c = create_channel(
        &app,
        json!({"name": "c", "config": {"kind": "slack", "webhook_url": rx.url("/restart-cool")}}),
    )
    .await;
    create_rule(&app, json!({"name": "cool", "events": ["schedule_run_failed"], "channels": [c["id"]], "cooldown_secs": 600})).await;
    app.state.notifier.publish(run_failed("nightly", "exit 1"));
    rx.wait("/restart-cool", 1, Duration::from_secs(10)).await;
    app.stop().await;

    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    app.state.notifier.publish(run_failed("nightly", "exit 1"));
    app.state.notifier.publish(run_failed("weekly", "exit 2"));
    let hits = rx.wait("/restart-cool", 2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let texts: Vec<String> = rx
        .hits("/restart-cool")
        .iter()
        .map(|h| h.body["text"].to_string())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        hits[1].body["text"].to_string().contains("weekly"),
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|t| t.contains("nightly")).count(),
        1,
        "the restarted server sent `nightly` again within its cooldown: {texts:?}"
    );
    app.stop().await;
}
