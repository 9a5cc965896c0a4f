//! Ports a child asked to publish: never published by the engine (the sandbox's network has no
//! host side); the proxy listens on its own address on the sandbox's network and forwards each
//! connection to the child. Reported in the child's inspect and list answers as if published
//! there, so `docker port`, Testcontainers (with TESTCONTAINERS_HOST_OVERRIDE set to the proxy)
//! and the like find them.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use docksandbox_proxy::engine_api::create::PortRequest;

/// One forwarded port.
#[derive(Debug)]
pub struct Forward {
    /// `80/tcp`.
    pub container: String,
    /// The port the proxy listens on.
    pub port: u16,
    task: JoinHandle<()>,
}

/// Every container's forwards.
#[derive(Debug, Default)]
pub struct Forwards {
    by_container: Mutex<HashMap<String, Vec<Forward>>>,
}

impl Forwards {
    /// Forwards `requests` of container `id` (at `ip`), replacing what it had. The ports asked
    /// for are tried first; a port in use falls back to any free one.
    pub async fn set(&self, id: &str, ip: &str, requests: &[PortRequest]) {
        self.remove(id);
        let mut list = Vec::new();
        for r in requests {
            let cport: u16 = match r.container.split('/').next().and_then(|p| p.parse().ok()) {
                Some(p) => p,
                None => continue,
            };
            let listener = match TcpListener::bind(("0.0.0.0", r.host)).await {
                Ok(l) => l,
                Err(_) => match TcpListener::bind(("0.0.0.0", 0)).await {
                    Ok(l) => l,
                    Err(_) => continue,
                },
            };
            let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
            let target = format!("{ip}:{cport}");
            let task = tokio::spawn(async move {
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        continue;
                    };
                    let target = target.clone();
                    tokio::spawn(async move {
                        if let Ok(mut out) = TcpStream::connect(&target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        }
                    });
                }
            });
            list.push(Forward {
                container: r.container.clone(),
                port,
                task,
            });
        }
        if let Ok(mut m) = self.by_container.lock() {
            m.insert(id.to_string(), list);
        }
    }

    /// Stops forwarding for `id`.
    pub fn remove(&self, id: &str) {
        if let Ok(mut m) = self.by_container.lock() {
            for f in m.remove(id).unwrap_or_default() {
                f.task.abort();
            }
        }
    }

    /// `(container port, proxy port)` of `id`.
    pub fn of(&self, id: &str) -> Vec<(String, u16)> {
        self.by_container
            .lock()
            .map(|m| {
                m.get(id)
                    .map(|l| l.iter().map(|f| (f.container.clone(), f.port)).collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }
}
