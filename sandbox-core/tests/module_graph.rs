//! The crate's modules form no import cycle, neither file by file nor folder by folder (the
//! folders of `src/` are its architecture: see ARCHITECTURE.md). Read from the source text:
//! every `crate::…`, `super::…` and child-module path outside `#[cfg(test)]` code is an edge
//! from its file to the file that defines the item, following `pub use` re-exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root (`["model", "spec"]`); the root is `[]`.
type ModPath = Vec<String>;

struct Crate {
    /// Module path → source text (tests cut off).
    files: BTreeMap<ModPath, String>,
}

fn module_path(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_string()),
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text without comments and without the `#[cfg(test)]` module at the end.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Parses a use tree at `s` (after a `::`): `a::b::C`, `a::{b, c::D}`, `self`. Returns each
/// full path (segments after the prefix) and how many bytes were read.
fn use_tree(s: &str) -> (Vec<Vec<String>>, usize) {
    let mut i = 0;
    let b = s.as_bytes();
    let mut segs = Vec::new();
    loop {
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'{' {
            i += 1;
            let mut out = Vec::new();
            loop {
                while i < b.len() && (b[i] == b',' || (b[i] as char).is_whitespace()) {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    i += 1;
                    break;
                }
                let (sub, n) = use_tree(&s[i..]);
                i += n;
                for p in sub {
                    let mut full = segs.clone();
                    full.extend(p);
                    out.push(full);
                }
            }
            return (out, i);
        }
        let start = i;
        while i < b.len() && is_ident(b[i] as char) {
            i += 1;
        }
        if start == i {
            return (vec![segs], i);
        }
        segs.push(s[start..i].to_string());
        if s[i..].starts_with("::") {
            i += 2;
        } else {
            return (vec![segs], i);
        }
    }
}

impl Crate {
    fn read() -> Crate {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        rust_files(&src, &mut paths);
        let files = paths
            .iter()
            .map(|p| {
                (
                    module_path(&src, p),
                    code(&std::fs::read_to_string(p).unwrap()),
                )
            })
            .collect();
        Crate { files }
    }

    /// Every path `module` names: absolute (`crate::`), relative (`super::`, a child module's
    /// name at the start of a `use`), with `self` segments dropped.
    fn references(&self, module: &ModPath) -> Vec<ModPath> {
        let text = &self.files[module];
        let mut out = Vec::new();
        let children: BTreeSet<&str> = self
            .files
            .keys()
            .filter(|k| k.len() == module.len() + 1 && k.starts_with(module))
            .map(|k| k.last().unwrap().as_str())
            .collect();
        let bytes = text.as_bytes();
        for (i, _) in text.match_indices("::") {
            // The first segment of the path this `::` belongs to.
            let mut start = i;
            while start > 0 && is_ident(bytes[start - 1] as char) {
                start -= 1;
            }
            if start > 0 && text[..start].ends_with("::") {
                continue; // not the first segment
            }
            let first = &text[start..i];
            let base: ModPath = match first {
                "crate" => Vec::new(),
                "super" => {
                    let mut m = module.clone();
                    if !self.is_dir_module(module) {
                        m.pop();
                    }
                    m.pop();
                    m
                }
                c if children.contains(c) && text[..start].trim_end().ends_with("use") => {
                    let mut m = module.clone();
                    m.push(c.to_string());
                    m
                }
                _ => continue,
            };
            let (paths, _) = use_tree(&text[i + 2..]);
            for p in paths {
                let mut full = base.clone();
                full.extend(p.into_iter().filter(|s| s != "self"));
                out.push(full);
            }
        }
        out
    }

    /// Whether `module` is a folder's `mod.rs` (or the crate root).
    fn is_dir_module(&self, module: &ModPath) -> bool {
        module.is_empty()
            || self
                .files
                .keys()
                .any(|k| k.len() > module.len() && k.starts_with(module))
    }

    /// The file that defines what `path` names, following `pub use` re-exports.
    fn resolve(&self, path: &ModPath, depth: usize) -> Option<ModPath> {
        let mut n = path.len();
        while !self.files.contains_key(&path[..n]) {
            n -= 1;
        }
        let module = path[..n].to_vec();
        if n < path.len() && depth < 8 {
            // An item of `module`: maybe one it re-exports.
            for target in self.reexports(&module) {
                if target.last() == Some(&path[n]) {
                    return self.resolve(&target, depth + 1);
                }
            }
        }
        Some(module)
    }

