//! Where docksandbox keeps its host-side state (review layers, guard records):
//! [`STATE_DIR_ENV`], else `$XDG_STATE_HOME/docksandbox`, else `~/.local/state/docksandbox`.

use std::path::PathBuf;

/// The environment variable that moves docksandbox's host-side state (review layers, guard
/// baselines) from `$XDG_STATE_HOME/docksandbox` (`~/.local/state/docksandbox`).
pub const STATE_DIR_ENV: &str = "DOCKSANDBOX_STATE_DIR";

/// Where docksandbox keeps host-side state: [`STATE_DIR_ENV`], else
/// `$XDG_STATE_HOME/docksandbox`, else `~/.local/state/docksandbox`.
pub(crate) fn state_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    nonempty(STATE_DIR_ENV)
        .or_else(|| nonempty("XDG_STATE_HOME").map(|d| d.join("docksandbox")))
        .or_else(|| crate::model::validate::host_home().map(|h| h.join(".local/state/docksandbox")))
}
