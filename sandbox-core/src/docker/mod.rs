//! The Docker Engine backend, on bollard.

mod build;
mod convert;
mod error_map;
mod exec;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};

use crate::backend::{
    Backend, BuildRequest, ContainerConfig, ContainerDetails, ContainerSummary, Created,
    EngineSocket, ExecProcess, ExecRequest, ImageDetails, NetworkRequest,
};
use crate::error::{Error, Result};
pub use crate::model::engine_config::{EngineConfig, TlsFiles, DEFAULT_DOCKER_HOST};
use bollard::models::{EndpointSettings, NetworkConnectRequest, NetworkCreateRequest};
use error_map::{map, mount_error, start_error, status};
use futures_util::stream::BoxStream;

/// A [`Backend`] talking to a Docker Engine (or anything speaking its API) through bollard.
///
/// One value holds one connection pool: create it once and share it (it is cheap to clone).
///
/// ```no_run
/// # async fn demo() -> docksandbox::Result<()> {
/// let backend = docksandbox::DockerBackend::connect(None)?; // DOCKER_HOST, else the default socket
/// use docksandbox::Backend;
/// backend.ping().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DockerBackend {
    docker: Docker,
    host: String,
}

impl DockerBackend {
    /// Connects like the docker CLI: `host` if given, else `DOCKER_HOST`, else the default
    /// socket. `tcp://` hosts use TLS when `DOCKER_TLS_VERIFY` is set (certificates from
    /// `DOCKER_CERT_PATH`). No request is made until the first call.
    pub fn connect(host: Option<&str>) -> Result<Self> {
        Self::connect_with(&EngineConfig::resolve(host, None)?)
    }

    /// Connects to the engine `config` names (see [`EngineConfig::resolve`]): TLS with its
    /// certificates when it has them. No request is made until the first call.
    ///
    /// ```no_run
    /// let e = docksandbox::EngineConfig::resolve(None, Some("build-box"))?;
    /// let backend = docksandbox::DockerBackend::connect_with(&e)?;
    /// # Ok::<(), docksandbox::Error>(())
    /// ```
    pub fn connect_with(config: &EngineConfig) -> Result<Self> {
        let host = config.host.clone();
        let connected = match &config.tls {
            Some(tls) if host.starts_with("tcp://") || host.starts_with("https://") => {
                for f in [&tls.ca, &tls.cert, &tls.key] {
                    if !f.is_file() {
                        return Err(Error::DockerUnavailable {
                            host,
                            reason: format!(
                                "its TLS file {} is missing (DOCKER_CERT_PATH or the context's certificates)",
                                f.display()
                            ),
                        });
                    }
                }
                Docker::connect_with_ssl(
                    &host,
                    &tls.key,
                    &tls.cert,
                    &tls.ca,
                    120,
                    bollard::API_DEFAULT_VERSION,
                )
            }
            _ => Docker::connect_with_host(&host),
        };
        let docker = connected.map_err(|e| match e {
            bollard::errors::Error::UnsupportedURISchemeError { uri } => Error::DockerUnavailable {
                host: uri,
                reason: "unsupported address scheme (use unix://, tcp:// or https://)".into(),
            },
            other => map(&host, other),
        })?;
        Ok(DockerBackend { docker, host })
    }

