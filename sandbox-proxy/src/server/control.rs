//! The control socket beside the policy file: `policy set` (run in the proxy's container by
//! the host, through the engine) asks the server to re-read the file and waits for the answer,
//! so a change is in force when the command returns. Only processes in this container reach it.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use super::state::Watched;

/// Answers `reload` lines with what is in force afterwards, for ever.
pub async fn serve(path: PathBuf, policy: Arc<Watched>) {
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "docksandbox-proxy: no control socket at {} ({e}); policy changes apply within {} ms",
                path.display(),
                200
            );
            return;
        }
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let policy = policy.clone();
        tokio::spawn(async move {
            let (r, mut w) = stream.into_split();
            let mut line = String::new();
            if BufReader::new(r).read_line(&mut line).await.is_err() {
                return;
            }
            let answer = match line.trim() {
                "reload" => policy.reload(),
                other => format!("unknown command {other:?}"),
            };
            let _ = w.write_all(format!("{answer}\n").as_bytes()).await;
        });
    }
}
