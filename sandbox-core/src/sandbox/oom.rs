//! Out-of-memory kills, told apart from other `SIGKILL`s: the kernel counts the OOM killer's
//! kills in the sandbox's memory cgroup (`oom_kill` in cgroup v2's `memory.events`, v1's
//! `memory.oom_control`); a command that exits 137 while that count has grown since the last
//! look was killed for memory. The count last seen is kept in the sandbox (root-only), so every
//! handle and process agrees on it.

use crate::error::Result;
use crate::sandbox::exec_options::ExecOptions;
use crate::sandbox::Sandbox;

/// The exit code of a command killed by `SIGKILL` (128 + 9).
pub(crate) const OOM_EXIT: i64 = 137;

/// Prints nothing; exits 0 when the count grew since the last look, 1 when not, 2 when the
/// sandbox's cgroup shows no count.
const CHECK: &str = r#"c=$(sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null | head -n 1)
[ -n "$c" ] || exit 2
f=/run/docksandbox-oom-seen; s=$(cat "$f" 2>/dev/null || echo 0)
echo "$c" > "$f"
[ "$c" -gt "$s" ]"#;

impl Sandbox {
    /// Whether the out-of-memory killer has killed a process in the sandbox since this was last
    /// asked (by any handle). [`Sandbox::exec`] asks when a command exits 137 and says so in
    /// [`crate::ExecOutput::oom_killed`]; ask after a streamed process or agent session that
    /// exited 137.
    ///
    /// ```no_run
    /// # async fn f(sb: &docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let out = sb.exec(["python3", "-c", "x = bytearray(1 << 34)"]).await?;
    /// if out.oom_killed {
    ///     eprintln!("out of memory: raise the sandbox's memory limit");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn oom_killed_since_checked(&self) -> Result<bool> {
        let mut events = self
            .exec_stream(["sh", "-c", CHECK], ExecOptions::default().user("0:0"))
            .await?;
        let mut code = None;
        use futures_util::StreamExt;
        while let Some(ev) = events.next().await {
            if let crate::backend::ExecEvent::Exit(c) = ev? {
                code = Some(c);
            }
        }
        Ok(code == Some(0))
    }
}
