//! The connection to an engine, and the calls that are not about one sandbox handle.

use std::sync::Arc;

use crate::error::Result;
use crate::info::SandboxInfo;
use crate::runtime::{block_on, spawn};
use crate::sandbox::Sandbox;
use crate::spec::SandboxSpec;

/// A Docker engine: `host` as `DOCKER_HOST` takes it (`unix:///var/run/docker.sock`,
/// `tcp://…`), or empty for `DOCKER_HOST` / the default socket. Connecting makes no request.
#[derive(Debug, uniffi::Object)]
pub struct Client {
    inner: docksandbox::Client,
}

#[uniffi::export]
impl Client {
    /// Connects like the docker CLI does.
    #[uniffi::constructor(default(host = None))]
    pub fn new(host: Option<String>) -> Result<Arc<Self>> {
        Ok(Arc::new(Client {
            inner: docksandbox::Client::connect_to(host.as_deref())?,
        }))
    }

    /// Creates the sandbox `spec` describes, or reuses the one that exists for it.
    pub async fn run(&self, spec: SandboxSpec) -> Result<Arc<Sandbox>> {
        let c = self.inner.clone();
        spawn(async move { Ok(Sandbox::new(spec.request().run(&c).await?)) }).await
    }

    /// [`Client::run`], blocking.
    pub fn run_blocking(&self, spec: SandboxSpec) -> Result<Arc<Sandbox>> {
        let c = self.inner.clone();
        block_on(async move { Ok(Sandbox::new(spec.request().run(&c).await?)) })
    }

    /// The sandbox named (or whose id starts with) `reference`.
    pub async fn get(&self, reference: String) -> Result<Arc<Sandbox>> {
        let c = self.inner.clone();
        spawn(async move { Ok(Sandbox::new(c.get(&reference).await?)) }).await
    }

    /// [`Client::get`], blocking.
    pub fn get_blocking(&self, reference: String) -> Result<Arc<Sandbox>> {
        let c = self.inner.clone();
        block_on(async move { Ok(Sandbox::new(c.get(&reference).await?)) })
    }

    /// Every docksandbox sandbox on the engine.
    pub async fn list(&self) -> Result<Vec<SandboxInfo>> {
        let c = self.inner.clone();
        spawn(async move { Ok(c.list().await?.into_iter().map(Into::into).collect()) }).await
    }

    /// [`Client::list`], blocking.
    pub fn list_blocking(&self) -> Result<Vec<SandboxInfo>> {
        let c = self.inner.clone();
        block_on(async move { Ok(c.list().await?.into_iter().map(Into::into).collect()) })
    }

    /// Everything known about the sandbox `reference`.
    pub async fn inspect(&self, reference: String) -> Result<SandboxInfo> {
        let c = self.inner.clone();
        spawn(async move { Ok(c.inspect(&reference).await?.into()) }).await
    }

    /// [`Client::inspect`], blocking.
    pub fn inspect_blocking(&self, reference: String) -> Result<SandboxInfo> {
        let c = self.inner.clone();
        block_on(async move { Ok(c.inspect(&reference).await?.into()) })
    }

    /// Removes the sandbox `reference` (stopping it first).
    pub async fn remove(&self, reference: String) -> Result<()> {
        let c = self.inner.clone();
        spawn(async move { Ok(c.remove(&reference).await?) }).await
    }

    /// [`Client::remove`], blocking.
    pub fn remove_blocking(&self, reference: String) -> Result<()> {
        let c = self.inner.clone();
        block_on(async move { Ok(c.remove(&reference).await?) })
    }

    /// [`Client::remove`] under the CLI's name.
    pub async fn rm(&self, reference: String) -> Result<()> {
        self.remove(reference).await
    }

    /// [`Client::remove_blocking`] under the CLI's name.
    pub fn rm_blocking(&self, reference: String) -> Result<()> {
        self.remove_blocking(reference)
    }
}
