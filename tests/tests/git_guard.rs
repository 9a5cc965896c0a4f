//! The git guard against the real engine: inside a sandbox the repository's hooks and config
//! cannot be written, so the host's next `git` runs nothing the agent left (checked on the host
//! with a marker file a planted hook would create); git itself still works inside.

use std::path::Path;
use std::process::Command;

use docksandbox::{NetworkMode, Sandbox};
use docksandbox_tests::{cli, env_or_skip, TestEnv, DEBIAN};

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "host")
        .env("GIT_AUTHOR_EMAIL", "host@example.test")
        .env("GIT_COMMITTER_NAME", "host")
        .env("GIT_COMMITTER_EMAIL", "host@example.test")
        .output()
        .unwrap()
}

fn repo(env: &TestEnv, name: &str) -> std::path::PathBuf {
    let ws = std::fs::canonicalize(env.workspace(name)).unwrap();
    assert!(git(&ws, &["init", "-q"]).status.success());
    std::fs::write(ws.join("file"), "one\n").unwrap();
    assert!(git(&ws, &["add", "file"]).status.success());
    assert!(git(&ws, &["commit", "-qm", "one"]).status.success());
    ws
}

async fn sandbox(env: &TestEnv, ws: &Path, guard: bool) -> Sandbox {
    env.builder(ws)
        .template(DEBIAN)
        .network(NetworkMode::None)
        .git_guard(guard)
        .run()
        .await
        .unwrap()
}

/// Inside: plant a post-commit hook and a `core.hooksPath`/`core.fsmonitor`, each writing the
/// marker; prints what was refused.
async fn plant(sb: &Sandbox, marker: &Path) -> String {
    let m = marker.display();
    let script = format!(
        r#"
        printf '#!/bin/sh\ntouch {m}\n' > .git/hooks/post-commit 2>/dev/null && chmod +x .git/hooks/post-commit || echo hooks-refused
        git config core.fsmonitor 'touch {m}; false' 2>/dev/null || echo config-refused
        printf '[core]\n\thooksPath = /tmp/evil\n' >> .git/config 2>/dev/null || echo append-refused
        rm -rf .git/hooks 2>/dev/null; test -d .git/hooks && echo hooks-kept
        "#
    );
    sb.exec(["bash", "-c", &script]).await.unwrap().stdout_str()
}

#[tokio::test]
async fn the_host_runs_nothing_the_agent_wrote_into_the_repository() {
    let env = env_or_skip!();
    let ws = repo(&env, "guarded repo");
    let marker = ws.parent().unwrap().join("guarded-marker");
    let sb = sandbox(&env, &ws, true).await;
    let refused = plant(&sb, &marker).await;
    for what in [
        "hooks-refused",
        "config-refused",
        "append-refused",
        "hooks-kept",
    ] {
        assert!(refused.contains(what), "{what} missing: {refused}");
    }
    // Normal git work inside still succeeds: commit, branch, stash, rebase, worktree add.
    let work = sb
        .exec([
            "bash",
            "-c",
            "set -e; export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@t GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@t
             echo two >> file; git commit -qam two
             git branch feature; git checkout -q feature; echo three >> file; git commit -qam three
             git checkout -q -; echo wip >> file; git stash -q; git stash pop -q; git checkout -q -- file
             git rebase -q feature
             git worktree add -q /tmp/wt feature 2>/dev/null || git worktree add /tmp/wt -b other
             echo ok",
        ])
        .await
        .unwrap();
    assert_eq!(work.stdout_str().trim(), "ok", "{}", work.stderr_str());
    // On the host: the next commit runs no hook, no fsmonitor.
    std::fs::write(ws.join("file"), "host\n").unwrap();
    let c = git(&ws, &["commit", "-qam", "host"]);
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    assert!(git(&ws, &["status"]).status.success());
    assert!(!marker.exists(), "a planted program ran on the host");
    assert!(!std::fs::read_to_string(ws.join(".git/config"))
        .unwrap()
        .contains("evil"));
}

#[tokio::test]
async fn without_the_guard_the_same_plant_works_so_the_test_can_fail() {
    let env = env_or_skip!();
    let ws = repo(&env, "open repo");
    let marker = ws.parent().unwrap().join("open-marker");
    let sb = sandbox(&env, &ws, false).await;
    let m = marker.display();
    let hook = format!("printf '#!/bin/sh\\ntouch {m}\\n' > .git/hooks/post-commit && chmod +x .git/hooks/post-commit && echo planted");
    let planted = sb.exec(["bash", "-c", &hook]).await.unwrap().stdout_str();
    assert_eq!(planted.trim(), "planted");
    std::fs::write(ws.join("file"), "host\n").unwrap();
    let _ = git(&ws, &["commit", "-qam", "host"]);
    assert!(
        marker.exists(),
        "the planted hook did not run: the guard test proves nothing"
    );
    assert_eq!(sb.spec().git_guard, Some(false));
}

