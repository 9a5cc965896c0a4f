//! Long steps the core reports (image pulls): a progress bar on a terminal, plain
//! `docksandbox: …` lines otherwise, nothing with `--quiet`.

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
            Progress::Done { message } => {
                if let Some(b) = bar.take() {
                    b.finish_with_message(message.clone());
                }
            }
            _ => {}
        }
    })
}
