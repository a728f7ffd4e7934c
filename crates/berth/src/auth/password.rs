//! Password hashing (Argon2id) and the password rules.

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::error::AppError;

/// Minimum password length.
pub const MIN_LENGTH: usize = 12;

/// Hashes a password with Argon2id and a random salt (PHC string).
pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Whether `password` matches `phc`.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fixed Argon2id hash (default parameters) that unknown users are verified against, so that
/// unknown users and wrong passwords take the same time. Its result is ignored, so what it hashes
/// does not matter; being a constant, it costs no hashing (and no memory) at start.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$KUoAg6sXWqoJwCEYMvvxNQ$QVFpvvtABaA6hiQFQidSZFHKsKW3UhOSRnvsuM7P5oM"
}

/// The password rules: at least 12 characters, not the username.
pub fn check(field: &str, username: &str, password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(AppError::validation(
            field,
            format!("the password must have at least {MIN_LENGTH} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(AppError::validation(
            field,
            "the password must have at most 1024 bytes",
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(AppError::validation(
            field,
            "the password must not be the username",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_rules_hold() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(check("password", "alice", "short").is_err());
        assert!(check("password", "alice-the-admin", "Alice-The-Admin").is_err());
        assert!(check("password", "alice", "long enough password").is_ok());
    }
}
