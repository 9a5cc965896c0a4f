//! One allow or deny rule, as written by the user and stored in the policy file.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::addr::{canonical, with_port};

/// What a rule names. Constructed only by parsing, so every value is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Target {
    /// One host name: `example.com`, `example.com:8443`.
    Host { name: String, port: Option<u16> },
    /// The subdomains of `suffix`, not `suffix` itself: `*.example.com`, `*.example.com:22`.
    Wildcard { suffix: String, port: Option<u16> },
    /// One address: `10.1.2.3`, `10.1.2.3:5432`, `[fd00::1]:80`.
    Ip { addr: IpAddr, port: Option<u16> },
    /// A network (its network address, more than one address): `10.0.0.0/8`, `fd00::/8`.
    Cidr(IpNet),
}

/// One allow or deny rule of a [`Policy`](super::Policy), parsed from its text:
///
/// | text | names |
/// |---|---|
/// | `example.com` | the host `example.com`, ports 80 and 443 |
/// | `example.com:8443` | the host `example.com`, port 8443 only |
/// | `*.example.com` | every subdomain of `example.com` (not `example.com` itself), ports 80 and 443 |
/// | `*.example.com:22` | the same, port 22 only |
/// | `10.0.0.0/8`, `fd00::/8` | the addresses of a network, ports 80 and 443 |
/// | `10.1.2.3`, `fd00::1` | one address (= `/32`, `/128`), ports 80 and 443 |
/// | `10.1.2.3:5432`, `[fd00::1]:80` | one address, one port |
///
/// Host names are lowercased and lose a trailing dot; labels are `[a-z0-9_-]`, at most 63
/// characters, not starting or ending with `-`, at most 253 characters in all; international
/// names are written in their `xn--` form. A wildcard needs at least two labels after `*.`. A
/// name whose last label is all digits is refused (it would read as a numeric address). A CIDR
/// must be written with its network address: host bits set (`10.1.2.3/8`) are an error, not
/// silently cleared. IPv4-mapped IPv6 forms are stored as the IPv4 address or network.
///
/// [`Display`](fmt::Display) gives the canonical text back, and serde reads and writes a rule
/// as that string (reading validates).
///
/// ```
/// use docksandbox_proxy::policy::Rule;
///
/// let r: Rule = "*.Example.COM.:22".parse().unwrap();
/// assert_eq!(r.to_string(), "*.example.com:22");
/// assert_eq!(r.port(), Some(22));
/// assert_eq!("10.0.0.0/33".parse::<Rule>().unwrap_err().to_string(), "10.0.0.0/33: prefix longer than 32");
/// assert!("*.com".parse::<Rule>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule(pub(crate) Target);

/// Why a rule's text was refused; the message quotes the (escaped) input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError(pub String);

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RuleError {}

impl Rule {
    /// The port the rule names, if it names one (a rule without a port covers 80 and 443).
    pub fn port(&self) -> Option<u16> {
        match &self.0 {
            Target::Host { port, .. } | Target::Wildcard { port, .. } | Target::Ip { port, .. } => {
                *port
            }
            Target::Cidr(_) => None,
        }
    }

    /// Whether the rule names host names only, without a port: `example.com` or
    /// `*.example.com` (what a secret's hosts may be: names a certificate can prove).
    ///
    /// ```
    /// use docksandbox_proxy::policy::Rule;
    /// assert!("*.example.com".parse::<Rule>().unwrap().is_name());
    /// assert!(!"example.com:443".parse::<Rule>().unwrap().is_name());
    /// assert!(!"10.0.0.1".parse::<Rule>().unwrap().is_name());
    /// ```
    pub fn is_name(&self) -> bool {
        matches!(
            &self.0,
            Target::Host { port: None, .. } | Target::Wildcard { port: None, .. }
        )
    }

