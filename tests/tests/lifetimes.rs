//! Lifetimes: ephemeral sandboxes (always new, removed on close, and removed by the next call
//! when their owner process died), time to live, and idle stop (a sandbox with a process of
//! its own running is not idle; an idle-stopped one comes back on use). Checked on the engine.

use std::time::Duration;

use docksandbox::{Error, SandboxStatus};
use docksandbox_tests::{cli, docker, env_or_skip, BUSYBOX, TEST_LABEL};

fn exists(name: &str) -> bool {
    !docker(&["ps", "-aq", "--filter", &format!("name=^{name}$")])
        .trim()
        .is_empty()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ephemeral_sandbox_is_always_new_and_goes_on_close() {
    let env = env_or_skip!();
    let ws = env.workspace("ephemeral");
    let lasting = env.builder(&ws).run().await.unwrap();
    let a = env.builder(&ws).ephemeral(true).run().await.unwrap();
    let b = env.builder(&ws).ephemeral(true).run().await.unwrap();
    assert!(a.name().starts_with(lasting.name()), "{}", a.name());
    let ids = [lasting.id(), a.id(), b.id()];
    assert!(ids[0] != ids[1] && ids[1] != ids[2], "{ids:?}");
    // A lasting `run` still finds the lasting sandbox, not an ephemeral one.
    assert_eq!(env.builder(&ws).run().await.unwrap().id(), lasting.id());
    a.close().await.unwrap();
    assert!(!exists(a.name()), "closed ephemeral sandbox still there");
    assert!(
        !exists(&format!("{}-proxy", a.name())),
        "its proxy still there"
    );
    lasting.close().await.unwrap();
    assert_eq!(lasting.status().await.unwrap(), SandboxStatus::Stopped);
    assert!(exists(lasting.name()), "a lasting sandbox is only stopped");
    b.close().await.unwrap();

    // `--rm` with the name of an existing sandbox: refused, nothing made.
    let before = env.all_labelled();
    let e = env
        .builder(&ws)
        .ephemeral(true)
        .name(lasting.name())
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidSpec { field, .. } if field == "ephemeral"),
        "{e:?}"
    );
    assert_eq!(env.all_labelled(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_sessions_sandbox_is_removed_by_the_next_call() {
    let env = env_or_skip!();
    let ws = env.workspace("crashed");
    let mut child = std::process::Command::new(cli().get_program())
        .args(["run", "-q", "--rm", "--label"])
        .arg(format!("{TEST_LABEL}={}", env.run_id))
        .args(["-t", BUSYBOX, "-w"])
        .arg(&ws)
        .args(["shell", "-c", "sleep 120"])
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let name = loop {
        let names: Vec<String> = env
            .client
            .list()
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.labels.get(TEST_LABEL) == Some(&env.run_id))
            .map(|s| s.name)
            .collect();
        if let Some(n) = names.into_iter().next() {
            break n;
        }
        assert!(child.try_wait().unwrap().is_none(), "the CLI exited early");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Its owner is alive: nothing is collected.
    let r = env.client.collect_garbage().await.unwrap();
    assert!(!r.removed.iter().any(|(n, _)| *n == name), "{r:?}");
    assert!(exists(&name));
    child.kill().unwrap();
    child.wait().unwrap();
    // Every listing collects first, so another test's call may be the one that removes it;
    // whichever call does, the reason is the dead owner and the engine no longer has it.
    let r = env.client.collect_garbage().await.unwrap();
    if let Some((_, why)) = r.removed.iter().find(|(n, _)| *n == name) {
        assert!(why.contains("owner process"), "{r:?}");
    }
    // A concurrent collector may still be in the middle of removing it.
    for _ in 0..100 {
        if !exists(&name) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !exists(&name),
        "the crashed session's sandbox is still there"
    );
    assert!(!exists(&format!("{name}-proxy")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sandbox_past_its_ttl_is_removed() {
    let env = env_or_skip!();
    let ws = env.workspace("ttl");
    // Long enough to be made under a loaded CI (a concurrent collection removes an expired
    // sandbox even while it is being made).
    let ttl = Duration::from_secs(6);
    let made = std::time::Instant::now();
    let sb = env.builder(&ws).ttl(ttl).run().await.unwrap();
    let keep = env.builder(&env.workspace("no ttl")).run().await.unwrap();
    tokio::time::sleep(
        (made + ttl + Duration::from_millis(1100))
            .saturating_duration_since(std::time::Instant::now()),
    )
    .await;
    // `list` collects first: the expired one is gone from what it shows, and from the engine.
    let names: Vec<String> = env
        .client
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(!names.contains(&sb.name().to_string()), "{names:?}");
    assert!(names.contains(&keep.name().to_string()));
    assert!(!exists(sb.name()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_sandbox_stops_unless_busy_and_comes_back_on_use() {
    let env = env_or_skip!();
    let ws = env.workspace("idle");
    let sb = env
        .builder(&ws)
        .idle_stop(Duration::from_secs(1))
        .run()
        .await
        .unwrap();
    // A daemon of its own (a dev server) keeps it busy.
    let out = sb.exec(["httpd", "-p", "8080", "-h", "/"]).await.unwrap();
    assert_eq!(out.exit_code, 0, "{out:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let r = env.client.collect_garbage().await.unwrap();
    assert!(
        !r.stopped.contains(&sb.name().to_string()),
        "stopped while busy: {r:?}"
    );
    assert_eq!(sb.status().await.unwrap(), SandboxStatus::Running);
    sb.exec(["killall", "httpd"]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Stopped by this collection, or by a concurrent test's (every `run` and `list` collects).
    env.client.collect_garbage().await.unwrap();
    assert_eq!(sb.status().await.unwrap(), SandboxStatus::Stopped);
    let info = env
        .client
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == sb.name())
        .unwrap();
    assert!(info.idle_stopped, "{info:?}");
    // Used again: started transparently.
    let back = env.client.resume(sb.name()).await.unwrap();
    assert_eq!(back.status().await.unwrap(), SandboxStatus::Running);
    assert_eq!(
        back.exec(["echo", "back"]).await.unwrap().stdout_str(),
        "back\n"
    );
    // A user's own stop is not an idle stop: `resume` leaves it stopped.
    back.stop().await.unwrap();
    let again = env.client.resume(sb.name()).await.unwrap();
    assert_eq!(again.status().await.unwrap(), SandboxStatus::Stopped);
}
