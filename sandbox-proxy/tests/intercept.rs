//! Secrets added on the way out, end to end on loopback: curl through the proxy to a local
//! HTTPS server (a certificate of a test CA the proxy trusts through `--upstream-ca`) that
//! records every request head it receives. The server, not the client, is the witness: the
//! real value must arrive at the secret's host and nowhere else, and never in the log.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

const VALUE_A: &str = "sk-real-value-of-a-0123456789";
const PH_A: &str = "docksandbox-secret:KEY_A:5f1d3a9e7c2b4d60";
const VALUE_B: &str = "ghp_real-value-of-b-9876543210";
const PH_B: &str = "docksandbox-secret:KEY_B:0a1b2c3d4e5f6a7b";

/// A test CA and an HTTPS server on 127.0.0.1 with a certificate for `names`, recording each
/// request head.
struct Upstream {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

fn test_ca(dir: &Path) -> (Issuer<'static, KeyPair>, PathBuf) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "docksandbox test internet CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let path = dir.join("test-ca.pem");
    std::fs::write(&path, cert.pem()).unwrap();
    (Issuer::new(params, key), path)
}

impl Upstream {
    fn start(ca: &Issuer<'static, KeyPair>, names: &[&str]) -> Upstream {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.signed_by(&key, ca).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let sink = heads.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(tcp) = conn else { break };
                let config = config.clone();
                let sink = sink.clone();
                std::thread::spawn(move || {
                    let Ok(tls) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut s = rustls::StreamOwned::new(tls, tcp);
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match s.read(&mut b) {
                            Ok(1) => head.push(b[0]),
                            _ => return,
                        }
                    }
                    sink.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let _ = s.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nupstream\n",
                    );
                    let _ = s.flush();
                    s.conn.send_close_notify();
                    let _ = s.flush();
                });
            }
        });
        Upstream { port, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

struct Setup {
    proxy: Proxy,
    up: Upstream,
    ca_out: PathBuf,
    test_ca: PathBuf,
    _dir: tempfile::TempDir,
}

/// A proxy with secret KEY_A for api.secret.test and KEY_B for *.other-secret.test, and a
/// policy allowing those and plain.test, all resolving to the local upstream.
fn setup(trust_upstream: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (ca, test_ca) = test_ca(dir.path());
    let up = Upstream::start(
        &ca,
        &["api.secret.test", "x.other-secret.test", "plain.test"],
    );
    let secrets = dir.path().join("secrets.json");
    std::fs::write(
        &secrets,
        serde_json::json!({"secrets": [
            {"name": "KEY_A", "placeholder": PH_A, "value": VALUE_A, "hosts": ["api.secret.test"]},
            {"name": "KEY_B", "placeholder": PH_B, "value": VALUE_B, "hosts": ["*.other-secret.test"]},
        ]})
        .to_string(),
    )
    .unwrap();
    let p = up.port;
    let policy = format!(
        r#"{{"default":"deny","allow":["api.secret.test:{p}","x.other-secret.test:{p}","plain.test:{p}"],
            "hosts":{{"api.secret.test":["127.0.0.1"],"x.other-secret.test":["127.0.0.1"],"plain.test":["127.0.0.1"]}}}}"#
    );
    let ca_out = dir.path().join("sandbox-ca.pem");
    let port = p.to_string();
    let mut extra = vec![
        "--tls-ports",
        &port,
        "--secrets",
        secrets.to_str().unwrap(),
        "--ca-out",
        ca_out.to_str().unwrap(),
    ];
    if trust_upstream {
        extra.extend(["--upstream-ca", test_ca.to_str().unwrap()]);
    }
    let proxy = Proxy::start(Some(&policy), &extra);
    Setup {
        proxy,
        up,
        ca_out,
        test_ca,
        _dir: dir,
    }
}

/// curl through the proxy; (exit code, body).
fn curl(s: &Setup, host: &str, cacert: &Path, headers: &[String]) -> (i32, String) {
    curl_with(s, host, cacert, headers, &[])
}

/// curl through the proxy with extra arguments; (exit code, output).
fn curl_with(
    s: &Setup,
    host: &str,
    cacert: &Path,
    headers: &[String],
    extra: &[&str],
) -> (i32, String) {
    let mut c = Command::new("curl");
    c.args(extra)
        .args(["-sS", "--max-time", "20", "--proxy"])
        .arg(format!("http://{}", s.proxy.http))
        .arg("--noproxy")
        .arg("")
        .arg("--cacert")
        .arg(cacert)
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("SSL_CERT_FILE")
        .env_remove("CURL_CA_BUNDLE");
    for h in headers {
        c.arg("-H").arg(h);
    }
    c.arg(format!("https://{host}:{}/v1/messages", s.up.port));
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn the_secret_host_receives_the_value_and_the_sandbox_only_ever_had_the_placeholder() {
    let s = setup(true);
    let ca = std::fs::read_to_string(&s.ca_out).unwrap();
    assert!(ca.contains("BEGIN CERTIFICATE"), "{ca}");
    let (code, body) = curl(
        &s,
        "api.secret.test",
        &s.ca_out,
        &[
            format!("x-api-key: {PH_A}"),
            format!("Authorization: Bearer {PH_A}"),
            "x-other: untouched".into(),
        ],
    );
    assert_eq!((code, body.as_str()), (0, "upstream\n"));
    let heads = s.up.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    let head = heads[0].to_ascii_lowercase();
    assert!(
        head.contains(&format!("x-api-key: {}", VALUE_A.to_ascii_lowercase())),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "authorization: bearer {}",
            VALUE_A.to_ascii_lowercase()
        )),
        "{head}"
    );
    assert!(
        head.contains("x-other: untouched") && !head.contains("docksandbox-secret"),
        "{head}"
    );
    let e = s
        .proxy
        .wait_entry(1, |e| e.proto == "connect" && e.host == "api.secret.test");
    assert_eq!(e.decision, "allow");
    assert!(
        e.reason.contains("intercepted") && e.reason.contains("KEY_A"),
        "{e:?}"
    );
    // The log never holds a value.
    let log = s.proxy.lines().join("\n");
    assert!(!log.contains(VALUE_A) && !log.contains(VALUE_B), "{log}");
}

