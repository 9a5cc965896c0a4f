//! `docksandbox completion SHELL`.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionArgs};
use crate::failure::Outcome;

pub fn completion(a: CompletionArgs) -> Outcome {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "docksandbox", &mut std::io::stdout());
    Ok(0)
}
