//! `POST /containers/create`: the body decoded strictly into the engine's typed model (a
//! duplicate key or trailing data is refused; unknown keys, case variants of known ones and the
//! top-level HostConfig fields that 20.10 would honour are dropped, since only the re-serialized
//! model is forwarded), every field that would reach the host refused unless at its default,
//! and the rest rewritten into the sandbox's scope (owner label, network, engine socket, limits,
//! logging, ports). What needs the engine to decide (is that container or volume ours?) is
//! returned as [`Needs`] for the server to check before forwarding.

use std::collections::HashMap;

use bollard_stubs::models::{
    ContainerCreateBody, HostConfig, HostConfigLogConfig, MountType, MountVolumeOptions,
};

use super::mounts::{check_source, Bind, PROPAGATION_OK};
use super::refusal::Refusal;
use super::scope::{Scope, PORTS_LABEL};

/// What the server must still check with the engine before forwarding a create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Containers the new one refers to (volumes-from, links, `container:` modes): each must be
    /// the sandbox's.
    pub containers: Vec<String>,
    /// Named volumes it mounts: each must be the sandbox's, or new (then made with the label).
    pub volumes: Vec<String>,
    /// Networks it joins besides the sandbox's: each must be the sandbox's.
    pub networks: Vec<String>,
}

/// One port a child asked to publish: forwarded by the proxy on the sandbox's network.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortRequest {
    /// `80/tcp`.
    pub container: String,
    /// The port asked for (0: any).
    pub host: u16,
}

/// The default capabilities of a Docker container: asking for one of these again is harmless.
const DEFAULT_CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// Decodes a JSON body strictly into `T`: no duplicate keys (serde's derive refuses them), no
/// trailing data.
pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| {
        Refusal::bad_request(format!(
            "the {what} body is not accepted by docksandbox's scoped Docker access: {e}"
        ))
    })
}

/// Whether an optional list holds something.
fn nonempty<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_some_and(|v| !v.is_empty())
}

fn refuse(what: impl std::fmt::Display) -> Refusal {
    Refusal::forbidden(format!(
        "{what} is refused by docksandbox's scoped Docker access"
    ))
}

/// The normal form of a capability name (`sys_admin`, `CAP_SYS_ADMIN` → `SYS_ADMIN`).
pub fn normalize_cap(c: &str) -> String {
    let up = c.trim().to_ascii_uppercase();
    up.strip_prefix("CAP_").unwrap_or(&up).to_string()
}

/// Checks a namespace mode: empty, one of `allowed`, or `container:X` (X returned, to be owned).
fn ns_mode(
    field: &str,
    value: Option<&str>,
    allowed: &[&str],
    needs: &mut Needs,
) -> Result<(), Refusal> {
    let v = value.unwrap_or("");
    if v.is_empty() || allowed.contains(&v) {
        return Ok(());
    }
    if let Some(c) = v.strip_prefix("container:") {
        if c.is_empty() {
            return Err(Refusal::bad_request(format!(
                "{field} {v:?} names no container"
            )));
        }
        needs.containers.push(c.to_string());
        return Ok(());
    }
    Err(refuse(format!("{field} {v:?}")))
}

/// Checks the security options: only `no-new-privileges` (any spelling of true).
pub fn check_security_opt(opts: &[String]) -> Result<(), Refusal> {
    for o in opts {
        let ok = matches!(
            o.as_str(),
            "no-new-privileges" | "no-new-privileges=true" | "no-new-privileges:true"
        );
        if !ok {
            let shown: String = o.chars().take(60).collect();
            return Err(refuse(format!("security option {shown:?}")));
        }
    }
    Ok(())
}

