//! The MCP tools: each one core call on a sandbox within the server's bounds. Failures are
//! tool errors (`isError`) carrying the core's message in the tools' words, so the model
//! reads what to change; the server itself runs nothing on the host but engine calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use docksandbox::{Bounds, Client, Error, ExecOptions, RunOptions, Sandbox};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, Meta, PaginatedRequestParams,
    ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResult, ServerCapabilities,
    ServerInfo,
};
use rmcp::service::RequestContext;
use rmcp::{
    tool, tool_handler, tool_router, ErrorData as McpError, Peer, RoleServer, ServerHandler,
};
use tokio_util::sync::CancellationToken;

use super::arguments::*;

/// Output of a command (each stream) and a file's content are cut to this, head and tail.
pub const OUTPUT_CAP: usize = 64 * 1024;
/// The largest file `sandbox_write_file` takes.
pub const WRITE_CAP: usize = 16 << 20;
/// An exec's timeout when the call gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a running exec reports progress (when the client asked for progress).
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

type ToolResult<T> = Result<Json<T>, String>;

/// The server: a client of the engine, the bounds its callers stay in, and whether they may
/// widen a sandbox's network.
#[derive(Clone)]
pub struct Server {
    pub(super) client: Client,
    pub(super) bounds: Bounds,
    allow_policy_changes: bool,
    /// Handles found before, by the reference they were asked for: each keeps its exec
    /// channel, so a warm exec costs no engine call. Dropped when the sandbox is stopped or
    /// removed here, or when a call through one fails.
    handles: Arc<Mutex<HashMap<String, Sandbox>>>,
    tool_router: ToolRouter<Server>,
}

/// A core error in the tools' words.
pub(super) fn say(e: Error) -> String {
    e.message_with(&word)
}

impl Server {
    /// A server using `client` within `bounds`.
    pub fn new(client: Client, bounds: Bounds, allow_policy_changes: bool) -> Self {
        Server {
            client,
            bounds,
            allow_policy_changes,
            handles: Arc::default(),
            tool_router: Self::tool_router(),
        }
    }

    fn cached(&self, reference: &str) -> Option<Sandbox> {
        self.handles.lock().ok()?.get(reference).cloned()
    }

    fn remember(&self, reference: &str, sb: &Sandbox) {
        if let Ok(mut h) = self.handles.lock() {
            h.insert(reference.to_string(), sb.clone());
        }
    }

    /// Forgets every handle of the sandbox called `name`.
    fn forget(&self, name: &str) {
        if let Ok(mut h) = self.handles.lock() {
            h.retain(|_, sb| sb.name() != name);
        }
    }

    /// The sandbox `reference` names, within the bounds: the handle found before, or a new one.
    pub(super) async fn sandbox(&self, reference: &str) -> Result<Sandbox, String> {
        if let Some(sb) = self.cached(reference) {
            return Ok(sb);
        }
        let sb = self
            .client
            .get_within(reference, &self.bounds)
            .await
            .map_err(say)?;
        self.remember(reference, &sb);
        Ok(sb)
    }
}

/// Where a running exec reports its progress (when the client gave a token).
struct Progress {
    token: Option<rmcp::model::ProgressToken>,
    peer: Peer<RoleServer>,
}

/// Runs a command, reporting progress every few seconds; `Err` when the call was cancelled
/// (dropping the exec kills the process in the sandbox).
async fn exec_reporting(
    sb: &Sandbox,
    argv: Vec<String>,
    opts: ExecOptions,
    ct: &CancellationToken,
    progress: &Progress,
) -> Result<docksandbox::Result<docksandbox::ExecOutput>, String> {
    let run = sb.exec_with(argv, opts);
    tokio::pin!(run);
    let mut ticks = tokio::time::interval(PROGRESS_EVERY);
    ticks.tick().await;
    let mut waited = 0u64;
    loop {
        tokio::select! {
            r = &mut run => return Ok(r),
            _ = ct.cancelled() => return Err("cancelled: the command was killed".into()),
            _ = ticks.tick() => {
                waited += PROGRESS_EVERY.as_secs();
                if let Some(t) = &progress.token {
                    let _ = progress
                        .peer
                        .notify_progress(
                            ProgressNotificationParam::new(t.clone(), waited as f64)
                                .with_message(format!("running for {waited} s")),
                        )
                        .await;
                }
            }
        }
    }
}

