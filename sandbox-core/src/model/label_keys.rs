//! The names of the labels docksandbox stores its state under (the values are written by
//! `reuse::stored_spec`). Validation reserves [`PREFIX`] for them.

/// Prefix of every label docksandbox owns.
pub const PREFIX: &str = "docksandbox.";
/// Marks a container as a docksandbox sandbox.
pub const MANAGED: &str = "docksandbox.managed";
/// The sandbox key: a hash of (agent, canonical workspace). One sandbox per key.
pub const KEY: &str = "docksandbox.key";
/// Canonical workspace path.
pub const WORKSPACE: &str = "docksandbox.workspace";
/// Agent name.
pub const AGENT: &str = "docksandbox.agent";
/// The effective spec, JSON, secrets fingerprinted.
pub const SPEC: &str = "docksandbox.spec";
/// SHA-256 of [`SPEC`].
pub const SPEC_HASH: &str = "docksandbox.spec-hash";
/// docksandbox version that created the sandbox.
pub const VERSION: &str = "docksandbox.version";
/// `uid:gid` the sandbox's processes run as (the workspace owner's).
pub const USER: &str = "docksandbox.user";
/// Home directory of the sandbox user.
pub const HOME: &str = "docksandbox.home";
/// Marks a credentials volume, naming the agent whose login it holds.
pub const CREDENTIALS_OF: &str = "docksandbox.credentials-of";
/// Marks the egress proxy, network and state volume of a `proxy` sandbox, with its key.
pub const PROXY_FOR: &str = "docksandbox.proxy-for";
/// The name of the sandbox a proxy, network or volume belongs to.
pub const SANDBOX_NAME: &str = "docksandbox.sandbox";
/// On a review-mode sandbox's overlay volume: the sandbox it belongs to.
pub const REVIEW_OF: &str = "docksandbox.review-of";
/// On a port forwarder: the sandbox's key (see `inbound/forwarder.rs`).
pub const PORTS_FOR: &str = "docksandbox.ports-for";
/// On a port forwarder: the port it forwards, as `PortMapping` writes it.
pub const PORT: &str = "docksandbox.port";
/// On an image saved from a sandbox (`docksandbox save`): that sandbox's name.
pub const SAVED_FROM: &str = "docksandbox.saved-from";
/// On an ephemeral sandbox: its owner process, `HOST/PID/START` (`model/owner_process.rs`).
pub const OWNER_PROCESS: &str = "docksandbox.owner-process";
/// On a sandbox with a time to live: when it expires, Unix seconds.
pub const EXPIRES: &str = "docksandbox.expires";
/// On a sandbox stopped when idle: after how many seconds without use.
pub const IDLE_STOP: &str = "docksandbox.idle-stop";
/// On the exec helper's volumes and their filler: the helper build's digest
/// (`channel/helper_volume.rs`).
pub const EXECD: &str = "docksandbox.execd";
/// On a warm pool's sandbox: the pool's name (`docksandbox ls` shows it as pooled).
pub const POOL: &str = "docksandbox.pool";
/// A branch sandbox's branch (`run --branch`): `docksandbox diff fix-login` finds it by it.
pub const BRANCH: &str = "docksandbox.branch";
