//! From a requested `host:port` to checked socket addresses: the decision, the resolution
//! (the policy's static hosts first, then the system resolver), the decision again with every
//! address, and the dial of a checked address (never of the name).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use docksandbox_proxy::policy::{canonical_ip, parse_ip_literal, Verdict};
use tokio::net::TcpStream;

use super::Ctx;

/// How long a resolution may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An allowed connection: the verdict and the addresses it was decided with.
#[derive(Debug)]
pub struct Route {
    /// The allowing verdict.
    pub verdict: Verdict,
    /// Every checked address, in the resolver's order.
    pub addrs: Vec<SocketAddr>,
}

/// Decides `host:port` with the policy in force; `Err` is the refusing verdict.
pub async fn authorise(ctx: &Ctx, host: &str, port: u16) -> Result<Route, Verdict> {
    let policy = ctx.policy.current();
    if let Some(v) = policy.decide_name(host, port) {
        return Err(v);
    }
    let literal = parse_ip_literal(host);
    let addrs: Vec<IpAddr> = match literal {
        Some(_) => Vec::new(),
        None => match policy.static_addrs(host) {
            Some(a) => a,
            None => lookup(host, port).await.map_err(|e| Verdict {
                allowed: false,
                rule: "unresolved".into(),
                reason: format!("cannot resolve {host}: {e}"),
            })?,
        },
    };
    let verdict = policy.decide(host, port, &addrs);
    if !verdict.allowed {
        return Err(verdict);
    }
    let ips = literal.into_iter().chain(addrs);
    let mut out: Vec<SocketAddr> = Vec::new();
    for ip in ips {
        let sa = SocketAddr::new(canonical_ip(ip), port);
        if !out.contains(&sa) {
            out.push(sa);
        }
    }
    Ok(Route {
        verdict,
        addrs: out,
    })
}

/// Every address the system resolver gives for `host`.
async fn lookup(host: &str, port: u16) -> io::Result<Vec<IpAddr>> {
    let found = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "resolution timed out"))??;
    let addrs: Vec<IpAddr> = found.map(|sa| sa.ip()).collect();
    if addrs.is_empty() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no address"));
    }
    Ok(addrs)
}

/// Connects to the first of `addrs` that answers; the error is the last attempt's.
pub async fn dial(addrs: &[SocketAddr]) -> io::Result<(TcpStream, SocketAddr)> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address to connect to");
    for &addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return Ok((s, addr));
            }
            Ok(Err(e)) => last = io::Error::new(e.kind(), format!("{addr}: {e}")),
            Err(_) => {
                last = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{addr}: connect timed out"),
                )
            }
        }
    }
    Err(last)
}
