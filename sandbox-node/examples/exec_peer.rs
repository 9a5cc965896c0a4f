//! The Rust side of `bench/exec-overhead.js`: the core's `exec(["true"])` timed in Rust, on the
//! sandbox named by the first argument, one call per line read from stdin, each answered with
//! the call's duration in microseconds. Not part of the package.
//!
//! ```text
//! cargo run --release -p docksandbox-node --example exec_peer -- SANDBOX_NAME
//! ```
use std::io::{BufRead, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args()
        .nth(1)
        .ok_or("usage: exec_peer SANDBOX_NAME")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = {
        let _enter = rt.enter();
        docksandbox::Client::connect()?
    };
    let sb = rt.block_on(client.get(&name))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready")?;
    out.flush()?;
    for line in std::io::stdin().lock().lines() {
        line?;
        let t0 = Instant::now();
        let r = rt.block_on(sb.exec(["true"]))?;
        let us = t0.elapsed().as_micros();
        if r.exit_code != 0 {
            return Err(format!("`true` exited with {}", r.exit_code).into());
        }
        writeln!(out, "{us}")?;
        out.flush()?;
    }
    Ok(())
}
