//! Finding a sandbox again: the spec stored in labels and read back, and the drift between
//! what a `run` asks for and what is stored.

pub(crate) mod drift;
pub(crate) mod stored_spec;
