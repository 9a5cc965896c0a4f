//! `docksandbox merge`: a branch sandbox's branch into the user's branch, with git on the host.

use super::Global;
use crate::cli::MergeArgs;
use crate::failure::Outcome;

pub async fn merge(g: &Global, a: MergeArgs) -> Outcome {
    let sb = g.client()?.get(&a.sandbox).await?;
    let r = sb
        .merge(&docksandbox::MergeOptions {
            squash: a.squash,
            into: a.into,
        })
        .await?;
    let short = &r.commit[..r.commit.len().min(12)];
    match r.how.as_str() {
        "up-to-date" => println!("`{}` already has everything of this branch", r.into),
        how => println!(
            "merged into `{}` ({how}, {} file{}): now at {short}",
            r.into,
            r.files.len(),
            if r.files.len() == 1 { "" } else { "s" }
        ),
    }
    Ok(0)
}
