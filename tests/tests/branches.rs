//! Several agents on one repository: a sandbox per branch, each in its own worktree beside the
//! repository, with real git on both sides. Checked on the host: each branch holds exactly its
//! sandbox's commits, the user's checkout and index are byte for byte as they were, a
//! `git worktree prune` / `git gc --prune=now` inside breaks nobody else, every file written
//! inside belongs to the repository's owner, and the repository's hooks, config, `HEAD`, index
//! and other branches cannot be written from inside. Merge and removal from the host.

use std::path::{Path, PathBuf};
use std::process::Command;

use docksandbox::{Error, MergeOptions, NetworkMode, RemoveOptions, Sandbox};
use docksandbox_tests::{docker, env_or_skip, TestEnv, DEBIAN};

/// The repository's owner in the ownership test (not the test's own uid).
const OWNER: u32 = 4321;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "host")
        .env("GIT_AUTHOR_EMAIL", "host@example.test")
        .env("GIT_COMMITTER_NAME", "host")
        .env("GIT_COMMITTER_EMAIL", "host@example.test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// A repository with one commit on `main`, a hook directory and an uncommitted change.
fn repo(env: &TestEnv, name: &str) -> PathBuf {
    let ws = std::fs::canonicalize(env.workspace(name)).unwrap();
    git(&ws, &["init", "-q", "-b", "main"]);
    std::fs::write(ws.join("shared.txt"), "one\n").unwrap();
    git(&ws, &["add", "shared.txt"]);
    git(&ws, &["commit", "-qm", "first"]);
    std::fs::write(ws.join("mine.txt"), "the user's own work\n").unwrap();
    ws
}

async fn on_branch(env: &TestEnv, ws: &Path, branch: &str) -> Sandbox {
    env.builder(ws)
        .template(DEBIAN)
        .network(NetworkMode::None)
        .branch(branch)
        .run()
        .await
        .unwrap()
}

/// Runs `script` in the sandbox's worktree with bash; stdout (asserts exit 0).
async fn sh(sb: &Sandbox, script: &str) -> String {
    let out = sb
        .exec([
            "bash",
            "-c",
            &format!("set -e; export GIT_AUTHOR_NAME=agent GIT_AUTHOR_EMAIL=a@x GIT_COMMITTER_NAME=agent GIT_COMMITTER_EMAIL=a@x; {script}"),
        ])
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "{script}: {out:?}");
    out.stdout_str()
}

