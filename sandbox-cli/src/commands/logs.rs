//! `docksandbox logs`: what detached sessions printed, like `docker logs` (`-f`, `--since`).

use std::io::Write;

use futures_util::StreamExt;

use super::Global;
use crate::cli::LogsArgs;
use crate::failure::Outcome;

pub async fn logs(g: &Global, a: LogsArgs) -> Outcome {
    let since = match &a.since {
        Some(s) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            docksandbox::parse_since(s, now)?
        }
        None => 0,
    };
    let sb = g.client()?.get(&a.sandbox).await?;
    let mut s = sb.logs(a.follow, since).await?;
    let mut out = std::io::stdout();
    while let Some(chunk) = s.next().await {
        let chunk = chunk?;
        if out.write_all(&chunk).and_then(|_| out.flush()).is_err() {
            break; // the reader went away (`| head`)
        }
    }
    Ok(0)
}
