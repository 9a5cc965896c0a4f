//! The network of a `proxy` sandbox, live: the policy its proxy enforces, changed without a
//! restart, and the log of every connection.

use futures_util::stream::BoxStream;

use crate::backend::SandboxStatus;
use crate::egress::{control, proxy, refused};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::network::NetworkMode;
use crate::model::network_policy::NetworkPolicy;
use crate::model::network_rule::{NetworkDefault, NetworkRule};
use crate::sandbox::Sandbox;
use docksandbox_proxy::log::LogEntry;
use docksandbox_proxy::policy::Policy;

impl Sandbox {
    fn proxy_mode(&self) -> Result<()> {
        match self.spec().network {
            Some(NetworkMode::Proxy) => Ok(()),
            other => Err(Error::invalid(
                "network",
                format!(
                    "sandbox `{}` uses the {} network; network policies apply to `proxy` sandboxes (recreate it with --network proxy)",
                    self.name(),
                    other.unwrap_or(NetworkMode::Bridge)
                ),
            )),
        }
    }

    /// Brings the sandbox's proxy back when it was stopped, killed or removed behind our back
    /// (checked once per handle, before its first command). A stopped sandbox's proxy is left
    /// alone: the command fails on its own, and `run` starts both.
    pub(crate) async fn ensure_egress(&self) -> Result<()> {
        if self.spec().network != Some(NetworkMode::Proxy)
            || self.inner.egress_checked.initialized()
        {
            return Ok(());
        }
        let backend = self.backend();
        if !proxy::is_running(backend.as_ref(), self.spec()).await {
            if self.status().await? != SandboxStatus::Running {
                return Ok(());
            }
            let engine = Engine::new(backend.clone());
            proxy::ensure(&engine, self.spec()).await?;
        }
        let _ = self.inner.egress_checked.set(());
        Ok(())
    }

    /// The policy the sandbox's proxy enforces now: the rules, the presets as they expanded,
    /// the static names, and the addresses refused on top of the built-in table.
    ///
    /// ```no_run
    /// # async fn demo(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let p = sb.network_policy().await?;
    /// println!("default {}, {} allow rules", p.default, p.allow.len());
    /// # Ok(()) }
    /// ```
    pub async fn network_policy(&self) -> Result<Policy> {
        self.proxy_mode()?;
        self.ensure_egress().await?;
        control::read_policy(self.backend().as_ref(), self.name()).await
    }

    /// The presets the sandbox was created with, each with the rules it stands for here (what
    /// `network show` lists; the rules are part of [`Sandbox::network_policy`]'s allow list).
    pub fn network_presets(&self) -> Result<Vec<(String, Vec<NetworkRule>)>> {
        self.proxy_mode()?;
        match &self.spec().network_policy {
            Some(p) => p.expand_presets(&self.spec().agent),
            None => Ok(Vec::new()),
        }
    }

    /// Replaces the sandbox's policy at once, without restarting anything: presets are
    /// expanded for this sandbox's agent and the host's addresses stay refused. Kept across
    /// restarts of the sandbox, its proxy and the engine.
    pub async fn set_network_policy(&self, policy: &NetworkPolicy) -> Result<()> {
        self.proxy_mode()?;
        policy.validate()?;
        self.ensure_egress().await?;
        let backend = self.backend().as_ref();
        let enforced = policy.enforced(&self.spec().agent, refused::refused(backend).await?)?;
        control::write_policy(backend, self.name(), &enforced).await
    }

    /// Adds allow rules to the policy in force (a deny rule for the same target is dropped).
    pub async fn allow_hosts(&self, rules: &[NetworkRule]) -> Result<()> {
        self.change_policy(|p| {
            p.deny.retain(|d| !rules.contains(d));
            for r in rules {
                if !p.allow.contains(r) {
                    p.allow.push(r.clone());
                }
            }
        })
        .await
    }

    /// Adds deny rules to the policy in force (an allow rule for the same target is dropped).
    pub async fn deny_hosts(&self, rules: &[NetworkRule]) -> Result<()> {
        self.change_policy(|p| {
            p.allow.retain(|a| !rules.contains(a));
            for r in rules {
                if !p.deny.contains(r) {
                    p.deny.push(r.clone());
                }
            }
        })
        .await
    }

    /// Sets what the policy in force does with connections no rule decides.
    pub async fn set_network_default(&self, default: NetworkDefault) -> Result<()> {
        self.change_policy(|p| p.default = default).await
    }

    async fn change_policy(&self, change: impl FnOnce(&mut Policy)) -> Result<()> {
        let mut p = self.network_policy().await?;
        change(&mut p);
        control::write_policy(self.backend().as_ref(), self.name(), &p).await
    }

    /// The sandbox's connection log: one entry per connection or request (time, host, port,
    /// resolved address, decision, the rule that decided, bytes each way), oldest first; with
    /// `follow`, new entries as they come until the proxy stops.
    pub async fn network_log(&self, follow: bool) -> Result<BoxStream<'static, Result<LogEntry>>> {
        self.proxy_mode()?;
        control::log(self.backend().as_ref(), self.name(), follow).await
    }
}
