//! Injected faults against real engines: a daemon restarted or down, containers killed or
//! removed behind docksandbox's back, a workspace swapped for a symlink while `run` uses it,
//! `rm` keeping what is the user's, secrets kept out of everything printed or stored.
//!
//! The main engine is shared (other test runs, other people): it is never stopped here. The
//! restart and daemon-down faults start a private `dockerd` (its own network namespace, data
//! root, exec root, pidfile, socket, containerd and containerd namespace, no bridge, no
//! iptables) and load the busybox test image into it. That needs root, dockerd and unshare;
//! without them these tests skip with a message, and fail in CI (`CI=true`).
//!
//! The CLI binary must be built (`cargo test --workspace` does; alone: `cargo build -p
//! docksandbox-cli`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docksandbox::{
    Agent, Client, CredentialsMode, Error, ErrorKind, NetworkMode, Sandbox, SandboxStatus, Shell,
};
use docksandbox_tests::{cli, docker, docker_inspect, env_or_skip, BUSYBOX, TEST_LABEL};

/// Failing fast means well under this; the failure it guards against is a hang (a connection
/// that is never refused, a retry loop) of a minute or more, so a loaded machine cannot make
/// this bound flaky.
const FAIL_FAST: Duration = Duration::from_secs(10);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A private Docker daemon, stopped and deleted when dropped.
struct PrivateDaemon {
    dir: tempfile::TempDir,
    child: Option<Child>,
    host: String,
    /// With a default bridge of its own (in its own network namespace), for `proxy` sandboxes.
    bridge: bool,
}

impl PrivateDaemon {
    /// Starts one, with the busybox test image loaded; `None` (skip) where impossible.
    fn start() -> Option<PrivateDaemon> {
        Self::start_with(false)
    }

    /// As [`PrivateDaemon::start`], with a default bridge (inside its own network namespace).
    fn start_bridged() -> Option<PrivateDaemon> {
        Self::start_with(true)
    }

