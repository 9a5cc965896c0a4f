//! The other bodies and queries the proxy decides: exec instances, networks, volumes, builds,
//! container updates.

use std::collections::HashMap;

use bollard_stubs::models::{
    ContainerUpdateBody, ExecConfig, NetworkCreateRequest, VolumeCreateRequest,
};

use super::create::decode;
use super::query::Query;
use super::refusal::Refusal;
use super::scope::Scope;

/// Whether an optional list holds something.
fn nonempty<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_some_and(|v| !v.is_empty())
}

fn refuse(what: impl std::fmt::Display) -> Refusal {
    Refusal::forbidden(format!(
        "{what} is refused by docksandbox's scoped Docker access"
    ))
}

/// `POST /containers/{id}/exec`: never privileged (a privileged exec gets every capability).
///
/// ```
/// use docksandbox_proxy::engine_api::objects::check_exec;
/// assert!(check_exec(br#"{"Cmd":["sh"],"Privileged":true}"#).is_err());
/// assert!(check_exec(br#"{"Cmd":["sh"]}"#).is_ok());
/// ```
pub fn check_exec(body: &[u8]) -> Result<ExecConfig, Refusal> {
    let e: ExecConfig = decode(body, "exec create")?;
    if e.privileged == Some(true) {
        return Err(refuse("a privileged exec"));
    }
    Ok(e)
}

/// The engine option that keeps the host's address off a bridge network (so children cannot
/// reach host services on the gateway).
pub const INHIBIT_IPV4: &str = "com.docker.network.bridge.inhibit_ipv4";

/// `POST /networks/create`: bridge only, no options, IPAM or ingress; made internal (no route
/// out: children reach the outside only through the sandbox's network and its proxy) with no
/// host address, and labelled.
///
/// ```
/// use docksandbox_proxy::engine_api::{objects::check_network, scope::*};
/// # let scope = Scope { owner: "sb".into(), sandbox: "sb".into(), workspace: "/w".into(), network: "n".into(),
/// #   socket_paths: vec![], proxy_socket: String::new(), build_args: vec![], limits: Limits::default(), labels: vec![] };
/// assert!(check_network(br#"{"Name":"t","Driver":"macvlan","Options":{"parent":"eth0"}}"#, &scope).is_err());
/// assert!(check_network(br#"{"Name":"t","Options":{"com.docker.network.bridge.name":"docker0"}}"#, &scope).is_err());
/// let n = check_network(br#"{"Name":"t"}"#, &scope).unwrap();
/// assert_eq!(n.internal, Some(true));
/// ```
pub fn check_network(body: &[u8], scope: &Scope) -> Result<NetworkCreateRequest, Refusal> {
    let mut n: NetworkCreateRequest = decode(body, "network create")?;
    match n.driver.as_deref().unwrap_or("") {
        "" | "bridge" => {}
        d => return Err(refuse(format!("network driver {d:?}"))),
    }
    if n.options.as_ref().is_some_and(|o| !o.is_empty()) {
        return Err(refuse("network options"));
    }
    if let Some(ipam) = &n.ipam {
        let driver_ok = matches!(ipam.driver.as_deref(), None | Some("") | Some("default"));
        let config_empty = ipam.config.as_ref().is_none_or(|c| c.is_empty());
        let options_empty = ipam.options.as_ref().is_none_or(|o| o.is_empty());
        if !(driver_ok && config_empty && options_empty) {
            return Err(refuse("network IPAM settings"));
        }
    }
    if n.ingress == Some(true) || n.config_from.is_some() || n.config_only == Some(true) {
        return Err(refuse("ingress or config networks"));
    }
    if n.scope
        .as_deref()
        .is_some_and(|s| !s.is_empty() && s != "local")
    {
        return Err(refuse("a network scope other than local"));
    }
    n.driver = Some("bridge".into());
    n.internal = Some(true);
    n.enable_ipv6 = Some(false);
    n.ipam = None;
    n.options = Some(HashMap::from([(
        INHIBIT_IPV4.to_string(),
        "true".to_string(),
    )]));
    n.labels = Some(scope.label(n.labels.take()));
    Ok(n)
}

