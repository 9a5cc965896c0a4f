//! The Node binding of docksandbox: the npm package `docksandbox`, a thin napi-rs layer over the
//! core. Options map onto the core's `RunRequest` / `ExecOptions` (`options.rs`), core errors
//! become `Error`s with a stable `code` in one place (`error.rs`), and every call runs on
//! napi-rs's tokio runtime and returns a promise (`task.rs`). One engine connection
//! (`DOCKER_HOST`, else the default socket) is shared by the whole process.

mod error;
mod info;
mod network;
mod options;
mod pool;
mod sandbox;
mod stream;
mod task;
mod words;
mod workspace;

use std::sync::OnceLock;

use napi::bindgen_prelude::{Env, PromiseRaw};
use napi_derive::napi;

pub use info::{MountInfo, ResourcesInfo, SandboxInfo, SecurityInfo};
pub use network::{
    Network, NetworkLogEntry, NetworkLogOptions, NetworkLogStream, NetworkLogStreamResult,
    NetworkPolicyInfo,
};
pub use options::{ExecOptions, NetworkOptions, RunOptions};
pub use pool::{pool, Pool, PoolOptions, PoolStatus};
pub use sandbox::{ExecResult, Sandbox};
pub use stream::{ExecChunk, ExecStream, ExecStreamResult};
pub use workspace::{
    ApplyOptions, Change, DiffOptions, DiffTextOptions, ExecVector, GuardCheckOptions, GuardReport,
};

use task::spawn;

/// The process's one engine connection, made on first use.
fn client() -> docksandbox::Result<docksandbox::Client> {
    static CLIENT: OnceLock<docksandbox::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c.clone());
    }
    let c = docksandbox::Client::connect()?;
    Ok(CLIENT.get_or_init(|| c).clone())
}

/// Creates the sandbox for (workspace, agent), or reuses it (starting it when stopped).
/// Rejects with `CONFIG_CHANGED` when it exists with another configuration, unless
/// `recreate` is set.
#[napi]
pub fn run(env: &Env, options: RunOptions) -> napi::Result<PromiseRaw<'_, Sandbox>> {
    spawn(
        env,
        async move {
            let req = docksandbox::RunRequest::try_from(options)?;
            req.run(&client()?).await
        },
        |sb| Ok(sb.into()),
    )
}

/// Every docksandbox sandbox on the engine, newest first.
#[napi]
pub fn list(env: &Env) -> napi::Result<PromiseRaw<'_, Vec<SandboxInfo>>> {
    spawn(env, async move { client()?.list().await }, |v| {
        Ok(v.into_iter().map(SandboxInfo::from).collect())
    })
}

/// The sandbox called `nameOrId`: a name, a full id or a unique id prefix. Rejects with
/// `NOT_FOUND` when there is none.
#[napi]
pub fn get(env: &Env, name_or_id: String) -> napi::Result<PromiseRaw<'_, Sandbox>> {
    spawn(env, async move { client()?.get(&name_or_id).await }, |sb| {
        Ok(sb.into())
    })
}

/// Scans `workspace` (relative paths are taken from the current directory) for files through
/// which the host would run programs (git hooks, config and attribute drivers of repositories
/// made inside, `.envrc`, VS Code tasks and settings) that appeared or changed since the
/// oldest sandbox of that workspace was made (every one, when no sandbox of it is known);
/// with `fix`, disables them. What `docksandbox guard check` runs.
#[napi]
pub fn guard_check(
    env: &Env,
    workspace: String,
    options: Option<GuardCheckOptions>,
) -> napi::Result<PromiseRaw<'_, GuardReport>> {
    let fix = options.unwrap_or_default().fix.unwrap_or_default();
    spawn(
        env,
        async move {
            client()?
                .guard_check(std::path::Path::new(&workspace), fix)
                .await
        },
        |r| Ok(r.into()),
    )
}
