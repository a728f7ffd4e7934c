//! The permission table: every route, what it needs, and the audit action it writes.
//! `docs/permissions.md` is generated from this table (a test keeps it current).

use berth_api::auth::Role;

use super::{Area, Cap};

/// One route's rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// HTTP method.
    pub method: &'static str,
    /// Path template as routed, e.g. `/api/v1/hosts/{host}`.
    pub path: &'static str,
    /// What the caller needs.
    pub cap: Cap,
    /// `resource.action` written to the audit log for requests that change state.
    pub action: &'static str,
    /// The path parameter naming the resource, if any.
    pub id_param: Option<&'static str>,
}

const fn r(
    method: &'static str,
    path: &'static str,
    cap: Cap,
    action: &'static str,
    id_param: Option<&'static str>,
) -> Rule {
    Rule {
        method,
        path,
        cap,
        action,
        id_param,
    }
}

use Cap::*;

const C: &str = "/api/v1/hosts/{host}/containers/{id}";

/// Every route. A route missing here is refused (and a test fails).
pub const RULES: &[Rule] = &[
    r("GET", "/health", Public, "", None),
    r("GET", "/health/live", Public, "", None),
    r("GET", "/health/ready", Public, "", None),
    r("GET", "/health/detailed", Public, "", None),
    r("GET", "/metrics", Read(Area::System), "", None),
    r("GET", "/api/docs", Public, "", None),
    r("GET", "/api/docs/docs.js", Public, "", None),
    r("GET", "/api/v1/openapi.json", Read(Area::Docs), "", None),
    // auth
    r("POST", "/api/v1/auth/login", Public, "auth.login", None),
    r(
        "POST",
        "/api/v1/auth/logout",
        Authenticated,
        "auth.logout",
        None,
    ),
    r("GET", "/api/v1/auth/me", Authenticated, "", None),
    r(
        "POST",
        "/api/v1/auth/ws-ticket",
        Authenticated,
        "auth.ws_ticket",
        None,
    ),
    r("GET", "/api/v1/events", Read(Area::Containers), "", None),
    r("GET", "/api/v1/tasks", Read(Area::Containers), "", None),
    r(
        "GET",
        "/api/v1/tasks/{id}",
        Read(Area::Containers),
        "",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/auth/password",
        Authenticated,
        "auth.password_change",
        None,
    ),
    r("GET", "/api/v1/auth/sessions", Authenticated, "", None),
    r(
        "DELETE",
        "/api/v1/auth/sessions/{id}",
        Authenticated,
        "session.revoke",
        Some("id"),
    ),
    r("GET", "/api/v1/sessions", UserAdmin, "", None),
    r(
        "DELETE",
        "/api/v1/sessions/{id}",
        UserAdmin,
        "session.revoke",
        Some("id"),
    ),
    r("GET", "/api/v1/api-keys", Authenticated, "", None),
    r(
        "POST",
        "/api/v1/api-keys",
        Authenticated,
        "api_key.create",
        None,
    ),
    r(
        "DELETE",
        "/api/v1/api-keys/{id}",
        Authenticated,
        "api_key.revoke",
        Some("id"),
    ),
    r("GET", "/api/v1/users", UserAdmin, "", None),
    r("POST", "/api/v1/users", UserAdmin, "user.create", None),
    r("GET", "/api/v1/users/{user}", UserAdmin, "", Some("user")),
    r(
        "PATCH",
        "/api/v1/users/{user}",
        UserAdmin,
        "user.update",
        Some("user"),
    ),
    r(
        "DELETE",
        "/api/v1/users/{user}",
        UserAdmin,
        "user.delete",
        Some("user"),
    ),
    r("GET", "/api/v1/audit", AuditRead, "", None),
    // hosts
    r("GET", "/api/v1/hosts", Read(Area::Hosts), "", None),
    r("POST", "/api/v1/hosts", HostAdmin, "host.create", None),
    r("POST", "/api/v1/hosts/_test", HostAdmin, "host.test", None),
    r(
        "GET",
        "/api/v1/hosts/{host}",
        Read(Area::Hosts),
        "",
        Some("host"),
    ),
    r(
        "PATCH",
        "/api/v1/hosts/{host}",
        HostAdmin,
        "host.update",
        Some("host"),
    ),
    r(
        "DELETE",
        "/api/v1/hosts/{host}",
        HostAdmin,
        "host.delete",
        Some("host"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/test",
        HostAdmin,
        "host.test",
        Some("host"),
    ),
    // containers
    r(
        "GET",
        "/api/v1/containers",
        Read(Area::Containers),
        "",
        None,
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers",
        Read(Area::Containers),
        "",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers",
        ContainerWrite,
        "container.create",
        None,
    ),
    r("GET", C, Read(Area::Containers), "", Some("id")),
    r("DELETE", C, ContainerWrite, "container.remove", Some("id")),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/start",
        ContainerWrite,
        "container.start",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/stop",
        ContainerWrite,
        "container.stop",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/restart",
        ContainerWrite,
        "container.restart",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/kill",
        ContainerWrite,
        "container.kill",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/pause",
        ContainerWrite,
        "container.pause",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/unpause",
        ContainerWrite,
        "container.unpause",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/rename",
        ContainerWrite,
        "container.rename",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers/{id}/top",
        Read(Area::Containers),
        "",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers/{id}/logs",
        Read(Area::Containers),
        "",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers/{id}/logs/download",
        Read(Area::Containers),
        "",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers/{id}/logs/search",
        Read(Area::Containers),
        "",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers/{id}/exec",
        ContainerExec,
        "container.exec",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers/{id}/stats",
        Read(Area::Containers),
        "",
        Some("id"),
    ),
    // safe updates
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/update",
        ContainerWrite,
        "container.update",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/containers/{id}/update/check",
        ContainerWrite,
        "container.update_check",
        Some("id"),
    ),
    // images
    r(
        "GET",
        "/api/v1/hosts/{host}/images",
        Read(Area::Images),
        "",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/images/pull",
        ImagePull,
        "image.pull",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/images/prune",
        ImageWrite,
        "image.prune",
        None,
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/images/{image}",
        Read(Area::Images),
        "",
        Some("image"),
    ),
    r(
        "DELETE",
        "/api/v1/hosts/{host}/images/{image}",
        ImageWrite,
        "image.remove",
        Some("image"),
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/images/{image}/history",
        Read(Area::Images),
        "",
        Some("image"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/images/{image}/tag",
        ImageWrite,
        "image.tag",
        Some("image"),
    ),
    // Build and push make images others run: deployers and admins (`ImageWrite`), like tag and
    // remove. Operators run containers and may pull, but publish nothing; tenants neither.
    r(
        "POST",
        "/api/v1/hosts/{host}/images/build",
        ImageWrite,
        "image.build",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/images/{image}/push",
        ImageWrite,
        "image.push",
        Some("image"),
    ),
    // volumes
    r(
        "GET",
        "/api/v1/hosts/{host}/volumes",
        Read(Area::Storage),
        "",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/volumes",
        StorageWrite,
        "volume.create",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/volumes/prune",
        StorageWrite,
        "volume.prune",
        None,
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/volumes/{name}",
        Read(Area::Storage),
        "",
        Some("name"),
    ),
    r(
        "DELETE",
        "/api/v1/hosts/{host}/volumes/{name}",
        StorageWrite,
        "volume.remove",
        Some("name"),
    ),
    // networks
    r(
        "GET",
        "/api/v1/hosts/{host}/networks",
        Read(Area::Storage),
        "",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/networks",
        StorageWrite,
        "network.create",
        None,
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/networks/prune",
        StorageWrite,
        "network.prune",
        None,
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/networks/{id}",
        Read(Area::Storage),
        "",
        Some("id"),
    ),
    r(
        "DELETE",
        "/api/v1/hosts/{host}/networks/{id}",
        StorageWrite,
        "network.remove",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/networks/{id}/connect",
        StorageWrite,
        "network.connect",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/hosts/{host}/networks/{id}/disconnect",
        StorageWrite,
        "network.disconnect",
        Some("id"),
    ),
    // system
    r(
        "GET",
        "/api/v1/hosts/{host}/system/info",
        Read(Area::System),
        "",
        None,
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/system/df",
        Read(Area::System),
        "",
        None,
    ),
    // vantage6 nodes
    r(
        "GET",
        "/api/v1/vantage6/nodes",
        Read(Area::Vantage6),
        "",
        None,
    ),
    r(
        "POST",
        "/api/v1/vantage6/nodes",
        Vantage6Write,
        "vantage6_node.create",
        None,
    ),
    r(
        "GET",
        "/api/v1/vantage6/nodes/{name}",
        Read(Area::Vantage6),
        "",
        Some("name"),
    ),
    r(
        "PATCH",
        "/api/v1/vantage6/nodes/{name}",
        Vantage6Write,
        "vantage6_node.update",
        Some("name"),
    ),
    r(
        "DELETE",
        "/api/v1/vantage6/nodes/{name}",
        Vantage6Write,
        "vantage6_node.remove",
        Some("name"),
    ),
    r(
        "PUT",
        "/api/v1/vantage6/nodes/{name}/api-key",
        Vantage6Write,
        "vantage6_node.set_api_key",
        Some("name"),
    ),
    r(
        "POST",
        "/api/v1/vantage6/nodes/{name}/start",
        Vantage6Write,
        "vantage6_node.start",
        Some("name"),
    ),
    r(
        "POST",
        "/api/v1/vantage6/nodes/{name}/stop",
        Vantage6Write,
        "vantage6_node.stop",
        Some("name"),
    ),
    r(
        "POST",
        "/api/v1/vantage6/nodes/{name}/restart",
        Vantage6Write,
        "vantage6_node.restart",
        Some("name"),
    ),
    r(
        "GET",
        "/api/v1/vantage6/nodes/{name}/status",
        Read(Area::Vantage6),
        "",
        Some("name"),
    ),
    r(
        "GET",
        "/api/v1/vantage6/nodes/{name}/logs",
        Read(Area::Vantage6),
        "",
        Some("name"),
    ),
    r(
        "POST",
        "/api/v1/vantage6/clean",
        Vantage6Write,
        "vantage6_node.clean",
        None,
    ),
    // notifications (admins: channels hold secrets)
    r(
        "GET",
        "/api/v1/notifications/channels",
        NotifyAdmin,
        "",
        None,
    ),
    r(
        "POST",
        "/api/v1/notifications/channels",
        NotifyAdmin,
        "notification_channel.create",
        None,
    ),
    r(
        "GET",
        "/api/v1/notifications/channels/{id}",
        NotifyAdmin,
        "",
        Some("id"),
    ),
    r(
        "PATCH",
        "/api/v1/notifications/channels/{id}",
        NotifyAdmin,
        "notification_channel.update",
        Some("id"),
    ),
    r(
        "DELETE",
        "/api/v1/notifications/channels/{id}",
        NotifyAdmin,
        "notification_channel.delete",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/notifications/channels/{id}/test",
        NotifyAdmin,
        "notification_channel.test",
        Some("id"),
    ),
    r("GET", "/api/v1/notifications/rules", NotifyAdmin, "", None),
    r(
        "POST",
        "/api/v1/notifications/rules",
        NotifyAdmin,
        "notification_rule.create",
        None,
    ),
    r(
        "GET",
        "/api/v1/notifications/rules/{id}",
        NotifyAdmin,
        "",
        Some("id"),
    ),
    r(
        "PATCH",
        "/api/v1/notifications/rules/{id}",
        NotifyAdmin,
        "notification_rule.update",
        Some("id"),
    ),
    r(
        "DELETE",
        "/api/v1/notifications/rules/{id}",
        NotifyAdmin,
        "notification_rule.delete",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/notifications/deliveries",
        NotifyAdmin,
        "",
        None,
    ),
    // schedules, webhooks in, tags (issue 5): operators and admins manage them, every role
    // but the tenant `user` reads them (a schedule acts on containers a tenant may not own).
    r("GET", "/api/v1/schedules", Read(Area::Schedules), "", None),
    r(
        "POST",
        "/api/v1/schedules",
        ScheduleWrite,
        "schedule.create",
        None,
    ),
    r(
        "GET",
        "/api/v1/schedules/{id}",
        Read(Area::Schedules),
        "",
        Some("id"),
    ),
    r(
        "PUT",
        "/api/v1/schedules/{id}",
        ScheduleWrite,
        "schedule.update",
        Some("id"),
    ),
    r(
        "DELETE",
        "/api/v1/schedules/{id}",
        ScheduleWrite,
        "schedule.delete",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/schedules/{id}/enable",
        ScheduleWrite,
        "schedule.enable",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/schedules/{id}/disable",
        ScheduleWrite,
        "schedule.disable",
        Some("id"),
    ),
    r(
        "POST",
        "/api/v1/schedules/{id}/run",
        ScheduleWrite,
        "schedule.run",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/schedules/{id}/runs",
        Read(Area::Schedules),
        "",
        Some("id"),
    ),
    r("GET", "/api/v1/webhooks", Read(Area::Schedules), "", None),
    r(
        "POST",
        "/api/v1/webhooks",
        ScheduleWrite,
        "webhook.create",
        None,
    ),
    r(
        "GET",
        "/api/v1/webhooks/{id}",
        Read(Area::Schedules),
        "",
        Some("id"),
    ),
    r(
        "PUT",
        "/api/v1/webhooks/{id}",
        ScheduleWrite,
        "webhook.update",
        Some("id"),
    ),
    r(
        "DELETE",
        "/api/v1/webhooks/{id}",
        ScheduleWrite,
        "webhook.delete",
        Some("id"),
    ),
    r(
        "GET",
        "/api/v1/webhooks/{id}/runs",
        Read(Area::Schedules),
        "",
        Some("id"),
    ),
    // The token in the path is the credential; the handler checks it (and the signature).
    r(
        "POST",
        "/api/v1/hooks/{token}",
        Public,
        "webhook.trigger",
        None,
    ),
    r("GET", "/api/v1/tags", Read(Area::Containers), "", None),
    r("POST", "/api/v1/tags", ScheduleWrite, "tag.create", None),
    r(
        "PUT",
        "/api/v1/tags/{tag}",
        ScheduleWrite,
        "tag.update",
        Some("tag"),
    ),
    r(
        "DELETE",
        "/api/v1/tags/{tag}",
        ScheduleWrite,
        "tag.delete",
        Some("tag"),
    ),
    r(
        "GET",
        "/api/v1/container-meta",
        Read(Area::Containers),
        "",
        None,
    ),
    r(
        "GET",
        "/api/v1/hosts/{host}/containers/{id}/meta",
        Read(Area::Containers),
        "",
        Some("id"),
    ),
    r(
        "PATCH",
        "/api/v1/hosts/{host}/containers/{id}/meta",
        ContainerWrite,
        "container.meta",
        Some("id"),
    ),
];

