//! A branch sandbox's worktree on the host: made (or found again) before the sandbox, locked
//! so that no `git worktree prune` drops it, owned by the repository's owner, removed with
//! the sandbox; and what of the repository's common `.git` the sandbox may write.
//!
//! Inside, the sandbox sees its worktree and the common `.git` at their host paths, so git
//! works natively (commits, branches, rebases on its branch). Read-only over that: the
//! files through which git runs programs (the git guard), the user's own `HEAD` and index,
//! the other worktrees' records (so a `git worktree prune` inside cannot drop them), the
//! worktree's own links to the repository (`.git`, `commondir`, `gitdir`, `locked`: the host's
//! git follows them when docksandbox runs it there), the loose refs of every other branch (the
//! user's current branch made loose first) and the packs (history cannot be deleted).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::branch::{lock_reason, worktree_dir, worktrees_dir, Branch, LOCK_PREFIX};
use crate::model::git_guard;
use crate::model::spec::SandboxSpec;
use crate::workspace::git::{git, git_ok};

/// At most this many loose refs and packs are mounted read-only one by one.
const MAX_PROTECTED: usize = 64;

/// What [`prepare`] made, to undo when the sandbox cannot be made.
#[derive(Debug)]
pub(crate) struct Made {
    repository: PathBuf,
    worktree: PathBuf,
    /// The branch, when it was made with the worktree.
    branch: Option<String>,
    branch_name: String,
}

/// The checkout of a worktree [`prepare`] made (with `--no-checkout`), run on a blocking
/// thread while the engine starts the container: a 10,000-file checkout costs about what the
/// engine's start does, so a branch sandbox is ready in the longer of the two rather than
/// their sum. Begun once the container exists (the engine's create, which writes and syncs
/// its own files, is slowed by a checkout writing beside it). Whatever reads the workspace's
/// files waits for it first.
#[derive(Debug, Default)]
pub(crate) struct Checkout {
    /// What to check out, until begun.
    pending: Option<(PathBuf, PathBuf, String)>,
    running: Option<tokio::task::JoinHandle<Result<()>>>,
}

impl Checkout {
    /// The checkout of the worktree in `made`, not begun; nothing to do without one.
    pub(crate) fn of(made: Option<&Made>) -> Self {
        Checkout {
            pending: made.map(|m| {
                (
                    m.repository.clone(),
                    m.worktree.clone(),
                    m.branch_name.clone(),
                )
            }),
            running: None,
        }
    }

    /// Begins the checkout on a blocking thread (once).
    pub(crate) fn begin(&mut self) {
        if let Some((repo, wt, branch)) = self.pending.take() {
            self.running = Some(tokio::task::spawn_blocking(move || {
                let t = std::time::Instant::now();
                git(
                    &wt,
                    &["reset", "--hard", "--quiet", "--no-recurse-submodules"],
                )?;
                own_like_repository(&repo, &wt, &branch)?;
                tracing::debug!(took = ?t.elapsed(), worktree = %wt.display(), "checked out");
                Ok(())
            }));
        }
    }

    /// Waits until the files are there (beginning the checkout when it was not): the
    /// checkout's error the first time, then `Ok`.
    pub(crate) async fn wait(&mut self) -> Result<()> {
        self.begin();
        self.settle().await
    }

    /// Waits for a begun checkout; one not begun is dropped (the run failed before it).
    pub(crate) async fn settle(&mut self) -> Result<()> {
        self.pending = None;
        match self.running.take() {
            Some(job) => job
                .await
                .map_err(|e| Error::Client(format!("the worktree's checkout panicked: {e}")))?,
            None => Ok(()),
        }
    }
}

impl Made {
    /// Removes the worktree (and the branch, when it was made with it).
    pub(crate) fn undo(self) {
        let wt = self.worktree.to_string_lossy().into_owned();
        let _ = git(
            &self.repository,
            &["worktree", "remove", "--force", "--force", &wt],
        );
        if let Some(b) = self.branch {
            let _ = git(&self.repository, &["branch", "-D", &b]);
        }
        remove_empty_parents(&self.repository, &self.worktree);
    }
}