/// `POST /volumes/create`: the local driver without options (`device=` would mount a host
/// path or device), labelled.
///
/// ```
/// use docksandbox_proxy::engine_api::{objects::check_volume, scope::*};
/// # let scope = Scope { owner: "sb".into(), sandbox: "sb".into(), workspace: "/w".into(), network: "n".into(),
/// #   socket_paths: vec![], proxy_socket: String::new(), build_args: vec![], limits: Limits::default(), labels: vec![] };
/// assert!(check_volume(br#"{"Name":"v","DriverOpts":{"type":"none","o":"bind","device":"/"}}"#, &scope).is_err());
/// assert!(check_volume(br#"{"Name":"v"}"#, &scope).is_ok());
/// ```
pub fn check_volume(body: &[u8], scope: &Scope) -> Result<VolumeCreateRequest, Refusal> {
    let mut v: VolumeCreateRequest = decode(body, "volume create")?;
    match v.driver.as_deref().unwrap_or("") {
        "" | "local" => {}
        d => return Err(refuse(format!("volume driver {d:?}"))),
    }
    if v.driver_opts.as_ref().is_some_and(|o| !o.is_empty()) {
        return Err(refuse("volume driver options"));
    }
    if v.cluster_volume_spec.is_some() {
        return Err(refuse("cluster volumes"));
    }
    v.driver = Some("local".into());
    v.labels = Some(scope.label(v.labels.take()));
    Ok(v)
}

/// A new volume's body, for a named volume a create mounts before it exists.
pub fn new_volume(name: &str, scope: &Scope) -> VolumeCreateRequest {
    VolumeCreateRequest {
        name: Some(name.to_string()),
        driver: Some("local".into()),
        labels: Some(scope.label(None)),
        ..Default::default()
    }
}

/// `POST /containers/{id}/update`: resources only, capped like a create.
pub fn check_update(body: &[u8], scope: &Scope) -> Result<ContainerUpdateBody, Refusal> {
    let mut u: ContainerUpdateBody = decode(body, "container update")?;
    if nonempty(&u.devices)
        || nonempty(&u.device_cgroup_rules)
        || nonempty(&u.device_requests)
        || nonempty(&u.blkio_weight_device)
        || nonempty(&u.blkio_device_read_bps)
        || nonempty(&u.blkio_device_write_bps)
        || nonempty(&u.blkio_device_read_iops)
        || nonempty(&u.blkio_device_write_iops)
        || u.cgroup_parent.as_deref().is_some_and(|s| !s.is_empty())
        || u.cpuset_cpus.as_deref().is_some_and(|s| !s.is_empty())
        || u.cpuset_mems.as_deref().is_some_and(|s| !s.is_empty())
        || u.oom_kill_disable == Some(true)
        || u.cpu_realtime_period.is_some_and(|v| v != 0)
        || u.cpu_realtime_runtime.is_some_and(|v| v != 0)
    {
        return Err(refuse("this container update"));
    }
    let cap = |v: Option<i64>, c: Option<i64>| match (v, c) {
        (Some(v), Some(c)) if v <= 0 || v > c => Some(c),
        (v, _) => v,
    };
    u.memory = cap(u.memory, scope.limits.memory);
    u.nano_cpus = cap(u.nano_cpus, scope.limits.nano_cpus);
    u.pids_limit = cap(u.pids_limit, scope.limits.pids);
    if scope.limits.nano_cpus.is_some() {
        u.cpu_quota = None;
        u.cpu_period = None;
    }
    if let (Some(m), Some(s)) = (u.memory, u.memory_swap) {
        if s < 0 || s > m {
            u.memory_swap = Some(m);
        }
    }
    Ok(u)
}

