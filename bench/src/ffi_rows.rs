//! B15 (issue 24): a warm exec of `true` from Kotlin through the FFI bindings (sandbox-ffi,
//! uniffi) vs the Rust core on the same sandbox, in the same run. The Kotlin side is a
//! long-lived JVM driver (`bench/peers/ffi_kotlin_driver.kt`, built by
//! `bench/setup-ffi-kotlin.sh`) that times the call inside the JVM.

use std::time::Instant;

use crate::driver::Driver;
use crate::stats::pair_row;
use crate::{ms, Ctx, Row};

type Res<T> = Result<T, String>;

/// Builds the driver (and the FFI library in the bench's own profile) and starts it.
async fn kotlin_driver() -> Res<Driver> {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let setup = concat!(env!("CARGO_MANIFEST_DIR"), "/setup-ffi-kotlin.sh");
    let out = tokio::process::Command::new(setup)
        .arg(profile)
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .map_err(|e| format!("{setup}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{setup} failed (the Kotlin toolchain?)"));
    }
    let line = String::from_utf8_lossy(&out.stdout);
    let (classpath, libdir) = line
        .trim()
        .split_once('\t')
        .ok_or_else(|| format!("{setup} printed `{line}`"))?;
    Driver::start(
        "docksandbox Kotlin (FFI)",
        "java",
        &[
            "-cp",
            classpath,
            &format!("-Djna.library.path={libdir}"),
            "Ffi_kotlin_driverKt",
        ],
    )
    .await
    .ok_or_else(|| "the Kotlin driver did not start".to_string())
}

/// B15: warm exec of `true`, Kotlin through the FFI (the blocking call, and the `suspend` one
/// as B15s) vs the Rust core.
pub async fn b15_ffi_exec(ctx: &mut Ctx) -> Res<Vec<Row>> {
    let mut kotlin = kotlin_driver().await?;
    let ws = ctx.workspace();
    let sb = ctx.builder(&ws).run().await.map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for (id, op, how) in [
        ("B15", "exec_true_blocking", "execBlocking"),
        ("B15s", "exec_true", "suspend exec"),
    ] {
        let request = format!("{op} {}", sb.name());
        // The driver's first call opens its handle and channel; the JVM then gets the calls
        // its JIT needs before it compiles the binding's code (a long-lived JVM's state):
        // none of them timed.
        for _ in 0..if ctx.quick { 20 } else { 500 } {
            kotlin.call(&request).await?;
        }
        let samples = ctx
            .pair_rounds(async |k| {
                if k == 0 {
                    return kotlin.call(&request).await;
                }
                let t = Instant::now();
                let out = sb.exec(["true"]).await.map_err(|e| e.to_string())?;
                if !out.success() {
                    return Err(format!("exit {}", out.exit_code));
                }
                Ok(ms(t))
            })
            .await?;
        rows.push(pair_row(
            id,
            "warm exec `true` from Kotlin through the FFI (target ≤ 1.2×)",
            [&format!("docksandbox Kotlin (FFI, {how})"), "docksandbox Rust (core, peer)"],
            samples,
            vec!["one handle per side on the same sandbox, both through the exec channel; the JVM times its own call".into()],
        ));
    }
    sb.remove_with(true).await.map_err(|e| e.to_string())?;
    Ok(rows)
}
