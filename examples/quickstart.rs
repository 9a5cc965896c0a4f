//! Quick start: a sandbox on the current directory, the same path inside, one command.
//!
//! ```text
//! cargo run -p docksandbox-examples --example quickstart            # shell agent, base template
//! DOCKSANDBOX_TEMPLATE=docksandbox/busybox:test cargo run -p docksandbox-examples --example quickstart
//! ```
use docksandbox::{Sandbox, Shell};

#[tokio::main]
async fn main() -> docksandbox::Result<()> {
    let workspace = std::env::current_dir()?;
    let mut builder = Sandbox::builder().workspace(&workspace).agent(Shell);
    if let Ok(t) = std::env::var("DOCKSANDBOX_TEMPLATE") {
        builder = builder.template(t);
    }
    let sandbox = builder.run().await?;
    println!(
        "sandbox {} ({}) is running",
        sandbox.name(),
        &sandbox.id()[..12]
    );

    let out = sandbox
        .exec(["sh", "-c", "pwd; id -u; ls | head -5"])
        .await?;
    print!("{}", out.stdout_str());
    let pwd = out
        .stdout_str()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    println!(
        "same-path mount: host {} == sandbox {} -> {}",
        workspace.display(),
        pwd,
        pwd == workspace.to_string_lossy()
    );
    println!(
        "(the sandbox keeps running; `docksandbox rm {}` removes it)",
        sandbox.name()
    );
    Ok(())
}
