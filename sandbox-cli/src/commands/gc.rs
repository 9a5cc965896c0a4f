//! `docksandbox gc`: enforce lifetimes now (for cron and systemd timers): one line per
//! sandbox removed or stopped.

use super::Global;
use crate::failure::Outcome;

pub async fn gc(g: &Global) -> Outcome {
    let report = g.client()?.collect_garbage().await?;
    for (name, why) in &report.removed {
        println!("removed {name}: {why}");
    }
    for name in &report.stopped {
        println!("stopped {name}: idle");
    }
    Ok(0)
}
