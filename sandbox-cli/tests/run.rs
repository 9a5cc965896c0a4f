//! `docksandbox run` against the real engine: streams, exit codes, stdin, agent arguments,
//! every flag, reuse and config changes, bad flags refused before anything is created.

mod common;

use common::{assert_one_line_error, inspect, show, stderr, stdout, BUSYBOX};

#[test]
fn run_streams_stdout_and_stderr_separately_and_exits_with_the_agents_status() {
    let env = env_or_skip!();
    let ws = env.workspace("streams");
    let out = env
        .run(&ws)
        .args(["-q", "shell", "-c", "echo out; echo err >&2; pwd; exit 3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert_eq!(stdout(&out), format!("out\n{}\n", ws.display()));
    assert_eq!(stderr(&out), "err\n");

    // The sandbox keeps running and is reused: same container, files still there.
    let out = env
        .run(&ws)
        .args(["-q", "shell", "-c", "touch /tmp/kept; exit 0"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let out = env
        .run(&ws)
        .args(["shell", "-c", "ls /tmp/kept"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "/tmp/kept\n", "{}", show(&out));
    assert_eq!(env.containers().len(), 1);
}

#[test]
fn run_forwards_stdin_and_ends_without_any() {
    let env = env_or_skip!();
    let ws = env.workspace("stdin");
    let out = env
        .run(&ws)
        .args(["shell", "-c", "cat; echo done"])
        .write_stdin("piped input\n")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "piped input\ndone\n", "{}", show(&out));
    // No stdin at all (null): the agent reads end of input at once.
    let out = env
        .run(&ws)
        .args(["shell", "-c", "cat; echo done"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "done\n", "{}", show(&out));
    // Large input arrives whole.
    let big = "x".repeat(1 << 20);
    let out = env
        .run(&ws)
        .args(["shell", "-c", "wc -c"])
        .write_stdin(big)
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), (1 << 20).to_string(), "{}", show(&out));
}

#[test]
fn everything_after_the_agent_goes_to_it_unchanged() {
    let env = env_or_skip!();
    let ws = env.workspace("args");
    let out = env
        .run(&ws)
        .args([
            "shell",
            "-c",
            r#"for a; do printf '[%s]' "$a"; done"#,
            "sh",
            "-d",
            "--name",
            "two words",
            "-q",
            "",
        ])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "[-d][--name][two words][-q][]",
        "{}",
        show(&out)
    );
}

#[test]
fn env_and_volumes_reach_the_sandbox() {
    let env = env_or_skip!();
    let ws = env.workspace("envvol");
    let data = env.workspace("data dir");
    std::fs::write(data.join("file.txt"), "from the host\n").unwrap();
    let out = env
        .run(&ws)
        .args(["-e", "GREETING=hello world", "-e", "EMPTY="])
        .arg("-v")
        .arg(format!("{}:/data:ro", data.display()))
        .arg("-v")
        .arg(format!("{}:/rw", data.display()))
        .args([
            "shell",
            "-c",
            r#"echo "$GREETING|${EMPTY-unset}"; cat /data/file.txt; touch /data/no 2>/dev/null && echo writable; touch /rw/yes && echo rw-ok"#,
        ])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "hello world|\nfrom the host\nrw-ok\n",
        "{}",
        show(&out)
    );
    assert!(data.join("yes").exists());
    let info = inspect(&env.containers()[0]);
    let mounts = info["mounts"].as_array().unwrap();
    assert!(
        mounts
            .iter()
            .any(|m| m["target"] == "/data" && m["read_only"] == true),
        "{info}"
    );
}

#[test]
fn detached_prints_the_name_and_applies_every_setting() {
    let env = env_or_skip!();
    let ws = env.workspace("detached");
    let name = format!("ds-cli-{}", env.run_id);
    let out = env
        .run(&ws)
        .args(["-d", "--name", &name, "--cpus", "1.5", "--memory", "256m"])
        .args([
            "--pids-limit",
            "300",
            "--network",
            "none",
            "--credentials",
            "none",
        ])
        .args(["-e", "API_TOKEN=s3cret-value", "shell", "-c", "exit 9"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stdout(&out), format!("{name}\n"));

    let info = inspect(&name);
    assert_eq!(info["name"], name.as_str());
    assert_eq!(info["status"], "running");
    assert_eq!(info["agent"], "shell");
    assert_eq!(info["template"], BUSYBOX);
    assert_eq!(info["workspace"], ws.to_str().unwrap());
    assert_eq!(info["credentials"], "none");
    assert_eq!(info["network"], "none");
    assert_eq!(info["resources"]["cpus"], 1.5);
    assert_eq!(info["resources"]["memory"], 256u64 << 20);
    assert_eq!(info["resources"]["pids"], 300);
    assert_eq!(info["docker_socket"], false);
    assert_eq!(info["security"]["privileged"], false);
    assert_eq!(info["labels"][common::TEST_LABEL], env.run_id.as_str());
    let text = info.to_string();
    assert!(!text.contains("s3cret-value"), "a secret leaked: {text}");
    assert!(info["env"]["API_TOKEN"].is_string(), "{info}");
    let out = common::cli()
        .args(["stats", "--json", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let stats: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(stats[0]["memory_limit"], 256u64 << 20, "{stats}");
    assert_eq!(stats[0]["pids_limit"], 300, "{stats}");
    let out = common::cli().args(["stats", &name]).output().unwrap();
    assert!(stdout(&out).starts_with("NAME"), "{}", show(&out));
    assert!(stdout(&out).contains("256.0MiB"), "{}", show(&out));

    // -d on an existing sandbox reuses it (and starts it when stopped).
    let out = common::cli().args(["stop", &name]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(env.detached_named(&ws, &name), name);
    assert_eq!(inspect(&name)["status"], "running");
}

#[test]
fn a_config_change_needs_recreate() {
    let env = env_or_skip!();
    let ws = env.workspace("recreate");
    let name = env.detached(&ws);
    let id = inspect(&name)["id"].as_str().unwrap().to_string();

    let out = env
        .run(&ws)
        .args(["-e", "FOO=1", "--network", "none", "-d", "shell"])
        .output()
        .unwrap();
    assert_one_line_error(
        &out,
        125,
        &[
            "exists with another configuration",
            "env.FOO",
            "network",
            "--recreate",
        ],
    );
    assert_eq!(inspect(&name)["id"], id.as_str(), "the sandbox was kept");

    // Not quiet: the recreation is announced; the new sandbox has the new settings.
    let out = env
        .run(&ws)
        .args(["-e", "FOO=1", "--recreate", "shell", "-c", "echo $FOO"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "1\n", "{}", show(&out));
    assert!(stderr(&out).contains("recreating"), "{}", show(&out));
    let info = inspect(&name);
    assert_ne!(info["id"], id.as_str());
    assert_eq!(info["env"]["FOO"], "1");

    // Quiet: nothing on stderr.
    let out = env
        .run(&ws)
        .args([
            "-q",
            "-e",
            "FOO=2",
            "--recreate",
            "shell",
            "-c",
            "echo $FOO",
        ])
        .output()
        .unwrap();
    assert_eq!((stdout(&out), stderr(&out)), ("2\n".into(), String::new()));
    assert_eq!(env.containers().len(), 1);
}

#[test]
fn docker_scoped_runs_children_refuses_the_host_and_rm_takes_them_along() {
    let env = env_or_skip!();
    let ws = env.workspace("scoped");
    let script = format!(
        "docker run --rm {BUSYBOX} echo from-a-child && docker volume create kept >/dev/null && \
         docker run -d --name child {BUSYBOX} sleep 60 >/dev/null && \
         (docker run --rm --privileged {BUSYBOX} true 2>&1 || true)"
    );
    let out = env
        .run_on(&ws, "docksandbox/base:latest")
        .args(["-q", "--docker", "scoped", "shell", "-c", &script])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("from-a-child"), "{}", show(&out));
    assert!(
        text.contains("a privileged container is refused by docksandbox's scoped Docker access"),
        "{}",
        show(&out)
    );
    assert_eq!(stderr(&out), "", "no warning for scoped access");
    let name = env.containers()[0].clone();
    let info = inspect(&name);
    assert_eq!(info["docker"], "scoped");
    assert_eq!(info["docker_socket"], false);
    assert_eq!(info["children"]["containers"][0], "child");
    assert_eq!(info["children"]["volumes"][0], "kept");
    // The access is stored: another is drift.
    let out = env
        .run_on(&ws, "docksandbox/base:latest")
        .args(["--docker", "none", "shell", "-c", "true"])
        .output()
        .unwrap();
    assert!(
        !out.status.success() && stderr(&out).contains("docker"),
        "{}",
        show(&out)
    );
    // `rm --volumes` takes the agent's containers and named volumes along.
    let out = common::cli()
        .args(["rm", "--volumes", &name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let left = std::process::Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=io.docksandbox.owner={name}"),
        ])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty());
    let vols = std::process::Command::new("docker")
        .args([
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("label=io.docksandbox.owner={name}"),
        ])
        .output()
        .unwrap();
    assert!(
        vols.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&vols.stdout)
    );
}

#[test]
fn mount_docker_socket_warns_and_shows_in_inspect() {
    let env = env_or_skip!();
    let ws = env.workspace("socket");
    let out = env
        .run(&ws)
        .args([
            "-q",
            "--mount-docker-socket",
            "shell",
            "-c",
            "test -S /var/run/docker.sock && echo socket",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "socket\n", "{}", show(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "docksandbox: warning: {}\n",
            docksandbox::DOCKER_SOCKET_WARNING
        )
    );
    let info = inspect(&env.containers()[0]);
    assert_eq!(info["docker_socket"], true);
    assert_eq!(info["warnings"][0], docksandbox::DOCKER_SOCKET_WARNING);
    // Reusing it without the flag still warns.
    let out = env.run(&ws).args(["-d", "shell"]).output().unwrap();
    assert!(stderr(&out).contains("warning"), "{}", show(&out));
}

#[test]
fn bad_flags_are_refused_in_one_line_and_nothing_is_created() {
    let env = env_or_skip!();
    let ws = env.workspace("bad");
    let ws_s = ws.to_str().unwrap().to_string();
    let missing = format!("{ws_s}/does/not/exist");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--network", "host", "shell"], "network"),
        (vec!["-v", "/a:/b:/c:/d", "shell"], "volume"),
        (vec!["-v", "/tmp:data", "shell"], "mounts[0]"),
        (vec!["-v", "", "shell"], "volume"),
        (vec!["--memory", "lots", "shell"], "memory"),
        (vec!["--credentials", "host", "shell"], "credentials"),
        (vec!["--cpus", "0", "shell"], "cpus"),
        (vec!["--pids-limit", "-5", "shell"], "pids"),
        (vec!["-e", "NOEQUALS", "shell"], "env"),
        (vec!["-e", "=x", "shell"], "env"),
        (vec!["--name", "bad name!", "shell"], "name"),
        (vec!["nosuchagent"], "unknown agent"),
        (
            vec!["-p", "70000", "shell"],
            "-p/--publish 70000 (ports[0])",
        ),
        (vec!["-p", "abc", "shell"], "not a number"),
        (vec!["-p", "1.2.3.4:", "shell"], "ports[0]"),
        (
            vec!["-p", "8080:80", "-p", "8080:81", "shell"],
            "given twice",
        ),
        (vec!["-p", "80", "--network", "none", "shell"], "no way in"),
    ];
    for (args, word) in cases {
        let out = env.run(&ws).args(&args).output().unwrap();
        assert_one_line_error(&out, 125, &[word]);
    }
    let out = common::cli()
        .args([
            "run",
            "--label",
            &env.label(),
            "-t",
            "bad image name",
            "-w",
            &ws_s,
        ])
        .arg("shell")
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["template"]);
    // Workspaces: missing, the root, a system directory; relative paths are resolved.
    for (w, word) in [
        (missing.as_str(), "workspace"),
        ("/", "workspace"),
        ("/etc", "workspace"),
    ] {
        let out = common::cli()
            .args([
                "run",
                "--label",
                &env.label(),
                "-t",
                BUSYBOX,
                "-w",
                w,
                "shell",
            ])
            .output()
            .unwrap();
        assert_one_line_error(&out, 125, &[word]);
    }
    let out = common::cli()
        .current_dir(&ws)
        .args([
            "run",
            "--label",
            &env.label(),
            "-t",
            BUSYBOX,
            "-w",
            "nope",
            "shell",
        ])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["workspace"]);
    // clap-level errors: also one line, status 125.
    for args in [
        vec!["run", "--cpus", "abc", "shell"],
        vec!["run", "--bogus", "shell"],
        vec!["run"],
    ] {
        let out = common::cli().args(&args).output().unwrap();
        assert_one_line_error(&out, 125, &["--help"]);
    }
    assert!(
        env.containers().is_empty(),
        "created: {:?}",
        env.containers()
    );
    assert!(!std::path::Path::new(&missing).exists());
}

#[test]
fn an_agent_missing_from_the_template_exits_127() {
    let env = env_or_skip!();
    let ws = env.workspace("missing-agent");
    let out = env.run(&ws).args(["-q", "claude"]).output().unwrap();
    assert_one_line_error(&out, 127, &["claude", "not found", BUSYBOX]);
}

#[test]
fn a_missing_template_reports_the_pull_step_and_leaves_nothing() {
    let env = env_or_skip!();
    let ws = env.workspace("missing-template");
    let out = env
        .run_on(&ws, "docksandbox-test/missing:never")
        .args(["-d", "shell"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", show(&out));
    let err = stderr(&out);
    // Without a terminal the long step is a plain line; the error is the last line.
    assert!(
        err.contains("docksandbox: pulling docksandbox-test/missing:never"),
        "{err}"
    );
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.contains("not found on the engine") && last.contains("template"),
        "{err}"
    );
    assert!(env.containers().is_empty());
    // With -q the step is not shown, the error still is.
    let out = env
        .run_on(&ws, "docksandbox-test/missing:never")
        .args(["-d", "-q", "shell"])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["docksandbox-test/missing:never"]);
}

#[test]
fn errors_name_the_flag_and_show_paths_as_typed_and_as_resolved() {
    let env = env_or_skip!();
    let ws = env.workspace("words");
    let before = env.containers();
    // A relative -v path: as typed, and resolved against the current directory (no `/./`).
    let out = env
        .run(&ws)
        .current_dir(&ws)
        .args(["-v", "./missing:/data", "shell", "-c", "true"])
        .output()
        .unwrap();
    let resolved = format!("`{}/missing`", ws.display());
    assert_one_line_error(
        &out,
        125,
        &[
            "invalid -v/--volume ./missing:/data (mounts[0].host)",
            &resolved,
        ],
    );
    assert!(!stderr(&out).contains("/./"), "{}", show(&out));
    for (args, want) in [
        (vec!["-e", "NOVALUE"], "invalid -e/--env (env): `NOVALUE`"),
        (
            vec!["--memory", "lots"],
            "invalid --memory (memory): `lots`",
        ),
        (vec!["--name", "a b"], "invalid --name (name): `a b`"),
        (
            vec!["--secret-host", "NOPE=api.x.test"],
            "invalid --secret-host NOPE=api.x.test (secret_hosts[0])",
        ),
    ] {
        let out = env
            .run(&ws)
            .args(&args)
            .args(["shell", "-c", "true"])
            .output()
            .unwrap();
        assert_one_line_error(&out, 125, &[want]);
    }
    assert_eq!(env.containers(), before, "a refused run created something");
    // A changed setting names the flag and the CLI's way to apply it.
    let out = env
        .run(&ws)
        .args(["-q", "shell", "-c", "true"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let out = env
        .run(&ws)
        .args(["-e", "X=1", "shell", "-c", "true"])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["-e/--env X (env.X)", "pass --recreate"]);
    assert!(!stderr(&out).contains("recreate(true)"), "{}", show(&out));
}

#[test]
fn an_out_of_memory_kill_says_so_and_names_the_limit() {
    let env = env_or_skip!();
    let ws = env.workspace("oom");
    let out = env
        .run(&ws)
        .args(["-q", "--memory", "64m", "shell", "-c", "tail /dev/zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137), "{}", show(&out));
    assert!(
        stderr(&out)
            .contains("docksandbox: killed: out of memory (limit 64 MiB; raise it with --memory)"),
        "{}",
        show(&out)
    );
    // Another SIGKILL is not called one.
    let out = env
        .run(&ws)
        .args(["-q", "--memory", "64m", "shell", "-c", "kill -9 $$"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(137), "{}", show(&out));
    assert!(!stderr(&out).contains("out of memory"), "{}", show(&out));
}

#[test]
fn published_ports_are_printed_reached_and_added_while_running() {
    let env = env_or_skip!();
    let ws = env.workspace("ports");
    std::fs::write(ws.join("index.html"), "cli-port-page").unwrap();
    let name = format!("ds-port-{}", env.run_id);
    let out = env
        .run(&ws)
        .args(["-d", "--name", &name, "-p", "8000", "shell"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stderr(&out), "", "no warning for a loopback port");
    let ws_s = ws.to_str().unwrap();
    for port in ["8000", "9000"] {
        let out = common::cli()
            .args(["exec", &name, "httpd", "-p", port, "-h", ws_s])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", show(&out));
    }
    let out = common::cli()
        .args(["port", &name, "8000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let addr = stdout(&out).trim().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    assert!(common::http_get(&addr).contains("cli-port-page"));

    let out = common::cli()
        .args(["port", &name, "9000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("port add"), "{}", show(&out));
    let out = common::cli()
        .args(["port", "add", &name, "9000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let line = stdout(&out);
    let added = line.trim().rsplit(" -> ").next().unwrap().to_string();
    assert!(line.starts_with("9000/tcp -> 127.0.0.1:"), "{line}");
    assert!(common::http_get(&added).contains("cli-port-page"));
    let out = common::cli().args(["port", &name]).output().unwrap();
    let listed = stdout(&out);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(listed.contains(&format!("8000/tcp -> {addr}")), "{listed}");
    assert_eq!(inspect(&name)["ports"].as_array().unwrap().len(), 2);

    // 0.0.0.0 only when written out, and then with a warning.
    let wide = env.workspace("ports wide");
    let out = env
        .run(&wide)
        .args(["-d", "--network", "bridge", "-p", "0.0.0.0::8000", "shell"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(stderr(&out).contains("0.0.0.0"), "{}", show(&out));
}

#[test]
fn rm_removes_the_sandbox_when_the_session_ends_and_gc_enforces_ttls() {
    let env = env_or_skip!();
    let ws = env.workspace("rm");
    let out = env
        .run(&ws)
        .args(["--rm", "shell", "-c", "echo in-ephemeral; exit 3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert_eq!(stdout(&out), "in-ephemeral\n");
    assert!(env.containers().is_empty(), "left: {:?}", env.containers());
    let out = env.run(&ws).args(["--rm", "-d", "shell"]).output().unwrap();
    assert_one_line_error(&out, 125, &["--rm"]);

    let name = format!("ds-ttl-{}", env.run_id);
    let out = env
        .run(&ws)
        .args(["-d", "--name", &name, "--ttl", "4s", "shell"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    std::thread::sleep(std::time::Duration::from_millis(4500));
    let out = common::cli().arg("gc").output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    // Removed by this `gc`, or already by another docksandbox command of a test running
    // beside this one (every run, ls and exec collects): gone either way.
    let said = stdout(&out);
    if said.contains(&name) {
        assert!(
            said.contains(&format!("removed {name}: its time to live is over")),
            "{said}"
        );
    }
    assert!(env.containers().is_empty(), "left: {:?}", env.containers());
}

#[test]
fn a_detached_session_prints_into_logs() {
    let env = env_or_skip!();
    let ws = env.workspace("logs");
    let name = format!("ds-logs-{}", env.run_id);
    let out = env
        .run(&ws)
        .args(["-d", "--name", &name, "shell", "-c", "echo hello-detached"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stdout(&out), format!("{name}\n"));
    let said = common::wait_for(std::time::Duration::from_secs(10), || {
        let out = common::cli().args(["logs", &name]).output().unwrap();
        stdout(&out)
            .contains("hello-detached")
            .then(|| stdout(&out))
    });
    assert!(said.is_some(), "the session's output never reached `logs`");
    let out = common::cli()
        .args(["logs", "--since", "yesterday", &name])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["--since"]);
}

#[test]
fn a_branch_sandbox_is_listed_reviewed_merged_and_removed_from_the_host() {
    let env = env_or_skip!();
    let ws = std::fs::canonicalize(env.workspace("branchy")).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=host", "-c", "user.email=host@example.test"])
            .args(args)
            .current_dir(&ws)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(ws.join("a.txt"), "a\n").unwrap();
    git(&["add", "a.txt"]);
    git(&["commit", "-qm", "first"]);
    let branch = format!("cli-{}", env.run_id);
    let out = env
        .run_on(&ws, common::DEBIAN)
        .args(["--network", "none", "--branch", &branch, "shell", "-c"])
        .arg("git -c user.name=agent -c user.email=a@x commit -q --allow-empty -m 'from the agent' && echo wip > wip.txt && git rev-parse --abbrev-ref HEAD")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(stdout(&out), format!("{branch}\n"));
    let ls = common::cli().arg("ls").arg("--no-trunc").output().unwrap();
    assert!(
        stdout(&ls).contains(&format!("{} [{branch} +1, uncommitted]", ws.display())),
        "{}",
        show(&ls)
    );
    let diff = common::cli().args(["diff", &branch]).output().unwrap();
    assert!(stdout(&diff).contains("+wip"), "{}", show(&diff));
    let log = common::cli().args(["log", &branch]).output().unwrap();
    assert!(stdout(&log).contains("from the agent"), "{}", show(&log));
    // The uncommitted file keeps the worktree: rm refuses without -f.
    let rm = common::cli().args(["rm", &branch]).output().unwrap();
    assert!(!rm.status.success(), "{}", show(&rm));
    assert!(stderr(&rm).contains("wip.txt"), "{}", show(&rm));
    let merge = common::cli().args(["merge", &branch]).output().unwrap();
    assert!(merge.status.success(), "{}", show(&merge));
    assert!(stdout(&merge).contains("fast-forward"), "{}", show(&merge));
    assert_eq!(git(&["log", "-1", "--format=%s", "main"]), "from the agent");
    let rm = common::cli()
        .args(["rm", "-f", "--delete-branch", &branch])
        .output()
        .unwrap();
    assert!(rm.status.success(), "{}", show(&rm));
    assert!(env.containers().is_empty(), "left: {:?}", env.containers());
    assert_eq!(git(&["branch", "--list", &branch]), "");
}