#[tool_router]
impl Server {
    /// Creates the sandbox for a workspace and agent, or reuses the one that exists (starting
    /// it when stopped), and returns its name. The workspace is mounted at the same absolute
    /// path; by default the sandbox reaches the public internet through its egress proxy only.
    #[tool(annotations(
        title = "Run a sandbox",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true
    ))]
    async fn sandbox_run(&self, params: Parameters<RunArgs>) -> ToolResult<RunResult> {
        let a = params.0;
        let mut req = a.into_request();
        req.shape_within(&self.bounds).map_err(say)?;
        let spec = req.builder().and_then(|b| b.build()).map_err(say)?;
        let sb = self
            .client
            .run_within(spec, RunOptions::default(), &self.bounds)
            .await
            .map_err(say)?;
        self.forget(sb.name());
        self.remember(sb.name(), &sb);
        let status = sb.status().await.map_err(say)?;
        Ok(Json(RunResult {
            sandbox: sb.name().to_string(),
            workspace: sb.workspace().display().to_string(),
            status: status.to_string(),
        }))
    }

    /// Lists the sandboxes under the server's roots, newest first.
    #[tool(annotations(title = "List sandboxes", read_only_hint = true))]
    async fn sandbox_list(&self) -> ToolResult<ListResult> {
        let all = self.client.list().await.map_err(say)?;
        let sandboxes = all
            .into_iter()
            .filter(|i| {
                i.spec
                    .as_ref()
                    .is_some_and(|s| self.bounds.allows_sandbox(s))
            })
            .map(|i| ListedSandbox {
                branch: i.branch.as_ref().map(|b| b.name.clone()),
                sandbox: i.name,
                agent: i.agent,
                workspace: i.workspace.display().to_string(),
                status: i.status.to_string(),
            })
            .collect();
        Ok(Json(ListResult { sandboxes }))
    }

    /// Everything known about a sandbox: its settings, mounts, security, limits, network,
    /// ports and branch.
    #[tool(annotations(title = "Inspect a sandbox", read_only_hint = true))]
    async fn sandbox_inspect(&self, params: Parameters<SandboxArg>) -> ToolResult<InspectResult> {
        let sb = self.sandbox(&params.0.sandbox).await?;
        let info = sb.inspect().await.map_err(say)?;
        let info = serde_json::to_value(info).map_err(|e| e.to_string())?;
        Ok(Json(InspectResult { info }))
    }

    /// Runs a command inside the sandbox (an argv array, or a command line for its `sh -c`)
    /// and returns its exit code and output (each stream cut to its head and tail past 64 KiB).
    /// Killed after `timeout_secs` (default 120); cancelling the call kills it too.
    #[tool(annotations(
        title = "Run a command in a sandbox",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false
    ))]
    async fn sandbox_exec(
        &self,
        params: Parameters<ExecArgs>,
        ct: CancellationToken,
        meta: Meta,
        peer: Peer<RoleServer>,
    ) -> ToolResult<ExecResult> {
        let a = params.0;
        let argv = match (a.argv, a.command) {
            (Some(v), None) if !v.is_empty() => v,
            (None, Some(c)) => vec!["sh".into(), "-c".into(), c],
            _ => return Err("give exactly one of `argv` (a non-empty array) and `command`".into()),
        };
        let timeout = match a.timeout_secs {
            None => DEFAULT_TIMEOUT,
            Some(t) => docksandbox::timeout_from_secs(t, "timeout_secs").map_err(say)?,
        };
        let opts = ExecOptions {
            env: a.env.unwrap_or_default(),
            workdir: a.cwd,
            stdin: a.stdin.map(String::into_bytes),
            timeout: Some(timeout),
            ..Default::default()
        };
        let progress = Progress {
            token: meta.get_progress_token(),
            peer,
        };
        let was_cached = self.cached(&a.sandbox).is_some();
        let sb = self.sandbox(&a.sandbox).await?;
        let mut got = exec_reporting(&sb, argv.clone(), opts.clone(), &ct, &progress).await?;
        // A remembered handle whose container was removed or remade behind the server's back
        // fails before the command starts: forget it and try once with a fresh one.
        if was_cached && matches!(&got, Err(e) if e.kind() == docksandbox::ErrorKind::NotFound) {
            self.forget(sb.name());
            let sb = self.sandbox(&a.sandbox).await?;
            got = exec_reporting(&sb, argv, opts, &ct, &progress).await?;
        }
        let (exit_code, stdout, stderr, timed_out) = match got {
            Ok(o) => (o.exit_code, o.stdout, o.stderr, false),
            Err(Error::ExecTimeout { stdout, stderr, .. }) => (-1, stdout, stderr, true),
            Err(e) => {
                self.forget(sb.name());
                return Err(say(e));
            }
        };
        let (stdout, cut_out) = docksandbox::head_tail(&stdout, OUTPUT_CAP);
        let (stderr, cut_err) = docksandbox::head_tail(&stderr, OUTPUT_CAP);
        Ok(Json(ExecResult {
            exit_code,
            stdout,
            stderr,
            truncated: cut_out || cut_err,
            timed_out,
        }))
    }

    /// Reads a file of the sandbox as text (cut to its head and tail past 64 KiB).
    #[tool(annotations(title = "Read a file in a sandbox", read_only_hint = true))]
    async fn sandbox_read_file(&self, params: Parameters<PathArgs>) -> ToolResult<FileResult> {
        let a = params.0;
        let path = a.path.ok_or("`path` is required")?;
        let sb = self.sandbox(&a.sandbox).await?;
        let data = sb.read_file(&path).await.map_err(say)?;
        let (content, truncated) = docksandbox::head_tail(&data, OUTPUT_CAP);
        Ok(Json(FileResult {
            path,
            content,
            size: data.len() as u64,
            truncated,
        }))
    }

    /// Writes a text file in the sandbox (owned by the sandbox's user; its directory must
    /// exist; at most 16 MiB).
    #[tool(annotations(
        title = "Write a file in a sandbox",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = true
    ))]
    async fn sandbox_write_file(&self, params: Parameters<WriteArgs>) -> ToolResult<Done> {
        let a = params.0;
        if a.content.len() > WRITE_CAP {
            return Err(format!(
                "`content` is {} bytes, more than the {} this server takes in one write: write it in parts, or have a command in the sandbox make it",
                a.content.len(),
                WRITE_CAP
            ));
        }
        let sb = self.sandbox(&a.sandbox).await?;
        let n = a.content.len();
        sb.write_file_bytes(&a.path, a.content.into_bytes())
            .await
            .map_err(say)?;
        Ok(Json(Done {
            done: format!("wrote {n} bytes to {}", a.path),
        }))
    }

    /// Lists a directory of the sandbox (default: the workspace).
    #[tool(annotations(title = "List files in a sandbox", read_only_hint = true))]
    async fn sandbox_list_files(&self, params: Parameters<PathArgs>) -> ToolResult<FilesResult> {
        let a = params.0;
        let path = a.path.unwrap_or_else(|| ".".into());
        let sb = self.sandbox(&a.sandbox).await?;
        let entries = sb
            .list_dir(&path)
            .await
            .map_err(say)?
            .into_iter()
            .map(|e| FileEntry {
                name: e.name,
                kind: e.kind,
                size: e.size,
            })
            .collect();
        Ok(Json(FilesResult { path, entries }))
    }

    /// Shows what the agent changed: a branch sandbox's branch against its base (commits and
    /// uncommitted changes), or a review-mode sandbox's kept writes, as a unified diff.
    #[tool(annotations(title = "Diff a sandbox", read_only_hint = true))]
    async fn sandbox_diff(&self, params: Parameters<SandboxArg>) -> ToolResult<DiffResult> {
        let sb = self.sandbox(&params.0.sandbox).await?;
        let text = if sb.branch().is_some() {
            sb.branch_diff(false).await.map_err(say)?
        } else {
            let changes = sb.diff_paths(&[]).await.map_err(say)?;
            sb.diff_text(&changes, false).await.map_err(say)?
        };
        let (diff, truncated) = docksandbox::head_tail(text.as_bytes(), OUTPUT_CAP);
        Ok(Json(DiffResult { diff, truncated }))
    }

    /// Allows the sandbox to reach more hosts through its egress proxy. Only when the server
    /// was started with --allow-policy-changes.
    #[tool(annotations(
        title = "Allow hosts for a sandbox",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true
    ))]
    async fn sandbox_network_allow(&self, params: Parameters<AllowArgs>) -> ToolResult<Done> {
        if !self.allow_policy_changes {
            return Err("refused: this server does not let its clients widen a sandbox's network (the user can start it with --allow-policy-changes)".into());
        }
        let a = params.0;
        let rules = a
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| docksandbox::parse_rule(h, &format!("hosts[{i}]")))
            .collect::<docksandbox::Result<Vec<_>>>()
            .map_err(say)?;
        let sb = self.sandbox(&a.sandbox).await?;
        sb.allow_hosts(&rules).await.map_err(say)?;
        Ok(Json(Done {
            done: format!("allowed {}", a.hosts.join(", ")),
        }))
    }

    /// Stops a sandbox (sandbox_run starts it again).
    #[tool(annotations(
        title = "Stop a sandbox",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true
    ))]
    async fn sandbox_stop(&self, params: Parameters<SandboxArg>) -> ToolResult<Done> {
        let sb = self.sandbox(&params.0.sandbox).await?;
        self.forget(sb.name());
        sb.stop().await.map_err(say)?;
        Ok(Json(Done {
            done: format!("stopped {}", sb.name()),
        }))
    }

    /// Removes a sandbox, running or not (the workspace on the host is untouched; a branch
    /// sandbox with uncommitted changes is refused).
    #[tool(annotations(
        title = "Remove a sandbox",
        read_only_hint = false,
        destructive_hint = true,
        idempotent_hint = false
    ))]
    async fn sandbox_rm(&self, params: Parameters<SandboxArg>) -> ToolResult<Done> {
        let sb = self.sandbox(&params.0.sandbox).await?;
        self.forget(sb.name());
        sb.remove().await.map_err(say)?;
        Ok(Json(Done {
            done: format!("removed {}", sb.name()),
        }))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerInfo {
        ServerInfo::new(ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build())
            .with_server_info(rmcp::model::Implementation::new(
                "docksandbox",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "Sandboxes for coding agents: sandbox_run a workspace (same absolute path inside), then sandbox_exec, sandbox_read_file / sandbox_write_file / sandbox_list_files in it; sandbox_diff shows what changed; sandbox_rm when done. Resources docksandbox://SANDBOX/inspect and docksandbox://SANDBOX/log.",
            )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(self.resources().await?))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            super::resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResult, McpError> {
        self.read(&request.uri).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tool names are an interface: exactly these, each with an object schema for its
    /// arguments and its result.
    #[test]
    fn the_tools_and_their_schemas() {
        let tools = Server::tool_router().list_all();
        let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "sandbox_diff",
                "sandbox_exec",
                "sandbox_inspect",
                "sandbox_list",
                "sandbox_list_files",
                "sandbox_network_allow",
                "sandbox_read_file",
                "sandbox_rm",
                "sandbox_run",
                "sandbox_stop",
                "sandbox_write_file",
            ]
        );
        for t in &tools {
            assert_eq!(
                t.input_schema.get("type").and_then(|v| v.as_str()),
                Some("object"),
                "{}",
                t.name
            );
            assert!(
                t.description.as_ref().is_some_and(|d| !d.is_empty()),
                "{}",
                t.name
            );
            assert!(t.annotations.is_some(), "{}", t.name);
        }
        let exec = tools.iter().find(|t| t.name == "sandbox_exec").unwrap();
        let props = exec.input_schema.get("properties").unwrap();
        for p in [
            "sandbox",
            "argv",
            "command",
            "cwd",
            "env",
            "timeout_secs",
            "stdin",
        ] {
            assert!(props.get(p).is_some(), "sandbox_exec lacks {p}");
        }
    }
}
