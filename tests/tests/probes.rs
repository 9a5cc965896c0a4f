//! Probes from inside a sandbox: what an untrusted agent tries, and what must fail.

use std::os::unix::fs::symlink;
use std::time::Duration;

use docksandbox::ExecOptions;
use docksandbox_tests::{env_or_skip, DEBIAN};

#[tokio::test(flavor = "multi_thread")]
async fn writes_outside_the_workspace_never_reach_the_host() {
    let env = env_or_skip!();
    let ws = env.workspace("probe-writes");
    let outside = env.workspace("outside-secret");
    std::fs::write(outside.join("secret.txt"), "host secret").unwrap();
    // A symlink planted in the workspace pointing at a host path.
    symlink(&outside, ws.join("escape")).unwrap();
    symlink("/etc/hostname", ws.join("hostname-link")).unwrap();
    let host_hostname = std::fs::read("/etc/hostname").unwrap_or_default();

    let sb = env.builder(&ws).run().await.unwrap();
    let out = sb
        .exec([
            "sh",
            "-c",
            "echo pwned > /tmp/pwned; echo pwned > /etc/pwned; \
             cat escape/secret.txt; echo; echo pwned > escape/new.txt; \
             echo pwned > hostname-link; ls /proc/1/root/ >/dev/null; true",
        ])
        .await
        .unwrap();
    // The host directory behind the symlink is not there: the link resolves inside the sandbox.
    assert!(!out.stdout_str().contains("host secret"), "{out:?}");
    assert!(!outside.join("new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(outside.join("secret.txt")).unwrap(),
        "host secret"
    );
    assert_eq!(
        std::fs::read("/etc/hostname").unwrap_or_default(),
        host_hostname
    );
    assert!(!std::path::Path::new("/etc/pwned").exists());
    assert!(!std::path::Path::new("/tmp/pwned").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn privileged_operations_fail() {
    let env = env_or_skip!();
    let ws = env.workspace("probe-privileged");
    let sb = env.builder(&ws).template(DEBIAN).run().await.unwrap();
    // Even as root inside the sandbox.
    for probe in [
        "mount -t tmpfs none /mnt",
        "unshare -m true",
        "unshare -U -r true",
        "echo 1 > /proc/sys/kernel/sysrq",
    ] {
        let out = sb
            .exec_with(["sh", "-c", probe], ExecOptions::default().user("0:0"))
            .await
            .unwrap();
        assert_ne!(out.exit_code, 0, "`{probe}` succeeded: {out:?}");
    }
    // keyctl is filtered by the engine's seccomp profile (no keyctl binary needed: perl syscall).
    let out = sb
        .exec_with(
            [
                "perl",
                "-e",
                "exit(syscall(250, 0, 0, 0, 0, 0) == -1 ? 1 : 0)",
            ],
            ExecOptions::default().user("0:0"),
        )
        .await;
    if let Ok(out) = out {
        assert_ne!(out.exit_code, 0, "keyctl(2) succeeded: {out:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn proc_self_fd_working_directories_give_no_host_access() {
    let env = env_or_skip!();
    let ws = env.workspace("probe-cwd");
    let sb = env.builder(&ws).run().await.unwrap();
    // CVE-2024-21626 class: a working directory through a leaked fd must not reach the host.
    for n in 1..=20 {
        let wd = format!("/proc/self/fd/{n}");
        let r = sb
            .exec_with(
                ["sh", "-c", "cat ../../../../etc/hostname 2>/dev/null; ls ../../../../root 2>/dev/null | head -1"],
                ExecOptions::default().workdir(wd.clone()),
            )
            .await;
        if let Ok(out) = r {
            let host_name = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
            let inside = sb
                .exec(["cat", "/etc/hostname"])
                .await
                .unwrap()
                .stdout_str();
            if !host_name.trim().is_empty() && host_name.trim() != inside.trim() {
                assert!(
                    !out.stdout_str().contains(host_name.trim()),
                    "{wd} reached the host: {out:?}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_bomb_hits_the_pids_limit_and_a_memory_hog_the_memory_limit() {
    let env = env_or_skip!();
    let ws = env.workspace("probe-limits");
    let sb = env
        .builder(&ws)
        .pids_limit(64)
        .memory(64 << 20)
        .run()
        .await
        .unwrap();
    // Fork bomb: bounded by the pids limit; the sandbox (and the host) survive.
    let out = sb
        .exec_with(
            [
                "sh",
                "-c",
                "i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; ps | wc -l",
            ],
            ExecOptions::default().timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let procs: usize = out.stdout_str().trim().parse().unwrap_or(0);
    assert!(procs <= 70, "more processes than the pids limit: {procs}");
    // Memory hog: killed by the memory limit (128 MiB of data in a 64 MiB sandbox).
    let out = sb
        .exec_with(
            [
                "sh",
                "-c",
                "head -c 134217728 /dev/zero | tr '\\0' x | { v=$(cat); echo ${#v}; }",
            ],
            ExecOptions::default().timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_ne!(
        out.stdout_str().trim(),
        "134217728",
        "the hog got all its memory: {out:?}"
    );
    // Still alive and usable.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        sb.exec(["echo", "alive"]).await.unwrap().stdout_str(),
        "alive\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_in_the_workspace_changes_the_sandbox_settings() {
    let env = env_or_skip!();
    let ws = env.workspace("probe-config");
    std::fs::write(ws.join(".env"), "DOCKSANDBOX_TEMPLATE=evil\nNETWORK=host\n").unwrap();
    std::fs::write(
        ws.join("docksandbox.json"),
        r#"{"mount_docker_socket": true, "privileged": true}"#,
    )
    .unwrap();
    std::fs::write(ws.join(".dockerignore"), "*").unwrap();
    symlink("/var/run/docker.sock", ws.join("docker.sock")).unwrap();
    let sb = env.builder(&ws).run().await.unwrap();
    let info = sb.inspect().await.unwrap();
    assert!(!info.docker_socket);
    assert!(!info.security.unwrap().privileged);
    // The default: its own isolated network (the one of `proxy` mode), whatever the files say.
    assert_eq!(sb.spec().network, Some(docksandbox::NetworkMode::Proxy));
    assert_eq!(info.network, Some(format!("{}-net", sb.name())));
    assert!(info.env.is_empty(), "{:?}", info.env);
    let out = sb.exec(["sh", "-c", "test -S docker.sock"]).await.unwrap();
    assert_ne!(
        out.exit_code, 0,
        "the planted socket link reaches the engine"
    );
}
