//! The MCP row (issue 22):
//! - B18: `sandbox_exec` of `true` through `docksandbox mcp` over stdio, from the Python `mcp`
//!   package's client (one session, kept), vs the Python binding's `exec` in the same driver,
//!   on the same warm sandbox.

use crate::stats::pair_row;
use crate::{Ctx, Row};

type Res<T> = Result<T, String>;

/// B18: an exec through the MCP server vs through the Python binding.
pub async fn b18_mcp_exec(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let skipped = |why: String| {
        Ok(vec![Row {
            id: "B18".into(),
            operation: "`sandbox_exec` of `true` over stdio MCP (Python client)".into(),
            results: vec![],
            notes: vec![format!("skipped: {why}")],
        }])
    };
    let Some(cli) = ctx.cli.clone() else {
        return skipped("no docksandbox CLI binary beside the bench".into());
    };
    if ctx.ds_python.is_none() {
        return skipped("no docksandbox Python driver (run sandbox-py/test.sh first)".into());
    }
    let ws = ctx.workspace();
    let root = ctx.root.path().to_path_buf();
    let sb = ctx
        .builder(&ws)
        .run()
        .await
        .map_err(|e| format!("B18: {e}"))?;
    let name = sb.name().to_string();
    let mcp_line = format!("mcp_exec_true {name} {} {}", root.display(), cli.display());
    let plain_line = format!("exec_true {name}");
    let got = ctx.ds_python_pair([&mcp_line, &plain_line]).await;
    let _ = sb.remove().await;
    let samples = match got {
        Ok(s) => s,
        Err(e) => {
            return skipped(format!(
                "the driver failed ({e}); is the `mcp` package in its virtualenv?"
            ));
        }
    };
    Ok(vec![pair_row(
        "B18",
        "`sandbox_exec` of `true` over stdio MCP from the Python `mcp` client (target ≤ 3×)",
        [
            "docksandbox mcp (stdio, Python `mcp` client)",
            "docksandbox Python `exec` (peer)",
        ],
        samples,
        vec![
            "one MCP session kept across calls; both in the same Python process, same warm sandbox"
                .into(),
        ],
    )])
}
