//! The `registries` network preset: the package registries this host's own clients are
//! configured to use (npm, pip, cargo, apt, Go), read from their configuration so that mirrors
//! work, with each client's built-in default when it names none.

use std::path::Path;
use std::process::Command;

/// Every registry host (as `HOST` or `HOST:PORT` rules), sorted, without duplicates.
pub(crate) fn hosts() -> Vec<String> {
    let mut urls = Vec::new();
    urls.extend(npm());
    urls.extend(pip());
    urls.extend(cargo());
    urls.extend(apt(Path::new("/etc/apt")));
    urls.extend(go());
    let mut hosts: Vec<String> = urls.iter().filter_map(|u| url_host(u)).collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// `HOST` (or `HOST:PORT` for a port other than 80 and 443) of an `http(s)://` URL.
pub(crate) fn url_host(url: &str) -> Option<String> {
    let url = url.trim().trim_matches(['"', '\'']);
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?.to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    Some(match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') && !h.contains(':') && (p == "80" || p == "443") => {
            h.to_string()
        }
        _ => authority,
    })
}

/// What a client program prints, when it is installed and answers within its own time.
fn ask(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn npm() -> Vec<String> {
    // npm reports its default (registry.npmjs.org) when nothing is configured.
    ask("npm", &["config", "get", "registry"])
        .map(|s| vec![s.trim().to_string()])
        .unwrap_or_default()
}

fn pip() -> Vec<String> {
    let mut v: Vec<String> = ["PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .flat_map(|s| s.split_whitespace().map(String::from).collect::<Vec<_>>())
        .collect();
    let configured = ask("python3", &["-m", "pip", "config", "list"]);
    if let Some(text) = &configured {
        for line in text.lines() {
            if let Some((k, val)) = line.split_once('=') {
                if k.ends_with("index-url") {
                    v.extend(
                        val.split_whitespace()
                            .map(|s| s.trim_matches('\'').to_string()),
                    );
                }
            }
        }
    }
    if v.is_empty() && configured.is_some() {
        // pip's built-in index and the host its index pages link files to.
        v.push("https://pypi.org/simple".into());
        v.push("https://files.pythonhosted.org".into());
    }
    v
}

fn cargo() -> Vec<String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| crate::model::validate::host_home().map(|h| h.join(".cargo")));
    let Some(home) = home else { return Vec::new() };
    if !home.exists() {
        return Vec::new();
    }
    let mut v = Vec::new();
    for name in ["config.toml", "config"] {
        if let Ok(text) = std::fs::read_to_string(home.join(name)) {
            for line in text.lines() {
                if let Some((k, val)) = line.split_once('=') {
                    if matches!(k.trim(), "registry" | "index") {
                        v.push(val.trim().trim_start_matches("sparse+").to_string());
                    }
                }
            }
        }
    }
    if v.is_empty() {
        v.push("https://index.crates.io".into());
        v.push("https://static.crates.io".into());
    }
    v
}

fn apt(dir: &Path) -> Vec<String> {
    let mut files = vec![dir.join("sources.list")];
    if let Ok(rd) = std::fs::read_dir(dir.join("sources.list.d")) {
        files.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    let mut v = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("URIs:") {
                v.extend(rest.split_whitespace().map(String::from));
            } else if line.starts_with("deb ") || line.starts_with("deb-src ") {
                v.extend(
                    line.split_whitespace()
                        .find(|w| w.contains("://"))
                        .map(String::from),
                );
            }
        }
    }
    v
}

fn go() -> Vec<String> {
    let proxy = std::env::var("GOPROXY")
        .ok()
        .or_else(|| ask("go", &["env", "GOPROXY"]));
    match proxy {
        Some(p) => p
            .trim()
            .split([',', '|'])
            .filter(|s| s.contains("://"))
            .map(String::from)
            .collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_from_urls() {
        assert_eq!(
            url_host("https://registry.npmjs.org/").as_deref(),
            Some("registry.npmjs.org")
        );
        assert_eq!(
            url_host("http://deb.debian.org:80/debian").as_deref(),
            Some("deb.debian.org")
        );
        assert_eq!(
            url_host("https://u:p@mirror.example:8443/x").as_deref(),
            Some("mirror.example:8443")
        );
        assert_eq!(url_host("file:///srv/repo"), None);
    }

    #[test]
    fn apt_sources_in_both_formats() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("sources.list"),
            "deb http://deb.debian.org/debian bookworm main\n# deb http://x/\n",
        )
        .unwrap();
        std::fs::create_dir(d.path().join("sources.list.d")).unwrap();
        std::fs::write(
            d.path().join("sources.list.d/x.sources"),
            "Types: deb\nURIs: http://security.debian.org/debian-security\n",
        )
        .unwrap();
        let mut v = apt(d.path());
        v.sort();
        assert_eq!(
            v,
            [
                "http://deb.debian.org/debian",
                "http://security.debian.org/debian-security"
            ]
        );
    }
}
