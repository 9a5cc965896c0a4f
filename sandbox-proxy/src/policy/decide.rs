//! The decision: which rule applies to a connection, and the refusals no rule lifts.

use std::net::IpAddr;

use super::addr::{always_refused, canonical, find, parse_ip_literal, private, with_port};
use super::rule::{escaped, validate_host_name, Rule, Target};
use super::{DefaultAction, Policy, Verdict};

/// Names refused by name, before any resolution: cloud metadata services and the local host.
const REFUSED_NAMES: &[&str] = &[
    "metadata.google.internal",
    "metadata",
    "metadata.goog",
    "localhost",
];

/// A connection's target, read strictly.
enum Host {
    Ip(IpAddr),
    Name(String),
}

/// The outcome of the rule stage (before the addresses are checked).
struct Stage {
    allowed: bool,
    rule: String,
    reason: String,
    /// Decided by an exact HOST:PORT or IP:PORT rule: the address refusals do not apply.
    exact: bool,
}

impl Stage {
    fn verdict(self) -> Verdict {
        Verdict {
            allowed: self.allowed,
            rule: self.rule,
            reason: self.reason,
        }
    }
}

fn is_default_port(port: u16) -> bool {
    port == 80 || port == 443
}

/// Whether a rule's port covers `port`: its own port, or 80 and 443 when it names none.
fn port_covers(rule_port: Option<u16>, port: u16) -> bool {
    match rule_port {
        Some(p) => p == port,
        None => is_default_port(port),
    }
}

impl Policy {
    /// Decides a connection to `host:port` whose name resolved to `addrs` (for an IP-literal
    /// `host`, the literal itself is checked along with `addrs`, which may be empty).
    ///
    /// 1. `host` is an IP literal only if `std::net` parses it (`[v6]` allowed); IPv4-mapped
    ///    and -compatible IPv6 count as the IPv4 address. Anything else is a host name
    ///    (`2130706433`, `127.1` included, which no rule can name), compared lowercase without a
    ///    trailing dot; a string that is not even a valid host name is refused.
    /// 2. The most specific rule decides: exact HOST:PORT (or IP:PORT), then exact host, then
    ///    the longest matching `*.suffix` (a rule naming the port before one that does not), and
    ///    for IP literals the longest-prefix CIDR or IP rule; then the default. At equal
    ///    specificity deny wins. A rule without a port, and the default, cover ports 80 and 443
    ///    only. Names are matched by name rules only, IP literals by IP and CIDR rules only.
    /// 3. Unless an exact HOST:PORT or IP:PORT rule decided, every address is then checked:
    ///    the always-refused table (loopback, link-local and metadata, CGNAT, multicast, NAT64,
    ///    6to4…) and [`refused`](Policy::refused) refuse; an IP or CIDR rule containing the
    ///    address (without a port, or naming this port) decides next, deny winning ties; and
    ///    the private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) refuse unless such an
    ///    allow rule covered the address. One refused address refuses the connection (DNS
    ///    rebinding); a name with no address is refused.
    /// 4. The names `localhost` (and `*.localhost`), `metadata`, `metadata.goog` and
    ///    `metadata.google.internal` are refused by name, whatever the rules say.
    ///
    /// ```
    /// use docksandbox_proxy::policy::Policy;
    ///
    /// let p: Policy = serde_json::from_str(r#"{"allow":["app.test"]}"#).unwrap();
    /// // An allowed name that resolves to loopback is refused (rebinding).
    /// let v = p.decide("app.test", 443, &["203.0.113.7".parse().unwrap(), "127.0.0.1".parse().unwrap()]);
    /// assert_eq!(v.rule, "always refused: loopback 127.0.0.0/8");
    /// assert!(!p.decide("app.test", 22, &["203.0.113.7".parse().unwrap()]).allowed);
    /// ```
    pub fn decide(&self, host: &str, port: u16, addrs: &[IpAddr]) -> Verdict {
        let target = match classify(host) {
            Ok(t) => t,
            Err(v) => return v,
        };
        let (stage, label, mut all) = match &target {
            Host::Name(name) => (
                self.name_stage(name, port),
                format!("{name}:{port}"),
                Vec::new(),
            ),
            Host::Ip(ip) => (self.ip_stage(*ip, port), with_port(*ip, port), vec![*ip]),
        };
        if !stage.allowed {
            return stage.verdict();
        }
        all.extend(addrs.iter().map(|a| canonical(*a)));
        if all.is_empty() {
            return Verdict::deny(
                "unresolved".into(),
                format!("{label} has no address to connect to"),
            );
        }
        for a in all {
            if let Some(v) = self.check_addr(&target, a, port, &stage) {
                return v;
            }
        }
        stage.verdict()
    }

