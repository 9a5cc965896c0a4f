//! Read-only and review workspaces against the real engine. Read-only: the agent's writes are
//! refused except in the declared `--writable` directories, and the host is unchanged. Review:
//! the agent changes anything, the host's files stay as they were (checked byte for byte on
//! the host) until `apply` brings exactly the changes `diff` showed; conflicts are refused,
//! `discard` drops changes, a failure injected mid-apply leaves the host as it was, and the
//! agent's writes survive a restart of the sandbox.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use docksandbox::{ApplyOptions, Change, ChangeKind, Error, NetworkMode, Sandbox, WorkspaceMode};
use docksandbox_tests::{cli, env_or_skip, TestEnv};

/// Every entry under `root` (relative path → mode and content; a directory's content is empty,
/// a symlink's is its target), to compare whole trees.
fn tree(root: &Path) -> BTreeMap<String, (u32, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (u32, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let mode = m.permissions().mode();
            if m.is_dir() {
                out.insert(rel, (mode, Vec::new()));
                walk(root, &p, out);
            } else if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, (mode, t.display().to_string().into_bytes()));
            } else {
                out.insert(rel, (mode, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

async fn sandbox(env: &TestEnv, ws: &Path, mode: WorkspaceMode, writable: &[&str]) -> Sandbox {
    let mut b = env
        .builder(ws)
        .network(NetworkMode::None)
        .workspace_mode(mode);
    for w in writable {
        b = b.writable(*w);
    }
    b.run().await.unwrap()
}

async fn sh(sb: &Sandbox, script: &str) -> docksandbox::ExecOutput {
    sb.exec(["sh", "-c", script]).await.unwrap()
}

fn kinds(changes: &[Change], ws: &Path) -> Vec<(String, ChangeKind)> {
    changes
        .iter()
        .map(|c| {
            (
                c.path.strip_prefix(ws).unwrap().display().to_string(),
                c.kind,
            )
        })
        .collect()
}

#[tokio::test]
async fn a_read_only_workspace_refuses_writes_except_in_its_writable_directories() {
    let env = env_or_skip!();
    let ws = std::fs::canonicalize(env.workspace("read only")).unwrap();
    std::fs::write(ws.join("a.txt"), "one\n").unwrap();
    let before = tree(&ws);
    // `target` does not exist yet: it is made (on the host, owned like the workspace).
    let sb = sandbox(&env, &ws, WorkspaceMode::ReadOnly, &["target"]).await;
    let out = sh(
        &sb,
        "echo two > a.txt 2>/dev/null || echo edit-refused
         echo new > new.txt 2>/dev/null || echo create-refused
         rm a.txt 2>/dev/null || echo delete-refused
         mkdir .hidden 2>/dev/null || echo mkdir-refused
         mkdir -p target/deep && echo built > target/deep/out && echo target-written",
    )
    .await;
    let said = out.stdout_str();
    for what in [
        "edit-refused",
        "create-refused",
        "delete-refused",
        "mkdir-refused",
        "target-written",
    ] {
        assert!(said.contains(what), "{what} missing: {said}");
    }
    let mut after = tree(&ws);
    assert_eq!(
        std::fs::read_to_string(ws.join("target/deep/out")).unwrap(),
        "built\n"
    );
    after.retain(|k, _| !k.starts_with("target"));
    assert_eq!(after, before, "the host changed outside target/");
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn writable_directories_outside_the_workspace_or_in_rw_mode_are_refused() {
    let env = env_or_skip!();
    let ws = std::fs::canonicalize(env.workspace("ro bad")).unwrap();
    let outside = std::fs::canonicalize(env.workspace("elsewhere")).unwrap();
    std::os::unix::fs::symlink(&outside, ws.join("link")).unwrap();
    let before = env.all_labelled();
    for (mode, dir) in [
        (WorkspaceMode::ReadOnly, outside.display().to_string()),
        (WorkspaceMode::ReadOnly, "../elsewhere".to_string()),
        (WorkspaceMode::ReadOnly, "link/x".to_string()),
        (WorkspaceMode::ReadWrite, "target".to_string()),
        (WorkspaceMode::Review, "target".to_string()),
    ] {
        let r = env
            .builder(&ws)
            .network(NetworkMode::None)
            .workspace_mode(mode)
            .writable(&dir)
            .run()
            .await;
        match r {
            Err(e @ Error::InvalidSpec { .. }) => {
                assert!(e.to_string().contains("writable"), "{e}")
            }
            other => panic!("{mode} --writable {dir}: expected InvalidSpec, got {other:?}"),
        }
    }
    assert_eq!(env.all_labelled(), before);
    assert!(!outside.join("x").exists());
}

/// The workspace every review test starts from.
fn review_workspace(env: &TestEnv, name: &str) -> PathBuf {
    let ws = std::fs::canonicalize(env.workspace(name)).unwrap();
    std::fs::write(ws.join("keep.txt"), "kept\n").unwrap();
    std::fs::write(ws.join("edit.txt"), "old line\nsame\n").unwrap();
    std::fs::write(ws.join("gone.txt"), "to delete\n").unwrap();
    std::fs::write(ws.join("move-me.txt"), "moved content\n").unwrap();
    std::fs::write(ws.join("bin.dat"), [0u8, 1, 2, 255, 0, 7]).unwrap();
    std::fs::create_dir(ws.join("a b:c")).unwrap();
    std::fs::write(ws.join("a b:c/inner.txt"), "inner\n").unwrap();
    ws
}

/// What the agent does in every review test.
const AGENT_WORK: &str = r#"set -e
printf 'new line\nsame\n' > edit.txt
echo fresh > 'new file.txt'
rm gone.txt
mv move-me.txt moved.txt
printf '\000\001\002\003' > bin.dat
echo colon > 'a b:c/x y:z.txt'
printf '#!/bin/sh\necho run\n' > tool.sh; chmod 755 tool.sh
dd if=/dev/zero of=big.bin bs=1048576 count=100 2>/dev/null
echo done"#;

#[tokio::test]
async fn review_mode_keeps_the_agents_writes_until_apply_brings_exactly_them() {
    let env = env_or_skip!();
    let ws = review_workspace(&env, "review all");
    let before = tree(&ws);
    let sb = sandbox(&env, &ws, WorkspaceMode::Review, &[]).await;
    let out = sh(&sb, AGENT_WORK).await;
    assert_eq!(out.stdout_str(), "done\n", "{out:?}");
    // The agent sees its writes; the host does not.
    assert_eq!(
        sh(&sb, "cat edit.txt").await.stdout_str(),
        "new line\nsame\n"
    );
    assert_eq!(tree(&ws), before, "the host changed before apply");

    let changes = sb.diff().await.unwrap();
    assert_eq!(
        kinds(&changes, &ws),
        [
            ("a b:c/x y:z.txt".to_string(), ChangeKind::Added),
            ("big.bin".into(), ChangeKind::Added),
            ("bin.dat".into(), ChangeKind::Modified),
            ("edit.txt".into(), ChangeKind::Modified),
            ("gone.txt".into(), ChangeKind::Deleted),
            ("moved.txt".into(), ChangeKind::Renamed),
            ("new file.txt".into(), ChangeKind::Added),
            ("tool.sh".into(), ChangeKind::Added),
        ]
    );
    let by = |p: &str| changes.iter().find(|c| c.path == ws.join(p)).unwrap();
    assert_eq!(
        by("moved.txt").from.as_deref(),
        Some(&*ws.join("move-me.txt"))
    );
    assert!(by("bin.dat").binary && by("big.bin").binary);
    assert_eq!(by("big.bin").size, 100 << 20);
    assert_eq!(by("tool.sh").new_mode.map(|m| m & 0o777), Some(0o755));
    let text = sb.diff_text(&changes, false).await.unwrap();
    for needle in [
        "-old line",
        "+new line",
        "+fresh",
        "-to delete",
        "rename from",
        "Binary files",
        "x y:z.txt",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let stat = sb.diff_text(&changes, true).await.unwrap();
    assert!(
        stat.contains("D ") && stat.contains("R ") && stat.contains("A "),
        "{stat}"
    );

    // A dry run and a path without changes touch nothing.
    let dry = sb
        .apply(&ApplyOptions {
            dry_run: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dry.len(), changes.len());
    let none = sb
        .apply(&ApplyOptions {
            paths: vec![ws.join("keep.txt")],
            ..Default::default()
        })
        .await;
    assert!(matches!(none, Err(Error::InvalidSpec { .. })), "{none:?}");
    assert_eq!(tree(&ws), before);

    // A host edit since the sandbox saw the file: refused, naming it, and nothing applied.
    std::fs::write(ws.join("edit.txt"), "the user's edit\n").unwrap();
    let mut user_edited = before.clone();
    user_edited.get_mut("edit.txt").unwrap().1 = b"the user's edit\n".to_vec();
    match sb.apply(&ApplyOptions::default()).await {
        Err(e @ Error::ApplyConflict { .. }) => {
            assert!(e.to_string().contains("edit.txt"), "{e}")
        }
        other => panic!("expected ApplyConflict, got {other:?}"),
    }
    assert_eq!(tree(&ws), user_edited, "a refused apply changed the host");

    // Everything else, then the conflicting file with force.
    let rest: Vec<PathBuf> = changes
        .iter()
        .filter(|c| !c.path.ends_with("edit.txt"))
        .map(|c| c.path.clone())
        .collect();
    let applied = sb
        .apply(&ApplyOptions {
            paths: rest,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(applied.len(), changes.len() - 1);
    assert_eq!(
        kinds(&sb.diff().await.unwrap(), &ws),
        [("edit.txt".to_string(), ChangeKind::Modified)]
    );
    sb.apply(&ApplyOptions {
        paths: vec!["edit.txt".into()],
        force: true,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(sb.diff().await.unwrap().is_empty());

    // The host now holds exactly what the agent left, modes included.
    let inside = sh(
        &sb,
        "find . -path ./big.bin -prune -o -type f -exec md5sum {} + | sort",
    )
    .await
    .stdout_str();
    let host = std::process::Command::new("sh")
        .args([
            "-c",
            "find . -path ./big.bin -prune -o -type f -exec md5sum {} + | sort",
        ])
        .current_dir(&ws)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&host.stdout), inside);
    let after = tree(&ws);
    assert!(!after.contains_key("gone.txt") && !after.contains_key("move-me.txt"));
    assert_eq!(after["tool.sh"].0 & 0o777, 0o755);
    assert_eq!(after["big.bin"].1.len(), 100 << 20);
    assert_eq!(after["keep.txt"], before["keep.txt"]);
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn discard_drops_changes_and_the_agent_sees_the_host_files_again() {
    let env = env_or_skip!();
    let ws = review_workspace(&env, "review discard");
    let before = tree(&ws);
    let sb = sandbox(&env, &ws, WorkspaceMode::Review, &[]).await;
    assert_eq!(sh(&sb, AGENT_WORK).await.stdout_str(), "done\n");

    // Some paths first, then the rest.
    let dropped = sb
        .discard(&[ws.join("edit.txt"), ws.join("gone.txt")])
        .await
        .unwrap();
    assert_eq!(dropped.len(), 2);
    assert_eq!(
        sh(&sb, "cat edit.txt gone.txt").await.stdout_str(),
        "old line\nsame\nto delete\n"
    );
    assert!(!kinds(&sb.diff().await.unwrap(), &ws)
        .iter()
        .any(|(p, _)| p == "edit.txt" || p == "gone.txt"));
    sb.discard(&[]).await.unwrap();
    assert!(sb.diff().await.unwrap().is_empty());
    assert_eq!(sh(&sb, "ls").await.stdout_str().lines().count(), 6);
    assert_eq!(tree(&ws), before, "discard touched the host");
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn the_agents_writes_survive_a_restart_of_the_sandbox() {
    let env = env_or_skip!();
    let ws = review_workspace(&env, "review restart");
    let sb = sandbox(&env, &ws, WorkspaceMode::Review, &[]).await;
    assert!(sh(&sb, "echo survived > later.txt; rm keep.txt")
        .await
        .success());
    sb.stop().await.unwrap();
    let again = sandbox(&env, &ws, WorkspaceMode::Review, &[]).await;
    assert_eq!(again.id(), sb.id());
    let out = sh(
        &again,
        "cat later.txt; test -e keep.txt || echo still-deleted",
    )
    .await;
    assert_eq!(out.stdout_str(), "survived\nstill-deleted\n");
    assert!(ws.join("keep.txt").exists() && !ws.join("later.txt").exists());
    // Asking for another mode is a changed configuration, not a silent switch.
    let other = env
        .builder(&ws)
        .network(NetworkMode::None)
        .workspace_mode(WorkspaceMode::ReadWrite)
        .run()
        .await;
    assert!(
        matches!(other, Err(Error::ConfigChanged { .. })),
        "{other:?}"
    );
    // Removing the sandbox drops its layer and leaves the host as it was.
    again.remove().await.unwrap();
    assert!(ws.join("keep.txt").exists() && !ws.join("later.txt").exists());
}

#[tokio::test]
async fn a_failure_injected_mid_apply_leaves_the_host_exactly_as_before() {
    let env = env_or_skip!();
    let ws = review_workspace(&env, "review fault");
    let before = tree(&ws);
    let sb = sandbox(&env, &ws, WorkspaceMode::Review, &[]).await;
    assert_eq!(sh(&sb, AGENT_WORK).await.stdout_str(), "done\n");
    let n = sb.diff().await.unwrap().len();
    // The CLI, a process of its own, so the fault hook's variable reaches no other test.
    for after_steps in [0, 1, 3, 6] {
        let out = cli()
            .env(docksandbox::APPLY_FAIL_AFTER_ENV, after_steps.to_string())
            .args(["apply", sb.name()])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("failure injected"), "{err}");
        assert_eq!(
            tree(&ws),
            before,
            "apply failing after {after_steps} steps changed the host"
        );
        assert_eq!(sb.diff().await.unwrap().len(), n);
    }
    // Without the fault the same apply succeeds.
    let out = cli().args(["apply", sb.name()]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(sb.diff().await.unwrap().is_empty());
    assert_eq!(
        std::fs::read_to_string(ws.join("new file.txt")).unwrap(),
        "fresh\n"
    );
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn apply_refuses_changes_the_host_would_run_unless_allowed() {
    let env = env_or_skip!();
    let ws = std::fs::canonicalize(env.workspace("review vectors")).unwrap();
    std::fs::write(ws.join("README"), "hi\n").unwrap();
    let sb = sandbox(&env, &ws, WorkspaceMode::Review, &[]).await;
    let out = sh(
        &sb,
        "mkdir -p .git/hooks .vscode && printf '#!/bin/sh\\ntouch /tmp/x\\n' > .git/hooks/post-commit
         chmod +x .git/hooks/post-commit && printf '[core]\\n\\tfsmonitor = evil\\n' > .git/config
         echo 'echo hi' > .envrc && echo ok",
    )
    .await;
    assert_eq!(out.stdout_str(), "ok\n", "{out:?}");
    match sb.apply(&ApplyOptions::default()).await {
        Err(e @ Error::ExecVectorsInChanges { .. }) => {
            let s = e.to_string();
            for what in [
                "post-commit",
                "core.fsmonitor",
                ".envrc",
                "--allow-exec-vectors",
            ] {
                assert!(s.contains(what), "{what} missing: {s}");
            }
        }
        other => panic!("expected ExecVectorsInChanges, got {other:?}"),
    }
    assert!(!ws.join(".git").exists() && !ws.join(".envrc").exists());
    // Other changes can still be applied by path; the vectors with the explicit opt-in.
    sb.apply(&ApplyOptions {
        allow_exec_vectors: true,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(ws.join(".git/hooks/post-commit").exists());
    sb.remove().await.unwrap();
}

#[tokio::test]
async fn diff_apply_and_discard_through_the_cli() {
    let env = env_or_skip!();
    let ws = review_workspace(&env, "review cli");
    let sb = sandbox(&env, &ws, WorkspaceMode::Review, &[]).await;
    assert_eq!(sh(&sb, AGENT_WORK).await.stdout_str(), "done\n");
    let out = cli().args(["diff", "--stat", sb.name()]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let stat = String::from_utf8_lossy(&out.stdout);
    assert!(
        stat.contains("new file.txt") && stat.contains("gone.txt"),
        "{stat}"
    );
    let out = cli().args(["diff", "--json", sb.name()]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 8, "{v}");
    assert_eq!(v[0]["kind"], "added");
    let out = cli()
        .args(["apply", "--dry-run", sb.name()])
        .arg(ws.join("new file.txt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!ws.join("new file.txt").exists());
    let out = cli()
        .args(["apply", sb.name()])
        .arg(ws.join("new file.txt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(ws.join("new file.txt")).unwrap(),
        "fresh\n"
    );
    let out = cli()
        .args(["apply", sb.name()])
        .arg(ws.join("keep.txt"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds no change"),
        "{out:?}"
    );
    let out = cli().args(["discard", sb.name()]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(sb.diff().await.unwrap().is_empty());
    // `diff` on a read-write sandbox names the flag that makes it work.
    let rw_ws = env.workspace("plain rw");
    let rw = env
        .builder(&rw_ws)
        .network(NetworkMode::None)
        .run()
        .await
        .unwrap();
    let out = cli().args(["diff", rw.name()]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--workspace-mode review"),
        "{out:?}"
    );
    rw.remove().await.unwrap();
    sb.remove().await.unwrap();
}
