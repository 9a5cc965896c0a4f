//! One process the server started: spawning it, pumping its output under the host's credit,
//! feeding its stdin, and reporting how it ended.

use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use docksandbox_execd::frame;
use docksandbox_execd::message::{self, kind, Exit, Spawn};
use docksandbox_execd::{MAX_CHUNK, OUTPUT_WINDOW};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Semaphore};

use crate::sys;
use crate::user;

/// Encoded frames on their way to the host.
pub(crate) type Out = mpsc::Sender<Vec<u8>>;

/// Stdin for a process: `Some(bytes)` to write, `None` to close.
pub(crate) type StdinTx = mpsc::UnboundedSender<Option<Vec<u8>>>;

/// How many output bytes the host still accepts for one process.
#[derive(Debug)]
pub(crate) struct Credit {
    window: Semaphore,
    detached: AtomicBool,
    unlimited: AtomicBool,
}

impl Credit {
    fn new() -> Self {
        Credit {
            window: Semaphore::new(OUTPUT_WINDOW as usize),
            detached: AtomicBool::new(false),
            unlimited: AtomicBool::new(false),
        }
    }

    /// Waits until `n` bytes may be sent; `false` when they are to be dropped (detached).
    async fn take(&self, n: usize) -> bool {
        if self.detached.load(Ordering::Acquire) {
            return false;
        }
        if self.unlimited.load(Ordering::Acquire) {
            return true;
        }
        match self.window.acquire_many(n as u32).await {
            Ok(p) => {
                p.forget();
                true
            }
            // Closed: detached (drop) or killed (send what is left without waiting).
            Err(_) => !self.detached.load(Ordering::Acquire),
        }
    }

    /// The host consumed `n` bytes.
    pub(crate) fn grant(&self, n: u32) {
        if !self.detached.load(Ordering::Acquire) {
            self.window
                .add_permits((n as usize).min(Semaphore::MAX_PERMITS / 2));
        }
    }

    /// The process is being killed: what it wrote last goes out without waiting for credit,
    /// so its end is reported even when the host stopped reading.
    pub(crate) fn unlimit(&self) {
        self.unlimited.store(true, Ordering::Release);
        self.window.close();
    }

    /// Nobody reads any more: drop output from now on.
    pub(crate) fn detach(&self) {
        self.detached.store(true, Ordering::Release);
        self.window.close();
    }
}

/// A running process, as the server's table holds it.
#[derive(Debug)]
pub(crate) struct Proc {
    pub pid: i32,
    pub stdin: Option<StdinTx>,
    pub credit: Arc<Credit>,
    pub pty: Option<Arc<AsyncFd<File>>>,
}

/// The environment a process starts with: the server's (the container's), `HOME` removed,
/// then the request's pairs; `HOME` from the passwd entry when the request has none.
fn environment(
    base: &[(String, String)],
    req: &[String],
    home: Option<&str>,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> =
        base.iter().filter(|(k, _)| k != "HOME").cloned().collect();
    for pair in req {
        if let Some((k, v)) = pair.split_once('=') {
            env.retain(|(ek, _)| ek != k);
            env.push((k.to_string(), v.to_string()));
        }
    }
    if !env.iter().any(|(k, _)| k == "HOME") {
        env.push(("HOME".into(), home.unwrap_or("/").into()));
    }
    env
}

/// Why a process could not start: the exit code to report (126/127) and the message.
pub(crate) type SpawnError = (u8, String);

