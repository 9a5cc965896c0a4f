//! The seed tutorial's command list, end to end against the engine, as a Docker Sandboxes
//! user types it: `run -e …`, `run -v ~/datasets:/data:ro -v ~/models:/models`,
//! `--credentials=none`, `--template`, `ls`, `inspect`, `run claude --continue`,
//! `run claude "task"`, and `rm $(ls -q)` ("remove all sandboxes", with them running). Alone
//! in its test binary: cargo runs test binaries one after the other, and `rm $(ls -q)` takes
//! every sandbox on the engine.
//!
//! `claude` here is a stand-in in a template of the test's own (`--template`): it prints the
//! arguments docksandbox hands it, which is what the tutorial's two forms are about.

mod common;

use common::{cli, show, stdout, BUSYBOX};

#[test]
fn the_seed_tutorials_commands_work_as_written() {
    let Some(env) = common::TestEnv::new() else {
        return;
    };
    let label = env.label();
    let run = |ws: &std::path::Path| {
        let mut c = cli();
        c.current_dir(ws).args(["run", "--label", &label]);
        c
    };

    // A template whose `claude` prints its arguments.
    let dir = env.workspace("fake-claude");
    std::fs::write(dir.join("claude"), "#!/bin/sh\necho \"claude got: $*\"\n").unwrap();
    let fake = format!("docksandbox-cli-test/fake-claude-{}:latest", env.run_id);
    common::build_dockerfile(
        &dir,
        &format!("FROM {BUSYBOX}\nCOPY claude /bin/claude\nRUN chmod 755 /bin/claude\n"),
        &fake,
    );

    // run -e KEY=VALUE
    let ws = env.workspace("env-project");
    let out = run(&ws)
        .args(["-t", BUSYBOX, "-e", "API_KEY=abc", "-e", "DEBUG=true"])
        .args(["shell", "-c", "echo $API_KEY $DEBUG"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "abc true\n", "{}", show(&out));

    // run -v ~/datasets:/data:ro -v ~/models:/models
    let home = env.workspace("home");
    for d in ["datasets", "models"] {
        std::fs::create_dir_all(home.join(d)).unwrap();
    }
    std::fs::write(home.join("datasets/train.csv"), "a,b\n").unwrap();
    let ws = env.workspace("ml-project");
    let out = run(&ws)
        .env("HOME", &home)
        .args(["-t", BUSYBOX])
        .arg("-v")
        .arg(format!("{}/datasets:/data:ro", home.display()))
        .arg("-v")
        .arg(format!("{}/models:/models", home.display()))
        .args([
            "shell",
            "-c",
            "cat /data/train.csv; echo w > /models/m.bin; echo x > /data/x 2>/dev/null || echo read-only",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "a,b\nread-only\n", "{}", show(&out));
    assert!(home.join("models/m.bin").exists());

    // --credentials=none
    let ws = env.workspace("no-creds");
    let out = run(&ws)
        .args([
            "-t",
            BUSYBOX,
            "--credentials=none",
            "shell",
            "-c",
            "echo none",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "none\n", "{}", show(&out));

    // --template, then `run claude --continue` and `run claude "task"` on that sandbox.
    let ws = env.workspace("claude-project");
    let out = run(&ws)
        .args(["--template", &fake, "claude", "--continue"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "claude got: --dangerously-skip-permissions --continue\n",
        "{}",
        show(&out)
    );
    let out = run(&ws)
        .args(["--template", &fake, "claude", "fix the failing test"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "claude got: --dangerously-skip-permissions fix the failing test\n",
        "{}",
        show(&out)
    );

    // ls, inspect
    let out = cli().arg("ls").output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let ids: Vec<String> = stdout(&cli().args(["ls", "-q"]).output().unwrap())
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    let out = cli().arg("inspect").args(&ids).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info.as_array().map(Vec::len), Some(4), "{info}");

    // rm $(ls -q): every sandbox, running ones too.
    let out = cli().arg("rm").args(&ids).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stdout(&cli().args(["ls", "-q"]).output().unwrap()), "");
    common::docker(&["rmi", "-f", &fake]);
}
