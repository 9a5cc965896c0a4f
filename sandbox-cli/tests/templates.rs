//! `docksandbox template` and the built-in templates through the CLI: `run claude --version`
//! and `run codex --version` on the templates scripts/build-images.sh built from scratch,
//! `template ls`, failing builds, and a template without the agent's program.

mod common;

use common::{assert_one_line_error, cli, show, stderr, stdout, TestEnv, BUSYBOX};

/// `docksandbox run --label <test> --credentials none -w <ws>` on the agent's own template
/// (append flags, AGENT, args).
fn run_default(env: &TestEnv, ws: &std::path::Path) -> assert_cmd::Command {
    let mut c = cli();
    c.args([
        "run",
        "--label",
        &env.label(),
        "--credentials",
        "none",
        "-w",
    ])
    .arg(ws);
    c
}

fn run_agent_version(env: &TestEnv, agent: &str) -> std::process::Output {
    let ws = env.workspace(&format!("{agent}-version"));
    run_default(env, &ws)
        .args([agent, "--version"])
        .output()
        .unwrap()
}

#[test]
fn run_claude_and_codex_print_their_versions() {
    let Some(env) = TestEnv::new() else { return };
    let out = run_agent_version(&env, "claude");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains("(Claude Code)"), "{}", show(&out));
    let out = run_agent_version(&env, "codex");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stdout(&out).starts_with("codex-cli "), "{}", show(&out));
}

#[test]
fn template_ls_shows_each_template_and_its_state() {
    let Some(_env) = TestEnv::new() else { return };
    let out = cli().args(["template", "ls"]).output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    for name in ["base", "claude", "codex", "gemini", "copilot"] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name}: {text}"
        );
    }
    let claude = text.lines().find(|l| l.starts_with("claude ")).unwrap();
    assert!(claude.contains("up to date"), "{claude}");
}

#[test]
fn template_build_of_a_built_template_is_a_no_op_and_unknown_names_are_refused() {
    let Some(_env) = TestEnv::new() else { return };
    // Same inputs as scripts/build-images.sh: nothing to build.
    let mut c = cli();
    c.args(["template", "build", "claude", "--bootstrap", "-q"]);
    let ca = "/etc/ssl/certs/ca-certificates.crt";
    if std::path::Path::new(ca).exists() {
        c.args(["--ca-bundle", ca]);
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stdout(&out).contains("docksandbox/claude:latest\tup to date"),
        "{}",
        show(&out)
    );
    let out = cli().args(["template", "build", "nope"]).output().unwrap();
    assert_one_line_error(&out, 125, &["no built-in template `nope`", "claude"]);
}

#[test]
fn a_failing_dockerfile_build_shows_the_failing_step_and_its_output() {
    let Some(env) = TestEnv::new() else { return };
    let dir = env.workspace("failing");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {BUSYBOX}\nRUN echo first-line && echo second-line && false\n"),
    )
    .unwrap();
    let tag = format!("docksandbox-cli-test/{}:latest", env.run_id);
    let out = cli()
        .args(["template", "build", "-f"])
        .arg(dir.join("Dockerfile"))
        .args(["-t", &tag])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("failed at Step 2/"), "{err}");
    assert!(err.contains("  | first-line\n  | second-line"), "{err}");
}

#[test]
fn a_template_without_the_agent_fails_before_launching_and_names_the_fix() {
    let Some(env) = TestEnv::new() else { return };
    let ws = env.workspace("no-agent");
    let out = env
        .run(&ws)
        .args(["--credentials", "none", "claude", "--version"])
        .output()
        .unwrap();
    assert_one_line_error(
        &out,
        127,
        &[BUSYBOX, "`claude`", "docksandbox template build claude"],
    );
}

#[test]
fn share_agent_config_exposes_the_hosts_agent_settings_read_only_and_never_secrets() {
    let Some(env) = TestEnv::new() else { return };
    let home = env.workspace("home");
    std::fs::create_dir_all(home.join(".claude/commands")).unwrap();
    std::fs::write(home.join(".claude/CLAUDE.md"), "host instructions\n").unwrap();
    std::fs::write(home.join(".claude/commands/review.md"), "review\n").unwrap();
    std::fs::write(home.join(".claude/.credentials.json"), "SECRET-TOKEN").unwrap();
    let ws = env.workspace("project");
    let run = |extra: &[&str]| {
        let mut c = run_default(&env, &ws);
        c.env("HOME", &home).args(extra).args(["-d", "claude"]);
        c.output().unwrap()
    };
    let out = run(&["--share-agent-config"]);
    assert!(out.status.success(), "{}", show(&out));
    let name = stdout(&out).trim().to_string();
    let out = cli()
        .args(["exec", &name, "sh", "-c"])
        .arg("cat ~/.claude/CLAUDE.md ~/.claude/commands/review.md; test -e ~/.claude/.credentials.json && echo LEAK; echo x > ~/.claude/CLAUDE.md || echo read-only")
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        "host instructions\nreview\nread-only\n",
        "{}",
        show(&out)
    );

    // A shared path that is a symlink to a secret directory is refused before anything exists.
    std::fs::create_dir_all(home.join(".ssh")).unwrap();
    std::os::unix::fs::symlink(home.join(".ssh"), home.join(".claude/agents")).unwrap();
    let ws2 = env.workspace("project-two");
    let out = run_default(&env, &ws2)
        .env("HOME", &home)
        .args(["--share-agent-config", "-d", "claude"])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["share_agent_config", ".ssh"]);
    let listed = cli().args(["ls", "-q"]).output().unwrap();
    assert!(
        !stdout(&listed).contains("project-two"),
        "{}",
        show(&listed)
    );
}

#[test]
fn run_gemini_and_copilot_build_their_templates_on_first_use() {
    let Some(env) = TestEnv::new() else { return };
    // From nothing: no image of theirs (scripts/build-images.sh does not build them), so
    // `run` builds each (its npm install trusting the host's CA store, its Debian base the
    // one made from Debian's packages when no registry answers) and then runs it.
    for (agent, want) in [("gemini", ""), ("copilot", "GitHub Copilot CLI ")] {
        common::docker(&["rmi", "-f", &format!("docksandbox/{agent}:latest")]);
        let out = run_agent_version(&env, agent);
        assert_eq!(out.status.code(), Some(0), "{agent}: {}", show(&out));
        let version = stdout(&out);
        assert!(
            version.contains(want) && version.chars().any(|c| c.is_ascii_digit()),
            "{agent}: {}",
            show(&out)
        );
        assert!(
            !stderr(&out).contains("SELF_SIGNED_CERT_IN_CHAIN"),
            "{}",
            show(&out)
        );
    }
}

#[test]
fn a_rebuild_removes_the_image_it_replaced() {
    let Some(env) = TestEnv::new() else { return };
    let dir = env.workspace("rebuild");
    let tag = format!("docksandbox-cli-test/rebuild-{}:latest", env.run_id);
    let build = |step: &str| {
        common::build_dockerfile(
            &dir,
            &format!("FROM {BUSYBOX}\nRUN echo {step} > /step\n"),
            &tag,
        )
    };
    let first = build("one");
    let second = build("two");
    assert_ne!(first, second);
    assert!(
        common::docker(&["images", "-q", "--no-trunc"])
            .lines()
            .all(|l| l.trim() != first),
        "the replaced image {first} is still on the engine"
    );
    common::docker(&["rmi", "-f", &tag]);
}
