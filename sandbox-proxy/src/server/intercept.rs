//! Interception for secrets: a CONNECT to a host a secret may go to is answered with TLS of
//! the per-sandbox CA; each request's headers get the secret's value in place of its
//! placeholder, and go on over a fresh TLS connection to the checked address that verifies the
//! real server's certificate. Every other host stays a plain tunnel (`connect.rs`).
//!
//! The client may speak HTTP/2 or HTTP/1.1 (ALPN); the real server is spoken to in HTTP/1.1,
//! which every HTTPS API accepts, so one upstream connection serves either (and websocket
//! upgrades, which are HTTP/1.1, pass through).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use docksandbox_proxy::secrets::SecretsFile;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, HOST};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite};

use super::ca::Ca;
use super::http::{text, Body};
use super::out::Record;
use super::resolve::{dial, Route};

/// What interception needs: the secrets, the CA, the trust for real servers.
#[derive(Debug)]
pub struct Interceptor {
    /// The secrets and their hosts.
    pub secrets: SecretsFile,
    ca: Ca,
    upstream: Arc<ClientConfig>,
}

impl Interceptor {
    /// Loads the secrets file and makes the CA; `extra_roots` (PEM, e.g. a TLS-inspecting
    /// network's CA or a test CA) are trusted for real servers besides the Mozilla roots.
    pub fn load(secrets: &Path, extra_roots: Option<&Path>) -> Result<Interceptor, String> {
        let bytes = std::fs::read(secrets)
            .map_err(|e| format!("cannot read the secrets file {}: {e}", secrets.display()))?;
        let file: SecretsFile = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the secrets file {} is not valid: {e}", secrets.display()))?;
        let ca = Ca::generate(&file.hosts())?;
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(p) = extra_roots {
            let pem = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            for cert in rustls_pemfile_certs(&pem) {
                roots
                    .add(cert)
                    .map_err(|e| format!("{}: a certificate is not usable: {e}", p.display()))?;
            }
        }
        let upstream =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
        Ok(Interceptor {
            secrets: file,
            ca,
            upstream: Arc::new(upstream),
        })
    }

    /// The CA certificate the sandbox trusts, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca.pem
    }
}

/// The certificates of a PEM bundle (other blocks skipped).
fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .collect()
}

type Refusal = (&'static str, String);

/// Takes over a CONNECT tunnel to `host` (a secret's host on a TLS port): the client's
/// ClientHello must name `host`; then requests are served until the client is done.
pub async fn intercept<C>(
    it: Arc<Interceptor>,
    mut rec: Record,
    client: C,
    host: String,
    route: Route,
) where
    C: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let start =
        match tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), client)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                let reason = format!("the client's TLS ClientHello was not usable: {e}");
                rec.emit(false, "not tls", &reason, 0, 0);
                return;
            }
        };
    let sni = start
        .client_hello()
        .server_name()
        .map(|s| s.trim_end_matches('.').to_ascii_lowercase());
    rec.sni = sni.clone();
    if let Err((rule, reason)) = same_name(&host, sni.as_deref()) {
        rec.emit(false, rule, &reason, 0, 0);
        return;
    }
    let config = match it.ca.server_config(&host) {
        Ok(c) => c,
        Err(e) => {
            rec.emit(false, "interception failed", &e, 0, 0);
            return;
        }
    };
    let tls = match start.into_stream(config).await {
        Ok(t) => t,
        Err(e) => {
            let reason = format!(
                "{}; the client refused the sandbox's certificate for {host} (is the sandbox's CA trusted?): {e}",
                route.verdict.reason
            );
            rec.emit(true, &route.verdict.rule, &reason, 0, 0);
            return;
        }
    };
    let conn = Arc::new(Conn {
        it,
        host,
        route,
        rec: rec.clone(),
        upstream: tokio::sync::Mutex::new(None),
        requests: AtomicU64::new(0),
        added: Mutex::new(BTreeSet::new()),
        addr: Mutex::new(None),
    });
    let c = conn.clone();
    let svc = service_fn(move |req| {
        let c = c.clone();
        async move { Ok::<_, std::convert::Infallible>(c.forward(req).await) }
    });
    let served = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection_with_upgrades(TokioIo::new(tls), svc)
        .await;
    let added: Vec<String> = conn.added.lock().expect("added").iter().cloned().collect();
    let mut reason = format!(
        "{}; intercepted for secrets ({} request(s), value of {} added)",
        conn.route.verdict.reason,
        conn.requests.load(Ordering::Relaxed),
        if added.is_empty() {
            "none".to_string()
        } else {
            added.join(", ")
        }
    );
    if let Err(e) = served {
        reason.push_str(&format!("; the connection ended with: {e}"));
    }
    rec.addr = *conn.addr.lock().expect("addr");
    rec.emit(true, &conn.route.verdict.rule, &reason, 0, 0);
}

