//! Review mode's changes shown to a person: a unified diff for text (as `git diff` prints
//! it, a line for binaries, deletions and renames included) and a `--stat` summary.

use std::path::Path;

use similar::TextDiff;

use crate::workspace::changes::{Change, ChangeKind, EntryType};

/// The text of `p`, or `None` when it is not UTF-8 (shown as binary).
fn text(p: &Path) -> Option<String> {
    String::from_utf8(std::fs::read(p).ok()?).ok()
}

fn rel<'a>(workspace: &Path, p: &'a Path) -> std::borrow::Cow<'a, str> {
    p.strip_prefix(workspace).unwrap_or(p).to_string_lossy()
}

/// The unified diff of `changes` (the new side read from `upper`, the old from the host).
pub(crate) fn unified(workspace: &Path, upper: &Path, changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        if c.entry == EntryType::Dir && c.kind != ChangeKind::Modified {
            continue;
        }
        let path = rel(workspace, &c.path);
        let old_path = c.from.as_deref().map(|f| rel(workspace, f));
        let a = old_path.as_deref().unwrap_or(&path);
        out.push_str(&format!("diff --docksandbox a/{a} b/{path}\n"));
        match c.kind {
            ChangeKind::Added => {
                out.push_str(&format!("new file mode {:o}\n", c.new_mode.unwrap_or(0)))
            }
            ChangeKind::Deleted => out.push_str(&format!(
                "deleted file mode {:o}\n",
                c.old_mode.unwrap_or(0)
            )),
            ChangeKind::Renamed => {
                out.push_str(&format!("rename from {a}\nrename to {path}\n"));
                continue;
            }
            ChangeKind::Modified => {
                if c.old_mode != c.new_mode {
                    out.push_str(&format!(
                        "old mode {:o}\nnew mode {:o}\n",
                        c.old_mode.unwrap_or(0),
                        c.new_mode.unwrap_or(0)
                    ));
                }
            }
        }
        if c.entry != EntryType::File {
            if c.entry == EntryType::Symlink {
                let target = |p: &Path| {
                    std::fs::read_link(p)
                        .map(|t| t.display().to_string())
                        .unwrap_or_default()
                };
                let r = c.path.strip_prefix(workspace).unwrap_or(&c.path);
                if c.kind != ChangeKind::Added {
                    out.push_str(&format!("-> {} (before)\n", target(&c.path)));
                }
                if c.kind != ChangeKind::Deleted {
                    out.push_str(&format!("-> {} (after)\n", target(&upper.join(r))));
                }
            }
            continue;
        }
        let r = c.path.strip_prefix(workspace).unwrap_or(&c.path);
        let old = match c.kind {
            ChangeKind::Added => Some(String::new()),
            _ => text(&c.path),
        };
        let new = match c.kind {
            ChangeKind::Deleted => Some(String::new()),
            _ => text(&upper.join(r)),
        };
        match (old, new) {
            (Some(o), Some(n)) if !c.binary => {
                if o == n {
                    continue;
                }
                let from = if c.kind == ChangeKind::Added {
                    "/dev/null".to_string()
                } else {
                    format!("a/{a}")
                };
                let to = if c.kind == ChangeKind::Deleted {
                    "/dev/null".to_string()
                } else {
                    format!("b/{path}")
                };
                let d = TextDiff::from_lines(&o, &n);
                out.push_str(
                    &d.unified_diff()
                        .context_radius(3)
                        .header(&from, &to)
                        .to_string(),
                );
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            _ => out.push_str(&format!("Binary files a/{a} and b/{path} differ\n")),
        }
    }
    out
}

/// One line per change, `git status --short` style, and a closing count.
pub(crate) fn stat(workspace: &Path, changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let p = rel(workspace, &c.path);
        let slash = if c.entry == EntryType::Dir { "/" } else { "" };
        match &c.from {
            Some(f) => out.push_str(&format!("R  {} -> {p}\n", rel(workspace, f))),
            None => out.push_str(&format!("{}  {p}{slash}\n", c.letter())),
        }
    }
    let count = |k| changes.iter().filter(|c| c.kind == k).count();
    out.push_str(&format!(
        "{} changed: {} added, {} modified, {} deleted, {} renamed\n",
        changes.len(),
        count(ChangeKind::Added),
        count(ChangeKind::Modified),
        count(ChangeKind::Deleted),
        count(ChangeKind::Renamed)
    ));
    out
}
