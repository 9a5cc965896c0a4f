//! The sandbox lifecycle on an engine: the client, create-or-reuse, the container a spec
//! becomes, its entrypoint, the mount check, and the builder and request that lead to `run`.

pub(crate) mod bounds;
pub(crate) mod builder;
pub(crate) mod client;
pub(crate) mod container_config;
pub(crate) mod entrypoint;
pub(crate) mod gc;
pub(crate) mod mount_check;
pub(crate) mod network_words;
pub(crate) mod pool;
pub(crate) mod prune;
pub(crate) mod request;
pub(crate) mod run;
