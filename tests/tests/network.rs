//! Network policy against the real engine: a `proxy` sandbox reaches what its policy allows
//! through its egress proxy and nothing else — not the host, the LAN, cloud metadata, DNS, UDP
//! or IPv6. Every refusal is checked at the target (the test internet counts what reaches it),
//! not only by the error the sandbox saw. Needs root (the test internet: `tests/src/internet.rs`).

use docksandbox::{NetworkMode, NetworkPolicy, Sandbox, SandboxBuilder};
use docksandbox_tests::internet::{
    Internet, DOCKER0, HOST_SIDE, METADATA, PRIVATE, PUBLIC, PUBLIC6,
};
use docksandbox_tests::{cli, docker, docker_inspect, env_or_skip, TestEnv, DEBIAN};

const PROBE: &str = include_str!("../src/probe.py");
const PROXY: &str = "docksandbox-proxy";

/// Names the proxy resolves for the tests (the test internet has no DNS of its own).
fn test_names(p: NetworkPolicy) -> NetworkPolicy {
    let mut p = p;
    for (name, ip) in [
        ("allowed.test", PUBLIC.to_string()),
        ("other.test", PUBLIC.to_string()),
        ("rebind.test", "127.0.0.1".to_string()),
        ("private.test", PRIVATE.to_string()),
        ("meta.test", METADATA.to_string()),
    ] {
        p.hosts.insert(name.into(), vec![ip.parse().unwrap()]);
    }
    p
}

fn debian(env: &TestEnv, ws: &std::path::Path) -> SandboxBuilder {
    env.builder(ws).template(DEBIAN)
}

async fn sh(sb: &Sandbox, script: &str) -> String {
    let out = sb.exec(["bash", "-c", script]).await.unwrap();
    out.stdout_str().trim().to_string()
}

/// The HTTP status a plain-HTTP request through the proxy (HTTP_PROXY) got.
async fn http(sb: &Sandbox, url: &str) -> String {
    sh(
        sb,
        &format!("curl -s -m 10 -o /dev/null -w '%{{http_code}}' '{url}'"),
    )
    .await
}

/// The status of an HTTPS request: the proxy's CONNECT answer when it refused, else the origin's.
async fn https(sb: &Sandbox, url: &str) -> String {
    sh(
        sb,
        &format!("curl -sk -m 10 -o /dev/null -w '%{{http_connect}} %{{http_code}}' '{url}'"),
    )
    .await
}

async fn probe(sb: &Sandbox, args: &[&str]) -> String {
    let mut cmd = vec!["python3".to_string(), "/tmp/probe.py".into()];
    cmd.extend(args.iter().map(|a| a.to_string()));
    sb.exec(cmd).await.unwrap().stdout_str().trim().to_string()
}

async fn with_probe(sb: Sandbox) -> Sandbox {
    sb.write_file("/tmp/probe.py", PROBE).await.unwrap();
    sb
}

