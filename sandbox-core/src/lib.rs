//! # docksandbox
//!
//! Run AI coding agents (Claude Code, Codex, Gemini CLI, Copilot, a shell, any command) in
//! isolated Docker containers, with your project mounted at the **same absolute path**.
//!
//! ```no_run
//! use docksandbox::{Sandbox, Claude};
//! # async fn demo() -> docksandbox::Result<()> {
//! let sandbox = Sandbox::builder()
//!     .workspace(std::env::current_dir()?)
//!     .agent(Claude)
//!     .run()
//!     .await?; // create-or-reuse; returns a running sandbox
//! let out = sandbox.exec(["git", "status"]).await?;
//! println!("{}", out.stdout_str());
//! # Ok(()) }
//! ```
//!
//! - One sandbox per (workspace, agent), found again by labels; concurrent `run`s end with one.
//! - The stored config is compared on every `run`: changes fail with [`Error::ConfigChanged`]
//!   unless recreate is asked for.
//! - Hardened by default: never privileged, `NET_RAW`/`MKNOD` dropped, init, a pids limit,
//!   no host namespaces; the docker socket only on explicit request.
//! - Files created in the workspace belong to the workspace's owner on the host.
//! - API keys reach the agent's process only, never the container's config.
//!
//! The engine is reached through the [`Backend`] trait; [`DockerBackend`] implements it on bollard.

mod agent;
mod backend;
mod bootstrap;
mod builder;
mod ca_bundle;
mod channel;
mod client;
mod docker;
mod drift;
mod error;
mod exec;
mod files;
mod git_identity;
mod helper;
mod info;
mod labels;
mod mount;
mod naming;
mod progress;
mod request;
mod resources;
mod run;
mod sandbox;
mod secrets;
mod setup;
mod spec;
mod template;
mod template_build;
mod validate;

pub use agent::{Agent, Claude, Codex, Copilot, Gemini, Shell, BASE_TEMPLATE};
pub use backend::{
    Backend, BuildRequest, ContainerConfig, ContainerDetails, ContainerSummary, Created,
    EngineSocket, ExecControl, ExecEvent, ExecProcess, ExecRequest, ExecStdin, ImageDetails,
    MountKind, MountRequest, SandboxStatus, SecuritySettings,
};
pub use bootstrap::{BootstrapOptions, BOOTSTRAP_IMAGE};
pub use builder::SandboxBuilder;
pub use ca_bundle::CA_BUNDLE_TARGET;
pub use channel::CHANNEL_ENV;
pub use client::{Client, RunOptions};
pub use docker::{DockerBackend, DEFAULT_DOCKER_HOST};
pub use error::{Error, ErrorKind, FieldChange, Result};
pub use exec::{timeout_from_secs, ExecOptions, ExecOutput, ExecStream};
pub use info::{EffectiveResources, SandboxInfo, DOCKER_SOCKET_WARNING};
pub use mount::Mount;
pub use naming::derive_name;
pub use progress::{Progress, ProgressFn};
pub use request::{parse_pair, RunRequest};
pub use resources::{parse_memory, Resources};
pub use run::{credentials_volume, DOCKER_SOCKET_TARGET};
pub use sandbox::{Sandbox, TtySize};
pub use secrets::is_secret_name;
pub use spec::{CredentialsMode, NetworkMode, SandboxSpec};
pub use template::{
    Template, TemplateBuildOptions, BASE_IMAGE_ENV, CA_BUNDLE_ENV, DEFAULT_BASE_IMAGE,
};
pub use template_build::{BuiltTemplate, DockerfileBuild, TemplateState};
pub use validate::{absolutize, PATH_MAX, SECRET_HOME_DIRS, SYSTEM_PATHS};

/// The label prefix and keys docksandbox stores its state under.
pub mod label_keys {
    pub use crate::labels::{
        AGENT, HOME, INTERNAL_DIR, KEY, MANAGED, PREFIX, SPEC, SPEC_HASH, USER, VERSION, WORKSPACE,
    };
}

/// This library's version, stored on every sandbox it creates.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
