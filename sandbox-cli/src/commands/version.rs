//! `docksandbox version`.

use crate::failure::Outcome;

pub fn version() -> Outcome {
    println!("docksandbox version {}", env!("CARGO_PKG_VERSION"));
    println!("library version {}", docksandbox::VERSION);
    Ok(0)
}