/// For a spec with a branch not yet placed: finds or makes the branch's worktree and returns
/// the spec whose workspace it is (with the repository and base stored), and what was made.
/// Anything else is returned as it is.
pub(crate) fn prepare(spec: SandboxSpec) -> Result<(SandboxSpec, Option<Made>)> {
    let Some(branch) = spec.branch.clone() else {
        return Ok((spec, None));
    };
    if branch.repository.is_some() {
        return Ok((spec, None));
    }
    let repo = spec.workspace.clone();
    // One git for the common case (a non-bare repository with a commit): whether it is
    // bare, HEAD's commit and its branch (`HEAD` when detached). The questions one by one,
    // with their errors, when that fails.
    let (head, current) = match git(
        &repo,
        &[
            "rev-parse",
            "--is-bare-repository",
            "HEAD",
            "--abbrev-ref",
            "HEAD",
        ],
    ) {
        Ok(out) => match out.lines().collect::<Vec<_>>()[..] {
            ["false", sha, name] => (sha.to_string(), (name != "HEAD").then(|| name.to_string())),
            _ => asked_one_by_one(&repo)?,
        },
        Err(_) => asked_one_by_one(&repo)?,
    };
    let wt = worktree_dir(&repo, &branch.name);
    let mut made = None;
    let base = if std::fs::symlink_metadata(&wt).is_ok() {
        if !is_ours(&repo, &wt, &branch.name)? {
            return Err(Error::invalid(
                "branch",
                format!(
                    "{} exists and is not the worktree docksandbox made for `{}`: move it away, or choose another branch name",
                    wt.display(),
                    branch.name
                ),
            ));
        }
        None
    } else {
        // A branch checked out elsewhere is refused by `git worktree add` (named by
        // `refused`).
        let exists = git_ok(
            &repo,
            &[
                "show-ref",
                "--verify",
                "--quiet",
                &format!("refs/heads/{}", branch.name),
            ],
        )?;
        let from = match &branch.from {
            Some(f) => {
                git(
                    &repo,
                    &[
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        &format!("{f}^{{commit}}"),
                    ],
                )
                .map_err(|_| {
                    Error::invalid(
                        "branch.from",
                        format!("`{f}` is no branch, tag or commit of {}", repo.display()),
                    )
                })?;
                f.clone()
            }
            None => current.unwrap_or(head),
        };
        let mut probe = spec.clone();
        probe.workspace = wt.clone();
        let name = probe.resolved().name.unwrap_or_default();
        if let Some(parent) = wt.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::invalid(
                    "branch",
                    format!(
                        "cannot make {} for the worktree: {e}; make the repository's parent directory writable",
                        parent.display()
                    ),
                )
            })?;
        }
        let wt_s = wt.to_string_lossy().into_owned();
        let reason = lock_reason(&name);
        // Without the checkout: the files are written by [`Checkout`] while the engine makes
        // the container (its bind mount shows them as they land).
        let mut args = vec![
            "worktree",
            "add",
            "--no-checkout",
            "--lock",
            "--reason",
            &reason,
        ];
        if exists {
            args.extend([wt_s.as_str(), branch.name.as_str()]);
        } else {
            args.extend(["-b", branch.name.as_str(), wt_s.as_str(), from.as_str()]);
        }
        if let Err(e) = git(&repo, &args) {
            remove_empty_parents(&repo, &wt);
            return Err(refused(&repo, &branch.name, e));
        }
        let m = Made {
            repository: repo.clone(),
            worktree: wt.clone(),
            branch: (!exists).then(|| branch.name.clone()),
            branch_name: branch.name.clone(),
        };
        if let Err(e) = own_like_repository(&repo, &wt, &branch.name) {
            m.undo();
            return Err(e);
        }
        made = Some(m);
        Some(from)
    };
    let mut spec = spec;
    let wt = match std::fs::canonicalize(&wt) {
        Ok(p) => p,
        Err(e) => {
            if let Some(m) = made {
                m.undo();
            }
            return Err(Error::invalid("branch", format!("{}: {e}", wt.display())));
        }
    };
    spec.workspace = wt;
    spec.branch = Some(Branch {
        repository: Some(repo),
        base: base.or(branch.base),
        ..branch
    });
    Ok((spec, made))
}

