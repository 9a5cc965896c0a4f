//! `docksandbox ls`: a table, ids (`-q`) or the `inspect` objects (`--json`).

use super::Global;
use crate::cli::LsArgs;
use crate::failure::Outcome;
use crate::table;

pub async fn ls(g: &Global, a: LsArgs) -> Outcome {
    let client = g.client()?;
    let list = client.list().await?;
    if a.quiet {
        for s in &list {
            println!("{}", table::short_id(&s.id));
        }
    } else if a.json {
        let full = client.list_detailed().await?;
        println!("{}", super::inspect::to_json(&full));
    } else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        print!("{}", table::render(&list, now, a.no_trunc));
    }
    Ok(0)
}
