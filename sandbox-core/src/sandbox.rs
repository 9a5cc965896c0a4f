//! The handle on one running sandbox: exec, files, agent, stop, remove, inspect.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::OnceCell;

use crate::agent::Agent;
use crate::backend::{Backend, ExecEvent, ExecProcess, ExecRequest, SandboxStatus};
use crate::builder::SandboxBuilder;
use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::exec::{ExecOptions, ExecOutput, ExecStream};
use crate::info::SandboxInfo;
use crate::spec::SandboxSpec;

/// A sandbox: one container for one (workspace, agent), with the workspace at the same path.
///
/// Cheap to clone; all clones share one engine connection.
///
/// ```no_run
/// use docksandbox::{Sandbox, Shell};
/// # async fn demo() -> docksandbox::Result<()> {
/// let sandbox = Sandbox::builder()
///     .workspace(std::env::current_dir()?)
///     .agent(Shell)
///     .run()
///     .await?;
/// let out = sandbox.exec(["pwd"]).await?;
/// assert_eq!(out.stdout_str().trim(), std::env::current_dir()?.to_str().unwrap());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Arc<dyn Backend>,
    id: String,
    name: String,
    spec: SandboxSpec,
    user: String,
    home: String,
    git_env: OnceCell<Vec<String>>,
    agent_program: OnceCell<String>,
    channel: Arc<Channel>,
}

/// Size of a terminal, for [`Sandbox::attach_agent`] and [`Sandbox::exec_process`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtySize {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

