//! The spec⇄labels codec: what docksandbox stores on its containers. Labels are the only
//! state, so a restarted engine or another process finds every sandbox again.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::model::label_keys::{
    AGENT, HOME, KEY, MANAGED, SPEC, SPEC_HASH, USER, VERSION, WORKSPACE,
};
use crate::model::naming::{hex, sandbox_key};
use crate::model::secrets::shown_value;
use crate::model::spec::SandboxSpec;

/// The spec as stored: env values whose names look secret replaced by fingerprints.
pub(crate) fn storable(spec: &SandboxSpec) -> SandboxSpec {
    let mut s = spec.clone();
    for (k, v) in s.env.iter_mut() {
        *v = shown_value(k, v);
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
    let hash = hex(&Sha256::digest(json.as_bytes()));
    let mut l: HashMap<String, String> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let ws = spec.workspace.to_string_lossy().into_owned();
    l.insert(MANAGED.into(), "true".into());
    l.insert(KEY.into(), sandbox_key(&spec.workspace, &spec.agent.name));
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

/// The `uid:gid` and home a sandbox's processes run as, from its labels (root's for a sandbox
/// whose labels lack them).
pub(crate) fn stored_user(labels: &HashMap<String, String>) -> (String, String) {
    let user = labels.get(USER).cloned().unwrap_or_else(|| "0:0".into());
    let home = labels.get(HOME).cloned().unwrap_or_else(|| "/root".into());
    (user, home)
}
