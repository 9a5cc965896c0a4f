//! Behaviours 8, 9 and 10: the docker socket opt-in, hardened defaults, validation.

use std::os::unix::fs::symlink;
use std::path::PathBuf;

use docksandbox::{Error, ErrorKind, Mount, NetworkMode, Sandbox, Shell, DOCKER_SOCKET_TARGET};
use docksandbox_tests::{docker_inspect, env_or_skip, DEBIAN};

#[tokio::test(flavor = "multi_thread")]
async fn hardened_defaults_are_applied_and_reported() {
    let env = env_or_skip!();
    let ws = env.workspace("hardened");
    let sb = env.builder(&ws).run().await.unwrap();
    let info = sb.inspect().await.unwrap();
    let sec = info.security.clone().unwrap();
    assert!(!sec.privileged);
    assert!(sec.init);
    assert_eq!(sec.pids_limit, Some(4096));
    for cap in ["NET_RAW", "MKNOD"] {
        assert!(sec.cap_drop.iter().any(|c| c.ends_with(cap)), "{sec:?}");
    }
    assert!(sec.host_namespaces.is_empty(), "{sec:?}");
    assert!(!info.docker_socket && info.warnings.is_empty());

    // What the engine says matches what we report.
    let raw = docker_inspect(sb.id());
    assert_eq!(raw["HostConfig"]["Privileged"], false);
    assert_eq!(raw["HostConfig"]["Init"], true);
    assert_eq!(raw["HostConfig"]["PidsLimit"], 4096);

    // Inside: NET_RAW (bit 13) and MKNOD (bit 27) are not in the effective set, even for root.
    let out = sb
        .exec(["sh", "-c", "grep CapEff /proc/self/status"])
        .await
        .unwrap();
    let hex = out
        .stdout_str()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let caps = u64::from_str_radix(&hex, 16).unwrap();
    assert_eq!(caps & (1 << 13), 0, "NET_RAW present: {hex}");
    assert_eq!(caps & (1 << 27), 0, "MKNOD present: {hex}");
    let out = sb.exec(["mknod", "/tmp/dev", "c", "1", "3"]).await.unwrap();
    assert_ne!(out.exit_code, 0);
    // The init process is PID 1 and our keep-alive is its child.
    let out = sb.exec(["sh", "-c", "cat /proc/1/comm"]).await.unwrap();
    assert!(out.stdout_str().contains("init"), "{out:?}");
    // No docker socket unless asked for.
    let out = sb.exec(["test", "-e", DOCKER_SOCKET_TARGET]).await.unwrap();
    assert_ne!(out.exit_code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_docker_socket_is_mounted_only_on_request_and_usable_by_the_sandbox_user() {
    let env = env_or_skip!();
    let ws = env.workspace("socket");
    std::os::unix::fs::chown(&ws, Some(1234), Some(1234)).unwrap();
    let sb = env
        .builder(&ws)
        .template(DEBIAN)
        .mount_docker_socket(true)
        .run()
        .await
        .unwrap();
    let info = sb.inspect().await.unwrap();
    assert!(info.docker_socket);
    assert!(
        info.warnings.iter().any(|w| w.contains("Docker socket")),
        "{info:?}"
    );
    assert!(info
        .mounts
        .unwrap()
        .iter()
        .any(|m| m.target == DOCKER_SOCKET_TARGET));
    let out = sb
        .exec([
            "sh",
            "-c",
            "id -u; curl -s --unix-socket /var/run/docker.sock http://engine/_ping",
        ])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "1234\nOK", "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_and_network_are_applied() {
    let env = env_or_skip!();
    let ws = env.workspace("limits");
    let sb = env
        .builder(&ws)
        .cpus(0.5)
        .memory(256 << 20)
        .pids_limit(200)
        .network(NetworkMode::None)
        .run()
        .await
        .unwrap();
    let info = sb.inspect().await.unwrap();
    let r = info.resources.unwrap();
    assert_eq!(
        (r.cpus, r.memory, r.pids),
        (Some(0.5), Some(256 << 20), Some(200))
    );
    assert_eq!(info.network.as_deref(), Some("none"));
    let out = sb.exec(["sh", "-c", "ls /sys/class/net"]).await.unwrap();
    assert_eq!(out.stdout_str().trim(), "lo");
}

fn assert_refused(result: Result<docksandbox::SandboxSpec, Error>, field: &str, why: &str) {
    match result {
        Err(e @ Error::InvalidSpec { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains(field) && msg.contains(why),
                "{field}/{why}: {msg}"
            );
            assert_eq!(e.kind(), ErrorKind::InvalidSpec);
        }
        other => panic!("{field}/{why}: expected InvalidSpec, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dangerous_inputs_are_refused_and_nothing_is_created() {
    let env = env_or_skip!();
    // Without HOME the core reads the home directory from /etc/passwd (root here).
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    let ws = env.workspace("valid");
    let b = || Sandbox::builder().workspace(&ws).agent(Shell);
    let at = |p: &str| Sandbox::builder().workspace(p).agent(Shell);

    assert_refused(at("relative/dir").build(), "workspace", "relative");
    assert_refused(
        at("/definitely/missing/dir").build(),
        "workspace",
        "cannot be used",
    );
    assert_refused(at("/").build(), "workspace", "`/`");
    // Every system path, and two spelled the long way round.
    for sys in docksandbox::SYSTEM_PATHS
        .iter()
        .copied()
        .chain(["/usr/lib/../bin", "//etc/./"])
    {
        if std::path::Path::new(sys).exists() {
            assert_refused(at(sys).build(), "workspace", "system path");
        }
    }
    assert_refused(
        Sandbox::builder().workspace(&home).agent(Shell).build(),
        "workspace",
        "home directory",
    );
    assert_refused(at("/home").build(), "workspace", "");
    // A symlink in a harmless place that points at a refused place is judged by its target.
    let link = env.workspace("links").join("to-etc");
    symlink("/etc", &link).unwrap();
    assert_refused(
        Sandbox::builder().workspace(&link).agent(Shell).build(),
        "workspace",
        "system path",
    );

    // Mounts: targets and sources.
    assert_refused(
        b().mount(Mount::new(&ws, "/etc/x")).build(),
        "mounts[0].container",
        "system path",
    );
    assert_refused(
        b().mount(Mount::new(&ws, "/")).build(),
        "mounts[0].container",
        "`/`",
    );
    assert_refused(
        b().mount(Mount::new(&ws, "relative")).build(),
        "mounts[0].container",
        "relative",
    );
    assert_refused(
        b().mount(Mount::new(&ws, &ws)).build(),
        "mounts[0].container",
        "already mounted",
    );
    for secret in [".ssh", ".aws", ".docker", ".gnupg"] {
        let dir = home.join(secret);
        let made = !dir.exists();
        std::fs::create_dir_all(&dir).unwrap();
        assert_refused(
            b().mount(Mount::new(&dir, "/secrets")).build(),
            "mounts[0].host",
            "secrets",
        );
        if made {
            std::fs::remove_dir(&dir).unwrap();
        }
    }
    if std::path::Path::new("/var/run/docker.sock").exists() {
        assert_refused(
            b().volume("/var/run/docker.sock:/var/run/docker.sock")
                .build(),
            "mounts[0].host",
            "socket",
        );
        assert_refused(
            b().volume("/var/run/docker.sock:/x/docker.sock").build(),
            "mounts[0].host",
            "",
        );
    }
    assert_refused(b().volume("a:b:c:d").build(), "volume", "HOST:CONTAINER");

    // Env, names, limits.
    assert_refused(b().env("", "x").build(), "env", "empty");
    assert_refused(b().env("A=B", "x").build(), "env", "`=`");
    assert_refused(b().env("A\0B", "x").build(), "env", "NUL");
    assert_refused(b().env("A", "x\0y").build(), "env.A", "NUL");
    assert_refused(b().name("bad name!").build(), "name", "letters");
    assert_refused(b().cpus(0.0).build(), "cpus", "above 0");
    assert_refused(b().memory(1).build(), "memory", "6 MiB");
    assert_refused(b().pids_limit(0).build(), "pids_limit", "between");
    assert_refused(
        b().label("docksandbox.key", "x").build(),
        "labels",
        "reserved",
    );
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = PathBuf::from(std::ffi::OsStr::from_bytes(b"/tmp/\xff\xfe"));
        assert_refused(
            Sandbox::builder().workspace(bad).agent(Shell).build(),
            "workspace",
            "UTF-8",
        );
        let nul = PathBuf::from(std::ffi::OsStr::from_bytes(b"/tmp/a\0b"));
        assert_refused(
            Sandbox::builder().workspace(nul).agent(Shell).build(),
            "workspace",
            "NUL",
        );
    }

    // `run` validates too, before touching the engine.
    let err = env.builder(&ws).env("X=Y", "1").run().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSpec);
    let err = env
        .builder(&ws)
        .mount(Mount::new("/proc", "/p"))
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSpec);

    // Harmless look-alikes are accepted.
    for name in [".sshx", "etc", "usr", "proc", "x:y,z w"] {
        let p = env.workspace(name);
        b().mount(Mount::read_only(&p, format!("/srv/{name}")))
            .build()
            .unwrap();
        Sandbox::builder()
            .workspace(&p)
            .agent(Shell)
            .build()
            .unwrap();
    }
    assert!(
        env.containers().is_empty(),
        "validation failures created containers"
    );
}