    /// The bollard client, for what docksandbox does not wrap.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Waits for a removal started by someone else to finish (up to a minute).
    async fn wait_removed(&self, id: &str) -> Result<()> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            match self.docker.inspect_container(id, None).await {
                Err(e) => {
                    let e = map(&self.host, e);
                    return if status(&e) == Some(404) {
                        Ok(())
                    } else {
                        Err(e)
                    };
                }
                Ok(_) if std::time::Instant::now() >= deadline => {
                    return Err(Error::Engine {
                        status: 409,
                        message: format!("the removal of `{id}` by another process did not finish"),
                    })
                }
                Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    async fn create_once(&self, config: &ContainerConfig) -> Result<Created> {
        let opts = CreateContainerOptionsBuilder::default()
            .name(&config.name)
            .build();
        match self
            .docker
            .create_container(Some(opts), convert::create_body(config))
            .await
        {
            Ok(r) => Ok(Created::New(r.id)),
            Err(e) => match map(&self.host, e) {
                e if status(&e) == Some(409) => Ok(Created::NameTaken),
                e => Err(mount_error(&config.name, e)),
            },
        }
    }
}

/// An Engine API label filter: `key=value`, or `key` (any value) for an empty value.
fn label_filter(key: &str, value: &str) -> String {
    if value.is_empty() {
        key.to_string()
    } else {
        format!("{key}={value}")
    }
}

fn not_found(e: Error, reference: &str) -> Error {
    if status(&e) == Some(404) {
        Error::NotFound {
            reference: reference.to_string(),
        }
    } else {
        e
    }
}

#[async_trait]
impl Backend for DockerBackend {
    fn host(&self) -> &str {
        &self.host
    }

    async fn ping(&self) -> Result<()> {
        self.docker
            .ping()
            .await
            .map(|_| ())
            .map_err(|e| map(&self.host, e))
    }

