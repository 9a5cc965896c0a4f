//! The `Sandbox` class: a handle on one running sandbox.

use napi::bindgen_prelude::{Buffer, Either, Env, PromiseRaw, Uint8Array};
use napi_derive::napi;

use crate::info::{BranchInfo, PortInfo, SandboxInfo};
use crate::network::Network;
use crate::options::{bytes, ExecOptions};
use crate::stream::ExecStream;
use crate::task::spawn;
use crate::workspace::{
    changes, paths, ApplyOptions, Change, DiffOptions, DiffTextOptions, GuardCheckOptions,
    GuardReport,
};

/// A sandbox: one container for one (workspace, agent), with the workspace at the same path.
/// Made by `run()` and `get()`; every method returns a promise and never blocks the event loop.
#[napi]
#[derive(Debug)]
pub struct Sandbox {
    inner: docksandbox::Sandbox,
}

impl From<docksandbox::Sandbox> for Sandbox {
    fn from(inner: docksandbox::Sandbox) -> Self {
        Sandbox { inner }
    }
}

/// What a finished command produced. A non-zero exit is no error.
#[napi(object)]
#[allow(missing_debug_implementations)] // napi's Buffer / Uint8Array have no Debug
pub struct ExecResult {
    /// Exit code (128 + signal number when a signal ended it).
    pub exit_code: i64,
    /// Whether the out-of-memory killer ended it (raise the sandbox's `memory`).
    pub oom_killed: bool,
    /// Stdout as text (invalid UTF-8 replaced).
    pub stdout: String,
    /// Stderr as text (invalid UTF-8 replaced).
    pub stderr: String,
    /// Stdout's bytes.
    pub stdout_buffer: Buffer,
    /// Stderr's bytes.
    pub stderr_buffer: Buffer,
}

impl From<docksandbox::ExecOutput> for ExecResult {
    fn from(o: docksandbox::ExecOutput) -> Self {
        ExecResult {
            exit_code: o.exit_code,
            oom_killed: o.oom_killed,
            stdout: o.stdout_str(),
            stderr: o.stderr_str(),
            stdout_buffer: o.stdout.into(),
            stderr_buffer: o.stderr.into(),
        }
    }
}

#[napi]
impl Sandbox {
    /// The container id.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The container name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The agent's name.
    #[napi(getter)]
    pub fn agent(&self) -> String {
        self.inner.agent().name.clone()
    }

    /// The workspace path, the same on the host and in the sandbox.
    #[napi(getter)]
    pub fn workspace(&self) -> String {
        self.inner.workspace().to_string_lossy().into_owned()
    }

    /// The network of a `proxy` sandbox: its egress proxy's policy, changed live, and its
    /// connection log.
    #[napi(getter)]
    pub fn network(&self) -> Network {
        Network::new(self.inner.clone())
    }

