//! `rm --all` removes every sandbox on the engine. It lives alone in this test binary: cargo
//! runs test binaries one after the other, so no other test's sandbox exists while it runs
//! (do not run it beside other sandboxes you care about).

mod common;

use common::{cli, docker, stdout, BUSYBOX};

#[test]
fn rm_all_removes_every_sandbox_and_nothing_else() {
    let env = match common::TestEnv::new() {
        Some(e) => e,
        None => return,
    };
    let a = env.detached(&env.workspace("all-a"));
    let b = env.detached(&env.workspace("all-b"));
    // A container docksandbox did not make survives `rm --all`.
    let other = docker(&["create", "--label", &env.label(), BUSYBOX, "true"]);
    let other = other.trim();

    // Running sandboxes are stopped and removed, as `docker sandbox rm` does (no -f needed).
    let out = cli().args(["rm", "--all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::show(&out));
    let removed = stdout(&out);
    assert!(removed.contains(&a) && removed.contains(&b), "{removed}");
    let ls = cli().args(["ls", "-q"]).output().unwrap();
    assert_eq!(stdout(&ls).trim(), "", "sandboxes left after rm --all");
    let still = docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("id={other}"),
    ]);
    assert_eq!(
        still.trim(),
        other,
        "rm --all removed a container that is not a sandbox"
    );
    docker(&["rm", "-f", other]);

    // The seed tutorial's "remove all sandboxes": `docksandbox rm $(docksandbox ls -q)`, with
    // the sandboxes running.
    env.detached(&env.workspace("all-c"));
    env.detached(&env.workspace("all-d"));
    let ls = cli().args(["ls", "-q"]).output().unwrap();
    let names: Vec<String> = stdout(&ls).split_whitespace().map(String::from).collect();
    assert!(names.len() >= 2, "{names:?}");
    let out = cli().arg("rm").args(&names).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::show(&out));
    let ls = cli().args(["ls", "-q"]).output().unwrap();
    assert_eq!(stdout(&ls).trim(), "", "sandboxes left after rm $(ls -q)");
}
