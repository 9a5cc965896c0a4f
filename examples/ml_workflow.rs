//! An ML-style workflow: a read-only dataset and a writable model directory.
//!
//! The example creates its own demo directories (under a temporary directory, or under the
//! directory given as the first argument), then:
//!
//! 1. starts a sandbox with the dataset at `/data` (read-only) and the models at `/models`;
//! 2. runs a "training" command in the sandbox that reads `/data` and writes `/models/model.json`;
//! 3. shows that writing into `/data` fails, from a command and through the file API;
//! 4. reads the trained model back on the host;
//! 5. removes the sandbox.
//!
//! ```text
//! cargo run -p docksandbox-examples --example ml_workflow
//! cargo run -p docksandbox-examples --example ml_workflow -- /tmp/ml-demo
//! DOCKSANDBOX_TEMPLATE=docksandbox/busybox:test cargo run -p docksandbox-examples --example ml_workflow
//! ```
use std::error::Error;
use std::path::{Path, PathBuf};

use docksandbox::{Mount, NetworkMode, Sandbox, Shell};

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// A tiny dataset: `y ≈ 2x`, with noise.
const TRAIN_CSV: &str = "x,y\n1,2.1\n2,3.9\n3,6.2\n4,7.8\n5,10.1\n6,11.9\n";

/// The "training": a least-squares line fit in POSIX sh + awk (busybox or Debian).
const TRAIN_SCRIPT: &str = r#"set -eu
echo "training on:"; ls -l /data
awk -F, 'NR > 1 { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
END {
  a = (n * sxy - sx * sy) / (n * sxx - sx * sx); b = (sy - a * sx) / n
  printf "{\"model\":\"linear\",\"slope\":%.4f,\"intercept\":%.4f,\"samples\":%d}\n", a, b, n
}' /data/train.csv > /models/model.json.tmp
mv /models/model.json.tmp /models/model.json
echo "wrote /models/model.json ($(wc -c < /models/model.json) bytes)"
"#;

struct Dirs {
    project: PathBuf,
    dataset: PathBuf,
    models: PathBuf,
}

fn make_dirs(base: &Path) -> BoxResult<Dirs> {
    let dirs = Dirs {
        project: base.join("project"),
        dataset: base.join("dataset"),
        models: base.join("models"),
    };
    for d in [&dirs.project, &dirs.dataset, &dirs.models] {
        std::fs::create_dir_all(d)?;
    }
    std::fs::write(dirs.dataset.join("train.csv"), TRAIN_CSV)?;
    std::fs::write(
        dirs.project.join("README.md"),
        "# demo project\nTrains a line on /data and saves it to /models.\n",
    )?;
    let _ = std::fs::remove_file(dirs.models.join("model.json"));
    Ok(dirs)
}

#[tokio::main]
async fn main() -> BoxResult<()> {
    // Keep the temporary directory alive until the end (it is deleted on drop).
    let (_tmp, base) = match std::env::args_os().nth(1) {
        Some(dir) => (None, docksandbox::absolutize(PathBuf::from(dir))?),
        None => {
            let t = tempfile::Builder::new().prefix("ml-workflow-").tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let dirs = make_dirs(&base)?;
    println!("demo directories under {}", base.display());

    let template =
        std::env::var("DOCKSANDBOX_TEMPLATE").unwrap_or_else(|_| "docksandbox/base:latest".into());
    let sandbox = Sandbox::builder()
        .workspace(&dirs.project)
        .agent(Shell)
        .template(&template)
        .mount(Mount::read_only(&dirs.dataset, "/data"))
        .mount(Mount::new(&dirs.models, "/models"))
        .network(NetworkMode::None) // training needs no network
        .run()
        .await?;
    println!(
        "sandbox {} ({}) on {template}",
        sandbox.name(),
        &sandbox.id()[..12]
    );

    // Whatever happens in the workflow, the sandbox is removed.
    let result = workflow(&sandbox, &dirs).await;
    let removed = sandbox.remove().await;
    result?;
    removed?;
    println!("sandbox {} removed", sandbox.name());
    Ok(())
}

async fn workflow(sandbox: &Sandbox, dirs: &Dirs) -> BoxResult<()> {
    // The engine's view of the extra mounts.
    if let Some(mounts) = sandbox.inspect().await?.mounts {
        for m in mounts
            .iter()
            .filter(|m| m.target.starts_with("/data") || m.target.starts_with("/models"))
        {
            println!(
                "  mount {} -> {} ({})",
                m.source,
                m.target,
                if m.read_only {
                    "read-only"
                } else {
                    "read-write"
                }
            );
        }
    }

    println!("\n== training ==");
    let out = sandbox.exec(["sh", "-c", TRAIN_SCRIPT]).await?;
    print!("{}{}", out.stdout_str(), out.stderr_str());
    if !out.success() {
        return Err(format!("training failed with exit code {}", out.exit_code).into());
    }

    println!("\n== the dataset is read-only ==");
    let out = sandbox
        .exec(["sh", "-c", "echo 99,0 >> /data/train.csv"])
        .await?;
    println!(
        "  append to /data/train.csv: exit {} ({})",
        out.exit_code,
        out.stderr_str().trim()
    );
    if out.success() {
        return Err("writing into the read-only dataset succeeded".into());
    }
    match sandbox.write_file("/data/poison.csv", "x,y\n0,0\n").await {
        Ok(()) => return Err("write_file into the read-only dataset succeeded".into()),
        Err(e) => println!("  write_file(/data/poison.csv): refused: {e}"),
    }
    let unchanged = std::fs::read_to_string(dirs.dataset.join("train.csv"))? == TRAIN_CSV;
    println!("  host dataset unchanged: {unchanged}");
    if !unchanged || dirs.dataset.join("poison.csv").exists() {
        return Err("the host dataset was modified".into());
    }

    println!("\n== the model, read on the host ==");
    let path = dirs.models.join("model.json");
    let text = std::fs::read_to_string(&path)?;
    let model: serde_json::Value = serde_json::from_str(&text)?;
    println!("  {}: {}", path.display(), text.trim());
    let (slope, intercept) = (
        model["slope"].as_f64().unwrap_or(f64::NAN),
        model["intercept"].as_f64().unwrap_or(f64::NAN),
    );
    println!(
        "  y = {slope:.3}·x + {intercept:.3}  → predict(10) = {:.2}",
        slope * 10.0 + intercept
    );
    Ok(())
}
