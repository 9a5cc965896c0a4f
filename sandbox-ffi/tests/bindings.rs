//! The generated Kotlin, Ruby and Python bindings, each driven by a script against the real
//! engine, and the Swift bindings' C header and module map compiled. The bindings come from
//! the cdylib this `cargo test` built (debug profile), through this crate's own
//! `uniffi-bindgen` (uniffi's `build_foreign_language_testcases!` would rebuild the whole crate
//! in release first). Toolchains: `kotlinc` with JNA and kotlinx-coroutines on `CLASSPATH`,
//! `ruby` with the `ffi` gem, `python3`, `clang` (`sandbox-ffi/toolchains.sh`, `env.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The library this test run built: `cargo test` leaves the cdylib in `deps/` beside the
/// bindgen binary (`cargo build` copies it up).
fn library() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_uniffi-bindgen")).with_file_name("");
    let lib = dir.join("deps").join("libdocksandbox_ffi.so");
    let lib = if lib.exists() {
        lib
    } else {
        dir.join("libdocksandbox_ffi.so")
    };
    assert!(lib.exists(), "{} is missing", lib.display());
    lib
}

fn run(cmd: &mut Command) {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e} (sandbox-ffi/toolchains.sh installs the toolchains, sandbox-ffi/env.sh puts them on PATH)"));
    assert!(
        o.status.success(),
        "{cmd:?} failed\n--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    print!("{}", String::from_utf8_lossy(&o.stdout));
}

/// `language`'s bindings generated into a fresh directory, with the library copied beside
/// them (where the Ruby and Python modules load it from).
fn generate(language: &str) -> tempfile::TempDir {
    let out = tempfile::Builder::new()
        .prefix(&format!("docksandbox-ffi-{language}-"))
        .tempdir()
        .unwrap();
    let lib = library();
    std::fs::copy(&lib, out.path().join(lib.file_name().unwrap())).unwrap();
    run(Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .args(["generate", "--language", language, "--library"])
        .arg(&lib)
        .arg("--out-dir")
        .arg(out.path()));
    out
}

/// The Kotlin bindings compiled into a jar by `kotlin-bindings.sh` (cached by the generated
/// source, so README's Kotlin blocks and the benchmark reuse it).
fn kotlin_jar() -> &'static PathBuf {
    static JAR: OnceLock<PathBuf> = OnceLock::new();
    JAR.get_or_init(|| {
        let o = Command::new("bash")
            .arg(script("kotlin-bindings.sh"))
            .arg(library())
            .arg(env!("CARGO_BIN_EXE_uniffi-bindgen"))
            .output()
            .expect("bash runs kotlin-bindings.sh");
        assert!(
            o.status.success(),
            "kotlin-bindings.sh failed (sandbox-ffi/toolchains.sh installs kotlinc, sandbox-ffi/env.sh puts it on PATH):\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
    })
}

fn script(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn run_kotlin(path: &str) {
    let jar = kotlin_jar();
    let classpath = format!(
        "{}:{}",
        jar.display(),
        std::env::var("CLASSPATH").unwrap_or_default()
    );
    let libdir = library().with_file_name("");
    run(Command::new("kotlinc")
        .args(["-nowarn", "-classpath", &classpath, "-J-ea"])
        .arg(format!("-J-Djna.library.path={}", libdir.display()))
        .arg("-script")
        .arg(script(path)));
}

#[test]
fn kotlin_runs_execs_streams_cancels_and_gets_typed_errors() {
    run_kotlin("tests/bindings/test.kts");
}

/// README's Kotlin example, as printed there.
#[test]
fn the_readme_kotlin_example_runs() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/hello.kts");
    assert!(
        readme.contains(example),
        "README.md's Kotlin example differs from examples/hello.kts"
    );
    run_kotlin("examples/hello.kts");
}

#[test]
fn ruby_runs_execs_and_gets_typed_errors() {
    let out = generate("ruby");
    run(Command::new("ruby")
        .current_dir(out.path())
        .env("RUBYLIB", out.path())
        .arg(script("tests/bindings/test.rb")));
}

#[test]
fn python_runs_execs_and_gets_typed_errors() {
    let out = generate("python");
    run(Command::new("python3")
        .current_dir(out.path())
        .env("PYTHONPATH", out.path())
        .arg(script("tests/bindings/test.py")));
}

/// Swift cannot run here: its bindings are generated, and the C header and module map they
/// import are compiled by clang (the header alone with every warning an error, then the
/// module through the module map, as Swift's importer does).
#[test]
fn the_swift_bindings_header_and_modulemap_compile() {
    let out = generate("swift");
    for f in [
        "Docksandbox.swift",
        "DocksandboxFFI.h",
        "DocksandboxFFI.modulemap",
    ] {
        assert!(out.path().join(f).exists(), "{f} was not generated");
    }
    let header = out.path().join("DocksandboxFFI.h");
    run(Command::new("clang")
        .args([
            "-fsyntax-only",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wno-pragma-once-outside-header",
        ])
        .args(["-x", "c"])
        .arg(&header));
    let user = out.path().join("use.m");
    std::fs::write(
        &user,
        "@import DocksandboxFFI;\nint main(void) { RustCallStatus s = {0}; (void)s; return 0; }\n",
    )
    .unwrap();
    run(Command::new("clang")
        .args(["-fsyntax-only", "-fmodules", "-Werror"])
        .arg(format!(
            "-fmodules-cache-path={}",
            out.path().join("cache").display()
        ))
        .arg(format!(
            "-fmodule-map-file={}",
            out.path().join("DocksandboxFFI.modulemap").display()
        ))
        .arg(&user));
}
