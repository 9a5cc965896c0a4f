//! Config drift: comparing a requested spec with the one stored on an existing sandbox.

use crate::error::FieldChange;
use crate::model::network::NetworkMode;
use crate::model::spec::SandboxSpec;

fn show<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}")
}

/// Compares each field the caller set in `requested` with `stored` (the effective spec of the
/// existing sandbox). Fields the caller left unset inherit the stored value.
///
/// Returns the spec to use (the stored one, with the requested agent profile) or every
/// differing field.
pub(crate) fn reconcile(
    requested: &SandboxSpec,
    stored: &SandboxSpec,
) -> Result<SandboxSpec, Vec<FieldChange>> {
    let mut changes = Vec::new();
    let mut diff = |field: &str, stored: String, requested: String| {
        if stored != requested {
            changes.push(FieldChange {
                field: field.to_string(),
                stored,
                requested,
            });
        }
    };
    if let Some(t) = &requested.template {
        diff("template", stored.template_image().to_string(), t.clone());
    }
    if !requested.env.is_empty() {
        let req = crate::reuse::stored_spec::storable(requested).env;
        let keys: std::collections::BTreeSet<&String> =
            req.keys().chain(stored.env.keys()).collect();
        for k in keys {
            let s = stored
                .env
                .get(k)
                .cloned()
                .unwrap_or_else(|| "(unset)".into());
            let r = req.get(k).cloned().unwrap_or_else(|| "(unset)".into());
            diff(&format!("env.{k}"), s, r);
        }
    }
    if !requested.mounts.is_empty() {
        let fmt = |m: &[crate::Mount]| {
            m.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        diff("mounts", fmt(&stored.mounts), fmt(&requested.mounts));
    }
    if let Some(v) = requested.docker {
        diff("docker", show(&stored.docker.unwrap_or_default()), show(&v));
    }
    if let Some(v) = requested.credentials {
        diff(
            "credentials",
            show(&stored.credentials.unwrap_or_default()),
            show(&v),
        );
    }
    if let Some(v) = &requested.name {
        diff("name", stored.name.clone().unwrap_or_default(), v.clone());
    }
    let (sr, rr) = (&stored.resources, &requested.resources);
    if rr.cpus.is_some() {
        diff("cpus", show(&sr.cpus), show(&rr.cpus));
    }
    if rr.memory.is_some() {
        diff("memory", show(&sr.memory), show(&rr.memory));
    }
    if rr.pids.is_some() {
        diff("pids_limit", show(&sr.pids), show(&rr.pids));
    }
    if let Some(v) = requested.network {
        // A stored spec without a mode predates the proxy mode: it was created on the bridge.
        diff(
            "network",
            show(&stored.network.unwrap_or(NetworkMode::Bridge)),
            show(&v),
        );
    }
    if let Some(v) = &requested.network_policy {
        let json = |p: Option<&crate::model::network_policy::NetworkPolicy>| {
            serde_json::to_string(&p).unwrap_or_default()
        };
        diff(
            "network_policy",
            json(stored.network_policy.as_ref()),
            json(Some(v)),
        );
    }
    if let Some(v) = requested.git_guard {
        // Stored without it: made before the guard existed, so without it.
        diff(
            "git_guard",
            show(&stored.git_guard.unwrap_or(false)),
            show(&v),
        );
    }
    if let Some(v) = requested.workspace_mode {
        diff(
            "workspace_mode",
            stored.workspace_mode.unwrap_or_default().to_string(),
            v.to_string(),
        );
    }
    if !requested.writable.is_empty() {
        diff(
            "writable",
            show(&stored.writable),
            show(&requested.writable),
        );
    }
    if !requested.secrets.is_empty() {
        // Compared without the placeholders (made on create) and without the agent's own
        // keys added on create: what was asked for must be there, as asked.
        let words = |v: &[crate::model::secret::Secret]| {
            let mut w: Vec<String> = v
                .iter()
                .map(|s| {
                    format!(
                        "{} from {} to [{}] by {}",
                        s.name,
                        match &s.source {
                            crate::model::secret::SecretSource::Env(e) => format!("${e}"),
                            crate::model::secret::SecretSource::File(f) => f.display().to_string(),
                        },
                        s.hosts.join(","),
                        match s.effective_mode() {
                            crate::model::secret::SecretMode::Proxy => "proxy",
                            crate::model::secret::SecretMode::Env => "env",
                        }
                    )
                })
                .collect();
            w.sort();
            w
        };
        let asked = words(&requested.secrets);
        let have: Vec<String> = words(&stored.secrets)
            .into_iter()
            .filter(|w| {
                asked.contains(w)
                    || requested
                        .secrets
                        .iter()
                        .any(|s| w.starts_with(&format!("{} ", s.name)))
            })
            .collect();
        diff("secrets", have.join("; "), asked.join("; "));
    }
    if let Some(v) = requested.share_agent_config {
        diff(
            "share_agent_config",
            show(&stored.share_agent_config.unwrap_or(false)),
            show(&v),
        );
    }
    if let Some(v) = &requested.ca_bundle {
        diff("ca_bundle", show(&stored.ca_bundle), show(&Some(v.clone())));
    }
    if !requested.labels.is_empty() {
        diff("labels", show(&stored.labels), show(&requested.labels));
    }
    if let Some(v) = requested.ttl {
        diff("ttl", show(&stored.ttl), show(&Some(v)));
    }
    if let Some(v) = requested.idle_stop {
        diff("idle_stop", show(&stored.idle_stop), show(&Some(v)));
    }
    if !requested.ports.is_empty() {
        let words = |v: &[crate::PortMapping]| {
            let mut w: Vec<String> = v.iter().map(ToString::to_string).collect();
            w.sort();
            w.join(",")
        };
        diff("ports", words(&stored.ports), words(&requested.ports));
    }
    if changes.is_empty() {
        let mut effective = stored.clone();
        effective.agent = requested.agent.clone();
        Ok(effective)
    } else {
        Err(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NetworkMode, Shell};

    fn spec() -> SandboxSpec {
        SandboxSpec::new("/w", Shell)
    }

    #[test]
    fn unset_fields_inherit() {
        let mut stored = spec().resolved();
        stored.env.insert("A".into(), "1".into());
        stored.resources.cpus = Some(2.0);
        let eff = reconcile(&spec(), &stored).unwrap();
        assert_eq!(eff, stored);
    }

    #[test]
    fn each_change_is_listed() {
        let stored = spec().resolved();
        let mut req = spec();
        req.network = Some(NetworkMode::None);
        req.env.insert("API_TOKEN".into(), "s3cret".into());
        req.resources.memory = Some(1 << 30);
        let changes = reconcile(&req, &stored).unwrap_err();
        let fields: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["env.API_TOKEN", "memory", "network"]);
        assert!(!format!("{changes:?}").contains("s3cret"));
    }

    #[test]
    fn same_values_are_no_change() {
        let stored = spec().resolved();
        let mut req = spec();
        req.network = Some(NetworkMode::Proxy);
        req.docker = Some(crate::DockerAccess::None);
        req.template = Some(stored.template_image().to_string());
        reconcile(&req, &stored).unwrap();
    }
}
