//! Builds the programs the core places beside or inside sandboxes as static binaries and hands
//! their paths to the modules that embed them:
//! - `docksandbox-execd` (crate `sandbox-execd`), the in-sandbox process server, embedded by
//!   `src/channel/helper_binary.rs`;
//! - `docksandbox-proxy` (crate `sandbox-proxy`), the egress proxy, embedded by
//!   `src/egress/image.rs`.
//!
//! Each is built by a nested cargo in its own target directory: for the musl target when
//! installed (`rustup target add x86_64-unknown-linux-musl`), else for the host's gnu target
//! with `crt-static`. When neither works the program is left out (an empty file): sandboxes then
//! use the engine's exec (execd), or `proxy` networking fails with an error naming the fix.
//!
//! Each program's source directory comes from its crate's build script (`links`, as
//! `DEP_DOCKSANDBOX_EXECD_ROOT` / `DEP_DOCKSANDBOX_PROXY_ROOT`), so a build of the published
//! crate finds them in the registry as a build of this workspace finds them beside it.
//!
//! Beside each program, `<program>.sha256`: the lowercase hex SHA-256 of what is embedded (an
//! empty program's too), so that names derived from it cost nothing at run time.
//!
//! `DOCKSANDBOX_EXECD=/path/to/docksandbox-execd` and `DOCKSANDBOX_PROXY=/path/to/docksandbox-proxy`
//! embed prebuilt programs instead.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (crate directory, binary name, environment variable with a prebuilt binary, what happens without it)
const PROGRAMS: [(&str, &str, &str, &str); 2] = [
    (
        "sandbox-execd",
        "docksandbox-execd",
        "DOCKSANDBOX_EXECD",
        "sandboxes will use the engine's exec",
    ),
    (
        "sandbox-proxy",
        "docksandbox-proxy",
        "DOCKSANDBOX_PROXY",
        "`proxy` networking will be unavailable",
    ),
];

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"));
    for (dir, bin, var, without) in PROGRAMS {
        // The crate's source: from its build script (`links`), which works for the registry's
        // copy as for this workspace; else beside this crate.
        let links = format!("DEP_{}_ROOT", bin.replace('-', "_").to_uppercase());
        let crate_dir = env::var_os(&links)
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("..").join(dir));
        embed(&out, &crate_dir, bin, var, without);
    }
}

fn embed(out: &Path, crate_dir: &Path, bin: &str, var: &str, without: &str) {
    println!("cargo:rerun-if-env-changed={var}");
    let dest = out.join(bin);
    for p in ["src", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", crate_dir.join(p).display());
    }
    if let Some(prebuilt) = env::var_os(var) {
        std::fs::copy(&prebuilt, &dest).unwrap_or_else(|e| panic!("copy {var}: {e}"));
        write_digest(&dest);
        return;
    }
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let built = if os == "linux" && crate_dir.join("Cargo.toml").exists() {
        let target_dir = nested_target_dir(out);
        let musl = format!("{arch}-unknown-linux-musl");
        let gnu = format!("{arch}-unknown-linux-gnu");
        build(crate_dir, bin, &target_dir, &musl, false)
            .or_else(|why| {
                println!(
                    "cargo:warning={bin}: musl build failed ({why}); trying {gnu} with crt-static"
                );
                build(crate_dir, bin, &target_dir, &gnu, true)
            })
            .map_err(|why| println!("cargo:warning={bin} not built ({why}): {without}"))
            .ok()
    } else {
        None
    };
    match built {
        Some(path) => {
            std::fs::copy(&path, &dest).unwrap_or_else(|e| panic!("copy {bin}: {e}"));
        }
        None => std::fs::write(&dest, b"").expect("write an empty placeholder"),
    }
    write_digest(&dest);
}

/// Writes `<program>.sha256` beside the embedded `program`.
fn write_digest(program: &Path) {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(program).expect("read the embedded program");
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut name = program.as_os_str().to_owned();
    name.push(".sha256");
    std::fs::write(name, hex).expect("write the program's digest");
}

/// `<outer target dir>/docksandbox-helpers`: shared by every profile, apart from the outer build's
/// own directories (a nested cargo must not wait on the lock the outer one holds).
fn nested_target_dir(out: &Path) -> PathBuf {
    // OUT_DIR is <target>/[<triple>/]<profile>/build/<pkg>-<hash>/out
    out.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .and_then(|b| b.parent())
        .and_then(|profile| profile.parent())
        .map(|t| t.join("docksandbox-helpers"))
        .unwrap_or_else(|| out.join("helpers-target"))
}

fn build(
    helper_dir: &Path,
    bin: &str,
    target_dir: &Path,
    triple: &str,
    crt_static: bool,
) -> Result<PathBuf, String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(helper_dir)
        .args(["build", "--release", "--bin", bin, "--target", triple])
        .arg("--manifest-path")
        .arg(helper_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .env("CARGO_PROFILE_RELEASE_STRIP", "symbols")
        .env("CARGO_PROFILE_RELEASE_LTO", "thin")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "4")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort");
    // The outer build's flags (coverage, sanitizers, linker choices) are not for this binary.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    for (k, _) in env::vars_os() {
        if let Some(k) = k.to_str() {
            if k.starts_with("CARGO_TARGET_") && k.ends_with("_RUSTFLAGS")
                || k.starts_with("CARGO_FEATURE_")
                || k.starts_with("CARGO_CFG_")
            {
                cmd.env_remove(k);
            }
        }
    }
    if crt_static {
        cmd.env("RUSTFLAGS", "-C target-feature=+crt-static");
    }
    // C code in the helpers' dependencies (ring, for the proxy's TLS) needs a C compiler for
    // musl: Debian's musl-tools installs it as `musl-gcc`, not under the triple's name.
    let cc_var = format!("CC_{}", triple.replace('-', "_"));
    if triple.ends_with("-musl") && env::var_os(&cc_var).is_none() && on_path("musl-gcc") {
        cmd.env(&cc_var, "musl-gcc");
    }
    let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last: Vec<&str> = err.lines().rev().take(3).collect();
        return Err(format!(
            "{} for {triple}: {}",
            out.status,
            last.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ));
    }
    let path = target_dir.join(triple).join("release").join(bin);
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} is missing after the build", path.display()))
    }
}

/// Whether `program` is an executable file in a `PATH` directory.
fn on_path(program: &str) -> bool {
    env::var_os("PATH").is_some_and(|path| {
        env::split_paths(&path).any(|d| {
            let p = d.join(program);
            p.metadata().is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            })
        })
    })
}
