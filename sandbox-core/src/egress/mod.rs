//! The egress proxy beside every `proxy` sandbox: its image (the static `docksandbox-proxy`
//! program), its container and networks, the addresses it must always refuse, and the live
//! control of its policy and log.

pub(crate) mod control;
pub(crate) mod image;
pub(crate) mod proxy;
pub(crate) mod refused;