#[tokio::test]
async fn the_guard_is_on_by_default_and_creates_nothing_without_a_repository() {
    let env = env_or_skip!();
    let ws = std::fs::canonicalize(env.workspace("no repo")).unwrap();
    let sb = env
        .builder(&ws)
        .network(NetworkMode::None)
        .run()
        .await
        .unwrap();
    assert_eq!(sb.spec().git_guard, Some(true));
    assert_eq!(
        std::fs::read_dir(&ws).unwrap().count(),
        0,
        "the guard created something"
    );
    let guarded = repo(&env, "default repo");
    let sb = env
        .builder(&guarded)
        .network(NetworkMode::None)
        .run()
        .await
        .unwrap();
    let info = sb.inspect().await.unwrap();
    let ro: Vec<String> = info
        .mounts
        .unwrap()
        .into_iter()
        .filter(|m| m.read_only)
        .map(|m| m.target)
        .collect();
    for p in [".git/hooks", ".git/config"] {
        let want = guarded.join(p).to_string_lossy().into_owned();
        assert!(ro.contains(&want), "{want} not read-only: {ro:?}");
    }
}

/// A repository the agent makes inside cannot be guarded ahead of time: `guard check` finds
/// its hook and config (and `.envrc`, VS Code tasks) on the host side, `--fix` disables them,
/// and the host's git then runs none of them. An unfixed copy runs them, so the test can fail.
#[tokio::test]
async fn guard_check_finds_what_a_repository_made_inside_would_run_and_fix_disables_it() {
    let env = env_or_skip!();
    let ws = std::fs::canonicalize(env.workspace("made inside")).unwrap();
    // There before the sandbox: recorded at creation, not reported.
    std::fs::write(ws.join(".envrc"), "export OLD=1\n").unwrap();
    let marks = ws.parent().unwrap().to_path_buf();
    let sb = env
        .builder(&ws)
        .template(DEBIAN)
        .network(NetworkMode::None)
        .run()
        .await
        .unwrap();
    let m = marks.display();
    let script = format!(
        r#"set -e
        git init -q inner
        printf '#!/bin/sh\ntouch {m}/hook-ran\n' > inner/.git/hooks/post-commit
        chmod +x inner/.git/hooks/post-commit
        git -C inner config core.fsmonitor 'touch {m}/fsmonitor-ran; false'
        echo 'export NEW=1' > .envrc
        mkdir -p .vscode
        echo '{{"tasks":[{{"label":"x","command":"touch /tmp/y","runOptions":{{"runOn":"folderOpen"}}}}]}}' > .vscode/tasks.json
        echo planted"#
    );
    let out = sb.exec(["bash", "-c", &script]).await.unwrap();
    assert_eq!(out.stdout_str().trim(), "planted", "{}", out.stderr_str());

    // `exec` through the CLI reports them on stderr after the command.
    let out = cli().args(["exec", sb.name(), "true"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    for what in ["post-commit", "core.fsmonitor", ".envrc", "tasks.json"] {
        assert!(err.contains(what), "exec did not report {what}: {err}");
    }

    // `guard check` lists each with path and key, exits 1, and changes nothing.
    let report = env.client.guard_check(&ws, false).await.unwrap();
    let found: Vec<(String, String)> = report
        .vectors
        .iter()
        .map(|v| {
            (
                v.path.strip_prefix(&ws).unwrap().display().to_string(),
                v.key.clone(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (".envrc".to_string(), ".envrc".to_string()),
            (".vscode/tasks.json".into(), "runOn: folderOpen".into()),
            ("inner/.git/config".into(), "core.fsmonitor".into()),
            ("inner/.git/hooks/post-commit".into(), "post-commit".into()),
        ],
        "{report:?}"
    );
    let out = cli().args(["guard", "check"]).arg(&ws).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fix"));

    // Control: an unfixed copy of the repository runs both on the host.
    let copy = marks.join("unfixed-copy");
    assert!(Command::new("cp")
        .args(["-a"])
        .arg(ws.join("inner"))
        .arg(&copy)
        .status()
        .unwrap()
        .success());
    std::fs::write(copy.join("f"), "x").unwrap();
    git(&copy, &["add", "f"]);
    git(&copy, &["commit", "-qm", "c"]);
    assert!(
        marks.join("hook-ran").exists() && marks.join("fsmonitor-ran").exists(),
        "the planted hook and fsmonitor did not run unfixed: the test proves nothing"
    );
    std::fs::remove_file(marks.join("hook-ran")).unwrap();
    std::fs::remove_file(marks.join("fsmonitor-ran")).unwrap();

    // --fix disables them and nothing else.
    let out = cli()
        .args(["guard", "check", "--fix"])
        .arg(&ws)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let inner = ws.join("inner");
    assert!(inner.join(".git/hooks/post-commit.disabled").exists());
    assert!(!inner.join(".git/hooks/post-commit").exists());
    assert!(inner.join(".git/config.docksandbox-backup").exists());
    assert!(!std::fs::read_to_string(inner.join(".git/config"))
        .unwrap()
        .contains("fsmonitor"));
    assert!(ws.join(".envrc.disabled").exists() && ws.join(".vscode/tasks.json.disabled").exists());
    std::fs::write(inner.join("f"), "x").unwrap();
    let add = git(&inner, &["add", "f"]);
    assert!(add.status.success(), "{add:?}");
    let c = git(&inner, &["commit", "-qm", "c"]);
    assert!(c.status.success(), "{c:?}");
    assert!(git(&inner, &["status"]).status.success());
    assert!(!marks.join("hook-ran").exists(), "the hook ran after --fix");
    assert!(
        !marks.join("fsmonitor-ran").exists(),
        "fsmonitor ran after --fix"
    );
    let again = env.client.guard_check(&ws, false).await.unwrap();
    assert!(again.is_clean(), "{again:?}");
}