/// The rule of a routed request.
pub fn find(method: &str, path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.method == method && r.path == path)
}

/// The resource type of an action (`container.start` → `container`).
pub fn resource_type(action: &str) -> Option<&str> {
    action.split_once('.').map(|(r, _)| r)
}

/// The table as Markdown, route × role (`docs/permissions.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Permissions: route × role\n\nGenerated from `crates/berth/src/auth/permissions.rs` (CI fails when this file is stale: `cargo test -p berth` rewrites it).\n\n\
         ✓ allowed · — refused (403) · *own*: a tenant (`user`) only on containers labelled `berth.owner=<username>`.\n\
         API keys narrow further: `read` keys may only read, `write` keys may do all but administration\n\
         (hosts, users, audit), `admin` keys all their owner may. Grants to hosts narrow every role.\n\n\
         | method | route | needs | audit action | admin | operator | deployer | viewer | user |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for rule in RULES {
        let cells: Vec<&str> = Role::ALL
            .iter()
            .map(
                |role| match (rule.cap.allowed_for(*role), *role, rule.cap) {
                    (false, _, _) => "—",
                    (true, Role::User, ContainerWrite | Read(Area::Containers)) => "*own*",
                    (true, _, _) => "✓",
                },
            )
            .collect();
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            rule.method,
            rule.path,
            cap_name(rule.cap),
            if rule.action.is_empty() {
                ""
            } else {
                rule.action
            },
            cells.join(" | ")
        ));
    }
    out
}

