//! CONNECT tunnels: decide, answer 200, check the TLS ClientHello on TLS ports, then splice.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use docksandbox_proxy::policy::parse_ip_literal;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;

use super::http::{empty, refused, text, Body};
use super::intercept;
use super::out::Record;
use super::resolve::{authorise, dial, Route};
use super::sni::{self, Hello, MAX_HELLO};
use super::tunnel::splice;
use super::Ctx;

/// How long the client has to send its ClientHello on a TLS port.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers one CONNECT request.
pub async fn handle(ctx: Arc<Ctx>, client: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let Some(auth) = req.uri().authority().cloned() else {
        let rec = Record::new("connect", client, "", 0);
        rec.emit(
            false,
            "bad request",
            "CONNECT without a HOST:PORT target",
            0,
            0,
        );
        return text(
            StatusCode::BAD_REQUEST,
            "docksandbox: CONNECT needs a HOST:PORT target\n".into(),
        );
    };
    let host = auth.host().to_string();
    let Some(port) = auth.port_u16() else {
        let rec = Record::new("connect", client, &host, 0);
        rec.emit(false, "bad request", "CONNECT without a port", 0, 0);
        return text(
            StatusCode::BAD_REQUEST,
            format!("docksandbox: CONNECT {host} needs a port (HOST:PORT)\n"),
        );
    };
    let mut rec = Record::new("connect", client, &host, port);
    let label = format!("{host}:{port}");
    if auth.as_str().contains('@') {
        let (rule, reason) = (
            "userinfo in authority",
            "a CONNECT target with user information (user@host) is refused",
        );
        rec.emit(false, rule, reason, 0, 0);
        return refused(&label, rule, reason);
    }
    let route = match authorise(&ctx, &host, port).await {
        Ok(r) => r,
        Err(v) => {
            rec.emit(false, &v.rule, &v.reason, 0, 0);
            return refused(&label, &v.rule, &v.reason);
        }
    };
    let tls = ctx.tls_ports.contains(&port);
    // On a TLS port nothing is dialed before the ClientHello is checked; elsewhere dial first,
    // so that an unreachable server is a 502 rather than a closed tunnel.
    let early = if tls {
        None
    } else {
        match dial(&route.addrs).await {
            Ok((stream, addr)) => {
                rec.addr = Some(addr);
                Some(stream)
            }
            Err(e) => {
                let reason = format!("{}; connecting failed: {e}", route.verdict.reason);
                rec.emit(true, &route.verdict.rule, &reason, 0, 0);
                return text(
                    StatusCode::BAD_GATEWAY,
                    format!("docksandbox: {label}: connecting failed: {e}\n"),
                );
            }
        }
    };
    let intercept = ctx
        .intercept
        .clone()
        .filter(|i| tls && i.secrets.binds(&host));
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => match intercept {
                Some(i) => intercept::intercept(i, rec, TokioIo::new(upgraded), host, route).await,
                None => tunnel(rec, TokioIo::new(upgraded), host, route, early).await,
            },
            Err(e) => {
                let reason = format!(
                    "{}; the client left before the tunnel opened: {e}",
                    route.verdict.reason
                );
                rec.emit(true, &route.verdict.rule, &reason, 0, 0);
            }
        }
    });
    empty(StatusCode::OK)
}

/// Runs an opened tunnel to its end and logs it. Without an `early` upstream (a TLS port) the
/// client's ClientHello is read and checked first, and only then is anything dialed.
pub(super) async fn tunnel<C>(
    mut rec: Record,
    mut client: C,
    host: String,
    route: Route,
    early: Option<TcpStream>,
) where
    C: AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (upstream, preface) = match early {
        Some(s) => (s, Vec::new()),
        None => {
            let preface = match read_hello(&mut client).await {
                Ok((bytes, name)) => {
                    rec.sni = name.clone();
                    if let Err((rule, reason)) = check_sni(&host, name.as_deref()) {
                        rec.emit(false, rule, &reason, 0, 0);
                        return;
                    }
                    bytes
                }
                Err((rule, reason)) => {
                    rec.emit(false, rule, &reason, 0, 0);
                    return;
                }
            };
            match dial(&route.addrs).await {
                Ok((s, addr)) => {
                    rec.addr = Some(addr);
                    (s, preface)
                }
                Err(e) => {
                    let reason = format!("{}; connecting failed: {e}", route.verdict.reason);
                    rec.emit(true, &route.verdict.rule, &reason, 0, 0);
                    return;
                }
            }
        }
    };
    let moved = splice(client, upstream, &preface).await;
    let reason = match moved.error {
        Some(e) => format!("{}; the tunnel ended with: {e}", route.verdict.reason),
        None => route.verdict.reason.clone(),
    };
    rec.emit(true, &route.verdict.rule, &reason, moved.up, moved.down);
}

