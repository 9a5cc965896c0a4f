//! The HTTP proxy listener, end to end: CONNECT tunnels, absolute-URI requests, keep-alive,
//! and the ClientHello check, against local targets that count what reaches them.

mod common;

use std::io::{Read, Write};

use common::*;

fn allow_port(port: u16) -> String {
    format!(
        r#"{{"default":"deny","allow":["127.0.0.1:{port}","allowed.test:{port}"],"hosts":{{"allowed.test":["127.0.0.1"]}}}}"#
    )
}

#[test]
fn connect_allowed_bytes_flow_both_ways() {
    let target = Target::start(Mode::Echo);
    let proxy = Proxy::start(Some(&allow_port(target.port)), &[]);
    for (n, host) in ["127.0.0.1", "allowed.test"].iter().enumerate() {
        let (mut s, r) = connect(&proxy, &format!("{host}:{}", target.port));
        assert_eq!(r.status, 200, "{host}: {}", r.head);
        s.write_all(b"hello through the tunnel").unwrap();
        let mut back = [0u8; 24];
        s.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello through the tunnel");
        drop(s);
        let e = proxy.wait_entry(1, |e| e.proto == "connect" && e.host == *host);
        assert_eq!(e.decision, "allow");
        assert_eq!(e.rule, format!("allow {host}:{}", target.port));
        assert_eq!((e.bytes_up, e.bytes_down), (24, 24));
        assert_eq!(
            e.addr.as_deref(),
            Some(format!("127.0.0.1:{}", target.port).as_str())
        );
        assert_eq!(target.accepted(), n + 1);
    }
}

#[test]
fn connect_denied_is_403_and_the_target_sees_nothing() {
    let allowed = Target::start(Mode::Echo);
    let other = Target::start(Mode::Echo);
    let policy = format!(
        r#"{{"default":"allow","allow":["127.0.0.1:{a}","*.rebind.test:{b}"],"hosts":{{"x.rebind.test":["127.0.0.1"]}}}}"#,
        a = allowed.port,
        b = other.port
    );
    let proxy = Proxy::start(Some(&policy), &[]);

    let (mut s, r) = connect(&proxy, &format!("127.0.0.1:{}", other.port));
    assert_eq!(r.status, 403);
    let rule = format!("port {} needs a HOST:PORT rule", other.port);
    assert_eq!(
        r.header("x-docksandbox-rule").as_deref(),
        Some(rule.as_str())
    );
    assert!(
        r.body.starts_with(&format!(
            "docksandbox: 127.0.0.1:{} refused ({rule}): ",
            other.port
        )),
        "{}",
        r.body
    );
    // The connection stays usable: a second CONNECT on it, to the allowed target, works.
    write!(
        s,
        "CONNECT 127.0.0.1:{p} HTTP/1.1\r\nHost: 127.0.0.1:{p}\r\n\r\n",
        p = allowed.port
    )
    .unwrap();
    assert_eq!(read_response(&mut s).status, 200);
    drop(s);

    // A wildcard-with-port rule is not exact: a name resolving to loopback is refused (rebinding).
    let (_s, r) = connect(&proxy, &format!("x.rebind.test:{}", other.port));
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-docksandbox-rule").as_deref(),
        Some("always refused: loopback 127.0.0.0/8")
    );

    // Loopback through the default (no exact rule) and the metadata names are refused.
    for target in [
        "127.0.0.1:443",
        "[::ffff:127.0.0.1]:443",
        "localhost:443",
        "metadata.google.internal:80",
        "2130706433:443",
    ] {
        let (_s, r) = connect(&proxy, target);
        assert_eq!(r.status, 403, "{target}");
    }

    settle();
    assert_eq!(other.accepted(), 0);
    assert_eq!(allowed.accepted(), 1);
    let e = proxy.wait_entry(1, |e| e.proto == "connect" && e.decision == "deny");
    assert_eq!((e.bytes_up, e.bytes_down), (0, 0));
    assert_eq!(e.rule, rule);
}

