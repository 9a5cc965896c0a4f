//! The HTTP proxy listener: HTTP/1.1 only; CONNECT goes to [`connect`](super::connect),
//! absolute-URI requests are forwarded here, each decided on its own.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;

use super::out::Record;
use super::resolve::{authorise, dial};
use super::{connect, Ctx};

/// The body of every response the proxy gives.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// The most an upstream read may take at once (hyper's adaptive buffer grows up to it).
const UPSTREAM_BUF: usize = 1 << 20;

/// Serves one client connection (keep-alive and pipelining included).
pub async fn serve_conn(ctx: Arc<Ctx>, stream: TcpStream, client: SocketAddr) {
    let svc = service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(route(ctx, client, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true)
        // A client that sends its request and closes its side (`printf … | nc`) still gets the
        // answer.
        .half_close(true)
        .max_buf_size(UPSTREAM_BUF)
        .serve_connection(TokioIo::new(stream), svc)
        .with_upgrades()
        .await;
}

async fn route(ctx: Arc<Ctx>, client: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    if req.method() == Method::CONNECT {
        connect::handle(ctx, client, req).await
    } else {
        forward(ctx, client, req).await
    }
}

/// A response with a text body.
pub fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A response with no body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    r
}

/// The 403 of a refusal: `docksandbox: HOST:PORT refused (RULE): REASON`, and the rule in
/// `X-Docksandbox-Rule`.
pub fn refused(label: &str, rule: &str, reason: &str) -> Response<Body> {
    let mut r = text(
        StatusCode::FORBIDDEN,
        format!("docksandbox: {label} refused ({rule}): {reason}\n"),
    );
    let value: String = rule
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut()
            .insert(HeaderName::from_static("x-docksandbox-rule"), v);
    }
    r
}