/// The ClientHello must name the CONNECT host (no fronting).
fn same_name(host: &str, sni: Option<&str>) -> Result<(), Refusal> {
    let want = host.trim_end_matches('.').to_ascii_lowercase();
    match sni {
        Some(n) if n == want => Ok(()),
        Some(n) => Err((
            "sni mismatch",
            format!("the TLS server name {n} is not the CONNECT host {want}"),
        )),
        None => Err((
            "sni mismatch",
            format!("the TLS ClientHello names no server; the CONNECT host is {want}"),
        )),
    }
}

/// An HTTP/2 request made fit for the HTTP/1.1 connection to the real server: origin-form
/// target, `Host` from the `:authority`. HTTP/1.1 requests are left as they are.
fn as_http1<B>(req: &mut Request<B>) -> Result<(), String> {
    if req.version() != Version::HTTP_2 {
        return Ok(());
    }
    if !req.headers().contains_key(HOST) {
        if let Some(a) = req.uri().authority() {
            let v = HeaderValue::from_str(a.as_str()).map_err(|e| e.to_string())?;
            req.headers_mut().insert(HOST, v);
        }
    }
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    *req.uri_mut() = target
        .parse::<Uri>()
        .map_err(|e| format!("the request target is not valid: {e}"))?;
    *req.version_mut() = Version::HTTP_11;
    Ok(())
}

/// One intercepted client connection.
struct Conn {
    it: Arc<Interceptor>,
    host: String,
    route: Route,
    rec: Record,
    upstream: tokio::sync::Mutex<Option<SendRequest<Incoming>>>,
    requests: AtomicU64,
    added: Mutex<BTreeSet<String>>,
    /// The real server's address, once connected.
    addr: Mutex<Option<SocketAddr>>,
}

impl Conn {
    async fn forward(&self, mut req: Request<Incoming>) -> Response<Body> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        for (name, value) in req.headers_mut().iter_mut() {
            let r = self.it.secrets.rewrite(value.as_bytes(), &self.host);
            for s in &r.sent_elsewhere {
                self.rec.emit(
                    true,
                    &format!("secret-sent-elsewhere {s}"),
                    &format!(
                        "the placeholder of {s} was sent to {} in header {name}, a host it is not for; it stayed a placeholder",
                        self.host
                    ),
                    0,
                    0,
                );
            }
            if let Some(v) = r.value {
                match HeaderValue::from_bytes(&v) {
                    Ok(mut hv) => {
                        hv.set_sensitive(true);
                        *value = hv;
                        self.added.lock().expect("added").extend(r.added);
                    }
                    Err(_) => {
                        return text(
                            StatusCode::BAD_GATEWAY,
                            "docksandbox: a secret's value is not a valid header value\n".into(),
                        )
                    }
                }
            }
        }
        if let Err(e) = as_http1(&mut req) {
            return text(StatusCode::BAD_REQUEST, format!("docksandbox: {e}\n"));
        }
        let client_upgrade = hyper::upgrade::on(&mut req);
        let mut sender = match self.sender().await {
            Ok(s) => s,
            Err(e) => {
                return text(
                    StatusCode::BAD_GATEWAY,
                    format!("docksandbox: {}: {e}\n", self.host),
                )
            }
        };
        let mut resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                *self.upstream.lock().await = None;
                return text(
                    StatusCode::BAD_GATEWAY,
                    format!("docksandbox: {}: the request failed: {e}\n", self.host),
                );
            }
        };
        *self.upstream.lock().await = Some(sender);
        if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
            let server_upgrade = hyper::upgrade::on(&mut resp);
            tokio::spawn(async move {
                if let (Ok(a), Ok(b)) = (client_upgrade.await, server_upgrade.await) {
                    let _ =
                        tokio::io::copy_bidirectional(&mut TokioIo::new(a), &mut TokioIo::new(b))
                            .await;
                }
            });
        }
        resp.map(|b| b.boxed())
    }

    /// The connection to the real server: kept between requests, made again when it broke.
    async fn sender(&self) -> Result<SendRequest<Incoming>, String> {
        if let Some(s) = self.upstream.lock().await.take() {
            if s.is_ready() {
                return Ok(s);
            }
        }
        let (tcp, addr) = dial(&self.route.addrs)
            .await
            .map_err(|e| format!("connecting failed: {e}"))?;
        *self.addr.lock().expect("addr") = Some(addr);
        let name = ServerName::try_from(self.host.clone())
            .map_err(|e| format!("not a server name: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(self.it.upstream.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("the server's certificate could not be verified: {e}"))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn.with_upgrades());
        Ok(sender)
    }
}
