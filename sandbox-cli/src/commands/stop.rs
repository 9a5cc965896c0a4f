//! `docksandbox stop`.

use super::Global;
use crate::cli::StopArgs;
use crate::failure::{report_error, Failure, Outcome};

pub async fn stop(g: &Global, a: StopArgs) -> Outcome {
    let client = g.client()?;
    let mut failed = false;
    for r in &a.sandboxes {
        match client.stop(r).await {
            Ok(()) => println!("{r}"),
            Err(e) => {
                report_error(&e, g.debug);
                failed = true;
            }
        }
    }
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(0)
    }
}
