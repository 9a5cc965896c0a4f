//! Shared test harness: the built proxy binary on loopback ephemeral ports with a temporary
//! policy file, and local target servers that count what reaches them. Only 127.0.0.1 is used.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use docksandbox_proxy::log::{LogEntry, PolicyLine, ReadyLine};

pub const BIN: &str = env!("CARGO_BIN_EXE_docksandbox-proxy");
pub const WAIT: Duration = Duration::from_secs(10);

/// A running proxy; killed on drop.
pub struct Proxy {
    child: Child,
    pub http: SocketAddr,
    pub socks: SocketAddr,
    lines: Arc<(Mutex<Vec<String>>, Condvar)>,
    pub dir: tempfile::TempDir,
    pub policy: PathBuf,
}

impl Proxy {
    /// Starts the proxy with `policy` written to its policy file first (`None`: no file).
    pub fn start(policy: Option<&str>, extra: &[&str]) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.json");
        if let Some(p) = policy {
            std::fs::write(&path, p).unwrap();
        }
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--policy")
            .arg(&path)
            .args(["--http", "127.0.0.1:0", "--socks", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let lines = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = lines.clone();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let (m, cv) = &*sink;
                m.lock().unwrap().push(line);
                cv.notify_all();
            }
        });
        let mut proxy = Proxy {
            child,
            http: "127.0.0.1:1".parse().unwrap(),
            socks: "127.0.0.1:1".parse().unwrap(),
            lines,
            dir,
            policy: path,
        };
        let ready = proxy.wait_line(|l| l.contains(docksandbox_proxy::READY_MARKER));
        let ready = ReadyLine::parse(&ready).expect("the ready line parses");
        proxy.http = ready.http.parse().unwrap();
        proxy.socks = ready.socks.parse().unwrap();
        proxy
    }

    /// Every line printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.0.lock().unwrap().clone()
    }

    /// Waits for a line matching `pred` (among all lines so far) and returns it.
    pub fn wait_line(&self, pred: impl Fn(&str) -> bool) -> String {
        self.wait_nth_line(1, pred)
    }

    /// Waits until `n` lines match `pred`; returns the `n`th.
    pub fn wait_nth_line(&self, n: usize, pred: impl Fn(&str) -> bool) -> String {
        let (m, cv) = &*self.lines;
        let deadline = Instant::now() + WAIT;
        let mut lines = m.lock().unwrap();
        loop {
            if let Some(l) = lines.iter().filter(|l| pred(l)).nth(n - 1) {
                return l.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no such line; output so far:\n{}",
                lines.join("\n")
            );
            lines = cv.wait_timeout(lines, left).unwrap().0;
        }
    }

    /// Waits for the `n`th log entry matching `pred`.
    pub fn wait_entry(&self, n: usize, pred: impl Fn(&LogEntry) -> bool) -> LogEntry {
        let line = self.wait_nth_line(n, |l| LogEntry::parse(l).is_some_and(|e| pred(&e)));
        LogEntry::parse(&line).unwrap()
    }

    /// Waits for the `n`th policy line with `status`.
    pub fn wait_policy(&self, n: usize, status: &str) -> PolicyLine {
        let line = self.wait_nth_line(n, |l| {
            PolicyLine::parse(l).is_some_and(|p| p.status == status)
        });
        PolicyLine::parse(&line).unwrap()
    }

    /// Replaces the policy with `docksandbox-proxy policy set`; returns its exit code.
    pub fn set_policy(&self, json: &str) -> i32 {
        set_policy_at(&self.policy, json)
    }

    pub fn connect_http(&self) -> TcpStream {
        stream(self.http)
    }

    pub fn connect_socks(&self) -> TcpStream {
        stream(self.socks)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `docksandbox-proxy policy set --policy PATH` with `json` on stdin.
pub fn set_policy_at(path: &std::path::Path, json: &str) -> i32 {
    let mut child = Command::new(BIN)
        .args(["policy", "set", "--policy"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    child.wait().unwrap().code().unwrap_or(-1)
}

pub fn stream(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s.set_write_timeout(Some(WAIT)).unwrap();
    s
}

/// What a target server does with a connection.
#[derive(Clone, Copy)]
pub enum Mode {
    /// Echo every byte back.
    Echo,
    /// Answer HTTP requests (one per connection) with the request head as the body.
    Http,
    /// Keep every byte received, answer nothing.
    Record,
}

/// A local server on 127.0.0.1 that counts the connections it accepts.
pub struct Target {
    pub port: u16,
    accepted: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Target {
    pub fn start(mode: Mode) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (a, r) = (accepted.clone(), received.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                a.fetch_add(1, Ordering::SeqCst);
                let r = r.clone();
                thread::spawn(move || serve_target(&mut conn, mode, &r));
            }
        });
        Target {
            port,
            accepted,
            received,
        }
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<u8> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` bytes were received (or the wait runs out).
    pub fn wait_received(&self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + WAIT;
        while self.received().len() < n && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        self.received()
    }
}

fn serve_target(conn: &mut TcpStream, mode: Mode, received: &Mutex<Vec<u8>>) {
    conn.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 4096];
    match mode {
        Mode::Echo => loop {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    received.lock().unwrap().extend_from_slice(&buf[..n]);
                    if conn.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            }
        },
        Mode::Record => loop {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => received.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        },
        Mode::Http => {
            let head = read_head(conn);
            received.lock().unwrap().extend_from_slice(head.as_bytes());
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\nX-Target: yes\r\n\r\n{head}",
                head.len()
            );
            let _ = conn.write_all(resp.as_bytes());
        }
    }
}

/// Reads up to and including the blank line ending an HTTP head.
pub fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// One HTTP response: status, head (lowercased header names), body (by Content-Length).
pub struct Resp {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

pub fn read_response(s: &mut TcpStream) -> Resp {
    let head = read_head(s);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut r = Resp {
        status,
        head,
        body: String::new(),
    };
    let len: usize = r
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    r.body = String::from_utf8_lossy(&body).into_owned();
    r
}

/// Sends `CONNECT target` and reads the answer.
pub fn connect(proxy: &Proxy, target: &str) -> (TcpStream, Resp) {
    let mut s = proxy.connect_http();
    write!(s, "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").unwrap();
    let r = read_response(&mut s);
    (s, r)
}

/// Whether the peer closed `s` (EOF or reset) within the wait.
pub fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 64];
    matches!(s.read(&mut b), Ok(0) | Err(_))
}

/// A minimal TLS 1.3 ClientHello with an optional server name.
pub fn client_hello(sni: Option<&str>) -> Vec<u8> {
    let mut exts = Vec::new();
    if let Some(name) = sni {
        let n = name.as_bytes();
        let mut list = vec![0u8];
        list.extend_from_slice(&(n.len() as u16).to_be_bytes());
        list.extend_from_slice(n);
        let mut ext = (list.len() as u16).to_be_bytes().to_vec();
        ext.extend_from_slice(&list);
        exts.extend_from_slice(&[0, 0]);
        exts.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        exts.extend_from_slice(&ext);
    }
    exts.extend_from_slice(&[0x00, 0x2b, 0, 3, 2, 3, 4]);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x42; 32]);
    body.push(0);
    body.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// A short pause for anything in flight to land (used before asserting that nothing did).
pub fn settle() {
    thread::sleep(Duration::from_millis(150));
}
