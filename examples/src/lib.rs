//! Runnable examples live beside this crate: `cargo run -p docksandbox-examples --example quickstart`.
