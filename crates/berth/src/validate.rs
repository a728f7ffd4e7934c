//! Input validation at the edge: each check names the field it rejects and says why.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::AppError;

#[allow(clippy::expect_used)] // the patterns are constants, checked by the tests below
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid pattern")
}

static IMAGE_REF: LazyLock<Regex> = LazyLock::new(|| {
    // Docker's reference grammar: [registry[:port]/]path[:tag][@digest]
    let component = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    let domain = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?";
    re(&format!(
        r"^(?:{domain}/)?{component}(?:/{component})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{{32,}})?$"
    ))
});
static IMAGE_ID: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:sha256:)?[0-9a-f]{12,64}$"));
static CONTAINER_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$"));
static ENV_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z_][A-Za-z0-9_]*$"));
static HOST_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[a-z0-9][a-z0-9._-]{0,62}$"));
static COLOR: LazyLock<Regex> = LazyLock::new(|| re(r"^#[0-9a-fA-F]{6}$"));
static TAG: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"));
static SIGNAL: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:SIG)?[A-Z0-9+-]{2,12}$|^[0-9]{1,2}$"));

/// An image reference (`nginx:1.27`, `ghcr.io/a/b@sha256:…`) or an image id.
pub fn image_ref(field: &str, value: &str) -> Result<(), AppError> {
    if value.is_empty() {
        return Err(AppError::validation(
            field,
            "an image reference is required",
        ));
    }
    // The first component is a registry only if it looks like one (Docker's rule); otherwise it
    // is part of the repository path, which must be lower-case.
    let first = value.split('/').next().unwrap_or_default();
    let is_domain =
        value.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let bad_case = !is_domain
        && value
            .split(['@', ':'])
            .next()
            .is_some_and(|repo| repo.chars().any(|c| c.is_ascii_uppercase()));
    if value.len() > 512 || bad_case || !(IMAGE_REF.is_match(value) || IMAGE_ID.is_match(value)) {
        return Err(AppError::validation(
            field,
            format!(
                "`{value}` is not a valid image reference (expected e.g. `nginx:1.27` or `registry.example.com/team/app:tag`; repository names are lower-case)"
            ),
        ));
    }
    Ok(())
}

/// A container name as Docker accepts it.
pub fn container_name(field: &str, value: &str) -> Result<(), AppError> {
    if value.len() > 128 || !CONTAINER_NAME.is_match(value) {
        return Err(AppError::validation(
            field,
            format!(
                "`{value}` is not a valid container name: 2–128 characters, letters, digits, `_`, `.`, `-`, starting with a letter or digit"
            ),
        ));
    }
    Ok(())
}

/// A volume or network name (Docker's rules are the container ones).
pub fn object_name(field: &str, value: &str) -> Result<(), AppError> {
    if value.len() > 128 || !CONTAINER_NAME.is_match(value) {
        return Err(AppError::validation(
            field,
            format!(
                "`{value}` is not a valid name: 2–128 characters, letters, digits, `_`, `.`, `-`, starting with a letter or digit"
            ),
        ));
    }
    Ok(())
}

/// An environment variable name.
pub fn env_name(field: &str, value: &str) -> Result<(), AppError> {
    if !ENV_NAME.is_match(value) {
        return Err(AppError::validation(
            field,
            format!(
                "`{value}` is not a valid environment variable name: letters, digits and `_`, not starting with a digit"
            ),
        ));
    }
    Ok(())
}

/// A host's name.
pub fn host_name(field: &str, value: &str) -> Result<(), AppError> {
    if !HOST_NAME.is_match(value) {
        return Err(AppError::validation(
            field,
            format!(
                "`{value}` is not a valid host name: 1–63 lower-case letters, digits, `.`, `_`, `-`, starting with a letter or digit"
            ),
        ));
    }
    Ok(())
}

/// A CSS hex colour.
pub fn color(field: &str, value: &str) -> Result<(), AppError> {
    if !COLOR.is_match(value) {
        return Err(AppError::validation(
            field,
            format!("`{value}` is not a colour like `#3b82f6`"),
        ));
    }
    Ok(())
}

/// An image tag.
pub fn tag(field: &str, value: &str) -> Result<(), AppError> {
    if !TAG.is_match(value) {
        return Err(AppError::validation(
            field,
            format!("`{value}` is not a valid tag: up to 128 letters, digits, `_`, `.`, `-`"),
        ));
    }
    Ok(())
}

/// A signal name (`SIGHUP`, `HUP`) or number.
pub fn signal(field: &str, value: &str) -> Result<(), AppError> {
    if !SIGNAL.is_match(value) {
        return Err(AppError::validation(
            field,
            format!("`{value}` is not a signal name or number"),
        ));
    }
    Ok(())
}

/// A TCP/UDP port number.
pub fn port(field: &str, value: u32) -> Result<u16, AppError> {
    u16::try_from(value).ok().filter(|p| *p > 0).ok_or_else(|| {
        AppError::validation(field, format!("{value} is not a port number (1–65535)"))
    })
}

/// A length-limited free text.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), AppError> {
    if value.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("at most {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(AppError::validation(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_follow_dockers_grammar() {
        for ok in [
            "nginx",
            "nginx:1.27",
            "library/nginx:latest",
            "ghcr.io/owner/app:v1.2.3",
            "localhost:5000/team/app",
            "127.0.0.1:5000/berth-test/busybox:latest",
            "berth-test/busybox:latest",
            "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(image_ref("image", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx::1",
            "-nginx",
            "a b",
            "nginx:1.27;rm",
            "UPPER/case",
        ] {
            let err = image_ref("image", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("image"), "{bad}");
        }
    }

    #[test]
    fn names_env_and_ports_are_checked() {
        assert!(container_name("name", "web-1").is_ok());
        assert!(container_name("name", "w").is_err());
        assert!(container_name("name", "-web").is_err());
        assert!(container_name("name", "we b").is_err());
        assert!(env_name("env", "TZ").is_ok());
        assert!(env_name("env", "_X1").is_ok());
        assert!(env_name("env", "1X").is_err());
        assert!(env_name("env", "A-B").is_err());
        assert!(env_name("env", "").is_err());
        assert_eq!(port("p", 80).unwrap(), 80);
        assert!(port("p", 0).is_err());
        assert!(port("p", 65536).is_err());
        assert!(host_name("name", "edge-1").is_ok());
        assert!(host_name("name", "Edge").is_err());
        assert!(color("color", "#3b82f6").is_ok());
        assert!(color("color", "blue").is_err());
        assert!(signal("signal", "SIGHUP").is_ok());
        assert!(signal("signal", "9").is_ok());
        assert!(signal("signal", "rm -rf").is_err());
    }
}
