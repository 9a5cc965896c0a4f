//! The sandbox's ports reachable from the host: those the engine published on it (a `bridge`
//! sandbox's `-p`), and those its forwarders publish (a `proxy` sandbox's `-p`, and ports added
//! while it runs).

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::inbound::forwarder;
use crate::model::port::{PortMapping, PublishedPort};
use crate::sandbox::Sandbox;

impl Sandbox {
    /// Every port of the sandbox published on the host, sorted by container port.
    ///
    /// ```no_run
    /// # async fn f(sb: &docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// for p in sb.ports().await? {
    ///     println!("{p}"); // 3000/tcp -> 127.0.0.1:49153
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn ports(&self) -> Result<Vec<PublishedPort>> {
        let backend = self.inner.backend.as_ref();
        let mut out = backend.inspect(&self.inner.id).await?.ports;
        out.extend(forwarder::list(backend, &self.inner.name).await?);
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Where the sandbox's TCP port `container_port` is reached from the host, if it is
    /// published (IPv4 first).
    pub async fn port(&self, container_port: u16) -> Result<Option<PublishedPort>> {
        let mut found: Vec<PublishedPort> = self
            .ports()
            .await?
            .into_iter()
            .filter(|p| {
                p.container_port == container_port && p.protocol == crate::PortProtocol::Tcp
            })
            .collect();
        found.sort_by_key(|p| (!p.host_ip.is_ipv4(), p.host_ip.is_unspecified()));
        Ok(found.into_iter().next())
    }

    /// Publishes `port` of the running sandbox on the host without recreating it: a forwarder
    /// beside the sandbox (removed with it), the only new way in. TCP only.
    ///
    /// ```no_run
    /// # async fn f(sb: &docksandbox::Sandbox) -> docksandbox::Result<()> {
    /// let p = sb.add_port(docksandbox::PortMapping::tcp(5173)).await?;
    /// println!("http://{}/", p.host_address());
    /// # Ok(()) }
    /// ```
    pub async fn add_port(&self, port: PortMapping) -> Result<PublishedPort> {
        crate::model::validate::ports(&[port], self.inner.spec.network)?;
        if let Some(p) = self
            .ports()
            .await?
            .into_iter()
            .find(|p| p.container_port == port.container_port && p.protocol == port.protocol)
        {
            if !p.forwarded || port.host_port == 0 || port.host_port == p.host_port {
                return Ok(p);
            }
            return Err(Error::invalid(
                "ports",
                format!("{} is already published as {p}", port.container_key()),
            ));
        }
        let engine = Engine::new(self.inner.backend.clone());
        forwarder::ensure(&engine, &self.inner.spec, &port).await
    }
}
