//! `docksandbox pool`: a server in the background keeps the sandboxes, `pool take` hands each
//! out once (also to eight takers at once), `ls` shows them as pooled, `pool stop` removes
//! them, and when the server is killed the next docksandbox command does.

mod common;

use std::collections::HashSet;

use common::{assert_one_line_error, cli, docker, show, stdout, BUSYBOX};

fn members(pool: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=docksandbox.pool={pool}"),
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

fn start(env: &common::TestEnv, pool: &str, size: &str) -> std::process::Output {
    cli()
        .args(["pool", "start", pool, "--size", size, "--network", "none"])
        .args(["-t", BUSYBOX, "--label", &env.label()])
        .output()
        .unwrap()
}

#[test]
fn a_pool_hands_each_sandbox_out_once_shows_them_as_pooled_and_stop_removes_them() {
    let env = env_or_skip!();
    let pool = format!("cli-pool-{}", std::process::id());
    let out = start(&env, &pool, "3");
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("3 sandboxes ready"), "{}", show(&out));
    assert_eq!(members(&pool).len(), 3);
    // Started twice: refused, nothing more made.
    let again = start(&env, &pool, "3");
    assert_one_line_error(&again, 125, &["running already"]);

    let ls = cli().args(["ls", "--no-trunc"]).output().unwrap();
    assert!(
        stdout(&ls).contains(&format!("(pool {pool})")),
        "{}",
        show(&ls)
    );

    // Eight takers at once: eight different sandboxes, each running.
    let takers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || cli().args(["pool", "take", &pool]).output().unwrap())
        })
        .collect();
    let names: Vec<String> = takers
        .into_iter()
        .map(|t| {
            let out = t.join().unwrap();
            assert!(out.status.success(), "{}", show(&out));
            stdout(&out).trim().to_string()
        })
        .collect();
    let distinct: HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), 8, "{names:?}");
    let out = cli()
        .args(["exec", &names[0], "sh", "-c", "echo hi"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "hi\n", "{}", show(&out));

    let out = cli()
        .args(["pool", "status", &pool, "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v[0]["status"]["taken"], 8, "{v}");
    assert_eq!(v[0]["status"]["size"], 3, "{v}");

    let out = cli().args(["pool", "stop", &pool]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(members(&pool), Vec::<String>::new(), "stop left sandboxes");
    let out = cli().args(["pool", "take", &pool]).output().unwrap();
    assert_one_line_error(&out, 125, &["no pool", "pool start"]);
}

#[test]
fn when_the_server_is_killed_the_next_command_removes_its_sandboxes() {
    let env = env_or_skip!();
    let pool = format!("cli-pool-killed-{}", std::process::id());
    let out = start(&env, &pool, "2");
    assert!(out.status.success(), "{}", show(&out));
    let ids = members(&pool);
    assert_eq!(ids.len(), 2);
    let owner = docker(&[
        "inspect",
        "-f",
        "{{index .Config.Labels \"docksandbox.owner-process\"}}",
        &ids[0],
    ]);
    let pid = owner.trim().split('/').nth(1).unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    common::wait_for(std::time::Duration::from_secs(10), || {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    })
    .expect("the server did not die");
    let out = cli().arg("gc").output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(members(&pool), Vec::<String>::new(), "{}", show(&out));
    // (Another test's command may have removed them meanwhile: every `ls`, `run` and `exec`
    // collects too; the engine is what is checked.)
    // `pool status` says the server is gone; `pool stop` cleans up after it.
    let out = cli().args(["pool", "stop", &pool]).output().unwrap();
    assert_one_line_error(&out, 125, &["no pool"]);
}
