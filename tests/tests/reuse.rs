//! Behaviours 2 and 3: one sandbox per (workspace, agent), reuse, races and config drift.

use docksandbox::{label_keys, Error, NetworkMode, SandboxStatus};
use docksandbox_tests::{docker, env_or_skip};

#[tokio::test(flavor = "multi_thread")]
async fn run_reuses_the_sandbox_and_what_was_installed_persists() {
    let env = env_or_skip!();
    let ws = env.workspace("reuse");
    let first = env.builder(&ws).run().await.unwrap();
    let out = first
        .exec(["sh", "-c", "echo installed > /tmp/outside-workspace"])
        .await
        .unwrap();
    assert!(out.success());

    let again = env.builder(&ws).run().await.unwrap();
    assert_eq!(again.id(), first.id());

    first.stop().await.unwrap();
    assert_eq!(first.status().await.unwrap(), SandboxStatus::Stopped);
    let restarted = env.builder(&ws).run().await.unwrap();
    assert_eq!(restarted.id(), first.id());
    assert_eq!(restarted.status().await.unwrap(), SandboxStatus::Running);
    let out = restarted
        .exec(["cat", "/tmp/outside-workspace"])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "installed\n");

    // A paused sandbox is resumed.
    docker(&["pause", first.id()]);
    assert_eq!(first.status().await.unwrap(), SandboxStatus::Paused);
    let resumed = env.builder(&ws).run().await.unwrap();
    assert_eq!(resumed.id(), first.id());
    assert_eq!(resumed.status().await.unwrap(), SandboxStatus::Running);

    // Found by labels, not by name: a sandbox with a custom name is found again too.
    let ws2 = env.workspace("named");
    let named = env
        .builder(&ws2)
        .name(format!("custom-{}", env.run_id))
        .run()
        .await
        .unwrap();
    let found = env.builder(&ws2).run().await.unwrap();
    assert_eq!(found.id(), named.id());
    assert_eq!(env.containers().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_concurrent_runs_end_with_exactly_one_container() {
    let env = env_or_skip!();
    let ws = env.workspace("race");
    let runs = (0..10).map(|_| env.builder(&ws).run());
    let results = futures_util::future::join_all(runs).await;
    let ids: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("every concurrent run succeeds").id().to_string())
        .collect();
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    assert_eq!(env.containers().len(), 1);
    let key_filter = format!(
        "label={}={}",
        label_keys::WORKSPACE,
        ws.canonicalize().unwrap().display()
    );
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &key_filter])
            .lines()
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_config_is_refused_with_each_difference_unless_recreate() {
    let env = env_or_skip!();
    let ws = env.workspace("drift");
    let sb = env
        .builder(&ws)
        .env("MODE", "one")
        .env("API_TOKEN", "first-secret")
        .run()
        .await
        .unwrap();

    // Nothing new: the stored config is reused, env included.
    let same = env.builder(&ws).run().await.unwrap();
    assert_eq!(same.id(), sb.id());
    let out = same.exec(["sh", "-c", "echo $MODE"]).await.unwrap();
    assert_eq!(out.stdout_str(), "one\n");

    let err = env
        .builder(&ws)
        .env("MODE", "two")
        .env("API_TOKEN", "second-secret")
        .network(NetworkMode::None)
        .cpus(1.5)
        .run()
        .await
        .unwrap_err();
    let Error::ConfigChanged { ref changes, .. } = err else {
        panic!("expected ConfigChanged, got {err:?}");
    };
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["env.API_TOKEN", "env.MODE", "cpus", "network"]);
    let msg = err.to_string();
    assert!(
        msg.contains("env.MODE: one -> two") && msg.contains("recreate"),
        "{msg}"
    );
    assert!(
        !msg.contains("first-secret") && !msg.contains("second-secret"),
        "{msg}"
    );
    assert_eq!(env.containers(), vec![sb.id()[..12].to_string()]);

    let recreated = env
        .builder(&ws)
        .env("MODE", "two")
        .network(NetworkMode::None)
        .recreate(true)
        .run()
        .await
        .unwrap();
    assert_ne!(recreated.id(), sb.id());
    assert_eq!(env.containers().len(), 1);
    let out = recreated.exec(["sh", "-c", "echo $MODE"]).await.unwrap();
    assert_eq!(out.stdout_str(), "two\n");
    assert_eq!(
        recreated.inspect().await.unwrap().network.as_deref(),
        Some("none")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_parallel_runs_on_different_workspaces_all_start() {
    let env = env_or_skip!();
    let wss: Vec<_> = (0..16).map(|i| env.workspace(&format!("par{i}"))).collect();
    let env_ref = &env;
    let runs = wss.iter().map(|ws| async move {
        let sb = env_ref.builder(ws).run().await?;
        sb.exec(["true"]).await?;
        Ok::<_, docksandbox::Error>(sb.id().to_string())
    });
    let results = futures_util::future::join_all(runs).await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(env.containers().len(), 16);
}
