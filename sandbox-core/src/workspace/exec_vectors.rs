//! Files in a workspace through which the host runs programs without being asked: git hooks
//! and the git config keys that name programs (in every repository under the workspace,
//! also ones made inside the sandbox), `.gitattributes` drivers, `.envrc` (direnv), VS Code
//! tasks that run on folder open and settings that name programs. Found by a scan of host
//! paths; [`disable`] turns them off, touching nothing else.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::model::naming::hex;

/// How a file makes the host run a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecVectorKind {
    /// An executable file in a repository's hooks directory.
    GitHook,
    /// A git config key that names a program (`core.fsmonitor`, `alias.x = !cmd`, …).
    GitConfig,
    /// A `.gitattributes` (or `info/attributes`) line naming a filter, diff or merge driver.
    GitAttributes,
    /// A `.envrc`, which direnv runs on `cd`.
    Envrc,
    /// A VS Code task with `"runOn": "folderOpen"`.
    VscodeTask,
    /// A VS Code setting naming a program or shell (`terminal.integrated.*`, interpreters).
    VscodeSettings,
}

/// One place through which the host would run a program.
///
/// ```
/// # fn show(v: &docksandbox::ExecVector) {
/// eprintln!("{}: {:?} {}", v.path.display(), v.kind, v.key);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExecVector {
    /// The file (absolute host path).
    pub path: PathBuf,
    /// How it runs a program.
    pub kind: ExecVectorKind,
    /// What in the file: the hook's name, the config key, the attributes line, the setting.
    pub key: String,
    /// A digest of the path, kind, key and value: a vector that changed is a new one.
    pub fingerprint: String,
}

fn vector(path: &Path, kind: ExecVectorKind, key: &str, value: &[u8]) -> ExecVector {
    let mut h = Sha256::new();
    h.update(path.as_os_str().as_encoded_bytes());
    h.update([0]);
    h.update(format!("{kind:?}\0{key}\0").as_bytes());
    h.update(value);
    ExecVector {
        path: path.to_path_buf(),
        kind,
        key: key.to_string(),
        fingerprint: hex(&h.finalize()[..12]),
    }
}

/// Whether a git config key (lowercase section and name, subsection as written) names a
/// program, given its value.
fn dangerous_key(key: &str, value: &str) -> bool {
    let parts: Vec<&str> = key.split('.').collect();
    let (section, name) = (parts[0], *parts.last().unwrap_or(&""));
    let boolish = matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "1" | "0" | ""
    );
    match (section, parts.len(), name) {
        ("core", 2, "fsmonitor") => !boolish,
        (
            "core",
            2,
            "hookspath"
            | "sshcommand"
            | "pager"
            | "editor"
            | "askpass"
            | "gitproxy"
            | "alternaterefscommand",
        ) => true,
        ("diff", 2, "external") => true,
        ("diff", 3, "command" | "textconv") => true,
        ("filter", 3, "clean" | "smudge" | "process") => true,
        ("merge", 3, "driver") => true,
        ("alias", 2, _) => value.trim_start().starts_with('!'),
        ("pager", 2, _) => !boolish,
        ("sequence", 2, "editor") => true,
        ("gpg", 2 | 3, "program") => true,
        ("credential", 2 | 3, "helper") => true,
        ("include", 2, "path") => true,
        ("includeif", 3, "path") => true,
        ("uploadpack", 2, "packobjectshook") => true,
        ("remote", 3, "uploadpack" | "receivepack") => true,
        ("difftool" | "mergetool", 3, "cmd") => true,
        ("interactive", 2, "difffilter") => true,
        ("web", 2, "browser") => true,
        ("browser", 3, "cmd" | "path") => true,
        _ => false,
    }
}

