//! A custom agent: a small script agent built with [`Agent::custom`], run non-interactively.
//!
//! The agent is data: a program (`bash`, falling back to `sh`), default arguments (here the
//! agent's script) and the name of the API key it reads. `run_agent` forwards that key from
//! this process's environment into the agent's process only: it is not in the container's
//! environment and not in what `inspect` reports.
//!
//! ```text
//! cargo run -p docksandbox-examples --example custom_agent
//! DOCKSANDBOX_TEMPLATE=docksandbox/busybox:test cargo run -p docksandbox-examples --example custom_agent
//! ```
use std::error::Error;

use docksandbox::{Agent, ExecOptions, Sandbox};

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// The environment variable the agent reads its API key from.
const KEY_ENV: &str = "SCRIPT_AGENT_API_KEY";
/// A dummy key set in this process's environment for the demonstration.
const DUMMY_KEY: &str = "sk-demo-0000-not-a-real-key-4242";

/// The agent itself: reports its task, where it runs, and whether it got its key
/// (its length and last four characters, never the whole value).
const AGENT_SCRIPT: &str = r#"echo "script-agent: task: $*"
echo "script-agent: running as uid $(id -u) in $(pwd), seeing: $(ls | tr '\n' ' ')"
k="${SCRIPT_AGENT_API_KEY:-}"
if [ -z "$k" ]; then echo "script-agent: no API key" >&2; exit 3; fi
echo "script-agent: API key present: ${#k} chars, ends in ...${k#"${k%????}"}"
"#;

fn script_agent() -> Agent {
    Agent::custom("script-agent", "bash")
        .with_fallback_commands(["sh"])
        // `bash -c SCRIPT script-agent ARGS…`: the user's args become "$@" of the script.
        .with_default_args(["-c", AGENT_SCRIPT, "script-agent"])
        .with_api_key_env([KEY_ENV])
}

fn main() -> BoxResult<()> {
    // Set the dummy key before any other thread exists (the runtime is built after).
    std::env::set_var(KEY_ENV, DUMMY_KEY);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(demo())
}

async fn demo() -> BoxResult<()> {
    let workspace = tempfile::Builder::new().prefix("custom-agent-").tempdir()?;
    std::fs::write(workspace.path().join("README.md"), "# a project\n")?;

    let mut builder = Sandbox::builder()
        .workspace(workspace.path())
        .agent(script_agent());
    if let Ok(t) = std::env::var("DOCKSANDBOX_TEMPLATE") {
        builder = builder.template(t);
    }
    let sandbox = builder.run().await?;
    println!(
        "sandbox {} ({}) for agent `{}`",
        sandbox.name(),
        &sandbox.id()[..12],
        sandbox.agent().name
    );

    let result = run(&sandbox).await;
    let removed = sandbox.remove().await;
    result?;
    removed?;
    println!("sandbox {} removed", sandbox.name());
    Ok(())
}

async fn run(sandbox: &Sandbox) -> BoxResult<()> {
    let args = vec!["summarize".to_string(), "the README".to_string()];
    let cmd = sandbox.agent_command(&args).await?;
    println!(
        "agent command: {} <script> {}",
        cmd[..2].join(" "),
        cmd[3..].join(" ")
    );

    println!("\n== run_agent ==");
    let out = sandbox.run_agent(&args, ExecOptions::default()).await?;
    print!("{}", out.stdout_str());
    eprint!("{}", out.stderr_str());
    println!("(exit {})", out.exit_code);
    let tail = &DUMMY_KEY[DUMMY_KEY.len() - 4..];
    let reached = out.success()
        && out
            .stdout_str()
            .contains(&format!("{} chars, ends in ...{tail}", DUMMY_KEY.len()));
    println!("\nAPI key reached the agent's process: {reached}");

    // A plain exec is not the agent: the key is not in the container's environment.
    let plain = sandbox
        .exec(["sh", "-c", &format!("echo ${{{KEY_ENV}:-unset}}")])
        .await?;
    let plain_value = plain.stdout_str().trim().to_string();
    println!("{KEY_ENV} in a plain exec: {plain_value}");

    // Nor is it in what inspect reports (the key's name is, as part of the agent profile).
    let info = sandbox.inspect().await?;
    let json = serde_json::to_string_pretty(&info)?;
    let in_inspect = json.contains(DUMMY_KEY);
    println!(
        "API key value in sandbox.inspect() JSON ({} bytes): {in_inspect}; key name listed: {}",
        json.len(),
        json.contains(KEY_ENV)
    );

    if !reached || plain_value != "unset" || in_inspect {
        return Err("the API key was not handled as expected".into());
    }
    Ok(())
}
