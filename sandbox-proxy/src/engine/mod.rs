//! The scoped-docker proxy: an Engine API server on a Unix socket that only its sandbox can
//! reach, deciding every request with [`docksandbox_proxy::engine_api`] and forwarding the
//! allowed ones, rewritten, to the engine's socket. Hijacked streams (attach, exec start,
//! BuildKit's session) are passed through once their first request is decided.

mod handler;
mod ports;
mod upstream;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::UnixListener;

use docksandbox_proxy::engine_api::scope::Scope;

/// How `engine` was asked to run.
#[derive(Debug)]
pub struct Config {
    /// The engine's socket.
    pub upstream: PathBuf,
    /// Where to listen (a socket file in the volume mounted into the sandbox).
    pub listen: PathBuf,
    /// The volume holding `listen`, whose host path children binding the engine socket get.
    pub socket_volume: String,
    /// The scope (its `proxy_socket` is learned from the engine at start).
    pub scope: Scope,
}

/// What every request shares.
#[derive(Debug)]
pub struct Ctx {
    engine: upstream::Engine,
    scope: Scope,
    forwards: ports::Forwards,
    /// The proxy's own address on the sandbox's network (where forwarded ports listen).
    address: String,
    /// BuildKit sessions opened through this proxy (a build may use only those).
    sessions: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Runs until SIGTERM or SIGINT; returns the exit code.
pub async fn serve(mut cfg: Config) -> i32 {
    let engine = upstream::Engine {
        socket: cfg.upstream.clone(),
        version: docksandbox_proxy::engine_api::route::DEFAULT_VERSION.into(),
    };
    // Learn where this proxy's socket is on the host, and its own address.
    let volume = match engine.get(&format!("/volumes/{}", cfg.socket_volume)).await {
        Ok(Some(v)) => v,
        Ok(None) => {
            eprintln!("docksandbox-proxy: volume {} not found", cfg.socket_volume);
            return 1;
        }
        Err(e) => {
            eprintln!("docksandbox-proxy: {}", e.message);
            return 1;
        }
    };
    let file = cfg
        .listen
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    cfg.scope.proxy_socket = format!(
        "{}/{file}",
        volume["Mountpoint"].as_str().unwrap_or_default()
    );
    let host = std::env::var("HOSTNAME").unwrap_or_default();
    let address = match engine.get(&format!("/containers/{host}/json")).await {
        Ok(Some(me)) => me["NetworkSettings"]["Networks"][&cfg.scope.network]["IPAddress"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    let _ = std::fs::remove_file(&cfg.listen);
    let listener = match UnixListener::bind(&cfg.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "docksandbox-proxy: cannot listen on {}: {e}",
                cfg.listen.display()
            );
            return 1;
        }
    };
    // Only this sandbox has the volume: any of its users may use the socket.
    let _ = std::fs::set_permissions(&cfg.listen, std::fs::Permissions::from_mode(0o666));
    let ctx = Arc::new(Ctx {
        engine,
        scope: cfg.scope,
        forwards: ports::Forwards::default(),
        address,
        sessions: Default::default(),
    });
    handler::restore_forwards(&ctx).await;
    crate::server::out::line(
        &serde_json::json!({ "ready": docksandbox_proxy::READY_MARKER, "engine": cfg.listen })
            .to_string(),
    );
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let ctx = ctx.clone();
                    async move { Ok::<_, std::convert::Infallible>(handler::handle(ctx, req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .with_upgrades()
                    .await;
            });
        }
    });
    crate::server::shutdown_signal().await;
    0
}