    fn start_with(bridge: bool) -> Option<PrivateDaemon> {
        let root = std::fs::metadata("/proc/self").map(|m| {
            use std::os::unix::fs::MetadataExt;
            m.uid() == 0
        });
        let dockerd = ["dockerd", "unshare"].iter().all(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        if !(root.unwrap_or(false) && dockerd) {
            let why = "a private dockerd needs root, and dockerd and unshare on PATH";
            assert!(!in_ci(), "CI=true but {why}");
            eprintln!("SKIPPED: {why}");
            return None;
        }
        // Short path: the sockets inside must fit in 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("dsf-")
            .tempdir_in("/tmp")
            .unwrap();
        let host = format!("unix://{}/docker.sock", dir.path().display());
        let mut d = PrivateDaemon {
            dir,
            child: None,
            host,
            bridge,
        };
        d.spawn();
        let loaded = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "docker save {BUSYBOX} | DOCKER_HOST={} docker load",
                d.host
            ))
            .output()
            .unwrap();
        assert!(
            loaded.status.success(),
            "loading {BUSYBOX} into the private daemon: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        Some(d)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn spawn(&mut self) {
        let ns = format!(
            "dsfault{}",
            self.dir.path().file_name().unwrap().to_string_lossy()
        );
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("dockerd.log"))
            .unwrap();
        // In a network namespace of its own: with `--bridge=none` dockerd deletes the host's
        // `docker0`, which the shared main engine's containers need.
        let child = Command::new("unshare")
            .args(["--net", "--", "dockerd"])
            .arg("--data-root")
            .arg(self.path("data"))
            .arg("--exec-root")
            .arg(self.path("exec"))
            .arg("--pidfile")
            .arg(self.path("docker.pid"))
            .arg("-H")
            .arg(&self.host)
            .args(if self.bridge {
                &["--iptables=false", "--ip-masq=false"][..]
            } else {
                &["--bridge=none", "--iptables=false", "--ip-masq=false"][..]
            })
            // dockerd 20.10 would use a system containerd at /run/containerd/containerd.sock
            // if one ran: a namespace of our own keeps its containers apart even then.
            .arg("--containerd-namespace")
            .arg(&ns)
            .arg("--containerd-plugins-namespace")
            .arg(format!("{ns}-plugins"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dockerd");
        self.child = Some(child);
        // Wait until it answers (startup takes seconds; give up after a minute with its log).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = Command::new("docker")
                .env("DOCKER_HOST", &self.host)
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("private dockerd exited ({status}): {}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "private dockerd did not answer: {}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.path("dockerd.log")).unwrap_or_default();
        log.lines().rev().take(15).collect::<Vec<_>>().join("\n")
    }

    /// Stops the daemon (SIGTERM, as a service manager would) and waits for it to exit.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// The docker CLI against this daemon.
    fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker")
            .env("DOCKER_HOST", &self.host)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn client(&self) -> Client {
        Client::connect_to(Some(&self.host)).unwrap()
    }
}

impl Drop for PrivateDaemon {
    fn drop(&mut self) {
        if self.child.is_some() {
            // Remove what the test made, so no container outlives the daemon's data.
            let ids = self.docker(&["ps", "-aq"]);
            for id in ids.lines() {
                self.docker(&["rm", "-f", id]);
            }
        }
        self.stop();
    }
}

fn workspace(root: &Path, name: &str) -> PathBuf {
    let p = root.join(name);
    std::fs::create_dir_all(&p).unwrap();
    std::fs::canonicalize(p).unwrap()
}

fn builder(client: &Client, ws: &Path) -> docksandbox::SandboxBuilder {
    Sandbox::builder()
        .client(client.clone())
        .workspace(ws)
        .agent(Shell)
        .template(BUSYBOX)
        .network(NetworkMode::None) // the private daemon has no bridge
        .label(TEST_LABEL, "faults")
}

#[tokio::test(flavor = "multi_thread")]
async fn dockerd_restarted_the_sandbox_is_found_again_and_the_client_reconnects() {
    let Some(mut daemon) = PrivateDaemon::start() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let ws = workspace(scratch.path(), "restart");
    let client = daemon.client();
    let sb = builder(&client, &ws).run().await.unwrap();
    let out = sb
        .exec(["sh", "-c", "echo kept > /tmp/marker"])
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");

    daemon.restart();

    // The daemon stopped the container with itself: exec on the old handle, through the same
    // client (its connections died with the daemon), is a typed error, not a hang or a panic.
    match sb.exec(["true"]).await {
        Err(e @ Error::NotRunning { .. }) => {
            assert!(e.to_string().contains("docksandbox run"), "{e}")
        }
        other => panic!("expected NotRunning, got {other:?}"),
    }
    // `run` finds it again by its labels (same container, same files) and starts it.
    let again = builder(&client, &ws).run().await.unwrap();
    assert_eq!(again.id(), sb.id());
    assert_eq!(again.status().await.unwrap(), SandboxStatus::Running);
    let out = again.exec(["cat", "/tmp/marker"]).await.unwrap();
    assert_eq!(out.stdout_str(), "kept\n");
    // The old handle works again too.
    assert!(sb.exec(["true"]).await.unwrap().success());
    assert_eq!(client.list().await.unwrap().len(), 1);

    // The CLI, a fresh process, finds it by labels as well.
    let out = cli()
        .env("DOCKER_HOST", &daemon.host)
        .args(["ls", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        &sb.id()[..12],
        "{out:?}"
    );
}

/// Every core API call against an engine that is not there: the same error kind, at once.
async fn every_api_fails_fast(client: &Client, ws: &Path, handle: Option<&Sandbox>) -> Vec<String> {
    let mut messages = Vec::new();
    let mut check = |what: &str, started: Instant, r: Result<(), Error>| {
        let took = started.elapsed();
        let e = r.expect_err(what);
        assert_eq!(e.kind(), ErrorKind::DockerUnavailable, "{what}: {e:?}");
        assert!(took < FAIL_FAST, "{what} took {took:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("start dockerd") || msg.contains("Start dockerd"),
            "{what}: {msg}"
        );
        messages.push(msg);
    };
    macro_rules! call {
        ($what:expr, $e:expr) => {{
            let t = Instant::now();
            let r = $e.await.map(|_| ());
            check($what, t, r);
        }};
    }
    call!("ping", client.ping());
    call!("list", client.list());
    call!("list_sandboxes", client.list_sandboxes());
    call!("list_detailed", client.list_detailed());
    call!("get", client.get("anything"));
    call!("inspect", client.inspect("anything"));
    call!("stop", client.stop("anything"));
    call!("remove", client.remove("anything"));
    call!("run", builder(client, ws).run());
    if let Some(sb) = handle {
        call!("exec", sb.exec(["true"]));
        call!("status", sb.status());
        call!("inspect (handle)", sb.inspect());
        call!("write_file", sb.write_file("/tmp/x", "x"));
        call!("read_file", sb.read_file("/etc/passwd"));
        call!("stop (handle)", sb.stop());
        call!("remove (handle)", sb.remove());
    }
    messages
}

/// Every CLI command against `host`: status 125, one line, the same message.
fn every_cli_command_fails_fast(host: &str, ws: &Path) {
    let ws = ws.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["ls"],
        &["ls", "-q"],
        &["ls", "--json"],
        &["inspect", "anything"],
        &["stop", "anything"],
        &["rm", "anything"],
        &["rm", "-f", "anything"],
        &["exec", "anything", "true"],
        &[
            "run",
            "-d",
            "-q",
            "--network",
            "none",
            "-t",
            BUSYBOX,
            "-w",
            ws,
            "shell",
        ],
        &[
            "run",
            "-q",
            "--network",
            "none",
            "-t",
            BUSYBOX,
            "-w",
            ws,
            "shell",
            "-c",
            "true",
        ],
    ];
    let mut first: Option<String> = None;
    for args in commands {
        for via_flag in [false, true] {
            let mut c = cli();
            if via_flag {
                c.arg("-H").arg(host).env_remove("DOCKER_HOST");
            } else {
                c.env("DOCKER_HOST", host);
            }
            let t = Instant::now();
            let out = c.args(*args).output().unwrap();
            let took = t.elapsed();
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_eq!(out.status.code(), Some(125), "{args:?}: {err}");
            assert!(took < FAIL_FAST, "{args:?} took {took:?}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(
                err.contains("Docker daemon not reachable at"),
                "{args:?}: {err}"
            );
            assert!(err.contains(host), "{args:?} does not name {host}: {err}");
            match &first {
                None => first = Some(err),
                Some(f) => assert_eq!(&err, f, "{args:?}: not the same error"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_down_every_api_and_command_fails_fast_and_nothing_is_left_half_made() {
    let scratch = tempfile::tempdir().unwrap();
    let ws = workspace(scratch.path(), "down");

    // No engine at that address at all: connecting says so at once.
    let nowhere = "unix:///nonexistent/docker.sock";
    let e = Client::connect_to(Some(nowhere)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DockerUnavailable, "{e:?}");
    assert!(e.to_string().contains(nowhere), "{e}");
    every_cli_command_fails_fast(nowhere, &ws);
    // A socket file nobody listens on (an engine that died without cleaning up).
    let stale = scratch.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let stale = format!("unix://{}", stale.display());
    let client = Client::connect_to(Some(&stale)).unwrap();
    let messages = every_api_fails_fast(&client, &ws, None).await;
    assert!(messages.iter().all(|m| m.contains(&stale)), "{messages:?}");
    every_cli_command_fails_fast(&stale, &ws);

    // An engine that was there and stopped, with a sandbox handle in hand.
    let Some(mut daemon) = PrivateDaemon::start() else {
        return;
    };
    let client = daemon.client();
    let sb = builder(&client, &ws).run().await.unwrap();
    daemon.stop();
    let fresh = workspace(scratch.path(), "never-made");
    let messages = every_api_fails_fast(&client, &fresh, Some(&sb)).await;
    assert!(
        messages.iter().all(|m| m.contains(&daemon.host)),
        "{messages:?}"
    );
    every_cli_command_fails_fast(&daemon.host, &fresh);

    // Back up: nothing half-made for the workspace whose `run` failed, the old sandbox intact.
    daemon.spawn();
    let key = format!(
        "label={}={}",
        docksandbox::label_keys::WORKSPACE,
        fresh.display()
    );
    assert_eq!(daemon.docker(&["ps", "-aq", "--filter", &key]), "");
    // (The exec helper's shared volumes, made by the first sandbox, stay.)
    let volumes = daemon.docker(&["volume", "ls", "-q"]);
    let volumes: Vec<&str> = volumes
        .lines()
        .filter(|v| !v.starts_with("docksandbox-execd-"))
        .collect();
    assert_eq!(volumes, Vec::<&str>::new());
    let all = daemon.docker(&["ps", "-aq", "--no-trunc"]);
    assert_eq!(all.trim(), sb.id());
    let again = builder(&client, &ws).run().await.unwrap();
    assert_eq!(again.id(), sb.id());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_killed_or_removed_behind_our_back_is_revived_or_recreated() {
    let env = env_or_skip!();
    let ws = env.workspace("behind-our-back");
    let sb = env.builder(&ws).run().await.unwrap();

    // Killed: exec is a typed error, `run` starts the same container again and says so.
    docker(&["kill", sb.id()]);
    let e = sb.exec(["true"]).await.unwrap_err();
    assert!(matches!(e, Error::NotRunning { .. }), "{e:?}");
    let out = cli().args(["exec", sb.name(), "true"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(
        err.contains("is not running") && err.contains("docksandbox run"),
        "{err}"
    );
    let out = cli()
        .args(["run", "-d", "-t", BUSYBOX, "-w"])
        .arg(&ws)
        .args(["--label", &format!("{TEST_LABEL}={}", env.run_id), "shell"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), sb.name());
    assert!(
        err.contains(&format!(
            "sandbox `{}` was stopped; starting it again",
            sb.name()
        )),
        "{err}"
    );
    assert!(sb.exec(["true"]).await.unwrap().success());

    // Removed: exec on the handle is NotFound; `run` creates a new one.
    docker(&["rm", "-f", sb.id()]);
    let e = sb.exec(["true"]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    assert!(e.to_string().contains("docksandbox ls"), "{e}");
    let e = sb.status().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    let new = env.builder(&ws).run().await.unwrap();
    assert_ne!(new.id(), sb.id());
    assert!(new.exec(["true"]).await.unwrap().success());
    assert_eq!(env.containers(), vec![new.id()[..12].to_string()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rm_never_deletes_workspace_files_or_credentials_volumes() {
    let agent_name = format!("faultrm{}", std::process::id());
    let volume = docksandbox::credentials_volume(&agent_name);
    struct DropVolume(String);
    impl Drop for DropVolume {
        fn drop(&mut self) {
            docker(&["volume", "rm", "-f", &self.0]);
        }
    }
    // Declared before the env: dropped after it, once the last sandbox using it is gone.
    let _cleanup = DropVolume(volume.clone());
    let env = env_or_skip!();
    let agent = Agent::custom(&agent_name, "sh").with_credential_paths([".login"]);

    for (i, via_cli) in [false, true].into_iter().enumerate() {
        let ws = env.workspace(&format!("rm-keeps-{i}"));
        std::fs::write(ws.join("host-file"), "mine").unwrap();
        let sb = env
            .builder(&ws)
            .agent(agent.clone())
            .credentials(CredentialsMode::Sandbox)
            .run()
            .await
            .unwrap();
        let out = sb
            .exec([
                "sh",
                "-c",
                "mkdir -p sub && echo made > sub/in-sandbox && echo token > ~/.login/token && cat ~/.login/token",
            ])
            .await
            .unwrap();
        assert_eq!(out.stdout_str(), "token\n", "{out:?}");
        if via_cli {
            let out = cli().args(["rm", "-f", sb.name()]).output().unwrap();
            assert!(out.status.success(), "{out:?}");
        } else {
            sb.remove_with(true).await.unwrap();
        }
        assert!(env.containers().is_empty());
        assert_eq!(
            std::fs::read_to_string(ws.join("host-file")).unwrap(),
            "mine"
        );
        assert_eq!(
            std::fs::read_to_string(ws.join("sub/in-sandbox")).unwrap(),
            "made\n"
        );
        assert_eq!(
            docker(&[
                "volume",
                "ls",
                "-q",
                "--filter",
                &format!("name=^{volume}$")
            ])
            .trim(),
            volume
        );
    }
    // The login is still in the volume: a new sandbox of the agent sees it.
    let ws = env.workspace("rm-keeps-after");
    let sb = env
        .builder(&ws)
        .agent(agent)
        .credentials(CredentialsMode::Sandbox)
        .run()
        .await
        .unwrap();
    let out = sb.exec(["sh", "-c", "cat ~/.login/token"]).await.unwrap();
    assert_eq!(out.stdout_str(), "token\n", "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planted_secret_appears_in_no_listing_label_log_or_error() {
    let env = env_or_skip!();
    let ws = env.workspace("secrets");
    let nonce = &env.run_id;
    let api_key = format!("sk-planted-api-{nonce}");
    let token = format!("planted-token-{nonce}");
    let forwarded = format!("planted-forwarded-{nonce}");
    let changed = format!("sk-planted-changed-{nonce}");
    // Shaped like a GitHub token: a word an error could take for a variable name.
    let gh_token = format!("ghp_{}", "A1b2".repeat(9));
    let secrets = [&api_key, &token, &forwarded, &changed, &gh_token];
    let leaks = |what: &str, text: &str| {
        for s in secrets {
            assert!(!text.contains(s.as_str()), "{what} shows a secret: {text}");
        }
    };

    let sb = env
        .builder(&ws)
        .env("ANTHROPIC_API_KEY", &api_key)
        .env("MY_TOKEN", &token)
        .run()
        .await
        .unwrap();
    // A host variable an agent forwards to its own process (never to the container's config).
    let key_var = format!("DSF_API_KEY_{}", std::process::id());
    std::env::set_var(&key_var, &forwarded);
    let agent = Agent::custom("faultsecret", "sh").with_api_key_env([key_var.as_str()]);
    let with_key = env
        .builder(&env.workspace("secrets-forwarded"))
        .agent(agent)
        .run()
        .await
        .unwrap();
    let out = with_key
        .run_agent(
            &[
                "-c".into(),
                format!("test \"${key_var}\" = {forwarded} && echo forwarded"),
            ],
            Default::default(),
        )
        .await
        .unwrap();
    std::env::remove_var(&key_var);
    assert_eq!(out.stdout_str(), "forwarded\n", "{out:?}");
    let raw = docker_inspect(with_key.id());
    assert!(
        !raw.to_string().contains(&forwarded),
        "the forwarded key was stored: {raw}"
    );
    leaks("docker logs", &docker(&["logs", with_key.id()]));

    // The engine's view: no label holds a secret (the container's Env holds what was asked).
    let raw = docker_inspect(sb.id());
    leaks(
        "docker inspect Labels",
        &raw["Config"]["Labels"].to_string(),
    );
    leaks("docker logs", &docker(&["logs", sb.id()]));

    // The library's views.
    leaks("list", &format!("{:?}", env.client.list().await.unwrap()));
    leaks("inspect", &format!("{:?}", sb.inspect().await.unwrap()));
    leaks("spec", &format!("{:?}", sb.spec()));
    let detailed = env.client.list_detailed().await.unwrap();
    leaks("list_detailed", &serde_json::to_string(&detailed).unwrap());

    // Errors: a changed secret (the drift error lists it), a secret passed without its name.
    let e = env
        .builder(&ws)
        .env("ANTHROPIC_API_KEY", &changed)
        .env("MY_TOKEN", &token)
        .run()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConfigChanged, "{e:?}");
    assert!(e.to_string().contains("env.ANTHROPIC_API_KEY"), "{e}");
    leaks("the drift error", &format!("{e} {e:?}"));

    // The CLI's views, with and without --debug.
    for debug in [false, true] {
        let with = |args: &[&str]| {
            let mut c = cli();
            if debug {
                c.arg("--debug");
            }
            let out = c.args(args).output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            leaks(&format!("docksandbox {args:?} (debug: {debug})"), &text);
            (out.status.code(), text)
        };
        with(&["ls"]);
        let (_, json) = with(&["ls", "--json"]);
        assert!(json.contains(sb.name()), "{json}");
        with(&["inspect", sb.name()]);
        let label = format!("{TEST_LABEL}={}", env.run_id);
        let ws_arg = ws.to_str().unwrap();
        let changed_env = format!("ANTHROPIC_API_KEY={changed}");
        let token_env = format!("MY_TOKEN={token}");
        let (code, text) = with(&[
            "run",
            "-d",
            "-t",
            BUSYBOX,
            "-w",
            ws_arg,
            "--label",
            &label,
            "-e",
            &changed_env,
            "-e",
            &token_env,
            "shell",
        ]);
        assert_eq!(code, Some(125), "{text}");
        // A secret given without its name is not echoed in the error.
        for alone in [&api_key, &gh_token] {
            let (code, text) = with(&["run", "-d", "-w", ws_arg, "-e", alone, "shell"]);
            assert_eq!(code, Some(125), "{text}");
            assert!(text.contains("not KEY=VALUE"), "{text}");
        }
        // Creating one with --debug logs requests: none carries a secret.
        let other = env.workspace(&format!("secrets-cli-{debug}"));
        let api_env = format!("ANTHROPIC_API_KEY={api_key}");
        let (code, text) = with(&[
            "run",
            "-d",
            "-t",
            BUSYBOX,
            "-w",
            other.to_str().unwrap(),
            "--label",
            &label,
            "-e",
            &api_env,
            "-e",
            &token_env,
            "shell",
        ]);
        assert_eq!(code, Some(0), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_swapped_for_a_symlink_during_run_never_mounts_what_was_not_validated() {
    let env = env_or_skip!();
    let ws = env.workspace("swapped");
    let decoy = env.workspace("decoy");
    std::fs::write(ws.join("REAL"), "").unwrap();
    std::fs::write(decoy.join("DECOY"), "").unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Flips `ws` between the real directory and a symlink to the decoy, as fast as it can.
    let flipper = {
        let (ws, decoy, stop) = (ws.clone(), decoy.clone(), stop.clone());
        std::thread::spawn(move || {
            let real = ws.with_extension("real");
            let link = ws.with_extension("link");
            let mut flips = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::fs::rename(&ws, &real).unwrap();
                std::os::unix::fs::symlink(&decoy, &link).unwrap();
                std::fs::rename(&link, &ws).unwrap();
                std::thread::yield_now();
                std::fs::rename(&ws, &link).unwrap();
                std::fs::remove_file(&link).unwrap();
                std::fs::rename(&real, &ws).unwrap();
                flips += 1;
            }
            flips
        })
    };
    let (mut ok, mut refused, mut mismatch) = (0, 0, 0);
    for _ in 0..30 {
        match env.builder(&ws).run().await {
            Ok(sb) => {
                ok += 1;
                let w = sb.workspace().to_path_buf();
                let out = sb.exec(["ls", "-a", w.to_str().unwrap()]).await.unwrap();
                let listing = out.stdout_str();
                let expect = if w == ws { "REAL" } else { "DECOY" };
                assert!(
                    listing.contains(expect) && listing.lines().count() == 3,
                    "workspace {} validated, but the sandbox sees: {listing}",
                    w.display()
                );
                sb.remove_with(true).await.unwrap();
            }
            Err(Error::MountMismatch { .. }) => mismatch += 1,
            Err(e) if e.kind() == ErrorKind::InvalidSpec => refused += 1,
            Err(e) => panic!("unexpected: {e:?}"),
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let flips = flipper.join().unwrap();
    eprintln!(
        "swap race: {flips} flips; {ok} runs, {refused} refused, {mismatch} mount mismatches"
    );
    // A mismatch removed its container; every successful run was removed above.
    assert!(env.containers().is_empty(), "{:?}", env.containers());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_sandbox_keeps_its_live_policy_across_a_dockerd_restart() {
    let Some(mut daemon) = PrivateDaemon::start_bridged() else {
        return;
    };
    let client = daemon.client();
    let ws = workspace(daemon.dir.path(), "proxied");
    let mut policy = docksandbox::NetworkPolicy::deny_by_default();
    for name in ["allowed.test", "other.test"] {
        policy
            .hosts
            .insert(name.into(), vec!["198.51.100.77".parse().unwrap()]);
    }
    let proxied = |client: &Client| {
        builder(client, &ws)
            .network(NetworkMode::Proxy)
            .network_policy(policy.clone())
    };
    let sb = proxied(&client).run().await.unwrap();
    // What the proxy answers a CONNECT (a TLS port: it answers before dialing anything).
    let answer = |sb: Sandbox, host: &'static str| async move {
        let script = format!(
            "printf 'CONNECT {host}:443 HTTP/1.1\\r\\nHost: {host}\\r\\n\\r\\n' | nc -w 2 docksandbox-proxy 3128 | head -1"
        );
        sb.exec(["sh", "-c", &script]).await.unwrap().stdout_str()
    };
    assert!(answer(sb.clone(), "allowed.test").await.contains("403"));
    sb.allow_hosts(&["allowed.test".parse().unwrap()])
        .await
        .unwrap();
    assert!(answer(sb.clone(), "allowed.test").await.contains("200"));

    daemon.restart();
    let client = daemon.client();
    // The engine restarted: the sandbox is brought back by `run`, its proxy by the engine or `run`,
    // with the live change (kept in the proxy's volume), and the rest still refused.
    let again = proxied(&client).run().await.unwrap();
    assert_eq!(again.id(), sb.id());
    let in_force = again.network_policy().await.unwrap();
    assert!(
        in_force
            .allow
            .iter()
            .any(|r| r.to_string() == "allowed.test"),
        "{in_force:?}"
    );
    assert!(answer(again.clone(), "allowed.test").await.contains("200"));
    assert!(answer(again.clone(), "other.test").await.contains("403"));
    again.remove().await.unwrap();
    assert!(
        daemon.docker(&["ps", "-aq"]).trim().is_empty(),
        "the proxy was removed with it"
    );
}

/// A review-mode sandbox's writes live in docksandbox's layer on the host, not in the daemon:
/// after dockerd restarts, the sandbox's processes see them again and the host still has none.
#[tokio::test(flavor = "multi_thread")]
async fn review_mode_writes_survive_a_dockerd_restart() {
    let Some(mut daemon) = PrivateDaemon::start() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let ws = workspace(scratch.path(), "review restart");
    std::fs::write(ws.join("file"), "host\n").unwrap();
    let client = daemon.client();
    let sb = builder(&client, &ws)
        .workspace_mode(docksandbox::WorkspaceMode::Review)
        .run()
        .await
        .unwrap();
    let out = sb
        .exec(["sh", "-c", "echo agent > file; echo new > added"])
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");

    daemon.restart();

    let again = builder(&client, &ws)
        .workspace_mode(docksandbox::WorkspaceMode::Review)
        .run()
        .await
        .unwrap();
    assert_eq!(again.id(), sb.id());
    let out = again.exec(["cat", "file", "added"]).await.unwrap();
    assert_eq!(out.stdout_str(), "agent\nnew\n");
    assert_eq!(std::fs::read_to_string(ws.join("file")).unwrap(), "host\n");
    assert!(!ws.join("added").exists());
    assert_eq!(again.diff().await.unwrap().len(), 2);
    again.remove().await.unwrap();
}