    /// Runs `cmd` (no shell) and captures its output. Rejects with `EXEC_TIMEOUT` after
    /// `timeoutMs` (the process and its children are killed first).
    #[napi]
    pub fn exec<'e>(
        &self,
        env: &'e Env,
        cmd: Vec<String>,
        options: Option<ExecOptions>,
    ) -> napi::Result<PromiseRaw<'e, ExecResult>> {
        let sb = self.inner.clone();
        let opts = options.unwrap_or_default();
        spawn(
            env,
            async move { sb.exec_with(cmd, opts.into_core()?).await },
            |out| Ok(ExecResult::from(out)),
        )
    }

    /// Runs `cmd` and streams its output: `{ stream: 'stdout' | 'stderr', data }` chunks as
    /// they come, then `{ exitCode }`. Use with `for await`; breaking out of the loop
    /// detaches from the command.
    #[napi(ts_return_type = "AsyncIterableIterator<ExecChunk>")]
    pub fn exec_stream(&self, cmd: Vec<String>, options: Option<ExecOptions>) -> ExecStream {
        ExecStream::new(self.inner.clone(), cmd, options.unwrap_or_default())
    }

    /// Writes `data` (a string is written as UTF-8) to `path` in the sandbox; relative paths
    /// are inside the workspace. The file belongs to the sandbox user, mode 0644; the parent
    /// directory must exist.
    #[napi]
    pub fn write_file<'e>(
        &self,
        env: &'e Env,
        path: String,
        data: Either<String, Uint8Array>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let sb = self.inner.clone();
        let data = bytes(data);
        spawn(
            env,
            async move { sb.write_file_bytes(&path, data).await },
            Ok,
        )
    }

    /// Reads the file at `path` in the sandbox (relative paths are inside the workspace).
    #[napi]
    pub fn read_file<'e>(
        &self,
        env: &'e Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'e, Buffer>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.read_file(&path).await }, |b| {
            Ok(b.into())
        })
    }

    /// Everything known about the sandbox, with its effective security settings.
    #[napi]
    pub fn inspect<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, SandboxInfo>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.inspect().await }, |i| Ok(i.into()))
    }

    /// What the agent changed in a review-mode workspace (`workspaceMode: 'review'`): every
    /// added, modified, deleted and renamed path, sorted; with `paths`, only those at or under
    /// them. The host's files are untouched. Rejects with `INVALID_SPEC` on a sandbox of
    /// another mode.
    #[napi]
    pub fn diff<'e>(
        &self,
        env: &'e Env,
        options: Option<DiffOptions>,
    ) -> napi::Result<PromiseRaw<'e, Vec<Change>>> {
        let sb = self.inner.clone();
        let paths = paths(options.unwrap_or_default().paths);
        spawn(env, async move { sb.diff_paths(&paths).await }, |v| {
            Ok(changes(v))
        })
    }

    /// The changes of a review-mode workspace as a unified diff, `git diff` style; with
    /// `stat`, one `A/M/D/R path` line each and a count instead.
    #[napi]
    pub fn diff_text<'e>(
        &self,
        env: &'e Env,
        options: Option<DiffTextOptions>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let sb = self.inner.clone();
        let o = options.unwrap_or_default();
        let paths = paths(o.paths);
        let stat = o.stat.unwrap_or_default();
        spawn(
            env,
            async move {
                let chosen = sb.diff_paths(&paths).await?;
                sb.diff_text(&chosen, stat).await
            },
            Ok,
        )
    }

    /// Copies the agent's changes (all, or those under `paths`) onto the host workspace, all
    /// or nothing, and resolves to what was (with `dryRun`: would be) applied. Rejects
    /// (`SANDBOX_ERROR`, the host untouched) when a host file changed since the sandbox was
    /// made, unless `force`, and when a change would make the host run a program, unless
    /// `allowExecVectors`.
    #[napi]
    pub fn apply<'e>(
        &self,
        env: &'e Env,
        options: Option<ApplyOptions>,
    ) -> napi::Result<PromiseRaw<'e, Vec<Change>>> {
        let sb = self.inner.clone();
        let opts = docksandbox::ApplyOptions::from(options.unwrap_or_default());
        spawn(env, async move { sb.apply(&opts).await }, |v| {
            Ok(changes(v))
        })
    }

    /// Drops the agent's changes (all, or those under `paths`): the sandbox sees the host's
    /// files there again. A running sandbox is restarted for it (its processes are stopped).
    /// Resolves to what was dropped.
    #[napi]
    pub fn discard<'e>(
        &self,
        env: &'e Env,
        options: Option<DiffOptions>,
    ) -> napi::Result<PromiseRaw<'e, Vec<Change>>> {
        let sb = self.inner.clone();
        let paths = paths(options.unwrap_or_default().paths);
        spawn(env, async move { sb.discard(&paths).await }, |v| {
            Ok(changes(v))
        })
    }

    /// Scans the workspace for files through which the host would run programs (git hooks
    /// and config of repositories made inside, `.gitattributes` drivers, `.envrc`, VS Code
    /// tasks and settings) that appeared or changed since this sandbox was made; with `fix`,
    /// disables them (hooks renamed `*.disabled`, keys removed with a backup kept).
    #[napi]
    pub fn guard_check<'e>(
        &self,
        env: &'e Env,
        options: Option<GuardCheckOptions>,
    ) -> napi::Result<PromiseRaw<'e, GuardReport>> {
        let sb = self.inner.clone();
        let fix = options.unwrap_or_default().fix.unwrap_or_default();
        spawn(env, async move { sb.guard_check(fix).await }, |r| {
            Ok(r.into())
        })
    }

    /// Stops the sandbox (its processes are killed after 10 s); `run()` starts it again.
    #[napi]
    pub fn stop<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.stop().await }, Ok)
    }

    /// The sandbox's ports published on this host.
    #[napi]
    pub fn ports<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, Vec<PortInfo>>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.ports().await }, |v| {
            Ok(v.into_iter().map(PortInfo::from).collect())
        })
    }

    /// Where TCP port `containerPort` is reached from this host (`'127.0.0.1:49153'`, ready
    /// for a URL), or `null` when it is not published.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn port<'e>(
        &self,
        env: &'e Env,
        container_port: u32,
    ) -> napi::Result<PromiseRaw<'e, Option<String>>> {
        let sb = self.inner.clone();
        spawn(
            env,
            async move {
                // No port above 65535 is published.
                let Ok(p) = u16::try_from(container_port) else {
                    return Ok(None);
                };
                Ok(sb.port(p).await?.map(|p| p.host_address()))
            },
            Ok,
        )
    }

    /// Publishes one more port of the running sandbox without recreating it (`'5173'`,
    /// `'127.0.0.1:8080:8080'`): a forwarder beside it, removed with it. TCP only.
    #[napi]
    pub fn add_port<'e>(
        &self,
        env: &'e Env,
        port: String,
    ) -> napi::Result<PromiseRaw<'e, PortInfo>> {
        let sb = self.inner.clone();
        spawn(
            env,
            async move {
                let p = docksandbox::PortMapping::parse_indexed(&port, 0)?;
                sb.add_port(p).await
            },
            |p| Ok(PortInfo::from(p)),
        )
    }

    /// Saves the sandbox's file system (what was installed; never the workspace, credentials
    /// or environment) as the local image `template` (`'NAME[:TAG]'`); resolves to its id.
    /// `run({ template })` then starts from it.
    #[napi]
    pub fn save<'e>(&self, env: &'e Env, template: String) -> napi::Result<PromiseRaw<'e, String>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.save(&template).await }, Ok)
    }

    /// Done with the sandbox: an ephemeral one (`ephemeral: true`) is removed, any other
    /// stopped. What `await using` calls (`index.js` adds `Symbol.asyncDispose`).
    #[napi]
    pub fn close<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.close().await }, Ok)
    }

    /// Removes the sandbox, running or not. The credentials volume is kept. A branch
    /// sandbox's worktree goes too, its branch stays unless `deleteBranch`; a worktree with
    /// uncommitted changes, or deleting an unmerged branch, rejects (`SANDBOX_ERROR`, nothing
    /// removed) unless `force`.
    #[napi]
    pub fn remove<'e>(
        &self,
        env: &'e Env,
        options: Option<RemoveOptions>,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let sb = self.inner.clone();
        let o = options.unwrap_or_default();
        let opts = docksandbox::RemoveOptions {
            force: true,
            volumes: false,
            delete_branch: o.delete_branch.unwrap_or_default(),
            discard: o.force.unwrap_or_default(),
        };
        spawn(env, async move { sb.remove_with_options(&opts).await }, Ok)
    }

    /// A branch sandbox's branch (`run({ branch })`): commits ahead of its base, whether its
    /// worktree has uncommitted changes.
    #[napi]
    pub fn branch_status<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, BranchInfo>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.branch_status().await }, |b| {
            Ok(BranchInfo::from(b))
        })
    }

    /// A branch sandbox's changes against its base (its commits and the worktree's
    /// uncommitted changes) as a unified diff; with `stat`, `git diff --stat`.
    #[napi]
    pub fn branch_diff<'e>(
        &self,
        env: &'e Env,
        options: Option<BranchDiffOptions>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let sb = self.inner.clone();
        let stat = options.and_then(|o| o.stat).unwrap_or_default();
        spawn(env, async move { sb.branch_diff(stat).await }, Ok)
    }

    /// A branch sandbox's commits that its base does not have, newest first.
    #[napi]
    pub fn branch_log<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, String>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.branch_log().await }, Ok)
    }

    /// Merges a branch sandbox's branch into the repository's checked-out branch (or
    /// `into`) with git on the host: fast-forward when it can, else a merge commit (`squash`:
    /// one commit). Rejects (`SANDBOX_ERROR`, nothing changed) on a conflict or when your
    /// uncommitted changes touch the same files.
    #[napi]
    pub fn merge<'e>(
        &self,
        env: &'e Env,
        options: Option<MergeOptions>,
    ) -> napi::Result<PromiseRaw<'e, MergeResult>> {
        let sb = self.inner.clone();
        let o = options.unwrap_or_default();
        let opts = docksandbox::MergeOptions {
            squash: o.squash.unwrap_or_default(),
            into: o.into,
        };
        spawn(env, async move { sb.merge(&opts).await }, |r| {
            Ok(MergeResult {
                into: r.into,
                commit: r.commit,
                how: r.how,
                files: r.files,
            })
        })
    }
}