    async fn pull(
        &self,
        image: &str,
        progress: &(dyn for<'p> Fn(&'p crate::Progress) + Send + Sync),
    ) -> Result<()> {
        let (name, tag) = match image.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, t),
            _ => (image, "latest"),
        };
        let opts = CreateImageOptionsBuilder::default()
            .from_image(name)
            .tag(tag)
            .build();
        let mut s = self.docker.create_image(Some(opts), None, None);
        while let Some(item) = s.next().await {
            let info = item.map_err(|e| map(&self.host, e))?;
            let detail = info.progress_detail.unwrap_or_default();
            let report = crate::Progress::Pull {
                image: image.to_string(),
                layer: info.id,
                status: info.status.unwrap_or_default(),
                current: detail.current.and_then(|c| u64::try_from(c).ok()),
                total: detail.total.and_then(|c| u64::try_from(c).ok()),
            };
            progress(&report);
        }
        Ok(())
    }

    async fn create(&self, config: &ContainerConfig) -> Result<Created> {
        match self.create_once(config).await {
            Err(e) if status(&e) == Some(404) => Err(Error::ImageNotFound {
                image: config.image.clone(),
                reason: "it is not on the engine".into(),
            }),
            other => other,
        }
    }

    async fn start(&self, id: &str) -> Result<()> {
        self.docker
            .start_container(id, None)
            .await
            .map_err(|e| start_error(id, not_found(map(&self.host, e), id)))
    }

    async fn wait_for_output(
        &self,
        id: &str,
        since: Option<&str>,
        marker: &str,
        timeout: Duration,
    ) -> Result<()> {
        // Polls the log (no `follow`: a followed log can miss lines written while the stream
        // is being set up, and then waits forever). Setup takes milliseconds: start polling
        // fast, back off to 100 ms, and look at the container's state now and then.
        let deadline = tokio::time::Instant::now() + timeout;
        let mut delay = Duration::from_millis(2);
        let mut round = 0u32;
        loop {
            let mut opts = LogsOptionsBuilder::default()
                .follow(false)
                .stdout(true)
                .stderr(true);
            if let Some(since) = since {
                opts = opts.since(convert::since_seconds(since));
            }
            let chunks: Vec<_> = self
                .docker
                .logs(id, Some(opts.build()))
                .try_collect()
                .await
                .map_err(|e| not_found(map(&self.host, e), id))?;
            let seen: Vec<u8> = chunks.into_iter().flat_map(|c| c.into_bytes()).collect();
            if seen.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                return Ok(());
            }
            let output = || String::from_utf8_lossy(&seen).trim().to_string();
            round += 1;
            if round % 4 == 0 {
                let d = self.inspect(id).await?;
                if d.summary.status != crate::SandboxStatus::Running {
                    return Err(Error::StartFailed {
                        name: id.to_string(),
                        reason: format!(
                            "the container stopped during setup ({}); its output: {:?}",
                            d.summary.status,
                            output()
                        ),
                    });
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::StartFailed {
                    name: id.to_string(),
                    reason: format!(
                        "setup did not finish within {timeout:?}; output so far: {:?}",
                        output()
                    ),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(100));
        }
    }

    async fn stats(&self, id: &str) -> Result<crate::backend::ResourceUsage> {
        use futures_util::StreamExt;
        let opts = bollard::query_parameters::StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(false)
            .build();
        let mut s = self.docker.stats(id, Some(opts));
        match s.next().await {
            Some(Ok(r)) => Ok(convert::usage(r)),
            Some(Err(e)) => Err(not_found(map(&self.host, e), id)),
            None => Err(Error::NotRunning {
                name: id.to_string(),
                status: "unknown".into(),
            }),
        }
    }

    async fn pause(&self, id: &str) -> Result<()> {
        self.docker
            .pause_container(id)
            .await
            .map_err(|e| not_found(map(&self.host, e), id))
    }

    async fn export(
        &self,
        id: &str,
    ) -> Result<futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>> {
        use futures_util::StreamExt;
        // Fail early when the container is not there (the stream would only say so later).
        self.docker
            .inspect_container(id, None)
            .await
            .map_err(|e| not_found(map(&self.host, e), id))?;
        Ok(self
            .docker
            .export_container(id)
            .map(|r| r.map_err(std::io::Error::other))
            .boxed())
    }

    async fn unpause(&self, id: &str) -> Result<()> {
        self.docker
            .unpause_container(id)
            .await
            .map_err(|e| not_found(map(&self.host, e), id))
    }

    async fn stop(&self, id: &str, timeout: Duration) -> Result<()> {
        let opts = StopContainerOptionsBuilder::default()
            .t(i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX))
            .build();
        self.docker
            .stop_container(id, Some(opts))
            .await
            .map_err(|e| not_found(map(&self.host, e), id))
    }

    async fn remove(&self, id: &str, force: bool) -> Result<()> {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(force)
            .v(true)
            .build();
        match self.docker.remove_container(id, Some(opts)).await {
            Ok(()) => Ok(()),
            Err(e) => match not_found(map(&self.host, e), id) {
                // Another process (a concurrent collection) is removing it: done when it is.
                Error::Engine {
                    status: 409,
                    message,
                } if message.contains("already in progress") => self.wait_removed(id).await,
                e => Err(e),
            },
        }
    }

    async fn inspect(&self, id_or_name: &str) -> Result<ContainerDetails> {
        self.docker
            .inspect_container(id_or_name, None)
            .await
            .map(convert::details)
            .map_err(|e| not_found(map(&self.host, e), id_or_name))
    }

    async fn list(&self, labels: &[(&str, &str)]) -> Result<Vec<ContainerSummary>> {
        let filters: HashMap<&str, Vec<String>> = HashMap::from([(
            "label",
            labels.iter().map(|(k, v)| label_filter(k, v)).collect(),
        )]);
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| map(&self.host, e))?;
        Ok(list.into_iter().map(convert::summary).collect())
    }

    async fn exec(&self, id: &str, request: ExecRequest) -> Result<ExecProcess> {
        exec::start(&self.docker, &self.host, id, request)
            .await
            .map_err(|e| match e {
                Error::Engine {
                    status: 409,
                    message,
                } if message.contains("not running") => Error::NotRunning {
                    name: id.to_string(),
                    status: "stopped".into(),
                },
                e => not_found(e, id),
            })
    }

    async fn upload(&self, id: &str, dir: &str, tar: Vec<Bytes>) -> Result<()> {
        let opts = UploadToContainerOptionsBuilder::default().path(dir).build();
        self.docker
            .upload_to_container(
                id,
                Some(opts),
                bollard::body_stream(futures_util::stream::iter(tar)),
            )
            .await
            .map_err(|e| match map(&self.host, e) {
                e @ Error::Engine { .. } => Error::File {
                    path: dir.to_string(),
                    reason: e.to_string(),
                },
                e => e,
            })
    }

    async fn download(
        &self,
        id: &str,
        path: &str,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<Bytes>>> {
        let opts = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let (host, shown) = (self.host.clone(), path.to_string());
        let mut stream = self
            .docker
            .download_from_container(id, Some(opts))
            .map(move |item| {
                item.map_err(|e| match map(&host, e) {
                    e @ Error::Engine { .. } => Error::File {
                        path: shown.clone(),
                        reason: e.to_string(),
                    },
                    e => e,
                })
            })
            .boxed();
        // The engine answers a missing path before any data: report it from this call.
        match stream.next().await {
            Some(Err(e)) => Err(e),
            Some(Ok(first)) => Ok(futures_util::stream::once(async { Ok(first) })
                .chain(stream)
                .boxed()),
            None => Ok(futures_util::stream::empty().boxed()),
        }
    }

    async fn ensure_volume(&self, name: &str, labels: &HashMap<String, String>) -> Result<()> {
        self.docker
            .create_volume(bollard::models::VolumeCreateRequest {
                name: Some(name.to_string()),
                labels: Some(labels.clone()),
                ..Default::default()
            })
            .await
            .map(|_| ())
            .map_err(|e| map(&self.host, e))
    }

    async fn ensure_overlay_volume(
        &self,
        name: &str,
        labels: &HashMap<String, String>,
        lower: &str,
        upper: &str,
        work: &str,
    ) -> Result<()> {
        // The local driver mounts it with mount(2) when a container starts; `userxattr`
        // keeps overlay's own marks (opaque directories) in `user.` attributes, which the
        // host user who reads the upper layer can see.
        let opts = HashMap::from([
            ("type".to_string(), "overlay".to_string()),
            ("device".to_string(), "overlay".to_string()),
            (
                "o".to_string(),
                format!("lowerdir={lower},upperdir={upper},workdir={work},userxattr"),
            ),
        ]);
        self.docker
            .create_volume(bollard::models::VolumeCreateRequest {
                name: Some(name.to_string()),
                driver: Some("local".to_string()),
                driver_opts: Some(opts),
                labels: Some(labels.clone()),
                ..Default::default()
            })
            .await
            .map(|_| ())
            .map_err(|e| map(&self.host, e))
    }

    async fn image(&self, reference: &str) -> Result<Option<ImageDetails>> {
        build::image(&self.docker, &self.host, reference).await
    }

    async fn build(
        &self,
        request: BuildRequest,
        progress: &(dyn for<'p> Fn(&'p crate::Progress) + Send + Sync),
    ) -> Result<String> {
        build::build(&self.docker, &self.host, request, progress).await
    }

    async fn remove_unused_image(&self, id: &str) -> Result<bool> {
        build::remove_unused_image(&self.docker, &self.host, id).await
    }

    async fn list_images(&self, key: &str) -> Result<Vec<(String, Vec<String>)>> {
        build::list_images(&self.docker, &self.host, key).await
    }

    async fn list_volumes(&self, labels: &[(&str, &str)]) -> Result<Vec<String>> {
        let filters: HashMap<&str, Vec<String>> = HashMap::from([(
            "label",
            labels.iter().map(|(k, v)| label_filter(k, v)).collect(),
        )]);
        let opts = bollard::query_parameters::ListVolumesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_volumes(Some(opts))
            .await
            .map_err(|e| map(&self.host, e))?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    async fn import(
        &self,
        tag: &str,
        changes: &[String],
        rootfs: futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>,
    ) -> Result<()> {
        build::import(&self.docker, &self.host, tag, changes, rootfs).await
    }

    fn engine_socket(&self) -> Option<EngineSocket> {
        use std::os::unix::fs::MetadataExt;
        let path = self.host.strip_prefix("unix://")?.to_string();
        let gid = std::fs::metadata(&path).ok().map(|m| m.gid());
        Some(EngineSocket { path, gid })
    }

    async fn ensure_network(&self, request: &NetworkRequest) -> Result<()> {
        let mut options = HashMap::new();
        if request.isolated {
            // No address of the host on the bridge: nothing on the host answers its containers.
            options.insert(
                "com.docker.network.bridge.inhibit_ipv4".to_string(),
                "true".to_string(),
            );
        }
        if request.separate_peers {
            options.insert(
                "com.docker.network.bridge.enable_icc".to_string(),
                "false".to_string(),
            );
        }
        // This engine API has no atomic create-unless-exists: callers arbitrate who creates.
        match self
            .docker
            .inspect_network(
                &request.name,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            )
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => match map(&self.host, e) {
                e if status(&e) == Some(404) => {}
                e => return Err(e),
            },
        }
        let body = NetworkCreateRequest {
            name: request.name.clone(),
            driver: Some("bridge".into()),
            internal: Some(request.isolated),
            enable_ipv6: Some(false),
            labels: Some(request.labels.clone()),
            options: Some(options),
            ..Default::default()
        };
        match self.docker.create_network(body).await {
            Ok(_) => Ok(()),
            Err(e) => match map(&self.host, e) {
                e if status(&e) == Some(409) => Ok(()),
                e => Err(e),
            },
        }
    }

    async fn connect_network(
        &self,
        container: &str,
        network: &str,
        aliases: &[String],
    ) -> Result<()> {
        let body = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: (!aliases.is_empty()).then(|| aliases.to_vec()),
                ..Default::default()
            }),
        };
        match self.docker.connect_network(network, body).await {
            Ok(()) => Ok(()),
            Err(e) => match not_found(map(&self.host, e), network) {
                e if error_map::already_connected(&e) => Ok(()),
                e => Err(e),
            },
        }
    }

    async fn remove_network(&self, name: &str) -> Result<()> {
        self.docker
            .remove_network(name)
            .await
            .map_err(|e| not_found(map(&self.host, e), name))
    }

    async fn list_networks(&self, labels: &[(&str, &str)]) -> Result<Vec<String>> {
        let filter: Vec<String> = labels.iter().map(|(k, v)| label_filter(k, v)).collect();
        let opts = ListNetworksOptionsBuilder::default()
            .filters(&HashMap::from([("label".to_string(), filter)]))
            .build();
        let nets = self
            .docker
            .list_networks(Some(opts))
            .await
            .map_err(|e| map(&self.host, e))?;
        Ok(nets.into_iter().filter_map(|n| n.name).collect())
    }

    async fn gateways(&self) -> Result<Vec<std::net::IpAddr>> {
        let nets = self
            .docker
            .list_networks(None::<bollard::query_parameters::ListNetworksOptions>)
            .await
            .map_err(|e| map(&self.host, e))?;
        Ok(nets
            .into_iter()
            .flat_map(|n| n.ipam.and_then(|i| i.config).unwrap_or_default())
            .filter_map(|c| c.gateway.and_then(|g| g.parse().ok()))
            .collect())
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.docker
            .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
            .map_err(|e| not_found(map(&self.host, e), name))
    }

    async fn logs(
        &self,
        id: &str,
        follow: bool,
        since: i64,
    ) -> Result<BoxStream<'static, Result<Bytes>>> {
        let opts = LogsOptionsBuilder::default()
            .follow(follow)
            .stdout(true)
            .stderr(true)
            .since(i32::try_from(since).unwrap_or(i32::MAX))
            .build();
        let host = self.host.clone();
        let reference = id.to_string();
        Ok(self
            .docker
            .logs(id, Some(opts))
            .map(move |c| {
                c.map(|c| c.into_bytes())
                    .map_err(|e| not_found(map(&host, e), &reference))
            })
            .boxed())
    }
}