    /// Decides what can be decided from `host:port` alone, before resolving: `Some` (always a
    /// denial) when the name or literal is refused by the rules, by name, or (for an IP literal)
    /// by the address checks; `None` when the proxy should resolve the name and call
    /// [`decide`](Policy::decide) with every address.
    ///
    /// ```
    /// use docksandbox_proxy::policy::Policy;
    /// let p: Policy = serde_json::from_str(r#"{"default":"deny","allow":["ok.test"]}"#).unwrap();
    /// assert!(p.decide_name("ok.test", 443).is_none());
    /// assert_eq!(p.decide_name("other.test", 443).unwrap().rule, "default deny");
    /// assert_eq!(p.decide_name("metadata.google.internal", 80).unwrap().rule, "always refused: name metadata.google.internal");
    /// ```
    pub fn decide_name(&self, host: &str, port: u16) -> Option<Verdict> {
        let target = match classify(host) {
            Ok(t) => t,
            Err(v) => return Some(v),
        };
        let stage = match &target {
            Host::Name(name) => self.name_stage(name, port),
            Host::Ip(ip) => self.ip_stage(*ip, port),
        };
        if !stage.allowed {
            return Some(stage.verdict());
        }
        match target {
            Host::Ip(ip) => self.check_addr(&target, ip, port, &stage),
            Host::Name(_) => None,
        }
    }

    fn name_stage(&self, name: &str, port: u16) -> Stage {
        let label = format!("{name}:{port}");
        if REFUSED_NAMES.contains(&name) || name.ends_with(".localhost") {
            return Stage {
                allowed: false,
                rule: format!("always refused: name {name}"),
                reason: format!("{name} is a local or cloud-metadata name and is always refused"),
                exact: false,
            };
        }
        let exact = |r: &Rule| matches!(&r.0, Target::Host { name: n, port: Some(p) } if n == name && *p == port);
        if let Some(s) = self.level(exact, &label, true) {
            return s;
        }
        let host = |r: &Rule| {
            matches!(&r.0, Target::Host { name: n, port: None } if n == name)
                && is_default_port(port)
        };
        if let Some(s) = self.level(host, &label, false) {
            return s;
        }
        // The longest matching suffix; at the same suffix a rule naming the port; then deny.
        let best = self
            .candidates()
            .filter_map(|(deny, r)| match &r.0 {
                Target::Wildcard { suffix, port: p }
                    if port_covers(*p, port)
                        && name.len() > suffix.len() + 1
                        && name.ends_with(suffix.as_str())
                        && name.as_bytes()[name.len() - suffix.len() - 1] == b'.' =>
                {
                    Some(((suffix.len(), p.is_some(), deny), r))
                }
                _ => None,
            })
            .max_by_key(|(key, _)| *key);
        if let Some(((_, _, deny), r)) = best {
            return ruled(deny, r, &label, false);
        }
        self.fallback(&label, name, port)
    }

    fn ip_stage(&self, ip: IpAddr, port: u16) -> Stage {
        let label = with_port(ip, port);
        let exact = |r: &Rule| matches!(&r.0, Target::Ip { addr, port: Some(p) } if *addr == ip && *p == port);
        if let Some(s) = self.level(exact, &label, true) {
            return s;
        }
        if is_default_port(port) {
            if let Some(((_, deny), r)) = self.longest_prefix(ip, None) {
                return ruled(deny, r, &label, false);
            }
        }
        self.fallback(&label, &ip.to_string(), port)
    }

    /// The deny rules then the allow rules, each tagged with whether it denies.
    fn candidates(&self) -> impl Iterator<Item = (bool, &Rule)> {
        self.deny
            .iter()
            .map(|r| (true, r))
            .chain(self.allow.iter().map(|r| (false, r)))
    }

