//! Writing the log: one line per connection or request on stdout.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use docksandbox_proxy::log::{rfc3339_utc, LogEntry};

/// Writes one line on stdout (whole, under the lock; errors such as a closed pipe are ignored:
/// the proxy goes on enforcing without its log).
pub fn line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

/// The log entry of one connection or request, filled in as it goes and printed once.
#[derive(Debug, Clone)]
pub struct Record {
    start: Instant,
    time: String,
    proto: &'static str,
    client: String,
    host: String,
    port: u16,
    /// The address connected to.
    pub addr: Option<SocketAddr>,
    /// The ClientHello's server name.
    pub sni: Option<String>,
}

impl Record {
    /// Starts the record of a connection from `client` asking for `host:port`.
    pub fn new(proto: &'static str, client: SocketAddr, host: &str, port: u16) -> Self {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        Record {
            start: Instant::now(),
            time: rfc3339_utc(SystemTime::now()),
            proto,
            client: client.to_string(),
            host: host.to_string(),
            port,
            addr: None,
            sni: None,
        }
    }

    /// Prints the entry.
    pub fn emit(&self, allowed: bool, rule: &str, reason: &str, bytes_up: u64, bytes_down: u64) {
        let entry = LogEntry {
            time: self.time.clone(),
            proto: self.proto.to_string(),
            client: Some(self.client.clone()),
            host: self.host.clone(),
            port: self.port,
            addr: self.addr.map(|a| a.to_string()),
            sni: self.sni.clone(),
            decision: if allowed { "allow" } else { "deny" }.to_string(),
            rule: rule.to_string(),
            reason: reason.to_string(),
            bytes_up,
            bytes_down,
            duration_ms: self.start.elapsed().as_millis() as u64,
        };
        line(&entry.to_line());
    }
}
