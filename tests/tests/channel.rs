//! The exec channel: commands run through the in-sandbox helper (`docksandbox-execd`), many at
//! once, with back-pressure, kills, reconnection after the helper dies, and the engine's exec
//! as the fallback for sandboxes without the helper.

use std::time::Duration;

use docksandbox::{Error, ExecEvent, ExecOptions, Sandbox, TtySize};
use docksandbox_tests::{docker, env_or_skip};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

const HELPER: &str = "/mnt/docksandbox/execd";

/// The command line of the process that started the command: the helper, or nothing useful
/// (the engine's exec has no parent inside the container).
async fn parent_of_a_command(sb: &Sandbox) -> String {
    let out = sb
        .exec(["sh", "-c", "tr '\\0' ' ' < /proc/$PPID/cmdline"])
        .await
        .unwrap();
    out.stdout_str()
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_run_through_the_helper() {
    let env = env_or_skip!();
    let ws = env.workspace("through");
    let sb = env.builder(&ws).run().await.unwrap();
    assert_eq!(
        parent_of_a_command(&sb).await.trim(),
        format!("{HELPER} serve")
    );
    // The helper is root's only, and listens on nothing.
    let out = sb
        .exec_with(
            [
                "sh",
                "-c",
                &format!("stat -c '%a %u' {HELPER}; cat /proc/net/unix | wc -l"),
            ],
            ExecOptions::default().user("0:0"),
        )
        .await
        .unwrap();
    let lines: Vec<&str> = out
        .stdout_str()
        .lines()
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(lines[0], "700 0", "{out:?}");
}
