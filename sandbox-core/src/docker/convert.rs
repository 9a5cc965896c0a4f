//! Conversions between docksandbox's backend types and the Engine API models.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, EndpointSettings, HostConfig,
    HostConfigCgroupnsModeEnum, HostConfigLogConfig, Mount, MountBindOptions, MountType,
    NetworkingConfig, RestartPolicy, RestartPolicyNameEnum,
};

use crate::backend::{
    ContainerConfig, ContainerDetails, ContainerSummary, MountKind, MountRequest, SandboxStatus,
    SecuritySettings,
};

pub(crate) fn create_body(c: &ContainerConfig) -> ContainerCreateBody {
    let mounts = c
        .mounts
        .iter()
        .map(|m| Mount {
            target: Some(m.target.clone()),
            source: Some(m.source.clone()),
            typ: Some(match m.kind {
                MountKind::Volume => MountType::VOLUME,
                _ => MountType::BIND,
            }),
            read_only: Some(m.read_only),
            bind_options: (m.kind == MountKind::Bind).then(|| MountBindOptions {
                create_mountpoint: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let s = &c.security;
    let host_config = HostConfig {
        mounts: Some(mounts),
        privileged: Some(s.privileged),
        cap_drop: Some(s.cap_drop.clone()),
        cap_add: (!s.cap_add.is_empty()).then(|| s.cap_add.clone()),
        init: Some(s.init),
        cgroupns_mode: Some(HostConfigCgroupnsModeEnum::PRIVATE),
        pids_limit: s.pids_limit,
        security_opt: (!s.security_opt.is_empty()).then(|| s.security_opt.clone()),
        readonly_rootfs: Some(s.readonly_rootfs),
        nano_cpus: c.cpus.map(|n| (n * 1e9).round() as i64),
        memory: c.memory.map(|m| m as i64),
        memory_swap: c.memory.map(|m| m as i64),
        network_mode: Some(c.network.clone()),
        dns: (!c.dns.is_empty()).then(|| c.dns.clone()),
        sysctls: (!c.sysctls.is_empty()).then(|| c.sysctls.clone()),
        restart_policy: c.restart_unless_stopped.then_some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
            maximum_retry_count: None,
        }),
        group_add: (!c.group_add.is_empty()).then(|| c.group_add.clone()),
        port_bindings: (!c.ports.is_empty()).then(|| {
            let mut map: bollard::models::PortMap = HashMap::new();
            for p in &c.ports {
                map.entry(p.container_key())
                    .or_insert_with(|| Some(Vec::new()))
                    .get_or_insert_with(Vec::new)
                    .push(bollard::models::PortBinding {
                        host_ip: Some(p.host_ip.to_string()),
                        host_port: Some(if p.host_port == 0 {
                            String::new()
                        } else {
                            p.host_port.to_string()
                        }),
                    });
            }
            map
        }),
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".into()),
            config: Some(HashMap::from([
                ("max-size".to_string(), "1m".to_string()),
                ("max-file".to_string(), "2".to_string()),
            ])),
        }),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(c.image.clone()),
        labels: Some(c.labels.clone()),
        env: Some(c.env.clone()),
        entrypoint: Some(c.entrypoint.clone()),
        cmd: Some(Vec::new()),
        user: Some(c.user.clone()),
        working_dir: Some(c.working_dir.clone()),
        attach_stdin: Some(false),
        attach_stdout: Some(false),
        attach_stderr: Some(false),
        tty: Some(false),
        exposed_ports: (!c.ports.is_empty())
            .then(|| c.ports.iter().map(|p| p.container_key()).collect()),
        host_config: Some(host_config),
        networking_config: (!c.network_aliases.is_empty()).then(|| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                c.network.clone(),
                EndpointSettings {
                    aliases: Some(c.network_aliases.clone()),
                    ..Default::default()
                },
            )])),
        }),
        ..Default::default()
    }
}

