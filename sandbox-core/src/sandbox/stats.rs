//! What a sandbox uses: CPU, memory (now, limit, peak), processes, network bytes, from the
//! engine's stats; the peak from the sandbox's own cgroup where the engine does not report it
//! (cgroup v2).

use crate::backend::{ResourceUsage, SandboxStatus};
use crate::error::{Error, Result};
use crate::sandbox::exec_options::ExecOptions;
use crate::sandbox::Sandbox;

impl Sandbox {
    /// What the running sandbox uses now (one sample over about a second).
    ///
    /// ```no_run
    /// # async fn f(sb: &docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let u = sb.stats().await?;
    /// println!("{:.0}% CPU, {} MiB", u.cpu_percent, u.memory_bytes >> 20);
    /// # Ok(()) }
    /// ```
    pub async fn stats(&self) -> Result<ResourceUsage> {
        let backend = self.inner.backend.as_ref();
        let status = backend.inspect(&self.inner.id).await?.summary.status;
        if status != SandboxStatus::Running {
            return Err(Error::NotRunning {
                name: self.inner.name.clone(),
                status: status.to_string(),
            });
        }
        let mut u = backend.stats(&self.inner.id).await?;
        if u.memory_peak.is_none() {
            let out = self
                .exec_with(
                    ["cat", "/sys/fs/cgroup/memory.peak"],
                    ExecOptions::default().user("0:0"),
                )
                .await?;
            u.memory_peak = out.stdout_str().trim().parse().ok();
        }
        Ok(u)
    }
}
