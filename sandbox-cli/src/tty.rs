//! The host terminal: raw mode for interactive sessions, restored on every exit path, and
//! its size.

use std::io::IsTerminal;

use docksandbox::TtySize;

/// The size used when the terminal's cannot be read.
pub const FALLBACK_SIZE: TtySize = TtySize { rows: 24, cols: 80 };

/// Whether stdin is a terminal (an interactive session is possible).
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// The host terminal's size, when there is one.
pub fn size() -> Option<TtySize> {
    match crossterm::terminal::size() {
        Ok((cols, rows)) if cols > 0 && rows > 0 => Some(TtySize { rows, cols }),
        _ => None,
    }
}

/// The terminal in raw mode (no echo, no line editing, Ctrl-C is a byte for the agent) for
/// as long as this value lives; dropping it restores the saved settings, also when the
/// session fails or panics.
#[derive(Debug)]
pub struct RawMode(());

impl RawMode {
    /// Switches the terminal to raw mode.
    pub fn enable() -> std::io::Result<RawMode> {
        install_panic_hook();
        crossterm::terminal::enable_raw_mode()?;
        Ok(RawMode(()))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Err(e) = crossterm::terminal::disable_raw_mode() {
            eprintln!("docksandbox: could not restore the terminal ({e}); run `stty sane`");
        }
    }
}

/// Restores the terminal before a panic message is printed (the guard's drop comes later).
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = crossterm::terminal::disable_raw_mode();
            previous(info);
        }));
    });
}
