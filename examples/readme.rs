use docksandbox::{Claude, Sandbox};

#[tokio::main]
async fn main() -> docksandbox::Result<()> {
    let sandbox = Sandbox::builder()
        .workspace(std::env::current_dir()?)
        .agent(Claude) // Claude, Codex, Gemini, Copilot, Shell; Agent::custom(..)
        .run()
        .await?; // create-or-reuse; returns a running sandbox handle
    let out = sandbox.exec(["git", "status"]).await?;
    println!("{}", out.stdout_str());
    Ok(())
}
