//! `docksandbox mcp`: the Model Context Protocol server, a front door like the CLI's commands
//! (on `rmcp`): stdio by default, Streamable HTTP with `--http` (loopback unless
//! `--listen-any`, a bearer token required). Every tool is one core call (`tools.rs`), its
//! arguments typed (`arguments.rs`).

mod arguments;
mod http;
mod resources;
mod tools;

use rmcp::ServiceExt;

use crate::cli::McpArgs;
use crate::commands::Global;
use crate::failure::Outcome;

pub async fn mcp(g: &Global, a: McpArgs) -> Outcome {
    let client = g.client()?;
    let roots = if a.roots.is_empty() {
        vec![std::env::current_dir().map_err(docksandbox::Error::Io)?]
    } else {
        a.roots.iter().map(std::path::PathBuf::from).collect()
    };
    let mut bounds = docksandbox::Bounds::new(&roots)?;
    if !a.templates.is_empty() {
        bounds.templates = Some(a.templates.clone());
    }
    bounds.max_sandboxes = a.max_sandboxes;
    bounds.network = docksandbox::NetworkBounds {
        network: a.network.clone(),
        network_policy: a.network_policy.clone(),
        allow_hosts: a.allow_hosts.clone(),
        deny_hosts: a.deny_hosts.clone(),
    };
    bounds.widen_network = a.allow_policy_changes;
    // The server's own network, checked before any client asks.
    docksandbox::RunRequest::default().shape_within(&bounds)?;
    let server = tools::Server::new(client, bounds, a.allow_policy_changes);
    match &a.http {
        None => {
            let running = server.serve(rmcp::transport::stdio()).await.map_err(|e| {
                docksandbox::Error::Client(format!("mcp: the session did not start: {e}"))
            })?;
            running
                .waiting()
                .await
                .map_err(|e| docksandbox::Error::Client(format!("mcp: {e}")))?;
            Ok(0)
        }
        Some(addr) => http::serve(server, addr, a.listen_any).await,
    }
}
