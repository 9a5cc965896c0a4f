//! `docksandbox diff`: what an agent changed: a branch sandbox's branch against its base (a
//! unified diff or a stat), or a review-mode sandbox's kept writes (also as JSON).

use super::Global;
use crate::cli::DiffArgs;
use crate::failure::Outcome;

pub async fn diff(g: &Global, a: DiffArgs) -> Outcome {
    let sb = g.client()?.get(&a.sandbox).await?;
    if sb.branch().is_some() {
        let text = sb.branch_diff(a.stat).await?;
        if !text.is_empty() {
            println!("{text}");
        }
        return Ok(0);
    }
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
