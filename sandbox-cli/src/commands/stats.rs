//! `docksandbox stats`: what sandboxes use, as a table or JSON (`docker stats --no-stream`).

use super::Global;
use crate::cli::StatsArgs;
use crate::failure::Outcome;

/// `12.3MiB`, `1.5GiB`, `640B` (binary units, like `docker stats`).
fn size(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b}B")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

pub async fn stats(g: &Global, a: StatsArgs) -> Outcome {
    let client = g.client()?;
    let mut rows = Vec::new();
    for r in &a.sandboxes {
        let sb = client.get(r).await?;
        let u = sb.stats().await?;
        rows.push((sb.name().to_string(), u));
    }
    if a.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, u)| {
                let mut o = serde_json::to_value(u).unwrap_or_default();
                o["name"] = name.clone().into();
                o
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| "[]".into())
        );
        return Ok(0);
    }
    let mut table = vec![[
        "NAME".to_string(),
        "CPU %".into(),
        "MEM USAGE / LIMIT".into(),
        "MEM PEAK".into(),
        "PIDS".into(),
        "NET I/O".into(),
    ]];
    for (name, u) in &rows {
        table.push([
            name.clone(),
            format!("{:.2}%", u.cpu_percent),
            format!(
                "{} / {}",
                size(u.memory_bytes),
                u.memory_limit.map(size).unwrap_or_else(|| "-".into())
            ),
            u.memory_peak.map(size).unwrap_or_else(|| "-".into()),
            match u.pids_limit {
                Some(l) => format!("{} / {l}", u.pids),
                None => u.pids.to_string(),
            },
            format!("{} / {}", size(u.net_rx_bytes), size(u.net_tx_bytes)),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &table {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    for row in &table {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("   ").trim_end());
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_docker_stats() {
        assert_eq!(super::size(640), "640B");
        assert_eq!(super::size(64 << 20), "64.0MiB");
        assert_eq!(super::size(3 << 29), "1.5GiB");
    }
}
