//! The lines the proxy prints on stdout: `docker logs` of the proxy container is the sandbox's
//! network log.
//!
//! Three kinds of line, each one JSON object: a [`LogEntry`] per connection or request, one
//! [`ReadyLine`] when both listeners are bound, and a [`PolicyLine`] whenever the policy in force
//! changes (or a new file is refused). A reader parses each line as the kind it wants and skips
//! lines that do not parse: the kinds have disjoint required fields.
//!
//! ```
//! use docksandbox_proxy::log::{LogEntry, ReadyLine};
//!
//! let ready = ReadyLine::new("0.0.0.0:3128", "0.0.0.0:1080").to_line();
//! assert!(ready.contains(docksandbox_proxy::READY_MARKER));
//! assert!(LogEntry::parse(&ready).is_none());
//! assert_eq!(ReadyLine::parse(&ready).unwrap().http, "0.0.0.0:3128");
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::READY_MARKER;

/// One connection (CONNECT tunnel, SOCKS5 connection) or one forwarded HTTP request, printed
/// when it ends, including every denial (with zero bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When the connection or request began: RFC 3339, UTC, milliseconds
    /// (`2026-01-02T03:04:05.678Z`).
    pub time: String,
    /// `"http"` (an absolute-URI request), `"connect"` (an HTTP CONNECT tunnel) or `"socks5"`.
    pub proto: String,
    /// The client's address (the sandbox), `IP:PORT`.
    pub client: Option<String>,
    /// The host the client asked for, as it asked (a name or an IP literal).
    pub host: String,
    /// The port the client asked for.
    pub port: u16,
    /// The address the proxy connected to, when it connected (a refusal names the refused
    /// address in `reason`).
    pub addr: Option<String>,
    /// The server name of the TLS ClientHello, when one was read.
    pub sni: Option<String>,
    /// `"allow"` or `"deny"`.
    pub decision: String,
    /// What decided ([`Verdict::rule`](crate::policy::Verdict::rule), or a check of the
    /// proxy's own such as `sni mismatch`).
    pub rule: String,
    /// Why, in one sentence (also what went wrong upstream, if anything did).
    pub reason: String,
    /// Bytes from the client to the upstream server.
    pub bytes_up: u64,
    /// Bytes from the upstream server to the client.
    pub bytes_down: u64,
    /// How long the connection or request lasted.
    pub duration_ms: u64,
}

impl LogEntry {
    /// The entry as one line of JSON (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a log entry always serialises")
    }

    /// Reads one line of the proxy's output; `None` when it is not a log entry.
    pub fn parse(line: &str) -> Option<LogEntry> {
        serde_json::from_str(line).ok()
    }
}

/// Printed once, when both listeners are bound; its text contains [`READY_MARKER`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyLine {
    /// Always `"ready"`.
    pub event: String,
    /// Always [`READY_MARKER`].
    pub marker: String,
    /// The proxy's version.
    pub version: String,
    /// The bound address of the HTTP proxy.
    pub http: String,
    /// The bound address of the SOCKS5 proxy.
    pub socks: String,
}

impl ReadyLine {
    /// The ready line of this version for the two bound addresses.
    pub fn new(http: impl Into<String>, socks: impl Into<String>) -> Self {
        ReadyLine {
            event: "ready".into(),
            marker: READY_MARKER.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            http: http.into(),
            socks: socks.into(),
        }
    }

    /// The line as printed.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a ready line always serialises")
    }

    /// Reads one line of the proxy's output; `None` when it is not the ready line.
    pub fn parse(line: &str) -> Option<ReadyLine> {
        serde_json::from_str::<ReadyLine>(line)
            .ok()
            .filter(|r| r.event == "ready" && r.marker == READY_MARKER)
    }
}

/// Printed when the policy in force changes, or a policy file is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyLine {
    /// Always `"policy"`.
    pub event: String,
    /// `"applied"` (a new policy is in force), `"missing"` (no file: everything is denied) or
    /// `"invalid"` (the file was refused: the last valid policy stays, or, if there was none,
    /// everything is denied).
    pub status: String,
    /// The policy file.
    pub path: String,
    /// What happened, for a person.
    pub message: String,
}

impl PolicyLine {
    /// A policy line with `status` and `message`.
    pub fn new(status: &str, path: &str, message: impl Into<String>) -> Self {
        PolicyLine {
            event: "policy".into(),
            status: status.into(),
            path: path.into(),
            message: message.into(),
        }
    }

    /// The line as printed.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a policy line always serialises")
    }

    /// Reads one line of the proxy's output; `None` when it is not a policy line.
    pub fn parse(line: &str) -> Option<PolicyLine> {
        serde_json::from_str::<PolicyLine>(line)
            .ok()
            .filter(|p| p.event == "policy")
    }
}

/// `t` as RFC 3339 in UTC with milliseconds, the format of [`LogEntry::time`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
/// assert_eq!(docksandbox_proxy::log::rfc3339_utc(t), "2023-11-14T22:13:20.123Z");
/// ```
pub fn rfc3339_utc(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn time_format() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(4_102_444_799_999); // 2099-12-31T23:59:59.999
        assert_eq!(rfc3339_utc(t), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn kinds_do_not_parse_as_each_other() {
        let e = LogEntry {
            time: rfc3339_utc(SystemTime::now()),
            proto: "connect".into(),
            client: Some("10.0.0.2:5555".into()),
            host: "example.com".into(),
            port: 443,
            addr: None,
            sni: None,
            decision: "deny".into(),
            rule: "default deny".into(),
            reason: "no".into(),
            bytes_up: 0,
            bytes_down: 0,
            duration_ms: 1,
        };
        let line = e.to_line();
        assert!(!line.contains('\n'));
        assert_eq!(LogEntry::parse(&line), Some(e));
        assert!(ReadyLine::parse(&line).is_none());
        assert!(PolicyLine::parse(&line).is_none());
        let p = PolicyLine::new("applied", "/state/policy.json", "ok").to_line();
        assert!(LogEntry::parse(&p).is_none() && ReadyLine::parse(&p).is_none());
        assert_eq!(PolicyLine::parse(&p).unwrap().status, "applied");
        assert!(LogEntry::parse("docksandbox-proxy: not json").is_none());
    }
}
