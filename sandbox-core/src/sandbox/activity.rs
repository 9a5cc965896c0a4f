//! When a sandbox was last used, for `--idle-stop`: every exec and attached session of a
//! sandbox that stops when idle touches a file in the host's state directory
//! (`activity/<name>`), and a sandbox with a process of its own still running (a session, a
//! dev server) is never idle, whatever the file says. A sandbox stopped for being idle is
//! marked (`idle-stopped/<name>`) until it runs again, so `ls` can say so and `exec` starts it.

use std::path::PathBuf;
use std::time::SystemTime;

use futures_util::StreamExt;

use crate::backend::{ExecEvent, ExecRequest};
use crate::error::Result;
use crate::sandbox::Sandbox;
use crate::workspace::state_dir::state_dir;

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

fn file(kind: &str, name: &str) -> Option<PathBuf> {
    Some(state_dir()?.join(kind).join(name))
}

/// Records that `name` is in use now.
pub(crate) fn touch(name: &str) {
    if let Some(f) = file("activity", name) {
        if let Some(d) = f.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        let _ = std::fs::write(&f, b"");
    }
    forget_idle_stop(name);
}

/// When `name` was last used through docksandbox on this host.
pub(crate) fn last_used(name: &str) -> Option<SystemTime> {
    std::fs::metadata(file("activity", name)?)
        .ok()?
        .modified()
        .ok()
}

/// Marks `name` as stopped for being idle.
pub(crate) fn mark_idle_stopped(name: &str) {
    if let Some(f) = file("idle-stopped", name) {
        if let Some(d) = f.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        let _ = std::fs::write(&f, b"");
    }
}

/// Whether `name` was stopped for being idle (and has not run since).
pub(crate) fn was_idle_stopped(name: &str) -> bool {
    file("idle-stopped", name).is_some_and(|f| f.exists())
}

/// Drops the idle-stopped mark of `name`.
pub(crate) fn forget_idle_stop(name: &str) {
    if let Some(f) = file("idle-stopped", name) {
        let _ = std::fs::remove_file(f);
    }
}

/// Drops everything recorded about `name` (it was removed).
pub(crate) fn forget(name: &str) {
    forget_idle_stop(name);
    if let Some(f) = file("activity", name) {
        let _ = std::fs::remove_file(f);
    }
}

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