fn b64(s: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn a_default_sandbox_reaches_the_internet_through_its_proxy_and_nothing_of_the_host() {
    let env = env_or_skip!();
    let net = Internet::start();
    let ws = env.workspace("net default");
    let sb = debian(&env, &ws)
        .network_policy(test_names(NetworkPolicy::default()))
        .run()
        .await
        .unwrap();
    let sb = with_probe(sb).await;
    assert_eq!(
        sb.spec().network,
        Some(NetworkMode::Proxy),
        "proxy is the default"
    );

    // The container: alone on its own network, outside names sent nowhere, the proxy variables set.
    let c = docker_inspect(sb.id());
    assert_eq!(c["HostConfig"]["NetworkMode"], format!("{}-net", sb.name()));
    assert_eq!(c["HostConfig"]["Dns"], serde_json::json!(["127.0.0.1"]));
    let networks = c["NetworkSettings"]["Networks"].as_object().unwrap();
    assert_eq!(networks.len(), 1, "{networks:?}");
    let env_vars = c["Config"]["Env"].to_string();
    for v in [
        "HTTP_PROXY=http://docksandbox-proxy:3128",
        "https_proxy=",
        "NODE_USE_ENV_PROXY=1",
    ] {
        assert!(env_vars.contains(v), "{v} missing: {env_vars}");
    }

    // Allowed: plain HTTP and HTTPS (CONNECT, the SNI matching) to a public address.
    assert_eq!(http(&sb, "http://allowed.test/").await, "200");
    assert_eq!(https(&sb, "https://allowed.test/").await, "200 200");
    assert_eq!(net.count(&format!("http {PUBLIC}:80 allowed.test")), 1);
    assert_eq!(net.count(&format!("sni {PUBLIC}:443 allowed.test")), 1);
    // The clients agents use, through the proxy variables: git over HTTPS, Python (pip's stack),
    // Node's fetch (NODE_USE_ENV_PROXY); a program that ignores the variables gets nowhere.
    let cloned = sh(&sb, "cd /tmp && GIT_SSL_NO_VERIFY=1 git clone -q https://allowed.test/git/repo.git && cat repo/README").await;
    assert_eq!(cloned, "cloned through the proxy");
    let py = sh(&sb, "python3 -c \"import ssl,urllib.request as u; print(u.urlopen('https://allowed.test/', context=ssl._create_unverified_context()).read().decode().strip())\"").await;
    assert_eq!(py, "hello 443 allowed.test");
    let node = sh(&sb, "node -e \"fetch('http://allowed.test/node').then(r => r.text()).then(t => console.log(t.trim()))\"").await;
    assert_eq!(node, "hello 80 allowed.test");
    let ignored = sh(&sb, "NODE_USE_ENV_PROXY=0 node -e \"fetch('http://allowed.test/bypass').then(() => console.log('reached'), () => console.log('failed'))\"").await;
    assert_eq!(ignored, "failed");
    assert_eq!(
        net.count(&format!("http {PUBLIC}:80 allowed.test /bypass")),
        0
    );
    let public_before = net.at(&format!("{PUBLIC}:80")).len();

    // Direct connections, bypassing the proxy: no route to anything.
    let hp = net.host_port.to_string();
    for (host, port) in [
        (PUBLIC.to_string(), "80"),
        (PUBLIC.to_string(), "22"),
        (HOST_SIDE.to_string(), hp.as_str()),
        (DOCKER0.to_string(), hp.as_str()),
        (METADATA.to_string(), "80"),
        (PRIVATE.to_string(), "80"),
        (PUBLIC6.to_string(), "80"),
    ] {
        assert_eq!(
            probe(&sb, &["tcp", &host, port]).await,
            "closed",
            "{host}:{port} answered directly"
        );
    }
    // Through the proxy: the host, metadata, private ranges and names resolving to them refused.
    for url in [
        format!("http://{METADATA}/latest/meta-data/"),
        format!("http://{PRIVATE}/"),
        format!("http://{DOCKER0}:{hp}/"),
        format!("http://{HOST_SIDE}:{hp}/"),
        "http://rebind.test/".to_string(),
        "http://meta.test/".to_string(),
        "http://private.test/".to_string(),
    ] {
        assert_eq!(http(&sb, &url).await, "403", "{url}");
    }
    // Names that are the host by definition (curl would not even ask the proxy for these).
    for name in ["localhost", "app.localhost", "metadata.google.internal"] {
        let req = b64(&format!(
            "GET http://{name}/ HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(
            probe(&sb, &["proxy_raw", PROXY, "3128", &req]).await,
            "403",
            "{name}"
        );
    }
    assert_eq!(
        https(&sb, &format!("https://{METADATA}/"))
            .await
            .split(' ')
            .next(),
        Some("403")
    );
    // UDP, DNS and the engine's resolver: nothing answers, nothing arrives.
    assert_eq!(
        probe(&sb, &["udp", &PUBLIC.to_string(), "53"]).await,
        "silent"
    );
    assert_eq!(
        probe(&sb, &["resolve", "secret.exfil.test"]).await,
        "unresolved"
    );
    let answer = probe(&sb, &["dns", "127.0.0.11", "secret2.exfil.test", "16"]).await;
    assert!(
        !answer.ends_with("answers1"),
        "the engine's resolver answered an outside name: {answer}"
    );
    assert_eq!(
        probe(&sb, &["dns", &PUBLIC.to_string(), "secret3.exfil.test"]).await,
        "silent"
    );

    // At the targets: only the allowed requests ever arrived.
    assert!(
        net.at(&format!("0.0.0.0:{hp}")).is_empty(),
        "{:?}",
        net.events()
    );
    assert!(
        net.at(&format!("{METADATA}:80")).is_empty(),
        "{:?}",
        net.events()
    );
    assert!(
        net.at(&format!("{PRIVATE}:80")).is_empty(),
        "{:?}",
        net.events()
    );
    assert!(
        net.at(&format!("{PUBLIC}:53")).is_empty(),
        "{:?}",
        net.events()
    );
    assert!(
        net.at(&format!("{PUBLIC}:22")).is_empty(),
        "{:?}",
        net.events()
    );
    assert!(
        net.at(&format!("[{PUBLIC6}]:80")).is_empty(),
        "{:?}",
        net.events()
    );
    if net.dns_catcher {
        assert!(
            net.at("127.0.0.1:53").is_empty(),
            "a lookup reached the host: {:?}",
            net.events()
        );
    }
    assert_eq!(net.at(&format!("{PUBLIC}:80")).len(), public_before);
}

#[tokio::test]
async fn rules_decide_every_connection_and_the_log_names_the_rule() {
    let env = env_or_skip!();
    let net = Internet::start();
    let ws = env.workspace("net rules");
    let policy = test_names(NetworkPolicy::deny_by_default())
        .allow("allowed.test".parse().unwrap())
        .allow("allowed.test:8022".parse().unwrap());
    let sb = with_probe(
        debian(&env, &ws)
            .network_policy(policy)
            .run()
            .await
            .unwrap(),
    )
    .await;

    assert_eq!(http(&sb, "http://allowed.test/").await, "200");
    assert_eq!(http(&sb, "http://other.test/").await, "403");
    let body = sh(&sb, "curl -s -m 10 http://other.test/").await;
    assert!(
        body.contains("default deny"),
        "the refusal names the rule: {body}"
    );
    // An IP literal is matched by CIDR rules only.
    assert_eq!(http(&sb, &format!("http://{PUBLIC}/")).await, "403");
    // A CONNECT to an IP literal too (and 127.1-style spellings are names no rule allows).
    let literal = format!("{PUBLIC}:443");
    assert_eq!(
        probe(&sb, &["connect_raw", PROXY, "3128", &literal]).await,
        "403"
    );
    assert_eq!(
        probe(&sb, &["connect_raw", PROXY, "3128", "2130706433:443"]).await,
        "403"
    );
    // A port other than 80/443 needs a rule naming it.
    assert_eq!(
        probe(&sb, &["connect_raw", PROXY, "3128", "other.test:22"]).await,
        "403"
    );
    assert_eq!(
        probe(&sb, &["connect_raw", PROXY, "3128", "allowed.test:22"]).await,
        "403"
    );
    assert_eq!(
        probe(&sb, &["connect_raw", PROXY, "3128", "allowed.test:8022"]).await,
        "tunnel:hello"
    );
    // TLS whose SNI is not the CONNECT host (domain fronting) is cut before anything is sent.
    assert_eq!(
        probe(
            &sb,
            &[
                "connect_tls",
                PROXY,
                "3128",
                "allowed.test:443",
                "allowed.test"
            ]
        )
        .await,
        "tls-ok"
    );
    let fronted = probe(
        &sb,
        &[
            "connect_tls",
            PROXY,
            "3128",
            "allowed.test:443",
            "evil.test",
        ],
    )
    .await;
    assert_ne!(fronted, "tls-ok");
    // Non-TLS bytes on 443 are not let through either.
    let plain = b64("CONNECT allowed.test:443 HTTP/1.1\r\nHost: allowed.test\r\n\r\nGET / HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
    assert_eq!(
        probe(&sb, &["proxy_raw", PROXY, "3128", &plain]).await,
        "200"
    );
    // The absolute URI decides, whatever Host says; a second request on the same connection
    // is decided on its own.
    let smuggle = b64("GET http://allowed.test/smuggle HTTP/1.1\r\nHost: evil.test\r\n\r\nGET http://other.test/second HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n");
    assert_eq!(
        probe(&sb, &["proxy_raw", PROXY, "3128", &smuggle]).await,
        "200,403"
    );
    // SOCKS5 follows the same rules.
    assert_eq!(
        probe(&sb, &["socks", PROXY, "1080", "allowed.test", "80"]).await,
        "socks-ok"
    );
    assert_eq!(
        probe(&sb, &["socks", PROXY, "1080", "other.test", "80"]).await,
        "refused2"
    );

    // At the target: nothing for other.test or evil.test ever arrived.
    let events = net.events();
    assert!(
        !events
            .iter()
            .any(|e| e.contains("other.test") || e.contains("evil.test")),
        "{events:?}"
    );
    assert_eq!(
        net.count(&format!("http {PUBLIC}:80 allowed.test /smuggle")),
        1,
        "{events:?}"
    );
    assert_eq!(net.at(&format!("{PUBLIC}:22")), Vec::<String>::new());
    // Over 443 only the one real TLS request was served (not the plain bytes, not the fronted one).
    assert_eq!(net.count(&format!("http {PUBLIC}:443")), 1, "{events:?}");

    // The log: one entry per decision, naming the rule.
    use futures_util::StreamExt;
    let log: Vec<_> = sb.network_log(false).await.unwrap().collect().await;
    let log: Vec<_> = log.into_iter().map(Result::unwrap).collect();
    let denied_other = log
        .iter()
        .find(|e| e.host == "other.test" && e.decision == "deny")
        .expect("a deny entry for other.test");
    assert!(denied_other.rule.contains("default"), "{denied_other:?}");
    let allowed = log
        .iter()
        .find(|e| e.host == "allowed.test" && e.decision == "allow")
        .expect("an allow entry");
    assert!(allowed.rule.contains("allowed.test"), "{allowed:?}");
    assert_eq!(
        allowed
            .addr
            .as_deref()
            .map(|a| a.starts_with(&PUBLIC.to_string())),
        Some(true),
        "{allowed:?}"
    );
}

#[tokio::test]
async fn live_changes_apply_at_once_and_outlive_the_proxy() {
    let env = env_or_skip!();
    let net = Internet::start();
    let ws = env.workspace("net live");
    let policy =
        test_names(NetworkPolicy::deny_by_default()).allow("allowed.test".parse().unwrap());
    let sb = debian(&env, &ws)
        .network_policy(policy.clone())
        .run()
        .await
        .unwrap();
    let started = docker_inspect(sb.id())["State"]["StartedAt"].clone();
    assert_eq!(http(&sb, "http://other.test/").await, "403");

    sb.allow_hosts(&["other.test".parse().unwrap()])
        .await
        .unwrap();
    assert_eq!(http(&sb, "http://other.test/").await, "200");
    assert_eq!(
        docker_inspect(sb.id())["State"]["StartedAt"],
        started,
        "no restart"
    );
    assert!(sb
        .network_policy()
        .await
        .unwrap()
        .allow
        .iter()
        .any(|r| r.to_string() == "other.test"));

    // The proxy killed: nothing gets out (no open fallback)...
    let proxy = format!("{}-proxy", sb.name());
    docker(&["kill", &proxy]);
    let before = net.events().len();
    assert_eq!(http(&sb, "http://other.test/").await, "000");
    assert_eq!(http(&sb, "http://allowed.test/").await, "000");
    assert_eq!(
        net.events().len(),
        before,
        "something arrived while the proxy was down"
    );
    // ...until the next handle's first command brings it back, with the live rules.
    let again = env.client.get(sb.name()).await.unwrap();
    assert_eq!(http(&again, "http://other.test/").await, "200");
    // Removed behind our back: the next `run` makes it again; the policy lives in its volume.
    docker(&["rm", "-f", &proxy]);
    let third = debian(&env, &ws)
        .network_policy(policy)
        .run()
        .await
        .unwrap();
    assert_eq!(third.id(), sb.id());
    assert_eq!(http(&third, "http://other.test/").await, "200");
    sb.deny_hosts(&["other.test".parse().unwrap()])
        .await
        .unwrap();
    assert_eq!(http(&third, "http://other.test/").await, "403");
}

#[tokio::test]
async fn concurrent_runs_make_one_sandbox_and_one_proxy_and_rm_removes_every_part() {
    let env = env_or_skip!();
    // Not the internet itself: its turn, so that no other test here makes a proxy meanwhile.
    let _turn = Internet::start();
    let ws = env.workspace("net concurrent");
    let runs = (0..10).map(|_| env.builder(&ws).run());
    let all = futures_util::future::join_all(runs).await;
    let ids: std::collections::BTreeSet<String> = all
        .into_iter()
        .map(|r| r.unwrap().id().to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(env.containers().len(), 1);
    assert_eq!(env.proxies().len(), 1, "one proxy");
    let sb = env.client.get(ids.iter().next().unwrap()).await.unwrap();
    let name = sb.name().to_string();
    let nets = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("name=^{name}-net$"),
    ]);
    assert_eq!(nets.lines().count(), 1, "one network: {nets}");

    sb.remove().await.unwrap();
    assert!(env.proxies().is_empty());
    assert!(docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("name=^{name}-net$")
    ])
    .trim()
    .is_empty());
    assert!(docker(&[
        "volume",
        "ls",
        "-q",
        "--filter",
        &format!("name=^{name}-proxy-state$")
    ])
    .trim()
    .is_empty());

    // A sandbox removed behind our back leaves its proxy: pruning (`rm --all`, and `run` for
    // parts older than two minutes) removes it, and nothing of a live sandbox.
    let orphan = env
        .builder(&env.workspace("net orphan"))
        .run()
        .await
        .unwrap();
    let live = env
        .builder(&env.workspace("net live one"))
        .run()
        .await
        .unwrap();
    docker(&["rm", "-f", orphan.id()]);
    assert_eq!(env.proxies().len(), 2);
    assert!(env.client.prune().await.unwrap() >= 1);
    let left: Vec<String> = env.proxies();
    assert_eq!(left.len(), 1, "only the live sandbox's proxy: {left:?}");
    assert_eq!(live.exec(["true"]).await.unwrap().exit_code, 0);
    assert!(docker(&[
        "ps",
        "-a",
        "--filter",
        &format!("name=^{}-proxy$", orphan.name()),
        "-q"
    ])
    .trim()
    .is_empty());
}

