//! A test "internet" on this machine, for the network-policy tests and the benchmark: servers of
//! the test's own that count everything reaching them. Nothing is ever sent to an address
//! outside this machine.
//!
//! - a "public" server in a network namespace the test makes (`198.51.100.2`, and
//!   `2001:db8:5::2` where the host has IPv6), reached from the engine's containers through a
//!   veth pair whose host side (`198.51.100.1`) is one of this host's addresses: HTTP on 80, TLS
//!   on 443 (any name, certificate for `*.test`), raw TCP on 22 and 8022, UDP on 53, and a git
//!   repository at `/git/repo.git` (git's "dumb" HTTP protocol);
//! - on this host: a service bound to 0.0.0.0 (what a developer's database or web server is),
//!   "cloud metadata" at 169.254.169.254:80 and a "private" server at 10.203.0.1:80 (both put on
//!   `lo` and removed after), and a DNS catcher on 127.0.0.1:53 when that port is free.
//!
//! One internet at a time (a process-wide lock): tests that use it run one after the other.
//! Needs root (`ip netns`, addresses on `lo`).

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The "public" server's address.
pub const PUBLIC: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
/// The host's side of the link to it (an address of this host).
pub const HOST_SIDE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The "public" server's IPv6 address.
pub const PUBLIC6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 5, 0, 0, 0, 0, 2);
/// "Cloud metadata", on this host's `lo`.
pub const METADATA: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
/// A "private network" server, on this host's `lo`.
pub const PRIVATE: Ipv4Addr = Ipv4Addr::new(10, 203, 0, 1);
/// The docker0 bridge's address (the engine's default gateway on this host).
pub const DOCKER0: Ipv4Addr = Ipv4Addr::new(172, 17, 0, 1);

const NS: &str = "dstest-internet";
const VETH_HOST: &str = "dstest-h";
const VETH_NS: &str = "dstest-n";
const LO_ADDRS: [&str; 2] = ["169.254.169.254/32", "10.203.0.1/32"];

/// The running test internet; dropping it removes everything it made.
#[derive(Debug)]
pub struct Internet {
    /// The port of the host service bound to 0.0.0.0.
    pub host_port: u16,
    /// Whether the DNS catcher on this host's 127.0.0.1:53 runs.
    pub dns_catcher: bool,
    dir: tempfile::TempDir,
    servers: Vec<Child>,
    _turn: MutexGuard<'static, ()>,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn must(args: &[&str]) {
    assert!(
        ip(args),
        "`ip {}` failed (the network tests need root)",
        args.join(" ")
    );
}

