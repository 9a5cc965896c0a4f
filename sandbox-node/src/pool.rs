//! The `Pool` class and `pool()`: a warm pool of throwaway sandboxes (the core's
//! `docksandbox::Pool`), every method one core call.

use std::collections::BTreeMap;

use napi::bindgen_prelude::{Either, Env, PromiseRaw};
use napi_derive::napi;

use crate::options::RunOptions;
use crate::sandbox::Sandbox;
use crate::task::spawn;

/// Options of `pool()`: how many to keep ready, the pool's name, and `run()`'s options that a
/// sandbox without a project takes.
#[napi(object)]
#[derive(Debug, Default)]
pub struct PoolOptions {
    /// How many sandboxes it keeps ready (default 4).
    pub size: Option<u32>,
    /// The pool's name (default `pool-xxxxxx`); its sandboxes are `NAME-xxxxxx`.
    pub name: Option<String>,
    /// The agent profile (default `shell`).
    pub agent: Option<String>,
    /// For a custom agent: its program and default arguments.
    pub command: Option<Vec<String>>,
    /// Template image (default: the agent's).
    pub template: Option<String>,
    /// Container environment.
    pub env: Option<BTreeMap<String, String>>,
    /// CPU limit of each sandbox.
    pub cpus: Option<f64>,
    /// Memory limit of each: bytes, or `'512m'`, `'2g'`.
    pub memory: Option<Either<f64, String>>,
    /// Process limit of each.
    pub pids_limit: Option<i64>,
    /// `proxy` (the default), `bridge` or `none`, or a `NetworkOptions` object.
    #[napi(ts_type = "'proxy' | 'bridge' | 'none' | NetworkOptions")]
    pub network: Option<serde_json::Value>,
    /// Rules the proxy allows.
    pub allow_hosts: Option<Vec<String>>,
    /// Rules the proxy refuses.
    pub deny_hosts: Option<Vec<String>>,
    /// What the proxy does with connections no rule decides (default `allow`).
    #[napi(ts_type = "'allow' | 'deny'")]
    pub network_policy: Option<String>,
    /// Extra container labels.
    pub labels: Option<BTreeMap<String, String>>,
}

/// A pool's counts.
#[napi(object)]
#[derive(Debug)]
pub struct PoolStatus {
    /// The pool's name.
    pub name: String,
    /// How many it keeps ready.
    pub size: u32,
    /// Running and waiting to be taken.
    pub ready: u32,
    /// Being created and started.
    pub starting: u32,
    /// Handed out and not yet removed by the pool.
    pub taken: u32,
    /// Why the last sandbox could not be made, if it could not.
    pub last_error: Option<String>,
}

/// Throwaway sandboxes of one spec kept created and started. `take()` hands one out, running,
/// to this caller only (`await using sb = await pool.take()` removes it at the end of the
/// block); `close()` (or `await using pool = await pool(...)`) removes every one.
#[napi]
#[derive(Debug)]
pub struct Pool {
    inner: docksandbox::Pool,
}

#[napi]
impl Pool {
    /// The pool's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// How many are ready, starting and taken (no engine call).
    #[napi]
    pub fn status(&self) -> PoolStatus {
        let s = self.inner.status();
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        PoolStatus {
            name: s.name,
            size: n(s.size),
            ready: n(s.ready),
            starting: n(s.starting),
            taken: n(s.taken),
            last_error: s.last_error,
        }
    }

    /// A running sandbox for this caller alone (its exec channel connected); a replacement
    /// starts. Waits while none is ready; rejects when the pool is closed or cannot make them.
    #[napi]
    pub fn take<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, Sandbox>> {
        let p = self.inner.clone();
        spawn(env, async move { p.take().await }, |sb| Ok(sb.into()))
    }

    /// Resolves once `size` sandboxes are ready.
    #[napi]
    pub fn wait_ready<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let p = self.inner.clone();
        spawn(env, async move { p.wait_ready().await }, Ok)
    }

    /// Removes every sandbox of the pool, ready, handed out or still starting.
    #[napi]
    pub fn close<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, ()>> {
        let p = self.inner.clone();
        spawn(env, async move { p.close().await }, Ok)
    }
}

/// Starts a warm pool; resolves at once (`waitReady()` waits for all of them). Bad options
/// reject with `INVALID_SPEC` before anything is made.
#[napi]
pub fn pool(env: &Env, options: Option<PoolOptions>) -> napi::Result<PromiseRaw<'_, Pool>> {
    let o = options.unwrap_or_default();
    let size = o.size.unwrap_or(4) as usize;
    let run = RunOptions {
        agent: Some(o.agent.unwrap_or_else(|| "shell".into())),
        name: o.name,
        command: o.command,
        template: o.template,
        env: o.env,
        cpus: o.cpus,
        memory: o.memory,
        pids_limit: o.pids_limit,
        network: o.network,
        allow_hosts: o.allow_hosts,
        deny_hosts: o.deny_hosts,
        network_policy: o.network_policy,
        labels: o.labels,
        ..Default::default()
    };
    spawn(
        env,
        async move {
            let mut req = docksandbox::RunRequest::try_from(run)?;
            req.workspace = None;
            req.pool(&crate::client()?, size).await
        },
        |inner| Ok(Pool { inner }),
    )
}