/// `repo`'s HEAD commit and branch, asked one question at a time so that each failure is
/// named: a bare repository, or one without a commit.
fn asked_one_by_one(repo: &Path) -> Result<(String, Option<String>)> {
    if git(repo, &["rev-parse", "--is-bare-repository"])? == "true" {
        return Err(Error::invalid(
            "branch",
            format!(
                "{} is a bare repository, which has no working tree to branch from",
                repo.display()
            ),
        ));
    }
    let head = git(repo, &["rev-parse", "--verify", "--quiet", "HEAD"]).map_err(|_| {
        Error::invalid(
            "branch",
            format!(
                "{} has no commit yet: a branch starts from one (`git commit`)",
                repo.display()
            ),
        )
    })?;
    let current = git(repo, &["symbolic-ref", "--quiet", "--short", "HEAD"]).ok();
    Ok((head, current))
}

/// The error for a worktree `git worktree add` refused: the branch checked out elsewhere,
/// named with the way out, or git's own words.
fn refused(repo: &Path, branch: &str, e: Error) -> Error {
    match checked_out_at(repo, branch) {
        Ok(Some(at)) => Error::invalid(
            "branch",
            format!(
                "`{branch}` is checked out at {}, and a branch can be checked out once: choose another branch name, or switch that checkout to another branch (`git -C {} switch -`)",
                at.display(),
                at.display()
            ),
        ),
        _ => e,
    }
}

/// Whether `wt` is the locked worktree docksandbox made for `branch` of `repo`.
fn is_ours(repo: &Path, wt: &Path, branch: &str) -> Result<bool> {
    let Some(admin) = admin_dir(wt) else {
        return Ok(false);
    };
    let locked = std::fs::read_to_string(admin.join("locked")).unwrap_or_default();
    let head = std::fs::read_to_string(admin.join("HEAD")).unwrap_or_default();
    let common = common_dir(repo)?;
    Ok(admin.starts_with(common.join("worktrees"))
        && locked.starts_with(LOCK_PREFIX)
        && head.trim() == format!("ref: refs/heads/{branch}"))
}

/// The worktree's own directory in the common `.git` (`.git/worktrees/NAME`), from its
/// `.git` file.
fn admin_dir(wt: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(wt.join(".git")).ok()?;
    let p = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
    std::fs::canonicalize(p).ok()
}

/// The repository's common git directory (its `.git`, or the main one for a linked worktree).
fn common_dir(repo: &Path) -> Result<PathBuf> {
    let c = git(
        repo,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )?;
    Ok(std::fs::canonicalize(&c).unwrap_or_else(|_| PathBuf::from(c)))
}

/// Where `branch` is checked out, when it is.
pub(crate) fn checked_out_at(repo: &Path, branch: &str) -> Result<Option<PathBuf>> {
    let list = git(repo, &["worktree", "list", "--porcelain"])?;
    let mut path = None;
    for line in list.lines() {
        if let Some(p) = line.strip_prefix("worktree ") {
            path = Some(PathBuf::from(p));
        } else if line == format!("branch refs/heads/{branch}") {
            return Ok(path);
        }
    }
    Ok(None)
}

/// When docksandbox runs as root for a repository someone else owns, what `git worktree add`
/// made becomes that owner's (the sandbox's user is the workspace's owner): the worktree, its
/// record, the branch's ref and reflog, and the directories made for them.
fn own_like_repository(repo: &Path, wt: &Path, branch: &str) -> Result<()> {
    let meta = std::fs::metadata(repo)?;
    let me = std::fs::metadata("/proc/self")?.uid();
    if me != 0 || meta.uid() == 0 {
        return Ok(());
    }
    let owner = (Some(meta.uid()), Some(meta.gid()));
    let common = common_dir(repo)?;
    let chown = |p: &Path| -> Result<()> {
        match std::os::unix::fs::lchown(p, owner.0, owner.1) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Git {
                command: format!("chown {}", p.display()),
                reason: e.to_string(),
            }),
        }
    };
    let mut tree = vec![wt.to_path_buf()];
    tree.extend(admin_dir(wt));
    for top in tree {
        let mut all = vec![top.clone()];
        collect_all(&top, &mut all);
        for p in all {
            chown(&p)?;
        }
    }
    // Each made path and the directories up to where it joins what existed.
    let chains = [
        (wt.to_path_buf(), worktrees_dir(repo)),
        (common.join("worktrees"), common.clone()),
        (
            common.join("refs/heads").join(branch),
            common.join("refs/heads"),
        ),
        (
            common.join("logs/refs/heads").join(branch),
            common.join("logs"),
        ),
    ];
    for (leaf, stop) in chains {
        let mut p = Some(leaf.as_path());
        while let Some(d) = p {
            if !d.starts_with(&stop) || d == common {
                break;
            }
            chown(d)?;
            if d == stop {
                break;
            }
            p = d.parent();
        }
    }
    Ok(())
}

