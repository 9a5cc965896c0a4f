//! `docksandbox mcp --http ADDR`: Streamable HTTP at `http://ADDR/mcp`, loopback only unless
//! `--listen-any`, the `Host` (and a browser's `Origin`) checked by rmcp against this address,
//! and every request carrying the bearer token printed at start (or `DOCKSANDBOX_MCP_TOKEN`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::tools::Server;
use crate::failure::Outcome;

/// The environment variable that sets the token instead of a random one.
pub const TOKEN_ENV: &str = "DOCKSANDBOX_MCP_TOKEN";

pub async fn serve(server: Server, addr: &str, listen_any: bool) -> Outcome {
    let sock: SocketAddr = docksandbox::listen_address(addr, listen_any)?;
    let token = match std::env::var(TOKEN_ENV) {
        Ok(t) => {
            docksandbox::shared_token(&t, TOKEN_ENV)?;
            t
        }
        Err(_) => new_token()?,
    };
    let listener = tokio::net::TcpListener::bind(sock)
        .await
        .map_err(docksandbox::Error::Io)?;
    let bound = listener.local_addr().map_err(docksandbox::Error::Io)?;
    let port = bound.port();
    let mut hosts = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if listen_any && !sock.ip().is_unspecified() {
        hosts.push(sock.ip().to_string());
    }
    let origins: Vec<String> = hosts.iter().map(|h| format!("http://{h}:{port}")).collect();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_allowed_origins(origins);
    let service: StreamableHttpService<Server, LocalSessionManager> =
        StreamableHttpService::new(move || Ok(server.clone()), Default::default(), config);
    let expected = Arc::new(format!("Bearer {token}"));
    let app = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let expected = expected.clone();
                async move { authorized(&expected, req, next).await }
            },
        ));
    eprintln!("docksandbox mcp: listening on http://{bound}/mcp");
    eprintln!("docksandbox mcp: token {token} (send `Authorization: Bearer <token>`)");
    axum::serve(listener, app)
        .await
        .map_err(docksandbox::Error::Io)?;
    Ok(0)
}

/// Passes a request that carries the token; answers 401 to any other.
async fn authorized(expected: &str, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if same(given.as_bytes(), expected.as_bytes()) {
        next.run(req).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "docksandbox mcp: a bearer token is required (the one printed when the server started)\n",
        )
            .into_response()
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes from the system, as hex.
fn new_token() -> Result<String, docksandbox::Error> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|e| docksandbox::Error::Client(format!("no random token: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"Bearer abc", b"Bearer abc"));
        assert!(!same(b"Bearer abd", b"Bearer abc"));
        assert!(!same(b"Bearer ab", b"Bearer abc"));
        assert_eq!(new_token().unwrap().len(), 64);
    }
}
