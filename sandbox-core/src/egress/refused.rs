//! The addresses a sandbox's proxy must refuse on top of its built-in table: the engine's
//! gateways, and, when the engine runs on this host, every address of this host (a service
//! bound to 0.0.0.0 answers on each of them).

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

use crate::backend::Backend;
use crate::error::Result;

/// The engine's gateways and (for a local engine) this host's own addresses, as /32 and /128.
pub(crate) async fn refused(backend: &dyn Backend) -> Result<Vec<IpNet>> {
    let mut addrs = backend.gateways().await?;
    if backend.engine_socket().is_some() {
        addrs.extend(host_addresses());
    }
    addrs.sort();
    addrs.dedup();
    Ok(addrs.into_iter().map(IpNet::from).collect())
}

/// This host's addresses: IPv4 from the kernel's local routing table, IPv6 from its interface list.
fn host_addresses() -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = std::fs::read_to_string("/proc/net/fib_trie")
        .map(|t| local_v4(&t))
        .unwrap_or_default();
    if let Ok(t) = std::fs::read_to_string("/proc/net/if_inet6") {
        v.extend(
            t.lines()
                .filter_map(|l| l.split_whitespace().next())
                .filter_map(parse_v6_hex)
                .map(IpAddr::V6),
        );
    }
    v
}

/// The addresses marked `/32 host LOCAL` in `/proc/net/fib_trie`.
fn local_v4(fib_trie: &str) -> Vec<IpAddr> {
    let mut last = None;
    let mut v = Vec::new();
    for line in fib_trie.lines() {
        let t = line.trim();
        if let Some(ip) = t.strip_prefix("|-- ") {
            last = ip.parse().ok();
        } else if t.starts_with("/32 host LOCAL") {
            if let Some(ip) = last {
                v.push(IpAddr::V4(ip));
            }
        }
    }
    v
}

fn parse_v6_hex(h: &str) -> Option<Ipv6Addr> {
    (h.len() == 32)
        .then(|| u128::from_str_radix(h, 16).ok().map(Ipv6Addr::from))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses_are_read_from_the_routing_table() {
        let t = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.0.0.5\n        /32 host LOCAL\n     |-- 10.0.0.255\n        /32 link BROADCAST\nLocal:\n     |-- 127.0.0.1\n        /32 host LOCAL\n";
        assert_eq!(
            local_v4(t),
            vec![
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "127.0.0.1".parse().unwrap()
            ]
        );
        assert_eq!(
            parse_v6_hex("00000000000000000000000000000001"),
            Some(Ipv6Addr::LOCALHOST)
        );
    }
}
