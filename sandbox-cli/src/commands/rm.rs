//! `docksandbox rm`: stop and remove sandboxes, running or not, as `docker sandbox rm` and
//! `sbx rm` do; a branch sandbox's worktree goes with it, its branch stays unless
//! `--delete-branch` (`-f` drops uncommitted changes and unmerged branches).

use super::Global;
use crate::cli::RmArgs;
use crate::failure::{Failure, Outcome};

pub async fn rm(g: &Global, a: RmArgs) -> Outcome {
    let client = g.client()?;
    let targets: Vec<String> = if a.all {
        client.list().await?.into_iter().map(|s| s.name).collect()
    } else {
        a.sandboxes.clone()
    };
    let mut failed = false;
    for r in &targets {
        let removed = async {
            let sb = client.get(r).await?;
            sb.remove_with_options(&docksandbox::RemoveOptions {
                force: true,
                volumes: a.volumes,
                delete_branch: a.delete_branch,
                discard: a.force,
            })
            .await?;
            Ok::<_, Failure>(())
        };
        match removed.await {
            Ok(()) => println!("{r}"),
            Err(e) => {
                e.report(g.debug);
                failed = true;
            }
        }
    }
    if a.all {
        // And what sandboxes removed behind our back (`docker rm`) left: proxies, networks.
        client.prune().await?;
    }
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(0)
    }
}
