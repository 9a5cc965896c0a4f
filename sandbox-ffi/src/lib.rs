//! docksandbox for Kotlin, Swift, Ruby and Python (uniffi): a thin wrapper like the CLI, the
//! pyo3 and the napi-rs packages. Every exported method maps onto one core call; no default,
//! rule or validation lives here.
//!
//! ```no_run
//! use docksandbox_ffi::{Client, SandboxSpec};
//! let client = Client::new(None)?;
//! let sb = client.run_blocking(SandboxSpec {
//!     workspace: Some(".".into()),
//!     agent: Some("shell".into()),
//!     ..Default::default()
//! })?;
//! let out = sb.exec_blocking(vec!["pwd".into()], None)?;
//! assert_eq!(out.exit_code, 0);
//! # Ok::<(), docksandbox_ffi::DocksandboxError>(())
//! ```
//!
//! The foreign bindings are generated from the built library (`sandbox-ffi/README.md`).

mod client;
mod error;
mod info;
mod listener;
mod runtime;
mod sandbox;
mod spec;

pub use client::Client;
pub use error::{DocksandboxError, FieldChange, Result};
pub use info::SandboxInfo;
pub use listener::ExecListener;
pub use sandbox::Sandbox;
pub use spec::{ExecOptions, ExecOutput, SandboxSpec};

uniffi::setup_scaffolding!("docksandbox");

/// Creates or reuses the sandbox `spec` describes on the default engine (`DOCKER_HOST` or
/// the local socket).
#[uniffi::export]
pub async fn run(spec: SandboxSpec) -> Result<std::sync::Arc<Sandbox>> {
    Client::new(None)?.run(spec).await
}

/// [`run`], blocking.
#[uniffi::export]
pub fn run_blocking(spec: SandboxSpec) -> Result<std::sync::Arc<Sandbox>> {
    Client::new(None)?.run_blocking(spec)
}
