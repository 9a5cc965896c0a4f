//! Long steps the core reports (image pulls, template builds): a progress bar on a terminal,
//! plain `docksandbox: …` lines otherwise (a build's step lines, not its every output line:
//! a failing build's error carries the failing step's output), nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use docksandbox::{Progress, ProgressFn};
use indicatif::{ProgressBar, ProgressStyle};

/// The observer the CLI installs on its client.
pub fn observer(quiet: bool) -> ProgressFn {
    if quiet {
        return Arc::new(|_: &Progress| {});
    }
    if !std::io::stderr().is_terminal() {
        return Arc::new(|p: &Progress| match p {
            Progress::Step { message } | Progress::Done { message } => {
                eprintln!("docksandbox: {message}")
            }
            Progress::Build { image, line, .. } if line.starts_with("Step ") => {
                eprintln!("docksandbox: {image}: {line}")
            }
            _ => {}
        });
    }
    let bar: Arc<Mutex<Option<ProgressBar>>> = Arc::default();
    Arc::new(move |p: &Progress| {
        let mut bar = bar.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            Progress::Step { message } => {
                let b = ProgressBar::new_spinner();
                b.set_style(
                    ProgressStyle::with_template("{spinner} {msg} {bytes}/{total_bytes}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                b.set_message(message.clone());
                b.set_prefix(message.clone());
                b.enable_steady_tick(std::time::Duration::from_millis(120));
                *bar = Some(b);
            }
            Progress::Pull {
                status,
                current,
                total,
                ..
            } => {
                if let Some(b) = bar.as_ref() {
                    if let (Some(c), Some(t)) = (current, total) {
                        b.set_length(*t);
                        b.set_position(*c);
                    }
                    b.set_prefix(status.clone());
                }
            }
            Progress::Build { step, line, .. } => {
                if let Some(b) = bar.as_ref() {
                    if let Some((n, of)) = step {
                        if b.length() != Some(u64::from(*of)) {
                            b.set_style(
                                ProgressStyle::with_template(
                                    "{spinner} {prefix} [{pos}/{len}] {wide_msg}",
                                )
                                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                            );
                            b.set_length(u64::from(*of));
                        }
                        b.set_position(u64::from(*n));
                    }
                    let short: String = line.chars().take(100).collect();
                    if !short.trim().is_empty() {
                        b.set_message(short);
                    }
                }
            }
            Progress::Done { message } => {
                if let Some(b) = bar.take() {
                    b.finish_with_message(message.clone());
                }
            }
            _ => {}
        }
    })
}
