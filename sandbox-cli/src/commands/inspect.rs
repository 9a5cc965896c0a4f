//! `docksandbox inspect`: a JSON array, one object per sandbox found.

use docksandbox::SandboxInfo;

use super::Global;
use crate::cli::InspectArgs;
use crate::failure::{report_error, Failure, Outcome};

pub async fn inspect(g: &Global, a: InspectArgs) -> Outcome {
    let client = g.client()?;
    let mut found = Vec::new();
    let mut failed = false;
    for r in &a.sandboxes {
        match client.inspect(r).await {
            Ok(info) => found.push(info),
            Err(e) => {
                report_error(&e, g.debug);
                failed = true;
            }
        }
    }
    println!("{}", to_json(&found));
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(0)
    }
}

/// Sandboxes as the pretty-printed JSON array `inspect` and `ls --json` print.
pub fn to_json(sandboxes: &[SandboxInfo]) -> String {
    serde_json::to_string_pretty(sandboxes).unwrap_or_else(|_| "[]".into())
}
