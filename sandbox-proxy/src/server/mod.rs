//! The proxy server: an HTTP proxy (CONNECT and absolute-URI requests) and a SOCKS5 proxy, both
//! deciding every connection with the policy in force and printing one log line for it.

mod ca;
mod connect;
mod control;
mod http;
mod intercept;
pub(crate) mod out;
mod resolve;
mod sni;
mod socks5;
mod state;
mod tunnel;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use docksandbox_proxy::log::ReadyLine;
use tokio::net::{TcpListener, TcpStream};

pub use state::{parse as parse_policy, Watched};

/// How `serve` was asked to run.
#[derive(Debug)]
pub struct Config {
    /// The policy file.
    pub policy: PathBuf,
    /// Where the HTTP proxy listens.
    pub http: String,
    /// Where the SOCKS5 proxy listens.
    pub socks: String,
    /// CONNECT ports whose first bytes must be a TLS ClientHello naming the CONNECT host.
    pub tls_ports: Vec<u16>,
    /// The secrets file (`None`: no secrets, nothing is intercepted).
    pub secrets: Option<PathBuf>,
    /// Where to write the per-sandbox CA's certificate (PEM) for the sandbox to trust.
    pub ca_out: Option<PathBuf>,
    /// Extra CA certificates (PEM) trusted for the real servers behind intercepted hosts.
    pub upstream_ca: Option<PathBuf>,
}

/// What every connection handler shares.
#[derive(Debug)]
pub struct Ctx {
    /// The policy in force.
    pub policy: Arc<Watched>,
    /// See [`Config::tls_ports`].
    pub tls_ports: Vec<u16>,
    /// Interception for secrets, when the sandbox has any.
    pub intercept: Option<Arc<intercept::Interceptor>>,
}

/// Runs the proxy until SIGTERM or SIGINT; returns the process's exit code.
pub async fn serve(cfg: Config) -> i32 {
    let policy = Arc::new(Watched::load(cfg.policy.clone()));
    // Fail closed: secrets that cannot be loaded stop the proxy (the sandbox then has no
    // network), never a proxy that sends placeholders on as if nothing were wrong.
    let intercept = match &cfg.secrets {
        None => None,
        Some(path) => match intercept::Interceptor::load(path, cfg.upstream_ca.as_deref()) {
            Ok(i) => Some(Arc::new(i)),
            Err(e) => {
                eprintln!("docksandbox-proxy: {e}");
                return 1;
            }
        },
    };
    if let (Some(i), Some(out)) = (&intercept, &cfg.ca_out) {
        let tmp = out.with_extension("tmp");
        if let Err(e) = std::fs::write(&tmp, i.ca_pem()).and_then(|()| std::fs::rename(&tmp, out)) {
            eprintln!(
                "docksandbox-proxy: cannot write the CA certificate to {}: {e}",
                out.display()
            );
            return 1;
        }
    }
    let http = match TcpListener::bind(&cfg.http).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "docksandbox-proxy: cannot listen on {} (HTTP): {e}",
                cfg.http
            );
            return 1;
        }
    };
    let socks = match TcpListener::bind(&cfg.socks).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "docksandbox-proxy: cannot listen on {} (SOCKS5): {e}",
                cfg.socks
            );
            return 1;
        }
    };
    let addr = |l: &TcpListener| l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    out::line(&ReadyLine::new(addr(&http), addr(&socks)).to_line());

    let ctx = Arc::new(Ctx {
        policy: policy.clone(),
        tls_ports: cfg.tls_ports,
        intercept,
    });
    tokio::spawn(control::serve(
        docksandbox_proxy::control_socket(&cfg.policy),
        policy.clone(),
    ));
    tokio::spawn(policy.watch());
    tokio::spawn(accept(http, ctx.clone(), http::serve_conn));
    tokio::spawn(accept(socks, ctx, socks5::serve_conn));
    shutdown_signal().await;
    0
}

/// Accepts connections for ever, one task each.
async fn accept<F, Fut>(listener: TcpListener, ctx: Arc<Ctx>, handler: F)
where
    F: Fn(Arc<Ctx>, TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(handler(ctx.clone(), stream, peer));
            }
            // Out of descriptors and the like: wait a little rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// As PID 1 in a container the process gets no default signal handling: stop on SIGTERM and
/// SIGINT explicitly.
pub(crate) async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}
