//! The `ls` table: docker-style columns padded to their widest cell.

use docksandbox::SandboxInfo;

/// The column headers, in order.
pub const HEADERS: [&str; 7] = [
    "SANDBOX ID",
    "NAME",
    "AGENT",
    "TEMPLATE",
    "WORKSPACE",
    "STATUS",
    "CREATED",
];

/// Characters of an id shown (like docker's short ids).
pub const SHORT_ID: usize = 12;

/// A sandbox id as `ls` shows it.
pub fn short_id(id: &str) -> &str {
    id.get(..SHORT_ID).unwrap_or(id)
}

/// The table of `sandboxes`, creation times relative to `now` (Unix seconds).
pub fn render(sandboxes: &[SandboxInfo], now: i64) -> String {
    let rows: Vec<[String; 7]> = sandboxes
        .iter()
        .map(|s| {
            [
                short_id(&s.id).to_string(),
                s.name.clone(),
                s.agent.clone(),
                s.template.clone(),
                s.workspace.display().to_string(),
                s.status.to_string(),
                ago(now - s.created),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = HEADERS.map(str::to_string);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 3;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `secs` as docker shows an age: "5 seconds ago", "About a minute ago", "3 hours ago".
pub fn ago(secs: i64) -> String {
    let secs = secs.max(0);
    let (m, h, d) = (60, 3600, 86400);
    match secs {
        0 => "Less than a second ago".into(),
        1 => "1 second ago".into(),
        s if s < m => format!("{s} seconds ago"),
        s if s < 2 * m => "About a minute ago".into(),
        s if s < h => format!("{} minutes ago", s / m),
        s if s < 2 * h => "About an hour ago".into(),
        s if s < 2 * d => format!("{} hours ago", s / h),
        s if s < 14 * d => format!("{} days ago", s / d),
        s if s < 60 * d => format!("{} weeks ago", s / (7 * d)),
        s if s < 730 * d => format!("{} months ago", s / (30 * d)),
        s => format!("{} years ago", s / (365 * d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, name: &str, status: &str, created: i64) -> SandboxInfo {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": name, "agent": "shell", "workspace": "/home/me/project",
            "template": "docksandbox/base:latest", "status": status, "created": created,
            "created_at": "", "env": {}, "credentials": "sandbox", "user": "1000:1000",
            "version": "0.1.0", "docker_socket": false, "warnings": [], "labels": {},
            "spec": null
        }))
        .unwrap()
    }

    #[test]
    fn empty_table_is_the_header() {
        insta::assert_snapshot!(render(&[], 0), @"SANDBOX ID   NAME   AGENT   TEMPLATE   WORKSPACE   STATUS   CREATED");
    }

    #[test]
    fn columns_are_padded_to_the_widest_cell() {
        let now = 1_800_000_000;
        let table = render(
            &[
                info(
                    "0123456789abcdef0123",
                    "shell-project-1a2b3c4d",
                    "running",
                    now - 90,
                ),
                info("fedcba9876543210", "x", "stopped", now - 3 * 86400),
            ],
            now,
        );
        insta::assert_snapshot!(table);
    }

    #[test]
    fn ages_read_like_docker() {
        assert_eq!(ago(-5), "Less than a second ago");
        assert_eq!(ago(42), "42 seconds ago");
        assert_eq!(ago(61), "About a minute ago");
        assert_eq!(ago(600), "10 minutes ago");
        assert_eq!(ago(5 * 3600), "5 hours ago");
        assert_eq!(ago(3 * 86400), "3 days ago");
    }
}
