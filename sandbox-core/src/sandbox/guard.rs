//! The sandbox's guard check: exec vectors that appeared in its workspace since it was made.

use crate::error::{Error, Result};
use crate::sandbox::Sandbox;
use crate::workspace::guard_check::{self, GuardReport};

impl Sandbox {
    /// Scans the workspace for files through which the host would run programs (git hooks
    /// and config of repositories made inside, `.gitattributes` drivers, `.envrc`, VS Code
    /// tasks and settings) that appeared or changed since this sandbox was made; with `fix`,
    /// disables them (hooks renamed `*.disabled`, keys removed with a backup kept).
    ///
    /// ```no_run
    /// # async fn demo(sb: docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let report = sb.guard_check(false).await?;
    /// for line in report.lines() {
    ///     eprintln!("docksandbox guard: {line}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn guard_check(&self, fix: bool) -> Result<GuardReport> {
        let ws = self.inner.spec.workspace.clone();
        let names = vec![self.inner.name.clone()];
        tokio::task::spawn_blocking(move || guard_check::check(&ws, &names, fix))
            .await
            .map_err(|e| Error::Client(format!("guard task: {e}")))?
    }
}