    /// The absolute paths `module` re-exports with `pub use` / `pub(crate) use`.
    fn reexports(&self, module: &ModPath) -> Vec<ModPath> {
        let text = &self.files[module];
        let mut out = Vec::new();
        for marker in ["pub use ", "pub(crate) use "] {
            for (i, _) in text.match_indices(marker) {
                let rest = &text[i + marker.len()..];
                let (paths, _) = use_tree(rest);
                for p in paths {
                    let full: ModPath = match p.first().map(String::as_str) {
                        Some("crate") => p[1..].to_vec(),
                        Some("self") => module
                            .iter()
                            .cloned()
                            .chain(p[1..].iter().cloned())
                            .collect(),
                        _ => module.iter().cloned().chain(p.iter().cloned()).collect(),
                    };
                    out.push(full);
                }
            }
        }
        out
    }

    /// File-level edges (the crate root, a facade of re-exports, left out).
    fn edges(&self) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
        let mut g: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        for m in self.files.keys().filter(|m| !m.is_empty()) {
            let set = g.entry(m.clone()).or_default();
            for r in self.references(m) {
                if let Some(to) = self.resolve(&r, 0) {
                    if !to.is_empty() && &to != m {
                        set.insert(to);
                    }
                }
            }
        }
        g
    }
}

fn show(m: &[String]) -> String {
    m.join("::")
}

/// One cycle of `g`, if it has any.
fn find_cycle<N: Ord + Clone>(g: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit<N: Ord + Clone>(
        n: &N,
        g: &BTreeMap<N, BTreeSet<N>>,
        marks: &mut BTreeMap<N, Mark>,
        stack: &mut Vec<N>,
    ) -> Option<Vec<N>> {
        marks.insert(n.clone(), Mark::Open);
        stack.push(n.clone());
        for m in g.get(n).into_iter().flatten() {
            match marks.get(m).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let at = stack.iter().position(|x| x == m).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(m, g, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(n.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in g.keys() {
        if marks.get(n).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(c) = visit(n, g, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_file_imports_back_into_a_file_that_imports_it() {
    let g = Crate::read().edges();
    assert!(g.len() > 30, "the source was not read: {g:?}");
    if let Some(c) = find_cycle(&g) {
        let c: Vec<String> = c.iter().map(|m| show(m)).collect();
        panic!("import cycle between files: {}", c.join(" -> "));
    }
}

#[test]
fn no_folder_imports_back_into_a_folder_that_imports_it() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in Crate::read().edges() {
        let set = g.entry(from[0].clone()).or_default();
        set.extend(
            tos.into_iter()
                .map(|t| t[0].clone())
                .filter(|t| *t != from[0]),
        );
    }
    if let Some(c) = find_cycle(&g) {
        panic!("import cycle between top-level modules: {}", c.join(" -> "));
    }
}

#[test]
fn the_checker_sees_cycles_and_reexports() {
    let mut g: BTreeMap<u8, BTreeSet<u8>> = BTreeMap::new();
    g.insert(1, [2].into());
    g.insert(2, [3].into());
    g.insert(3, [1].into());
    assert_eq!(find_cycle(&g), Some(vec![1, 2, 3, 1]));
    g.insert(3, BTreeSet::new());
    assert_eq!(find_cycle(&g), None);

    let c = Crate::read();
    let v = |s: &str| s.split("::").map(String::from).collect::<ModPath>();
    // Through the crate root's re-export to the defining file.
    assert_eq!(c.resolve(&v("Sandbox"), 0), Some(v("sandbox")));
    assert_eq!(c.resolve(&v("SandboxSpec"), 0), Some(v("model::spec")));
    // A use tree with groups names each file.
    let (paths, _) = use_tree("model::{spec::SandboxSpec, network::NetworkMode};");
    assert_eq!(
        paths,
        vec![
            v("model::spec::SandboxSpec"),
            v("model::network::NetworkMode")
        ]
    );
    // The lifecycle's client imports the sandbox handle, never the reverse.
    let g = c.edges();
    assert!(g[&v("lifecycle::client")].contains(&v("sandbox")));
    assert!(!g[&v("sandbox")].contains(&v("lifecycle::client")));
}
