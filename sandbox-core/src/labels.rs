//! What docksandbox stores on its containers: labels are the only state, so a restarted
//! engine or another process finds every sandbox again.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::spec::SandboxSpec;

/// Prefix of every label docksandbox owns.
pub const PREFIX: &str = "docksandbox.";
/// Marks a container as a docksandbox sandbox.
pub const MANAGED: &str = "docksandbox.managed";
/// The sandbox key: a hash of (agent, canonical workspace). One sandbox per key.
pub const KEY: &str = "docksandbox.key";
/// Canonical workspace path.
pub const WORKSPACE: &str = "docksandbox.workspace";
/// Agent name.
pub const AGENT: &str = "docksandbox.agent";
/// The effective spec, JSON, secrets fingerprinted.
pub const SPEC: &str = "docksandbox.spec";
/// SHA-256 of [`SPEC`].
pub const SPEC_HASH: &str = "docksandbox.spec-hash";
/// docksandbox version that created the sandbox.
pub const VERSION: &str = "docksandbox.version";
/// `uid:gid` the sandbox's processes run as (the workspace owner's).
pub const USER: &str = "docksandbox.user";
/// Home directory of the sandbox user.
pub const HOME: &str = "docksandbox.home";

/// Directory inside every sandbox reserved for docksandbox (credentials volume and helpers).
pub const INTERNAL_DIR: &str = "/mnt/docksandbox";

/// The key label's value for (workspace, agent).
pub(crate) fn key(workspace: &Path, agent: &str) -> String {
    let mut h = Sha256::new();
    h.update(agent.as_bytes());
    h.update([0u8]);
    h.update(workspace.as_os_str().as_encoded_bytes());
    crate::naming::hex(&h.finalize()[..16])
}

/// The spec as stored: env values whose names look secret replaced by fingerprints.
pub(crate) fn storable(spec: &SandboxSpec) -> SandboxSpec {
    let mut s = spec.clone();
    for (k, v) in s.env.iter_mut() {
        *v = crate::secrets::shown_value(k, v);
    }
    s
}

/// Labels for a new sandbox with resolved spec `spec`, running as `user` with home `home`.
pub(crate) fn encode(
    spec: &SandboxSpec,
    user: &str,
    home: &str,
) -> Result<HashMap<String, String>> {
    let json = serde_json::to_string(&storable(spec))
        .map_err(|e| Error::Client(format!("cannot serialize the spec: {e}")))?;
    let hash = crate::naming::hex(&Sha256::digest(json.as_bytes()));
    let mut l: HashMap<String, String> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let ws = spec.workspace.to_string_lossy().into_owned();
    l.insert(MANAGED.into(), "true".into());
    l.insert(KEY.into(), key(&spec.workspace, &spec.agent.name));
    l.insert(WORKSPACE.into(), ws);
    l.insert(AGENT.into(), spec.agent.name.clone());
    l.insert(SPEC.into(), json);
    l.insert(SPEC_HASH.into(), hash);
    l.insert(VERSION.into(), crate::VERSION.into());
    l.insert(USER.into(), user.into());
    l.insert(HOME.into(), home.into());
    Ok(l)
}

/// The stored spec of a sandbox, from its labels.
pub(crate) fn decode(labels: &HashMap<String, String>) -> Result<SandboxSpec> {
    let json = labels.get(SPEC).ok_or_else(|| {
        Error::Client(format!(
            "container has no `{SPEC}` label: not a docksandbox sandbox"
        ))
    })?;
    serde_json::from_str(json).map_err(|e| {
        Error::Client(format!(
            "stored spec cannot be read ({e}); remove the sandbox and run again"
        ))
    })
}
