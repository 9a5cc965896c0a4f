//! `prune`: removing what is no longer used — stopped sandboxes, sandboxes whose workspace is
//! gone, and on request docksandbox's unused images and the agents' credentials volumes (as
//! `sbx prune` and `docker system prune` have it).

use std::collections::HashSet;
use std::time::Duration;

use crate::backend::SandboxStatus;
use crate::error::{Error, Result};
use crate::model::label_keys::{CREDENTIALS_OF, VERSION};
use crate::model::naming::credentials_volume;

use super::client::Client;

/// What `prune` removes.
///
/// ```
/// let o = docksandbox::PruneOptions::default();
/// assert!(!o.images && !o.volumes && !o.dry_run && o.older_than.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneOptions {
    /// Only sandboxes created at least this long ago (`--filter since=24h`).
    pub older_than: Option<Duration>,
    /// Say what would go; remove nothing.
    pub dry_run: bool,
    /// Also docksandbox's images (templates) that no container uses.
    pub images: bool,
    /// Also the agents' credentials volumes (their logins) that no sandbox uses, and the exec
    /// helper volumes of other docksandbox builds that no sandbox mounts.
    pub volumes: bool,
}

impl PruneOptions {
    /// Applies `--filter KEY=VALUE` strings; the one key is `since=DURATION` (`90s`, `30m`,
    /// `24h`, `7d`): only sandboxes created at least that long ago.
    ///
    /// ```
    /// let o = docksandbox::PruneOptions::default().with_filters(&["since=24h".into()]).unwrap();
    /// assert_eq!(o.older_than, Some(std::time::Duration::from_secs(86400)));
    /// assert!(docksandbox::PruneOptions::default().with_filters(&["until=1h".into()]).is_err());
    /// ```
    pub fn with_filters(mut self, filters: &[String]) -> Result<Self> {
        for (i, f) in filters.iter().enumerate() {
            let field = format!("filters[{i}]");
            let Some(("since", d)) = f.split_once('=') else {
                return Err(Error::invalid(
                    field,
                    format!(
                        "`{}` is not since=DURATION (e.g. since=24h)",
                        f.escape_debug()
                    ),
                ));
            };
            self.older_than = Some(crate::model::duration::parse_duration(d, &field)?);
        }
        Ok(self)
    }
}

/// What `prune` removed (or, with `dry_run`, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Sandbox names.
    pub sandboxes: Vec<String>,
    /// Images, by tag (or id when untagged).
    pub images: Vec<String>,
    /// Volume names.
    pub volumes: Vec<String>,
}

impl Client {
    /// Removes stopped sandboxes and sandboxes whose workspace no longer exists (running or
    /// not), then, when asked, docksandbox's images no container uses and credentials volumes
    /// no remaining sandbox uses; finally what removed sandboxes left behind (proxies,
    /// networks). What `docksandbox prune` runs.
    ///
    /// ```no_run
    /// # async fn demo() -> docksandbox::Result<()> {
    /// let client = docksandbox::Client::connect()?;
    /// let opts = docksandbox::PruneOptions { dry_run: true, ..Default::default() };
    /// for name in client.prune_sandboxes(&opts).await?.sandboxes {
    ///     println!("would remove {name}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn prune_sandboxes(&self, o: &PruneOptions) -> Result<PruneReport> {
        let backend = &self.engine.backend;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let mut report = PruneReport::default();
        let mut staying_agents = HashSet::new();
        for s in self.list().await? {
            let live = matches!(
                s.status,
                SandboxStatus::Running | SandboxStatus::Paused | SandboxStatus::Restarting
            );
            let gone = !s.workspace.exists();
            let old_enough = o
                .older_than
                .is_none_or(|d| now - s.created >= d.as_secs() as i64);
            if (gone || !live) && old_enough {
                if !o.dry_run {
                    self.get(&s.id).await?.remove_with(true).await?;
                }
                report.sandboxes.push(s.name);
            } else {
                staying_agents.insert(s.agent);
            }
        }
        if o.images {
            // Children before their parents: repeat while something goes.
            let in_use: HashSet<String> = backend
                .list(&[])
                .await?
                .into_iter()
                .map(|c| c.image)
                .collect();
            let mut left = backend.list_images(VERSION).await?;
            loop {
                let mut progress = false;
                let mut still = Vec::new();
                for (id, tags) in left {
                    let used = in_use.contains(&id) || tags.iter().any(|t| in_use.contains(t));
                    let gone = !used
                        && if o.dry_run {
                            true
                        } else {
                            backend.remove_unused_image(&id).await?
                        };
                    if gone {
                        progress = true;
                        report
                            .images
                            .push(tags.first().cloned().unwrap_or_else(|| id.clone()));
                    } else {
                        still.push((id, tags));
                    }
                }
                left = still;
                if !progress || left.is_empty() || o.dry_run {
                    break;
                }
            }
        }
        if o.volumes {
            for v in backend.list_volumes(&[(CREDENTIALS_OF, "")]).await? {
                if staying_agents.iter().any(|a| credentials_volume(a) == v) {
                    continue;
                }
                if !o.dry_run {
                    match backend.remove_volume(&v).await {
                        Ok(()) => {}
                        // Still mounted by a container docksandbox does not list: it stays.
                        Err(crate::Error::Engine { status: 409, .. }) => continue,
                        Err(e) => return Err(e),
                    }
                }
                report.volumes.push(v);
            }
            for v in crate::channel::helper_volume::of_other_builds(backend.as_ref()).await? {
                if !o.dry_run {
                    match backend.remove_volume(&v).await {
                        Ok(()) => {}
                        Err(crate::Error::Engine { status: 409, .. }) => continue,
                        Err(e) => return Err(e),
                    }
                }
                report.volumes.push(v);
            }
        }
        if !o.dry_run {
            self.prune().await?;
        }
        Ok(report)
    }
}
