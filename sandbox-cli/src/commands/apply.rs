//! `docksandbox apply`: a review-mode sandbox's changes onto the host workspace, all or
//! nothing; every refusal (conflicts, exec vectors, a path without changes) is the core's.

use docksandbox::ApplyOptions;

use super::Global;
use crate::cli::ApplyArgs;
use crate::failure::Outcome;

pub async fn apply(g: &Global, a: ApplyArgs) -> Outcome {
    let sb = g.client()?.get(&a.sandbox).await?;
    let options = ApplyOptions {
        paths: super::paths(&a.paths)?,
        dry_run: a.dry_run,
        force: a.force,
        allow_exec_vectors: a.allow_exec_vectors,
    };
    let done = sb.apply(&options).await?;
    for c in &done {
        match &c.from {
            Some(from) => println!("{} {} -> {}", c.letter(), from.display(), c.path.display()),
            None => println!("{} {}", c.letter(), c.path.display()),
        }
    }
    let verb = if a.dry_run { "would apply" } else { "applied" };
    eprintln!("docksandbox: {verb} {} change(s)", done.len());
    Ok(0)
}
