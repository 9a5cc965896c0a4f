//! `docksandbox diff`: what a review-mode agent changed, as a unified diff, a stat or JSON.

use super::Global;
use crate::cli::DiffArgs;
use crate::failure::Outcome;

pub async fn diff(g: &Global, a: DiffArgs) -> Outcome {
    let sb = g.client()?.get(&a.sandbox).await?;
    let changes = sb.diff_paths(&super::paths(&a.paths)?).await?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&changes).unwrap_or_default()
        );
    } else {
        print!("{}", sb.diff_text(&changes, a.stat).await?);
    }
    Ok(0)
}