#[test]
fn absolute_uri_get_allowed_and_denied() {
    let target = Target::start(Mode::Http);
    let other = Target::start(Mode::Http);
    let proxy = Proxy::start(Some(&allow_port(target.port)), &[]);

    let mut s = proxy.connect_http();
    write!(
        s,
        "GET http://allowed.test:{p}/path?q=1 HTTP/1.1\r\nHost: evil.test\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\nUser-Agent: t\r\n\r\n",
        p = target.port
    )
    .unwrap();
    let r = read_response(&mut s);
    assert_eq!(r.status, 200, "{}", r.head);
    assert_eq!(r.header("x-target").as_deref(), Some("yes"));
    assert!(
        r.body.starts_with("GET /path?q=1 HTTP/1.1\r\n"),
        "{}",
        r.body
    );
    let lower = r.body.to_ascii_lowercase();
    assert!(
        lower.contains(&format!("host: allowed.test:{}\r\n", target.port)),
        "{}",
        r.body
    );
    assert!(!lower.contains("evil.test"), "{}", r.body);
    assert!(!lower.contains("proxy-"), "{}", r.body);

    let mut s = proxy.connect_http();
    write!(
        s,
        "GET http://127.0.0.1:{p}/ HTTP/1.1\r\nHost: 127.0.0.1:{p}\r\n\r\n",
        p = other.port
    )
    .unwrap();
    let r = read_response(&mut s);
    assert_eq!(r.status, 403);
    assert!(r
        .body
        .starts_with(&format!("docksandbox: 127.0.0.1:{} refused (", other.port)));

    settle();
    assert_eq!(target.accepted(), 1);
    assert_eq!(other.accepted(), 0);
    let e = proxy.wait_entry(1, |e| e.proto == "http" && e.decision == "allow");
    assert_eq!(e.host, "allowed.test");
    assert!(e.bytes_down > 0);
}

#[test]
fn keep_alive_each_request_is_decided_on_its_own() {
    let target = Target::start(Mode::Http);
    let other = Target::start(Mode::Http);
    let proxy = Proxy::start(Some(&allow_port(target.port)), &[]);
    let mut s = proxy.connect_http();
    // Two requests pipelined in one write, the second to a host the policy refuses.
    let both = format!(
        "GET http://allowed.test:{a}/first HTTP/1.1\r\nHost: allowed.test:{a}\r\n\r\nGET http://127.0.0.1:{b}/second HTTP/1.1\r\nHost: allowed.test:{a}\r\n\r\n",
        a = target.port,
        b = other.port
    );
    s.write_all(both.as_bytes()).unwrap();
    let first = read_response(&mut s);
    assert_eq!(first.status, 200);
    assert!(first.body.starts_with("GET /first "), "{}", first.body);
    let second = read_response(&mut s);
    assert_eq!(second.status, 403, "{}", second.head);
    // And a third, later, on the same connection, to the allowed host again.
    write!(
        s,
        "GET http://allowed.test:{a}/third HTTP/1.1\r\nHost: x\r\n\r\n",
        a = target.port
    )
    .unwrap();
    let third = read_response(&mut s);
    assert_eq!(third.status, 200);
    assert!(third.body.starts_with("GET /third "));
    settle();
    assert_eq!(target.accepted(), 2);
    assert_eq!(other.accepted(), 0);
}