fn teardown() {
    ip(&["netns", "del", NS]);
    ip(&["link", "del", VETH_HOST]);
    for a in LO_ADDRS {
        ip(&["addr", "del", a, "dev", "lo"]);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Internet {
    /// Sets the internet up (waiting for any other test using one to finish).
    pub fn start() -> Internet {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        teardown(); // what a crashed run may have left
        must(&["netns", "add", NS]);
        must(&[
            "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS,
        ]);
        must(&["link", "set", VETH_NS, "netns", NS]);
        must(&["addr", "add", &format!("{HOST_SIDE}/24"), "dev", VETH_HOST]);
        must(&["link", "set", VETH_HOST, "up"]);
        must(&[
            "-n",
            NS,
            "addr",
            "add",
            &format!("{PUBLIC}/24"),
            "dev",
            VETH_NS,
        ]);
        must(&["-n", NS, "link", "set", VETH_NS, "up"]);
        must(&["-n", NS, "link", "set", "lo", "up"]);
        must(&[
            "-n",
            NS,
            "route",
            "add",
            "default",
            "via",
            &HOST_SIDE.to_string(),
        ]);
        // IPv6 where the host has it (the sandbox must not reach it either way).
        let v6 = ip(&[
            "-6",
            "-n",
            NS,
            "addr",
            "add",
            &format!("{PUBLIC6}/64"),
            "dev",
            VETH_NS,
            "nodad",
        ]) && ip(&[
            "-6",
            "addr",
            "add",
            "2001:db8:5::1/64",
            "dev",
            VETH_HOST,
            "nodad",
        ]);
        for a in LO_ADDRS {
            must(&["addr", "add", a, "dev", "lo"]);
        }
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        // Self-signed but not a CA (a verifying client such as the egress proxy, told to
        // trust it, accepts it only as an end-entity certificate).
        let conf = dir.path().join("cert.cnf");
        std::fs::write(
            &conf,
            "[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=allowed.test\n[ext]\nbasicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:*.test,DNS:api.anthropic.com,DNS:api.openai.com\n",
        )
        .unwrap();
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .arg("-config")
            .arg(&conf)
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(
            made.success(),
            "openssl could not make the test certificate"
        );
        // A repository to clone over HTTPS through the proxy (git's "dumb" HTTP protocol).
        let git = |args: &[&str], dir: &std::path::Path| {
            let ok = Command::new("git")
                .args(args)
                .current_dir(dir)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@t")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@t")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "git {args:?}");
        };
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        git(&["init", "-q"], &work);
        std::fs::write(work.join("README"), "cloned through the proxy\n").unwrap();
        git(&["add", "README"], &work);
        git(&["commit", "-qm", "one"], &work);
        let served = dir.path().join("served");
        std::fs::create_dir(&served).unwrap();
        git(
            &["clone", "-q", "--bare", work.to_str().unwrap(), "repo.git"],
            &served,
        );
        git(&["update-server-info"], &served.join("repo.git"));
        let host_port = free_port();
        let mut net = Internet {
            host_port,
            dns_catcher: false,
            dir,
            servers: Vec::new(),
            _turn: turn,
        };
        let public = |p: u16| format!("{PUBLIC}:{p}");
        let mut args: Vec<String> = vec![
            "--http".into(),
            public(80),
            "--tls".into(),
            public(443),
            "--raw".into(),
            public(22),
            "--raw".into(),
            public(8022),
            "--udp".into(),
            public(53),
            "--static".into(),
            net.dir.path().join("served").to_string_lossy().into_owned(),
        ];
        if v6 {
            args.extend(["--http".into(), format!("[{PUBLIC6}]:80")]);
        }
        net.spawn(Some(NS), &args, true);
        net.spawn(
            None,
            &[
                "--http".into(),
                format!("0.0.0.0:{host_port}"),
                "--http".into(),
                format!("{METADATA}:80"),
                "--http".into(),
                format!("{PRIVATE}:80"),
            ],
            true,
        );
        net.dns_catcher = net.spawn(None, &["--udp".into(), "127.0.0.1:53".into()], false);
        net
    }

    /// Starts the server script (in namespace `ns`), waiting for it to listen.
    fn spawn(&mut self, ns: Option<&str>, args: &[String], required: bool) -> bool {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/internet_server.py");
        let mut cmd = match ns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "python3"]);
                c
            }
            None => Command::new("python3"),
        };
        cmd.arg(script)
            .arg("--events")
            .arg(self.events_file())
            .arg("--cert")
            .arg(self.dir.path().join("cert.pem"))
            .arg("--key")
            .arg(self.dir.path().join("key.pem"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line.trim() != "ready" {
            let _ = child.kill();
            let mut err = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
            let _ = child.wait();
            assert!(!required, "a test internet server did not start: {err}");
            return false;
        }
        self.servers.push(child);
        true
    }

    /// The TLS servers' certificate (self-signed, for `*.test`, `api.anthropic.com` and
    /// `api.openai.com`): what a proxy that verifies real servers must be told to trust.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    fn events_file(&self) -> PathBuf {
        self.dir.path().join("events")
    }

    /// Every event so far (`tcp ADDR PEER`, `http ADDR HOST PATH`, `sni ADDR NAME`, `udp …`).
    pub fn events(&self) -> Vec<String> {
        std::fs::read_to_string(self.events_file())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// How many events start with `prefix` (e.g. `tcp 198.51.100.2:80`).
    pub fn count(&self, prefix: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| e.starts_with(prefix))
            .count()
    }

    /// Every event at `addr` (`IP:PORT`), of any kind.
    pub fn at(&self, addr: &str) -> Vec<String> {
        self.events()
            .into_iter()
            .filter(|e| e.split(' ').nth(1) == Some(addr))
            .collect()
    }
}

impl Drop for Internet {
    fn drop(&mut self) {
        for s in &mut self.servers {
            if let Some(mut i) = s.stdin.take() {
                let _ = i.write_all(b"");
            }
            let _ = s.kill();
            let _ = s.wait();
        }
        teardown();
    }
}
