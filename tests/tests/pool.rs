//! The warm pool: members made in the background, handed out once each (also to 32 takers at
//! once), replaced, and removed with their workspaces when the pool closes or its owner dies.

use std::collections::HashSet;

use docksandbox::{label_keys, Error};
use docksandbox_tests::{docker, docker_inspect, env_or_skip};

/// The containers on the engine labelled as members of `pool`.
fn members(pool: &str) -> Vec<String> {
    docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label={}={pool}", label_keys::POOL),
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_sandbox_is_running_connected_and_replaced_and_close_removes_everything() {
    let env = env_or_skip!();
    let pool = env
        .pool_builder()
        .network(docksandbox::NetworkMode::None)
        .pool(2)
        .await
        .unwrap();
    pool.wait_ready().await.unwrap();
    let st = pool.status();
    assert_eq!((st.size, st.ready, st.taken), (2, 2, 0), "{st:?}");
    let sb = pool.take().await.unwrap();
    // Running, through the helper (its channel was opened while it waited), on an empty
    // private workspace of its own that is its working directory.
    let out = sb
        .exec([
            "sh",
            "-c",
            "tr '\\0' ' ' < /proc/$PPID/cmdline; echo; pwd; ls -A | wc -l",
        ])
        .await
        .unwrap();
    let ws = sb.spec().workspace.clone();
    assert_eq!(
        out.stdout_str(),
        format!("/mnt/docksandbox/bin/execd serve \n{}\n0\n", ws.display()),
        "{out:?}"
    );
    assert!(ws.is_dir());
    let labels = &docker_inspect(sb.id())["Config"]["Labels"];
    assert_eq!(labels[label_keys::POOL], pool.name());
    assert!(labels[label_keys::OWNER_PROCESS].is_string(), "{labels}");
    // The pool makes a replacement.
    pool.wait_ready().await.unwrap();
    let st = pool.status();
    assert_eq!((st.ready, st.taken), (2, 1), "{st:?}");
    assert_eq!(members(pool.name()).len(), 3);
    pool.close().await.unwrap();
    assert_eq!(members(pool.name()), Vec::<String>::new());
    assert!(
        !ws.exists(),
        "the member's workspace stayed: {}",
        ws.display()
    );
    match pool.take().await {
        Err(Error::InvalidSpec { reason, .. }) => assert!(reason.contains("closed"), "{reason}"),
        other => panic!("expected a closed pool's error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_two_concurrent_takers_each_get_a_sandbox_of_their_own() {
    let env = env_or_skip!();
    let pool = env
        .pool_builder()
        .network(docksandbox::NetworkMode::None)
        .pool(4)
        .await
        .unwrap();
    let takers = (0..32).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move { pool.take().await })
    });
    let taken: Vec<_> = futures_util::future::join_all(takers)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    let ids: HashSet<&str> = taken.iter().map(|s| s.id()).collect();
    assert_eq!(ids.len(), 32, "a sandbox was handed out twice");
    // Each is its own: a file written in one is in no other.
    taken[0]
        .exec(["sh", "-c", "echo mine > ./f"])
        .await
        .unwrap();
    let seen = taken[1].exec(["sh", "-c", "ls -A | wc -l"]).await.unwrap();
    assert_eq!(seen.stdout_str(), "0\n");
    assert_eq!(pool.status().taken, 32);
    pool.close().await.unwrap();
    assert_eq!(members(pool.name()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pool_refuses_a_workspace_a_name_clash_and_a_bad_size_and_makes_nothing() {
    let env = env_or_skip!();
    let ws = env.workspace("pool-ws");
    let e = env.builder(&ws).pool(2).await.unwrap_err();
    assert!(e.to_string().contains("fresh empty workspaces"), "{e}");
    let e = env.pool_builder().pool(0).await.unwrap_err();
    assert!(e.to_string().contains("1 to 256"), "{e}");
    let e = env
        .pool_builder()
        .name("bad name")
        .pool(1)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("letters, digits"), "{e}");
    let e = env
        .pool_builder()
        .label("docksandbox.pool", "forged")
        .pool(1)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidSpec { .. }), "{e:?}");
    assert_eq!(env.all_labelled(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn members_whose_image_cannot_be_had_fail_take_with_the_reason() {
    let env = env_or_skip!();
    let pool = env
        .pool_builder()
        .template("docksandbox/no-such-image:never")
        .network(docksandbox::NetworkMode::None)
        .pool(1)
        .await
        .unwrap();
    let e = pool.take().await.unwrap_err();
    assert!(e.to_string().contains("no-such-image"), "{e}");
    pool.close().await.unwrap();
    assert_eq!(members(pool.name()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pool_on_the_default_proxy_network_hands_out_sandboxes_with_their_proxy() {
    let env = env_or_skip!();
    let pool = env.pool_builder().pool(1).await.unwrap();
    let sb = pool.take().await.unwrap();
    let out = sb.exec(["sh", "-c", "echo $HTTPS_PROXY"]).await.unwrap();
    assert!(out.stdout_str().starts_with("http://"), "{out:?}");
    let name = sb.name().to_string();
    pool.close().await.unwrap();
    let left = docker(&["ps", "-aq", "--filter", &format!("name={name}")]);
    assert_eq!(left.trim(), "", "its proxy stayed");
}
