//! IP addresses as the policy sees them: strict literal parsing, canonical forms, and the fixed
//! tables of always-refused and private networks.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use ipnet::IpNet;

/// Parses `s` as an IP literal, strictly, with `std::net` only: a dotted-quad IPv4 address or an
/// IPv6 address, the latter optionally in brackets. IPv4-mapped (`::ffff:a.b.c.d`) and
/// IPv4-compatible (`::a.b.c.d`) IPv6 addresses come back as the IPv4 address.
///
/// Anything else is not an IP literal, even when a C resolver would read it as one
/// (`2130706433`, `0x7f.1`, `127.1`, `fe80::1%eth0`): the policy treats those as host names,
/// which no rule of addresses matches.
///
/// ```
/// use docksandbox_proxy::policy::parse_ip_literal;
/// use std::net::{IpAddr, Ipv4Addr};
///
/// assert_eq!(parse_ip_literal("[::ffff:127.0.0.1]"), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
/// assert_eq!(parse_ip_literal("10.1.2.3"), Some("10.1.2.3".parse().unwrap()));
/// assert_eq!(parse_ip_literal("127.1"), None);
/// assert_eq!(parse_ip_literal("2130706433"), None);
/// ```
pub fn parse_ip_literal(s: &str) -> Option<IpAddr> {
    if let Some(inner) = s.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        return inner
            .parse::<Ipv6Addr>()
            .ok()
            .map(|a| canonical(IpAddr::V6(a)));
    }
    s.parse::<IpAddr>().ok().map(canonical)
}

/// The canonical form of an address, as the policy compares it: IPv4-mapped and
/// IPv4-compatible IPv6 addresses become the IPv4 address they carry (`::` and `::1` stay IPv6:
/// they are the unspecified and loopback addresses, not compatible ones).
///
/// ```
/// use docksandbox_proxy::policy::canonical_ip;
/// assert_eq!(canonical_ip("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<std::net::IpAddr>().unwrap());
/// assert_eq!(canonical_ip("::1".parse().unwrap()), "::1".parse::<std::net::IpAddr>().unwrap());
/// ```
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            let compatible = s[..6].iter().all(|&x| x == 0) && (s[6] != 0 || s[7] > 1);
            if compatible {
                IpAddr::V4(Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                ))
            } else {
                ip
            }
        }
    }
}

/// A network of one of the fixed tables, with the words a verdict uses for it.
#[derive(Debug)]
pub(crate) struct Named {
    pub(crate) net: IpNet,
    pub(crate) label: &'static str,
}

fn table(cell: &'static OnceLock<Vec<Named>>, rows: &[(&str, &'static str)]) -> &'static [Named] {
    cell.get_or_init(|| {
        rows.iter()
            .map(|(net, label)| Named {
                net: net.parse().expect("the fixed tables hold valid networks"),
                label,
            })
            .collect()
    })
}

/// Networks no connection may reach, whatever the rules say, unless an exact HOST:PORT or
/// IP:PORT rule decides it. An explicit table (not `is_loopback`-style helpers, whose coverage
/// differs between std versions and omits translation prefixes).
pub(crate) fn always_refused() -> &'static [Named] {
    static CELL: OnceLock<Vec<Named>> = OnceLock::new();
    table(
        &CELL,
        &[
            ("0.0.0.0/8", "this network"),
            ("100.64.0.0/10", "shared address space"),
            ("127.0.0.0/8", "loopback"),
            ("169.254.0.0/16", "link-local (cloud metadata)"),
            ("192.0.0.0/24", "IETF protocol assignments"),
            ("198.18.0.0/15", "benchmarking"),
            ("224.0.0.0/4", "multicast"),
            ("240.0.0.0/4", "reserved"),
            ("::/128", "unspecified"),
            ("::1/128", "loopback"),
            ("::ffff:0:0/96", "IPv4-mapped"),
            ("64:ff9b::/96", "NAT64"),
            ("2002::/16", "6to4"),
            ("fe80::/10", "link-local"),
            ("fec0::/10", "site-local"),
            ("ff00::/8", "multicast"),
            ("fd00:ec2::254/128", "cloud metadata"),
        ],
    )
}

/// Private networks: refused unless an IP or CIDR allow rule covers the address, or an exact
/// HOST:PORT / IP:PORT rule decides.
pub(crate) fn private() -> &'static [Named] {
    static CELL: OnceLock<Vec<Named>> = OnceLock::new();
    table(
        &CELL,
        &[
            ("10.0.0.0/8", "private range"),
            ("172.16.0.0/12", "private range"),
            ("192.168.0.0/16", "private range"),
            ("fc00::/7", "private range"),
        ],
    )
}

/// The first network of `nets` holding `ip`.
pub(crate) fn find(nets: &'static [Named], ip: IpAddr) -> Option<&'static Named> {
    nets.iter().find(|n| n.net.contains(&ip))
}

/// `ip` as it is written before `:PORT`: IPv6 in brackets.
pub(crate) fn with_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn literals_are_parsed_strictly() {
        assert_eq!(parse_ip_literal("1.2.3.4"), Some(ip("1.2.3.4")));
        assert_eq!(parse_ip_literal("[fd00::1]"), Some(ip("fd00::1")));
        assert_eq!(parse_ip_literal("fd00::1"), Some(ip("fd00::1")));
        for odd in [
            "2130706433",
            "0x7f.1",
            "127.1",
            "0177.0.0.1",
            "127.0.0.1.",
            "[127.0.0.1]",
            "[fe80::1%25eth0]",
            "fe80::1%eth0",
            "[::1",
            "::1]",
            " 1.2.3.4",
            "",
        ] {
            assert_eq!(parse_ip_literal(odd), None, "{odd}");
        }
    }

    #[test]
    fn mapped_and_compatible_become_v4() {
        assert_eq!(
            parse_ip_literal("[::ffff:127.0.0.1]"),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(parse_ip_literal("::ffff:7f00:1"), Some(ip("127.0.0.1")));
        assert_eq!(parse_ip_literal("::10.0.0.1"), Some(ip("10.0.0.1")));
        assert_eq!(parse_ip_literal("::1"), Some(ip("::1")));
        assert_eq!(parse_ip_literal("::"), Some(ip("::")));
        // NAT64 and 6to4 stay IPv6: the always-refused table names them.
        assert_eq!(
            parse_ip_literal("64:ff9b::7f00:1"),
            Some(ip("64:ff9b::7f00:1"))
        );
    }

    #[test]
    fn tables_name_the_pitfall_addresses() {
        for (a, label) in [
            ("0.1.2.3", "this network"),
            ("127.0.0.1", "loopback"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("100.100.100.200", "shared address space"),
            ("255.255.255.255", "reserved"),
            ("::1", "loopback"),
            ("64:ff9b::7f00:1", "NAT64"),
            ("2002:7f00:1::", "6to4"),
            ("fe80::1", "link-local"),
            ("fd00:ec2::254", "cloud metadata"),
        ] {
            assert_eq!(
                find(always_refused(), ip(a)).map(|n| n.label),
                Some(label),
                "{a}"
            );
        }
        for a in ["10.0.0.1", "172.31.255.255", "192.168.1.1", "fd12::1"] {
            assert!(find(private(), ip(a)).is_some(), "{a}");
            assert!(find(always_refused(), ip(a)).is_none(), "{a}");
        }
        for a in ["8.8.8.8", "172.32.0.1", "2606:4700::1111"] {
            assert!(find(private(), ip(a)).is_none(), "{a}");
            assert!(find(always_refused(), ip(a)).is_none(), "{a}");
        }
    }
}