    /// Whether the rule names one host or one address together with a port
    /// (`example.com:5432`, `10.1.2.3:5432`): only such a rule reaches always-refused and
    /// private addresses.
    pub fn is_exact_with_port(&self) -> bool {
        matches!(
            &self.0,
            Target::Host { port: Some(_), .. } | Target::Ip { port: Some(_), .. }
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Target::Host { name, port: None } => f.write_str(name),
            Target::Host {
                name,
                port: Some(p),
            } => write!(f, "{name}:{p}"),
            Target::Wildcard { suffix, port: None } => write!(f, "*.{suffix}"),
            Target::Wildcard {
                suffix,
                port: Some(p),
            } => write!(f, "*.{suffix}:{p}"),
            Target::Ip { addr, port: None } => write!(f, "{addr}"),
            Target::Ip {
                addr,
                port: Some(p),
            } => f.write_str(&with_port(*addr, *p)),
            Target::Cidr(net) => write!(f, "{net}"),
        }
    }
}

/// `s` escaped for an error message (no quotes added).
pub(crate) fn escaped(s: &str) -> String {
    s.escape_debug().to_string()
}

fn not_a_rule(input: &str, why: &str) -> RuleError {
    RuleError(format!(
        "'{}' is not a host name, *.domain, IP, CIDR or HOST:PORT: {why}",
        escaped(input)
    ))
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(input: &str) -> Result<Self, RuleError> {
        if input.is_empty() {
            return Err(not_a_rule(input, "it is empty"));
        }
        let s = input.to_ascii_lowercase();
        if let Some((addr, prefix)) = s.split_once('/') {
            return parse_cidr(input, addr, prefix).map(Rule);
        }
        if let Some(rest) = s.strip_prefix('[') {
            let Some((inner, after)) = rest.split_once(']') else {
                return Err(not_a_rule(input, "'[' without a closing ']'"));
            };
            let Ok(v6) = inner.parse::<Ipv6Addr>() else {
                return Err(not_a_rule(
                    input,
                    "brackets hold an IPv6 address, as in [fd00::1]:80",
                ));
            };
            let addr = canonical(IpAddr::V6(v6));
            let port = match after {
                "" => None,
                _ => match after.strip_prefix(':') {
                    Some(p) => Some(parse_port(input, p)?),
                    None => return Err(not_a_rule(input, "only :PORT may follow ']'")),
                },
            };
            return Ok(Rule(Target::Ip { addr, port }));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Rule(Target::Ip {
                addr: canonical(ip),
                port: None,
            }));
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return Err(not_a_rule(
                    input,
                    "not a valid IPv6 address (with a port, write [ADDRESS]:PORT)",
                ))
            }
            Some((h, p)) => (h, Some(parse_port(input, p)?)),
            None => (s.as_str(), None),
        };
        if let Ok(v4) = host.parse::<Ipv4Addr>() {
            return Ok(Rule(Target::Ip {
                addr: IpAddr::V4(v4),
                port,
            }));
        }
        if let Some(suffix) = host.strip_prefix("*.") {
            let suffix = check_name(input, suffix)?;
            if !suffix.contains('.') {
                return Err(not_a_rule(
                    input,
                    "a wildcard needs at least two labels after '*.' (as in *.example.com)",
                ));
            }
            return Ok(Rule(Target::Wildcard { suffix, port }));
        }
        let name = check_name(input, host)?;
        Ok(Rule(Target::Host { name, port }))
    }
}