/// One parsed line of a git config file: its full key and value, when it sets one.
pub(crate) fn config_entries(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut continued = false;
    for (i, raw) in text.lines().enumerate() {
        let was_continued = continued;
        continued = raw.trim_end().ends_with('\\');
        if was_continued {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let mut rest = line;
        if let Some(body) = line.strip_prefix('[') {
            let Some(end) = body.find(']') else { continue };
            let head = &body[..end];
            section = match head.find('"') {
                Some(q) => {
                    let base = head[..q].trim().to_ascii_lowercase();
                    let sub = head[q + 1..].trim_end_matches('"').replace("\\\"", "\"");
                    format!("{base}.{sub}")
                }
                None => match head.split_once('.') {
                    Some((b, sub)) => format!("{}.{}", b.trim().to_ascii_lowercase(), sub.trim()),
                    None => head.trim().to_ascii_lowercase(),
                },
            };
            rest = body[end + 1..].trim();
            if rest.is_empty() || rest.starts_with('#') || rest.starts_with(';') {
                continue;
            }
        }
        let (name, value) = match rest.split_once('=') {
            Some((n, v)) => (n.trim(), v.trim()),
            None => (rest, ""),
        };
        if section.is_empty() || name.is_empty() {
            continue;
        }
        out.push((
            i,
            format!("{section}.{}", name.to_ascii_lowercase()),
            value.to_string(),
        ));
    }
    out
}

/// The diff drivers git knows itself (they only choose hunk headers, run nothing).
const BUILTIN_DRIVERS: &[&str] = &[
    "ada", "bash", "bibtex", "cpp", "csharp", "css", "dts", "elixir", "fortran", "fountain",
    "golang", "html", "java", "kotlin", "markdown", "matlab", "objc", "pascal", "perl", "php",
    "python", "ruby", "rust", "scheme", "tex", "lfs", "text", "binary", "union",
];

/// The lines of an attributes file that name a filter, diff or merge driver.
pub(crate) fn attribute_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.split_whitespace().skip(1).any(|a| {
                ["filter=", "diff=", "merge="].iter().any(|p| {
                    a.strip_prefix(p)
                        .is_some_and(|d| !BUILTIN_DRIVERS.contains(&d))
                })
            })
        })
        .map(str::to_string)
        .collect()
}

/// VS Code settings that name a program or shell.
const VSCODE_KEYS: &[&str] = &[
    "terminal.integrated.",
    "python.defaultInterpreterPath",
    "python.pythonPath",
    "python.condaPath",
    "git.path",
    "rust-analyzer.server.path",
    "go.alternateTools",
    "go.goroot",
    "eslint.runtime",
    "npm.binPath",
    "java.jdt.ls.java.home",
];

fn scan_git_dir(git: &Path, out: &mut Vec<ExecVector>, depth: usize) {
    if let Ok(rd) = std::fs::read_dir(git.join("hooks")) {
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(m) = std::fs::metadata(&p) else {
                continue;
            };
            use std::os::unix::fs::PermissionsExt;
            if m.is_file() && m.permissions().mode() & 0o111 != 0 && !name.ends_with(".sample") {
                let body = std::fs::read(&p).unwrap_or_default();
                out.push(vector(&p, ExecVectorKind::GitHook, &name, &body));
            }
        }
    }
    for f in ["config", "config.worktree"] {
        let p = git.join(f);
        if let Ok(text) = std::fs::read_to_string(&p) {
            for (_, key, value) in config_entries(&text) {
                if dangerous_key(&key, &value) {
                    out.push(vector(
                        &p,
                        ExecVectorKind::GitConfig,
                        &key,
                        value.as_bytes(),
                    ));
                }
            }
        }
    }
    let attrs = git.join("info/attributes");
    if let Ok(text) = std::fs::read_to_string(&attrs) {
        for l in attribute_lines(&text) {
            out.push(vector(&attrs, ExecVectorKind::GitAttributes, &l, b""));
        }
    }
    if depth < 4 {
        for sub in ["worktrees", "modules"] {
            if let Ok(rd) = std::fs::read_dir(git.join(sub)) {
                for e in rd.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        scan_git_dir(&e.path(), out, depth + 1);
                    }
                }
            }
        }
    }
}

