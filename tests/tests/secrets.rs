//! Secrets kept out of the sandbox, against the real engine and the test internet: the
//! sandbox holds a placeholder; the egress proxy adds the value in request headers to the
//! secret's host only. The test internet's TLS server is the witness (it logs the headers it
//! receives); the value is then searched for everywhere the sandbox and the engine can show.

use std::time::Duration;

use docksandbox::{
    Claude, Error, ExecOptions, NetworkMode, NetworkPolicy, Sandbox, Secret, SecretMode,
};
use docksandbox_tests::internet::{Internet, PUBLIC};
use docksandbox_tests::{docker, env_or_skip, BUSYBOX, DEBIAN};
use futures_util::StreamExt;

const VAR: &str = "DS_TEST_SECRET_KEY";

/// A websocket client (RFC 6455 by hand: the template has no websocket library): through the
/// sandbox's proxy (`HTTPS_PROXY`, CONNECT), handshake to wss://api.anthropic.com/ws with the secret's placeholder in a header, one text frame, the echo.
const WS_CLIENT: &str = r#"
import base64, os, socket, ssl, sys, urllib.parse
host = "api.anthropic.com"
proxy = urllib.parse.urlsplit(os.environ.get("HTTPS_PROXY") or os.environ["https_proxy"])
tcp = socket.create_connection((proxy.hostname, proxy.port), timeout=20)
tcp.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
got = b""
while b"\r\n\r\n" not in got:
    got += tcp.recv(1)