fn parse_cidr(input: &str, addr: &str, prefix: &str) -> Result<Target, RuleError> {
    let e = escaped(input);
    if prefix.contains(':') || prefix.contains('/') {
        return Err(RuleError(format!(
            "{e}: a network takes no port (name single addresses as IP:PORT)"
        )));
    }
    let Ok(ip) = addr.parse::<IpAddr>() else {
        return Err(not_a_rule(
            input,
            "the part before '/' is not an IP address",
        ));
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
        return Err(RuleError(format!("{e}: the prefix length is not a number")));
    }
    let len: u8 = prefix
        .parse()
        .map_err(|_| RuleError(format!("{e}: the prefix length is not a number")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(RuleError(format!("{e}: prefix longer than {max}")));
    }
    let net = IpNet::new(ip, len).expect("prefix length checked");
    if net.network() != ip {
        return Err(RuleError(format!(
            "{e}: host bits set after the prefix; the network is {}",
            net.trunc()
        )));
    }
    // An IPv4-mapped IPv6 network is the IPv4 network (targets are canonicalised the same way).
    let net = match net {
        IpNet::V6(v6) if len >= 96 && v6.network().to_ipv4_mapped().is_some() => {
            let v4 = v6.network().to_ipv4_mapped().expect("checked");
            IpNet::new(IpAddr::V4(v4), len - 96).expect("prefix length checked")
        }
        other => other,
    };
    if net.prefix_len() == net.max_prefix_len() {
        return Ok(Target::Ip {
            addr: net.network(),
            port: None,
        });
    }
    Ok(Target::Cidr(net))
}

fn parse_port(input: &str, p: &str) -> Result<u16, RuleError> {
    let e = escaped(input);
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RuleError(format!("{e}: the port is not a number")));
    }
    match p.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => Err(RuleError(format!("{e}: port out of range 1-65535"))),
    }
}

/// Checks the syntax of a host name (already lowercased); returns it without a trailing dot.
/// `input` is only for the message.
fn check_name(input: &str, name: &str) -> Result<String, RuleError> {
    let name = validate_host_name(name).map_err(|why| not_a_rule(input, why))?;
    let last = name.rsplit('.').next().unwrap_or_default();
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a_rule(
            input,
            "its last label is a number, so it reads as a numeric address; write IPv4 addresses as four decimal numbers",
        ));
    }
    Ok(name.to_string())
}

