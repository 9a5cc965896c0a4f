//! What a sandbox is, as data and rules: the spec and its parts, the validation of every
//! value, names, paths and secrets. Nothing here talks to an engine.

pub(crate) mod agent;
pub(crate) mod branch;
pub(crate) mod ca_bundle;
pub(crate) mod credentials;
pub(crate) mod docker_access;
pub(crate) mod duration;
pub(crate) mod engine_config;
pub(crate) mod git_guard;
pub(crate) mod key_value;
pub(crate) mod label_keys;
pub(crate) mod mount;
pub(crate) mod naming;
pub(crate) mod network;
pub(crate) mod network_policy;
pub(crate) mod network_rule;
pub(crate) mod owner_process;
pub(crate) mod paths;
pub(crate) mod pool_member;
pub(crate) mod port;
pub(crate) mod registries;
pub(crate) mod resources;
pub(crate) mod secret;
pub(crate) mod secrets;
pub(crate) mod shell_words;
pub(crate) mod spec;
pub(crate) mod validate;
pub(crate) mod workspace_mode;
