//! Extra CA certificates for users behind TLS-inspecting proxies: a PEM bundle copied into
//! template builds and mounted read-only into sandboxes, with the variables tools read.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::paths::CA_BUNDLE_TARGET;

/// Environment variable naming a CA bundle for template builds and sandboxes.
pub const CA_BUNDLE_ENV: &str = "DOCKSANDBOX_CA_BUNDLE";

/// The largest bundle accepted (Debian's full bundle is about 200 KiB).
const MAX_BYTES: u64 = 8 << 20;

/// Variables pointed at the bundle, in builds and in sandboxes: OpenSSL and Python `ssl`,
/// curl, git, Python requests, Node.js.
pub(crate) const CA_ENV_VARS: [&str; 5] = [
    "SSL_CERT_FILE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

/// `(name, CA_BUNDLE_TARGET)` for every variable in [`CA_ENV_VARS`].
pub(crate) fn env_pairs() -> impl Iterator<Item = (String, String)> {
    CA_ENV_VARS
        .iter()
        .map(|k| (k.to_string(), CA_BUNDLE_TARGET.to_string()))
}

/// Checks that `path` is a PEM bundle of certificates (and nothing else that could be a
/// secret) and returns its canonical path. `SSL_CERT_FILE` replaces the default trust store,
/// so the bundle should hold every CA needed (the host's `/etc/ssl/certs/ca-certificates.crt`
/// does).
pub(crate) fn validate(path: &Path) -> Result<PathBuf> {
    let field = "ca_bundle";
    let shown = path.display();
    let canon = std::fs::canonicalize(path).map_err(|e| {
        Error::invalid(
            field,
            format!("{shown}: {e} (give the path of a PEM file of CA certificates)"),
        )
    })?;
    let meta =
        std::fs::metadata(&canon).map_err(|e| Error::invalid(field, format!("{shown}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::invalid(
            field,
            format!("{shown} is not a regular file"),
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(Error::invalid(
            field,
            format!(
                "{shown} is {} bytes; a CA bundle is at most {MAX_BYTES}",
                meta.len()
            ),
        ));
    }
    let text = std::fs::read(&canon).map_err(|e| Error::invalid(field, format!("{shown}: {e}")))?;
    check_pem(&text).map_err(|reason| Error::invalid(field, format!("{shown} {reason}")))?;
    Ok(canon)
}

/// Reads a bundle validated by [`validate`].
pub(crate) fn load(path: &Path) -> Result<Vec<u8>> {
    let canon = validate(path)?;
    Ok(std::fs::read(canon)?)
}

/// Every PEM block is a certificate and there is at least one.
fn check_pem(text: &[u8]) -> std::result::Result<(), &'static str> {
    let text = std::str::from_utf8(text).map_err(|_| "is not a PEM text file")?;
    let mut certs = 0;
    for line in text.lines() {
        let line = line.trim();
        if let Some(kind) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if kind != "CERTIFICATE" && kind != "TRUSTED CERTIFICATE" {
                return Err("holds a PEM block that is not a certificate (a key?): refused, a CA bundle is mounted into sandboxes");
            }
            certs += 1;
        }
    }
    if certs == 0 {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    #[test]
    fn only_certificates_are_accepted() {
        assert!(check_pem(CERT.as_bytes()).is_ok());
        assert!(check_pem(format!("# comment\n{CERT}{CERT}").as_bytes()).is_ok());
        assert!(check_pem(b"").is_err());
        assert!(check_pem(b"hello").is_err());
        let key = format!("{CERT}-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n");
        assert!(check_pem(key.as_bytes()).is_err());
        assert!(check_pem(b"-----BEGIN OPENSSH PRIVATE KEY-----\n").is_err());
        assert!(check_pem(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        assert!(validate(dir.path()).is_err());
        assert!(validate(&dir.path().join("missing")).is_err());
        let f = dir.path().join("ca.pem");
        std::fs::write(&f, CERT).unwrap();
        assert_eq!(validate(&f).unwrap(), std::fs::canonicalize(&f).unwrap());
    }
}
