//! Whether a sandbox is busy for `--idle-stop`: a process of its own runs (a session, a dev
//! server), looked at without counting as a use.

use futures_util::StreamExt;

use crate::backend::{ExecEvent, ExecRequest};
use crate::error::Result;
use crate::sandbox::Sandbox;

/// Exits 1 when a process other than the sandbox's own (init, the entrypoint's `sleep`, the
/// exec helper, this check) runs, 0 when none does. The pids are listed first, so the check's
/// own short-lived children are gone (unreadable) by the time they are looked at.
const BUSY_CHECK: &str = r#"me=$$; pids=$(ls /proc | grep '^[0-9][0-9]*$')
for p in $pids; do
  [ "$p" = 1 ] || [ "$p" = "$me" ] && continue
  s=$(cat /proc/$p/status 2>/dev/null) || continue
  [ -n "$s" ] || continue
  name=$(printf '%s\n' "$s" | sed -n 's/^Name:[[:space:]]*//p')
  pp=$(printf '%s\n' "$s" | sed -n 's/^PPid:[[:space:]]*//p')
  [ "$pp" = "$me" ] && continue
  if [ "$pp" = 1 ]; then
    c=$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)
    [ "$c" = "sleep infinity " ] && continue
    [ "$c" = "tail -n +1 -F /mnt/docksandbox/session.log " ] && continue
  fi
  case "$name" in execd|docksandbox-exe*|docker-init|tini) continue;; esac
  exit 1
done
exit 0"#;

impl Sandbox {
    /// Whether a process of the sandbox's own runs (not counted as a use).
    pub(crate) async fn busy(&self) -> Result<bool> {
        let req = ExecRequest {
            cmd: vec!["sh".into(), "-c".into(), BUSY_CHECK.into()],
            env: Vec::new(),
            workdir: Some("/".into()),
            user: Some("0:0".into()),
            tty: false,
            stdin: false,
            killable: false,
        };
        let mut p = self.inner.channel.exec(req).await?;
        let mut code = None;
        while let Some(ev) = p.events.next().await {
            if let ExecEvent::Exit(c) = ev? {
                code = Some(c);
            }
        }
        Ok(code != Some(0))
    }
}