/// `POST /build`'s query: no host or foreign network, remote context, cgroup parent,
/// isolation or outputs; the build's network is the sandbox's (so its `RUN` steps obey the
/// sandbox's network policy, with its proxy variables as build arguments); labelled. Returns the
/// tags (`t`), which the server checks are not another's images.
///
/// ```
/// use docksandbox_proxy::engine_api::{objects::check_build, query::Query, scope::*};
/// # let scope = Scope { owner: "sb".into(), sandbox: "sb".into(), workspace: "/w".into(), network: "n".into(),
/// #   socket_paths: vec![], proxy_socket: String::new(), build_args: vec![], limits: Limits::default(), labels: vec![] };
/// for q in ["networkmode=host", "remote=http://169.254.169.254/", "cgroupparent=/", "networkmode=container:F"] {
///     assert!(check_build(&mut Query::parse(Some(q)).unwrap(), &scope).is_err(), "{q}");
/// }
/// let mut q = Query::parse(Some("t=app")).unwrap();
/// assert_eq!(check_build(&mut q, &scope).unwrap(), vec!["app".to_string()]);
/// assert_eq!(q.get("networkmode"), Some("n"));
/// ```
pub fn check_build(q: &mut Query, scope: &Scope) -> Result<Vec<String>, Refusal> {
    let mode = q.get("networkmode").unwrap_or("").to_string();
    let buildkit = q.get("version") == Some("2");
    match mode.as_str() {
        "" | "default" | "bridge" => {}
        "none" => {}
        m if m == scope.network => {}
        m => return Err(refuse(format!("a build with network {m:?}"))),
    }
    if mode != "none" {
        if buildkit && scope.network != "none" {
            return Err(refuse(
                "a BuildKit build with a network (BuildKit cannot use the sandbox's network; set DOCKER_BUILDKIT=0 or build with --network none)",
            ));
        }
        q.set("networkmode", scope.network.clone());
    }
    // BuildKit reads the context through the client's session (`remote=client-session`); any
    // other remote context makes the engine fetch a URL from the host.
    if buildkit && q.get("remote") == Some("client-session") {
        if q.get("session").is_none_or(str::is_empty) {
            return Err(Refusal::bad_request("a BuildKit build needs its session"));
        }
    } else if q.get("remote").is_some_and(|v| !v.is_empty()) {
        return Err(refuse("a build with remote"));
    }
    for key in [
        "cgroupparent",
        "isolation",
        "outputs",
        "cpusetcpus",
        "cpusetmems",
    ] {
        if q.get(key).is_some_and(|v| !v.is_empty() && v != "default") {
            return Err(refuse(format!("a build with {key}")));
        }
    }
    if q.get("extrahosts")
        .is_some_and(|v| v.contains("host-gateway"))
    {
        return Err(refuse("a build with a host-gateway host"));
    }
    let mut labels: HashMap<String, String> = match q.get("labels") {
        None | Some("") => HashMap::new(),
        Some(raw) => serde_json::from_str(raw).map_err(|e| {
            Refusal::bad_request(format!("build labels are not a JSON object: {e}"))
        })?,
    };
    labels = scope.label(Some(std::mem::take(&mut labels)));
    q.set(
        "labels",
        serde_json::to_string(&labels).unwrap_or_else(|_| "{}".into()),
    );
    if !scope.build_args.is_empty() {
        let mut args: HashMap<String, Option<String>> = match q.get("buildargs") {
            None | Some("") => HashMap::new(),
            Some(raw) => serde_json::from_str(raw).map_err(|e| {
                Refusal::bad_request(format!("build arguments are not a JSON object: {e}"))
            })?,
        };
        for (k, v) in &scope.build_args {
            args.entry(k.clone()).or_insert_with(|| Some(v.clone()));
        }
        q.set(
            "buildargs",
            serde_json::to_string(&args).unwrap_or_else(|_| "{}".into()),
        );
    }
    Ok(q.all("t").into_iter().map(str::to_string).collect())
}
