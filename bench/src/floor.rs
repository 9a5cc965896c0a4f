//! Bare bollard: the floor for anything that goes through the daemon. The same requests a
//! careful hand-written client makes, with nothing of docksandbox around them.

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::Docker;
use futures_util::StreamExt;

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// create_exec + start_exec + drain + inspect_exec (polled until the exit code is known).
/// Returns the number of stdout bytes.
pub async fn exec(docker: &Docker, id: &str, cmd: &[&str]) -> Res<usize> {
    let e = docker
        .create_exec(
            id,
            CreateExecOptions {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                ..Default::default()
            },
        )
        .await?;
    let mut n = 0;
    if let StartExecResults::Attached { mut output, .. } = docker.start_exec(&e.id, None).await? {
        while let Some(item) = output.next().await {
            if let LogOutput::StdOut { message } = item? {
                n += message.len();
            }
        }
    }
    loop {
        let i = docker.inspect_exec(&e.id).await?;
        if i.running == Some(false) && i.exit_code.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    Ok(n)
}
