//! The client: list, get (name, id, prefix), stop, remove, and errors that name the fix.

use docksandbox::{Claude, Client, ErrorKind, Sandbox, SandboxStatus, Shell};
use docksandbox_tests::{env_or_skip, BUSYBOX};

#[tokio::test(flavor = "multi_thread")]
async fn list_get_stop_and_remove() {
    let env = env_or_skip!();
    let ws = env.workspace("listed");
    let sb = env.builder(&ws).run().await.unwrap();

    let listed = env.client.list().await.unwrap();
    let me = listed.iter().find(|s| s.id == sb.id()).expect("listed");
    assert_eq!(me.name, sb.name());
    assert_eq!(me.agent, "shell");
    assert_eq!(me.workspace, ws.canonicalize().unwrap());
    assert_eq!(me.template, BUSYBOX);
    assert_eq!(me.status, SandboxStatus::Running);
    assert!(me.labels.contains_key(docksandbox_tests::TEST_LABEL));
    // Only docksandbox's containers are listed.
    let other = docksandbox_tests::docker(&[
        "create",
        "--label",
        &format!("{}={}", docksandbox_tests::TEST_LABEL, env.run_id),
        BUSYBOX,
        "true",
    ]);
    let other = other.trim();
    assert!(!env
        .client
        .list()
        .await
        .unwrap()
        .iter()
        .any(|s| s.id == other));
    let err = env.client.get(&other[..12]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    for reference in [sb.name(), sb.id(), &sb.id()[..10]] {
        assert_eq!(
            env.client.get(reference).await.unwrap().id(),
            sb.id(),
            "{reference}"
        );
    }
    let got = env.client.get(sb.name()).await.unwrap();
    assert_eq!(got.workspace(), sb.workspace());
    assert_eq!(
        got.exec(["pwd"]).await.unwrap().stdout_str().trim(),
        ws.to_str().unwrap()
    );

    // Detailed listing and inspect by reference.
    let detailed = env.client.list_detailed().await.unwrap();
    let me = detailed
        .iter()
        .find(|s| s.id == sb.id())
        .expect("listed in detail");
    assert!(me.security.is_some() && me.mounts.is_some());
    assert_eq!(env.client.inspect(sb.name()).await.unwrap().id, sb.id());
    // A running sandbox is removed only when forced.
    let err = sb.remove_with(false).await.unwrap_err();
    assert!(matches!(err, docksandbox::Error::Running { .. }), "{err:?}");
    assert!(err.to_string().contains("rm -f"), "{err}");

    env.client.stop(sb.name()).await.unwrap();
    assert_eq!(sb.status().await.unwrap(), SandboxStatus::Stopped);
    let err = sb.exec(["true"]).await.unwrap_err();
    assert!(
        err.to_string().contains("not running") || err.to_string().contains("is not running"),
        "{err}"
    );
    env.client.remove(sb.name()).await.unwrap();
    let err = env.client.get(sb.name()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("docksandbox ls"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_name_the_fix_and_leave_nothing_behind() {
    let env = env_or_skip!();
    let ws = env.workspace("errors");

    // No engine at that address: refused at connect time…
    let err = Client::connect_to(Some("unix:///tmp/docksandbox-no-such.sock")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DockerUnavailable, "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("/tmp/docksandbox-no-such.sock") && msg.contains("DOCKER_HOST"),
        "{msg}"
    );
    // …and a socket nobody listens on, at the first request.
    let dead = ws.join("dead.sock");
    drop(std::os::unix::net::UnixListener::bind(&dead).unwrap());
    let dead_client = Client::connect_to(Some(&format!("unix://{}", dead.display()))).unwrap();
    let err = Sandbox::builder()
        .client(dead_client)
        .workspace(&ws)
        .agent(Shell)
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DockerUnavailable, "{err:?}");
    assert!(err.to_string().contains("Start dockerd"), "{err}");

    // A template that does not exist (and cannot be pulled).
    let err = env
        .builder(&ws)
        .template("docksandbox-test/missing:never")
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Image, "{err:?}");
    assert!(err.to_string().contains("docksandbox-test/missing:never"));
    assert!(env.containers().is_empty(), "a failed run left a container");

    // A template without the agent's program.
    let sb = env.builder(&ws).agent(Claude).run().await.unwrap();
    let err = sb.run_agent(&[], Default::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Image, "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("claude") && msg.contains(BUSYBOX) && msg.contains("--template"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shell_agent_falls_back_to_sh() {
    let env = env_or_skip!();
    let ws = env.workspace("shell-agent");
    let sb = env.builder(&ws).run().await.unwrap();
    let cmd = sb
        .agent_command(&["-c".into(), "echo hi".into()])
        .await
        .unwrap();
    assert_eq!(cmd, ["sh", "-c", "echo hi"], "busybox has no bash");
    let out = sb
        .run_agent(&["-c".into(), "echo hi".into()], Default::default())
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "hi\n");
}
