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

#![deny(missing_docs)]

mod archive;
mod backend;
mod channel;
mod docker;
mod egress;
mod engine;
mod error;
mod inbound;
mod lifecycle;
mod model;
mod progress;
mod reuse;
mod sandbox;
mod scoped_docker;
mod templates;
mod workspace;

pub use backend::{
    Backend, BuildRequest, ContainerConfig, ContainerDetails, ContainerSummary, Created,
    EngineSocket, ExecControl, ExecEvent, ExecProcess, ExecRequest, ExecStdin, ImageDetails,
    MountKind, MountRequest, NetworkRequest, ResourceUsage, SandboxStatus, SecuritySettings,
};
pub use channel::helper_volume::HELPER_VOLUME_ENV;
pub use channel::CHANNEL_ENV;
pub use docker::{DockerBackend, EngineConfig, TlsFiles, DEFAULT_DOCKER_HOST};
pub use docksandbox_proxy::log::LogEntry as NetworkLogEntry;
pub use docksandbox_proxy::policy::Policy as EnforcedPolicy;
pub use egress::proxy::PROXY_UPSTREAM_CA_ENV;
pub use error::{split_field, Error, ErrorKind, FieldChange, Result};
pub use lifecycle::bounds::{Bounds, NetworkBounds};
pub use lifecycle::builder::SandboxBuilder;
pub use lifecycle::client::Client;
pub use lifecycle::gc::GcReport;
pub use lifecycle::network_words::NetworkWords;
pub use lifecycle::pool::{Pool, PoolStatus};
pub use lifecycle::prune::{PruneOptions, PruneReport};
pub use lifecycle::request::RunRequest;
pub use lifecycle::run::RunOptions;
pub use model::agent::{Agent, Claude, Codex, Copilot, Gemini, Shell, BASE_TEMPLATE};
pub use model::branch::Branch;
pub use model::ca_bundle::CA_BUNDLE_ENV;
pub use model::credentials::CredentialsMode;
pub use model::docker_access::DockerAccess;
pub use model::duration::{parse_duration, parse_since};
pub use model::key_value::parse_pair;
pub use model::mount::Mount;
pub use model::naming::{credentials_volume, derive_name};
pub use model::network::NetworkMode;
pub use model::network_policy::{NetworkPolicy, BUILTIN_PRESETS, PRESETS_FILE_ENV};
pub use model::network_rule::{
    parse_default as parse_network_default, parse_rule, NetworkDefault, NetworkRule,
};
pub use model::paths::{CA_BUNDLE_TARGET, DOCKER_SOCKET_TARGET};
pub use model::port::{PortMapping, PortProtocol, PublishedPort, ALL_INTERFACES_WARNING};
pub use model::resources::{parse_memory, Resources};
pub use model::secret::{secrets_from_flags, Secret, SecretMode, SecretSource};
pub use model::secrets::is_secret_name;
pub use model::spec::SandboxSpec;
pub use model::validate::{
    absolutize, listen_address, shared_token, PATH_MAX, SECRET_HOME_DIRS, SYSTEM_PATHS,
};
pub use model::workspace_mode::WorkspaceMode;
pub use progress::{Progress, ProgressFn};
pub use sandbox::exec_options::{timeout_from_secs, ExecOptions};
pub use sandbox::exec_output::{head_tail, ExecOutput, ExecStream};
pub use sandbox::files::DirEntry;
pub use sandbox::info::{EffectiveResources, SandboxInfo, DOCKER_SOCKET_WARNING};
pub use sandbox::{RemoveOptions, Sandbox, TtySize};
pub use scoped_docker::proxy::Children;
pub use templates::bootstrap::{BootstrapOptions, BOOTSTRAP_IMAGE};
pub use templates::build::{BuiltTemplate, DockerfileBuild, TemplateState};
pub use templates::definition::{
    Template, TemplateBuildOptions, BASE_IMAGE_ENV, DEFAULT_BASE_IMAGE, NO_HOST_CA_ENV,
};
pub use workspace::apply::{ApplyOptions, APPLY_FAIL_AFTER_ENV};
pub use workspace::branch_review::{BranchStatus, MergeOptions, MergeReport};
pub use workspace::changes::{Change, ChangeKind, EntryType};
pub use workspace::exec_vectors::{ExecVector, ExecVectorKind};
pub use workspace::guard_check::GuardReport;
pub use workspace::state_dir::STATE_DIR_ENV;

/// The label prefix and keys docksandbox stores its state under.
pub mod label_keys {
    pub use crate::model::label_keys::{
        AGENT, HOME, KEY, MANAGED, OWNER_PROCESS, POOL, PREFIX, SPEC, SPEC_HASH, USER, VERSION,
        WORKSPACE,
    };
    pub use crate::model::paths::INTERNAL_DIR;
}

/// This library's version, stored on every sandbox it creates.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
