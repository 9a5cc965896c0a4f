//! Detached agent sessions and their output: `run -d AGENT ARGS…` starts the agent in the
//! background, its output appended to the session log, which the sandbox's entrypoint follows
//! on the container's output; `logs` reads it back from the engine (with `follow` and `since`
//! as `docker logs` has them), without the entrypoint's own lines.

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::error::{Error, Result};
use crate::model::paths::SESSION_LOG;
use crate::sandbox::exec_options::ExecOptions;
use crate::sandbox::ready::READY_MARKER;
use crate::sandbox::Sandbox;

impl Sandbox {
    /// Starts the agent with `args` in the background (a detached session: it runs on when
    /// this process exits); its output goes to the sandbox's log ([`Sandbox::logs`]).
    ///
    /// ```no_run
    /// # async fn f(sb: &docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// sb.start_agent_detached(&["-p".into(), "fix the failing test".into()]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_agent_detached(&self, args: &[String]) -> Result<()> {
        let cmd = self.agent_command(args).await?;
        let mut argv: Vec<String> = vec![
            "sh".into(),
            "-c".into(),
            format!("( \"$@\" >> {SESSION_LOG} 2>&1 < /dev/null & )"),
            "docksandbox-session".into(),
        ];
        argv.extend(cmd);
        let out = self
            .exec_with(argv, self.agent_options(ExecOptions::default()))
            .await?;
        if out.exit_code != 0 {
            return Err(Error::StartFailed {
                name: self.inner.name.clone(),
                reason: format!(
                    "the detached session did not start ({}): {}",
                    out.exit_code,
                    out.stderr_str().trim()
                ),
            });
        }
        Ok(())
    }

    /// The sandbox's log: what detached sessions printed (and the entrypoint's warnings),
    /// from Unix second `since` when not 0; with `follow`, then what comes, until the
    /// sandbox stops.
    pub async fn logs(
        &self,
        follow: bool,
        since: i64,
    ) -> Result<BoxStream<'static, Result<Bytes>>> {
        let raw = self
            .inner
            .backend
            .logs(&self.inner.id, follow, since)
            .await?;
        let marker = format!("{READY_MARKER}\n");
        Ok(raw
            .map(move |chunk| {
                chunk.map(|b| {
                    if b.as_ref() == marker.as_bytes() {
                        Bytes::new()
                    } else if let Some(at) = find(&b, marker.as_bytes()) {
                        let mut v = b[..at].to_vec();
                        v.extend_from_slice(&b[at + marker.len()..]);
                        Bytes::from(v)
                    } else {
                        b
                    }
                })
            })
            .filter(|c| std::future::ready(!matches!(c, Ok(b) if b.is_empty())))
            .boxed())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
