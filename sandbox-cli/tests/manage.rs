//! `ls`, `inspect`, `stop`, `rm` and `exec` against the real engine.

mod common;

use common::{assert_one_line_error, cli, inspect, show, stderr, stdout, BUSYBOX};

/// The keys `inspect` (and `ls --json`) objects have at least.
const INSPECT_KEYS: [&str; 13] = [
    "id",
    "name",
    "agent",
    "workspace",
    "template",
    "status",
    "created_at",
    "env",
    "mounts",
    "credentials",
    "docker_socket",
    "security",
    "resources",
];

#[test]
fn ls_shows_the_table_ids_and_json() {
    let env = env_or_skip!();
    let ws = env.workspace("ls");
    let name = env.detached(&ws);
    let id = inspect(&name)["id"].as_str().unwrap().to_string();

    // The table fits 80 columns; --no-trunc shows every cell whole.
    let out = cli().arg("ls").output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    for line in stdout(&out).lines() {
        assert!(line.chars().count() <= 80, "{line}");
    }
    let out = cli().args(["ls", "--no-trunc"]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "SANDBOX ID",
            "TEMPLATE",
            "NAME",
            "WORKSPACE",
            "STATUS",
            "CREATED"
        ]
    );
    let row = lines
        .find(|l| l.contains(&name))
        .unwrap_or_else(|| panic!("{name} not listed:\n{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[..5],
        [&id[..12], BUSYBOX, &name, ws.to_str().unwrap(), "running"]
    );
    assert!(row.ends_with(" ago"), "{row}");

    let out = cli().args(["ls", "-q"]).output().unwrap();
    assert!(
        stdout(&out).lines().any(|l| l == &id[..12]),
        "{}",
        show(&out)
    );
    assert!(
        stdout(&out).lines().all(|l| l.len() == 12),
        "{}",
        show(&out)
    );

    let out = cli().args(["list", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mine = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name.as_str())
        .unwrap_or_else(|| panic!("{name} not in {all}"));
    for k in INSPECT_KEYS {
        assert!(!mine[k].is_null(), "`{k}` missing: {mine}");
    }
    assert_eq!(mine, &inspect(&name), "ls --json and inspect differ");

    let out = cli().args(["ls", "-q", "--json"]).output().unwrap();
    assert_one_line_error(&out, 125, &["--json"]);
}

#[test]
fn inspect_takes_names_and_id_prefixes_and_reports_the_missing() {
    let env = env_or_skip!();
    let a = env.detached(&env.workspace("inspect-a"));
    let b = env.detached(&env.workspace("inspect-b"));
    let b_id = inspect(&b)["id"].as_str().unwrap().to_string();

    let out = cli().args(["inspect", &a, &b_id[..10]]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(
        (arr[0]["name"].as_str(), arr[1]["name"].as_str()),
        (Some(a.as_str()), Some(b.as_str()))
    );
    for o in arr {
        for k in INSPECT_KEYS {
            assert!(!o[k].is_null(), "`{k}` missing: {o}");
        }
        assert_eq!(o["security"]["privileged"], false);
        assert!(o["security"]["cap_drop"]
            .as_array()
            .unwrap()
            .contains(&"NET_RAW".into()));
    }

    let missing = format!("no-such-sandbox-{}", env.run_id);
    let out = cli().args(["inspect", &a, &missing]).output().unwrap();
    assert_one_line_error(
        &out,
        125,
        &["no sandbox matches", &missing, "docksandbox ls"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v.as_array().unwrap().len(),
        1,
        "the found one is still shown"
    );

    let out = cli().arg("inspect").output().unwrap();
    assert_one_line_error(&out, 125, &["SANDBOX"]);
}

#[test]
fn stop_and_rm() {
    let env = env_or_skip!();
    let ws = env.workspace("stop-rm");
    let name = env.detached(&ws);

    let out = cli().args(["stop", &name]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stdout(&out), format!("{name}\n"));
    assert_eq!(inspect(&name)["status"], "stopped");

    // Stopped: exec says so; run starts it again.
    let out = cli().args(["exec", &name, "true"]).output().unwrap();
    assert_one_line_error(&out, 125, &["not running", "docksandbox run"]);
    let out = env
        .run(&ws)
        .args(["-q", "shell", "-c", "echo back"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "back\n", "{}", show(&out));

    // A running one is stopped and removed, with or without -f (as `docker sandbox rm`).
    let out = cli().args(["rm", &name]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stdout(&out), format!("{name}\n"));
    assert!(env.containers().is_empty());

    let other = env.detached(&env.workspace("stop-rm-2"));
    assert!(cli()
        .args(["stop", &other])
        .output()
        .unwrap()
        .status
        .success());
    let out = cli().args(["remove", &other]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(env.containers().is_empty());

    let missing = format!("gone-{}", env.run_id);
    for cmd in ["rm", "stop"] {
        let out = cli().args([cmd, &missing]).output().unwrap();
        assert_one_line_error(&out, 125, &["no sandbox matches"]);
    }
    // `--all` removes every sandbox on the engine: its flag rules here, the removal itself
    // in its own test binary (rm_all.rs), which runs alone.
    let out = cli().args(["rm", "--all", &missing]).output().unwrap();
    assert_one_line_error(&out, 125, &["--all"]);
    let out = cli().arg("rm").output().unwrap();
    assert_one_line_error(&out, 125, &["SANDBOX"]);
    let out = cli().arg("stop").output().unwrap();
    assert_one_line_error(&out, 125, &["SANDBOX"]);
}

#[test]
fn exec_status_env_workdir_user_and_stdin() {
    let env = env_or_skip!();
    let name = env.detached(&env.workspace("exec"));

    let out = cli()
        .args(["exec", &name, "sh", "-c", "echo out; echo err >&2; exit 42"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(42), "{}", show(&out));
    assert_eq!(
        (stdout(&out), stderr(&out)),
        ("out\n".into(), "err\n".into())
    );

    let out = cli()
        .args([
            "exec",
            "-e",
            "A=1",
            "--env",
            "B=two words",
            "-w",
            "/tmp",
            "-u",
            "65534:65534",
        ])
        .args([&name, "sh", "-c", r#"echo "$A|$B"; pwd; id -u"#])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "1|two words\n/tmp\n65534\n", "{}", show(&out));

    // Without -i stdin is closed; with -i it is forwarded.
    let out = cli()
        .args(["exec", &name, "sh", "-c", "cat; echo end"])
        .write_stdin("ignored")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "end\n", "{}", show(&out));
    let out = cli()
        .args(["exec", "-i", &name, "sh", "-c", "cat; echo end"])
        .write_stdin("fed\n")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "fed\nend\n", "{}", show(&out));

    // -t without a terminal: a terminal in the sandbox all the same.
    let out = cli()
        .args([
            "exec",
            "-t",
            &name,
            "sh",
            "-c",
            "test -t 0 && test -t 1 && echo tty",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), "tty", "{}", show(&out));

    let out = cli()
        .args(["exec", &name, "/no/such/program"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(126 | 127)),
        "{}",
        show(&out)
    );

    let out = cli()
        .args(["exec", "-e", "NOEQ", &name, "true"])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["env", "NOEQ"]);
    let out = cli()
        .args(["exec", &format!("missing-{}", env.run_id), "true"])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["no sandbox matches"]);
    let out = cli().args(["exec", &name]).output().unwrap();
    assert_one_line_error(&out, 125, &["CMD"]);
}