/// `sb.remove()` options.
#[napi(object)]
#[derive(Debug, Default)]
pub struct RemoveOptions {
    /// A branch sandbox's branch goes too.
    pub delete_branch: Option<bool>,
    /// Drop a branch sandbox's uncommitted changes (and an unmerged branch with
    /// `deleteBranch`).
    pub force: Option<bool>,
}

/// `sb.branchDiff()` options.
#[napi(object)]
#[derive(Debug, Default)]
pub struct BranchDiffOptions {
    /// `git diff --stat` instead of the diff.
    pub stat: Option<bool>,
}

/// `sb.merge()` options.
#[napi(object)]
#[derive(Debug, Default)]
pub struct MergeOptions {
    /// One new commit with the branch's changes instead of its commits.
    pub squash: Option<bool>,
    /// The branch to merge into (default: the one the repository has checked out).
    pub into: Option<String>,
}

/// What `sb.merge()` did.
#[napi(object)]
#[derive(Debug)]
pub struct MergeResult {
    /// The branch merged into.
    pub into: String,
    /// Its commit now.
    pub commit: String,
    /// How.
    #[napi(ts_type = "'fast-forward' | 'merge' | 'squash' | 'up-to-date'")]
    pub how: String,
    /// The files the merge changed.
    pub files: Vec<String>,
}
