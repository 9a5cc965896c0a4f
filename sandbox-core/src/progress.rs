//! Progress of long steps (image pulls, template builds), reported to an observer the
//! caller installs on the [`crate::Client`]: the CLI draws a bar, bindings forward it.

use std::sync::Arc;

/// One progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A long step starts (`pulling docksandbox/claude:latest`).
    Step {
        /// What is happening.
        message: String,
    },
    /// A pull reports on one layer.
    Pull {
        /// The image being pulled.
        image: String,
        /// Layer id, when the report is about one.
        layer: Option<String>,
        /// The engine's words (`Downloading`, `Pull complete`, …).
        status: String,
        /// Bytes done, when known.
        current: Option<u64>,
        /// Bytes in all, when known.
        total: Option<u64>,
    },
    /// A template build printed a line.
    Build {
        /// The image being built.
        image: String,
        /// `(n, of)` once the build has announced its steps (`Step 3/16`).
        step: Option<(u32, u32)>,
        /// The line, without its newline.
        line: String,
    },
    /// The long step ended.
    Done {
        /// What finished.
        message: String,
    },
}

/// An observer of [`Progress`].
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;