/// Every entry under `dir` (symlinks not followed).
fn collect_all(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            collect_all(&p, out);
        }
        out.push(p);
    }
}

/// Removes the directories between the worktree and the worktrees directory that are empty.
fn remove_empty_parents(repo: &Path, wt: &Path) {
    let top = worktrees_dir(repo);
    let mut dir = Some(wt);
    while let Some(d) = dir {
        if !d.starts_with(&top) {
            break;
        }
        if std::fs::remove_dir(d).is_err() && d.exists() {
            break;
        }
        dir = d.parent();
    }
}

/// The mounts of a branch sandbox besides its worktree: `(host path, read-only)`, each at its
/// host path, parents before what they hold.
pub(crate) fn mounts(spec: &SandboxSpec) -> Result<Vec<(PathBuf, bool)>> {
    let Some(b) = &spec.branch else {
        return Ok(Vec::new());
    };
    let Some(repo) = &b.repository else {
        return Ok(Vec::new());
    };
    let wt = &spec.workspace;
    let common = common_dir(repo)?;
    let admin = admin_dir(wt).ok_or_else(|| {
        Error::invalid(
            "branch",
            format!(
                "{} has no `.git` file naming its record in {}: remove the sandbox and run again",
                wt.display(),
                common.display()
            ),
        )
    })?;
    let mut out = vec![(common.clone(), false)];
    let mut ro: Vec<PathBuf> = git_guard::guarded_in(&common, "branch")?;
    ro.extend(
        ["HEAD", "index", "worktrees"]
            .iter()
            .map(|f| common.join(f))
            .filter(|p| p.exists()),
    );
    let own_files = ["locked", "commondir", "gitdir"];
    ro.extend(
        own_files
            .iter()
            .map(|f| admin.join(f))
            .filter(|p| p.exists()),
    );
    ro.push(wt.join(".git"));
    // Every other branch loose (a loose ref with its packed value changes nothing for git),
    // so that its read-only file decides it: the agent can neither move nor delete it.
    let own_ref = format!("refs/heads/{}", b.name);
    let refs = git(
        repo,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
        ],
    )?;
    let owner = std::fs::metadata(repo)?;
    let mut protected = Vec::new();
    for line in refs.lines() {
        let Some((name, sha)) = line.split_once(' ') else {
            continue;
        };
        if name == own_ref || protected.len() >= MAX_PROTECTED {
            continue;
        }
        let loose = common.join(name);
        if !loose.exists() {
            if let Some(parent) = loose.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&loose, format!("{sha}\n"))?;
            let _ = std::os::unix::fs::chown(&loose, Some(owner.uid()), Some(owner.gid()));
        }
        if loose.is_file() {
            protected.push(loose);
        }
    }
    let mut packs = Vec::new();
    collect_files(&common.join("objects/pack"), &mut packs);
    packs.retain(|p| {
        let s = p.to_string_lossy();
        s.ends_with(".pack") || s.ends_with(".idx")
    });
    protected.extend(packs);
    protected.truncate(2 * MAX_PROTECTED);
    ro.extend(protected);
    ro.sort();
    ro.dedup();
    let mut rw_admin_done = false;
    for p in ro {
        if !rw_admin_done && p.starts_with(&admin) && p != common.join("worktrees") {
            out.push((admin.clone(), false));
            rw_admin_done = true;
        }
        out.push((p, true));
    }
    if !rw_admin_done {
        out.push((admin, false));
    }
    // Parents before what they hold (the engine sorts too; this keeps the list readable).
    out.sort_by_key(|(p, _)| p.components().count());
    Ok(out)
}

