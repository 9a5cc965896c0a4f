//! The scoped-docker proxy's decisions on arbitrary requests: the route parser, the query
//! parser and every body check. Fails on a panic, and on any accepted create whose forwarded
//! body (as the engine would read it) is privileged, adds a capability beyond Docker's
//! defaults, binds a host path outside the workspace (other than the proxy's own socket),
//! joins a host namespace, leaves a published port, or lacks the owner label; and on any
//! accepted route the reference lists as denied.

#![no_main]

use docksandbox_proxy::engine_api::create::check_create;
use docksandbox_proxy::engine_api::objects::{check_build, check_network, check_volume};
use docksandbox_proxy::engine_api::query::Query;
use docksandbox_proxy::engine_api::route::parse;
use docksandbox_proxy::engine_api::scope::{Limits, Scope, OWNER_LABEL};
use libfuzzer_sys::fuzz_target;

const DEFAULT_CAPS: &[&str] = &[
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
    "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];

/// Fragments the fuzzer splices into bodies and paths (coverage does not find these alone).
const WORDS: &[&str] = &[
    r#"{"Image":"a","HostConfig":{"#, r#""Privileged":true"#, r#""Binds":["/:/h"]"#,
    r#""Binds":["/w/x:/x"]"#, r#""Binds":["/w/../etc:/e"]"#, r#""CapAdd":["sys_admin"]"#,
    r#""PidMode":"host""#, r#""NetworkMode":"host""#, r#""Mounts":[{"Type":"bind","Source":"/"}]"#,
    r#""privileged":true"#, r#""PortBindings":{"80/tcp":[{"HostPort":"1"}]}"#, "}}", ",", "}",
    "/v1.41", "/containers/", "/create", "/start", "/exec/", "/build", "%2F", "..", "//",
];

fn scope() -> Scope {
    Scope {
        owner: "sb".into(),
        sandbox: "sb".into(),
        workspace: "/w".into(),
        network: "sb-net".into(),
        socket_paths: vec!["/var/run/docker.sock".into()],
        proxy_socket: "/p/docker.sock".into(),
        build_args: vec![],
        limits: Limits { memory: Some(1 << 30), nano_cpus: None, pids: Some(512) },
        labels: vec![],
    }
}

fn splice(data: &[u8]) -> Vec<u8> {
    // Each byte >= 0xe0 stands for a fragment; the rest are themselves.
    let mut out = Vec::new();
    for &b in data {
        if b >= 0xe0 {
            out.extend_from_slice(WORDS[(b - 0xe0) as usize % WORDS.len()].as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let data = splice(data);
    let s = scope();
    let (head, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..], &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let (path, query) = head.split_once('?').unwrap_or((&head, ""));
    for method in ["GET", "POST", "DELETE", "PUT", "HEAD"] {
        if let Ok(t) = parse(method, path) {
            let p = t.route.render();
            for denied in ["/grpc", "/plugins", "/swarm", "/services", "/copy", "/images/load", "/system"] {
                assert!(!p.starts_with(denied), "{method} {path} accepted as {p}");
            }
            assert!(!path.contains('%') && !path.contains("//"), "{path} accepted");
        }
    }
    if let Ok(mut q) = Query::parse(Some(query)) {
        let _ = q.encode();
        if check_build(&mut q, &s).is_ok() {
            let mode = q.get("networkmode").unwrap_or("");
            assert!(mode == "sb-net" || mode == "none", "build network {mode}");
            let remote = q.get("remote").unwrap_or("");
            assert!(
                remote.is_empty() || (remote == "client-session" && q.get("version") == Some("2")),
                "build remote {remote}"
            );
        }
    }
    let _ = check_network(body, &s);
    if let Ok(v) = check_volume(body, &s) {
        assert!(v.driver_opts.as_ref().is_none_or(|o| o.is_empty()));
    }
    if let Ok((c, _)) = check_create(body, &s) {
        // What the engine gets: the re-serialized body, read again.
        let forwarded = serde_json::to_vec(&c).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&forwarded).unwrap();
        let hc = &v["HostConfig"];
        assert_ne!(hc["Privileged"], true);
        for cap in hc["CapAdd"].as_array().into_iter().flatten() {
            let cap = cap.as_str().unwrap().to_ascii_uppercase();
            let cap = cap.strip_prefix("CAP_").unwrap_or(&cap).to_string();
            assert!(DEFAULT_CAPS.contains(&cap.as_str()), "cap {cap}");
        }
        for b in hc["Binds"].as_array().into_iter().flatten() {
            let src = b.as_str().unwrap().split(':').next().unwrap();
            assert!(
                !src.starts_with('/') || src == "/p/docker.sock" || (src.starts_with("/w/") && !src.contains("/..")) || src == "/w",
                "bind {src}"
            );
        }
        for m in hc["Mounts"].as_array().into_iter().flatten() {
            if m["Type"] == "bind" {
                let src = m["Source"].as_str().unwrap_or("");
                assert!(src == "/p/docker.sock" || src == "/w" || (src.starts_with("/w/") && !src.contains("/..")), "mount {src}");
            }
        }
        for ns in ["PidMode", "IpcMode", "UTSMode", "UsernsMode", "NetworkMode", "CgroupnsMode"] {
            assert_ne!(hc[ns], "host", "{ns}");
        }
        assert!(hc["PortBindings"].is_null());
        assert_eq!(v["Labels"][OWNER_LABEL], "sb");
        // Deciding the forwarded body again accepts it (nothing the first pass let through
        // would be refused: the rewrite is a fixed point).
        assert!(check_create(&forwarded, &s).is_ok(), "{}", String::from_utf8_lossy(&forwarded));
    }
});
