//! The client: one engine connection; run, list, get, stop and remove sandboxes.

use std::sync::Arc;

use crate::backend::Backend;
use crate::docker::DockerBackend;
use crate::error::{Error, Result};
use crate::info::SandboxInfo;
use crate::labels;
use crate::progress::{Progress, ProgressFn};
use crate::sandbox::Sandbox;

/// How [`Client::run`] treats an existing sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Replace an existing sandbox whose stored config differs from the requested one.
    pub recreate: bool,
}

/// A connection to a container engine, shared by every sandbox it returns.
///
/// ```no_run
/// # async fn demo() -> docksandbox::Result<()> {
/// let client = docksandbox::Client::connect()?;
/// for s in client.list().await? {
///     println!("{} {} {}", s.name, s.status, s.workspace.display());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    backend: Arc<dyn Backend>,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("backend", &self.backend)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Client {
    /// Connects to the Docker engine like the docker CLI (`DOCKER_HOST`, else the default socket).
    pub fn connect() -> Result<Self> {
        Self::connect_to(None)
    }

    /// Connects to the Docker engine at `host` (`unix://…`, `tcp://…`), or as [`Client::connect`].
    pub fn connect_to(host: Option<&str>) -> Result<Self> {
        Ok(Self::with_backend(Arc::new(DockerBackend::connect(host)?)))
    }

    /// Uses any backend.
    pub fn with_backend(backend: Arc<dyn Backend>) -> Self {
        Client {
            backend,
            progress: None,
        }
    }

    /// Reports long steps (image pulls) to `observer`.
    ///
    /// ```no_run
    /// let client = docksandbox::Client::connect()?
    ///     .with_progress(std::sync::Arc::new(|p: &docksandbox::Progress| eprintln!("{p:?}")));
    /// # Ok::<(), docksandbox::Error>(())
    /// ```
    pub fn with_progress(mut self, observer: ProgressFn) -> Self {
        self.progress = Some(observer);
        self
    }

    pub(crate) fn report(&self, p: &Progress) {
        if let Some(f) = &self.progress {
            f(p);
        }
    }

    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Checks that the engine answers.
    pub async fn ping(&self) -> Result<()> {
        self.backend.ping().await
    }

    /// Every docksandbox sandbox on the engine (one request; other containers are not shown).
    pub async fn list(&self) -> Result<Vec<SandboxInfo>> {
        let mut v: Vec<SandboxInfo> = self
            .backend
            .list(&[(labels::MANAGED, "true")])
            .await?
            .into_iter()
            .map(SandboxInfo::from_summary)
            .collect();
        v.sort_by(|a, b| b.created.cmp(&a.created).then(a.name.cmp(&b.name)));
        Ok(v)
    }

    /// Every sandbox as a handle, ready for exec and files (one listing request).
    pub async fn list_sandboxes(&self) -> Result<Vec<Sandbox>> {
        let all = self.backend.list(&[(labels::MANAGED, "true")]).await?;
        let mut v: Vec<_> = all
            .into_iter()
            .filter_map(|s| {
                let created = s.created;
                self.handle(s.id, s.name, &s.labels)
                    .ok()
                    .map(|h| (created, h))
            })
            .collect();
        v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.name().cmp(b.1.name())));
        Ok(v.into_iter().map(|(_, h)| h).collect())
    }

    /// The sandbox called `reference`: a name, a full id or a unique id prefix.
    pub async fn get(&self, reference: &str) -> Result<Sandbox> {
        if reference.is_empty() {
            return Err(Error::invalid("sandbox", "the reference is empty"));
        }
        let all = self.backend.list(&[(labels::MANAGED, "true")]).await?;
        let pick = if let Some(s) = all
            .iter()
            .find(|s| s.name == reference || s.id == reference)
        {
            s.clone()
        } else {
            let matches: Vec<_> = all.iter().filter(|s| s.id.starts_with(reference)).collect();
            match matches.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    return Err(Error::NotFound {
                        reference: reference.to_string(),
                    })
                }
                many => {
                    return Err(Error::Ambiguous {
                        reference: reference.to_string(),
                        count: many.len(),
                    })
                }
            }
        };
        self.handle(pick.id, pick.name, &pick.labels)
    }

    pub(crate) fn handle(
        &self,
        id: String,
        name: String,
        labels: &std::collections::HashMap<String, String>,
    ) -> Result<Sandbox> {
        let spec = labels::decode(labels)?;
        let user = labels
            .get(labels::USER)
            .cloned()
            .unwrap_or_else(|| "0:0".into());
        let home = labels
            .get(labels::HOME)
            .cloned()
            .unwrap_or_else(|| "/root".into());
        Ok(Sandbox::new(
            self.backend.clone(),
            id,
            name,
            spec,
            user,
            home,
        ))
    }

    /// Everything known about the sandbox called `reference` (name, id or unique id prefix).
    pub async fn inspect(&self, reference: &str) -> Result<SandboxInfo> {
        self.get(reference).await?.inspect().await
    }

    /// Every sandbox, inspected (mounts, security settings, limits): one listing request,
    /// then the inspections concurrently.
    pub async fn list_detailed(&self) -> Result<Vec<SandboxInfo>> {
        let ids: Vec<String> = self.list().await?.into_iter().map(|s| s.id).collect();
        let all =
            futures_util::future::join_all(ids.iter().map(|id| self.backend.inspect(id))).await;
        let mut out = Vec::with_capacity(all.len());
        for d in all {
            match d {
                Ok(d) => out.push(SandboxInfo::from_details(d)),
                // Removed between the listing and the inspection.
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Stops the sandbox called `reference`.
    pub async fn stop(&self, reference: &str) -> Result<()> {
        self.get(reference).await?.stop().await
    }

    /// Removes the sandbox called `reference` (running or not). Credentials volumes are kept.
    pub async fn remove(&self, reference: &str) -> Result<()> {
        self.get(reference).await?.remove().await
    }
}