/// The checks on `HostConfig` shared by create and update (resources) and create alone.
fn check_host(hc: &HostConfig, needs: &mut Needs) -> Result<(), Refusal> {
    if hc.privileged == Some(true) {
        return Err(refuse("a privileged container"));
    }
    for c in hc.cap_add.iter().flatten() {
        let n = normalize_cap(c);
        if !DEFAULT_CAPS.contains(&n.as_str()) {
            return Err(refuse(format!("adding capability {n}")));
        }
    }
    if hc.devices.as_ref().is_some_and(|d| !d.is_empty()) {
        return Err(refuse("a host device"));
    }
    if hc.device_requests.as_ref().is_some_and(|d| !d.is_empty()) {
        return Err(refuse("a device request (GPU)"));
    }
    if hc
        .device_cgroup_rules
        .as_ref()
        .is_some_and(|d| !d.is_empty())
    {
        return Err(refuse("a device cgroup rule"));
    }
    ns_mode("PidMode", hc.pid_mode.as_deref(), &[], needs)?;
    ns_mode(
        "IpcMode",
        hc.ipc_mode.as_deref(),
        &["none", "private", "shareable"],
        needs,
    )?;
    ns_mode("UTSMode", hc.uts_mode.as_deref(), &[], needs)?;
    ns_mode("UsernsMode", hc.userns_mode.as_deref(), &[], needs)?;
    ns_mode("Cgroup", hc.cgroup.as_deref(), &[], needs)?;
    if let Some(m) = &hc.cgroupns_mode {
        let s = m.to_string();
        if !(s.is_empty() || s == "private") {
            return Err(refuse(format!("CgroupnsMode {s:?}")));
        }
    }
    if hc.cgroup_parent.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(refuse("CgroupParent"));
    }
    if hc
        .runtime
        .as_deref()
        .is_some_and(|s| !s.is_empty() && s != "runc")
    {
        return Err(refuse(format!(
            "runtime {:?}",
            hc.runtime.as_deref().unwrap_or("")
        )));
    }
    if let Some(i) = &hc.isolation {
        let s = i.to_string();
        if !(s.is_empty() || s == "default") {
            return Err(refuse(format!("isolation {s:?}")));
        }
    }
    if hc
        .volume_driver
        .as_deref()
        .is_some_and(|s| !s.is_empty() && s != "local")
    {
        return Err(refuse("a volume driver other than local"));
    }
    check_security_opt(hc.security_opt.as_deref().unwrap_or_default())?;
    if hc.masked_paths.is_some() || hc.readonly_paths.is_some() {
        return Err(refuse("changing the masked or read-only system paths"));
    }
    for k in hc.sysctls.iter().flat_map(|s| s.keys()) {
        if !k.starts_with("net.") {
            return Err(refuse(format!("sysctl {k}")));
        }
    }
    if hc.oom_kill_disable == Some(true) {
        return Err(refuse("OomKillDisable"));
    }
    if hc.oom_score_adj.is_some_and(|v| v < 0) {
        return Err(refuse("a negative OomScoreAdj"));
    }
    if hc.cpu_realtime_period.is_some_and(|v| v != 0)
        || hc.cpu_realtime_runtime.is_some_and(|v| v != 0)
    {
        return Err(refuse("real-time CPU scheduling"));
    }
    if nonempty(&hc.blkio_weight_device)
        || nonempty(&hc.blkio_device_read_bps)
        || nonempty(&hc.blkio_device_write_bps)
        || nonempty(&hc.blkio_device_read_iops)
        || nonempty(&hc.blkio_device_write_iops)
    {
        return Err(refuse("a block device limit (names a host device)"));
    }
    if hc.storage_opt.as_ref().is_some_and(|s| !s.is_empty()) {
        return Err(refuse("StorageOpt"));
    }
    if hc.cpuset_cpus.as_deref().is_some_and(|s| !s.is_empty())
        || hc.cpuset_mems.as_deref().is_some_and(|s| !s.is_empty())
    {
        return Err(refuse("pinning to host CPUs or memory nodes (Cpuset)"));
    }
    if let Some(lc) = &hc.log_config {
        let t = lc.typ.as_deref().unwrap_or("");
        if !(t.is_empty() || t == "json-file" || t == "local") {
            return Err(refuse(format!(
                "log driver {t:?} (it makes the engine connect out from the host)"
            )));
        }
    }
    if hc.annotations.as_ref().is_some_and(|a| !a.is_empty()) {
        return Err(refuse("runtime annotations"));
    }
    for v in hc.volumes_from.iter().flatten() {
        let c = v.split(':').next().unwrap_or("");
        needs.containers.push(c.to_string());
    }
    for l in hc.links.iter().flatten() {
        let c = l.split(':').next().unwrap_or("").trim_start_matches('/');
        needs.containers.push(c.to_string());
    }
    Ok(())
}

