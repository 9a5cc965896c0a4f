//! `docksandbox discard`: drops a review-mode sandbox's changes (the host is not touched).

use super::Global;
use crate::cli::DiscardArgs;
use crate::failure::Outcome;

pub async fn discard(g: &Global, a: DiscardArgs) -> Outcome {
    let sb = g.client()?.get(&a.sandbox).await?;
    let dropped = sb.discard(&super::paths(&a.paths)?).await?;
    for c in &dropped {
        println!("{} {}", c.letter(), c.path.display());
    }
    eprintln!("docksandbox: discarded {} change(s)", dropped.len());
    Ok(0)
}
