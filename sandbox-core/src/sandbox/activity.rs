//! When a sandbox was last used, for `--idle-stop`: every exec and attached session of a
//! sandbox that stops when idle touches a file in the host's state directory
//! (`activity/<name>`), and a sandbox with a process of its own still running (a session, a
//! dev server) is never idle, whatever the file says. A sandbox stopped for being idle is
//! marked (`idle-stopped/<name>`) until it runs again, so `ls` can say so and `exec` starts it.
//! Whether a process of its own runs is `busy.rs`.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::workspace::state_dir::state_dir;

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
