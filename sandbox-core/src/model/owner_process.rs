//! The process that owns an ephemeral sandbox, written `HOST/PID/START` (the host's name, the
//! pid, and the process's start time in clock ticks since boot, so a reused pid is not taken
//! for the owner). A sandbox whose owner on this host is gone is removed by the next
//! docksandbox call; one owned on another host is left to that host.

/// This process, as an owner.
pub(crate) fn current() -> String {
    let pid = std::process::id();
    format!(
        "{}/{pid}/{}",
        hostname(),
        start_time(pid).unwrap_or_default()
    )
}

/// Whether `owner` still runs: `Some(false)` when it is a process of this host that is gone
/// (or another process has its pid); `None` when it is not this host's, or unreadable.
pub(crate) fn alive(owner: &str) -> Option<bool> {
    let mut parts = owner.rsplitn(3, '/');
    let start: u64 = parts.next()?.parse().ok()?;
    let pid: u32 = parts.next()?.parse().ok()?;
    let host = parts.next()?;
    if host != hostname() {
        return None;
    }
    Some(start_time(pid) == Some(start))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Field 22 of `/proc/PID/stat` (after the `(comm)`, which may hold spaces and parentheses);
/// `None` for a process that is gone or a zombie (dead, not yet reaped).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace();
    if matches!(fields.next(), Some("Z" | "X" | "x")) {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_or_reused_pid_is_not() {
        let me = current();
        assert_eq!(alive(&me), Some(true), "{me}");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let host = hostname();
        assert_eq!(alive(&format!("{host}/{pid}/1")), Some(false));
        // Our pid with another start time: a reused pid.
        let (rest, start) = me.rsplit_once('/').unwrap();
        let other = start.parse::<u64>().unwrap() + 1;
        assert_eq!(alive(&format!("{rest}/{other}")), Some(false));
        assert_eq!(
            alive(&format!("another-host/{}/{start}", std::process::id())),
            None
        );
        assert_eq!(alive("garbage"), None);
    }
}
