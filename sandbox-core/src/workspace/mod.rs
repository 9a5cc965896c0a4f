//! What the agent may change in the workspace, seen from the host: review mode's layer of
//! kept writes (the overlay volume, the changes in it, applying and discarding them) and the
//! guard's scan for files through which the host would run programs; a branch sandbox's
//! worktree and what it may write of its repository (`worktree`, through the host's `git`).
//!
//! Everything here works on host paths and the engine's volumes; the sandbox handle's
//! `diff`/`apply`/`discard`/`guard_check` methods (in `crate::sandbox`) call into it.

pub(crate) mod apply;
pub(crate) mod baseline;
pub(crate) mod branch_review;
pub(crate) mod changes;
pub(crate) mod exec_vectors;
pub(crate) mod git;
pub(crate) mod guard_check;
pub(crate) mod patch;
pub(crate) mod review_layer;
pub(crate) mod state_dir;
pub(crate) mod worktree;
