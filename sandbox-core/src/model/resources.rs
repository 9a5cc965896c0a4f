//! Resource limits: CPUs, memory, processes.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Resource limits of a sandbox. `None` means "not set": the engine's default for cpus and
/// memory (unlimited), [`Resources::DEFAULT_PIDS`] for pids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    /// CPUs the sandbox may use (fractional allowed, e.g. `1.5`).
    pub cpus: Option<f64>,
    /// Memory limit in bytes (swap is limited to the same amount).
    pub memory: Option<u64>,
    /// Maximum number of processes.
    pub pids: Option<i64>,
}

impl Resources {
    /// The pids limit applied when none is set (CIS Docker Benchmark 5.28).
    pub const DEFAULT_PIDS: i64 = 4096;
    /// The smallest memory limit the engine accepts.
    pub const MIN_MEMORY: u64 = 6 * 1024 * 1024;

    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(c) = self.cpus {
            if !c.is_finite() || c <= 0.0 || c > 1024.0 {
                return Err(Error::invalid(
                    "cpus",
                    format!("{c} must be a number above 0 and at most 1024"),
                ));
            }
            if (c * 1e9).round() < 1e6 {
                return Err(Error::invalid("cpus", format!("{c} is below 0.001")));
            }
        }
        if let Some(m) = self.memory {
            if !(Self::MIN_MEMORY..=(1u64 << 50)).contains(&m) {
                return Err(Error::invalid(
                    "memory",
                    format!("{m} bytes must be between 6 MiB and 1 PiB"),
                ));
            }
        }
        if let Some(p) = self.pids {
            if !(1..=4_194_304).contains(&p) {
                return Err(Error::invalid(
                    "pids_limit",
                    format!("{p} must be between 1 and 4194304"),
                ));
            }
        }
        Ok(())
    }
}

/// Parses a memory size the way `docker run --memory` does: a number with an optional unit
/// `b`, `k`, `m`, `g`, `t` (powers of 1024, case-insensitive, optional trailing `b`/`ib`).
///
/// ```
/// use docksandbox::parse_memory;
/// assert_eq!(parse_memory("512m").unwrap(), 512 * 1024 * 1024);
/// assert_eq!(parse_memory("2GiB").unwrap(), 2 << 30);
/// assert_eq!(parse_memory("1.5g").unwrap(), 3 << 29);
/// assert!(parse_memory("-1g").is_err());
/// ```
pub fn parse_memory(s: &str) -> Result<u64> {
    let bad = |why: &str| Error::invalid("memory", format!("`{}` {why}", s.escape_debug()));
    let t = s.trim().to_ascii_lowercase();
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    if num.is_empty() {
        return Err(bad("is not a size like 512m or 2g"));
    }
    let n: f64 = num.parse().map_err(|_| bad("is not a number"))?;
    let unit = unit.trim();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b').filter(|u| !u.is_empty()))
        .unwrap_or(unit);
    let mult: u64 = match unit {
        "" | "b" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(bad("has an unknown unit (use b, k, m, g or t)")),
    };
    let bytes = n * mult as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > (1u64 << 60) as f64 {
        return Err(bad("is out of range"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1024").unwrap(), 1024);
        assert_eq!(parse_memory("1k").unwrap(), 1024);
        assert_eq!(parse_memory("1KB").unwrap(), 1024);
        assert_eq!(parse_memory("3t").unwrap(), 3 << 40);
        for bad in ["", "m", "1x", "-5m", "0", "1e400g", "abc"] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits() {
        let ok = Resources {
            cpus: Some(0.5),
            memory: Some(64 << 20),
            pids: Some(100),
        };
        ok.validate().unwrap();
        for bad in [
            Resources {
                cpus: Some(0.0),
                ..ok
            },
            Resources {
                cpus: Some(-1.0),
                ..ok
            },
            Resources {
                cpus: Some(f64::NAN),
                ..ok
            },
            Resources {
                memory: Some(1),
                ..ok
            },
            Resources {
                pids: Some(0),
                ..ok
            },
            Resources {
                pids: Some(-3),
                ..ok
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
