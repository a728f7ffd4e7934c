//! Users, roles, sessions, API keys, CSRF, rate limits and the audit log, against a real server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use berth::auth::permissions::RULES;
use berth::auth::{Cap, permissions};
use berth_api::auth::Role;
use common::{ADMIN_PASSWORD, TestApp, expect_error, json, unique};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Fills path parameters with names that exist nowhere, so allowed requests fail harmlessly.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 1..end];
        out.push_str(if name == "id" && path.contains("api-keys") {
            "999999"
        } else {
            "nope-zz9"
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn openapi_routes(doc: &Value) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_documented_route_has_a_rule_and_answers_each_role_as_the_table_says() {
    let app = TestApp::spawn().await;
    let (_, doc) = json(app.get("/api/v1/openapi.json").await).await;
    let routes = openapi_routes(&doc);
    assert!(routes.len() > 50, "{}", routes.len());
    let mut keys = Vec::new();
    for role in Role::ALL {
        let name = unique(role.as_str());
        app.create_user(&name, role, None).await;
        keys.push((
            role,
            app.api_key_for(&name, common::USER_PASSWORD, "admin").await,
        ));
    }
    for (method, path) in &routes {
        let rule = permissions::find(method, path)
            .unwrap_or_else(|| panic!("no permission rule for {method} {path}"));
        let url = concrete(path);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = matches!(method, Method::POST | Method::PATCH).then(|| json!({}));
        // Anonymous callers get 401 everywhere but the public routes.
        let mut req = app.anon.request(method.clone(), app.url(&url));
        if let Some(b) = &body {
            req = req.json(b);
        }
        let res = req.send().await.unwrap();
        if rule.cap == Cap::Public {
            assert_ne!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} is public"
            );
        } else {
            expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
        }
        for (role, key) in &keys {
            let mut req = app
                .anon
                .request(method.clone(), app.url(&url))
                .bearer_auth(key);
            if let Some(b) = &body {
                req = req.json(b);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            if rule.cap.allowed_for(*role) {
                let (_, body) = json(res).await;
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{role:?} should reach {method} {path}: {status} {body}"
                );
            } else {
                let body = expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
                assert!(
                    body["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains(role.as_str()),
                    "{body}"
                );
            }
        }
    }
    // And every rule but the static docs pages is a documented route.
    for rule in RULES {
        let documented = routes
            .iter()
            .any(|(m, p)| m == rule.method && p == rule.path);
        assert!(
            documented || rule.path.starts_with("/api/docs") || rule.path == "/api/v1/openapi.json",
            "{} {} is not documented",
            rule.method,
            rule.path
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn every_state_changing_route_writes_exactly_one_audit_entry() {
    let app = TestApp::spawn().await;
    let (_, doc) = json(app.get("/api/v1/openapi.json").await).await;
    let count = || async {
        json(app.get("/api/v1/audit?limit=1").await).await.1["total"]
            .as_i64()
            .unwrap()
    };
    for (method, path) in openapi_routes(&doc) {
        if method == "GET" {
            continue;
        }
        let rule = permissions::find(&method, &path).unwrap();
        assert!(
            !rule.action.is_empty(),
            "{method} {path} changes state but names no audit action"
        );
        let before = count().await;
        let request_id = unique("audit");
        let mut req = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&concrete(&path)),
            )
            .header("x-request-id", &request_id);
        if method != "DELETE" {
            req = req.json(&json!({}));
        }
        if path == "/api/v1/auth/logout" {
            // Logging out with an API key is a no-op, but it is still audited.
        }
        req.send().await.unwrap();
        let after = count().await;
        assert_eq!(
            after,
            before + 1,
            "{method} {path} wrote {} entries",
            after - before
        );
        let (_, page) = json(app.get("/api/v1/audit?limit=1").await).await;
        let entry = &page["entries"][0];
        assert_eq!(entry["action"], rule.action, "{method} {path}: {entry}");
        assert_eq!(entry["request_id"], request_id.as_str(), "{entry}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_browser_session_needs_its_csrf_token_to_change_anything() {
    let app = TestApp::spawn().await;
    let res = app
        .anon
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username":"admin","password":ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Strict")
            && set_cookie.contains("Path=/"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains("Secure"),
        "no Secure without https: {set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let (_, me) = json(res).await;
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(me["user"]["username"], "admin");
    assert_eq!(me["must_change_password"], false);

    let (status, body) = json(
        app.anon
            .get(app.url("/api/v1/auth/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let make_key = |csrf: Option<&str>| {
        let mut req = app
            .anon
            .post(app.url("/api/v1/api-keys"))
            .header("cookie", &cookie)
            .json(&json!({"name":"k","scope":"read"}));
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.send()
    };
    expect_error(
        make_key(None).await.unwrap(),
        StatusCode::FORBIDDEN,
        "CSRF_TOKEN_INVALID",
    )
    .await;
    expect_error(
        make_key(Some("wrong")).await.unwrap(),
        StatusCode::FORBIDDEN,
        "CSRF_TOKEN_INVALID",
    )
    .await;
    assert_eq!(
        make_key(Some(&csrf)).await.unwrap().status(),
        StatusCode::CREATED
    );

    let res = app
        .anon
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        res.headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    expect_error(
        app.anon
            .get(app.url("/api/v1/auth/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn secure_cookies_when_served_over_https() {
    let app = TestApp::spawn_with(|c| c.https = true).await;
    let res = app
        .anon
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username":"admin","password":ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Secure")
    );
    app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_answer_alike_and_are_audited() {
    let app = TestApp::spawn().await;
    let login = |u: &str, p: &str| {
        app.anon
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username":u,"password":p}))
            .send()
    };
    // The fastest of three tries each, interleaved: one slow sample on a busy machine must not
    // decide it, but a real difference (hashing for one and not the other) still shows.
    let (mut wrong, mut unknown) = (Duration::MAX, Duration::MAX);
    let (mut a, mut b) = (Value::Null, Value::Null);
    for _ in 0..3 {
        let t = Instant::now();
        a = expect_error(
            login("admin", "wrong password here").await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
        )
        .await;
        wrong = wrong.min(t.elapsed());
        let t = Instant::now();
        b = expect_error(
            login("nobody-at-all", "wrong password here").await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
        )
        .await;
        unknown = unknown.min(t.elapsed());
    }
    assert_eq!(a["error"]["message"], b["error"]["message"]);
    let (fast, slow) = if wrong < unknown {
        (wrong, unknown)
    } else {
        (unknown, wrong)
    };
    assert!(
        slow < fast * 4 + Duration::from_millis(50),
        "timing differs: wrong={wrong:?} unknown={unknown:?}"
    );
    let (_, page) = json(
        app.get("/api/v1/audit?action=auth.login&outcome=failure")
            .await,
    )
    .await;
    assert_eq!(page["total"], 6, "{page}");
    let entry = &page["entries"][1];
    // Nobody signed in: the attempted name is a detail, not the actor.
    assert_eq!(entry["username"], Value::Null, "{entry}");
    assert_eq!(entry["details"]["username"], "admin", "{entry}");
    assert_eq!(entry["error_code"], "UNAUTHENTICATED");
    assert!(entry["client_ip"].as_str().is_some());
    app.stop().await;
}

#[tokio::test]
async fn too_many_failed_logins_are_refused_with_retry_after() {
    let app = TestApp::spawn_with(|c| c.login_attempts = 3).await;
    for _ in 0..3 {
        let res = app
            .anon
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username":"admin","password":"not the password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .anon
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username":"admin","password":ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    app.stop().await;
}

/// Signs in from `from` (any 127.x address reaches the server on loopback); answers the status.
async fn login_from(app: &TestApp, from: [u8; 4], username: &str, password: &str) -> StatusCode {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .unwrap()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_login_limit_holds_per_user_name_across_addresses_and_per_address_across_names() {
    let app = TestApp::spawn_with(|c| c.login_attempts = 3).await;
    let name = unique("limited");
    let (status, body) = json(
        app.post(
            "/api/v1/users",
            &json!({"username": name, "password": common::USER_PASSWORD, "role": "viewer"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Per user name: wrong passwords from one address lock the name out from every address.
    for _ in 0..3 {
        assert_eq!(
            login_from(&app, [127, 0, 0, 2], &name, "not the password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, [127, 0, 0, 3], &name, common::USER_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the right password from another address is still refused"
    );
    // The same failures count against 127.0.0.2 itself: its address limit is reached too.
    assert_eq!(
        login_from(&app, [127, 0, 0, 2], "admin", ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Per address: one failure each for three names from one address locks the address out,
    // though no name reached its own limit; another address signs in the same user.
    for i in 0..3 {
        assert_eq!(
            login_from(
                &app,
                [127, 0, 0, 4],
                &unique(&format!("nobody{i}")),
                "not the password"
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_from(&app, [127, 0, 0, 4], "admin", ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, [127, 0, 0, 5], "admin", ADMIN_PASSWORD).await,
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn a_random_first_password_is_logged_once_and_must_be_changed_first() {
    let app = TestApp::spawn_with(|c| c.admin_password = None).await;
    // The harness signs in with its own key; a fresh admin with a random password is a new server.
    let logs = common::captured_logs();
    let line = logs
        .lines()
        .find(|l| l.contains("one-time password"))
        .expect("the password is logged");
    let secret = line
        .split("one-time password ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(logs.matches(&secret).count(), 1, "logged more than once");
    let res = app
        .anon
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username":"admin","password":secret}))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (_, me) = json(res).await;
    assert_eq!(me["must_change_password"], true);
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let res = app
        .anon
        .get(app.url("/api/v1/hosts"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "PASSWORD_CHANGE_REQUIRED").await;
    let change = |new: &str| {
        app.anon
            .post(app.url("/api/v1/auth/password"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&json!({"current_password": secret, "new_password": new}))
            .send()
    };
    let err = expect_error(
        change("short").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(err["error"]["field"], "new_password");
    expect_error(
        change("admin").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(
        change("a brand new passphrase").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .anon
        .get(app.url("/api/v1/hosts"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn keys_are_shown_once_revocable_expire_and_never_outrank_their_owner() {
    let app = TestApp::spawn().await;
    let (status, created) = json(
        app.post("/api/v1/api-keys", &json!({"name":"ci","scope":"read"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("berth_") && key.len() >= 40);
    assert!(key.starts_with(created["api_key"]["prefix"].as_str().unwrap()));
    let (_, list) = json(app.get("/api/v1/api-keys").await).await;
    assert!(
        !list.to_string().contains(&key),
        "a listed key shows its secret"
    );
    let read = |path: &str| app.anon.get(app.url(path)).bearer_auth(&key).send();
    assert_eq!(
        read("/api/v1/hosts").await.unwrap().status(),
        StatusCode::OK
    );
    // A read key cannot change anything, whatever its owner's role.
    let res = app
        .anon
        .post(app.url("/api/v1/hosts/local/volumes"))
        .bearer_auth(&key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let (_, list) = json(app.get("/api/v1/api-keys").await).await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == created["api_key"]["id"])
        .unwrap()
        .clone();
    assert!(listed["last_used_at"].is_string(), "{listed}");
    // A viewer's admin-scope key still cannot write.
    let viewer = unique("viewer");
    app.create_user(&viewer, Role::Viewer, None).await;
    let vkey = app
        .api_key_for(&viewer, common::USER_PASSWORD, "admin")
        .await;
    let res = app
        .anon
        .post(app.url("/api/v1/hosts/local/volumes"))
        .bearer_auth(&vkey)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    // Revoked keys stop working.
    let id = created["api_key"]["id"].as_i64().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        read("/api/v1/hosts").await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    expect_error(
        app.delete(&format!("/api/v1/api-keys/{id}")).await,
        StatusCode::NOT_FOUND,
        "API_KEY_NOT_FOUND",
    )
    .await;
    // Expired keys too.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let (_, short) = json(
        app.post(
            "/api/v1/api-keys",
            &json!({"name":"short","scope":"read","expires_at":soon}),
        )
        .await,
    )
    .await;
    let short = short["key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.anon
            .get(app.url("/api/v1/hosts"))
            .bearer_auth(&short)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let res = app
        .anon
        .get(app.url("/api/v1/hosts"))
        .bearer_auth(&short)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let err = expect_error(
        app.post(
            "/api/v1/api-keys",
            &json!({"name":"old","scope":"read","expires_at":past}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(err["error"]["field"], "expires_at");
    expect_error(
        app.anon
            .get(app.url("/api/v1/hosts"))
            .bearer_auth("berth_nonsense")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn admins_manage_users_but_never_remove_the_last_admin() {
    let app = TestApp::spawn().await;
    let name = unique("op");
    let (status, user) = json(app.post("/api/v1/users", &json!({"username":name,"password":common::USER_PASSWORD,"role":"operator","hosts":["local"]})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["hosts"], json!(["local"]));
    assert!(!user.to_string().contains("argon2"), "{user}");
    let err = expect_error(
        app.post(
            "/api/v1/users",
            &json!({"username":name,"password":common::USER_PASSWORD,"role":"viewer"}),
        )
        .await,
        StatusCode::CONFLICT,
        "USER_EXISTS",
    )
    .await;
    assert_eq!(err["error"]["field"], "username");
    for (body, field) in [
        (
            json!({"username":"x","password":common::USER_PASSWORD,"role":"viewer"}),
            "username",
        ),
        (
            json!({"username":unique("u"),"password":"short","role":"viewer"}),
            "password",
        ),
        (
            json!({"username":"samesame-user","password":"samesame-user","role":"viewer"}),
            "password",
        ),
        (
            json!({"username":unique("u"),"password":common::USER_PASSWORD,"role":"viewer","hosts":["nohost"]}),
            "hosts.0",
        ),
    ] {
        let err = expect_error(
            app.post("/api/v1/users", &body).await,
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    expect_error(
        app.post(
            "/api/v1/users",
            &json!({"username":unique("u"),"password":common::USER_PASSWORD,"role":"god"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    let (status, updated) = json(
        app.patch(
            &format!("/api/v1/users/{name}"),
            &json!({"role":"viewer","all_hosts":true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["role"], "viewer");
    assert_eq!(updated["hosts"], Value::Null);
    // Disabled users cannot sign in.
    app.patch(&format!("/api/v1/users/{name}"), &json!({"disabled":true}))
        .await;
    let res = app
        .anon
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username":name,"password":common::USER_PASSWORD}))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    expect_error(
        app.delete("/api/v1/users/admin").await,
        StatusCode::CONFLICT,
        "LAST_ADMIN",
    )
    .await;
    expect_error(
        app.patch("/api/v1/users/admin", &json!({"disabled":true}))
            .await,
        StatusCode::CONFLICT,
        "LAST_ADMIN",
    )
    .await;
    expect_error(
        app.patch("/api/v1/users/admin", &json!({"role":"viewer"}))
            .await,
        StatusCode::CONFLICT,
        "LAST_ADMIN",
    )
    .await;
    assert_eq!(
        app.delete(&format!("/api/v1/users/{name}")).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        app.get(&format!("/api/v1/users/{name}")).await,
        StatusCode::NOT_FOUND,
        "USER_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn sessions_are_listed_and_revocable_by_their_user_and_by_admins() {
    let app = TestApp::spawn().await;
    let name = unique("sess");
    app.create_user(&name, Role::Viewer, None).await;
    let one = app.login(&name, common::USER_PASSWORD).await;
    let two = app.login(&name, common::USER_PASSWORD).await;
    let (_, mine) = json(one.get(&app, "/api/v1/auth/sessions").await).await;
    let list = mine.as_array().unwrap();
    assert_eq!(list.len(), 2, "{mine}");
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    let other = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        one.delete(&app, &format!("/api/v1/auth/sessions/{other}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        two.get(&app, "/api/v1/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    // Admins see and end anyone's.
    let (_, all) = json(app.get("/api/v1/sessions").await).await;
    let id = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == name.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/sessions/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    expect_error(
        one.get(&app, "/api/v1/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    expect_error(
        app.delete("/api/v1/sessions/nope").await,
        StatusCode::NOT_FOUND,
        "SESSION_NOT_FOUND",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn tenants_see_and_touch_only_their_own_containers() {
    let app = TestApp::spawn().await;
    let guard = common::Containers::local();
    let (alice, bob) = (unique("alice"), unique("bob"));
    app.create_user(&alice, Role::User, None).await;
    app.create_user(&bob, Role::User, None).await;
    let ka = app
        .api_key_for(&alice, common::USER_PASSWORD, "write")
        .await;
    let kb = app.api_key_for(&bob, common::USER_PASSWORD, "write").await;
    let name = unique("tenant");
    let res = app
        .anon
        .post(app.url("/api/v1/hosts/local/containers"))
        .bearer_auth(&ka)
        .json(&json!({"image": common::test_image(), "name": name, "command": ["sleep","30"], "labels": {"berth.test": guard.run_id, "berth.owner": "someone-else"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let (_, detail) = json(
        app.get(&format!("/api/v1/hosts/local/containers/{name}"))
            .await,
    )
    .await;
    assert_eq!(
        detail["labels"]["berth.owner"],
        alice.as_str(),
        "the owner label is the creator's"
    );
    let list = |key: &str| {
        app.anon
            .get(app.url(&format!(
                "/api/v1/hosts/local/containers?all=true&label=berth.test={}",
                guard.run_id
            )))
            .bearer_auth(key)
            .send()
    };
    let (_, rows) = json(list(&ka).await.unwrap()).await;
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    let (_, rows) = json(list(&kb).await.unwrap()).await;
    assert_eq!(rows.as_array().unwrap().len(), 0, "{rows}");
    let res = app
        .anon
        .post(app.url(&format!("/api/v1/hosts/local/containers/{name}/start")))
        .bearer_auth(&kb)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    let res = app
        .anon
        .get(app.url(&format!("/api/v1/hosts/local/containers/{name}")))
        .bearer_auth(&kb)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::NOT_FOUND, "CONTAINER_NOT_FOUND").await;
    let res = app
        .anon
        .post(app.url(&format!("/api/v1/hosts/local/containers/{name}/start")))
        .bearer_auth(&ka)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (_, all) = json(
        app.anon
            .get(app.url("/api/v1/containers?all=true"))
            .bearer_auth(&kb)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!all.to_string().contains(&name), "{all}");
    guard.cleanup().await;
    app.stop().await;
}

#[tokio::test]
async fn host_grants_narrow_what_a_user_sees() {
    let app = TestApp::spawn().await;
    app.add_host("second", &common::docker2_url()).await;
    let name = unique("narrow");
    app.create_user(&name, Role::Operator, Some(vec!["local".to_owned()]))
        .await;
    let key = app.api_key_for(&name, common::USER_PASSWORD, "admin").await;
    let get = |p: &str| app.anon.get(app.url(p)).bearer_auth(&key).send();
    let (_, hosts) = json(get("/api/v1/hosts").await.unwrap()).await;
    let names: Vec<&str> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["local"]);
    expect_error(
        get("/api/v1/hosts/second/containers").await.unwrap(),
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
    )
    .await;
    let (_, all) = json(get("/api/v1/containers").await.unwrap()).await;
    assert!(
        all["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["host"] == "local"),
        "{all}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_exports() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.post(
            "/api/v1/hosts/local/containers/nope-audit/start",
            &json!({}),
        )
        .await;
        let _ = i;
    }
    let (_, page) = json(
        app.get("/api/v1/audit?action=container.start&limit=2")
            .await,
    )
    .await;
    assert_eq!(page["total"], 5);
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    let e = &page["entries"][0];
    assert_eq!(e["outcome"], "failure");
    assert_eq!(e["error_code"], "CONTAINER_NOT_FOUND");
    assert_eq!(e["resource_type"], "container");
    assert_eq!(e["resource_id"], "nope-audit");
    assert_eq!(e["host"], "local");
    assert_eq!(e["username"], "admin");
    assert_eq!(e["api_key"], "tests");
    let before = page["next_before"].as_i64().unwrap();
    let (_, next) = json(
        app.get(&format!(
            "/api/v1/audit?action=container.start&limit=2&before={before}"
        ))
        .await,
    )
    .await;
    assert!(next["entries"][0]["id"].as_i64().unwrap() < before);
    let (_, prefix) = json(app.get("/api/v1/audit?action=container.").await).await;
    assert_eq!(prefix["total"], 5);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let (_, none) = json(
        app.get(&format!("/api/v1/audit?since={}", common::enc(&future)))
            .await,
    )
    .await;
    assert_eq!(none["total"], 0);
    let res = app
        .get("/api/v1/audit?format=csv&action=container.start")
        .await;
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(csv.starts_with("id,time,username"));
    let res = app
        .get("/api/v1/audit?format=ndjson&action=container.start")
        .await;
    assert_eq!(res.text().await.unwrap().lines().count(), 5);
    expect_error(
        app.get("/api/v1/audit?outcome=maybe").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    expect_error(
        app.get("/api/v1/audit?limit=0").await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    )
    .await;
    // There is no way to change or delete entries through the API.
    assert_eq!(
        app.delete("/api/v1/audit").await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    app.stop().await;
}

#[tokio::test]
async fn no_response_and_no_log_line_ever_holds_a_password_token_or_key() {
    let app = TestApp::spawn().await;
    let mut bodies = Vec::new();
    let name = unique("secretive");
    let password = "a-very-secret-passphrase-42";
    let (_, b) = json(
        app.post(
            "/api/v1/users",
            &json!({"username":name,"password":password,"role":"operator"}),
        )
        .await,
    )
    .await;
    bodies.push(b.to_string());
    let res = app
        .anon
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username":name,"password":password}))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = cookie.split_once('=').unwrap().1.to_owned();
    let (_, me) = json(res).await;
    bodies.push(me.to_string());
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();
    let res = app
        .anon
        .post(app.url("/api/v1/api-keys"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name":"n","scope":"write"}))
        .send()
        .await
        .unwrap();
    let (_, created) = json(res).await;
    let key = created["key"].as_str().unwrap().to_owned(); // shown once, by design
    for path in [
        "/api/v1/auth/me",
        "/api/v1/auth/sessions",
        "/api/v1/api-keys",
        "/api/v1/hosts",
    ] {
        let (_, b) = json(
            app.anon
                .get(app.url(path))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap(),
        )
        .await;
        bodies.push(b.to_string());
        let (_, b) = json(
            app.anon
                .get(app.url(path))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap(),
        )
        .await;
        bodies.push(b.to_string());
    }
    let new_password = "another-secret-passphrase-43";
    let res = app
        .anon
        .post(app.url("/api/v1/auth/password"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"current_password":password,"new_password":new_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for path in [
        "/api/v1/audit?limit=1000",
        "/api/v1/users",
        "/api/v1/sessions",
        "/api/v1/api-keys?all=true",
    ] {
        bodies.push(json(app.get(path).await).await.1.to_string());
    }
    bodies.push(
        app.get("/api/v1/audit?format=csv")
            .await
            .text()
            .await
            .unwrap(),
    );
    let logs = common::captured_logs();
    assert!(!logs.is_empty(), "the log was not captured");
    for secret in [
        password,
        new_password,
        &token,
        &key,
        ADMIN_PASSWORD,
        &app.key,
    ] {
        for b in &bodies {
            assert!(!b.contains(secret), "a response holds a secret: {b}");
        }
        assert!(!logs.contains(secret), "the log holds a secret");
    }
    app.stop().await;
}

#[tokio::test]
async fn idle_and_expired_sessions_end_and_disabled_users_keys_stop() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_in(dir.path(), |_| {}).await;
    let name = unique("idle");
    app.create_user(&name, Role::Viewer, None).await;
    let key = app.api_key_for(&name, common::USER_PASSWORD, "read").await;
    let idle = app.login(&name, common::USER_PASSWORD).await;
    let expired = app.login(&name, common::USER_PASSWORD).await;
    assert_eq!(
        idle.get(&app, "/api/v1/auth/me").await.status(),
        StatusCode::OK
    );
    // Age the sessions in the database itself: one idle past the limit, one past its end.
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("berth.db").display()
    ))
    .await
    .unwrap();
    let token =
        |s: &common::Session| berth::auth::tokens::hash(s.cookie.split_once('=').unwrap().1);
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(&long_ago)
        .bind(token(&idle))
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
        .bind(&long_ago)
        .bind(token(&expired))
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    expect_error(
        idle.get(&app, "/api/v1/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    expect_error(
        expired.get(&app, "/api/v1/auth/me").await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
    )
    .await;
    // A disabled user's keys stop working at once.
    assert_eq!(
        app.anon
            .get(app.url("/api/v1/hosts"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.patch(&format!("/api/v1/users/{name}"), &json!({"disabled": true}))
        .await;
    let res = app
        .anon
        .get(app.url("/api/v1/hosts"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    app.stop().await;
}

#[tokio::test]
async fn the_general_api_limit_answers_429_past_its_rate() {
    let app = TestApp::spawn_with(|c| c.api_rate_limit = 5).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(app.get("/api/v1/hosts").await.status());
    }
    assert!(
        statuses[..5].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let res = app.get("/api/v1/hosts").await;
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    // Health stays reachable for monitors.
    assert_eq!(
        app.anon
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn retention_prunes_old_audit_entries_only() {
    let app = TestApp::spawn().await;
    app.post(
        "/api/v1/hosts/local/containers/nope-retention/start",
        &json!({}),
    )
    .await;
    let (_, page) = json(app.get("/api/v1/audit").await).await;
    let total = page["total"].as_i64().unwrap();
    assert!(total >= 1);
    let pruned = app
        .state
        .store
        .prune_audit(chrono::Utc::now() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(pruned, 0, "nothing is a day old");
    let pruned = app
        .state
        .store
        .prune_audit(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(pruned as i64, total);
    app.stop().await;
}
