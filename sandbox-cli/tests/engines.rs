//! Choosing the engine as the docker CLI does: `--engine NAME` (a docker context),
//! `DOCKER_CONTEXT`, the current context of `config.json`, with `-H` and `DOCKER_HOST` above
//! them. The contexts are made by the test in its own `DOCKER_CONFIG`: one reaches this
//! machine's engine through a socket path of its own, one names a socket nobody listens on,
//! so a context that was not used cannot pass.

mod common;

use std::path::{Path, PathBuf};

use common::{cli, show, stderr, stdout};
use sha2::{Digest, Sha256};

/// The local engine's socket (what `DOCKER_HOST` names, else the default one).
fn engine_socket() -> PathBuf {
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    PathBuf::from(
        host.strip_prefix("unix://")
            .filter(|p| !p.is_empty())
            .unwrap_or("/var/run/docker.sock"),
    )
}

/// A context `name` whose docker endpoint is `host`, in the docker CLI's store layout.
fn context(config: &Path, name: &str, host: &str) {
    let id: String = Sha256::digest(name.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = config.join("contexts/meta").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let meta = serde_json::json!({
        "Name": name,
        "Metadata": {},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
    });
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
}

/// `docksandbox ARGS` with `DOCKER_CONFIG=config` and no `DOCKER_HOST` / `DOCKER_CONTEXT`.
fn with_config(config: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut c = cli();
    c.env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .args(args);
    c
}

#[test]
fn a_docker_context_chooses_the_engine_in_the_docker_clis_order() {
    let env = env_or_skip!();
    let config = env.workspace("docker-config");
    let alias = config.join("engine.sock");
    std::os::unix::fs::symlink(engine_socket(), &alias).unwrap();
    let gone = config.join("nobody-listens.sock");
    context(&config, "here", &format!("unix://{}", alias.display()));
    context(&config, "gone", &format!("unix://{}", gone.display()));

    // --engine: a sandbox runs through the context's socket; the unused one is named.
    let ws = env.workspace("through-context");
    let out = with_config(&config, &["--engine", "here", "run", "--rm", "-q"])
        .args(["--label", &env.label(), "-t", common::BUSYBOX, "-w"])
        .arg(&ws)
        .args(["shell", "-c", "echo through-the-context"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stdout(&out).contains("through-the-context"),
        "{}",
        show(&out)
    );
    let out = with_config(&config, &["--engine", "gone", "ls"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("nobody-listens.sock"),
        "{}",
        show(&out)
    );

    // The config's current context when nothing else is said; DOCKER_CONTEXT over it;
    // DOCKER_HOST over both; -H over everything.
    std::fs::write(config.join("config.json"), r#"{"currentContext": "gone"}"#).unwrap();
    let out = with_config(&config, &["ls"]).output().unwrap();
    assert!(
        stderr(&out).contains("nobody-listens.sock"),
        "{}",
        show(&out)
    );
    let out = with_config(&config, &["ls"])
        .env("DOCKER_CONTEXT", "here")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let out = with_config(&config, &["ls"])
        .env("DOCKER_CONTEXT", "gone")
        .env("DOCKER_HOST", format!("unix://{}", alias.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let out = with_config(&config, &["-H"])
        .arg(format!("unix://{}", alias.display()))
        .arg("ls")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    // A context's socket is an engine socket like the default one: a directory holding it is
    // not mounted into a sandbox (the engine itself chosen with -H here).
    let sockets = env.workspace("context-sockets");
    let _listener = std::os::unix::net::UnixListener::bind(sockets.join("engine.sock")).unwrap();
    context(
        &config,
        "socket-here",
        &format!("unix://{}", sockets.join("engine.sock").display()),
    );
    let out = with_config(&config, &["-H"])
        .arg(format!("unix://{}", alias.display()))
        .args(["run", "--rm", "-q", "-t", common::BUSYBOX])
        .env("DOCKER_CONTEXT", "socket-here")
        .args(["--label", &env.label(), "-w"])
        .arg(&ws)
        .arg("-v")
        .arg(format!("{}:/engine-sockets:ro", sockets.display()))
        .args(["shell", "-c", "true"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    assert!(stderr(&out).contains("engine's socket"), "{}", show(&out));
    assert!(env.containers().is_empty(), "a sandbox was made");
    // --engine over DOCKER_HOST.
    let out = with_config(&config, &["--engine", "gone", "ls"])
        .env("DOCKER_HOST", format!("unix://{}", alias.display()))
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("nobody-listens.sock"),
        "{}",
        show(&out)
    );
}

#[test]
fn bad_engine_choices_are_named() {
    let env = env_or_skip!();
    let config = env.workspace("docker-config-bad");
    let out = with_config(&config, &["--engine", "nope", "ls"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no docker context named `nope`"),
        "{}",
        show(&out)
    );
    let out = with_config(&config, &["-H", "unix:///x.sock", "--engine", "y", "ls"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("give one"), "{}", show(&out));
}
