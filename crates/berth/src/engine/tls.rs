//! A host's TLS client files, written owner-only, as the Docker CLI keeps them.

use std::io::Write;
use std::path::Path;

use berth_api::hosts::HostTls;

/// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir` (mode 0600).
pub fn write(dir: &Path, tls: &HostTls) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, body) in [
        ("ca.pem", &tls.ca_cert),
        ("cert.pem", &tls.client_cert),
        ("key.pem", &tls.client_key),
    ] {
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        file.write_all(body.as_bytes())?;
    }
    Ok(())
}
