//! A published port: `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]`, as `docker run -p`
//! writes it, bound to `127.0.0.1` unless another address is written out.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a published port carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortProtocol {
    /// TCP (the default).
    Tcp,
    /// UDP (only with `--network bridge`: the forwarder beside a `proxy` sandbox is TCP only).
    Udp,
}

impl PortProtocol {
    /// `tcp` or `udp`.
    ///
    /// ```
    /// assert_eq!(docksandbox::PortProtocol::Udp.as_str(), "udp");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            PortProtocol::Tcp => "tcp",
            PortProtocol::Udp => "udp",
        }
    }
}

/// The warning printed for a port published on every interface of the host.
pub const ALL_INTERFACES_WARNING: &str =
    "a port published on 0.0.0.0 (or ::) is reachable from every network this host is on, not only from this host";

/// One port of the sandbox reachable from the host.
///
/// ```
/// use docksandbox::PortMapping;
/// let p: PortMapping = "3000".parse().unwrap();
/// assert_eq!(p.to_string(), "127.0.0.1:0:3000/tcp");
/// let p: PortMapping = "0.0.0.0:8080:80/udp".parse().unwrap();
/// assert!(p.all_interfaces());
/// assert!("70000".parse::<PortMapping>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortMapping {
    /// The host address it is bound to (`127.0.0.1` unless written out).
    pub host_ip: IpAddr,
    /// The host port; `0`: a free one chosen by the engine.
    pub host_port: u16,
    /// The port inside the sandbox.
    pub container_port: u16,
    /// TCP or UDP.
    pub protocol: PortProtocol,
}

impl PortMapping {
    /// `container_port` on a free host port of `127.0.0.1`, TCP.
    ///
    /// ```
    /// assert_eq!(docksandbox::PortMapping::tcp(3000).to_string(), "127.0.0.1:0:3000/tcp");
    /// ```
    pub fn tcp(container_port: u16) -> Self {
        PortMapping {
            host_ip: IpAddr::from([127, 0, 0, 1]),
            host_port: 0,
            container_port,
            protocol: PortProtocol::Tcp,
        }
    }

    /// Bound on every interface (`0.0.0.0` or `::`): reachable from other machines.
    pub fn all_interfaces(&self) -> bool {
        self.host_ip.is_unspecified()
    }

    /// `3000/tcp`: the engine's name of the container side.
    pub fn container_key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol.as_str())
    }

    /// Parses the `index`th `-p` value (the error names the field `ports[index]`).
    ///
    /// ```
    /// let e = docksandbox::PortMapping::parse_indexed("abc", 1).unwrap_err();
    /// assert_eq!(e.field(), Some("ports[1]"));
    /// ```
    pub fn parse_indexed(s: &str, index: usize) -> Result<Self> {
        Self::parse_field(s, &format!("ports[{index}]"))
    }

    /// Parses one `-p` value; `field` names it in the error (`ports[0]`).
    pub(crate) fn parse_field(s: &str, field: &str) -> Result<Self> {
        let bad = |why: String| Error::invalid(field, format!("`{}` {why}", s.escape_debug()));
        let (addr, protocol) = match s.rsplit_once('/') {
            Some((a, "tcp")) => (a, PortProtocol::Tcp),
            Some((a, "udp")) => (a, PortProtocol::Udp),
            Some((_, p)) => {
                return Err(bad(format!(
                    "has the protocol `{}`; use tcp or udp",
                    p.escape_debug()
                )))
            }
            None => (s, PortProtocol::Tcp),
        };
        // The container port is after the last colon; an IPv6 host address is in brackets.
        let (rest, container) = match addr.rsplit_once(':') {
            Some((r, c)) => (Some(r), c),
            None => (None, addr),
        };
        let port = |p: &str, what: &str, zero_ok: bool| -> Result<u16> {
            match p.parse::<u32>() {
                Ok(n) if n <= 65535 && (zero_ok || n > 0) => Ok(n as u16),
                Ok(_) => Err(bad(format!(
                    "has the {what} {p}; ports are 1 to 65535{}",
                    if zero_ok { " (0: any free one)" } else { "" }
                ))),
                Err(_) => Err(bad(format!(
                    "is not [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp]: the {what} `{}` is not a number",
                    p.escape_debug()
                ))),
            }
        };
        let container_port = port(container, "container port", false)?;
        let mut host_ip = IpAddr::from([127, 0, 0, 1]);
        let mut host_port = 0;
        if let Some(rest) = rest {
            let (ip, hp) = if let Some(r) = rest.strip_prefix('[') {
                match r.split_once(']') {
                    Some((ip, after)) => (Some(ip), after.strip_prefix(':').unwrap_or(after)),
                    None => return Err(bad("has an unclosed `[`".into())),
                }
            } else {
                match rest.rsplit_once(':') {
                    Some((ip, hp)) => (Some(ip), hp),
                    None if rest.parse::<IpAddr>().is_ok() => (Some(rest), ""),
                    None => (None, rest),
                }
            };
            if let Some(ip) = ip {
                host_ip = ip.parse().map_err(|_| {
                    bad(format!(
                        "has the host address `{}`, which is not an IP address",
                        ip.escape_debug()
                    ))
                })?;
            }
            if !hp.is_empty() {
                host_port = port(hp, "host port", true)?;
            }
        }
        Ok(PortMapping {
            host_ip,
            host_port,
            container_port,
            protocol,
        })
    }
}