/// What must not change in the user's checkout: its files, index and HEAD.
fn checkout_bytes(ws: &Path) -> Vec<(String, Vec<u8>)> {
    ["shared.txt", "mine.txt", ".git/index", ".git/HEAD"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(ws.join(f)).unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_branches_each_get_their_own_commits_and_the_checkout_stays() {
    let env = env_or_skip!();
    let ws = repo(&env, "three");
    // The user's own worktree, which nothing inside may drop.
    let user_wt = ws.parent().unwrap().join("three-user-wt");
    git(
        &ws,
        &[
            "worktree",
            "add",
            "-q",
            user_wt.to_str().unwrap(),
            "-b",
            "user-wt",
        ],
    );
    let before = checkout_bytes(&ws);
    let main_before = git(&ws, &["rev-parse", "main"]);
    let names = ["task-a", "task-b", "feature/c"];
    let mut sbs = Vec::new();
    for n in names {
        sbs.push(on_branch(&env, &ws, n).await);
    }
    for (sb, n) in sbs.iter().zip(names) {
        let wt = sb.workspace().to_path_buf();
        assert!(
            !wt.starts_with(&ws),
            "worktree inside the tracked tree: {wt:?}"
        );
        let file = n.replace('/', "-");
        sh(
            sb,
            &format!("echo {n} > {file}.txt && git add {file}.txt && git commit -qm 'work on {n}'"),
        )
        .await;
        // It sees its own worktree, not the others' nor the user's files.
        let seen = sh(sb, "ls").await;
        assert!(seen.contains(&format!("{file}.txt")), "{seen}");
        assert!(!seen.contains("mine.txt"), "{seen}");
    }
    for (sb, n) in sbs.iter().zip(names) {
        for other in names.iter().filter(|o| **o != n) {
            let f = other.replace('/', "-");
            let probe = sb
                .exec([
                    "bash",
                    "-c",
                    &format!("ls {}/{f}.txt", sb.workspace().parent().unwrap().display()),
                ])
                .await
                .unwrap();
            assert_ne!(probe.exit_code, 0, "{n} sees {other}'s file");
        }
    }
    for n in names {
        let log = git(&ws, &["log", "--format=%s", &format!("main..{n}")]);
        assert_eq!(log, format!("work on {n}"), "branch {n}");
    }
    assert_eq!(git(&ws, &["rev-parse", "main"]), main_before);
    assert_eq!(
        checkout_bytes(&ws),
        before,
        "the user's checkout or index changed"
    );
    // Housekeeping inside one sandbox breaks none of the others, nor the user's worktree.
    let out = sbs[0]
        .exec([
            "bash",
            "-c",
            "git worktree prune; git gc -q --prune=now; git worktree list",
        ])
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "{out:?}");
    sh(
        &sbs[1],
        "echo more >> task-b.txt && git commit -qam 'more on b'",
    )
    .await;
    assert_eq!(
        git(&ws, &["log", "--format=%s", "main..task-b"]),
        "more on b\nwork on task-b"
    );
    let listed = git(&ws, &["worktree", "list", "--porcelain"]);
    for wt in sbs
        .iter()
        .map(|s| s.workspace().to_path_buf())
        .chain([user_wt.clone()])
    {
        assert!(
            listed.contains(&format!("worktree {}", wt.display())),
            "{listed}"
        );
    }
    git(&user_wt, &["status", "--short"]);
    git(&ws, &["fsck", "--no-progress"]);
    // `ls` reports each branch, ahead of main by its commits.
    let infos = env.client.list().await.unwrap();
    let b = infos.iter().find(|i| i.name == sbs[1].name()).unwrap();
    let st = b.branch.as_ref().expect("branch status");
    assert_eq!(
        (st.name.as_str(), st.base.as_str(), st.ahead, st.dirty),
        ("task-b", "main", 2, false)
    );
    for sb in sbs {
        sb.remove().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_inside_can_reach_the_hosts_git_programs_or_the_users_branch() {
    let env = env_or_skip!();
    let ws = repo(&env, "attacks");
    git(&ws, &["branch", "other"]);
    let user_wt = ws.parent().unwrap().join("attacks-user");
    git(
        &ws,
        &[
            "worktree",
            "add",
            "-q",
            user_wt.to_str().unwrap(),
            "-b",
            "attacks-user",
        ],
    );
    git(&ws, &["gc", "-q"]);
    assert!(git(&ws, &["count-objects", "-v"]).contains("packs: 1"));
    let sb = on_branch(&env, &ws, "attack").await;
    let git_dir = ws.join(".git");
    let marker = env.workspace("marker-dir").join("ran");
    let g = git_dir.display();
    let m = marker.display();
    let script = format!(
        r#"
        printf '#!/bin/sh\ntouch {m}\n' > {g}/hooks/post-commit 2>/dev/null && echo hook-written
        printf '[core]\n\tfsmonitor = touch {m}\n' >> {g}/config 2>/dev/null && echo config-written
        echo 'ref: refs/heads/attack' > {g}/HEAD 2>/dev/null && echo head-written
        : > {g}/index 2>/dev/null && echo index-written
        git -c user.name=a -c user.email=a@x commit -q --allow-empty -m ahead
        git update-ref refs/heads/main HEAD 2>/dev/null && echo main-moved
        git update-ref refs/heads/other HEAD 2>/dev/null && echo other-moved
        git branch -D other 2>/dev/null && echo other-deleted
        rm -rf {g}/worktrees/attacks-user 2>/dev/null; test -d {g}/worktrees/attacks-user || echo record-gone
        git worktree prune 2>/dev/null; test -d {g}/worktrees/attacks-user || echo pruned
        echo 'gitdir: /tmp/evil' > .git 2>/dev/null && echo dotgit-written
        rm -f {g}/objects/pack/*.pack 2>/dev/null; ls {g}/objects/pack/*.pack >/dev/null 2>&1 || echo packs-gone
        echo done
        "#
    );
    let out = sb.exec(["bash", "-c", &script]).await.unwrap();
    assert_eq!(out.stdout_str().trim(), "done", "{out:?}");
    // Checked on the host: the hook, config, HEAD and branches are as they were, and the host's
    // git runs nothing the agent left.
    git(&ws, &["commit", "-q", "--allow-empty", "-m", "host commit"]);
    git(&ws, &["status", "--short"]);
    assert!(
        !marker.exists(),
        "a program the sandbox planted ran on the host"
    );
    assert!(!git_dir.join("hooks/post-commit").exists());
    assert_eq!(git(&ws, &["symbolic-ref", "HEAD"]), "refs/heads/main");
    assert_eq!(
        git(&ws, &["rev-parse", "other"]),
        git(&ws, &["rev-parse", "main~1"])
    );
    assert!(git(&ws, &["worktree", "list"]).contains("attacks-user"));
    git(&user_wt, &["status", "--short"]);
    git(&ws, &["fsck", "--no-progress"]);
    // Its own branch moves freely.
    sh(&sb, "git commit -q --allow-empty -m mine && git checkout -q -b attack-2 && git checkout -q attack").await;
    assert_eq!(
        git(&ws, &["log", "--format=%s", "main..attack"]),
        "mine\nahead"
    );
    sb.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn files_and_refs_written_inside_belong_to_the_repositorys_owner() {
    let env = env_or_skip!();
    let ws = repo(&env, "owned");
    let chown = Command::new("chown")
        .args(["-R", &format!("{OWNER}:{OWNER}")])
        .arg(&ws)
        .status()
        .unwrap();
    assert!(chown.success());
    let sb = on_branch(&env, &ws, "owned-work").await;
    sh(
        &sb,
        "mkdir -p d && echo x > d/f && git add d && git commit -qm owned && git gc -q",
    )
    .await;
    let stray = Command::new("find")
        .arg(&ws)
        .arg(sb.workspace())
        .args(["-not", "-uid", &OWNER.to_string(), "-print"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&stray.stdout),
        "",
        "not the owner's"
    );
    sb.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn merge_fast_forward_squash_conflict_and_removal_from_the_host() {
    let env = env_or_skip!();
    let ws = repo(&env, "merging");
    let ff = on_branch(&env, &ws, "ff").await;
    sh(&ff, "echo ff > ff.txt && git add ff.txt && git commit -qm 'ff one' && echo two >> ff.txt && git commit -qam 'ff two'").await;
    // Uncommitted work in the worktree shows in the diff, and blocks a plain removal.
    sh(&ff, "echo draft > draft.txt").await;
    let diff = ff.branch_diff(false).await.unwrap();
    assert!(diff.contains("+ff") && diff.contains("+draft"), "{diff}");
    assert!(ff.branch_log().await.unwrap().contains("ff two"));
    let e = ff.remove().await.unwrap_err();
    assert!(matches!(e, Error::BranchRefused { .. }), "{e}");
    assert!(e.to_string().contains("draft.txt"), "{e}");
    sh(&ff, "rm draft.txt").await;
    let r = ff.merge(&MergeOptions::default()).await.unwrap();
    assert_eq!((r.into.as_str(), r.how.as_str()), ("main", "fast-forward"));
    assert_eq!(git(&ws, &["log", "-1", "--format=%s", "main"]), "ff two");
    assert_eq!(
        std::fs::read_to_string(ws.join("ff.txt")).unwrap(),
        "ff\ntwo\n"
    );
    // rm keeps the branch.
    let wt = ff.workspace().to_path_buf();
    ff.remove().await.unwrap();
    assert!(!wt.exists());
    git(&ws, &["rev-parse", "--verify", "ff"]);

    let sq = on_branch(&env, &ws, "squashed").await;
    sh(&sq, "echo a > s.txt && git add s.txt && git commit -qm s1 && echo b >> s.txt && git commit -qam s2").await;
    git(
        &ws,
        &["commit", "-q", "--allow-empty", "-m", "host moved on"],
    );
    let r = sq
        .merge(&MergeOptions {
            squash: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.how, "squash");
    // One new commit, one parent: the host's.
    assert_eq!(
        git(&ws, &["log", "-1", "--format=%s%n%P", "main~1"])
            .lines()
            .next(),
        Some("host moved on")
    );
    assert_eq!(
        git(&ws, &["log", "-1", "--format=%P", "main"])
            .split(' ')
            .count(),
        1
    );
    assert!(
        git(&ws, &["log", "-1", "--format=%s", "main"]).starts_with("Squashed branch 'squashed'")
    );
    assert_eq!(std::fs::read_to_string(ws.join("s.txt")).unwrap(), "a\nb\n");

    // A conflict is refused with the file named, and nothing moves.
    let cf = on_branch(&env, &ws, "conflicting").await;
    sh(&cf, "echo theirs > shared.txt && git commit -qam 'theirs'").await;
    std::fs::write(ws.join("shared.txt"), "ours\n").unwrap();
    git(&ws, &["commit", "-qam", "ours"]);
    let main = git(&ws, &["rev-parse", "main"]);
    let e = cf.merge(&MergeOptions::default()).await.unwrap_err();
    assert!(
        matches!(&e, Error::BranchRefused { files, .. } if files == &["shared.txt"]),
        "{e}"
    );
    assert_eq!(git(&ws, &["rev-parse", "main"]), main);
    assert_eq!(
        std::fs::read_to_string(ws.join("shared.txt")).unwrap(),
        "ours\n"
    );
    // The user's uncommitted change to a file the branch changes: refused, named.
    let dirty = on_branch(&env, &ws, "dirty-host").await;
    sh(
        &dirty,
        "echo agent > mine.txt && git add mine.txt && git commit -qm agent",
    )
    .await;
    let e = dirty.merge(&MergeOptions::default()).await.unwrap_err();
    assert!(e.to_string().contains("mine.txt"), "{e}");
    assert_eq!(
        std::fs::read_to_string(ws.join("mine.txt")).unwrap(),
        "the user's own work\n"
    );
    // Deleting an unmerged branch is refused; with discard it goes.
    let e = cf
        .remove_with_options(&RemoveOptions {
            force: true,
            delete_branch: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not merged"), "{e}");
    assert!(
        !docker(&["ps", "-aq", "--filter", &format!("name=^{}$", cf.name())])
            .trim()
            .is_empty(),
        "removed anyway"
    );
    cf.remove_with_options(&RemoveOptions {
        force: true,
        delete_branch: true,
        discard: true,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(!git_ok(
        &ws,
        &["rev-parse", "--verify", "--quiet", "conflicting"]
    ));
    dirty
        .remove_with_options(&RemoveOptions {
            force: true,
            delete_branch: true,
            discard: true,
            ..Default::default()
        })
        .await
        .unwrap();
    sq.remove().await.unwrap();
}

fn git_ok(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
        .status
        .success()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_branches_are_named_and_nothing_is_made() {
    let env = env_or_skip!();
    let ws = repo(&env, "bad-branches");
    let made = |ws: &Path| {
        let name = ws.file_name().unwrap().to_string_lossy().into_owned();
        ws.parent()
            .unwrap()
            .join(format!(".{name}.docksandbox"))
            .exists()
    };
    for bad in ["a..b", "a~1", "has space", "-dash"] {
        let e = env.builder(&ws).branch(bad).run().await.unwrap_err();
        assert!(
            e.to_string().contains("not a name git accepts"),
            "{bad}: {e}"
        );
    }
    // Checked out elsewhere: main is the user's.
    let e = env.builder(&ws).branch("main").run().await.unwrap_err();
    assert!(e.to_string().contains("checked out at"), "{e}");
    // Not a repository; a bare one; a directory inside one.
    let plain = env.workspace("not-a-repo");
    let e = env.builder(&plain).branch("x").run().await.unwrap_err();
    assert!(e.to_string().contains("not a git repository"), "{e}");
    let bare = env.workspace("bare.git");
    git(&bare, &["init", "-q", "--bare"]);
    let e = env.builder(&bare).branch("x").run().await.unwrap_err();
    assert!(e.to_string().contains("bare repository"), "{e}");
    std::fs::create_dir_all(ws.join("sub")).unwrap();
    let e = env
        .builder(&ws.join("sub"))
        .branch("x")
        .run()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("top directory"), "{e}");
    assert!(!made(&ws), "a worktree directory was made");
    // A directory where the worktree would go that is not ours.
    let name = ws.file_name().unwrap().to_string_lossy().into_owned();
    let squat = ws
        .parent()
        .unwrap()
        .join(format!(".{name}.docksandbox/taken"));
    std::fs::create_dir_all(&squat).unwrap();
    let e = env.builder(&ws).branch("taken").run().await.unwrap_err();
    assert!(
        e.to_string()
            .contains("is not the worktree docksandbox made"),
        "{e}"
    );
    // A template that does not exist: the worktree and branch made for it are undone.
    let e = env
        .builder(&ws)
        .template("docksandbox/no-such-template:none")
        .branch("undone")
        .run()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ImageNotFound { .. }), "{e}");
    assert!(!git_ok(
        &ws,
        &["rev-parse", "--verify", "--quiet", "undone"]
    ));
    assert!(!squat.parent().unwrap().join("undone").exists());
    assert!(env.containers().is_empty(), "{:?}", env.containers());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_linked_worktree_works_as_the_repository_and_a_rerun_reuses_the_branch_sandbox() {
    let env = env_or_skip!();
    let ws = repo(&env, "linked-main");
    let linked = ws.parent().unwrap().join("linked-wt");
    git(
        &ws,
        &[
            "worktree",
            "add",
            "-q",
            linked.to_str().unwrap(),
            "-b",
            "linked",
        ],
    );
    let sb = on_branch(&env, &linked, "from-linked").await;
    sh(&sb, "git commit -q --allow-empty -m 'from linked'").await;
    assert_eq!(
        git(&ws, &["log", "-1", "--format=%s", "from-linked"]),
        "from linked"
    );
    assert_eq!(sb.branch().unwrap().base.as_deref(), Some("linked"));
    let again = on_branch(&env, &linked, "from-linked").await;
    assert_eq!(again.id(), sb.id());
    sb.remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_branches_start_at_once_and_each_commits_on_its_own() {
    let env = env_or_skip!();
    let ws = repo(&env, "eight");
    let before = checkout_bytes(&ws);
    let names: Vec<String> = (0..8).map(|i| format!("par-{i}")).collect();
    // All eight made at the same time: the worktrees, sandboxes and git's own locks race.
    let sbs = futures_util::future::join_all(names.iter().map(|n| on_branch(&env, &ws, n))).await;
    let commits =
        futures_util::future::join_all(sbs.iter().zip(&names).map(|(sb, n)| async move {
            sh(
                sb,
                &format!(
                    "echo {n} > {n}.txt && git add {n}.txt && git commit -qm 'work on {n}' && ls"
                ),
            )
            .await
        }))
        .await;
    for (seen, n) in commits.iter().zip(&names) {
        assert!(seen.contains(&format!("{n}.txt")), "{n}: {seen}");
        let others = names
            .iter()
            .filter(|o| *o != n && seen.contains(&format!("{o}.txt")));
        assert_eq!(others.count(), 0, "{n} sees another branch's file: {seen}");
    }
    for n in &names {
        // Exactly its one commit on top of main, with its one file.
        let log = git(&ws, &["log", "--format=%s", &format!("main..{n}")]);
        assert_eq!(log, format!("work on {n}"), "{n}");
        let files = git(&ws, &["show", "--name-only", "--format=", n]);
        assert_eq!(files, format!("{n}.txt"), "{n}");
    }
    assert_eq!(checkout_bytes(&ws), before, "the user's checkout changed");
    for sb in sbs {
        sb.remove_with_options(&RemoveOptions {
            force: true,
            ..Default::default()
        })
        .await
        .unwrap();
    }
}

/// The worktree is checked out while the engine makes the container: the first command
/// already sees every file clean, and the workspace's exec-vector record (taken for `guard
/// check`) includes the checked-out ones, so the check reports nothing new.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_command_sees_the_whole_checkout_and_the_guard_record_covers_it() {
    let env = env_or_skip!();
    let ws = repo(&env, "whole-checkout");
    for i in 0..5000 {
        let d = ws.join(format!("src/d{}", i / 100));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("f{i}.txt")), format!("{i}\n")).unwrap();
    }
    // A file the host would run a program through (direnv), the user's, committed; last in
    // the checkout's (the index's) order.
    std::fs::create_dir_all(ws.join("zzz")).unwrap();
    std::fs::write(ws.join("zzz/.envrc"), "echo from-envrc\n").unwrap();
    git(&ws, &["add", "."]);
    git(&ws, &["commit", "-qm", "many files"]);
    let sb = on_branch(&env, &ws, "whole").await;
    let seen = sh(
        &sb,
        "find src -type f | wc -l; git status --porcelain | wc -l; cat src/d49/f4999.txt",
    )
    .await;
    assert_eq!(
        seen.split_whitespace().collect::<Vec<_>>(),
        ["5000", "0", "4999"]
    );
    let report = sb.guard_check(false).await.unwrap();
    assert!(report.is_clean(), "{:?}", report.vectors);
    // The check does see a vector the sandbox adds afterwards.
    sh(&sb, "echo 'echo planted' > zzz/.envrc").await;
    let after = sb.guard_check(false).await.unwrap();
    assert_eq!(after.vectors.len(), 1, "{:?}", after.vectors);
    sb.remove_with_options(&RemoveOptions {
        force: true,
        delete_branch: true,
        discard: true,
        ..Default::default()
    })
    .await
    .unwrap();
}

/// A branch sandbox whose repository was deleted is still removed: git has nothing left to
/// clean, and the worktree (the agent's files) is left where it is.
#[tokio::test(flavor = "multi_thread")]
async fn a_branch_sandbox_whose_repository_was_deleted_is_still_removed() {
    let env = env_or_skip!();
    let ws = repo(&env, "deleted-repo");
    let sb = on_branch(&env, &ws, "orphan").await;
    let wt = sb.workspace().to_path_buf();
    std::fs::remove_dir_all(&ws).unwrap();
    sb.remove_with_options(&RemoveOptions {
        force: true,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(matches!(sb.status().await, Err(Error::NotFound { .. })));
    assert!(
        wt.exists(),
        "the agent's files were deleted with the sandbox"
    );
    std::fs::remove_dir_all(wt.parent().unwrap()).unwrap();
}