#[test]
fn origin_form_upgrade_and_userinfo_are_refused() {
    let target = Target::start(Mode::Http);
    let proxy = Proxy::start(Some(&allow_port(target.port)), &[]);
    let p = target.port;

    let mut s = proxy.connect_http();
    write!(s, "GET /path HTTP/1.1\r\nHost: allowed.test:{p}\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s).status, 400);

    let mut s = proxy.connect_http();
    write!(s, "GET http://allowed.test:{p}/ws HTTP/1.1\r\nHost: allowed.test:{p}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").unwrap();
    let r = read_response(&mut s);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("x-docksandbox-rule").as_deref(),
        Some("upgrade refused")
    );

    let mut s = proxy.connect_http();
    write!(
        s,
        "GET http://allowed.test:{p}@127.0.0.2:{p}/ HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let r = read_response(&mut s);
    assert_eq!(r.status, 403, "{}", r.head);
    assert_eq!(
        r.header("x-docksandbox-rule").as_deref(),
        Some("userinfo in URI")
    );

    // HTTP/1.1 only: an h2c prior-knowledge preface gets no HTTP/2 (the connection is closed).
    let mut s = proxy.connect_http();
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 4"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );

    settle();
    assert_eq!(target.accepted(), 0);
}

#[test]
fn clienthello_must_name_the_connect_host() {
    let target = Target::start(Mode::Record);
    let policy = allow_port(target.port);
    let tls = format!("443,{}", target.port);
    let proxy = Proxy::start(Some(&policy), &["--tls-ports", &tls]);
    let t = format!("allowed.test:{}", target.port);

    // SNI of another host: closed, nothing dialed.
    let (mut s, r) = connect(&proxy, &t);
    assert_eq!(r.status, 200);
    s.write_all(&client_hello(Some("evil.test"))).unwrap();
    assert!(closed(&mut s));
    let e = proxy.wait_entry(1, |e| e.rule == "sni mismatch");
    assert_eq!(
        (e.decision.as_str(), e.sni.as_deref(), e.bytes_up),
        ("deny", Some("evil.test"), 0)
    );

    // Not TLS at all (SSH over a TLS port): closed.
    let (mut s, _) = connect(&proxy, &t);
    s.write_all(b"SSH-2.0-OpenSSH_9.6\r\n").unwrap();
    assert!(closed(&mut s));
    proxy.wait_entry(1, |e| e.rule == "not tls");

    // No server name, to a name: closed.
    let (mut s, _) = connect(&proxy, &t);
    s.write_all(&client_hello(None)).unwrap();
    assert!(closed(&mut s));
    proxy.wait_entry(1, |e| e.rule == "sni missing");

    settle();
    assert_eq!(target.accepted(), 0);
    assert!(target.received().is_empty());

    // The right name: the ClientHello reaches the target unchanged, in two writes.
    let hello = client_hello(Some("Allowed.Test"));
    let (mut s, _) = connect(&proxy, &t);
    s.write_all(&hello[..10]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    s.write_all(&hello[10..]).unwrap();
    s.write_all(b"after").unwrap();
    let got = target.wait_received(hello.len() + 5);
    assert_eq!(&got[..hello.len()], &hello[..]);
    assert_eq!(&got[hello.len()..], b"after");
    assert_eq!(target.accepted(), 1);
    drop(s);
    let e = proxy.wait_entry(1, |e| e.proto == "connect" && e.decision == "allow");
    assert_eq!(e.sni.as_deref(), Some("allowed.test"));
    assert_eq!(e.bytes_up, hello.len() as u64 + 5);

    // CONNECT and the ClientHello in one write (the client does not wait for the 200).
    let mut s = proxy.connect_http();
    let mut both = format!("CONNECT {t} HTTP/1.1\r\nHost: {t}\r\n\r\n").into_bytes();
    both.extend_from_slice(&hello);
    s.write_all(&both).unwrap();
    assert_eq!(read_response(&mut s).status, 200);
    let got = target.wait_received(2 * hello.len() + 5);
    assert_eq!(&got[hello.len() + 5..], &hello[..]);
    assert_eq!(target.accepted(), 2);
}

#[test]
fn a_client_that_closes_its_side_after_the_request_still_gets_the_answer() {
    let target = Target::start(Mode::Http);
    let proxy = Proxy::start(Some(&allow_port(target.port)), &[]);
    for _ in 0..20 {
        let mut s = proxy.connect_http();
        let req = format!(
            "GET http://allowed.test:{p}/ HTTP/1.1\r\nHost: allowed.test:{p}\r\n\r\n",
            p = target.port
        );
        s.write_all(req.as_bytes()).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 200"), "{out:?}");
    }
}
