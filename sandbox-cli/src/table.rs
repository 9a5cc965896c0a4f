//! The `ls` table: docker-style columns padded to their widest cell, fitted into 80 columns.

use docksandbox::SandboxInfo;

/// The column headers, in order.
/// Docker Sandboxes' own columns, in its order.
pub const HEADERS: [&str; 6] = [
    "SANDBOX ID",
    "TEMPLATE",
    "NAME",
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

/// The width `ls` fits its table into unless asked not to truncate.
pub const WIDTH: usize = 80;

/// How a table too wide is cut, stage by stage: (column, narrowest it is cut to). The
/// workspace gives first (its end is kept), then the template, the name last (it is what users
/// type; the id is there too).
const CUTS: [(usize, usize); 5] = [(3, 16), (1, 10), (2, 24), (3, 8), (2, 12)];

/// The WORKSPACE cell: the workspace, or for a branch sandbox its repository with the branch,
/// the commits it is ahead of its base and whether its worktree has uncommitted changes
/// (`/src/app [fix-login +2, uncommitted]`).
fn workspace_cell(s: &SandboxInfo) -> String {
    let repo = s
        .spec
        .as_ref()
        .and_then(|sp| sp.branch.as_ref())
        .and_then(|b| b.repository.clone());
    if let Some(pool) = s.spec.as_ref().and_then(|sp| sp.pool.as_ref()) {
        return format!("(pool {pool})");
    }
    match (&s.branch, repo) {
        (Some(b), Some(repo)) => format!(
            "{} [{} +{}{}]",
            repo.display(),
            b.name,
            b.ahead,
            if b.dirty { ", uncommitted" } else { "" }
        ),
        _ => s.workspace.display().to_string(),
    }
}

/// The table of `sandboxes`, creation times relative to `now` (Unix seconds), fitted into
/// [`WIDTH`] columns by cutting the longest of NAME, TEMPLATE and WORKSPACE with `…`
/// (a workspace keeps its end) unless `no_trunc`.
pub fn render(sandboxes: &[SandboxInfo], now: i64, no_trunc: bool) -> String {
    let mut rows: Vec<[String; 6]> = sandboxes
        .iter()
        .map(|s| {
            [
                short_id(&s.id).to_string(),
                if no_trunc {
                    s.template.clone()
                } else {
                    short_template(&s.template).to_string()
                },
                s.name.clone(),
                workspace_cell(s),
                if s.idle_stopped {
                    "idle-stopped".to_string()
                } else {
                    s.status.to_string()
                },
                ago(now - s.created),
            ]
        })
        .collect();
    let count = |c: &str| c.chars().count();
    let mut widths = HEADERS.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(count(cell));
        }
    }
    if !no_trunc {
        let total = |w: &[usize; 6]| w.iter().sum::<usize>() + GAP * (w.len() - 1);
        for (col, min) in CUTS {
            while total(&widths) > WIDTH && widths[col] > min {
                widths[col] -= 1;
            }
        }
        for row in &mut rows {
            for col in [1, 2, 3] {
                row[col] = cut(&row[col], widths[col], col == 3);
            }
        }
    }
    let mut out = String::new();
    let header = HEADERS.map(str::to_string);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(count(cell)) + GAP;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A template as the table shows it: the built-in ones by their name (`docksandbox/claude:latest`
/// is `claude`), others whole.
fn short_template(t: &str) -> &str {
    t.strip_prefix("docksandbox/")
        .and_then(|t| t.strip_suffix(":latest"))
        .unwrap_or(t)
}

/// Spaces between columns.
const GAP: usize = 2;

/// `cell` in at most `width` characters: cut with `…` at the end, or at the start when
/// `keep_end` (a path's last components say most).
fn cut(cell: &str, width: usize, keep_end: bool) -> String {
    let n = cell.chars().count();
    if n <= width || width == 0 {
        return cell.to_string();
    }
    if keep_end {
        let tail: String = cell.chars().skip(n - (width - 1)).collect();
        format!("…{tail}")
    } else {
        let head: String = cell.chars().take(width - 1).collect();
        format!("{head}…")
    }
}

/// `secs` as a short age: "5s ago", "3m ago", "2h ago", "4d ago", "3w ago", "5mo ago", "2y ago".
pub fn ago(secs: i64) -> String {
    let secs = secs.max(0);
    let (m, h, d) = (60, 3600, 86400);
    match secs {
        s if s < m => format!("{s}s ago"),
        s if s < h => format!("{}m ago", s / m),
        s if s < 2 * d => format!("{}h ago", s / h),
        s if s < 14 * d => format!("{}d ago", s / d),
        s if s < 60 * d => format!("{}w ago", s / (7 * d)),
        s if s < 730 * d => format!("{}mo ago", s / (30 * d)),
        s => format!("{}y ago", s / (365 * d)),
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
        insta::assert_snapshot!(render(&[], 0, false), @"SANDBOX ID  TEMPLATE  NAME  WORKSPACE  STATUS  CREATED");
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
            false,
        );
        insta::assert_snapshot!(table);
    }

    #[test]
    fn long_cells_are_cut_to_fit_80_columns_unless_no_trunc() {
        let now = 1_800_000_000;
        let mut long = info(
            "0123456789abcdef0123",
            "claude-a-very-long-project-name-indeed-1a2b3c4d",
            "running",
            now - 7200,
        );
        long.workspace = "/home/me/src/github.com/someone/a-very-long-project-name-indeed".into();
        long.template = "registry.example.com/team/claude-custom:2026-12-01".into();
        let table = render(std::slice::from_ref(&long), now, false);
        for line in table.lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
        assert!(table.contains("…me-indeed  running"), "{table}");
        assert!(table.contains("2h ago"), "{table}");
        let full = render(&[long], now, true);
        assert!(full.contains("/home/me/src/github.com/someone/a-very-long-project-name-indeed"));
        assert!(full.contains("claude-a-very-long-project-name-indeed-1a2b3c4d"));
        assert!(full.contains("registry.example.com/team/claude-custom:2026-12-01"));
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(ago(-5), "0s ago");
        assert_eq!(ago(42), "42s ago");
        assert_eq!(ago(61), "1m ago");
        assert_eq!(ago(600), "10m ago");
        assert_eq!(ago(5 * 3600), "5h ago");
        assert_eq!(ago(3 * 86400), "3d ago");
        assert_eq!(ago(90 * 86400), "3mo ago");
    }
}
