//! The SOCKS5 listener (RFC 1928): no authentication, CONNECT only (IPv4, IPv6 or a domain
//! name), decided like an HTTP CONNECT (no ClientHello check).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::out::Record;
use super::resolve::{authorise, dial};
use super::tunnel::splice;
use super::Ctx;

/// How long a client may take to greet and ask.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Reply codes (RFC 1928 §6).
mod rep {
    pub const SUCCEEDED: u8 = 0x00;
    pub const GENERAL_FAILURE: u8 = 0x01;
    pub const NOT_ALLOWED: u8 = 0x02;
    pub const NETWORK_UNREACHABLE: u8 = 0x03;
    pub const HOST_UNREACHABLE: u8 = 0x04;
    pub const CONNECTION_REFUSED: u8 = 0x05;
    pub const COMMAND_NOT_SUPPORTED: u8 = 0x07;
    pub const ADDRESS_TYPE_NOT_SUPPORTED: u8 = 0x08;
}

/// What the client asked for.
struct Ask {
    cmd: u8,
    host: String,
    port: u16,
}

/// Why the handshake ended early: the reply to send (if any), the rule and reason to log.
struct Early {
    reply: Option<u8>,
    rule: &'static str,
    reason: String,
}

fn early(reply: Option<u8>, rule: &'static str, reason: impl Into<String>) -> Early {
    Early {
        reply,
        rule,
        reason: reason.into(),
    }
}

/// Serves one SOCKS5 connection and logs it.
pub async fn serve_conn(ctx: Arc<Ctx>, mut stream: TcpStream, client: SocketAddr) {
    let ask = match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&mut stream)).await {
        Ok(Ok(ask)) => ask,
        Ok(Err(e)) => {
            if let Some(code) = e.reply {
                let _ = reply(&mut stream, code).await;
            }
            Record::new("socks5", client, "", 0).emit(false, e.rule, &e.reason, 0, 0);
            return;
        }
        Err(_) => {
            Record::new("socks5", client, "", 0).emit(
                false,
                "socks5 protocol",
                "no SOCKS5 request within 10 s",
                0,
                0,
            );
            return;
        }
    };
    let mut rec = Record::new("socks5", client, &ask.host, ask.port);
    if ask.cmd != 0x01 {
        let what = match ask.cmd {
            0x02 => "BIND",
            0x03 => "UDP ASSOCIATE",
            _ => "an unknown command",
        };
        let _ = reply(&mut stream, rep::COMMAND_NOT_SUPPORTED).await;
        rec.emit(
            false,
            "socks5 command",
            &format!("SOCKS5 {what} is not supported; only CONNECT is"),
            0,
            0,
        );
        return;
    }
    let route = match authorise(&ctx, &ask.host, ask.port).await {
        Ok(r) => r,
        Err(v) => {
            let _ = reply(&mut stream, rep::NOT_ALLOWED).await;
            rec.emit(false, &v.rule, &v.reason, 0, 0);
            return;
        }
    };
    if ctx.tls_ports.contains(&ask.port) {
        // As for CONNECT: the ClientHello must name the host asked for (no fronting), and
        // nothing is dialed before it is checked.
        if reply(&mut stream, rep::SUCCEEDED).await.is_ok() {
            super::connect::tunnel(rec, stream, ask.host, route, None).await;
        }
        return;
    }
    let upstream = match dial(&route.addrs).await {
        Ok((s, addr)) => {
            rec.addr = Some(addr);
            s
        }
        Err(e) => {
            let code = match e.kind() {
                io::ErrorKind::ConnectionRefused => rep::CONNECTION_REFUSED,
                io::ErrorKind::TimedOut | io::ErrorKind::HostUnreachable => rep::HOST_UNREACHABLE,
                io::ErrorKind::NetworkUnreachable => rep::NETWORK_UNREACHABLE,
                _ => rep::GENERAL_FAILURE,
            };
            let _ = reply(&mut stream, code).await;
            rec.emit(
                true,
                &route.verdict.rule,
                &format!("{}; connecting failed: {e}", route.verdict.reason),
                0,
                0,
            );
            return;
        }
    };
    if reply(&mut stream, rep::SUCCEEDED).await.is_err() {
        rec.emit(
            true,
            &route.verdict.rule,
            &format!("{}; the client left", route.verdict.reason),
            0,
            0,
        );
        return;
    }
    let moved = splice(stream, upstream, &[]).await;
    let reason = match moved.error {
        Some(e) => format!("{}; the connection ended with: {e}", route.verdict.reason),
        None => route.verdict.reason.clone(),
    };
    rec.emit(true, &route.verdict.rule, &reason, moved.up, moved.down);
}

/// The greeting, method choice and request.
async fn handshake(s: &mut TcpStream) -> Result<Ask, Early> {
    let io_err = |e: io::Error| {
        early(
            None,
            "socks5 protocol",
            format!("the SOCKS5 handshake failed: {e}"),
        )
    };
    let mut head = [0u8; 2];
    s.read_exact(&mut head).await.map_err(io_err)?;
    if head[0] != 0x05 {
        return Err(early(
            None,
            "socks5 protocol",
            "not a SOCKS5 greeting (only SOCKS5 is served)",
        ));
    }
    let mut methods = vec![0u8; usize::from(head[1])];
    s.read_exact(&mut methods).await.map_err(io_err)?;
    if !methods.contains(&0x00) {
        let _ = s.write_all(&[0x05, 0xff]).await;
        return Err(early(
            None,
            "socks5 auth",
            "the client offered no method without authentication",
        ));
    }
    s.write_all(&[0x05, 0x00]).await.map_err(io_err)?;
    let mut req = [0u8; 4];
    s.read_exact(&mut req).await.map_err(io_err)?;
    if req[0] != 0x05 {
        return Err(early(
            Some(rep::GENERAL_FAILURE),
            "socks5 protocol",
            "bad SOCKS5 request version",
        ));
    }
    let host = match req[3] {
        0x01 => {
            let mut a = [0u8; 4];
            s.read_exact(&mut a).await.map_err(io_err)?;
            IpAddr::V4(Ipv4Addr::from(a)).to_string()
        }
        0x04 => {
            let mut a = [0u8; 16];
            s.read_exact(&mut a).await.map_err(io_err)?;
            IpAddr::V6(Ipv6Addr::from(a)).to_string()
        }
        0x03 => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len).await.map_err(io_err)?;
            let mut name = vec![0u8; usize::from(len[0])];
            s.read_exact(&mut name).await.map_err(io_err)?;
            // Not UTF-8 becomes replacement characters, which no host name holds: refused.
            String::from_utf8_lossy(&name).into_owned()
        }
        other => {
            return Err(early(
                Some(rep::ADDRESS_TYPE_NOT_SUPPORTED),
                "socks5 address type",
                format!("SOCKS5 address type {other:#04x} is not supported"),
            ))
        }
    };
    let mut port = [0u8; 2];
    s.read_exact(&mut port).await.map_err(io_err)?;
    let port = u16::from_be_bytes(port);
    Ok(Ask {
        cmd: req[1],
        host,
        port,
    })
}

/// A reply with an all-zero bound address (the proxy's own addresses are not the client's
/// business).
async fn reply(s: &mut TcpStream, code: u8) -> io::Result<()> {
    s.write_all(&[0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        .await
}