type Refusal = (&'static str, String);

/// Reads the client's first bytes until they hold a whole ClientHello: the bytes and its server
/// name.
async fn read_hello<C: AsyncRead + Unpin>(
    client: &mut C,
) -> Result<(Vec<u8>, Option<String>), Refusal> {
    let mut buf = Vec::with_capacity(2048);
    let read = async {
        loop {
            let mut chunk = [0u8; 4096];
            let room = (MAX_HELLO + 5 - buf.len()).min(chunk.len());
            let n = client.read(&mut chunk[..room]).await.map_err(|e| {
                (
                    "no client hello",
                    format!("reading the ClientHello failed: {e}"),
                )
            })?;
            if n == 0 {
                return Err((
                    "no client hello",
                    "the client closed the tunnel before sending a TLS ClientHello".to_string(),
                ));
            }
            buf.extend_from_slice(&chunk[..n]);
            match sni::parse(&buf) {
                Hello::Complete { sni, .. } => return Ok(sni),
                Hello::NotTls(why) => {
                    return Err(("not tls", format!("only TLS may go through a tunnel to this port, and the first bytes are not a TLS ClientHello: {why}")))
                }
                Hello::Incomplete if buf.len() >= MAX_HELLO + 5 => {
                    return Err(("not tls", "no complete TLS ClientHello in the first 16 KiB".to_string()))
                }
                Hello::Incomplete => {}
            }
        }
    };
    match tokio::time::timeout(HELLO_TIMEOUT, read).await {
        Ok(Ok(name)) => Ok((buf, name)),
        Ok(Err(refusal)) => Err(refusal),
        Err(_) => Err((
            "no client hello",
            format!("no TLS ClientHello within {} s", HELLO_TIMEOUT.as_secs()),
        )),
    }
}

/// The ClientHello must name the CONNECT host; a hello without a name passes only when the
/// target was an IP literal (server names cannot be addresses, RFC 6066).
fn check_sni(host: &str, sni: Option<&str>) -> Result<(), Refusal> {
    let lower = host.to_ascii_lowercase();
    let want = lower.strip_suffix('.').unwrap_or(&lower);
    let literal = parse_ip_literal(host).is_some();
    match sni {
        Some(name) if !literal && name == want => Ok(()),
        Some(name) => Err((
            "sni mismatch",
            format!("the TLS ClientHello names {name}, not the CONNECT target {host}"),
        )),
        None if literal => Ok(()),
        None => Err((
            "sni missing",
            format!("the TLS ClientHello names no server; a tunnel to {host} must name it"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sni_must_name_the_connect_host() {
        assert!(check_sni("api.example.com", Some("api.example.com")).is_ok());
        assert!(check_sni("API.Example.com.", Some("api.example.com")).is_ok());
        assert_eq!(
            check_sni("api.example.com", Some("evil.test"))
                .unwrap_err()
                .0,
            "sni mismatch"
        );
        assert_eq!(
            check_sni("api.example.com", None).unwrap_err().0,
            "sni missing"
        );
        assert!(check_sni("203.0.113.5", None).is_ok());
        assert!(check_sni("[2001:db8::1]", None).is_ok());
        assert_eq!(
            check_sni("203.0.113.5", Some("203.0.113.5")).unwrap_err().0,
            "sni mismatch"
        );
        assert_eq!(
            check_sni("203.0.113.5", Some("example.com")).unwrap_err().0,
            "sni mismatch"
        );
    }
}