s = ssl.create_default_context().wrap_socket(tcp, server_hostname=host)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nx-test-ws: {os.environ[sys.argv[1]]}\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, rest = buf.split(b"\r\n\r\n", 1)
print(head.split(b"\r\n")[0].decode())
msg, mask = b"through the proxy", os.urandom(4)
s.sendall(bytes([0x81, 0x80 | len(msg)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
while len(rest) < 2 + len(msg):
    rest += s.recv(4096)
print("echo:", rest[2:2 + len(msg)].decode())
"#;

fn policy() -> NetworkPolicy {
    let mut p = NetworkPolicy::default();
    for name in ["api.anthropic.com", "allowed.test"] {
        p.hosts.insert(name.into(), vec![PUBLIC.into()]);
    }
    p
}

async fn sh(sb: &Sandbox, script: &str) -> String {
    let out = sb.exec(["bash", "-c", script]).await.unwrap();
    format!("{}{}", out.stdout_str(), out.stderr_str())
        .trim()
        .to_string()
}

/// The secret's value is nowhere the sandbox or the engine shows: not in any process's
/// environment or the files under /etc, /tmp and /home inside (where the credentials volume
/// is mounted), not in `docker inspect` or `logs` of the sandbox or its proxy, not in any
/// volume the sandbox mounts (searched with a throwaway container), not in `inspect`. Returns
/// the names of those volumes.
async fn assert_value_nowhere(sb: &Sandbox, value: &str) -> Vec<String> {
    let inside = sh(
        sb,
        &format!("env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'; grep -rl -- '{value}' /proc/*/environ /etc /tmp /home 2>/dev/null; true"),
    )
    .await;
    assert!(!inside.contains(value), "the value is inside the sandbox");
    let proxy = format!("{}-proxy", sb.name());
    let mut seen = vec![
        docker(&["inspect", sb.id()]),
        docker(&["inspect", &proxy]),
        docker(&["logs", sb.id()]),
        docker(&["logs", &proxy]),
        serde_json::to_string(&sb.inspect().await.unwrap()).unwrap(),
    ];
    let mounts = docker(&[
        "inspect",
        "-f",
        "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}",
        sb.id(),
    ]);
    let volumes: Vec<String> = mounts.split_whitespace().map(String::from).collect();
    for v in &volumes {
        let mount = format!("{v}:/v:ro");
        seen.push(docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            &mount,
            BUSYBOX,
            "sh",
            "-c",
            &format!("grep -rl -- '{value}' /v; true"),
        ]));
    }
    for out in seen {
        assert!(
            !out.contains(value),
            "the value is in the engine's view: {out}"
        );
    }
    volumes
}

#[tokio::test]
async fn the_value_reaches_its_host_and_nothing_inside_holds_it() {
    let env = env_or_skip!();
    let net = Internet::start();
    let value = format!("sk-test-REAL-{}", env.run_id);
    // The test-only setting: the proxy trusts the test internet's certificate for real servers.
    std::env::set_var(docksandbox::PROXY_UPSTREAM_CA_ENV, net.cert_path());
    std::env::set_var(VAR, &value);
    let ws = env.workspace("secrets");
    let sb = env
        .builder(&ws)
        .template(DEBIAN)
        .network_policy(policy())
        .secret(Secret::from_env(VAR).host("api.anthropic.com"))
        .run()
        .await
        .unwrap();

    // Inside: a placeholder.
    let ph = sh(&sb, &format!("printf %s \"${VAR}\"")).await;
    assert!(
        ph.starts_with(&format!("docksandbox-secret:{VAR}:")),
        "{ph}"
    );
    assert!(!ph.contains(&value));

    // curl, Python and Node from inside, verifying TLS with the trust docksandbox set up: the
    // server receives the value.
    let curl = sh(
        &sb,
        &format!("curl -s -m 20 -o /tmp/body -w '%{{http_code}}' -H \"x-api-key: ${VAR}\" -H \"Authorization: Bearer ${VAR}\" https://api.anthropic.com/v1/messages"),
    )
    .await;
    assert_eq!(curl, "200", "{}", sh(&sb, "cat /tmp/body").await);
    let py = sh(
        &sb,
        &format!("python3 -c \"import os,urllib.request as u; r=u.Request('https://api.anthropic.com/py', headers={{'x-test-py': os.environ['{VAR}']}}); print(u.urlopen(r, timeout=20).status)\""),
    )
    .await;
    assert_eq!(py, "200");
    let node = sh(
        &sb,
        &format!("node -e \"fetch('https://api.anthropic.com/node', {{headers: {{'x-test-node': process.env.{VAR}}}}}).then(r => console.log(r.status), e => console.log(String(e.cause || e)))\" 2>/dev/null"),
    )
    .await;
    assert_eq!(node, "200");
    // HTTP/2 from the client (the real server is spoken to in HTTP/1.1), and a websocket.
    let h2 = sh(
        &sb,
        &format!("curl -s -m 20 --http2 -o /dev/null -w '%{{http_version}} %{{http_code}}' -H \"x-test-h2: ${VAR}\" https://api.anthropic.com/h2"),
    )
    .await;
    assert_eq!(h2, "2 200");
    sb.write_file("/tmp/ws.py", WS_CLIENT).await.unwrap();
    let ws = sh(&sb, &format!("python3 /tmp/ws.py {VAR}")).await;
    assert_eq!(
        ws,
        "HTTP/1.1 101 Switching Protocols\necho: through the proxy"
    );
    assert!(
        net.events()
            .contains(&format!("ws {PUBLIC}:443 through the proxy")),
        "{:?}",
        net.events()
    );
    // Another sandbox's placeholder for the same name is not this secret: it stays as sent.
    let foreign = format!("docksandbox-secret:{VAR}:0011223344556677");
    assert_eq!(
        sh(
            &sb,
            &format!("curl -s -m 20 -o /dev/null -w '%{{http_code}}' -H 'x-test-foreign: {foreign}' https://api.anthropic.com/foreign")
        )
        .await,
        "200"
    );
    let at = format!("hdr {PUBLIC}:443");
    assert!(
        net.events()
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&format!("{at} x-test-foreign: {foreign}"))),
        "{:?}",
        net.events()
    );
    for header in [
        format!("x-api-key: {value}"),
        format!("Authorization: Bearer {value}"),
        format!("x-test-py: {value}"),
        format!("x-test-node: {value}"),
        format!("x-test-h2: {value}"),
        format!("x-test-ws: {value}"),
    ] {
        let want = format!("{at} {header}");
        assert!(
            net.events().iter().any(|e| e.eq_ignore_ascii_case(&want)),
            "the server did not receive `{header}`: {:?}",
            net.events()
        );
    }

    // Another (allowed) host gets the placeholder, over TLS (a plain tunnel: the client sees
    // the server's own certificate) and over plain HTTP (logged).
    let issuer = sh(
        &sb,
        &format!("curl -sv -k -m 20 -o /dev/null -H \"x-test-other: ${VAR}\" https://allowed.test/ 2>&1 | grep 'issuer:'"),
    )
    .await;
    assert!(issuer.contains("CN=allowed.test"), "{issuer}");
    let issuer = sh(
        &sb,
        "curl -sv -m 20 -o /dev/null https://api.anthropic.com/ 2>&1 | grep 'issuer:'",
    )
    .await;
    assert!(
        issuer.contains("docksandbox per-sandbox secrets CA"),
        "{issuer}"
    );
    assert_eq!(
        sh(
            &sb,
            &format!("curl -s -m 20 -o /dev/null -w '%{{http_code}}' -H \"x-test-plain: ${VAR}\" http://allowed.test/")
        )
        .await,
        "200"
    );
    let events = net.events();
    for h in ["x-test-other", "x-test-plain"] {
        let line = events
            .iter()
            .find(|e| e.contains(h))
            .unwrap_or_else(|| panic!("{h} not received: {events:?}"));
        assert!(line.contains(&ph) && !line.contains(&value), "{line}");
    }
    let log: Vec<_> = sb.network_log(false).await.unwrap().collect().await;
    assert!(
        log.iter().any(|e| e.as_ref().is_ok_and(|e| e.rule
            == format!("secret-sent-elsewhere {VAR}")
            && e.host == "allowed.test")),
        "{log:?}"
    );

    // The value is nowhere the sandbox or the engine shows.
    assert_value_nowhere(&sb, &value).await;
    sb.remove().await.unwrap();
    std::env::remove_var(docksandbox::PROXY_UPSTREAM_CA_ENV);
}