/// The syntax check shared by rules and targets: `name` (lowercase) as a host name, without its
/// trailing dot, or why it is not one.
pub(crate) fn validate_host_name(name: &str) -> Result<&str, &'static str> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err("the host name is empty");
    }
    if name.len() > 253 {
        return Err("longer than 253 characters");
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row, or a leading dot)");
        }
        if label.len() > 63 {
            return Err("a label is longer than 63 characters");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label starts or ends with '-'");
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
        {
            return Err(match c {
                ' ' | '\t' | '\n' | '\r' => "it contains white space",
                '*' => "'*' may only be the whole first label, as in *.example.com",
                '@' => "it contains '@' (user information is not part of a host)",
                c if !c.is_ascii() => {
                    "it is not ASCII (write international names in their xn-- form)"
                }
                _ => "host names hold only letters, digits, '-' and '_'",
            });
        }
    }
    Ok(name)
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        s.parse::<Rule>()
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .to_string()
    }

    fn err(s: &str) -> String {
        match s.parse::<Rule>() {
            Ok(r) => panic!("{s} parsed as {r}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn every_form_parses_to_its_canonical_text() {
        for (input, canonical) in [
            ("example.com", "example.com"),
            ("Example.COM.", "example.com"),
            ("example.com:8443", "example.com:8443"),
            ("*.example.com", "*.example.com"),
            ("*.example.com:22", "*.example.com:22"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("10.1.2.3", "10.1.2.3"),
            ("10.1.2.3/32", "10.1.2.3"),
            ("10.1.2.3:5432", "10.1.2.3:5432"),
            ("[fd00::1]:80", "[fd00::1]:80"),
            ("[FD00::1]", "fd00::1"),
            ("fd00::1", "fd00::1"),
            ("fd00::/8", "fd00::/8"),
            ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
            ("[::ffff:127.0.0.1]:80", "127.0.0.1:80"),
            ("host.docker.internal:5432", "host.docker.internal:5432"),
            ("_dmarc.example.com", "_dmarc.example.com"),
            ("localhost", "localhost"),
            ("x1.example.com:65535", "x1.example.com:65535"),
        ] {
            assert_eq!(ok(input), canonical, "{input}");
            assert_eq!(ok(canonical), canonical, "{canonical} re-parses");
        }
    }

    #[test]
    fn errors_quote_the_input_and_say_what_is_wrong() {
        assert_eq!(
            err("exa mple.com"),
            "'exa mple.com' is not a host name, *.domain, IP, CIDR or HOST:PORT: it contains white space"
        );
        assert_eq!(err("10.0.0.0/33"), "10.0.0.0/33: prefix longer than 32");
        assert_eq!(err("fd00::/129"), "fd00::/129: prefix longer than 128");
        assert_eq!(err("host:99999"), "host:99999: port out of range 1-65535");
        assert_eq!(err("host:0"), "host:0: port out of range 1-65535");
        assert!(err("host:http").contains("the port is not a number"));
        assert!(err("host:").contains("the port is not a number"));
        assert!(err("a\nb").starts_with("'a\\nb' is not"), "{}", err("a\nb"));
        assert!(err("10.1.2.3/8").contains("host bits set"));
        assert!(err("10.1.2.3/8").contains("10.0.0.0/8"));
        assert!(err("10.0.0.0/8:80").contains("takes no port"));
        assert!(err("10.0.0.0/x").contains("not a number"));
        // Without brackets a trailing ":80" is part of the IPv6 address.
        assert_eq!(ok("fd00::1:80"), "fd00::1:80");
        assert!(err("fd00::zz:80").contains("[ADDRESS]:PORT"));
    }

    #[test]
    fn host_names_are_checked() {
        assert!(err("").contains("empty"));
        assert!(err("a..b").contains("empty label"));
        assert!(err(".a.b").contains("empty label"));
        assert!(err("-a.com").contains("'-'"));
        assert!(err("a-.com").contains("'-'"));
        assert!(err(&format!("{}.com", "a".repeat(64))).contains("63"));
        ok(&format!("{}.com", "a".repeat(63)));
        let long = vec!["a".repeat(50); 5].join(".");
        assert!(long.len() > 253);
        assert!(err(&long).contains("253"));
        assert!(err("bücher.de").contains("xn--"));
        assert!(err("a@b.com").contains("'@'"));
        assert!(err("ex!ample.com").contains("letters, digits"));
        assert!(err("[fd00::1").contains("closing"));
        assert!(err("[10.0.0.1]").contains("IPv6"));
        assert!(err("[fd00::1]80").contains("only :PORT"));
    }

    #[test]
    fn wildcards_need_a_real_suffix() {
        assert!(err("*.com").contains("two labels"));
        assert!(err("*.").contains("empty"));
        assert!(err("*").contains("'*'"));
        assert!(err("*example.com").contains("'*'"));
        assert!(err("a.*.example.com").contains("'*'"));
        assert!(err("*.*.example.com").contains("'*'"));
    }

    #[test]
    fn numeric_looking_names_are_refused() {
        for s in ["127.1", "2130706433", "0x7f.1", "1.2.3.4.5", "example.123"] {
            assert!(err(s).contains("last label is a number"), "{s}");
        }
    }

    #[test]
    fn serde_uses_the_canonical_string_and_validates() {
        let r: Rule = serde_json::from_str("\"*.Example.com:22\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"*.example.com:22\"");
        let e = serde_json::from_str::<Rule>("\"10.0.0.0/33\"").unwrap_err();
        assert!(e.to_string().contains("prefix longer than 32"), "{e}");
    }

    #[test]
    fn exactness_and_ports() {
        let r = |s: &str| s.parse::<Rule>().unwrap();
        assert!(r("example.com:5432").is_exact_with_port());
        assert!(r("10.1.2.3:5432").is_exact_with_port());
        assert!(!r("*.example.com:22").is_exact_with_port());
        assert!(!r("example.com").is_exact_with_port());
        assert_eq!(r("10.0.0.0/8").port(), None);
        assert_eq!(r("[fd00::1]:80").port(), Some(80));
    }
}
