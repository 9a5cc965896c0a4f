//! The few system calls std does not wrap: terminals, signals, and what a child does between
//! fork and exec. Every `unsafe` block of the server is here, each with its reason.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::user::Identity;

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn winsize(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize {
        ws_row: if rows == 0 { 24 } else { rows },
        ws_col: if cols == 0 { 80 } else { cols },
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// A new terminal of `rows` × `cols`: (master, slave).
pub(crate) fn open_pty(rows: u16, cols: u16) -> io::Result<(OwnedFd, OwnedFd)> {
    let (mut master, mut slave) = (-1, -1);
    let ws = winsize(rows, cols);
    // SAFETY: openpty writes two descriptors into the integers we pass and reads the winsize;
    // the name and termios pointers may be null.
    check(unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &ws,
        )
    })?;
    // SAFETY: openpty succeeded, so both descriptors are open and nothing else owns them.
    let (m, s) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    set_cloexec_nonblocking(&m)?;
    Ok((m, s))
}

fn set_cloexec_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    unsafe {
        let fl = check(libc::fcntl(raw, libc::F_GETFL))?;
        check(libc::fcntl(raw, libc::F_SETFL, fl | libc::O_NONBLOCK))?;
        check(libc::fcntl(raw, libc::F_SETFD, libc::FD_CLOEXEC))?;
    }
    Ok(())
}

/// Resizes the terminal whose master is `fd` (the kernel signals SIGWINCH to its processes).
pub(crate) fn resize(fd: &impl AsRawFd, rows: u16, cols: u16) -> io::Result<()> {
    let ws = winsize(rows, cols);
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer, which lives across the call.
    check(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &ws) }).map(|_| ())
}

/// Sends `sig` to process `pid` (errors ignored: it may be gone).
pub(crate) fn signal(pid: i32, sig: i32) {
    if pid > 0 {
        // SAFETY: kill takes plain integers; a positive pid names one process.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Sends `sig` to process group `pgid`.
pub(crate) fn signal_group(pgid: i32, sig: i32) {
    if pgid > 1 {
        // SAFETY: a negative pid addresses the process group; plain integers.
        unsafe { libc::kill(-pgid, sig) };
    }
}

/// The children of `pid`, from every thread's `children` list in `/proc`.
fn children(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|s| {
            s.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// Kills `pid`, everything it started (stopped first, so nothing forks away in between), and
/// its process group `pgid`.
pub(crate) fn kill_tree(pid: i32, pgid: i32) {
    let mut seen = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        if p <= 1 || seen.contains(&p) || seen.len() > 65_536 {
            continue;
        }
        signal(p, libc::SIGSTOP);
        seen.push(p);
        stack.extend(children(p));
    }
    for p in seen.iter().rev() {
        signal(*p, libc::SIGKILL);
    }
    signal_group(pgid, libc::SIGKILL);
}

/// What the child does between fork and exec: a session and controlling terminal for `tty`,
/// the identity, death with the server, then the working directory (after dropping
/// privileges, so a directory the user may not enter is refused as it would be by the engine).
pub(crate) fn prepare_child(
    cmd: &mut tokio::process::Command,
    tty: bool,
    identity: Option<Identity>,
    cwd: CString,
) {
    let groups: Vec<libc::gid_t> = identity
        .as_ref()
        .map(|i| i.groups.clone())
        .unwrap_or_default();
    let ids = identity.map(|i| (i.uid, i.gid));
    let hook = move || -> io::Result<()> {
        // Only async-signal-safe system calls here: no allocation, no locks.
        // SAFETY: each call takes integers or pointers into memory owned by this closure
        // (`groups`, `cwd`), which outlives the calls.
        unsafe {
            if tty {
                check(libc::setsid())?;
                check(libc::ioctl(0, libc::TIOCSCTTY, 0))?;
            }
            if let Some((uid, gid)) = ids {
                check(libc::setgroups(groups.len() as _, groups.as_ptr()))?;
                check(libc::setgid(gid))?;
                check(libc::setuid(uid))?;
            }
            // After setuid, which clears it: die when the server dies.
            check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL))?;
            check(libc::chdir(cwd.as_ptr()))?;
        }
        Ok(())
    };
    // SAFETY: the hook runs in the forked child and only makes async-signal-safe calls.
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// Registers a terminal master with the runtime, for readiness-based reads and writes.
pub(crate) fn watch(master: OwnedFd) -> io::Result<tokio::io::unix::AsyncFd<std::fs::File>> {
    let file = std::fs::File::from(master);
    // SAFETY: the `File` owns the descriptor and is moved into the `AsyncFd`, so the
    // descriptor stays open exactly as long as it is registered.
    unsafe { tokio::io::unix::AsyncFd::register(file) }.map_err(|e| e.into_parts().1)
}

/// Our own non-blocking copy of descriptor `fd` (0 or 1), registered with the runtime: the
/// server then reads and writes its stdio on its one thread, without a blocking helper thread
/// (one thread hop less per message). Fails when `fd` cannot be polled (a regular file).
pub(crate) fn async_stdio(fd: i32) -> io::Result<tokio::io::unix::AsyncFd<std::fs::File>> {
    // SAFETY: dup takes an integer; on success the new descriptor is ours alone.
    let copy = check(unsafe { libc::dup(fd) })?;
    // SAFETY: `copy` was just returned by dup and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(copy) };
    set_cloexec_nonblocking(&owned)?;
    watch(owned)
}
