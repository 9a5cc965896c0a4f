//! A sandbox handle for foreign code: each method is one core call, in an async form
//! (Kotlin `suspend`, Swift `async`, Python `async def`) and a `_blocking` form (Ruby, and
//! callers without an event loop).

use std::sync::Arc;

use futures_util::StreamExt;

use crate::error::Result;
use crate::info::SandboxInfo;
use crate::listener::ExecListener;
use crate::runtime::{block_on, spawn};
use crate::spec::{ExecOptions, ExecOutput};

/// A running (or stopped) sandbox.
#[derive(Debug, uniffi::Object)]
pub struct Sandbox {
    pub(crate) inner: docksandbox::Sandbox,
}

impl Sandbox {
    pub(crate) fn new(inner: docksandbox::Sandbox) -> Arc<Self> {
        Arc::new(Sandbox { inner })
    }

    fn exec_fut(
        &self,
        argv: Vec<String>,
        options: Option<ExecOptions>,
    ) -> impl std::future::Future<Output = Result<ExecOutput>> + Send + 'static {
        let sb = self.inner.clone();
        async move {
            let opts = options.unwrap_or_default().core()?;
            Ok(sb.exec_with(argv, opts).await?.into())
        }
    }

    fn stream_fut(
        &self,
        argv: Vec<String>,
        options: Option<ExecOptions>,
        listener: Arc<dyn ExecListener>,
    ) -> impl std::future::Future<Output = Result<i64>> + Send + 'static {
        let sb = self.inner.clone();
        async move {
            let opts = options.unwrap_or_default().core()?;
            let mut events = sb.exec_stream(argv, opts).await?;
            let mut code = -1;
            while let Some(ev) = events.next().await {
                // A listener that throws ends the stream; dropping it kills the command.
                match ev? {
                    docksandbox::ExecEvent::Stdout(b) => listener.on_stdout(b.to_vec())?,
                    docksandbox::ExecEvent::Stderr(b) => listener.on_stderr(b.to_vec())?,
                    docksandbox::ExecEvent::Exit(c) => {
                        code = c;
                        listener.on_exit(c)?;
                    }
                }
            }
            Ok(code)
        }
    }
}

#[uniffi::export]
impl Sandbox {
    /// The container name.
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The container id.
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The workspace path, the same inside and outside.
    pub fn workspace(&self) -> String {
        self.inner.workspace().to_string_lossy().into_owned()
    }

    /// Runs `argv` and captures its output. A non-zero exit is not an error; a timeout is.
    /// Cancelling the call kills the command.
    pub async fn exec(
        &self,
        argv: Vec<String>,
        options: Option<ExecOptions>,
    ) -> Result<ExecOutput> {
        spawn(self.exec_fut(argv, options)).await
    }

    /// [`Sandbox::exec`], blocking the calling thread.
    pub fn exec_blocking(
        &self,
        argv: Vec<String>,
        options: Option<ExecOptions>,
    ) -> Result<ExecOutput> {
        block_on(self.exec_fut(argv, options))
    }

    /// Runs `argv`, handing its output to `listener` as it comes; returns the exit code.
    pub async fn exec_stream(
        &self,
        argv: Vec<String>,
        options: Option<ExecOptions>,
        listener: Arc<dyn ExecListener>,
    ) -> Result<i64> {
        spawn(self.stream_fut(argv, options, listener)).await
    }

    /// [`Sandbox::exec_stream`], blocking the calling thread.
    pub fn exec_stream_blocking(
        &self,
        argv: Vec<String>,
        options: Option<ExecOptions>,
        listener: Arc<dyn ExecListener>,
    ) -> Result<i64> {
        block_on(self.stream_fut(argv, options, listener))
    }

    /// Writes `data` to `path` inside the sandbox (parents created, owned by the sandbox user).
    pub async fn write_file(&self, path: String, data: Vec<u8>) -> Result<()> {
        let sb = self.inner.clone();
        spawn(async move { Ok(sb.write_file(&path, data).await?) }).await
    }

    /// [`Sandbox::write_file`], blocking.
    pub fn write_file_blocking(&self, path: String, data: Vec<u8>) -> Result<()> {
        let sb = self.inner.clone();
        block_on(async move { Ok(sb.write_file(&path, data).await?) })
    }

    /// The content of the file at `path` inside the sandbox.
    pub async fn read_file(&self, path: String) -> Result<Vec<u8>> {
        let sb = self.inner.clone();
        spawn(async move { Ok(sb.read_file(&path).await?) }).await
    }

    /// [`Sandbox::read_file`], blocking.
    pub fn read_file_blocking(&self, path: String) -> Result<Vec<u8>> {
        let sb = self.inner.clone();
        block_on(async move { Ok(sb.read_file(&path).await?) })
    }

    /// Stops the sandbox (the next `run` starts it again).
    pub async fn stop(&self) -> Result<()> {
        let sb = self.inner.clone();
        spawn(async move { Ok(sb.stop().await?) }).await
    }

    /// [`Sandbox::stop`], blocking.
    pub fn stop_blocking(&self) -> Result<()> {
        let sb = self.inner.clone();
        block_on(async move { Ok(sb.stop().await?) })
    }

    /// Removes the sandbox (stopping it first) and its companions; the credentials volume
    /// stays.
    pub async fn remove(&self) -> Result<()> {
        let sb = self.inner.clone();
        spawn(async move { Ok(sb.remove_with(true).await?) }).await
    }

    /// [`Sandbox::remove`], blocking.
    pub fn remove_blocking(&self) -> Result<()> {
        let sb = self.inner.clone();
        block_on(async move { Ok(sb.remove_with(true).await?) })
    }

    /// [`Sandbox::remove`] under the CLI's name.
    pub async fn rm(&self) -> Result<()> {
        self.remove().await
    }

    /// [`Sandbox::remove_blocking`] under the CLI's name.
    pub fn rm_blocking(&self) -> Result<()> {
        self.remove_blocking()
    }

    /// Everything known about the sandbox.
    pub async fn inspect(&self) -> Result<SandboxInfo> {
        let sb = self.inner.clone();
        spawn(async move { Ok(sb.inspect().await?.into()) }).await
    }

    /// [`Sandbox::inspect`], blocking.
    pub fn inspect_blocking(&self) -> Result<SandboxInfo> {
        let sb = self.inner.clone();
        block_on(async move { Ok(sb.inspect().await?.into()) })
    }
}
