//! Changing a running sandbox's network policy and reading its connection log, through its
//! proxy: the policy is written by the proxy program itself (validated, then renamed into place,
//! so a change is atomic and survives restarts); the log is the proxy's output.

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use docksandbox_proxy::log::LogEntry;
use docksandbox_proxy::policy::Policy;

use crate::backend::{Backend, ExecEvent, ExecRequest};
use crate::egress::image::PROGRAM;
use crate::egress::proxy::proxy_name;
use crate::error::{Error, Result};

/// Runs the proxy program's `policy` subcommand in the proxy of `sandbox`; its stdout.
async fn policy_command(
    backend: &dyn Backend,
    sandbox: &str,
    verb: &str,
    stdin: Option<Vec<u8>>,
) -> Result<Vec<u8>> {
    let proxy = proxy_name(sandbox);
    let mut p = backend
        .exec(
            &proxy,
            ExecRequest {
                cmd: vec![PROGRAM.into(), "policy".into(), verb.into()],
                stdin: stdin.is_some(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| match e {
            Error::NotFound { .. } | Error::Engine { .. } => Error::NotRunning {
                name: proxy.clone(),
                status: format!("unreachable ({e}); `docksandbox run` brings the proxy back"),
            },
            e => e,
        })?;
    if let (Some(data), Some(mut input)) = (stdin, p.stdin.take()) {
        input.write_all(&data).await?;
        input.shutdown().await?;
    }
    let (mut out, mut err, mut code) = (Vec::new(), Vec::new(), -1);
    while let Some(ev) = p.events.next().await {
        match ev? {
            ExecEvent::Stdout(b) => out.extend_from_slice(&b),
            ExecEvent::Stderr(b) => err.extend_from_slice(&b),
            ExecEvent::Exit(c) => code = c,
        }
    }
    if code != 0 {
        return Err(Error::Client(format!(
            "the egress proxy of `{sandbox}` refused `policy {verb}` (exit {code}): {}",
            String::from_utf8_lossy(&err).trim()
        )));
    }
    Ok(out)
}

/// The policy the proxy of `sandbox` enforces now.
pub(crate) async fn read_policy(backend: &dyn Backend, sandbox: &str) -> Result<Policy> {
    let out = policy_command(backend, sandbox, "show", None).await?;
    serde_json::from_slice(&out).map_err(|e| {
        Error::Client(format!(
            "the egress proxy of `{sandbox}` holds an unreadable policy ({e}); set it again"
        ))
    })
}

/// Replaces the policy the proxy of `sandbox` enforces, at once, without a restart.
pub(crate) async fn write_policy(
    backend: &dyn Backend,
    sandbox: &str,
    policy: &Policy,
) -> Result<()> {
    let json = serde_json::to_vec(policy)
        .map_err(|e| Error::Client(format!("cannot serialize the network policy: {e}")))?;
    policy_command(backend, sandbox, "set", Some(json)).await?;
    Ok(())
}

/// The connection log of `sandbox`'s proxy: one entry per connection or request, oldest first;
/// with `follow`, new entries as they come.
pub(crate) async fn log(
    backend: &dyn Backend,
    sandbox: &str,
    follow: bool,
) -> Result<BoxStream<'static, Result<LogEntry>>> {
    let chunks = backend.logs(&proxy_name(sandbox), follow, 0).await?;
    let lines = futures_util::stream::unfold(
        (chunks, Vec::<u8>::new(), false),
        |(mut chunks, mut buf, mut ended)| async move {
            loop {
                if let Some(i) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    return Some((Ok(line), (chunks, buf, ended)));
                }
                if ended {
                    // The last line, when it has no newline.
                    return (!buf.is_empty())
                        .then(|| (Ok(std::mem::take(&mut buf)), (chunks, buf, true)));
                }
                match chunks.next().await {
                    Some(Ok(b)) => buf.extend_from_slice(&b),
                    Some(Err(e)) => return Some((Err(e), (chunks, Vec::new(), true))),
                    None => ended = true,
                }
            }
        },
    );
    Ok(lines
        .filter_map(|line| async move {
            match line {
                // Other lines (the ready line, errors) are not connections.
                Ok(l) => serde_json::from_slice::<LogEntry>(&l).ok().map(Ok),
                Err(e) => Some(Err(e)),
            }
        })
        .boxed())
}