#[test]
fn an_http2_client_is_served_and_the_real_server_gets_the_value_over_http1() {
    let s = setup(true);
    let (code, out) = curl_with(
        &s,
        "api.secret.test",
        &s.ca_out,
        &[format!("x-api-key: {PH_A}")],
        &["--http2", "-w", "|%{http_version}"],
    );
    assert_eq!((code, out.as_str()), (0, "upstream\n|2"));
    let heads = s.up.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    let head = heads[0].to_ascii_lowercase();
    assert!(head.starts_with("get /v1/messages http/1.1\r\n"), "{head}");
    assert!(
        head.contains(&format!("host: api.secret.test:{}", s.up.port)),
        "{head}"
    );
    assert!(
        head.contains(&format!("x-api-key: {}", VALUE_A.to_ascii_lowercase())),
        "{head}"
    );
}

#[test]
fn another_secrets_host_or_a_plain_host_gets_the_placeholder_and_the_log_says_so() {
    let s = setup(true);
    // KEY_A's placeholder to KEY_B's host: intercepted (for B), A left as it is, and logged.
    let (code, _) = curl(
        &s,
        "x.other-secret.test",
        &s.ca_out,
        &[format!("x-api-key: {PH_A}"), format!("x-b: {PH_B}")],
    );
    assert_eq!(code, 0);
    let head = s.up.heads().pop().unwrap();
    assert!(head.contains(&format!("x-api-key: {PH_A}")), "{head}");
    assert!(head.contains(&format!("x-b: {VALUE_B}")), "{head}");
    let e = s
        .proxy
        .wait_entry(1, |e| e.rule == "secret-sent-elsewhere KEY_A");
    assert_eq!(e.host, "x.other-secret.test");

    // A host no secret is for: a plain tunnel. The client sees the server's own certificate
    // (it verifies with the test CA and not with the sandbox's CA), and the placeholder.
    let (code, body) = curl(&s, "plain.test", &s.ca_out, &[format!("x-api-key: {PH_A}")]);
    assert_ne!(
        code, 0,
        "the sandbox's CA verified plain.test: it was intercepted: {body}"
    );
    let (code, body) = curl(
        &s,
        "plain.test",
        &s.test_ca,
        &[format!("x-api-key: {PH_A}")],
    );
    assert_eq!(code, 0, "{body}");
    let head = s.up.heads().pop().unwrap();
    assert!(
        head.contains(&format!("x-api-key: {PH_A}")) && head.contains("plain.test"),
        "{head}"
    );
    assert!(!s.up.heads().iter().any(|h| h.contains(VALUE_A)));
}

#[test]
fn a_real_server_that_cannot_be_verified_gets_nothing() {
    // Without --upstream-ca the test server's certificate is not trusted by the proxy.
    let s = setup(false);
    let (code, body) = curl(
        &s,
        "api.secret.test",
        &s.ca_out,
        &[format!("x-api-key: {PH_A}")],
    );
    assert!(
        body.contains("502") || code != 0 || body.contains("verified"),
        "{code} {body}"
    );
    assert!(body.contains("could not be verified"), "{body}");
    settle();
    assert!(
        s.up.heads().is_empty(),
        "a request reached an unverified server"
    );
}

#[test]
fn fronting_a_secret_host_with_another_server_name_is_refused() {
    let s = setup(true);
    // CONNECT to the secret host, but a ClientHello for another name.
    let (mut c, r) = connect(&s.proxy, &format!("api.secret.test:{}", s.up.port));
    assert_eq!(r.status, 200);
    // A real ClientHello (rustls's first flight) naming plain.test.
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    let mut tls =
        rustls::ClientConnection::new(Arc::new(config), "plain.test".try_into().unwrap()).unwrap();
    let mut hello = Vec::new();
    tls.write_tls(&mut hello).unwrap();
    c.write_all(&hello).unwrap();
    // The proxy ends the connection (perhaps after a TLS alert).
    c.set_read_timeout(Some(WAIT)).unwrap();
    let mut rest = Vec::new();
    assert!(
        c.read_to_end(&mut rest).is_ok(),
        "the connection stayed open"
    );
    let e = s.proxy.wait_entry(1, |e| e.host == "api.secret.test");
    assert_eq!(
        (e.decision.as_str(), e.rule.as_str()),
        ("deny", "sni mismatch")
    );
    settle();
    assert!(s.up.heads().is_empty());
}

#[test]
fn secrets_that_cannot_be_read_stop_the_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("secrets.json");
    std::fs::write(&bad, "{not json").unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--http",
            "127.0.0.1:0",
            "--socks",
            "127.0.0.1:0",
            "--secrets",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("secrets file"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains(docksandbox_proxy::READY_MARKER));
}
