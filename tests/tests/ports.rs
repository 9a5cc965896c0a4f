//! Ports: a web server inside a sandbox reached from the host on the printed port, for a port
//! declared at create and one added while it runs, on a `proxy` sandbox (through forwarders,
//! its only way in) and a `bridge` one (published by the engine); bound to 127.0.0.1 unless
//! 0.0.0.0 is written out; a taken host port is a named error and leaves nothing.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::Duration;

use docksandbox::{Error, NetworkMode, PortMapping, Sandbox};
use docksandbox_tests::{docker, docker_inspect, env_or_skip};

/// Starts busybox httpd on `port` serving `dir`, in the background.
async fn serve(sb: &Sandbox, port: u16, dir: &str) {
    let out = sb
        .exec(["httpd", "-p", &port.to_string(), "-h", dir])
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0, "{out:?}");
}

/// GET / at `addr` from the host; `None` when nothing answers.
fn get(addr: &str, path: &str) -> Option<String> {
    for _ in 0..50 {
        if let Ok(mut s) =
            TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2))
        {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let _ = write!(s, "GET /{path} HTTP/1.0\r\nHost: x\r\n\r\n");
            let mut body = String::new();
            if s.read_to_string(&mut body).is_ok() && !body.is_empty() {
                return Some(body);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// This host's address on its default route (not loopback), if it has one.
fn outside_address() -> Option<IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback()).then_some(ip)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_sandbox_is_reached_through_its_forwarders_only() {
    let env = env_or_skip!();
    let ws = env.workspace("ports proxy");
    std::fs::write(ws.join("index.html"), "declared-port-page").unwrap();
    let sb = env
        .builder(&ws)
        .port(PortMapping::tcp(8000))
        .run()
        .await
        .unwrap();
    assert_eq!(sb.spec().network, Some(NetworkMode::Proxy));
    let wsdir = ws.to_string_lossy().into_owned();
    serve(&sb, 8000, &wsdir).await;
    let p = sb.port(8000).await.unwrap().expect("port 8000 published");
    assert!(p.forwarded, "{p:?}");
    assert_eq!(
        p.host_ip,
        IpAddr::from([127, 0, 0, 1]),
        "bound to loopback by default"
    );
    let body = get(&p.host_address(), "index.html").expect("the declared port answers");
    assert!(body.contains("declared-port-page"), "{body}");
    // Loopback only: the host's outside address does not lead in.
    if let Some(ip) = outside_address() {
        let outside = std::net::SocketAddr::new(ip, p.host_port);
        assert!(
            TcpStream::connect_timeout(&outside, Duration::from_secs(2)).is_err(),
            "port {p} answered on {outside}"
        );
    }

    // A port the agent started later, added without recreating the sandbox.
    let id_before = sb.id().to_string();
    std::fs::create_dir_all(ws.join("later")).unwrap();
    std::fs::write(ws.join("later/index.html"), "added-port-page").unwrap();
    serve(&sb, 9000, &format!("{wsdir}/later")).await;
    let added = sb.add_port(PortMapping::tcp(9000)).await.unwrap();
    let body = get(&added.host_address(), "index.html").expect("the added port answers");
    assert!(body.contains("added-port-page"), "{body}");
    assert_eq!(sb.id(), id_before);
    let all = sb.ports().await.unwrap();
    assert_eq!(
        all.iter().map(|p| p.container_port).collect::<Vec<_>>(),
        [8000, 9000],
        "{all:?}"
    );
    assert_eq!(sb.inspect().await.unwrap().ports.unwrap(), all);
    let listed = env
        .client
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == sb.name())
        .unwrap();
    assert_eq!(listed.ports.unwrap(), all, "list shows the ports too");

    // The sandbox itself publishes nothing and stays alone on its own network: the forwarders
    // add no way out and no other network.
    let d = docker_inspect(sb.id());
    assert!(
        d["NetworkSettings"]["Ports"]
            .as_object()
            .is_none_or(|m| m.is_empty()),
        "{}",
        d["NetworkSettings"]["Ports"]
    );
    let nets: Vec<String> = d["NetworkSettings"]["Networks"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(nets, [format!("{}-net", sb.name())]);

    sb.stop().await.unwrap();
    assert!(
        sb.ports().await.unwrap().is_empty(),
        "a stopped sandbox has no open ports"
    );
    // Started again by `run`: the forwarders come back.
    let again = env.builder(&ws).run().await.unwrap();
    let p = again.port(8000).await.unwrap().expect("published again");
    serve(&again, 8000, &wsdir).await;
    assert!(get(&p.host_address(), "index.html")
        .unwrap()
        .contains("declared-port-page"));

    let name = again.name().to_string();
    again.remove().await.unwrap();
    let left = docker(&["ps", "-aq", "--filter", &format!("name=^{name}-port-")]);
    assert!(left.trim().is_empty(), "forwarders left: {left}");
    let nets = docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("name=^{name}-ports"),
    ]);
    assert!(nets.trim().is_empty(), "networks left: {nets}");
    assert!(
        get(&p.host_address(), "").is_none(),
        "the port still answers after rm"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bridge_sandbox_publishes_its_ports_and_adds_more_while_running() {
    let env = env_or_skip!();
    let ws = env.workspace("ports bridge");
    std::fs::write(ws.join("index.html"), "bridge-page").unwrap();
    let wide: PortMapping = "0.0.0.0::8001".parse().unwrap();
    let sb = env
        .builder(&ws)
        .network(NetworkMode::Bridge)
        .port(wide)
        .run()
        .await
        .unwrap();
    let wsdir = ws.to_string_lossy().into_owned();
    serve(&sb, 8001, &wsdir).await;
    serve(&sb, 9001, &wsdir).await;
    let p = sb.port(8001).await.unwrap().expect("published");
    assert!(!p.forwarded && p.host_ip.is_unspecified(), "{p:?}");
    let at = format!("127.0.0.1:{}", p.host_port);
    assert!(get(&at, "index.html").unwrap().contains("bridge-page"));
    let added = sb.add_port(PortMapping::tcp(9001)).await.unwrap();
    assert!(added.forwarded);
    assert!(get(&added.host_address(), "index.html")
        .unwrap()
        .contains("bridge-page"));
    let id = sb.id().to_string();
    sb.remove().await.unwrap();
    assert!(docker(&["ps", "-aq", "--filter", &format!("id={id}")])
        .trim()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_host_port_is_named_and_nothing_is_left() {
    let env = env_or_skip!();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    for network in [NetworkMode::Proxy, NetworkMode::Bridge] {
        let ws = env.workspace(&format!("taken {network}"));
        let before = env.all_labelled();
        let e = env
            .builder(&ws)
            .network(network)
            .port(format!("{port}:80").parse().unwrap())
            .run()
            .await
            .unwrap_err();
        match &e {
            Error::PortInUse { port: p, .. } => assert_eq!(p, &format!("127.0.0.1:{port}")),
            e => panic!("{network}: {e:?}"),
        }
        assert!(e.to_string().contains("already in use"), "{e}");
        // Nothing half made stays (the proxy's parts are removed in the background).
        let after = env.all_labelled();
        let new: Vec<_> = after.iter().filter(|c| !before.contains(c)).collect();
        assert!(new.is_empty(), "{network}: left {new:?}");
    }
}