#[tokio::test]
async fn bad_secrets_are_refused_and_nothing_is_made() {
    let env = env_or_skip!();
    let ws = env.workspace("bad secrets");
    std::env::set_var("DS_TEST_CRLF", "abc\r\nX-Evil: 1");
    std::env::set_var("DS_TEST_EMPTY", "");
    std::env::set_var("DS_TEST_OK", "fine");
    let before = env.all_labelled();
    let cases: Vec<(docksandbox::SandboxBuilder, &str)> = vec![
        (
            env.builder(&ws)
                .secret(Secret::from_env("DS_TEST_CRLF").host("api.x.test")),
            "line break",
        ),
        (
            env.builder(&ws)
                .secret(Secret::from_env("DS_TEST_EMPTY").host("api.x.test")),
            "empty",
        ),
        (
            env.builder(&ws)
                .secret(Secret::from_env("DS_TEST_UNSET_NEVER").host("api.x.test")),
            "unset",
        ),
        (
            env.builder(&ws)
                .secret(Secret::from_env("DS_TEST_OK").host("10.0.0.1")),
            "not a host name",
        ),
        (
            env.builder(&ws).secret(Secret::from_env("DS_TEST_OK")),
            "--secret-host",
        ),
        (
            env.builder(&ws)
                .network(NetworkMode::Bridge)
                .secret(Secret::from_env("DS_TEST_OK").host("api.x.test")),
            "needs --network proxy",
        ),
        (
            env.builder(&ws)
                .network_policy(NetworkPolicy::deny_by_default())
                .secret(Secret::from_env("DS_TEST_OK").host("api.x.test")),
            "refuses",
        ),
    ];
    for (b, why) in cases {
        match b.run().await {
            Err(e @ Error::InvalidSpec { .. }) => {
                assert!(e.to_string().contains(why), "{why}: {e}")
            }
            other => panic!("{why}: expected InvalidSpec, got {other:?}"),
        }
    }
    let mut env_mode = Secret::from_env("DS_TEST_OK");
    env_mode.mode = Some(SecretMode::Env);
    assert!(env
        .builder(&ws)
        .network(NetworkMode::None)
        .secret(env_mode)
        .build()
        .is_ok());
    assert!(docksandbox::secrets_from_flags(&[], &["NOPE=a.test".into()], None).is_err());
    assert_eq!(env.all_labelled(), before);
}

#[tokio::test]
async fn the_real_claude_cli_sends_a_key_it_never_had() {
    let env = env_or_skip!();
    let net = Internet::start();
    let value = format!("sk-ant-test-REAL-{}", env.run_id);
    std::env::set_var(docksandbox::PROXY_UPSTREAM_CA_ENV, net.cert_path());
    // Only the Claude profile's default makes this a secret: no --secret flag.
    std::env::set_var("ANTHROPIC_API_KEY", &value);
    let ws = env.workspace("claude secrets");
    // A root-owned workspace, as in CI boxes and dev containers: the agent runs as root, and
    // Claude Code refuses --dangerously-skip-permissions as root unless its profile's
    // IS_SANDBOX=1 is set (the network tests run as root, so this workspace is root's).
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(&ws).unwrap().uid(),
        0,
        "the workspace is not root's"
    );
    let sb = env
        .builder(&ws)
        .agent(Claude)
        .template("docksandbox/claude:latest")
        .network_policy(policy())
        .run()
        .await
        .unwrap();
    std::env::remove_var("ANTHROPIC_API_KEY");
    let ph = sh(&sb, "printf %s \"$ANTHROPIC_API_KEY\"").await;
    assert!(
        ph.starts_with("docksandbox-secret:ANTHROPIC_API_KEY:"),
        "{ph}"
    );

    // The CLI, launched as docksandbox launches the agent (with --dangerously-skip-permissions,
    // as root: the test's workspace is root's), talks to the test API server; it answers no
    // real API, so the CLI fails after.
    let args: Vec<String> = ["-p", "say hi", "--max-turns", "1"]
        .map(String::from)
        .to_vec();
    let out = sb
        .run_agent(
            &args,
            ExecOptions::default()
                .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
                .env("ANTHROPIC_BASE_URL", "https://api.anthropic.com")
                .timeout(Duration::from_secs(90)),
        )
        .await;
    if let Ok(o) = &out {
        assert!(
            !o.stderr_str().contains("cannot be used with root"),
            "{}",
            o.stderr_str()
        );
    }
    let want = format!("hdr {PUBLIC}:443 x-api-key: {value}");
    assert!(
        net.events().iter().any(|e| e.eq_ignore_ascii_case(&want)),
        "the test API server did not receive the key from claude ({out:?}): {:?}",
        net.events()
    );

    // Nowhere inside (the credentials volume is mounted at ~/.claude and ~/.claude.json), nor
    // in the engine's view of the sandbox, its proxy or its volumes.
    let volumes = assert_value_nowhere(&sb, &value).await;
    assert!(
        volumes.iter().any(|v| v.contains("claude")),
        "no credentials volume was searched: {volumes:?}"
    );
    sb.remove().await.unwrap();
    std::env::remove_var(docksandbox::PROXY_UPSTREAM_CA_ENV);
}