#[tokio::test]
async fn bad_network_input_is_refused_naming_the_field_and_creates_nothing() {
    let env = env_or_skip!();
    let ws = env.workspace("net bad");
    let before = env.all_labelled();
    for (allow, field) in [
        ("exa mple.com", "allow_hosts[0]"),
        ("10.0.0.0/33", "allow_hosts[0]"),
        ("*.", "allow_hosts[0]"),
        ("host.test:99999", "allow_hosts[0]"),
    ] {
        let req = docksandbox::RunRequest {
            workspace: Some(ws.to_string_lossy().into_owned()),
            agent: "shell".into(),
            allow_hosts: vec![allow.into()],
            ..Default::default()
        };
        let e = req.builder().and_then(|b| b.build()).unwrap_err();
        assert_eq!(
            e.kind(),
            docksandbox::ErrorKind::InvalidSpec,
            "{allow}: {e}"
        );
        assert!(e.to_string().contains(field), "{allow}: {e}");
    }
    let preset = docksandbox::RunRequest {
        workspace: Some(ws.to_string_lossy().into_owned()),
        agent: "shell".into(),
        allow_presets: vec!["nope".into()],
        ..Default::default()
    };
    assert!(preset
        .builder()
        .unwrap()
        .build()
        .unwrap_err()
        .to_string()
        .contains("unknown preset"));
    let open = env
        .builder(&ws)
        .network(NetworkMode::Bridge)
        .network_policy(NetworkPolicy::deny_by_default())
        .run()
        .await
        .unwrap_err();
    assert!(open.to_string().contains("needs --network proxy"), "{open}");
    assert_eq!(env.all_labelled(), before);
}