/// Forwards one absolute-URI request over a fresh upstream connection to a checked address.
async fn forward(ctx: Arc<Ctx>, client: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let uri = req.uri().clone();
    let (Some(scheme), Some(auth)) = (uri.scheme_str(), uri.authority()) else {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let rec = Record::new("http", client, host, 0);
        let reason = "origin-form request: this is a forward proxy; send absolute-URI requests (GET http://host/path) or CONNECT HOST:PORT";
        rec.emit(false, "origin-form request", reason, 0, 0);
        return text(StatusCode::BAD_REQUEST, format!("docksandbox: {reason}\n"));
    };
    let host = auth.host().to_string();
    let port = auth
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    let label = format!("{host}:{port}");
    let mut rec = Record::new("http", client, &host, port);
    if scheme != "http" {
        let reason = format!("{scheme}:// URLs are not forwarded; https goes through CONNECT");
        rec.emit(false, "scheme", &reason, 0, 0);
        return text(StatusCode::BAD_REQUEST, format!("docksandbox: {reason}\n"));
    }
    if auth.as_str().contains('@') {
        let (rule, reason) = (
            "userinfo in URI",
            "a URI with user information (user@host) is refused",
        );
        rec.emit(false, rule, reason, 0, 0);
        return refused(&label, rule, reason);
    }
    if asks_upgrade(req.headers()) {
        let (rule, reason) = (
            "upgrade refused",
            "Upgrade (WebSocket) over plain HTTP is refused; use CONNECT (wss:// or https://)",
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
    if let Some(it) = &ctx.intercept {
        // Plain HTTP is never given a secret (it would cross the network in the clear): a
        // placeholder here stays one, and the log says where it went.
        for (name, value) in req.headers() {
            let mut found = it.secrets.rewrite(value.as_bytes(), "");
            found.sent_elsewhere.append(&mut found.added);
            for s in found.sent_elsewhere {
                rec.emit(
                    true,
                    &format!("secret-sent-elsewhere {s}"),
                    &format!("the placeholder of {s} was sent to {host} over plain HTTP in header {name}; it stayed a placeholder (secrets are only added over TLS to their hosts)"),
                    0,
                    0,
                );
            }
        }
    }
    let (rule, reason) = (route.verdict.rule.clone(), route.verdict.reason.clone());
    let fail = |rec: &Record, what: String| {
        rec.emit(true, &rule, &format!("{reason}; {what}"), 0, 0);
        text(
            StatusCode::BAD_GATEWAY,
            format!("docksandbox: {label}: {what}\n"),
        )
    };
    let (stream, addr) = match dial(&route.addrs).await {
        Ok(x) => x,
        Err(e) => return fail(&rec, format!("connecting failed: {e}")),
    };
    rec.addr = Some(addr);
    let (mut sender, conn) = match hyper::client::conn::http1::Builder::new()
        .max_buf_size(UPSTREAM_BUF)
        .handshake::<_, Body>(TokioIo::new(stream))
        .await
    {
        Ok(x) => x,
        Err(e) => return fail(&rec, format!("upstream HTTP failed: {e}")),
    };
    tokio::spawn(async move {
        let _ = conn.await;
    });

    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if let Ok(h) = HeaderValue::from_str(auth.as_str()) {
        parts.headers.insert(header::HOST, h);
    }
    parts.uri = uri.path_and_query().map_or_else(
        || Uri::from_static("/"),
        |pq| {
            pq.as_str()
                .parse()
                .unwrap_or_else(|_| Uri::from_static("/"))
        },
    );
    parts.version = Version::HTTP_11;
    let up = Arc::new(AtomicU64::new(0));
    let counter = up.clone();
    let body = body
        .map_frame(move |f| {
            if let Some(d) = f.data_ref() {
                counter.fetch_add(d.len() as u64, Ordering::Relaxed);
            }
            f
        })
        .boxed();
    let resp = match sender.send_request(Request::from_parts(parts, body)).await {
        Ok(r) => r,
        Err(e) => return fail(&rec, format!("upstream HTTP failed: {e}")),
    };
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        return fail(
            &rec,
            "the server switched protocols, which is refused over plain HTTP".into(),
        );
    }
    let (mut rparts, rbody) = resp.into_parts();
    strip_hop_by_hop(&mut rparts.headers);
    let done = Done {
        rec,
        rule,
        reason,
        up,
        down: AtomicU64::new(0),
    };
    let body = rbody
        .map_frame(move |f| {
            if let Some(d) = f.data_ref() {
                done.add_down(d.len());
            }
            f
        })
        .boxed();
    Response::from_parts(rparts, body)
}

/// Logs a forwarded request when its response body is gone (sent or abandoned).
struct Done {
    rec: Record,
    rule: String,
    reason: String,
    up: Arc<AtomicU64>,
    down: AtomicU64,
}

impl Done {
    fn add_down(&self, n: usize) {
        self.down.fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Drop for Done {
    fn drop(&mut self) {
        let (up, down) = (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
        );
        self.rec.emit(true, &self.rule, &self.reason, up, down);
    }
}

/// Whether a request asks to switch protocols.
fn asks_upgrade(h: &HeaderMap) -> bool {
    h.contains_key(header::UPGRADE) || connection_tokens(h).iter().any(|t| t == "upgrade")
}

fn connection_tokens(h: &HeaderMap) -> Vec<String> {
    h.get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Removes hop-by-hop headers (RFC 9110 §7.6.1, and those `Connection` names) and every
/// `Proxy-*` header.
fn strip_hop_by_hop(h: &mut HeaderMap) {
    for name in connection_tokens(h) {
        if let Ok(n) = HeaderName::from_bytes(name.as_bytes()) {
            h.remove(n);
        }
    }
    for n in [
        header::CONNECTION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        HeaderName::from_static("keep-alive"),
    ] {
        h.remove(n);
    }
    let proxy: Vec<HeaderName> = h
        .keys()
        .filter(|k| k.as_str().starts_with("proxy-"))
        .cloned()
        .collect();
    for n in proxy {
        h.remove(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_proxy_headers_go() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("connection", "keep-alive, X-Secret"),
            ("x-secret", "1"),
            ("keep-alive", "timeout=5"),
            ("proxy-authorization", "Basic eA=="),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("accept", "*/*"),
        ] {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        strip_hop_by_hop(&mut h);
        assert_eq!(h.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["accept"]);
    }

    #[test]
    fn upgrade_is_seen_in_either_header() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        assert!(asks_upgrade(&h));
        let mut h = HeaderMap::new();
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(asks_upgrade(&h));
        assert!(!asks_upgrade(&HeaderMap::new()));
    }
}
