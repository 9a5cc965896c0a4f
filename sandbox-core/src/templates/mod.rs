//! The images sandboxes run in: built-in definitions (data), their builds on the engine, and
//! the registry-free bootstrap of the base image.

pub(crate) mod bootstrap;
pub(crate) mod build;
pub(crate) mod definition;
