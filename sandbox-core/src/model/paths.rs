//! Every fixed path docksandbox uses inside a sandbox, and the engine sockets of this host:
//! the one place those paths are spelled.

use std::path::PathBuf;

/// Directory inside every sandbox reserved for docksandbox (credentials volume and helpers).
pub const INTERNAL_DIR: &str = "/mnt/docksandbox";

/// Where the in-sandbox process server lives inside every sandbox (root-only, mode 0700):
/// [`EXECD_FILE`] in [`EXECD_DIR`].
pub(crate) const EXECD_PATH: &str = "/mnt/docksandbox/bin/execd";

/// The directory of [`EXECD_PATH`]: where the helper's read-only volume is mounted.
pub(crate) const EXECD_DIR: &str = "/mnt/docksandbox/bin";

/// The helper's file name in [`EXECD_DIR`].
pub(crate) const EXECD_FILE: &str = "execd";

/// Where the per-agent credentials volume is mounted.
pub(crate) const CREDENTIALS_DIR: &str = "/mnt/docksandbox/credentials";

/// Where the host's shared agent configuration is mounted (read-only).
pub(crate) const HOST_CONFIG_DIR: &str = "/mnt/docksandbox/host-config";

/// Where a CA bundle appears in a template build and in a sandbox.
pub const CA_BUNDLE_TARGET: &str = "/etc/docksandbox/ca-bundle.crt";

/// Where a sandbox with secrets sees its egress proxy's CA (a read-only volume the proxy
/// writes [`SECRETS_CA_FILE`] into when it starts).
pub(crate) const SECRETS_CA_DIR: &str = "/etc/docksandbox/secrets-ca";

/// The CA certificate's file name in [`SECRETS_CA_DIR`].
pub(crate) const SECRETS_CA_FILE: &str = "ca.pem";

/// Where the setup puts the bundles with that CA: `all.pem` (the system's roots, the
/// `--ca-bundle`, the proxy's CA) and `extra.pem` (the last two, for `NODE_EXTRA_CA_CERTS`).
pub(crate) const TRUST_DIR: &str = "/etc/docksandbox/trust";

/// The engine's default socket on a host, and where the engine's socket appears inside a
/// sandbox that asked for it.
pub const DOCKER_SOCKET_TARGET: &str = "/var/run/docker.sock";

/// The environment variable naming the engine's address (`unix://…`, `tcp://…`).
pub(crate) const ENGINE_HOST_ENV: &str = "DOCKER_HOST";

/// Home of the sandbox user: `/root` for root, `/home/agent` for everyone else.
pub(crate) fn home_for(uid: u32) -> &'static str {
    if uid == 0 {
        "/root"
    } else {
        "/home/agent"
    }
}

/// The engine sockets of this host, not canonicalized: the default one,
/// [`ENGINE_HOST_ENV`]'s when that names a local socket, and the one the docker CLI's
/// context in use names (`DOCKER_CONTEXT`, `config.json`'s current context).
pub(crate) fn engine_sockets() -> Vec<PathBuf> {
    let mut v = vec![PathBuf::from(DOCKER_SOCKET_TARGET)];
    let hosts = [
        std::env::var(ENGINE_HOST_ENV).ok(),
        crate::model::engine_config::EngineConfig::resolve(None, None)
            .ok()
            .map(|e| e.host),
    ];
    for h in hosts.into_iter().flatten().filter(|h| !h.is_empty()) {
        if let Some(p) = h
            .strip_prefix("unix://")
            .or(h.starts_with('/').then_some(h.as_str()))
        {
            v.push(PathBuf::from(p));
        }
    }
    v.dedup();
    v
}

/// The log of detached agent sessions: the entrypoint follows it on the container's output,
/// so the engine's logs (`docksandbox logs`) hold what detached sessions print.
pub(crate) const SESSION_LOG: &str = "/mnt/docksandbox/session.log";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_paths_are_under_the_internal_dir() {
        for p in [EXECD_PATH, CREDENTIALS_DIR, HOST_CONFIG_DIR] {
            assert!(p.starts_with(&format!("{INTERNAL_DIR}/")), "{p}");
        }
    }
}