fn cap_name(cap: Cap) -> String {
    match cap {
        Read(area) => format!("read {area:?}").to_lowercase(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `docs/permissions.md`; CI fails when the committed file differs (like the TS types).
    #[test]
    fn the_permission_table_is_written_to_the_docs() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/permissions.md");
        let table = markdown();
        assert!(table.lines().count() > RULES.len());
        if std::fs::read_to_string(path).ok().as_deref() != Some(table.as_str()) {
            std::fs::write(path, table).unwrap();
        }
    }

    #[test]
    fn every_rule_is_unique_and_mutations_name_an_audit_action() {
        for (i, a) in RULES.iter().enumerate() {
            assert!(
                RULES[i + 1..]
                    .iter()
                    .all(|b| a.method != b.method || a.path != b.path),
                "{} {} twice",
                a.method,
                a.path
            );
            if a.method != "GET" {
                assert!(
                    a.action.contains('.'),
                    "{} {} has no audit action",
                    a.method,
                    a.path
                );
            }
        }
    }

    #[test]
    fn roles_are_ordered_by_power() {
        use berth_api::auth::Role;
        for rule in RULES {
            if rule.cap.allowed_for(Role::Viewer) {
                assert!(
                    rule.cap.allowed_for(Role::Operator) && rule.cap.allowed_for(Role::Deployer),
                    "{}",
                    rule.path
                );
            }
            assert!(rule.cap.allowed_for(Role::Admin));
        }
    }
}