/// Caps `value` at `cap` (unset means the cap).
fn capped(value: Option<i64>, cap: Option<i64>) -> Option<i64> {
    match (value, cap) {
        (v, None) => v,
        (Some(v), Some(c)) if v > 0 && v < c => Some(v),
        (_, Some(c)) => Some(c),
    }
}

/// Applies the scope's resource caps to `hc`.
pub fn cap_resources(hc: &mut HostConfig, scope: &Scope) {
    hc.memory = capped(hc.memory, scope.limits.memory);
    if let (Some(m), Some(swap)) = (hc.memory, hc.memory_swap) {
        if swap < 0 || swap > m {
            hc.memory_swap = Some(m);
        }
    }
    hc.nano_cpus = capped(hc.nano_cpus, scope.limits.nano_cpus);
    if scope.limits.nano_cpus.is_some() {
        // CPU quota is the other spelling of a CPU limit: leave only NanoCpus.
        hc.cpu_quota = None;
        hc.cpu_period = None;
    }
    hc.pids_limit = capped(hc.pids_limit, scope.limits.pids);
    if let Some(m) = scope.limits.memory {
        hc.shm_size = capped(hc.shm_size, Some(m.min(1 << 30)));
    }
}

/// Checks and rewrites a create body. Returns the body to forward and what the server must
/// still check.
///
/// ```
/// use docksandbox_proxy::engine_api::{create::check_create, scope::{Scope, Limits}};
/// let scope = Scope {
///     owner: "sb".into(), sandbox: "sb".into(), workspace: "/w".into(), network: "sb-net".into(),
///     socket_paths: vec!["/var/run/docker.sock".into()], proxy_socket: "/p/docker.sock".into(),
///     build_args: vec![], limits: Limits::default(), labels: vec![],
/// };
/// assert!(check_create(br#"{"Image":"a","HostConfig":{"Privileged":true}}"#, &scope).is_err());
/// let (body, _) = check_create(br#"{"Image":"a","Privileged":true}"#, &scope).unwrap();
/// assert_eq!(body.host_config.unwrap().privileged, None);
/// assert!(check_create(br#"{"Image":"a"}{"HostConfig":{"Privileged":true}}"#, &scope).is_err());
/// ```
pub fn check_create(body: &[u8], scope: &Scope) -> Result<(ContainerCreateBody, Needs), Refusal> {
    let mut c: ContainerCreateBody = decode(body, "container create")?;
    let mut needs = Needs::default();
    let mut hc = c.host_config.take().unwrap_or_default();
    check_host(&hc, &mut needs)?;

    // Binds: host paths inside the workspace (or the engine socket, rewritten); volumes named.
    let mut binds = Vec::new();
    for b in hc.binds.take().unwrap_or_default() {
        let mut bind = Bind::parse(&b)?;
        bind.check_options()?;
        if bind.is_host_path() {
            if scope.socket_paths.contains(&bind.source) {
                bind.source = scope.proxy_socket.clone();
            } else {
                check_source(&scope.workspace, &bind.source)?;
            }
        } else if !bind.source.is_empty() {
            needs.volumes.push(bind.source.clone());
        }
        binds.push(bind.render());
    }
    if !binds.is_empty() {
        hc.binds = Some(binds);
    }
    for m in hc.mounts.iter_mut().flatten() {
        let source = m.source.clone().unwrap_or_default();
        match m.typ {
            Some(MountType::BIND) => {
                let prop = m
                    .bind_options
                    .as_ref()
                    .and_then(|o| o.propagation)
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                if !PROPAGATION_OK.contains(&prop.as_str()) {
                    return Err(refuse(format!("bind propagation {prop:?}")));
                }
                if scope.socket_paths.contains(&source) {
                    m.source = Some(scope.proxy_socket.clone());
                } else {
                    check_source(&scope.workspace, &source)?;
                }
            }
            Some(MountType::VOLUME) => {
                if let Some(MountVolumeOptions {
                    driver_config: Some(dc),
                    ..
                }) = &m.volume_options
                {
                    let named = dc
                        .name
                        .as_deref()
                        .is_some_and(|n| !n.is_empty() && n != "local");
                    if named || dc.options.as_ref().is_some_and(|o| !o.is_empty()) {
                        return Err(refuse("a volume mount with driver options"));
                    }
                }
                if let Some(vo) = m.volume_options.as_mut() {
                    vo.driver_config = None;
                    if vo.subpath.as_deref().is_some_and(|s| !s.is_empty()) {
                        return Err(refuse("a volume subpath"));
                    }
                }
                if !source.is_empty() {
                    needs.volumes.push(source);
                }
            }
            Some(MountType::TMPFS) => {}
            other => return Err(refuse(format!("a mount of type {other:?}"))),
        }
    }

    // Networks: the default one is the sandbox's; others must be the sandbox's own.
    let mode = hc.network_mode.clone().unwrap_or_default();
    let mode = match mode.as_str() {
        "" | "default" | "bridge" => scope.network.clone(),
        "host" => return Err(refuse("NetworkMode host")),
        m if m.starts_with("container:") => {
            ns_mode("NetworkMode", Some(m), &[], &mut needs)?;
            m.to_string()
        }
        "none" => "none".into(),
        other => {
            if other != scope.network {
                needs.networks.push(other.to_string());
            }
            other.to_string()
        }
    };
    hc.network_mode = Some(mode.clone());
    if let Some(nc) = c.networking_config.as_mut() {
        if let Some(eps) = nc.endpoints_config.take() {
            let mut out = HashMap::new();
            for (name, ep) in eps {
                let name = match name.as_str() {
                    "bridge" | "default" | "" => scope.network.clone(),
                    _ => name,
                };
                if ep.driver_opts.as_ref().is_some_and(|o| !o.is_empty()) {
                    return Err(refuse("endpoint driver options"));
                }
                if ep.links.as_ref().is_some_and(|l| !l.is_empty()) {
                    return Err(refuse("endpoint links"));
                }
                if name != scope.network && name != mode {
                    needs.networks.push(name.clone());
                }
                out.insert(name, ep);
            }
            nc.endpoints_config = Some(out);
        }
    }

    // Ports: never published by the engine; recorded for the proxy to forward on the sandbox's
    // network (HostIp is ignored: nothing listens on the host).
    let mut ports = Vec::new();
    for (container, bindings) in hc.port_bindings.take().unwrap_or_default() {
        let list = bindings.unwrap_or_default();
        if list.is_empty() {
            ports.push(PortRequest {
                container: container.clone(),
                host: 0,
            });
        }
        for b in list {
            let host = match b.host_port.as_deref().unwrap_or("") {
                "" => 0,
                p => p.parse::<u16>().map_err(|_| {
                    Refusal::bad_request(format!("host port {p:?} of {container} is not a port"))
                })?,
            };
            ports.push(PortRequest {
                container: container.clone(),
                host,
            });
        }
    }
    if hc.publish_all_ports.take() == Some(true) {
        for p in c.exposed_ports.iter().flatten() {
            if !ports.iter().any(|r| r.container == *p) {
                ports.push(PortRequest {
                    container: p.clone(),
                    host: 0,
                });
            }
        }
    }
    ports.retain(|p| p.container.ends_with("/tcp") || !p.container.contains('/'));

    // Limits and logging.
    cap_resources(&mut hc, scope);
    hc.log_config = Some(HostConfigLogConfig {
        typ: Some("json-file".into()),
        config: Some(HashMap::from([("max-size".to_string(), "10m".to_string())])),
    });
    hc.container_id_file = None;

    let mut labels = scope.label(c.labels.take());
    if !ports.is_empty() {
        labels.insert(
            PORTS_LABEL.to_string(),
            serde_json::to_string(&ports).unwrap_or_default(),
        );
    }
    c.labels = Some(labels);
    c.host_config = Some(hc);
    Ok((c, needs))
}

