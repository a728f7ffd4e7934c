//! The container policy: what a create spec may ask for. One place, so that roles (and later
//! quotas) can narrow it without touching handlers.

use berth_api::ErrorCode;
use berth_api::containers::ContainerCreate;

use crate::config::Policy;
use crate::error::AppError;
use crate::validate;

const RESTART_POLICIES: [&str; 4] = ["no", "always", "unless-stopped", "on-failure"];

/// Validates a create spec and applies the policy; normalizes host paths in place.
pub fn check_create(spec: &mut ContainerCreate, policy: &Policy) -> Result<(), AppError> {
    validate::image_ref("image", &spec.image)?;
    if let Some(name) = &spec.name {
        validate::container_name("name", name)?;
    }
    for (field, args) in [("command", &spec.command), ("entrypoint", &spec.entrypoint)] {
        if let Some(args) = args
            && args.iter().any(|a| a.contains('\0'))
        {
            return Err(AppError::validation(
                field,
                "arguments may not contain NUL bytes",
            ));
        }
    }
    for (name, value) in &spec.env {
        validate::env_name(&format!("env.{name}"), name)?;
        if value.contains('\0') {
            return Err(AppError::validation(
                format!("env.{name}"),
                "values may not contain NUL bytes",
            ));
        }
    }
    for key in spec.labels.keys() {
        if key.is_empty() || key.len() > 256 {
            return Err(AppError::validation(
                "labels",
                "label keys must be 1–256 characters",
            ));
        }
    }
    for (i, p) in spec.ports.iter().enumerate() {
        validate::port(&format!("ports.{i}.container_port"), p.container_port)?;
        if let Some(h) = p.host_port {
            validate::port(&format!("ports.{i}.host_port"), h)?;
        }
        if let Some(proto) = &p.protocol
            && !matches!(proto.as_str(), "tcp" | "udp" | "sctp")
        {
            return Err(AppError::validation(
                format!("ports.{i}.protocol"),
                "protocol must be tcp, udp or sctp",
            ));
        }
        if let Some(ip) = &p.host_ip
            && ip.parse::<std::net::IpAddr>().is_err()
        {
            return Err(AppError::validation(
                format!("ports.{i}.host_ip"),
                format!("`{ip}` is not an IP address"),
            ));
        }
    }
    for (i, m) in spec.mounts.iter_mut().enumerate() {
        let target = normalize(&m.target).ok_or_else(|| {
            AppError::validation(
                format!("mounts.{i}.target"),
                "the target must be an absolute path inside the container",
            )
        })?;
        m.target = target;
        match m.kind.as_str() {
            "bind" => {
                let source = normalize(&m.source).ok_or_else(|| {
                    AppError::validation(
                        format!("mounts.{i}.source"),
                        "a bind mount's source must be an absolute host path",
                    )
                })?;
                if let Some(forbidden) = forbidden_by(&source, &policy.forbidden_mount_paths) {
                    return Err(AppError::new(
                        ErrorCode::PolicyViolation,
                        format!("mounting `{source}` would hand over the host (`{forbidden}` is protected by the mount policy)"),
                    )
                    .with_field(format!("mounts.{i}.source")));
                }
                m.source = source;
            }
            "volume" => validate::object_name(&format!("mounts.{i}.source"), &m.source)?,
            other => {
                return Err(AppError::validation(
                    format!("mounts.{i}.type"),
                    format!("`{other}` is not a mount type: use bind or volume"),
                ));
            }
        }
    }
    if let Some(policy_name) = &spec.restart_policy {
        let (name, count) = policy_name.split_once(':').unwrap_or((policy_name, ""));
        let count_ok = count.is_empty() || (name == "on-failure" && count.parse::<u32>().is_ok());
        if !RESTART_POLICIES.contains(&name) || !count_ok {
            return Err(AppError::validation(
                "restart_policy",
                "restart policy must be no, always, unless-stopped, on-failure or on-failure:N",
            ));
        }
    }
    if let Some(cpus) = spec.cpus
        && !(cpus > 0.0 && cpus <= 1024.0)
    {
        return Err(AppError::validation(
            "cpus",
            "cpus must be more than 0 and at most 1024",
        ));
    }
    if let Some(mem) = spec.memory_bytes
        && mem < 6 * 1024 * 1024
    {
        return Err(AppError::validation(
            "memory_bytes",
            "the memory limit must be at least 6 MiB (6291456 bytes)",
        ));
    }
    if let Some(network) = &spec.network
        && (network.is_empty() || network.len() > 128)
    {
        return Err(AppError::validation(
            "network",
            "the network name must be 1–128 characters",
        ));
    }
    if let Some(g) = &spec.gpus {
        match (g.count, &g.device_ids) {
            (Some(_), Some(_)) => {
                return Err(AppError::validation(
                    "gpus",
                    "give either count or device_ids, not both",
                ));
            }
            (Some(c), None) if c == 0 || c < -1 => {
                return Err(AppError::validation(
                    "gpus.count",
                    "count must be at least 1, or -1 for all GPUs",
                ));
            }
            (None, Some(ids)) if ids.is_empty() || ids.iter().any(String::is_empty) => {
                return Err(AppError::validation(
                    "gpus.device_ids",
                    "device ids must not be empty",
                ));
            }
            _ => {}
        }
    }
    if spec.privileged && !policy.allow_privileged {
        return Err(AppError::new(
            ErrorCode::PolicyViolation,
            "privileged containers are not allowed by the policy",
        )
        .with_field("privileged"));
    }
    for (field, value) in [
        ("working_dir", &spec.working_dir),
        ("user", &spec.user),
        ("hostname", &spec.hostname),
    ] {
        if let Some(v) = value {
            validate::text(field, v, 255)?;
        }
    }
    Ok(())
}

