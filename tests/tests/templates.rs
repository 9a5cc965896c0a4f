//! Templates: the built-in agent templates run their agents, builds are labelled and skipped
//! when up to date, a failing build shows the failing step, the CA bundle reaches sandboxes,
//! and a template without the agent's program fails before launching.
//!
//! The `claude` and `codex` templates are built by scripts/build-images.sh (README's test
//! command) from scratch; here `run` finds them current and launches the agents.

use docksandbox::{
    BuildRequest, Claude, Codex, CredentialsMode, DockerfileBuild, Error, ErrorKind, Template,
    TemplateBuildOptions, TemplateState, CA_BUNDLE_TARGET,
};
use docksandbox_tests::{docker, env_or_skip, BUSYBOX};

/// The version line an agent prints, through the core API (the agent's default template).
async fn agent_version(env: &docksandbox_tests::TestEnv, agent: docksandbox::Agent) -> String {
    let ws = env.workspace(&format!("{}-version", agent.name));
    let sb = docksandbox::Sandbox::builder()
        .client(env.client.clone())
        .workspace(&ws)
        .agent(agent)
        .credentials(CredentialsMode::None)
        .label(docksandbox_tests::TEST_LABEL, &env.run_id)
        .run()
        .await
        .unwrap();
    let cmd = sb.agent_command(&["--version".to_string()]).await.unwrap();
    let out = sb.exec(cmd).await.unwrap();
    assert!(out.success(), "{out:?}");
    out.stdout_str().trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_and_codex_templates_run_their_agents() {
    let env = env_or_skip!();
    let claude = agent_version(&env, Claude.into()).await;
    assert!(claude.contains("(Claude Code)"), "{claude}");
    let codex = agent_version(&env, Codex.into()).await;
    assert!(codex.starts_with("codex-cli "), "{codex}");
    // Both images carry the docksandbox version and their current definition hash.
    for name in ["claude", "codex", "base"] {
        let t = Template::builtin(name).unwrap();
        let labels = docker(&[
            "image",
            "inspect",
            "-f",
            "{{index .Config.Labels \"docksandbox.template.hash\"}} {{index .Config.Labels \"docksandbox.version\"}}",
            &t.image,
        ]);
        assert_eq!(
            labels.trim(),
            format!("{} {}", t.definition_hash(), docksandbox::VERSION)
        );
    }
    let states = env.client.template_states().await.unwrap();
    for (t, state) in states {
        if ["base", "claude", "codex"].contains(&t.name.as_str()) {
            assert_eq!(state, TemplateState::Current, "{}", t.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn claude_credentials_are_shared_across_workspaces_survive_rm_and_are_absent_with_none() {
    let env = env_or_skip!();
    let marker = format!("docksandbox-test-{}", env.run_id);
    let file = format!("~/.claude/{marker}");
    let run = |ws: &str, creds: CredentialsMode| {
        let ws = env.workspace(ws);
        docksandbox::Sandbox::builder()
            .client(env.client.clone())
            .workspace(ws)
            .agent(Claude)
            .credentials(creds)
            .label(docksandbox_tests::TEST_LABEL, &env.run_id)
            .run()
    };
    let one = run("one", CredentialsMode::Sandbox).await.unwrap();
    let out = one
        .exec([
            "sh",
            "-c",
            &format!("echo login > {file} && echo '{{}}' > ~/.claude.json.probe"),
        ])
        .await
        .unwrap();
    assert!(out.success(), "{out:?}");
    let two = run("two", CredentialsMode::Sandbox).await.unwrap();
    let out = two
        .exec(["sh", "-c", &format!("cat {file}")])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "login\n", "{out:?}");
    one.remove().await.unwrap();
    two.remove().await.unwrap();
    let three = run("three", CredentialsMode::Sandbox).await.unwrap();
    let out = three
        .exec(["sh", "-c", &format!("cat {file}")])
        .await
        .unwrap();
    assert_eq!(out.stdout_str(), "login\n", "survives rm: {out:?}");
    let none = run("none", CredentialsMode::None).await.unwrap();
    let out = none
        .exec(["sh", "-c", &format!("test -e {file}")])
        .await
        .unwrap();
    assert_ne!(out.exit_code, 0, "absent with credentials none");
    let out = three
        .exec(["sh", "-c", &format!("rm -f {file} ~/.claude.json.probe")])
        .await
        .unwrap();
    assert!(out.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn dockerfile_builds_are_labelled_skipped_when_unchanged_and_rebuilt_when_changed() {
    let env = env_or_skip!();
    let dir = env.workspace("ctx");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {BUSYBOX}\nCOPY hello /hello\n"),
    )
    .unwrap();
    std::fs::write(dir.join("hello"), "one").unwrap();
    let tag = format!("docksandbox-test/{}:latest", env.run_id);
    let build = DockerfileBuild {
        dockerfile: dir.join("Dockerfile"),
        tag: tag.clone(),
        context: dir.clone(),
    };
    let opts = TemplateBuildOptions::default();
    let first = env.client.build_dockerfile(&build, &opts).await.unwrap();
    assert!(first.built);
    let again = env.client.build_dockerfile(&build, &opts).await.unwrap();
    assert!(!again.built, "unchanged: not rebuilt");
    assert_eq!(again.id, first.id);
    std::fs::write(dir.join("hello"), "two").unwrap();
    let changed = env.client.build_dockerfile(&build, &opts).await.unwrap();
    assert!(changed.built, "changed context: rebuilt");
    assert_ne!(changed.id, first.id);
    let version = docker(&[
        "image",
        "inspect",
        "-f",
        "{{index .Config.Labels \"docksandbox.version\"}}",
        &tag,
    ]);
    assert_eq!(version.trim(), docksandbox::VERSION);
    docker(&["rmi", "-f", &tag, &first.id, &changed.id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_build_names_the_step_and_shows_its_output() {
    let env = env_or_skip!();
    let dir = env.workspace("failing");
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {BUSYBOX}\nRUN echo fine\nRUN echo boom-marker-output && exit 3\n"),
    )
    .unwrap();
    let tag = format!("docksandbox-test/{}-fail:latest", env.run_id);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let client = env
        .client
        .clone()
        .with_progress(std::sync::Arc::new(move |p| {
            sink.lock().unwrap().push(format!("{p:?}"));
        }));
    let err = client
        .build_dockerfile(
            &DockerfileBuild {
                dockerfile: dir.join("Dockerfile"),
                tag: tag.clone(),
                context: dir.clone(),
            },
            &TemplateBuildOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Image);
    match &err {
        Error::TemplateBuildFailed { step, output, .. } => {
            // Three steps of ours, then one per label the build adds.
            assert!(
                step.starts_with("Step 3/") && step.contains("boom-marker"),
                "{step}"
            );
            assert!(output.contains("boom-marker-output"), "{output}");
            assert!(
                !output.contains("fine\n"),
                "only the failing step: {output}"
            );
        }
        other => panic!("{other:?}"),
    }
    let shown = err.to_string();
    assert!(shown.contains("boom-marker-output"), "{shown}");
    // The build streamed as progress, step by step.
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|l| l.contains("Build") && l.contains("Some((2, ")),
        "{seen:?}"
    );
    assert!(docker(&["image", "inspect", &tag]).trim() == "[]");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_without_the_agents_program_fails_before_launching() {
    let env = env_or_skip!();
    let ws = env.workspace("no-claude");
    let sb = env.builder(&ws).agent(Claude).run().await.unwrap();
    let err = sb.agent_command(&[]).await.unwrap_err();
    let msg = err.to_string();
    assert_eq!(err.kind(), ErrorKind::Image);
    for word in [BUSYBOX, "`claude`", "docksandbox template build claude"] {
        assert!(msg.contains(word), "{word} in {msg}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ca_bundle_is_mounted_with_the_variables_tools_read() {
    let env = env_or_skip!();
    let ws = env.workspace("ca");
    let pem = "-----BEGIN CERTIFICATE-----\nMIIBdocksandboxtest\n-----END CERTIFICATE-----\n";
    let bundle = ws.join("corp-ca.pem");
    std::fs::write(&bundle, pem).unwrap();
    let sb = env.builder(&ws).ca_bundle(&bundle).run().await.unwrap();
    let out = sb
        .exec([
            "sh",
            "-c",
            "cat $SSL_CERT_FILE; echo $NODE_EXTRA_CA_CERTS $REQUESTS_CA_BUNDLE $GIT_SSL_CAINFO; echo x > $SSL_CERT_FILE",
        ])
        .await
        .unwrap();
    let t = CA_BUNDLE_TARGET;
    assert_eq!(out.stdout_str(), format!("{pem}{t} {t} {t}\n"), "{out:?}");
    assert_ne!(out.exit_code, 0, "the bundle is read-only");

    // A "bundle" holding a private key is refused and nothing is created.
    let before = env.containers();
    let key = ws.join("key.pem");
    std::fs::write(
        &key,
        format!("{pem}-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let ws2 = env.workspace("ca-key");
    let err = env.builder(&ws2).ca_bundle(&key).run().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidSpec, "{err}");
    assert!(err.to_string().contains("not a certificate"), "{err}");
    assert_eq!(env.containers(), before);
}

#[test]
fn build_requests_do_not_print_their_context() {
    let r = BuildRequest {
        tag: "x".into(),
        context: vec![bytes::Bytes::from_static(b"secret-ish context")],
        ..Default::default()
    };
    let shown = format!("{r:?}");
    assert!(
        !shown.contains("secret-ish") && shown.contains("context_bytes: 18"),
        "{shown}"
    );
}
