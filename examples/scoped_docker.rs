//! Docker inside a sandbox without the host's engine: `DockerAccess::Scoped` gives the agent a
//! filtering Engine API proxy of its own at `/var/run/docker.sock`. It builds and runs
//! containers of its own (binds only from the workspace, on the sandbox's network); what would
//! reach the host is refused with a Docker-style error; its containers go with the sandbox.
//!
//! ```text
//! cargo run -p docksandbox-examples --example scoped_docker
//! ```
use std::error::Error;

use docksandbox::{DockerAccess, Sandbox, Shell};

/// The template with the docker CLI (`scripts/build-images.sh` or `docksandbox template build base`).
const TEMPLATE: &str = "docksandbox/base:latest";
/// The image the agent's child runs (any local image will do).
const CHILD_IMAGE: &str = "docksandbox/busybox:test";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let ws = tempfile_dir()?;
    std::fs::write(ws.join("hello.txt"), "hello from the workspace\n")?;
    let sb = Sandbox::builder()
        .workspace(&ws)
        .agent(Shell)
        .template(TEMPLATE)
        .docker(DockerAccess::Scoped)
        .run()
        .await?;
    // A child container, with the workspace bound at its own path (`-v $PWD:/app`).
    let child = sb
        .exec([
            "sh",
            "-c",
            &format!("docker run --rm -v \"$PWD\":/app {CHILD_IMAGE} cat /app/hello.txt"),
        ])
        .await?;
    print!("child: {}", child.stdout_str());
    // What reaches the host is refused.
    let refused = sb
        .exec(["docker", "run", "--rm", "--privileged", CHILD_IMAGE, "true"])
        .await?;
    println!(
        "privileged: {}",
        refused.stderr_str().lines().next().unwrap_or("")
    );
    let children = sb.inspect().await?.children.unwrap_or_default();
    println!("the agent's containers now: {:?}", children.containers);
    sb.remove().await?;
    std::fs::remove_dir_all(&ws)?;
    Ok(())
}

/// A fresh workspace under the system's temporary directory.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let p = std::env::temp_dir().join(format!("docksandbox-scoped-example-{}", std::process::id()));
    std::fs::create_dir_all(&p)?;
    Ok(p)
}
