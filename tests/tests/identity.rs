//! Behaviours 4, 5 and 6: git identity, the credentials volume, API keys at exec time only.

use std::process::Command;

use docksandbox::{credentials_volume, Agent, Claude, CredentialsMode, ExecOptions, MountKind};
use docksandbox_tests::{docker, docker_inspect, env_or_skip, DEBIAN};

#[tokio::test(flavor = "multi_thread")]
async fn the_hosts_git_identity_as_seen_from_the_workspace_is_used() {
    let env = env_or_skip!();
    let ws = env.workspace("repo");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(&ws)
            .args(args)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["config", "user.name", "Repo Local Name"]);
    git(&["config", "user.email", "local@example.invalid"]);

    let sb = env.builder(&ws).template(DEBIAN).run().await.unwrap();
    let out = sb
        .exec(["sh", "-c", "git config user.name; git config user.email"])
        .await
        .unwrap();
    assert_eq!(
        out.stdout_str(),
        "Repo Local Name\nlocal@example.invalid\n",
        "{out:?}"
    );
    let out = sb
        .exec([
            "sh",
            "-c",
            "git -c safe.directory='*' commit -q --allow-empty -m m && git -c safe.directory='*' log -1 --format=%an/%ae",
        ])
        .await
        .unwrap();
    assert_eq!(
        out.stdout_str().trim(),
        "Repo Local Name/local@example.invalid",
        "{out:?}"
    );
    // Nothing was written into the sandbox's git config files.
    let out = sb
        .exec([
            "sh",
            "-c",
            "cat ~/.gitconfig /etc/gitconfig 2>/dev/null | wc -c",
        ])
        .await
        .unwrap();
    assert_eq!(out.stdout_str().trim(), "0");
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_live_in_a_per_agent_volume_that_survives_remove() {
    let env = env_or_skip!();
    let agent = Agent::custom(format!("cred{}", std::process::id()), "sh")
        .with_credential_paths([".agentlogin", ".config/agent.json"]);
    let volume = credentials_volume(&agent.name);

    let ws1 = env.workspace("creds-one");
    let sb = env.builder(&ws1).agent(agent.clone()).run().await.unwrap();
    let mounts = sb.inspect().await.unwrap().mounts.unwrap();
    assert!(
        mounts
            .iter()
            .any(|m| m.kind == MountKind::Volume && m.source == volume),
        "{mounts:?}"
    );
    let out = sb
        .exec(["sh", "-c", "echo token > ~/.agentlogin/session && echo '{}' > ~/.config/agent.json && ls -la ~ ~/.config"])
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");
    sb.remove().await.unwrap();

    // Another workspace, same agent: the login is there.
    let ws2 = env.workspace("creds-two");
    let sb2 = env.builder(&ws2).agent(agent.clone()).run().await.unwrap();
    let out = sb2
        .exec(["sh", "-c", "cat ~/.agentlogin/session ~/.config/agent.json"])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "token\n{}\n", "{out:?}");

    // Mode None mounts no credentials volume (the exec helper's shared read-only volume is
    // the only volume left).
    let ws3 = env.workspace("creds-none");
    let sb3 = env
        .builder(&ws3)
        .agent(agent)
        .credentials(CredentialsMode::None)
        .run()
        .await
        .unwrap();
    let mounts = sb3.inspect().await.unwrap().mounts.unwrap();
    assert!(
        mounts.iter().all(|m| m.kind != MountKind::Volume
            || (m.source.starts_with("docksandbox-execd-") && m.read_only)),
        "{mounts:?}"
    );
    assert!(
        !mounts
            .iter()
            .any(|m| m.target.starts_with("/mnt/docksandbox/credentials")),
        "{mounts:?}"
    );
    let out = sb3
        .exec(["sh", "-c", "test -e ~/.agentlogin"])
        .await
        .unwrap();
    assert_ne!(out.exit_code, 0);

    sb2.remove().await.unwrap();
    sb3.remove().await.unwrap();
    docker(&["volume", "rm", &volume]);

    // The built-in agents use one volume each, named after them.
    let ws4 = env.workspace("claude-creds");
    let sb4 = env.builder(&ws4).agent(Claude).run().await.unwrap();
    let info = sb4.inspect().await.unwrap();
    let m = info.mounts.unwrap();
    assert!(
        m.iter()
            .any(|m| m.source == "docksandbox-claude-credentials"),
        "{m:?}"
    );
    let out = sb4.exec(["sh", "-c", "readlink ~/.claude"]).await.unwrap();
    assert_eq!(
        out.stdout_str().trim(),
        "/mnt/docksandbox/credentials/.claude"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_keys_reach_the_agent_process_only() {
    let env = env_or_skip!();
    const KEY: &str = "DOCKSANDBOX_TEST_API_KEY";
    const SECRET: &str = "sk-test-0123456789-do-not-leak";
    // Only this test reads or writes this variable.
    std::env::set_var(KEY, SECRET);
    let agent = Agent::custom("keyed", "sh").with_api_key_env([KEY]);
    let ws = env.workspace("keys");
    let sb = env.builder(&ws).agent(agent).run().await.unwrap();

    let out = sb
        .run_agent(
            &["-c".into(), format!("echo ${KEY}")],
            ExecOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(out.stdout_str().trim(), SECRET);

    let out = sb
        .exec(["sh", "-c", &format!("echo \"[${KEY}]\"")])
        .await
        .unwrap();
    assert_eq!(
        out.stdout_str().trim(),
        "[]",
        "plain execs do not get the agent's keys"
    );

    let ours = serde_json::to_string(&sb.inspect().await.unwrap()).unwrap();
    assert!(!ours.contains(SECRET));
    let engine = docker_inspect(sb.id()).to_string();
    assert!(
        !engine.contains(SECRET),
        "the key is in the container's config"
    );
    let logs = docker(&["logs", sb.id()]);
    assert!(!logs.contains(SECRET));
    std::env::remove_var(KEY);
}