    /// One specificity level: a matching deny rule wins over a matching allow rule.
    fn level(&self, matches: impl Fn(&Rule) -> bool, label: &str, exact: bool) -> Option<Stage> {
        let (deny, r) = self.candidates().find(|(_, r)| matches(r))?;
        Some(ruled(deny, r, label, exact && !deny))
    }

    /// The IP or CIDR rule with the longest prefix holding `ip` (deny first at equal length).
    /// `port`: `None` for the rule stage (rules naming a port are exact and handled before);
    /// `Some(p)` for the address checks, where rules without a port apply to every port and
    /// IP:PORT rules to their own.
    fn longest_prefix(&self, ip: IpAddr, port: Option<u16>) -> Option<((u8, bool), &Rule)> {
        self.candidates()
            .filter_map(|(deny, r)| {
                let len = match &r.0 {
                    Target::Cidr(net) if net.contains(&ip) => net.prefix_len(),
                    Target::Ip { addr, port: p }
                        if *addr == ip && (p.is_none() || (port.is_some() && *p == port)) =>
                    {
                        if ip.is_ipv4() {
                            32
                        } else {
                            128
                        }
                    }
                    _ => return None,
                };
                Some(((len, deny), r))
            })
            .max_by_key(|(key, _)| *key)
    }

    /// No rule matched: the default on ports 80 and 443, a refusal on any other.
    fn fallback(&self, label: &str, host: &str, port: u16) -> Stage {
        if !is_default_port(port) {
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.to_string()
            };
            return Stage {
                allowed: false,
                rule: format!("port {port} needs a HOST:PORT rule"),
                reason: format!(
                    "{label}: rules without a port and the default cover ports 80 and 443 only; port {port} needs a rule naming it, such as {host}:{port}"
                ),
                exact: false,
            };
        }
        match self.default {
            DefaultAction::Allow => Stage {
                allowed: true,
                rule: "default allow".into(),
                reason: format!("no rule names {label}; the default is allow"),
                exact: false,
            },
            DefaultAction::Deny => Stage {
                allowed: false,
                rule: "default deny".into(),
                reason: format!("no rule allows {label} and the default is deny"),
                exact: false,
            },
        }
    }

    /// The address refusals for one address `a` of the target (see [`Policy::decide`], 3).
    fn check_addr(&self, target: &Host, a: IpAddr, port: u16, stage: &Stage) -> Option<Verdict> {
        if stage.exact {
            return None;
        }
        let what = match target {
            Host::Name(name) => format!("{name} resolves to {a}, which is in"),
            Host::Ip(_) => format!("{a} is in"),
        };
        if let Some(n) = find(always_refused(), a) {
            return Some(Verdict::deny(
                format!("always refused: {} {}", n.label, n.net),
                format!(
                    "{what} {} {}, always refused (only an exact HOST:PORT rule reaches it)",
                    n.label, n.net
                ),
            ));
        }
        if let Some(net) = self.refused.iter().find(|n| n.contains(&a)) {
            return Some(Verdict::deny(
                format!("always refused: host network {net}"),
                format!(
                    "{what} {net}, refused by the host (only an exact HOST:PORT rule reaches it)"
                ),
            ));
        }
        match self.longest_prefix(a, Some(port)) {
            Some(((_, true), r)) => {
                return Some(Verdict::deny(
                    format!("deny {r}"),
                    format!("{what} {r}, denied by rule {r}"),
                ));
            }
            Some(((_, false), _)) => return None,
            None => {}
        }
        find(private(), a).map(|n| {
            Verdict::deny(
                format!("private range {}", n.net),
                format!(
                    "{what} the private range {}, refused unless an IP or CIDR rule allows it",
                    n.net
                ),
            )
        })
    }
}

fn ruled(deny: bool, r: &Rule, label: &str, exact: bool) -> Stage {
    if deny {
        Stage {
            allowed: false,
            rule: format!("deny {r}"),
            reason: format!("{label} is denied by rule {r}"),
            exact: false,
        }
    } else {
        Stage {
            allowed: true,
            rule: format!("allow {r}"),
            reason: format!("{label} is allowed by rule {r}"),
            exact,
        }
    }
}