#[tokio::test]
async fn the_cli_sets_shows_changes_and_logs_the_policy() {
    let env = env_or_skip!();
    let net = Internet::start();
    let ws = env.workspace("net cli");
    let label = format!("{}={}", docksandbox_tests::TEST_LABEL, env.run_id);
    let out = cli()
        .args(["run", "-d", "-q", "--label", &label, "-t", DEBIAN, "-w"])
        .arg(&ws)
        .args(["--network-policy", "deny", "--allow-host", "allowed.test"])
        .args(["--add-host", &format!("allowed.test:{PUBLIC}"), "shell"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let show = cli()
        .args(["network", "show", &name, "--json"])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown["default"], "deny");
    assert_eq!(shown["allow"], serde_json::json!(["allowed.test"]));
    assert_eq!(shown["presets"], serde_json::json!({}));
    let curl = |expect: &str| {
        let o = cli()
            .args([
                "exec",
                &name,
                "curl",
                "-s",
                "-m",
                "10",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "http://allowed.test/",
            ])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), expect);
    };
    curl("200");
    assert!(cli()
        .args(["network", "deny", &name, "allowed.test"])
        .output()
        .unwrap()
        .status
        .success());
    curl("403");
    let bad = cli()
        .args(["network", "allow", &name, "exa mple"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("hosts[0]"));
    let log = cli()
        .args(["network", "log", &name, "--json", "--denied"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        !lines.is_empty() && lines.iter().all(|l| l["decision"] == "deny"),
        "{lines:?}"
    );
    assert_eq!(net.count(&format!("http {PUBLIC}:80 allowed.test")), 1);
    assert!(cli()
        .args(["rm", "-f", &name])
        .output()
        .unwrap()
        .status
        .success());
    assert!(
        docker(&["ps", "-aq", "--filter", &format!("name=^{name}-proxy$")])
            .trim()
            .is_empty()
    );
}

#[tokio::test]
async fn agent_templates_start_behind_the_proxy_and_reach_their_api_with_the_agent_preset() {
    let env = env_or_skip!();
    let net = Internet::start();
    for (agent, host) in [("claude", "api.anthropic.com"), ("codex", "api.openai.com")] {
        let ws = env.workspace(&format!("net {agent}"));
        let mut policy = NetworkPolicy::deny_by_default().preset("agent");
        policy.hosts.insert(host.into(), vec![PUBLIC.into()]);
        let sb = Sandbox::builder()
            .client(env.client.clone())
            .workspace(&ws)
            .agent(docksandbox::Agent::from_name(agent).unwrap())
            .label(docksandbox_tests::TEST_LABEL, &env.run_id)
            .network_policy(policy)
            .run()
            .await
            .unwrap();
        let v = sb.exec([agent, "--version"]).await.unwrap();
        assert!(v.success(), "{agent} --version: {}", v.stderr_str());
        let presets = sb.network_presets().unwrap();
        assert_eq!(presets[0].0, "agent");
        assert!(
            presets[0].1.iter().any(|r| r.to_string() == host),
            "{presets:?}"
        );
        assert_eq!(
            https(&sb, &format!("https://{host}/")).await,
            "200 200",
            "{agent}"
        );
        assert_eq!(
            https(&sb, "https://github.com/").await.split(' ').next(),
            Some("403"),
            "{agent}"
        );
        assert_eq!(
            net.count(&format!("sni {PUBLIC}:443 {host}")),
            1,
            "{:?}",
            net.events()
        );
    }
}
