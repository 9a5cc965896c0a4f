//! `docksandbox`: run AI coding agents in isolated Docker containers, with the project mounted
//! at the same absolute path. A thin wrapper: clap parses, the `docksandbox` library decides.

mod cli;
mod commands;
mod failure;
mod input;
mod logging;
mod mcp;
mod progress;
mod session;
mod table;
mod tty;
mod words;

use std::io::Write;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::failure::EXIT_ERROR;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => exit(usage_error(&e)),
    };
    let debug = cli.debug;
    let quiet = matches!(&cli.command, Command::Run(r) if r.quiet);
    logging::init(debug, quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("docksandbox: cannot start the async runtime: {e}");
            exit(EXIT_ERROR);
        }
    };
    let code = match runtime.block_on(commands::dispatch(cli)) {
        Ok(code) => code,
        Err(f) => {
            f.report(debug);
            f.exit_code()
        }
    };
    // Not dropping the runtime: a thread blocked reading stdin cannot be cancelled.
    exit(code)
}

/// Ends the process with `code` once stdout and stderr are flushed.
fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// Prints a clap result that is not a command line to run: help and completions on stdout
/// (status 0), a usage error as one line naming the help to read (status 125, like docker).
fn usage_error(e: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            EXIT_ERROR
        }
        _ => {
            let text = e.to_string();
            // The first paragraph is the message (a list of missing arguments included).
            let message = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.trim_start_matches("error: ");
            let command = text
                .lines()
                .find_map(|l| l.strip_prefix("Usage: "))
                .map(|u| {
                    u.split_whitespace()
                        .take_while(|w| !w.starts_with(['[', '<', '-']))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "docksandbox".into());
            eprintln!("docksandbox: {message}. See '{command} --help'.");
            EXIT_ERROR
        }
    }
}