impl std::str::FromStr for PortMapping {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        PortMapping::parse_field(s, "ports")
    }
}

impl std::fmt::Display for PortMapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.host_ip {
            IpAddr::V6(ip) => write!(f, "[{ip}]")?,
            IpAddr::V4(ip) => write!(f, "{ip}")?,
        }
        write!(
            f,
            ":{}:{}/{}",
            self.host_port,
            self.container_port,
            self.protocol.as_str()
        )
    }
}

/// A port as published: where on the host the sandbox's port is reached.
///
/// ```
/// let p = docksandbox::PublishedPort {
///     container_port: 3000,
///     protocol: docksandbox::PortProtocol::Tcp,
///     host_ip: "127.0.0.1".parse().unwrap(),
///     host_port: 49153,
///     forwarded: false,
/// };
/// assert_eq!(p.to_string(), "3000/tcp -> 127.0.0.1:49153");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PublishedPort {
    /// The port inside the sandbox.
    pub container_port: u16,
    /// TCP or UDP.
    pub protocol: PortProtocol,
    /// The host address.
    pub host_ip: IpAddr,
    /// The host port.
    pub host_port: u16,
    /// Reached through a forwarder container beside the sandbox (a `proxy` sandbox's ports,
    /// and ports added to a running sandbox), not published on the sandbox itself.
    pub forwarded: bool,
}

impl PublishedPort {
    /// `127.0.0.1:49153`, ready for a URL.
    pub fn host_address(&self) -> String {
        match self.host_ip {
            IpAddr::V6(ip) => format!("[{ip}]:{}", self.host_port),
            IpAddr::V4(ip) => format!("{ip}:{}", self.host_port),
        }
    }
}

impl std::fmt::Display for PublishedPort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} -> {}",
            self.container_port,
            self.protocol.as_str(),
            self.host_address()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<PortMapping> {
        s.parse()
    }

    #[test]
    fn the_docker_run_forms() {
        assert_eq!(p("3000").unwrap().to_string(), "127.0.0.1:0:3000/tcp");
        assert_eq!(p("8080:80").unwrap().to_string(), "127.0.0.1:8080:80/tcp");
        assert_eq!(p("0:80").unwrap().to_string(), "127.0.0.1:0:80/tcp");
        assert_eq!(
            p("10.0.0.1:8080:80/udp").unwrap().to_string(),
            "10.0.0.1:8080:80/udp"
        );
        assert_eq!(p("0.0.0.0::80").unwrap().to_string(), "0.0.0.0:0:80/tcp");
        assert_eq!(p("[::1]:8080:80").unwrap().to_string(), "[::1]:8080:80/tcp");
        assert_eq!(p("[::]::80").unwrap().to_string(), "[::]:0:80/tcp");
        assert!(p("0.0.0.0:1:2").unwrap().all_interfaces());
        assert!(!p("1:2").unwrap().all_interfaces());
        // What Display writes parses back.
        for s in ["3000", "8080:80/udp", "[::1]:1:2", "0.0.0.0::9"] {
            let once = p(s).unwrap();
            assert_eq!(p(&once.to_string()).unwrap(), once);
        }
    }

    #[test]
    fn bad_specs_say_why() {
        for (s, why) in [
            ("70000", "1 to 65535"),
            ("0", "1 to 65535"),
            ("abc", "not a number"),
            ("1.2.3.4:", "not a number"),
            ("1.2.3.4:80:", "not a number"),
            ("80/sctp", "tcp or udp"),
            ("x.y:80:80", "not an IP address"),
            ("99999:80", "1 to 65535"),
            ("[::1:80", "unclosed"),
            ("", "not a number"),
        ] {
            let e = p(s).unwrap_err().to_string();
            assert!(e.contains(why), "{s}: {e}");
        }
    }
}
