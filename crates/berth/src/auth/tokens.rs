//! Random tokens and their hashes: session cookies, CSRF tokens, API keys.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// The prefix of every API key.
pub const API_KEY_PREFIX: &str = "berth_";

/// `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A new API key (`berth_` + 256 random bits, hex) and its visible prefix.
pub fn new_api_key() -> (String, String) {
    let mut buf = [0u8; 32];
    rand::rng().fill_bytes(&mut buf);
    let key = format!("{API_KEY_PREFIX}{}", hex::encode(buf));
    let prefix = key[..API_KEY_PREFIX.len() + 8].to_owned();
    (key, prefix)
}

/// SHA-256 of a token, hex. Tokens carry 256 random bits, so a fast hash is enough.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
