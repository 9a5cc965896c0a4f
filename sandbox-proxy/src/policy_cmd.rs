//! `docksandbox-proxy policy set|show`: writing the policy file atomically, and reading it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use docksandbox_proxy::policy::Policy;

/// Reads a policy (JSON) from stdin, validates it, and replaces `path` atomically with its
/// canonical form. Exit codes: 0 written, 2 invalid input (file untouched), 1 write failure.
pub fn set(path: &Path) -> i32 {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("docksandbox-proxy: cannot read the policy from stdin: {e}");
        return 2;
    }
    let policy: Policy = match serde_json::from_slice(&input) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "docksandbox-proxy: invalid policy: {e}; {} is unchanged",
                path.display()
            );
            return 2;
        }
    };
    if let Err(e) = policy.validate() {
        eprintln!(
            "docksandbox-proxy: invalid policy: {e}; {} is unchanged",
            path.display()
        );
        return 2;
    }
    let mut text = serde_json::to_vec_pretty(&policy).expect("a policy always serialises");
    text.push(b'\n');
    match write_atomically(path, &text) {
        Ok(()) => apply_now(path),
        Err(e) => {
            eprintln!("docksandbox-proxy: cannot write {}: {e}", path.display());
            1
        }
    }
}

/// Asks a running server to apply the file at once and waits for its answer (0: in force).
/// With no server running the file is read when one starts (0 too).
fn apply_now(path: &Path) -> i32 {
    let socket = docksandbox_proxy::control_socket(path);
    let asked = (|| {
        let mut s = std::os::unix::net::UnixStream::connect(&socket)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
        s.write_all(b"reload\n")?;
        let mut answer = String::new();
        s.read_to_string(&mut answer)?;
        Ok::<_, std::io::Error>(answer)
    })();
    match asked {
        Ok(a) if a.starts_with("applied") => {
            eprintln!(
                "docksandbox-proxy: policy written to {} and {}",
                path.display(),
                a.trim()
            );
            0
        }
        Ok(a) => {
            eprintln!(
                "docksandbox-proxy: policy written to {}, but the server says: {}",
                path.display(),
                a.trim()
            );
            1
        }
        Err(e) => {
            eprintln!(
                "docksandbox-proxy: policy written to {} (no running server answered at {}: {e}; it is read at start)",
                path.display(),
                socket.display()
            );
            0
        }
    }
}

/// Writes `PATH.tmp`, syncs it, renames it over `path`, and syncs the directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Prints the policy file (or, when it is missing, the default policy, saying so on stderr).
/// Exit codes: 0 printed, 1 unreadable or invalid (an invalid file is still printed).
pub fn show(path: &Path) -> i32 {
    match std::fs::read(path) {
        Ok(bytes) => {
            let _ = std::io::stdout().write_all(&bytes);
            match crate::server::parse_policy(&bytes) {
                Ok(_) => 0,
                Err(e) => {
                    eprintln!(
                        "docksandbox-proxy: {} is invalid ({e}); the proxy ignores it",
                        path.display()
                    );
                    1
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "docksandbox-proxy: {} does not exist, so a running proxy refuses everything; this is the default policy an empty {{}} file gives:",
                path.display()
            );
            println!(
                "{}",
                serde_json::to_string_pretty(&Policy::default()).expect("serialises")
            );
            0
        }
        Err(e) => {
            eprintln!("docksandbox-proxy: cannot read {}: {e}", path.display());
            1
        }
    }
}