/// Every plain file under `dir`, recursively (symlinks left out).
fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            collect_files(&e.path(), out);
        } else if t.is_file() {
            out.push(e.path());
        }
    }
}

/// Checks that the branch sandbox's worktree may go: refused when it has uncommitted changes
/// (unless `force`), and, with `delete_branch`, when the branch holds commits its base does
/// not (unless `force`).
pub(crate) fn check_removal(spec: &SandboxSpec, delete_branch: bool, force: bool) -> Result<()> {
    let Some((b, repo)) = placed(spec) else {
        return Ok(());
    };
    if !repo.exists() {
        // The repository was deleted: [`remove`] leaves the worktree, so nothing is lost.
        return Ok(());
    }
    let wt = &spec.workspace;
    if !force && wt.exists() {
        let dirty = git(wt, &["status", "--porcelain", "--untracked-files=all"])?;
        if !dirty.is_empty() {
            return Err(Error::BranchRefused {
                branch: b.name.clone(),
                reason: format!(
                    "its worktree {} has uncommitted changes, which removing it would lose: commit them in the sandbox, or pass --force (force=True) to drop them",
                    wt.display()
                ),
                files: dirty.lines().map(|l| l[3.min(l.len())..].to_string()).collect(),
            });
        }
    }
    if delete_branch && !force {
        let into = base_of(b, repo);
        if !merged(repo, &format!("refs/heads/{}", b.name), &into)? {
            return Err(Error::BranchRefused {
                branch: b.name.clone(),
                reason: format!(
                    "it holds commits `{into}` does not (not merged): merge it first (`docksandbox merge`), keep it (leave out --delete-branch), or pass --force to delete it anyway"
                ),
                files: Vec::new(),
            });
        }
    }
    Ok(())
}

/// Whether `into` has everything of `branch`: its commits, or (after a squash merge) its
/// changes, so that merging it again would change nothing.
fn merged(repo: &Path, branch: &str, into: &str) -> Result<bool> {
    if git_ok(repo, &["merge-base", "--is-ancestor", branch, into])? {
        return Ok(true);
    }
    let merged_tree = git(repo, &["merge-tree", "--write-tree", into, branch]);
    let into_tree = git(repo, &["rev-parse", &format!("{into}^{{tree}}")])?;
    Ok(merged_tree.is_ok_and(|t| t.lines().next() == Some(into_tree.as_str())))
}

/// Removes the branch sandbox's worktree (its record too), and the branch with
/// `delete_branch`. Call [`check_removal`] first.
pub(crate) fn remove(spec: &SandboxSpec, delete_branch: bool) -> Result<()> {
    let Some((b, repo)) = placed(spec) else {
        return Ok(());
    };
    let wt = &spec.workspace;
    let wt_s = wt.to_string_lossy().into_owned();
    if !repo.exists() {
        // The repository was deleted: its worktree records and branches went with it.
        if wt.exists() {
            tracing::warn!(
                "the repository {} of branch `{}` is gone; its worktree {} is left as it is",
                repo.display(),
                b.name,
                wt.display()
            );
        }
        return Ok(());
    }
    if wt.exists() {
        git(repo, &["worktree", "remove", "--force", "--force", &wt_s])?;
    } else {
        // Gone behind our back: its record goes too.
        let _ = git(repo, &["worktree", "unlock", &wt_s]);
        git(repo, &["worktree", "prune"])?;
    }
    remove_empty_parents(repo, wt);
    if delete_branch {
        git(repo, &["branch", "-D", &b.name])?;
    }
    Ok(())
}

/// The branch and repository of a spec whose worktree was made.
pub(crate) fn placed(spec: &SandboxSpec) -> Option<(&Branch, &PathBuf)> {
    let b = spec.branch.as_ref()?;
    Some((b, b.repository.as_ref()?))
}

/// What the branch is compared with: its base, or the repository's `HEAD`.
pub(crate) fn base_of(b: &Branch, repo: &Path) -> String {
    match &b.base {
        Some(base)
            if git_ok(repo, &["rev-parse", "--verify", "--quiet", base]).unwrap_or(false) =>
        {
            base.clone()
        }
        _ => "HEAD".into(),
    }
}