impl Sandbox {
    /// Starts describing a sandbox.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    pub(crate) fn new(
        backend: Arc<dyn Backend>,
        id: String,
        name: String,
        spec: SandboxSpec,
        user: String,
        home: String,
    ) -> Self {
        let channel = Arc::new(Channel::new(backend.clone(), id.clone(), name.clone()));
        Sandbox {
            inner: Arc::new(Inner {
                backend,
                id,
                name,
                spec,
                user,
                home,
                git_env: OnceCell::new(),
                agent_program: OnceCell::new(),
                channel,
            }),
        }
    }

    /// The same sandbox with another agent profile (a re-run may bring an updated profile).
    pub(crate) fn with_agent(self, agent: Agent) -> Self {
        let i = &self.inner;
        let mut spec = i.spec.clone();
        spec.agent = agent;
        Sandbox {
            inner: Arc::new(Inner {
                backend: i.backend.clone(),
                id: i.id.clone(),
                name: i.name.clone(),
                spec,
                user: i.user.clone(),
                home: i.home.clone(),
                git_env: OnceCell::new(),
                agent_program: OnceCell::new(),
                channel: i.channel.clone(),
            }),
        }
    }

    /// The container id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }
    /// The container name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// The agent profile.
    pub fn agent(&self) -> &Agent {
        &self.inner.spec.agent
    }
    /// The workspace path (the same on the host and in the sandbox).
    pub fn workspace(&self) -> &Path {
        &self.inner.spec.workspace
    }
    /// The effective spec (secret env values fingerprinted).
    pub fn spec(&self) -> &SandboxSpec {
        &self.inner.spec
    }
    /// `uid:gid` commands run as by default (the workspace owner's).
    pub fn user(&self) -> &str {
        &self.inner.user
    }
    /// The sandbox user's home directory.
    pub fn home(&self) -> &str {
        &self.inner.home
    }
    /// The engine backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    async fn base_env(&self) -> Vec<String> {
        let git = self
            .inner
            .git_env
            .get_or_init(|| crate::git_identity::env(&self.inner.spec.workspace))
            .await;
        let user_name = if self.inner.user.starts_with("0:") {
            "root"
        } else {
            "agent"
        };
        let mut env = vec![
            format!("HOME={}", self.inner.home),
            format!("USER={user_name}"),
            format!("LOGNAME={user_name}"),
        ];
        env.extend(git.iter().cloned());
        env
    }

    async fn request(
        &self,
        cmd: Vec<String>,
        opts: &ExecOptions,
        tty: bool,
    ) -> Result<ExecRequest> {
        if cmd.is_empty() {
            return Err(Error::invalid("cmd", "the command is empty"));
        }
        crate::validate::args(&cmd)?;
        let mut env = self.base_env().await;
        for (k, v) in &opts.env {
            crate::validate::env_name(k, "exec.env")?;
            crate::validate::env_value(k, v)?;
            env.push(format!("{k}={v}"));
        }
        Ok(ExecRequest {
            cmd,
            env,
            workdir: Some(
                opts.workdir
                    .clone()
                    .unwrap_or_else(|| self.inner.spec.workspace.to_string_lossy().into_owned()),
            ),
            user: Some(opts.user.clone().unwrap_or_else(|| self.inner.user.clone())),
            tty,
            stdin: opts.stdin.is_some() || tty,
            killable: opts.timeout.is_some(),
        })
    }

    /// Runs a command and captures its output.
    ///
    /// A non-zero exit is not an error (see [`ExecOutput::exit_code`]); a timeout is
    /// ([`Error::ExecTimeout`], after the process and its children were killed).
    pub async fn exec<I, S>(&self, cmd: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exec_with(cmd, ExecOptions::default()).await
    }

    /// Runs a command with options and captures its output.
    pub async fn exec_with<I, S>(&self, cmd: I, opts: ExecOptions) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd: Vec<String> = cmd.into_iter().map(Into::into).collect();
        let shown = shell_words(&cmd);
        let timeout = opts.timeout;
        let mut out = ExecOutput::default();
        let mut stream = self.exec_stream_inner(cmd, opts).await?;
        let collect = async {
            while let Some(ev) = stream.events.next().await {
                match ev? {
                    ExecEvent::Stdout(b) => out.stdout.extend_from_slice(&b),
                    ExecEvent::Stderr(b) => out.stderr.extend_from_slice(&b),
                    ExecEvent::Exit(code) => out.exit_code = code,
                }
            }
            Ok::<_, Error>(())
        };
        match timeout {
            None => collect.await?,
            Some(t) => match tokio::time::timeout(t, collect).await {
                Ok(r) => r?,
                Err(_) => {
                    if let Err(e) = stream.control.kill().await {
                        tracing::warn!(error = %e, "could not kill the timed-out command");
                    }
                    return Err(Error::ExecTimeout {
                        command: shown,
                        timeout: t,
                        stdout: out.stdout,
                        stderr: out.stderr,
                    });
                }
            },
        }
        Ok(out)
    }

    async fn exec_stream_inner(
        &self,
        cmd: Vec<String>,
        mut opts: ExecOptions,
    ) -> Result<ExecProcess> {
        let stdin = opts.stdin.take();
        let mut req = self.request(cmd, &opts, false).await?;
        req.stdin = stdin.is_some();
        let mut p = self.inner.channel.exec(req).await?;
        if let (Some(data), Some(mut input)) = (stdin, p.stdin.take()) {
            tokio::spawn(async move {
                let _ = input.write_all(&data).await;
                let _ = input.shutdown().await;
            });
        }
        Ok(p)
    }

    /// Runs a command and streams its output: chunks of stdout and stderr as they come, then
    /// the exit code. With a timeout, the stream ends with [`Error::ExecTimeout`] after the
    /// process was killed.
    pub async fn exec_stream<I, S>(&self, cmd: I, opts: ExecOptions) -> Result<ExecStream>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd: Vec<String> = cmd.into_iter().map(Into::into).collect();
        let shown = shell_words(&cmd);
        let timeout = opts.timeout;
        let p = self.exec_stream_inner(cmd, opts).await?;
        let Some(t) = timeout else {
            return Ok(p.events);
        };
        let deadline = tokio::time::Instant::now() + t;
        let state = Some((p.events, p.control));
        Ok(futures_util::stream::unfold(state, move |state| {
            let shown = shown.clone();
            async move {
                let (mut events, control) = state?;
                tokio::select! {
                    ev = events.next() => ev.map(|ev| (ev, Some((events, control)))),
                    _ = tokio::time::sleep_until(deadline) => {
                        if let Err(e) = control.kill().await {
                            tracing::warn!(error = %e, "could not kill the timed-out command");
                        }
                        Some((Err(Error::ExecTimeout { command: shown, timeout: t, stdout: Vec::new(), stderr: Vec::new() }), None))
                    }
                }
            }
        })
        .boxed())
    }

    /// Starts a command attached to stdin (and a terminal when `tty` is given): the
    /// building block of interactive sessions. Write to `stdin`, read `events`, resize and
    /// kill through `control`.
    pub async fn exec_process<I, S>(
        &self,
        cmd: I,
        opts: ExecOptions,
        tty: Option<TtySize>,
    ) -> Result<ExecProcess>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let cmd: Vec<String> = cmd.into_iter().map(Into::into).collect();
        let mut req = self.request(cmd, &opts, tty.is_some()).await?;
        req.stdin = true;
        // Interactive processes can always be killed (the CLI does on SIGTERM/SIGHUP).
        req.killable = true;
        if tty.is_some() {
            req.env.push(format!(
                "TERM={}",
                std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into())
            ));
        }
        let p = self.inner.channel.exec(req).await?;
        if let Some(size) = tty {
            // The engine only takes a size once the process exists; a failure here is cosmetic.
            if let Err(e) = p.control.resize(size.rows, size.cols).await {
                tracing::debug!(error = %e, "initial resize failed");
            }
        }
        Ok(p)
    }

    /// The agent's full command line: its program (the first of its commands found in the
    /// template), its default args, then `args`. Fails with [`Error::AgentNotInstalled`].
    pub async fn agent_command(&self, args: &[String]) -> Result<Vec<String>> {
        crate::validate::args(args)?;
        let program = self
            .inner
            .agent_program
            .get_or_try_init(|| self.find_agent_program())
            .await?;
        let agent = &self.inner.spec.agent;
        let mut cmd = vec![program.clone()];
        cmd.extend(agent.default_args.iter().cloned());
        cmd.extend(args.iter().cloned());
        Ok(cmd)
    }

    async fn find_agent_program(&self) -> Result<String> {
        let agent = &self.inner.spec.agent;
        let mut cmd = vec![
            "/bin/sh".to_string(),
            "-c".into(),
            r#"for c; do command -v "$c" >/dev/null 2>&1 && { echo "$c"; exit 0; }; done; exit 127"#.into(),
            "sh".into(),
        ];
        cmd.extend(agent.command.iter().cloned());
        let out = self.exec(cmd).await?;
        let found = out.stdout_str().trim().to_string();
        if out.exit_code == 0 && !found.is_empty() {
            Ok(found)
        } else {
            Err(Error::AgentNotInstalled {
                agent: agent.name.clone(),
                command: agent.command.join(" or "),
                image: self.inner.spec.template_image().to_string(),
                fix: match crate::Template::for_agent(&agent.name) {
                    Some(t) => format!(
                        "Build the agent's template with `docksandbox template build {}` and run with `--template {}` (or without --template)",
                        agent.name, t.image
                    ),
                    None => "Use a template that installs it (pass --template)".to_string(),
                },
            })
        }
    }

    fn agent_options(&self, mut opts: ExecOptions) -> ExecOptions {
        for key in &self.inner.spec.agent.api_key_env {
            if let Ok(v) = std::env::var(key) {
                if !v.is_empty() && !opts.env.contains_key(key) {
                    opts.env.insert(key.clone(), v);
                }
            }
        }
        opts
    }

    /// Runs the agent non-interactively with `args` and captures its output. The agent's
    /// API keys are forwarded from the host environment into this process only.
    pub async fn run_agent(&self, args: &[String], opts: ExecOptions) -> Result<ExecOutput> {
        let cmd = self.agent_command(args).await?;
        self.exec_with(cmd, self.agent_options(opts)).await
    }

    /// Starts the agent attached to stdin, with a terminal of `tty` size when given: what
    /// `docksandbox run AGENT` uses. API keys are forwarded as for [`Sandbox::run_agent`].
    pub async fn attach_agent(
        &self,
        args: &[String],
        opts: ExecOptions,
        tty: Option<TtySize>,
    ) -> Result<ExecProcess> {
        let cmd = self.agent_command(args).await?;
        self.exec_process(cmd, self.agent_options(opts), tty).await
    }

    fn in_sandbox(&self, path: &str) -> Result<PathBuf> {
        if path.is_empty() || path.contains('\0') {
            return Err(Error::invalid("path", "is empty or contains NUL"));
        }
        let p = Path::new(path);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.inner.spec.workspace.join(p)
        };
        Ok(crate::validate::normalize_lexically(&abs))
    }

    fn owner(&self) -> (u64, u64) {
        let mut it = self.inner.user.split(':').map(|x| x.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }

    /// Writes `data` to `path` in the sandbox (relative paths are inside the workspace),
    /// owned by the sandbox user, mode 0644. The parent directory must exist.
    pub async fn write_file(&self, path: &str, data: impl AsRef<[u8]>) -> Result<()> {
        self.write_file_bytes(path, bytes::Bytes::copy_from_slice(data.as_ref()))
            .await
    }

    /// As [`Sandbox::write_file`], taking ownership of the data (a `Vec<u8>`, `Bytes`,
    /// `String`) so that it is sent without being copied.
    ///
    /// ```no_run
    /// # async fn demo(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let big: Vec<u8> = vec![0; 64 << 20];
    /// sb.write_file_bytes("/tmp/big.bin", big).await?;
    /// # Ok(()) }
    /// ```
    pub async fn write_file_bytes(&self, path: &str, data: impl Into<bytes::Bytes>) -> Result<()> {
        let p = self.in_sandbox(path)?;
        let (dir, name) = crate::files::split(&p)?;
        let (uid, gid) = self.owner();
        let data = data.into();
        let tar = crate::files::single_file_tar(&name, data, 0o644, uid, gid)?;
        self.inner.backend.upload(&self.inner.id, &dir, tar).await
    }

    /// Reads the file at `path` in the sandbox (relative paths are inside the workspace).
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        let p = self.in_sandbox(path)?;
        let shown = p.to_string_lossy().into_owned();
        let tar = self.inner.backend.download(&self.inner.id, &shown).await?;
        crate::files::first_file(tar, shown).await
    }

    /// Copies a host file or directory into directory `dest_dir` of the sandbox.
    pub async fn copy_in(&self, host_path: impl AsRef<Path>, dest_dir: &str) -> Result<()> {
        let dir = self.in_sandbox(dest_dir)?;
        let tar = crate::files::tar_host_path(host_path.as_ref()).await?;
        self.inner
            .backend
            .upload(&self.inner.id, &dir.to_string_lossy(), tar)
            .await
    }

    /// Copies a file or directory of the sandbox into host directory `host_dir`.
    pub async fn copy_out(&self, path: &str, host_dir: impl AsRef<Path>) -> Result<()> {
        let p = self.in_sandbox(path)?;
        let tar = self
            .inner
            .backend
            .download(&self.inner.id, &p.to_string_lossy())
            .await?;
        crate::files::unpack(tar, host_dir.as_ref()).await
    }

    /// Stops the sandbox (its processes are killed after 10 s). `run` starts it again.
    pub async fn stop(&self) -> Result<()> {
        self.inner
            .backend
            .stop(&self.inner.id, Duration::from_secs(10))
            .await
    }

    /// Removes the sandbox, running or not. The credentials volume is kept.
    pub async fn remove(&self) -> Result<()> {
        self.remove_with(true).await
    }

    /// Removes the sandbox; without `force` a running sandbox is refused with
    /// [`Error::Running`] (like `docker rm` without `-f`).
    pub async fn remove_with(&self, force: bool) -> Result<()> {
        let status = self.status().await?;
        let live = matches!(
            status,
            SandboxStatus::Running | SandboxStatus::Paused | SandboxStatus::Restarting
        );
        if !force && live {
            return Err(Error::Running {
                name: self.inner.name.clone(),
            });
        }
        self.inner.backend.remove(&self.inner.id, force).await
    }

    /// Everything known about the sandbox, with its effective security settings.
    pub async fn inspect(&self) -> Result<SandboxInfo> {
        let d = self.inner.backend.inspect(&self.inner.id).await?;
        Ok(SandboxInfo::from_details(d))
    }

    /// The sandbox's current status.
    pub async fn status(&self) -> Result<SandboxStatus> {
        Ok(self
            .inner
            .backend
            .inspect(&self.inner.id)
            .await?
            .summary
            .status)
    }
}

/// A command line as a shell would show it, for messages.
pub(crate) fn shell_words(cmd: &[String]) -> String {
    cmd.iter()
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
