//! The engine, reached through its socket: one HTTP/1.1 connection per request (upgrades
//! allowed), plus JSON helpers for the lookups the proxy's decisions need.

use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;

use docksandbox_proxy::engine_api::Refusal;

/// A request or response body of any kind.
pub type Body = BoxBody<Bytes, hyper::Error>;

/// A whole body.
pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

/// The engine's socket.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Path of the engine's Unix socket.
    pub socket: PathBuf,
    /// API version prefix for the proxy's own lookups.
    pub version: String,
}

fn unreachable(e: impl std::fmt::Display) -> Refusal {
    Refusal {
        status: 502,
        message: format!("docksandbox's scoped Docker access cannot reach the engine: {e}"),
    }
}

impl Engine {
    /// Sends `req` to the engine.
    pub async fn send(&self, req: Request<Body>) -> Result<Response<Incoming>, Refusal> {
        let stream = UnixStream::connect(&self.socket)
            .await
            .map_err(unreachable)?;
        let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(unreachable)?;
        tokio::spawn(async move {
            let _ = conn.with_upgrades().await;
        });
        tx.send_request(req).await.map_err(unreachable)
    }

    /// `method path` with an optional JSON body; the status and the JSON answer (`Null` when
    /// the answer is not JSON).
    pub async fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(u16, serde_json::Value), Refusal> {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("/v{}{path}", self.version))
            .header("host", "docker");
        let body = match body {
            Some(v) => {
                b = b.header("content-type", "application/json");
                full(v.to_string())
            }
            None => full(Bytes::new()),
        };
        let req = b.body(body).map_err(unreachable)?;
        let resp = self.send(req).await?;
        let status = resp.status().as_u16();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(unreachable)?
            .to_bytes();
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    }

    /// `GET path`: the JSON, or `None` on 404.
    pub async fn get(&self, path: &str) -> Result<Option<serde_json::Value>, Refusal> {
        match self.json("GET", path, None).await? {
            (200, v) => Ok(Some(v)),
            (404, _) => Ok(None),
            (s, v) => Err(Refusal {
                status: s,
                message: v["message"].as_str().unwrap_or("engine error").to_string(),
            }),
        }
    }
}
