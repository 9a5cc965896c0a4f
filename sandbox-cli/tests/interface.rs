//! The interface itself: help texts (snapshots keep them stable), version, completions,
//! global flags and usage errors. Only the `-H` tests need (the absence of) an engine.

mod common;

use common::{assert_one_line_error, cli, show, stdout};

fn help(args: &[&str]) -> String {
    let out = cli().args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    stdout(&out)
}

#[test]
fn help_texts_are_stable() {
    insta::assert_snapshot!("help", help(&[]));
    for cmd in [
        "run",
        "ls",
        "inspect",
        "rm",
        "stop",
        "prune",
        "exec",
        "version",
        "completion",
        "template",
        "network",
        "diff",
        "apply",
        "discard",
        "guard",
    ] {
        insta::assert_snapshot!(format!("help_{cmd}"), help(&[cmd]));
    }
    insta::assert_snapshot!("help_template_build", help(&["template", "build"]));
    insta::assert_snapshot!("help_network_log", help(&["network", "log"]));
    insta::assert_snapshot!("help_guard_check", help(&["guard", "check"]));
}

#[test]
fn version_names_the_cli_and_the_library() {
    let out = cli().arg("version").output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(
        stdout(&out),
        format!(
            "docksandbox version {v}\nlibrary version {}\n",
            docksandbox::VERSION
        )
    );
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = cli().args(["completion", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", show(&out));
        let script = stdout(&out);
        assert!(script.contains("docksandbox"), "{shell}");
        assert!(script.contains("mount-docker-socket"), "{shell}");
    }
    let out = cli().args(["completion", "tcsh"]).output().unwrap();
    assert_one_line_error(&out, 125, &["tcsh", "--help"]);
}

#[test]
fn a_bad_host_names_docker_host() {
    for host in ["tcp://127.0.0.1:1", "unix:///nonexistent/docker.sock"] {
        for args in [vec!["ls"], vec!["inspect", "x"], vec!["-D", "stop", "x"]] {
            let out = cli().args(["-H", host]).args(&args).output().unwrap();
            assert_eq!(out.status.code(), Some(125), "{}", show(&out));
            let err = common::stderr(&out);
            let first = err.lines().next().unwrap_or_default();
            assert!(first.starts_with("docksandbox: "), "{}", show(&out));
            assert!(first.contains("DOCKER_HOST"), "{}", show(&out));
            assert!(first.contains(host), "{}", show(&out));
            if args[0] == "-D" {
                assert!(err.contains("DOCKER_UNAVAILABLE"), "-D adds detail: {err}");
            } else {
                assert_eq!(err.lines().count(), 1, "{}", show(&out));
            }
        }
    }
    // The global flag may come after the command too; DOCKER_HOST works the same way.
    let out = cli()
        .args(["ls", "--host", "tcp://127.0.0.1:1"])
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["DOCKER_HOST"]);
    let out = cli()
        .env("DOCKER_HOST", "tcp://127.0.0.1:1")
        .arg("ls")
        .output()
        .unwrap();
    assert_one_line_error(&out, 125, &["127.0.0.1:1", "DOCKER_HOST"]);
    let out = cli().args(["-H", "bogus://x", "ls"]).output().unwrap();
    assert_one_line_error(&out, 125, &["scheme"]);
}

#[test]
fn usage_errors_are_one_line_with_status_125() {
    for (args, word) in [
        (vec!["frobnicate"], "frobnicate"),
        (vec!["ls", "--bogus"], "--bogus"),
        (vec!["rm", "-x", "a"], "-x"),
        (vec!["exec", "-z", "a", "b"], "-z"),
    ] {
        let out = cli().args(&args).output().unwrap();
        assert_one_line_error(&out, 125, &[word, "--help"]);
    }
    let out = cli().output().unwrap();
    assert_eq!(out.status.code(), Some(125), "{}", show(&out));
    assert!(common::stderr(&out).contains("Usage: docksandbox"));
}