/// Every exec vector under `root` (symlinks not followed), sorted.
pub(crate) fn scan(root: &Path) -> Vec<ExecVector> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(t) = e.file_type() else { continue };
            let p = e.path();
            let name = e.file_name();
            match (name.to_str(), t.is_dir(), t.is_file()) {
                (Some(".git"), true, _) => scan_git_dir(&p, &mut out, 0),
                (Some(".vscode"), true, _) => {
                    let tasks = p.join("tasks.json");
                    if let Ok(text) = std::fs::read_to_string(&tasks) {
                        if text.contains("\"runOn\"") && text.contains("folderOpen") {
                            out.push(vector(
                                &tasks,
                                ExecVectorKind::VscodeTask,
                                "runOn: folderOpen",
                                text.as_bytes(),
                            ));
                        }
                    }
                    let settings = p.join("settings.json");
                    if let Ok(text) = std::fs::read_to_string(&settings) {
                        for k in VSCODE_KEYS {
                            if text.contains(&format!("\"{k}")) {
                                out.push(vector(
                                    &settings,
                                    ExecVectorKind::VscodeSettings,
                                    k.trim_end_matches('.'),
                                    text.as_bytes(),
                                ));
                            }
                        }
                    }
                }
                (_, true, _) => stack.push(p),
                (Some(".envrc"), _, true) => {
                    let body = std::fs::read(&p).unwrap_or_default();
                    out.push(vector(&p, ExecVectorKind::Envrc, ".envrc", &body));
                }
                (Some(".gitattributes"), _, true) => {
                    if let Ok(text) = std::fs::read_to_string(&p) {
                        for l in attribute_lines(&text) {
                            out.push(vector(&p, ExecVectorKind::GitAttributes, &l, b""));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// A name beside `p` that does not exist yet: `p` + `suffix`, then numbered.
fn free_name(p: &Path, suffix: &str) -> PathBuf {
    let base = format!("{}{suffix}", p.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        candidate = PathBuf::from(format!("{base}.{n}"));
        n += 1;
    }
    candidate
}

/// Turns `vectors` off: hooks, `.envrc` and VS Code files renamed to `*.disabled` (and made
/// non-executable), config
/// keys and attributes lines removed (the file kept first as `*.docksandbox-backup`).
/// Returns one line per action.
pub(crate) fn disable(vectors: &[ExecVector]) -> Result<Vec<String>> {
    let mut actions = Vec::new();
    let mut by_file: std::collections::BTreeMap<&Path, Vec<&ExecVector>> = Default::default();
    for v in vectors {
        by_file.entry(v.path.as_path()).or_default().push(v);
    }
    for (path, vs) in by_file {
        match vs[0].kind {
            ExecVectorKind::GitHook
            | ExecVectorKind::Envrc
            | ExecVectorKind::VscodeTask
            | ExecVectorKind::VscodeSettings => {
                if std::fs::symlink_metadata(path).is_err() {
                    continue;
                }
                let to = free_name(path, ".disabled");
                std::fs::rename(path, &to)?;
                // Not executable either: a helper a hook calls by name no longer runs.
                if let Ok(m) = std::fs::symlink_metadata(&to) {
                    use std::os::unix::fs::PermissionsExt;
                    if m.is_file() {
                        let mode = m.permissions().mode() & !0o111;
                        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode))?;
                    }
                }
                actions.push(format!("renamed {} to {}", path.display(), to.display()));
            }
            ExecVectorKind::GitConfig | ExecVectorKind::GitAttributes => {
                let text = std::fs::read_to_string(path)?;
                let drop: std::collections::BTreeSet<usize> =
                    if vs[0].kind == ExecVectorKind::GitConfig {
                        let keys: Vec<&str> = vs.iter().map(|v| v.key.as_str()).collect();
                        config_entries(&text)
                            .into_iter()
                            .filter(|(_, k, _)| keys.contains(&k.as_str()))
                            .flat_map(|(i, _, _)| {
                                // The key's continuation lines go with it.
                                let lines: Vec<&str> = text.lines().collect();
                                let mut j = i;
                                while j < lines.len() && lines[j].trim_end().ends_with('\\') {
                                    j += 1;
                                }
                                i..=j
                            })
                            .collect()
                    } else {
                        let keys: Vec<&str> = vs.iter().map(|v| v.key.as_str()).collect();
                        text.lines()
                            .enumerate()
                            .filter(|(_, l)| keys.contains(&l.trim()))
                            .map(|(i, _)| i)
                            .collect()
                    };
                let backup = free_name(path, ".docksandbox-backup");
                std::fs::copy(path, &backup)?;
                let kept: Vec<&str> = text
                    .lines()
                    .enumerate()
                    .filter(|(i, _)| !drop.contains(i))
                    .map(|(_, l)| l)
                    .collect();
                let mut new = kept.join("\n");
                if text.ends_with('\n') {
                    new.push('\n');
                }
                let tmp = free_name(path, ".docksandbox-tmp");
                std::fs::write(&tmp, new)?;
                let perms = std::fs::metadata(path)?.permissions();
                std::fs::set_permissions(&tmp, perms)?;
                std::fs::rename(&tmp, path)?;
                for v in vs {
                    actions.push(format!(
                        "removed `{}` from {} (backup: {})",
                        v.key,
                        path.display(),
                        backup.display()
                    ));
                }
            }
        }
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_that_run_programs_are_found() {
        let text = "[core]\n\tfsmonitor = ./x\n\tbare = false\n[alias]\n\tst = status\n\tx = !sh -c 'id'\n[filter \"lfs\"]\n\tprocess = git-lfs filter-process\n[Diff \"Foo\"]\n\ttextconv = cat\n[pager]\n\tlog = false\n\tdiff = less-evil\n";
        let found: Vec<String> = config_entries(text)
            .into_iter()
            .filter(|(_, k, v)| dangerous_key(k, v))
            .map(|(_, k, _)| k)
            .collect();
        assert_eq!(
            found,
            [
                "core.fsmonitor",
                "alias.x",
                "filter.lfs.process",
                "diff.Foo.textconv",
                "pager.diff"
            ]
        );
    }

    #[test]
    fn attributes_naming_drivers_are_found_builtins_are_not() {
        let got = attribute_lines(
            "*.py diff=python\n*.bin filter=evil\n# x filter=y\n*.md merge=ours -text\n",
        );
        assert_eq!(got, ["*.bin filter=evil", "*.md merge=ours -text"]);
    }

    #[test]
    fn scan_and_disable_touch_only_the_vectors() {
        let d = tempfile::tempdir().unwrap();
        let ws = d.path();
        let repo = ws.join("inner");
        std::fs::create_dir_all(repo.join(".git/hooks")).unwrap();
        let hook = repo.join(".git/hooks/post-commit");
        std::fs::write(&hook, "#!/bin/sh\ntouch /tmp/x\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(repo.join(".git/hooks/pre-push.sample"), "").unwrap();
        let cfg = repo.join(".git/config");
        std::fs::write(&cfg, "[core]\n\tbare = false\n\tpager = evil\n").unwrap();
        std::fs::write(ws.join(".envrc"), "echo hi").unwrap();
        let found = scan(ws);
        let kinds: Vec<_> = found.iter().map(|v| v.kind).collect();
        assert_eq!(
            kinds,
            [
                ExecVectorKind::Envrc,
                ExecVectorKind::GitConfig,
                ExecVectorKind::GitHook
            ]
        );
        let actions = disable(&found).unwrap();
        assert_eq!(actions.len(), 3, "{actions:?}");
        let left = scan(ws);
        assert!(left.is_empty(), "{left:?}");
        assert_eq!(
            std::fs::read_to_string(&cfg).unwrap(),
            "[core]\n\tbare = false\n"
        );
        assert!(repo.join(".git/hooks/post-commit.disabled").exists());
        assert!(repo.join(".git/config.docksandbox-backup").exists());
        assert!(repo.join(".git/hooks/pre-push.sample").exists());
    }
}
