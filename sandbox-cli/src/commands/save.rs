//! `docksandbox save`: a sandbox's file system as a template.

use super::Global;
use crate::cli::SaveArgs;
use crate::failure::Outcome;

pub async fn save(g: &Global, a: SaveArgs) -> Outcome {
    let sb = g.client()?.get(&a.sandbox).await?;
    let id = sb.save(&a.template).await?;
    println!("{} {}", a.template, id);
    Ok(0)
}
