//! `sb.network`: the policy of a `proxy` sandbox's egress proxy, shown and changed live, and
//! its connection log. The rules, their parsing and their meaning are the core's.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use napi::bindgen_prelude::{Either, Env, PromiseRaw};
use napi_derive::napi;
use tokio::sync::Mutex;

use crate::task::spawn;

/// The network of one sandbox (`sb.network`). Every method returns a promise; the policy
/// methods need a `proxy` sandbox (others reject with `INVALID_SPEC`).
#[napi]
#[derive(Debug)]
pub struct Network {
    inner: docksandbox::Sandbox,
}

impl Network {
    pub(crate) fn new(inner: docksandbox::Sandbox) -> Self {
        Network { inner }
    }
}

/// The policy the proxy enforces now: presets expanded, static names, refused addresses.
#[napi(object)]
#[derive(Debug)]
pub struct NetworkPolicyInfo {
    /// What happens to a connection no rule decides (ports 80 and 443).
    #[napi(ts_type = "'allow' | 'deny'")]
    pub default: String,
    /// Rules that allow (the presets' hosts included).
    pub allow: Vec<String>,
    /// Rules that refuse.
    pub deny: Vec<String>,
    /// Names resolved to these addresses instead of asking DNS.
    pub hosts: BTreeMap<String, Vec<String>>,
    /// Networks always refused on top of the built-in table (the host's own addresses, the
    /// engine's gateways).
    pub refused: Vec<String>,
}

impl From<docksandbox::EnforcedPolicy> for NetworkPolicyInfo {
    fn from(p: docksandbox::EnforcedPolicy) -> Self {
        // Destructured in full: a field added to the core fails to compile here.
        let docksandbox::EnforcedPolicy {
            default,
            allow,
            deny,
            hosts,
            refused,
        } = p;
        let words = |v: &[docksandbox::NetworkRule]| v.iter().map(ToString::to_string).collect();
        NetworkPolicyInfo {
            default: default.as_str().to_owned(),
            allow: words(&allow),
            deny: words(&deny),
            hosts: hosts
                .into_iter()
                .map(|(name, ips)| (name, ips.iter().map(ToString::to_string).collect()))
                .collect(),
            refused: refused.iter().map(ToString::to_string).collect(),
        }
    }
}

/// One connection (CONNECT tunnel, SOCKS5 connection) or forwarded HTTP request, logged when
/// it ended, denials included.
#[napi(object)]
#[derive(Debug)]
pub struct NetworkLogEntry {
    /// When it began: RFC 3339, UTC, milliseconds.
    pub time: String,
    /// `http` (an absolute-URI request), `connect` (a CONNECT tunnel) or `socks5`.
    #[napi(ts_type = "'http' | 'connect' | 'socks5'")]
    pub proto: String,
    /// The sandbox's address, `IP:PORT`.
    pub client: Option<String>,
    /// The host asked for, as asked (a name or an IP literal).
    pub host: String,
    /// The port asked for.
    pub port: u32,
    /// The address the proxy connected to, when it connected.
    pub addr: Option<String>,
    /// The server name of the TLS ClientHello, when one was read.
    pub sni: Option<String>,
    /// `allow` or `deny`.
    #[napi(ts_type = "'allow' | 'deny'")]
    pub decision: String,
    /// What decided (`allow example.com`, `default deny`, …).
    pub rule: String,
    /// Why, in one sentence.
    pub reason: String,
    /// Bytes from the sandbox to the server.
    pub bytes_up: f64,
    /// Bytes from the server to the sandbox.
    pub bytes_down: f64,
    /// How long it lasted.
    pub duration_ms: f64,
}

impl From<docksandbox::NetworkLogEntry> for NetworkLogEntry {
    fn from(e: docksandbox::NetworkLogEntry) -> Self {
        // Destructured in full: a field added to the core fails to compile here.
        let docksandbox::NetworkLogEntry {
            time,
            proto,
            client,
            host,
            port,
            addr,
            sni,
            decision,
            rule,
            reason,
            bytes_up,
            bytes_down,
            duration_ms,
        } = e;
        NetworkLogEntry {
            time,
            proto,
            client,
            host,
            port: port.into(),
            addr,
            sni,
            decision,
            rule,
            reason,
            bytes_up: bytes_up as f64,
            bytes_down: bytes_down as f64,
            duration_ms: duration_ms as f64,
        }
    }
}

/// Options of `network.log()`.
#[napi(object)]
#[derive(Debug, Default)]
pub struct NetworkLogOptions {
    /// Keep reading: `log()` then returns an async iterator of entries (the existing ones, then
    /// new ones as they come, until the proxy stops) instead of a promise of an array.
    pub follow: Option<bool>,
    /// Only the connections that were refused.
    pub denied: Option<bool>,
}

/// The sandbox's rules from the user's words (the core parses and names the field).
fn rules(hosts: &[String]) -> docksandbox::Result<Vec<docksandbox::NetworkRule>> {
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| docksandbox::parse_rule(h, &format!("hosts[{i}]")))
        .collect()
}

/// Whether `e` passes the `denied` filter.
fn wanted(e: &docksandbox::NetworkLogEntry, denied: bool) -> bool {
    !denied || e.decision == "deny"
}

