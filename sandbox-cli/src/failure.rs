//! How a command fails: the error, the one line shown for it and the exit status.
//!
//! Exit statuses follow `docker`: 125 when docksandbox itself failed (bad flags, engine
//! errors, no such sandbox), 127 when the agent's program is not in the template, and the
//! agent's or command's own status for `run` and `exec`.

use std::fmt;

/// docksandbox failed (like `docker run`'s 125).
pub const EXIT_ERROR: i32 = 125;
/// The program to run was not found (like a shell's 127).
pub const EXIT_NOT_FOUND: i32 = 127;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// The core refused or the engine failed.
    Sandbox(docksandbox::Error),
    /// Some of several targets failed; each was reported as it failed.
    Reported,
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Sandbox(docksandbox::Error::AgentNotInstalled { .. }) => EXIT_NOT_FOUND,
            _ => EXIT_ERROR,
        }
    }

    /// Prints this failure on stderr: one line, plus the details with `--debug`.
    pub fn report(&self, debug: bool) {
        match self {
            Failure::Sandbox(e) => report_error(e, debug),
            Failure::Reported => {}
        }
    }
}

/// Prints one error on stderr: `docksandbox: <message>` on one line (a failed build adds
/// its failing step's output below); `--debug` adds its category and structure.
pub fn report_error(e: &docksandbox::Error, debug: bool) {
    if let docksandbox::Error::TemplateBuildFailed {
        image,
        step,
        reason,
        output,
    } = e
    {
        // The failing step's output is the point of the message: shown as it was printed.
        eprintln!(
            "docksandbox: building template {image} failed at {}: {}; its output:",
            one_line(step),
            one_line(reason)
        );
        for line in output.lines() {
            eprintln!("  | {line}");
        }
    } else {
        eprintln!(
            "docksandbox: {}",
            one_line(&e.message_with(&crate::words::word))
        );
    }
    if debug {
        eprintln!("docksandbox: debug: [{}] {e:?}", e.kind().code());
    }
}

/// `text` on one line: line breaks become spaces.
pub fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Sandbox(e) => write!(f, "{e}"),
            Failure::Reported => f.write_str("some targets failed"),
        }
    }
}

impl From<docksandbox::Error> for Failure {
    fn from(e: docksandbox::Error) -> Self {
        Failure::Sandbox(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Sandbox(docksandbox::Error::Io(e))
    }
}

/// The result of a command: its exit status.
pub type Outcome = Result<i32, Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_fit_on_one_line() {
        assert_eq!(one_line("a\nb\r\n c\n"), "a b c");
        let e = docksandbox::Error::NotFound {
            reference: "x".into(),
        };
        assert_eq!(Failure::from(e).exit_code(), EXIT_ERROR);
        let e = docksandbox::Error::AgentNotInstalled {
            agent: "claude".into(),
            command: "claude".into(),
            image: "i".into(),
            fix: "f".into(),
        };
        assert_eq!(Failure::from(e).exit_code(), EXIT_NOT_FOUND);
    }
}