/// The published ports of a listing's entry.
fn listed_ports(
    ports: Vec<bollard::models::PortSummary>,
) -> Vec<crate::model::port::PublishedPort> {
    use crate::model::port::{PortProtocol, PublishedPort};
    let mut out: Vec<PublishedPort> = ports
        .into_iter()
        .filter_map(|p| {
            Some(PublishedPort {
                container_port: p.private_port,
                protocol: match p.typ.map(|t| t.to_string()).as_deref() {
                    Some("udp") => PortProtocol::Udp,
                    Some("tcp") | None => PortProtocol::Tcp,
                    _ => return None,
                },
                host_ip: p.ip.as_deref()?.parse().ok()?,
                host_port: p.public_port?,
                forwarded: false,
            })
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

pub(crate) fn summary(s: bollard::models::ContainerSummary) -> ContainerSummary {
    ContainerSummary {
        id: s.id.unwrap_or_default(),
        name: s
            .names
            .and_then(|n| n.into_iter().next())
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_default(),
        image: s.image.unwrap_or_default(),
        labels: s.labels.unwrap_or_default(),
        status: s
            .state
            .map(|st| SandboxStatus::from_engine(st.as_ref()))
            .unwrap_or(SandboxStatus::Unknown),
        created: s.created.unwrap_or_default(),
        ports: listed_ports(s.ports.unwrap_or_default()),
    }
}

fn rfc3339_seconds(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

pub(crate) fn details(r: ContainerInspectResponse) -> ContainerDetails {
    let hc = r.host_config.unwrap_or_default();
    let config = r.config.unwrap_or_default();
    let state = r.state.unwrap_or_default();
    let mounts = r
        .mounts
        .unwrap_or_default()
        .into_iter()
        .map(|m| MountRequest {
            kind: match m.typ.as_deref() {
                Some("bind") => MountKind::Bind,
                Some("volume") => MountKind::Volume,
                _ => MountKind::Other,
            },
            source: if m.typ.as_deref() == Some("volume") {
                m.name.unwrap_or_default()
            } else {
                m.source.unwrap_or_default()
            },
            target: m.destination.unwrap_or_default(),
            read_only: !m.rw.unwrap_or(true),
        })
        .collect();
    let mut host_namespaces = Vec::new();
    for (ns, mode) in [
        ("pid", &hc.pid_mode),
        ("ipc", &hc.ipc_mode),
        ("uts", &hc.uts_mode),
        ("userns", &hc.userns_mode),
        ("cgroup", &hc.cgroupns_mode.as_ref().map(|c| c.to_string())),
        ("net", &hc.network_mode),
    ] {
        if mode.as_deref() == Some("host") {
            host_namespaces.push(ns.to_string());
        }
    }
    let security = SecuritySettings {
        privileged: hc.privileged.unwrap_or(false),
        cap_drop: hc.cap_drop.unwrap_or_default(),
        cap_add: hc.cap_add.unwrap_or_default(),
        init: hc.init.unwrap_or(false),
        pids_limit: hc.pids_limit.filter(|p| *p > 0),
        security_opt: hc.security_opt.unwrap_or_default(),
        readonly_rootfs: hc.readonly_rootfs.unwrap_or(false),
        host_namespaces,
    };
    let created = r.created.map(|t| t.unix_timestamp()).unwrap_or_default();
    let ports = published(r.network_settings.and_then(|n| n.ports));
    ContainerDetails {
        summary: ContainerSummary {
            id: r.id.unwrap_or_default(),
            name: r
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: config.image.unwrap_or_default(),
            labels: config.labels.unwrap_or_default(),
            status: state
                .status
                .map(|s| SandboxStatus::from_engine(s.as_ref()))
                .unwrap_or(SandboxStatus::Unknown),
            created,
            ports: ports.clone(),
        },
        started_at: state.started_at.filter(|s| !s.starts_with("0001-")),
        mounts,
        security,
        network_mode: hc.network_mode.unwrap_or_default(),
        cpus: hc.nano_cpus.filter(|n| *n > 0).map(|n| n as f64 / 1e9),
        memory: hc.memory.filter(|m| *m > 0).map(|m| m as u64),
        group_add: hc.group_add.unwrap_or_default(),
        ports,
    }
}

/// The published ports of an inspect answer (`{"3000/tcp": [{"HostIp": …, "HostPort": …}]}`).
fn published(map: Option<bollard::models::PortMap>) -> Vec<crate::model::port::PublishedPort> {
    use crate::model::port::{PortProtocol, PublishedPort};
    let mut out = Vec::new();
    for (key, bindings) in map.unwrap_or_default() {
        let (port, proto) = key.split_once('/').unwrap_or((&key, "tcp"));
        let (Ok(container_port), Some(protocol)) = (
            port.parse(),
            match proto {
                "tcp" => Some(PortProtocol::Tcp),
                "udp" => Some(PortProtocol::Udp),
                _ => None,
            },
        ) else {
            continue;
        };
        for b in bindings.unwrap_or_default() {
            let (Some(ip), Some(hp)) = (
                b.host_ip.as_deref().and_then(|i| i.parse().ok()),
                b.host_port.as_deref().and_then(|p| p.parse().ok()),
            ) else {
                continue;
            };
            out.push(PublishedPort {
                container_port,
                protocol,
                host_ip: ip,
                host_port: hp,
                forwarded: false,
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A stats answer as [`crate::backend::ResourceUsage`], computed as `docker stats` does.
pub(crate) fn usage(r: bollard::models::ContainerStatsResponse) -> crate::backend::ResourceUsage {
    let cpu = r.cpu_stats.unwrap_or_default();
    let pre = r.precpu_stats.unwrap_or_default();
    let total = |c: &bollard::models::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or_default()
    };
    let cpu_delta = total(&cpu).saturating_sub(total(&pre)) as f64;
    let system_delta = cpu
        .system_cpu_usage
        .unwrap_or_default()
        .saturating_sub(pre.system_cpu_usage.unwrap_or_default()) as f64;
    let cpus = cpu.online_cpus.map(f64::from).unwrap_or_else(|| {
        cpu.cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map(|v| v.len() as f64)
            .unwrap_or(1.0)
    });
    let cpu_percent = if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    };
    let mem = r.memory_stats.unwrap_or_default();
    let stats = mem.stats.unwrap_or_default();
    // cgroup v1 counts the page cache as `total_inactive_file`, v2 as `inactive_file`.
    let cache = stats
        .get("total_inactive_file")
        .or_else(|| stats.get("inactive_file"))
        .copied()
        .unwrap_or_default();
    let pids = r.pids_stats.unwrap_or_default();
    let (mut rx, mut tx) = (0, 0);
    for n in r.networks.unwrap_or_default().values() {
        rx += n.rx_bytes.unwrap_or_default();
        tx += n.tx_bytes.unwrap_or_default();
    }
    crate::backend::ResourceUsage {
        cpu_percent,
        memory_bytes: mem.usage.unwrap_or_default().saturating_sub(cache),
        memory_limit: mem.limit.filter(|l| *l > 0),
        memory_peak: mem.max_usage.filter(|m| *m > 0),
        pids: pids.current.unwrap_or_default(),
        pids_limit: pids.limit.filter(|l| *l > 0 && *l < u64::MAX / 2),
        net_rx_bytes: rx,
        net_tx_bytes: tx,
    }
}

/// `since` for the logs endpoint, for output printed after a container's start at `rfc3339`.
///
/// The engine stamps `StartedAt` only after the process runs, so under load the first lines
/// can carry an earlier time (even an earlier second): look two seconds further back.
pub(crate) fn since_seconds(rfc3339: &str) -> i32 {
    rfc3339_seconds(rfc3339)
        .and_then(|s| i32::try_from(s - 2).ok())
        .unwrap_or(0)
        .max(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::since_seconds("1970-01-01T00:00:00Z"), 0);
        assert_eq!(
            super::since_seconds("2026-11-26T22:26:27.123456789Z"),
            1_795_731_985
        );
        assert_eq!(super::since_seconds("garbage"), 0);
    }
}
