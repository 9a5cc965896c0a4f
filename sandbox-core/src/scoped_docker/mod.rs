//! Scoped Docker access (`--docker scoped`): a filtering Engine API proxy beside the sandbox,
//! the program `docksandbox-proxy engine`, whose socket is the sandbox's `/var/run/docker.sock`.
//! What it allows and rewrites is decided in `docksandbox_proxy::engine_api`; here are its
//! container, its socket's volume, and the clean-up of what the agent started.

pub(crate) mod proxy;
