//! Medians, extremes and ratios of timing samples.

use crate::Row;
use serde::Serialize;

/// Summary of one contestant's samples, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub contestant: String,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub samples: usize,
    /// docksandbox's median divided by this contestant's (None for docksandbox itself).
    pub ratio: Option<f64>,
}

pub fn summarize(contestant: &str, samples: &[f64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let mid = s.len() / 2;
    let median = if s.len() % 2 == 1 {
        s[mid]
    } else {
        (s[mid - 1] + s[mid]) / 2.0
    };
    Some(Summary {
        contestant: contestant.to_string(),
        median_ms: median,
        min_ms: s[0],
        max_ms: s[s.len() - 1],
        samples: s.len(),
        ratio: None,
    })
}

/// A row comparing `ours` with `peer` (ratio = ours / peer).
pub fn pair_row(
    id: &str,
    op: &str,
    names: [&str; 2],
    samples: [Vec<f64>; 2],
    notes: Vec<String>,
) -> Row {
    let mut results: Vec<_> = names
        .iter()
        .zip(&samples)
        .filter_map(|(n, s)| summarize(n, s))
        .collect();
    if let [ours, peer] = results.as_mut_slice() {
        peer.ratio = Some(ours.median_ms / peer.median_ms);
    }
    Row {
        id: id.into(),
        operation: op.into(),
        results,
        notes,
    }
}
