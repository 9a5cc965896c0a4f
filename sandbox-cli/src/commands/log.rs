//! `docksandbox log`: a branch sandbox's commits that its base does not have.

use super::Global;
use crate::cli::BranchLogArgs;
use crate::failure::Outcome;

pub async fn log(g: &Global, a: BranchLogArgs) -> Outcome {
    let sb = g.client()?.get(&a.sandbox).await?;
    let text = sb.branch_log().await?;
    if !text.is_empty() {
        println!("{text}");
    }
    Ok(0)
}
