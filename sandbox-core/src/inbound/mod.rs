//! The ways in to a sandbox from the host: its published ports, and the forwarders beside it
//! for the ports a `proxy` sandbox has and the ones added while it runs (`forwarder.rs`).

pub(crate) mod forwarder;
