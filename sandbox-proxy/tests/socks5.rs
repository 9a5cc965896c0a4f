//! The SOCKS5 listener, end to end, against local targets that count what reaches them.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;

/// Greets, sends a request with command `cmd`, and returns the reply code.
fn request(s: &mut TcpStream, cmd: u8, addr: &[u8], port: u16) -> u8 {
    s.write_all(&[5, 1, 0]).unwrap();
    let mut choice = [0u8; 2];
    s.read_exact(&mut choice).unwrap();
    assert_eq!(choice, [5, 0]);
    let mut req = vec![5, cmd, 0];
    req.extend_from_slice(addr);
    req.extend_from_slice(&port.to_be_bytes());
    s.write_all(&req).unwrap();
    let mut reply = [0u8; 10];
    s.read_exact(&mut reply).unwrap();
    assert_eq!((reply[0], reply[3]), (5, 1));
    reply[1]
}

fn ipv4(a: [u8; 4]) -> Vec<u8> {
    let mut v = vec![1];
    v.extend_from_slice(&a);
    v
}

fn domain(name: &str) -> Vec<u8> {
    let mut v = vec![3, name.len() as u8];
    v.extend_from_slice(name.as_bytes());
    v
}

#[test]
fn socks5_connect_allowed_and_denied() {
    let target = Target::start(Mode::Echo);
    let other = Target::start(Mode::Echo);
    let policy = format!(
        r#"{{"default":"deny","allow":["127.0.0.1:{p}","allowed.test:{p}"],"hosts":{{"allowed.test":["127.0.0.1"],"other.test":["127.0.0.1"]}}}}"#,
        p = target.port
    );
    let proxy = Proxy::start(Some(&policy), &[]);

    for addr in [ipv4([127, 0, 0, 1]), domain("allowed.test")] {
        let mut s = proxy.connect_socks();
        assert_eq!(request(&mut s, 1, &addr, target.port), 0x00);
        s.write_all(b"ping").unwrap();
        let mut back = [0u8; 4];
        s.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"ping");
    }

    // Refused: another port, another name, loopback by IPv6, metadata.
    for (addr, port) in [
        (ipv4([127, 0, 0, 1]), other.port),
        (domain("other.test"), other.port),
        (domain("other.test"), target.port),
        (
            {
                let mut v = vec![4];
                v.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
                v
            },
            target.port,
        ),
        (domain("metadata.google.internal"), 80),
    ] {
        let mut s = proxy.connect_socks();
        assert_eq!(request(&mut s, 1, &addr, port), 0x02, "{addr:?}:{port}");
        assert!(closed(&mut s));
    }

    settle();
    assert_eq!(target.accepted(), 2);
    assert_eq!(other.accepted(), 0);
    let e = proxy.wait_entry(2, |e| e.proto == "socks5" && e.decision == "allow");
    assert_eq!((e.bytes_up, e.bytes_down), (4, 4));
    let d = proxy.wait_entry(1, |e| e.proto == "socks5" && e.decision == "deny");
    assert_eq!((d.bytes_up, d.bytes_down), (0, 0));
}

#[test]
fn socks5_bind_udp_and_auth_only_clients_are_refused() {
    let target = Target::start(Mode::Echo);
    let policy = format!(r#"{{"allow":["127.0.0.1:{}"]}}"#, target.port);
    let proxy = Proxy::start(Some(&policy), &[]);
    for cmd in [2u8, 3] {
        let mut s = proxy.connect_socks();
        assert_eq!(
            request(&mut s, cmd, &ipv4([127, 0, 0, 1]), target.port),
            0x07
        );
    }
    // Address type 0x02 does not exist.
    let mut s = proxy.connect_socks();
    s.write_all(&[5, 1, 0]).unwrap();
    let mut choice = [0u8; 2];
    s.read_exact(&mut choice).unwrap();
    s.write_all(&[5, 1, 0, 2, 0, 0]).unwrap();
    let mut reply = [0u8; 10];
    s.read_exact(&mut reply).unwrap();
    assert_eq!(reply[1], 0x08);
    // A client offering only username/password gets "no acceptable method".
    let mut s = proxy.connect_socks();
    s.write_all(&[5, 1, 2]).unwrap();
    let mut choice = [0u8; 2];
    s.read_exact(&mut choice).unwrap();
    assert_eq!(choice, [5, 0xff]);
    settle();
    assert_eq!(target.accepted(), 0);
    proxy.wait_entry(1, |e| e.rule == "socks5 command");
}

#[test]
fn socks5_to_a_tls_port_needs_a_clienthello_naming_the_host() {
    let target = Target::start(Mode::Record);
    let policy = format!(
        r#"{{"default":"deny","allow":["allowed.test:{p}"],"hosts":{{"allowed.test":["127.0.0.1"]}}}}"#,
        p = target.port
    );
    let tls = format!("443,{}", target.port);
    let proxy = Proxy::start(Some(&policy), &["--tls-ports", &tls]);

    // Fronting through SOCKS: the reply is a success, the hello names another host, nothing is dialed.
    let mut s = proxy.connect_socks();
    assert_eq!(
        request(&mut s, 1, &domain("allowed.test"), target.port),
        0x00
    );
    s.write_all(&client_hello(Some("evil.test"))).unwrap();
    assert!(closed(&mut s));
    let e = proxy.wait_entry(1, |e| e.proto == "socks5" && e.rule == "sni mismatch");
    assert_eq!(e.decision, "deny");
    settle();
    assert_eq!(target.accepted(), 0, "the target saw a connection");

    // The hello naming the host goes through, its bytes first.
    let mut s = proxy.connect_socks();
    assert_eq!(
        request(&mut s, 1, &domain("allowed.test"), target.port),
        0x00
    );
    let hello = client_hello(Some("allowed.test"));
    s.write_all(&hello).unwrap();
    assert_eq!(target.wait_received(hello.len())[..hello.len()], hello[..]);
    assert_eq!(target.accepted(), 1);
}
