//! The agent-framework row (issue 27):
//! - B22: Deep Agents' `execute("true")` through `DockSandboxBackend` vs the Python binding's
//!   `exec(["true"])`, in the same driver process, on the same warm sandbox.

use crate::stats::pair_row;
use crate::{Ctx, Row};

type Res<T> = Result<T, String>;

/// B22: a Deep Agents execute vs the binding's exec.
pub async fn b22_deepagents_execute(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let skipped = |why: String| {
        Ok(vec![Row {
            id: "B22".into(),
            operation: "Deep Agents `execute(\"true\")` through the adapter".into(),
            results: vec![],
            notes: vec![format!("skipped: {why}")],
        }])
    };
    if ctx.ds_python.is_none() {
        return skipped("no docksandbox Python driver (run sandbox-py/test.sh first)".into());
    }
    let ws = ctx.workspace();
    let sb = ctx
        .builder(&ws)
        .run()
        .await
        .map_err(|e| format!("B22: {e}"))?;
    let name = sb.name().to_string();
    let lines = [
        format!("deepagents_execute_true {name}"),
        format!("exec_true {name}"),
    ];
    let got = ctx.ds_python_pair([&lines[0], &lines[1]]).await;
    let _ = sb.remove().await;
    let samples = match got {
        Ok(s) => s,
        Err(e) => {
            return skipped(format!(
                "the driver failed ({e}); is `deepagents` in its virtualenv?"
            ));
        }
    };
    Ok(vec![pair_row(
        "B22",
        "Deep Agents `execute(\"true\")` through `DockSandboxBackend` (target ≤ 1.2×)",
        ["docksandbox Deep Agents backend", "docksandbox Python `exec` (peer)"],
        samples,
        vec!["the adapter runs `sh -c` (stdout and stderr joined) where the binding runs `true` itself; same process, same warm sandbox".into()],
    )])
}
