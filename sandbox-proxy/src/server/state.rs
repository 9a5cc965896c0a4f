//! The policy in force: read at start, re-read when the file's bytes change, fail closed.

use std::io::ErrorKind;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use docksandbox_proxy::log::PolicyLine;
use docksandbox_proxy::policy::{Policy, Verdict};

use super::out;

/// How often the file is read again.
const POLL: Duration = Duration::from_millis(200);

/// What the proxy enforces right now.
#[derive(Debug)]
pub enum Current {
    /// A valid policy.
    Active(Policy),
    /// No valid policy was ever read, or the file was removed: everything is refused.
    Nothing(String),
}

impl Current {
    /// [`Policy::decide_name`], or a refusal when there is no policy.
    pub fn decide_name(&self, host: &str, port: u16) -> Option<Verdict> {
        match self {
            Current::Active(p) => p.decide_name(host, port),
            Current::Nothing(why) => Some(no_policy(why)),
        }
    }

    /// [`Policy::decide`], or a refusal when there is no policy.
    pub fn decide(&self, host: &str, port: u16, addrs: &[IpAddr]) -> Verdict {
        match self {
            Current::Active(p) => p.decide(host, port, addrs),
            Current::Nothing(why) => no_policy(why),
        }
    }

    /// [`Policy::static_addrs`].
    pub fn static_addrs(&self, host: &str) -> Option<Vec<IpAddr>> {
        match self {
            Current::Active(p) => p.static_addrs(host),
            Current::Nothing(_) => None,
        }
    }
}

fn no_policy(why: &str) -> Verdict {
    Verdict {
        allowed: false,
        rule: "no policy".into(),
        reason: format!("no valid policy is in force ({why}), so everything is refused"),
    }
}

/// What the last read of the file gave, to act on changes only.
#[derive(Debug, PartialEq)]
enum Seen {
    Nothing,
    Missing,
    Bytes(Vec<u8>),
    Unreadable(String),
}

/// The policy file and the policy read from it.
#[derive(Debug)]
pub struct Watched {
    path: PathBuf,
    current: RwLock<Arc<Current>>,
    seen: Mutex<Seen>,
}

impl Watched {
    /// Reads the file once (printing a policy line); refuses everything if it cannot.
    pub fn load(path: PathBuf) -> Self {
        let w = Watched {
            current: RwLock::new(Arc::new(Current::Nothing("no policy file read yet".into()))),
            seen: Mutex::new(Seen::Nothing),
            path,
        };
        let read = std::fs::read(&w.path);
        w.apply(read);
        w
    }

    /// The policy in force (a snapshot: one connection is decided with one policy).
    pub fn current(&self) -> Arc<Current> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Re-reads the file every [`POLL`], for ever.
    pub async fn watch(self: Arc<Self>) {
        loop {
            tokio::time::sleep(POLL).await;
            let read = tokio::fs::read(&self.path).await;
            self.apply(read);
        }
    }

    /// Reads the file now and says what is in force afterwards: `applied …` when the file
    /// holds a valid policy (now in force), else why not. What `policy set` waits for.
    pub fn reload(&self) -> String {
        let read = std::fs::read(&self.path);
        let valid = read.as_ref().ok().map(|b| parse(b));
        self.apply(read);
        match valid {
            Some(Ok(p)) => format!(
                "applied: default {}, {} allow, {} deny",
                p.default,
                p.allow.len(),
                p.deny.len()
            ),
            Some(Err(e)) => format!("invalid: {e}"),
            None => "missing: everything is refused".into(),
        }
    }

    fn set(&self, c: Current) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(c);
    }

    /// Acts on one read of the file, if it differs from the last one.
    fn apply(&self, read: std::io::Result<Vec<u8>>) {
        let now = match read {
            Ok(bytes) => Seen::Bytes(bytes),
            Err(e) if e.kind() == ErrorKind::NotFound => Seen::Missing,
            Err(e) => Seen::Unreadable(e.to_string()),
        };
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if *seen == now {
            return;
        }
        let path = self.path.display().to_string();
        let keeps = || match &*self.current() {
            Current::Active(_) => "the last valid policy stays in force",
            Current::Nothing(_) => "no valid policy yet: everything is refused",
        };
        match &now {
            Seen::Missing => {
                self.set(Current::Nothing(format!("{path} does not exist")));
                out::line(
                    &PolicyLine::new(
                        "missing",
                        &path,
                        format!("{path} does not exist: everything is refused"),
                    )
                    .to_line(),
                );
            }
            Seen::Unreadable(e) => {
                out::line(
                    &PolicyLine::new(
                        "invalid",
                        &path,
                        format!("cannot read {path}: {e}; {}", keeps()),
                    )
                    .to_line(),
                );
            }
            Seen::Bytes(bytes) => match parse(bytes) {
                Ok(p) => {
                    let summary = format!(
                        "policy applied: default {}, {} allow, {} deny, {} hosts, {} refused networks",
                        p.default,
                        p.allow.len(),
                        p.deny.len(),
                        p.hosts.len(),
                        p.refused.len()
                    );
                    self.set(Current::Active(p));
                    out::line(&PolicyLine::new("applied", &path, summary).to_line());
                }
                Err(e) => {
                    out::line(
                        &PolicyLine::new(
                            "invalid",
                            &path,
                            format!("{path} is invalid: {e}; {}", keeps()),
                        )
                        .to_line(),
                    );
                }
            },
            Seen::Nothing => {}
        }
        *seen = now;
    }
}

/// A policy file's bytes as a policy, fully validated.
pub fn parse(bytes: &[u8]) -> Result<Policy, String> {
    let p: Policy = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    p.validate().map_err(|e| e.to_string())?;
    Ok(p)
}