/// Starts `spec` as process `id`; its output, stdin and end are handled by tasks that report
/// `id` on `done` when it is over.
pub(crate) fn spawn(
    id: u32,
    spec: Spawn,
    base_env: &[(String, String)],
    added_groups: &[u32],
    out: &Out,
    done: &mpsc::UnboundedSender<u32>,
) -> Result<Proc, SpawnError> {
    let Some(program) = spec.argv.first() else {
        return Err((126, "no command given".into()));
    };
    let identity = user::resolve(&spec.user, added_groups).map_err(|e| (126, e))?;
    let cwd = if spec.cwd.is_empty() {
        "/".to_string()
    } else {
        spec.cwd.clone()
    };
    match std::fs::metadata(&cwd) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err((126, format!("chdir to cwd (\"{cwd}\"): not a directory"))),
        Err(e) => return Err((126, format!("chdir to cwd (\"{cwd}\"): {e}"))),
    }
    let cwd_c = CString::new(cwd.clone()).map_err(|_| (126, "cwd contains NUL".to_string()))?;
    let env = environment(
        base_env,
        &spec.env,
        identity.as_ref().and_then(|i| i.home.as_deref()),
    );

    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&spec.argv[1..])
        .env_clear()
        .envs(env)
        .kill_on_drop(false);
    let pty = if spec.tty {
        let (master, slave) = sys::open_pty(spec.rows, spec.cols)
            .map_err(|e| (126, format!("cannot open a terminal: {e}")))?;
        let dup = |s: &OwnedFd| {
            s.try_clone()
                .map(Stdio::from)
                .map_err(|e| (126, format!("cannot open a terminal: {e}")))
        };
        cmd.stdin(dup(&slave)?)
            .stdout(dup(&slave)?)
            .stderr(Stdio::from(slave));
        let master =
            sys::watch(master).map_err(|e| (126, format!("cannot watch the terminal: {e}")))?;
        Some(Arc::new(master))
    } else {
        cmd.stdin(if spec.stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
        None
    };
    sys::prepare_child(&mut cmd, spec.tty, identity, cwd_c);
    let mut child = cmd.spawn().map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        };
        (
            code,
            format!(
                "exec: \"{program}\" (in \"{cwd}\" as user \"{}\"): {e}",
                spec.user
            ),
        )
    })?;
    drop(cmd); // closes the parent's copies of the terminal's slave side
    let pid = child.id().map_or(0, |p| p as i32);
    let credit = Arc::new(Credit::new());

    let (stdin_tx, stdin_rx) = mpsc::unbounded_channel();
    let stdin = match (&pty, child.stdin.take()) {
        (Some(m), _) => {
            tokio::spawn(feed_pty(m.clone(), stdin_rx, id, out.clone()));
            Some(stdin_tx)
        }
        (None, Some(w)) => {
            tokio::spawn(feed_pipe(w, stdin_rx, id, out.clone()));
            Some(stdin_tx)
        }
        (None, None) => None,
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let (out2, done2, credit2, pty2) = (out.clone(), done.clone(), credit.clone(), pty.clone());
    tokio::spawn(async move {
        let streams = async {
            match (pty2, stdout, stderr) {
                (Some(m), _, _) => pump_pty(&m, id, &credit2, &out2).await,
                (None, Some(o), Some(e)) => {
                    tokio::join!(
                        pump(o, kind::STDOUT, id, &credit2, &out2),
                        pump(e, kind::STDERR, id, &credit2, &out2)
                    );
                }
                _ => {}
            }
        };
        let (status, ()) = tokio::join!(child.wait(), streams);
        let exit = match status {
            Ok(s) => match (s.code(), s.signal()) {
                (Some(c), _) => Exit::Code(c),
                (None, Some(sig)) => Exit::Signal(sig),
                (None, None) => Exit::Code(255),
            },
            Err(_) => Exit::Code(255),
        };
        let _ = out2
            .send(frame::encode(kind::EXIT, id, &exit.encode()))
            .await;
        let _ = done2.send(id);
    });
    Ok(Proc {
        pid,
        stdin,
        credit,
        pty,
    })
}

async fn send_data(kind: u8, id: u32, data: &[u8], credit: &Credit, out: &Out) {
    if credit.take(data.len()).await {
        let _ = out.send(frame::encode(kind, id, data)).await;
    }
}

async fn pump<R: AsyncRead + Unpin>(mut r: R, kind: u8, id: u32, credit: &Credit, out: &Out) {
    let mut buf = vec![0u8; MAX_CHUNK];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => send_data(kind, id, &buf[..n], credit, out).await,
        }
    }
}

async fn pump_pty(m: &AsyncFd<File>, id: u32, credit: &Credit, out: &Out) {
    let mut buf = vec![0u8; MAX_CHUNK];
    loop {
        let Ok(mut ready) = m.readable().await else {
            break;
        };
        match ready.try_io(|f| f.get_ref().read(&mut buf)) {
            Ok(Ok(0)) | Ok(Err(_)) => break, // EIO: every process closed the terminal
            Ok(Ok(n)) => send_data(kind::STDOUT, id, &buf[..n], credit, out).await,
            Err(_would_block) => continue,
        }
    }
}

async fn credit_back(out: &Out, id: u32, n: usize) {
    let _ = out
        .send(frame::encode(
            kind::STDIN_CREDIT,
            id,
            &message::encode_u32(n as u32),
        ))
        .await;
}

async fn feed_pipe(
    mut w: tokio::process::ChildStdin,
    mut rx: mpsc::UnboundedReceiver<Option<Vec<u8>>>,
    id: u32,
    out: Out,
) {
    let mut open = true;
    while let Some(Some(data)) = rx.recv().await {
        if open && w.write_all(&data).await.is_err() {
            open = false; // the process closed its stdin: drop the rest, keep the credit flowing
        }
        credit_back(&out, id, data.len()).await;
    }
}

async fn feed_pty(
    m: Arc<AsyncFd<File>>,
    mut rx: mpsc::UnboundedReceiver<Option<Vec<u8>>>,
    id: u32,
    out: Out,
) {
    while let Some(Some(data)) = rx.recv().await {
        let mut rest = &data[..];
        while !rest.is_empty() {
            let Ok(mut ready) = m.writable().await else {
                break;
            };
            match ready.try_io(|f| f.get_ref().write(rest)) {
                Ok(Ok(n)) => rest = &rest[n..],
                Ok(Err(_)) => break,
                Err(_would_block) => continue,
            }
        }
        credit_back(&out, id, data.len()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::environment;

    #[test]
    fn request_env_replaces_the_containers_and_home_comes_from_passwd_last() {
        let base = vec![
            ("PATH".to_string(), "/bin".to_string()),
            ("HOME".into(), "/root".into()),
        ];
        let env = environment(
            &base,
            &["PATH=/x".into(), "A=b=c".into()],
            Some("/home/agent"),
        );
        assert_eq!(
            env,
            vec![
                ("PATH".to_string(), "/x".to_string()),
                ("A".into(), "b=c".into()),
                ("HOME".into(), "/home/agent".into())
            ]
        );
        let env = environment(&base, &["HOME=/h".into()], Some("/home/agent"));
        assert!(env.contains(&("HOME".into(), "/h".into())));
    }
}
