//! Peers in other languages (docker-py, dockerode, the docksandbox Python and Node packages)
//! run as long-lived driver processes: one line in (`OP ARGS…`), one line out (milliseconds the
//! library call took, measured inside the driver), so they interleave with the Rust side.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

#[derive(Debug)]
pub struct Driver {
    pub name: String,
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Driver {
    /// Starts `program args…`; `None` (with a note on stderr) when it cannot start or does not
    /// answer `ping`.
    pub async fn start(name: &str, program: &str, args: &[&str]) -> Option<Driver> {
        let mut child = match Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("note: peer {name} skipped: cannot start {program}: {e}");
                return None;
            }
        };
        let stdin = child.stdin.take()?;
        let stdout = BufReader::new(child.stdout.take()?).lines();
        let mut d = Driver {
            name: name.to_string(),
            _child: child,
            stdin,
            stdout,
        };
        match d.call("ping").await {
            Ok(_) => Some(d),
            Err(e) => {
                eprintln!("note: peer {name} skipped: {e}");
                None
            }
        }
    }

    /// Sends one request, returns the milliseconds the driver reports.
    pub async fn call(&mut self, line: &str) -> Result<f64, String> {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .map_err(|e| format!("{}: write: {e}", self.name))?;
        self.stdin.flush().await.map_err(|e| e.to_string())?;
        let answer = self
            .stdout
            .next_line()
            .await
            .map_err(|e| format!("{}: read: {e}", self.name))?
            .ok_or_else(|| format!("{}: driver exited", self.name))?;
        answer
            .trim()
            .parse()
            .map_err(|_| format!("{}: {answer}", self.name))
    }
}