#[napi]
impl Network {
    /// Adds allow rules to the policy in force, at once (an equal deny rule is dropped):
    /// `host`, `*.domain`, `host:port`, `ip[:port]`, CIDR.
    #[napi(ts_args_type = "...hosts: Array<string>")]
    pub fn allow<'e>(&self, env: &'e Env, hosts: Vec<String>) -> napi::Result<PromiseRaw<'e, ()>> {
        let sb = self.inner.clone();
        spawn(
            env,
            async move { sb.allow_hosts(&rules(&hosts)?).await },
            Ok,
        )
    }

    /// Adds deny rules to the policy in force, at once (an equal allow rule is dropped).
    #[napi(ts_args_type = "...hosts: Array<string>")]
    pub fn deny<'e>(&self, env: &'e Env, hosts: Vec<String>) -> napi::Result<PromiseRaw<'e, ()>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.deny_hosts(&rules(&hosts)?).await }, Ok)
    }

    /// Sets what the proxy does with connections no rule decides.
    #[napi(ts_args_type = "defaultAction: 'allow' | 'deny'")]
    pub fn policy<'e>(
        &self,
        env: &'e Env,
        default_action: String,
    ) -> napi::Result<PromiseRaw<'e, ()>> {
        let sb = self.inner.clone();
        spawn(
            env,
            async move {
                let d = docksandbox::parse_network_default(&default_action, "default")?;
                sb.set_network_default(d).await
            },
            Ok,
        )
    }

    /// The policy the proxy enforces now.
    #[napi]
    pub fn show<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, NetworkPolicyInfo>> {
        let sb = self.inner.clone();
        spawn(env, async move { sb.network_policy().await }, |p| {
            Ok(p.into())
        })
    }

    /// The connection log, oldest first: a promise of the entries so far; with
    /// `{ follow: true }`, an async iterator that keeps yielding new entries until the proxy
    /// stops (break out of `for await` to stop reading).
    #[napi(
        ts_generic_types = "Follow extends boolean = false",
        ts_args_type = "options?: NetworkLogOptions & { follow?: Follow }",
        ts_return_type = "Follow extends true ? AsyncIterableIterator<NetworkLogEntry> : Promise<Array<NetworkLogEntry>>"
    )]
    pub fn log<'e>(
        &self,
        env: &'e Env,
        options: Option<NetworkLogOptions>,
    ) -> napi::Result<Either<PromiseRaw<'e, Vec<NetworkLogEntry>>, NetworkLogStream>> {
        let o = options.unwrap_or_default();
        let denied = o.denied.unwrap_or(false);
        let sb = self.inner.clone();
        if o.follow.unwrap_or(false) {
            return Ok(Either::B(NetworkLogStream {
                state: Arc::new(Mutex::new(LogState::Start(sb, denied))),
            }));
        }
        spawn(
            env,
            async move {
                let mut log = sb.network_log(false).await?;
                let mut out = Vec::new();
                while let Some(e) = log.next().await {
                    let e = e?;
                    if wanted(&e, denied) {
                        out.push(e);
                    }
                }
                Ok(out)
            },
            |v| Ok(v.into_iter().map(NetworkLogEntry::from).collect()),
        )
        .map(Either::A)
    }
}

enum LogState {
    /// Not opened yet: the log is opened on the first `next()`, so `log()` returns at once.
    Start(docksandbox::Sandbox, bool),
    Running(
        BoxStream<'static, docksandbox::Result<docksandbox::NetworkLogEntry>>,
        bool,
    ),
    Done,
}

/// A followed connection log (`network.log({ follow: true })`); `index.js` makes it
/// async-iterable.
#[napi]
pub struct NetworkLogStream {
    state: Arc<Mutex<LogState>>,
}

impl std::fmt::Debug for NetworkLogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkLogStream").finish_non_exhaustive()
    }
}

/// What `next()` of a followed log resolves to: the iterator protocol's result.
#[napi(object)]
#[derive(Debug)]
pub struct NetworkLogStreamResult {
    /// Whether the log ended (the proxy stopped; `value` is then absent).
    pub done: bool,
    /// The next entry.
    pub value: Option<NetworkLogEntry>,
}

#[napi]
impl NetworkLogStream {
    /// The next entry; the first call opens the log. Rejects with the core's error, after
    /// which the log is done.
    #[napi]
    pub fn next<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, NetworkLogStreamResult>> {
        let state = self.state.clone();
        spawn(
            env,
            async move {
                let mut st = state.lock().await;
                if let LogState::Start(..) = &*st {
                    let LogState::Start(sb, denied) = std::mem::replace(&mut *st, LogState::Done)
                    else {
                        unreachable!()
                    };
                    *st = LogState::Running(sb.network_log(true).await?, denied);
                }
                let LogState::Running(log, denied) = &mut *st else {
                    return Ok(None);
                };
                let denied = *denied;
                loop {
                    match log.next().await {
                        Some(Ok(e)) if wanted(&e, denied) => return Ok(Some(e)),
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => {
                            *st = LogState::Done;
                            return Err(e);
                        }
                        None => {
                            *st = LogState::Done;
                            return Ok(None);
                        }
                    }
                }
            },
            |e| {
                Ok(NetworkLogStreamResult {
                    done: e.is_none(),
                    value: e.map(NetworkLogEntry::from),
                })
            },
        )
    }

    /// Stops reading (what `break` in `for await` calls): the log is closed.
    #[napi(js_name = "return")]
    pub fn finish<'e>(&self, env: &'e Env) -> napi::Result<PromiseRaw<'e, NetworkLogStreamResult>> {
        let state = self.state.clone();
        spawn(
            env,
            async move {
                *state.lock().await = LogState::Done;
                Ok(())
            },
            |()| {
                Ok(NetworkLogStreamResult {
                    done: true,
                    value: None,
                })
            },
        )
    }
}
