//! Durations as users type them: `90s`, `30m`, `24h`, `7d`, or combined (`1h30m`); a bare
//! number is seconds.

use std::time::Duration;

use crate::error::{Error, Result};

/// Parses `s`; `field` names it in the error.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(docksandbox::parse_duration("1h30m", "ttl").unwrap(), Duration::from_secs(5400));
/// assert_eq!(docksandbox::parse_duration("90", "ttl").unwrap(), Duration::from_secs(90));
/// assert!(docksandbox::parse_duration("-1s", "ttl").is_err());
/// assert!(docksandbox::parse_duration("10x", "ttl").is_err());
/// ```
pub fn parse_duration(s: &str, field: &str) -> Result<Duration> {
    let bad = || {
        Error::invalid(
            field,
            format!(
                "`{}` is not a duration like 90s, 30m, 24h, 7d or 1h30m",
                s.escape_debug()
            ),
        )
    };
    if s.is_empty() {
        return Err(bad());
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().map(Duration::from_secs).map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = rest[digits..].chars().next().ok_or_else(bad)?;
        let secs = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(secs)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = &rest[digits + 1..];
    }
    Ok(Duration::from_secs(total))
}

/// `--since` as `docker logs` takes it: a duration back from now (`10m`), a Unix time
/// (`1733356800`) or an RFC 3339 time (`2026-12-05T10:00:00Z`); the Unix second it names.
///
/// ```
/// let now = 1_000_000;
/// assert_eq!(docksandbox::parse_since("10m", now).unwrap(), now - 600);
/// assert_eq!(docksandbox::parse_since("1733356800", now).unwrap(), 1733356800);
/// assert_eq!(docksandbox::parse_since("2026-12-05T00:00:00Z", now).unwrap(), 1796428800);
/// assert!(docksandbox::parse_since("yesterday", now).is_err());
/// ```
pub fn parse_since(s: &str, now: i64) -> Result<i64> {
    if s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse()
            .map_err(|_| Error::invalid("since", format!("`{s}` is too large")));
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let d = parse_duration(s, "since").map_err(|_| {
        Error::invalid(
            "since",
            format!(
                "`{}` is not a duration (10m, 2h), a Unix time or an RFC 3339 time",
                s.escape_debug()
            ),
        )
    })?;
    Ok(now - d.as_secs() as i64)
}

/// A lifetime setting: parsed, and more than zero.
pub(crate) fn positive(s: &str, field: &str) -> Result<Duration> {
    let d = parse_duration(s, field)?;
    if d.is_zero() {
        return Err(Error::invalid(
            field,
            "is zero; give a duration like 30m or 2h",
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        for (s, secs) in [
            ("90s", 90),
            ("30m", 1800),
            ("24h", 86400),
            ("7d", 604800),
            ("1d2h3m4s", 93784),
            ("0", 0),
        ] {
            assert_eq!(parse_duration(s, "f").unwrap().as_secs(), secs, "{s}");
        }
        for s in [
            "",
            "-1s",
            "10x",
            "h",
            "1.5h",
            "1 h",
            "99999999999999999999d",
            "5m3",
        ] {
            assert!(parse_duration(s, "f").is_err(), "{s}");
        }
        assert!(positive("0s", "ttl").is_err());
    }
}
