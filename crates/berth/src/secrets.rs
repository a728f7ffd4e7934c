//! Secrets at rest: values such as webhook tokens and SMTP passwords are sealed with
//! ChaCha20-Poly1305 under a key kept outside the database (`secret.key` in the data folder, or
//! the file named by `BERTH_SECRET_KEY_FILE`), so a copy of `berth.db` alone reveals nothing.
//!
//! Sealed form: `v1:` + base64(12-byte random nonce ‖ ciphertext ‖ tag). The version prefix lets a
//! later key rotation or cipher change tell old values from new ones.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "secret.key";

const VERSION: &str = "v1:";
const NONCE_LEN: usize = 12;

/// A sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Not a value this version wrote.
    #[error("the sealed value has an unknown format")]
    Format,
    /// The cipher refused to seal (only for absurdly large values).
    #[error("the value could not be sealed")]
    Seal,
    /// Wrong key, or the value was altered.
    #[error("the sealed value does not open with this key (was secret.key replaced?)")]
    Open,
}

/// Seals and opens secrets with the installation's key.
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

impl SecretBox {
    /// A box from 32 key bytes.
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// Reads the key from `file` (or `data_dir/secret.key`), creating that file (mode 0600) with a
    /// random key at first start. A key file that exists but is not 32 bytes (raw, or 64 hex
    /// characters, or base64) is an error: silently replacing it would lose every secret.
    pub fn load_or_create(data_dir: &Path, file: Option<&Path>) -> anyhow::Result<Self> {
        let path: PathBuf = file.map_or_else(|| data_dir.join(KEY_FILE), Path::to_path_buf);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let key = parse_key(&bytes)
                    .with_context(|| format!("reading the secret key {}", path.display()))?;
                Ok(Self::from_key(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && file.is_none() => {
                let key: [u8; 32] = rand::random();
                write_new_key(&path, &key)
                    .with_context(|| format!("creating the secret key {}", path.display()))?;
                tracing::info!(path = %path.display(), "created a new secret key: back it up with the database");
                Ok(Self::from_key(&key))
            }
            Err(e) => Err(e).with_context(|| format!("reading the secret key {}", path.display())),
        }
    }

    /// Seals `plaintext` under a fresh random nonce.
    pub fn seal(&self, plaintext: &str) -> Result<String, SecretError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = Nonce::from_slice(&nonce_bytes);
        let ciphertext = self
            .cipher
            .encrypt(nonce, plaintext.as_bytes())
            .map_err(|_| SecretError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        Ok(format!("{VERSION}{}", STANDARD.encode(out)))
    }

    /// Opens a value made by [`SecretBox::seal`].
    pub fn open(&self, sealed: &str) -> Result<String, SecretError> {
        let body = sealed.strip_prefix(VERSION).ok_or(SecretError::Format)?;
        let bytes = STANDARD.decode(body).map_err(|_| SecretError::Format)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(SecretError::Format);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SecretError::Open)?;
        String::from_utf8(plain).map_err(|_| SecretError::Format)
    }
}

fn parse_key(bytes: &[u8]) -> anyhow::Result<[u8; 32]> {
    if let Ok(key) = <[u8; 32]>::try_from(bytes) {
        return Ok(key);
    }
    let text = std::str::from_utf8(bytes).unwrap_or_default().trim();
    let decoded = hex::decode(text)
        .ok()
        .or_else(|| STANDARD.decode(text).ok())
        .unwrap_or_default();
    match <[u8; 32]>::try_from(decoded.as_slice()) {
        Ok(key) => Ok(key),
        Err(_) => bail!("a secret key is 32 bytes: raw, 64 hex characters, or base64"),
    }
}

fn write_new_key(path: &Path, key: &[u8; 32]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(key)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_only_and_differ_each_time() {
        let a = SecretBox::from_key(&[7; 32]);
        let b = SecretBox::from_key(&[8; 32]);
        let one = a.seal("hunter2").unwrap();
        let two = a.seal("hunter2").unwrap();
        assert_ne!(one, two, "a fresh nonce per value");
        assert!(one.starts_with("v1:") && !one.contains("hunter2"));
        assert_eq!(a.open(&one).unwrap(), "hunter2");
        assert!(matches!(b.open(&one), Err(SecretError::Open)));
        assert!(matches!(a.open("v0:abc"), Err(SecretError::Format)));
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretBox::load_or_create(dir.path(), None).unwrap();
        let sealed = first.seal("token").unwrap();
        let path = dir.path().join(KEY_FILE);
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = SecretBox::load_or_create(dir.path(), None).unwrap();
        assert_eq!(again.open(&sealed).unwrap(), "token");
        // A named key file that is missing is an error, not a new key.
        assert!(SecretBox::load_or_create(dir.path(), Some(&dir.path().join("nope"))).is_err());
        std::fs::write(dir.path().join("hex.key"), hex::encode([9u8; 32])).unwrap();
        let hexed = SecretBox::load_or_create(dir.path(), Some(&dir.path().join("hex.key")));
        assert!(hexed.is_ok());
        std::fs::write(dir.path().join("short.key"), b"short").unwrap();
        assert!(
            SecretBox::load_or_create(dir.path(), Some(&dir.path().join("short.key"))).is_err()
        );
    }
}