/// The bind sources of an existing container (from its inspect), re-checked at start: a
/// directory swapped for a symlink since create is refused then.
pub fn check_existing(
    binds: &[String],
    mounts: &[(String, String)],
    scope: &Scope,
) -> Result<(), Refusal> {
    for b in binds {
        let bind = Bind::parse(b)?;
        if bind.is_host_path() && bind.source != scope.proxy_socket {
            check_source(&scope.workspace, &bind.source)?;
        }
    }
    for (typ, source) in mounts {
        if typ == "bind" && *source != scope.proxy_socket {
            check_source(&scope.workspace, source)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine_api::scope::Limits;

    fn scope(w: &std::path::Path) -> Scope {
        Scope {
            owner: "sb".into(),
            sandbox: "sb".into(),
            workspace: w.to_path_buf(),
            network: "sb-net".into(),
            socket_paths: vec!["/var/run/docker.sock".into(), "/run/docker.sock".into()],
            proxy_socket: "/var/lib/docker/volumes/sb-docker/_data/docker.sock".into(),
            build_args: vec![],
            limits: Limits {
                memory: Some(1 << 30),
                nano_cpus: Some(2_000_000_000),
                pids: Some(512),
            },
            labels: vec![],
        }
    }

    fn refused(body: &str, w: &std::path::Path) -> bool {
        check_create(body.as_bytes(), &scope(w)).is_err()
    }

    #[test]
    fn refuses_the_reference_attacks() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().canonicalize().unwrap();
        let wd = w.display();
        std::os::unix::fs::symlink("/", w.join("lnk")).unwrap();
        for body in [
            r#"{"Image":"a","HostConfig":{"Binds":["/:/h"]}}"#.to_string(),
            r#"{"Image":"a","HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]}}"#.into(),
            format!(r#"{{"Image":"a","HostConfig":{{"Binds":["{wd}/../../etc:/e"]}}}}"#),
            format!(r#"{{"Image":"a","HostConfig":{{"Binds":["{wd}/lnk:/e"]}}}}"#),
            r#"{"Image":"a","HostConfig":{"Mounts":[{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"device":"/etc","o":"bind","type":"none"}}}}]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"Privileged":true}}"#.into(),
            r#"{"Image":"a","HostConfig":{"Privileged":false,"Privileged":true}}"#.into(),
            r#"{"Image":"a","HostConfig":{"CapAdd":["sys_admin"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"CapAdd":["ALL"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"CapAdd":"SYS_ADMIN"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"Devices":[{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"DeviceCgroupRules":["a *:* rwm"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"DeviceRequests":[{"Count":-1,"Capabilities":[["gpu"]]}]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"PidMode":"host"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"IpcMode":"host"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"UTSMode":"host"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"UsernsMode":"host"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"CgroupnsMode":"host"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"NetworkMode":"host"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"SecurityOpt":["seccomp=unconfined"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"SecurityOpt":["seccomp:unconfined"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"SecurityOpt":["apparmor=unconfined"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"SecurityOpt":["label=disable"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"SecurityOpt":["disable"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"SecurityOpt":["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"MaskedPaths":[]}}"#.into(),
            r#"{"Image":"a","HostConfig":{"Sysctls":{"kernel.core_pattern":"|/x"}}}"#.into(),
            r#"{"Image":"a","HostConfig":{"CgroupParent":"/"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"Runtime":"nvidia"}}"#.into(),
            r#"{"Image":"a","HostConfig":{"LogConfig":{"Type":"syslog","Config":{"syslog-address":"udp://169.254.169.254:514"}}}}"#.into(),
            r#"{"Image":"a","HostConfig":{"OomKillDisable":true}}"#.into(),
            r#"{"Image":"a","HostConfig":{"OomScoreAdj":-1000}}"#.into(),
            format!(r#"{{"Image":"a","HostConfig":{{"Binds":["{wd}/x:/x:rshared"]}}}}"#),
            r#"{"Image":"a"}{"HostConfig":{"Privileged":true}}"#.into(),
            r#"{"Image":"a","HostConfig":{"Binds":["/etc:/e"]},"x":1} trailing"#.into(),
        ] {
            assert!(refused(&body, &w), "accepted: {body}");
        }
    }

    #[test]
    fn neutralizes_case_variants_top_level_fields_and_spoofed_labels() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().canonicalize().unwrap();
        let s = scope(&w);
        for body in [
            r#"{"Image":"a","Privileged":true,"Binds":["/:/h"]}"#,
            r#"{"Image":"a","hostconfig":{"privileged":true}}"#,
            r#"{"Image":"a","HostConfig":{"privileged":true,"binds":["/:/h"]}}"#,
        ] {
            let (c, _) = check_create(body.as_bytes(), &s).unwrap();
            let json = serde_json::to_string(&c).unwrap();
            assert!(!json.to_lowercase().contains("privileged\":true"), "{json}");
            assert!(!json.contains("/:/h"), "{json}");
        }
        let (c, _) = check_create(
            br#"{"Image":"a","Labels":{"io.docksandbox.owner":"other","x":"y"}}"#,
            &s,
        )
        .unwrap();
        let l = c.labels.unwrap();
        assert_eq!(l["io.docksandbox.owner"], "sb");
        assert_eq!(l["x"], "y");
    }

    #[test]
    fn rewrites_network_socket_ports_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().canonicalize().unwrap();
        let s = scope(&w);
        let body = format!(
            r#"{{"Image":"a","ExposedPorts":{{"80/tcp":{{}}}},"HostConfig":{{"Binds":["{}:/app","/var/run/docker.sock:/var/run/docker.sock","cache:/c"],"PortBindings":{{"80/tcp":[{{"HostIp":"0.0.0.0","HostPort":"8080"}}]}},"Memory":8589934592}}}}"#,
            w.display()
        );
        let (c, needs) = check_create(body.as_bytes(), &s).unwrap();
        let hc = c.host_config.clone().unwrap();
        assert_eq!(hc.network_mode.as_deref(), Some("sb-net"));
        assert!(hc.port_bindings.is_none());
        let binds = hc.binds.unwrap();
        assert_eq!(binds[1], format!("{}:/var/run/docker.sock", s.proxy_socket));
        assert_eq!(needs.volumes, vec!["cache".to_string()]);
        assert_eq!(hc.memory, Some(1 << 30));
        assert_eq!(hc.pids_limit, Some(512));
        let ports: Vec<PortRequest> =
            serde_json::from_str(&c.labels.unwrap()[PORTS_LABEL]).unwrap();
        assert_eq!(
            ports,
            vec![PortRequest {
                container: "80/tcp".into(),
                host: 8080
            }]
        );
    }

    #[test]
    fn foreign_references_become_needs() {
        let dir = tempfile::tempdir().unwrap();
        let s = scope(dir.path());
        let (_, n) = check_create(
            br#"{"Image":"a","HostConfig":{"VolumesFrom":["F:ro"],"Links":["/F2:db"],"PidMode":"container:F3","NetworkMode":"container:F4"}}"#,
            &s,
        )
        .unwrap();
        assert_eq!(n.containers, vec!["F3", "F", "F2", "F4"]);
    }
}
