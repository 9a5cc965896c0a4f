//! The policy file: applied live, fail closed when missing, invalid versions ignored, and the
//! `policy set` / `policy show` commands.

mod common;

use std::process::Command;

use common::*;

fn allow(port: u16) -> String {
    format!(r#"{{"default":"deny","allow":["127.0.0.1:{port}"]}}"#)
}

#[test]
fn a_changed_policy_applies_without_restart() {
    let target = Target::start(Mode::Echo);
    let proxy = Proxy::start(Some(&allow(target.port)), &[]);
    let t = format!("127.0.0.1:{}", target.port);
    assert_eq!(connect(&proxy, &t).1.status, 200);

    assert_eq!(proxy.set_policy(r#"{"default":"deny"}"#), 0);
    proxy.wait_policy(2, "applied");
    let (_s, r) = connect(&proxy, &t);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-docksandbox-rule").as_deref(),
        Some(format!("port {} needs a HOST:PORT rule", target.port).as_str())
    );

    // An invalid file (written behind `policy set`'s back) is ignored: the last valid one stays.
    std::fs::write(&proxy.policy, r#"{"allow":["*.com"]}"#).unwrap();
    let line = proxy.wait_policy(1, "invalid");
    assert!(line.message.contains("*.com"), "{}", line.message);
    assert_eq!(connect(&proxy, &t).1.status, 403);

    // And a valid one again applies.
    assert_eq!(proxy.set_policy(&allow(target.port)), 0);
    proxy.wait_policy(3, "applied");
    assert_eq!(connect(&proxy, &t).1.status, 200);
    settle();
    assert_eq!(target.accepted(), 2);
}

#[test]
fn missing_policy_denies_everything_until_one_is_written() {
    let target = Target::start(Mode::Echo);
    let proxy = Proxy::start(None, &[]);
    proxy.wait_policy(1, "missing");
    let t = format!("127.0.0.1:{}", target.port);
    let (_s, r) = connect(&proxy, &t);
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-docksandbox-rule").as_deref(), Some("no policy"));
    let mut s = proxy.connect_http();
    std::io::Write::write_all(
        &mut s,
        format!("GET http://{t}/ HTTP/1.1\r\nHost: {t}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(read_response(&mut s).status, 403);
    settle();
    assert_eq!(target.accepted(), 0);
    proxy.wait_entry(2, |e| e.rule == "no policy" && e.decision == "deny");

    assert_eq!(proxy.set_policy(&allow(target.port)), 0);
    proxy.wait_policy(1, "applied");
    assert_eq!(connect(&proxy, &t).1.status, 200);

    // Removing the file again fails closed.
    std::fs::remove_file(&proxy.policy).unwrap();
    proxy.wait_policy(2, "missing");
    assert_eq!(connect(&proxy, &t).1.status, 403);
}

#[test]
fn an_invalid_policy_at_start_denies_everything() {
    let target = Target::start(Mode::Echo);
    let proxy = Proxy::start(Some("{not json"), &[]);
    proxy.wait_policy(1, "invalid");
    assert_eq!(
        connect(&proxy, &format!("127.0.0.1:{}", target.port))
            .1
            .status,
        403
    );
    settle();
    assert_eq!(target.accepted(), 0);
}

#[test]
fn policy_set_validates_and_replaces_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    assert_eq!(
        set_policy_at(&path, r#"{"default":"deny","allow":["Example.COM"]}"#),
        0
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("\"example.com\""), "{written}");
    assert!(!dir.path().join("policy.json.tmp").exists());

    for bad in [
        r#"{"allow":["exa mple.com"]}"#,
        r#"{"unknown":1}"#,
        "nope",
        r#"{"hosts":{"10.0.0.1":[]}}"#,
    ] {
        assert_eq!(set_policy_at(&path, bad), 2, "{bad}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), written, "{bad}");
    }

    let show = Command::new(BIN)
        .args(["policy", "show", "--policy"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(show.status.success());
    assert_eq!(String::from_utf8_lossy(&show.stdout), written);

    let missing = dir.path().join("none.json");
    let show = Command::new(BIN)
        .args(["policy", "show", "--policy"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(show.status.success());
    assert!(String::from_utf8_lossy(&show.stderr).contains("does not exist"));
    let shown: docksandbox_proxy::policy::Policy = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown, Default::default());

    let v = Command::new(BIN).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("docksandbox-proxy "));
    let bad = Command::new(BIN).arg("frobnicate").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn policy_set_returns_once_the_server_applies_the_change() {
    let target = Target::start(Mode::Echo);
    let proxy = Proxy::start(Some(r#"{"default":"deny"}"#), &[]);
    let t = format!("127.0.0.1:{}", target.port);
    // No waiting for the file watcher: each change is in force when `policy set` returns.
    for round in 0..20 {
        let (policy, status) = if round % 2 == 0 {
            (allow(target.port), 200)
        } else {
            (r#"{"default":"deny"}"#.to_string(), 403)
        };
        assert_eq!(proxy.set_policy(&policy), 0);
        assert_eq!(connect(&proxy, &t).1.status, status, "round {round}");
    }
}