fn classify(host: &str) -> Result<Host, Verdict> {
    if let Some(ip) = parse_ip_literal(host) {
        return Ok(Host::Ip(ip));
    }
    let lower = host.to_ascii_lowercase();
    match validate_host_name(&lower) {
        Ok(name) => Ok(Host::Name(name.to_string())),
        Err(why) => Err(Verdict::deny(
            "invalid host".into(),
            format!(
                "'{}' is not a valid host name or IP address: {why}",
                escaped(host)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> Policy {
        serde_json::from_str(json).unwrap()
    }

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    const PUBLIC: &str = "203.0.113.10";

    fn rule_of(p: &Policy, host: &str, port: u16, addrs: &[&str]) -> (bool, String) {
        let v = p.decide(host, port, &ips(addrs));
        assert!(!v.reason.is_empty());
        (v.allowed, v.rule)
    }

    fn yes(rule: &str) -> (bool, String) {
        (true, rule.to_string())
    }

    fn no(rule: &str) -> (bool, String) {
        (false, rule.to_string())
    }

    #[test]
    fn default_actions_cover_80_and_443_only() {
        let allow = policy("{}");
        assert_eq!(
            rule_of(&allow, "example.com", 443, &[PUBLIC]),
            yes("default allow")
        );
        assert_eq!(
            rule_of(&allow, "example.com", 80, &[PUBLIC]),
            yes("default allow")
        );
        assert_eq!(
            rule_of(&allow, "example.com", 22, &[PUBLIC]),
            no("port 22 needs a HOST:PORT rule")
        );
        assert_eq!(rule_of(&allow, PUBLIC, 443, &[]), yes("default allow"));
        assert_eq!(
            rule_of(&allow, PUBLIC, 8080, &[]),
            no("port 8080 needs a HOST:PORT rule")
        );
        let deny = policy(r#"{"default":"deny"}"#);
        assert_eq!(
            rule_of(&deny, "example.com", 443, &[PUBLIC]),
            no("default deny")
        );
        assert_eq!(
            rule_of(&deny, "example.com", 22, &[PUBLIC]),
            no("port 22 needs a HOST:PORT rule")
        );
    }

    #[test]
    fn port_rules_and_portless_rules() {
        let p = policy(
            r#"{"default":"deny","allow":["example.com","git.example.com:22","*.ssh.test:2222"]}"#,
        );
        assert_eq!(
            rule_of(&p, "example.com", 443, &[PUBLIC]),
            yes("allow example.com")
        );
        assert_eq!(
            rule_of(&p, "example.com", 80, &[PUBLIC]),
            yes("allow example.com")
        );
        assert_eq!(
            rule_of(&p, "example.com", 8443, &[PUBLIC]),
            no("port 8443 needs a HOST:PORT rule")
        );
        assert_eq!(
            rule_of(&p, "git.example.com", 22, &[PUBLIC]),
            yes("allow git.example.com:22")
        );
        assert_eq!(
            rule_of(&p, "git.example.com", 443, &[PUBLIC]),
            no("default deny")
        );
        assert_eq!(
            rule_of(&p, "a.ssh.test", 2222, &[PUBLIC]),
            yes("allow *.ssh.test:2222")
        );
        assert_eq!(
            rule_of(&p, "a.ssh.test", 443, &[PUBLIC]),
            no("default deny")
        );
        assert_eq!(
            rule_of(&p, "a.ssh.test", 22, &[PUBLIC]),
            no("port 22 needs a HOST:PORT rule")
        );
    }

    #[test]
    fn most_specific_rule_wins() {
        let p = policy(
            r#"{"default":"allow",
                "allow":["api.evil.test","x.deep.evil.test","*.deep.evil.test","evil.test:443"],
                "deny":["*.evil.test","evil.test"]}"#,
        );
        // Exact host beats a wildcard deny.
        assert_eq!(
            rule_of(&p, "api.evil.test", 443, &[PUBLIC]),
            yes("allow api.evil.test")
        );
        // The wildcard deny covers other subdomains.
        assert_eq!(
            rule_of(&p, "other.evil.test", 443, &[PUBLIC]),
            no("deny *.evil.test")
        );
        // The longest suffix wins.
        assert_eq!(
            rule_of(&p, "y.deep.evil.test", 443, &[PUBLIC]),
            yes("allow *.deep.evil.test")
        );
        assert_eq!(
            rule_of(&p, "x.deep.evil.test", 443, &[PUBLIC]),
            yes("allow x.deep.evil.test")
        );
        // HOST:PORT beats the host rule.
        assert_eq!(
            rule_of(&p, "evil.test", 443, &[PUBLIC]),
            yes("allow evil.test:443")
        );
        assert_eq!(
            rule_of(&p, "evil.test", 80, &[PUBLIC]),
            no("deny evil.test")
        );
    }

    #[test]
    fn deny_wins_ties() {
        let p = policy(
            r#"{"allow":["a.test","*.b.test","c.test:8443","10.0.0.0/8","198.51.100.7"],"deny":["a.test","*.b.test","c.test:8443","10.0.0.0/8","198.51.100.7"]}"#,
        );
        assert_eq!(rule_of(&p, "a.test", 443, &[PUBLIC]), no("deny a.test"));
        assert_eq!(rule_of(&p, "x.b.test", 443, &[PUBLIC]), no("deny *.b.test"));
        assert_eq!(
            rule_of(&p, "c.test", 8443, &[PUBLIC]),
            no("deny c.test:8443")
        );
        assert_eq!(rule_of(&p, "10.1.1.1", 443, &[]), no("deny 10.0.0.0/8"));
        assert_eq!(
            rule_of(&p, "198.51.100.7", 443, &[]),
            no("deny 198.51.100.7")
        );
    }

    #[test]
    fn wildcards_do_not_match_the_apex_or_lookalikes() {
        let p = policy(r#"{"default":"deny","allow":["*.example.com"]}"#);
        assert_eq!(
            rule_of(&p, "example.com", 443, &[PUBLIC]),
            no("default deny")
        );
        assert_eq!(
            rule_of(&p, "badexample.com", 443, &[PUBLIC]),
            no("default deny")
        );
        assert_eq!(
            rule_of(&p, "a.example.com", 443, &[PUBLIC]),
            yes("allow *.example.com")
        );
        assert_eq!(
            rule_of(&p, "a.b.example.com", 443, &[PUBLIC]),
            yes("allow *.example.com")
        );
        assert_eq!(
            rule_of(&p, "A.Example.COM.", 443, &[PUBLIC]),
            yes("allow *.example.com")
        );
    }

    #[test]
    fn wildcard_naming_the_port_beats_one_that_does_not() {
        let p = policy(r#"{"allow":["*.x.test:443"],"deny":["*.x.test"]}"#);
        assert_eq!(
            rule_of(&p, "a.x.test", 443, &[PUBLIC]),
            yes("allow *.x.test:443")
        );
        assert_eq!(rule_of(&p, "a.x.test", 80, &[PUBLIC]), no("deny *.x.test"));
        // ...but a longer suffix beats a port.
        let p = policy(r#"{"allow":["*.x.test:443"],"deny":["*.a.x.test"]}"#);
        assert_eq!(
            rule_of(&p, "b.a.x.test", 443, &[PUBLIC]),
            no("deny *.a.x.test")
        );
    }

    #[test]
    fn names_are_case_and_trailing_dot_insensitive() {
        let p = policy(r#"{"default":"deny","allow":["example.com"]}"#);
        for h in ["EXAMPLE.com", "example.com.", "Example.Com."] {
            assert_eq!(
                rule_of(&p, h, 443, &[PUBLIC]),
                yes("allow example.com"),
                "{h}"
            );
        }
        assert_eq!(
            rule_of(&p, "example.com..", 443, &[PUBLIC]),
            no("invalid host")
        );
    }

    #[test]
    fn ip_literal_oddities_are_names_that_match_no_rule() {
        let p = policy(r#"{"default":"deny","allow":["127.0.0.1:80","127.0.0.0/8","10.0.0.0/8"]}"#);
        for odd in [
            "2130706433",
            "0x7f.1",
            "127.1",
            "0177.0.0.1",
            "127.0.0.1.",
            "0x7f000001",
        ] {
            let v = p.decide(odd, 80, &ips(&["127.0.0.1"]));
            assert!(!v.allowed, "{odd}: {v:?}");
            assert_eq!(v.rule, "default deny", "{odd}");
            assert_eq!(
                p.decide_name(odd, 80).map(|v| v.rule),
                Some("default deny".into()),
                "{odd}"
            );
        }
        // With a default of allow, such a name is resolved, and its address checked.
        let open = policy("{}");
        assert_eq!(
            rule_of(&open, "2130706433", 80, &["127.0.0.1"]),
            no("always refused: loopback 127.0.0.0/8")
        );
        // Not even a host name: refused outright.
        for bad in [
            "[fe80::1%25eth0]",
            "fe80::1%eth0",
            "a b.test",
            "",
            "x@evil.test",
            "[::1",
        ] {
            assert_eq!(
                open.decide_name(bad, 443).map(|v| v.rule),
                Some("invalid host".into()),
                "{bad}"
            );
            assert_eq!(rule_of(&open, bad, 443, &[PUBLIC]), no("invalid host"));
        }
    }

    #[test]
    fn names_never_match_ip_rules_and_ips_never_match_name_rules() {
        let p = policy(r#"{"default":"deny","allow":["198.51.100.0/24","198.51.100.9:443"]}"#);
        assert_eq!(
            rule_of(&p, "app.test", 443, &["198.51.100.9"]),
            no("default deny")
        );
        assert_eq!(
            rule_of(&p, "198.51.100.9", 443, &[]),
            yes("allow 198.51.100.9:443")
        );
        assert_eq!(
            rule_of(&p, "198.51.100.10", 443, &[]),
            yes("allow 198.51.100.0/24")
        );
        let p = policy(
            r#"{"default":"deny","allow":["app.test"],"hosts":{"app.test":["198.51.100.9"]}}"#,
        );
        assert_eq!(rule_of(&p, "198.51.100.9", 443, &[]), no("default deny"));
    }

    #[test]
    fn cidr_longest_prefix_and_ports() {
        let p = policy(
            r#"{"default":"deny","allow":["198.51.0.0/16","2001:db8::/32"],"deny":["198.51.100.0/24"]}"#,
        );
        assert_eq!(
            rule_of(&p, "198.51.1.1", 443, &[]),
            yes("allow 198.51.0.0/16")
        );
        assert_eq!(
            rule_of(&p, "198.51.100.1", 443, &[]),
            no("deny 198.51.100.0/24")
        );
        assert_eq!(
            rule_of(&p, "198.51.1.1", 22, &[]),
            no("port 22 needs a HOST:PORT rule")
        );
        assert_eq!(
            rule_of(&p, "[2001:db8::1]", 443, &[]),
            yes("allow 2001:db8::/32")
        );
        assert_eq!(
            rule_of(&p, "2001:db8::1", 80, &[]),
            yes("allow 2001:db8::/32")
        );
    }

    #[test]
    fn mapped_v6_is_the_v4_address() {
        let p = policy(r#"{"default":"deny","allow":["198.51.100.7"]}"#);
        assert_eq!(
            rule_of(&p, "[::ffff:198.51.100.7]", 443, &[]),
            yes("allow 198.51.100.7")
        );
        assert_eq!(
            rule_of(&p, "::ffff:c633:6407", 443, &[]),
            yes("allow 198.51.100.7")
        );
        let open = policy("{}");
        assert_eq!(
            rule_of(&open, "[::ffff:127.0.0.1]", 80, &[]),
            no("always refused: loopback 127.0.0.0/8")
        );
        assert_eq!(
            rule_of(&open, "::127.0.0.1", 80, &[]),
            no("always refused: loopback 127.0.0.0/8")
        );
        assert_eq!(
            rule_of(&open, "64:ff9b::7f00:1", 80, &[]),
            no("always refused: NAT64 64:ff9b::/96")
        );
        assert_eq!(
            rule_of(&open, "2002:7f00:1::", 80, &[]),
            no("always refused: 6to4 2002::/16")
        );
        assert_eq!(
            rule_of(&open, "[::1]", 443, &[]),
            no("always refused: loopback ::1/128")
        );
        assert_eq!(
            rule_of(&open, "app.test", 443, &["::ffff:10.0.0.1"]),
            no("private range 10.0.0.0/8")
        );
    }

    #[test]
    fn rebinding_one_bad_address_refuses_the_name() {
        let p = policy(r#"{"default":"deny","allow":["app.test"]}"#);
        assert_eq!(
            rule_of(&p, "app.test", 443, &[PUBLIC]),
            yes("allow app.test")
        );
        let v = p.decide("app.test", 443, &ips(&[PUBLIC, "127.0.0.1"]));
        assert!(!v.allowed);
        assert_eq!(v.rule, "always refused: loopback 127.0.0.0/8");
        assert!(v.reason.contains("127.0.0.1"), "{}", v.reason);
        assert_eq!(
            rule_of(&p, "app.test", 443, &["169.254.169.254"]),
            no("always refused: link-local (cloud metadata) 169.254.0.0/16")
        );
        assert_eq!(
            rule_of(&p, "app.test", 443, &["fd00:ec2::254"]),
            no("always refused: cloud metadata fd00:ec2::254/128")
        );
        assert_eq!(
            rule_of(&p, "app.test", 443, &["0.0.0.0"]),
            no("always refused: this network 0.0.0.0/8")
        );
        assert_eq!(rule_of(&p, "app.test", 443, &[]), no("unresolved"));
        // The name stage alone says go on and resolve.
        assert!(p.decide_name("app.test", 443).is_none());
    }

    #[test]
    fn exact_host_port_reaches_always_refused_addresses() {
        let p = policy(
            r#"{"default":"deny","allow":["host.docker.internal:5432","127.0.0.1:8080","[::1]:8080","*.svc.test:9000","localhost:8080"],
                "refused":["192.168.65.254/32"]}"#,
        );
        let host = ["192.168.65.254"];
        assert_eq!(
            rule_of(&p, "host.docker.internal", 5432, &host),
            yes("allow host.docker.internal:5432")
        );
        assert_eq!(
            rule_of(&p, "host.docker.internal", 5433, &host),
            no("port 5433 needs a HOST:PORT rule")
        );
        assert_eq!(
            rule_of(&p, "host.docker.internal", 443, &host),
            no("default deny")
        );
        assert_eq!(
            rule_of(&p, "127.0.0.1", 8080, &[]),
            yes("allow 127.0.0.1:8080")
        );
        assert_eq!(rule_of(&p, "[::1]", 8080, &[]), yes("allow [::1]:8080"));
        assert_eq!(
            rule_of(&p, "127.0.0.1", 8081, &[]),
            no("port 8081 needs a HOST:PORT rule")
        );
        // A wildcard with a port is not exact.
        assert_eq!(
            rule_of(&p, "a.svc.test", 9000, &["127.0.0.1"]),
            no("always refused: loopback 127.0.0.0/8")
        );
        // Names refused by name stay refused.
        assert_eq!(
            rule_of(&p, "localhost", 8080, &["127.0.0.1"]),
            no("always refused: name localhost")
        );
        // The host's address is refused for anything not naming it with its port.
        let open = policy(r#"{"refused":["192.168.65.254"]}"#);
        assert_eq!(
            rule_of(&open, "app.test", 443, &host),
            no("always refused: host network 192.168.65.254/32")
        );
        assert_eq!(
            rule_of(&open, "192.168.65.254", 443, &[]),
            no("always refused: host network 192.168.65.254/32")
        );
    }

    #[test]
    fn always_refused_ignores_cidr_allow_rules() {
        let p = policy(
            r#"{"allow":["127.0.0.0/8","169.254.169.254","0.0.0.0/0"],"refused":["198.51.100.0/24"]}"#,
        );
        assert_eq!(
            rule_of(&p, "127.0.0.1", 443, &[]),
            no("always refused: loopback 127.0.0.0/8")
        );
        assert_eq!(
            rule_of(&p, "169.254.169.254", 80, &[]),
            no("always refused: link-local (cloud metadata) 169.254.0.0/16")
        );
        assert_eq!(
            rule_of(&p, "198.51.100.1", 80, &[]),
            no("always refused: host network 198.51.100.0/24")
        );
        assert_eq!(
            rule_of(&p, "app.test", 80, &["224.0.0.1"]),
            no("always refused: multicast 224.0.0.0/4")
        );
    }

    #[test]
    fn refused_names() {
        let p = policy(
            r#"{"allow":["metadata.google.internal","*.a.localhost","metadata","localhost"]}"#,
        );
        for n in [
            "metadata.google.internal",
            "Metadata.Google.Internal.",
            "metadata",
            "metadata.goog",
            "localhost",
            "a.localhost",
        ] {
            let v = p
                .decide_name(n, 80)
                .unwrap_or_else(|| panic!("{n} not refused"));
            assert!(
                v.rule.starts_with("always refused: name "),
                "{n}: {}",
                v.rule
            );
            assert!(!p.decide(n, 80, &ips(&[PUBLIC])).allowed);
        }
    }

    #[test]
    fn private_ranges_need_an_ip_or_cidr_rule() {
        let open = policy("{}");
        for a in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.1",
            "fd12::1",
        ] {
            let v = open.decide(a, 443, &[]);
            assert!(
                !v.allowed && v.rule.starts_with("private range "),
                "{a}: {v:?}"
            );
            let v = open.decide("app.test", 443, &ips(&[a]));
            assert!(
                !v.allowed && v.rule.starts_with("private range "),
                "{a}: {v:?}"
            );
        }
        assert_eq!(rule_of(&open, "172.32.0.1", 443, &[]), yes("default allow"));
        let p = policy(r#"{"allow":["10.0.0.0/8","app.test","192.168.1.5"]}"#);
        assert_eq!(rule_of(&p, "10.1.2.3", 443, &[]), yes("allow 10.0.0.0/8"));
        assert_eq!(
            rule_of(&p, "app.test", 443, &["10.1.2.3"]),
            yes("allow app.test")
        );
        assert_eq!(
            rule_of(&p, "app.test", 443, &["192.168.1.5"]),
            yes("allow app.test")
        );
        assert_eq!(
            rule_of(&p, "app.test", 443, &["192.168.1.6"]),
            no("private range 192.168.0.0/16")
        );
        // An exact HOST:PORT rule reaches a private address without any CIDR rule.
        let p = policy(r#"{"default":"deny","allow":["db.test:5432","10.9.9.9:5432"]}"#);
        assert_eq!(
            rule_of(&p, "db.test", 5432, &["10.1.2.3"]),
            yes("allow db.test:5432")
        );
        assert_eq!(
            rule_of(&p, "10.9.9.9", 5432, &[]),
            yes("allow 10.9.9.9:5432")
        );
    }

    #[test]
    fn deny_cidr_rules_apply_to_resolved_addresses() {
        let p = policy(
            r#"{"allow":["app.test","10.0.0.0/8"],"deny":["198.51.100.0/24","10.6.0.0/16"]}"#,
        );
        assert_eq!(
            rule_of(&p, "app.test", 443, &["198.51.100.3"]),
            no("deny 198.51.100.0/24")
        );
        assert_eq!(
            rule_of(&p, "app.test", 443, &["10.6.0.1"]),
            no("deny 10.6.0.0/16")
        );
        assert_eq!(
            rule_of(&p, "app.test", 443, &["10.7.0.1"]),
            yes("allow app.test")
        );
        // ...but not to an exact HOST:PORT rule's connection.
        let p = policy(r#"{"allow":["app.test:8443"],"deny":["198.51.100.0/24"]}"#);
        assert_eq!(
            rule_of(&p, "app.test", 8443, &["198.51.100.3"]),
            yes("allow app.test:8443")
        );
    }

    #[test]
    fn decide_name_denies_what_needs_no_resolution() {
        let p =
            policy(r#"{"default":"deny","allow":["ok.test","127.0.0.1:9"],"deny":["*.bad.test"]}"#);
        assert_eq!(
            p.decide_name("x.bad.test", 443).map(|v| v.rule),
            Some("deny *.bad.test".into())
        );
        assert_eq!(
            p.decide_name("ok.test", 22).map(|v| v.rule),
            Some("port 22 needs a HOST:PORT rule".into())
        );
        assert!(p.decide_name("ok.test", 443).is_none());
        assert!(p.decide_name("127.0.0.1", 9).is_none());
        let open = policy("{}");
        assert_eq!(
            open.decide_name("127.0.0.1", 443).map(|v| v.rule),
            Some("always refused: loopback 127.0.0.0/8".into())
        );
        assert_eq!(
            open.decide_name("10.0.0.1", 443).map(|v| v.rule),
            Some("private range 10.0.0.0/8".into())
        );
        assert!(open.decide_name("198.51.100.1", 443).is_none());
    }

    #[test]
    fn reasons_are_sentences_naming_the_target() {
        let p = policy(r#"{"default":"deny"}"#);
        let v = p.decide("example.com", 22, &ips(&[PUBLIC]));
        assert!(v.reason.contains("example.com:22"), "{}", v.reason);
        let v = p.decide("2001:db8::1", 22, &[]);
        assert!(v.reason.contains("[2001:db8::1]:22"), "{}", v.reason);
    }
}