/// Lexically normalizes an absolute path (`//`, `.`, `..`); `None` when it is not absolute.
fn normalize(path: &str) -> Option<String> {
    if !path.starts_with('/') || path.contains('\0') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// The protected path `source` is or lies under. `/` protects only itself.
fn forbidden_by<'a>(source: &str, forbidden: &'a [String]) -> Option<&'a str> {
    forbidden.iter().map(String::as_str).find(|f| {
        let f = f.trim_end_matches('/');
        if f.is_empty() {
            return source == "/";
        }
        source == f || source.starts_with(&format!("{f}/"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_api::containers::MountSpec;

    fn policy() -> Policy {
        Policy {
            allow_privileged: false,
            forbidden_mount_paths: crate::config::DEFAULT_FORBIDDEN_MOUNT_PATHS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }

    fn bind(source: &str) -> ContainerCreate {
        ContainerCreate {
            image: "nginx:1.27".to_owned(),
            mounts: vec![MountSpec {
                kind: "bind".to_owned(),
                source: source.to_owned(),
                target: "/data".to_owned(),
                read_only: false,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn host_paths_that_hand_over_the_host_are_refused_even_when_disguised() {
        for bad in [
            "/",
            "/etc",
            "/etc/",
            "/root/.ssh",
            "/var/run/docker.sock",
            "/srv/../etc",
            "//proc",
            "/srv/./../dev/sda",
        ] {
            let err = check_create(&mut bind(bad), &policy()).unwrap_err();
            assert_eq!(err.code, ErrorCode::PolicyViolation, "{bad}");
            assert_eq!(err.field.as_deref(), Some("mounts.0.source"));
        }
        let mut ok = bind("/srv/site/../www");
        check_create(&mut ok, &policy()).unwrap();
        assert_eq!(ok.mounts[0].source, "/srv/www");
        assert!(check_create(&mut bind("/etcetera"), &policy()).is_ok());
    }

    #[test]
    fn privileged_needs_the_policy() {
        let mut spec = ContainerCreate {
            image: "nginx".to_owned(),
            privileged: true,
            ..Default::default()
        };
        assert_eq!(
            check_create(&mut spec, &policy())
                .unwrap_err()
                .field
                .as_deref(),
            Some("privileged")
        );
        let mut open = policy();
        open.allow_privileged = true;
        assert!(check_create(&mut spec, &open).is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: Vec<(ContainerCreate, &str)> = vec![
            (
                ContainerCreate {
                    image: "Bad Image".into(),
                    ..Default::default()
                },
                "image",
            ),
            (
                ContainerCreate {
                    image: "a".into(),
                    name: Some("-x".into()),
                    ..Default::default()
                },
                "name",
            ),
            (
                ContainerCreate {
                    image: "a".into(),
                    restart_policy: Some("sometimes".into()),
                    ..Default::default()
                },
                "restart_policy",
            ),
            (
                ContainerCreate {
                    image: "a".into(),
                    cpus: Some(0.0),
                    ..Default::default()
                },
                "cpus",
            ),
            (
                ContainerCreate {
                    image: "a".into(),
                    memory_bytes: Some(1024),
                    ..Default::default()
                },
                "memory_bytes",
            ),
        ];
        for (mut spec, field) in cases {
            assert_eq!(
                check_create(&mut spec, &policy())
                    .unwrap_err()
                    .field
                    .as_deref(),
                Some(field)
            );
        }
    }
}
