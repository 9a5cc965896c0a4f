"""Workspace protection against the real engine, sync and asyncio: ``workspace_mode="review"``
(diff, diff_text, apply, discard; the host untouched until apply, conflicts refused),
``"ro"`` with ``writable=``, a bad mode refused before anything is made, and the guard check
finding (and with ``fix`` disabling) a git hook planted in a repository made inside."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Iterator

import pytest

import docksandbox
from conftest import aio_kwargs, run
from docksandbox import aio

BASE = "docksandbox/base:latest"  # has git


def sh(sb: docksandbox.Sandbox, script: str) -> docksandbox.ExecResult:
    r = sb.exec(["sh", "-c", script], timeout=60)
    assert r.ok, (r.exit_code, r.stdout, r.stderr)
    return r


def host_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → content)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath, f)
            out[str(p.relative_to(root))] = p.read_bytes()
    return out


def kinds(changes: list[docksandbox.Change], ws: Path) -> dict[str, str]:
    return {str(Path(c.path).relative_to(ws)): c.kind for c in changes}


@pytest.fixture
def review(workspace: Path) -> Iterator[docksandbox.Sandbox]:
    (workspace / "keep.txt").write_text("original\n")
    (workspace / "gone.txt").write_text("doomed\n")
    (workspace / "same.txt").write_text("untouched\n")
    s = run(workspace, workspace_mode="review")
    try:
        yield s
    finally:
        try:
            s.remove()
        except docksandbox.SandboxNotFoundError:
            pass


def test_review_mode_diff_apply_discard(review: docksandbox.Sandbox, workspace: Path) -> None:
    sb, ws = review, workspace
    assert sb.inspect()["spec"]["workspace_mode"] == "review"
    before = host_tree(ws)
    sh(sb, "echo fresh > new.txt && echo changed > keep.txt && rm gone.txt")
    # Inside, the agent sees its own writes; the host sees none of them.
    assert sh(sb, "cat keep.txt; ls").stdout == "changed\nkeep.txt\nnew.txt\nsame.txt\n"
    assert host_tree(ws) == before

    changes = sb.diff()
    assert all(isinstance(c, docksandbox.Change) for c in changes)
    assert kinds(changes, ws) == {"new.txt": "added", "keep.txt": "modified", "gone.txt": "deleted"}
    by = {Path(c.path).name: c for c in changes}
    assert by["new.txt"].path == str(ws / "new.txt")
    assert (by["new.txt"].old_mode, by["new.txt"].size, by["new.txt"].entry) == (None, 6, "file")
    assert by["new.txt"].new_mode is not None and by["new.txt"].new_mode & 0o600 == 0o600
    assert by["gone.txt"].new_mode is None and by["gone.txt"].old_mode is not None
    assert [by[n].letter for n in ("new.txt", "keep.txt", "gone.txt")] == ["A", "M", "D"]
    assert not any(c.binary or c.from_path for c in changes)
    assert kinds(sb.diff(paths=["keep.txt"]), ws) == {"keep.txt": "modified"}
    with pytest.raises(docksandbox.InvalidSpecError, match=r"paths\[0\]"):
        sb.diff(paths=["same.txt"])  # holds no change
    with pytest.raises(TypeError):
        sb.diff(paths="keep.txt")

    text = sb.diff_text(stat=True)
    for name in ("new.txt", "keep.txt", "gone.txt"):
        assert name in text, text
    assert "same.txt" not in text
    unified = sb.diff_text(paths=[ws / "keep.txt"])
    assert "-original" in unified and "+changed" in unified and "new.txt" not in unified

    # dry_run reports all three and changes nothing.
    assert kinds(sb.apply(dry_run=True), ws) == kinds(changes, ws)
    assert host_tree(ws) == before

    # Only the new file comes over.
    assert kinds(sb.apply(paths=[Path("new.txt")]), ws) == {"new.txt": "added"}
    assert (ws / "new.txt").read_text() == "fresh\n"
    assert host_tree(ws) == {**before, "new.txt": b"fresh\n"}
    assert kinds(sb.diff(), ws) == {"keep.txt": "modified", "gone.txt": "deleted"}

    # The host edits keep.txt meanwhile: apply refuses, naming it, and touches nothing.
    (ws / "keep.txt").write_text("host edit\n")
    with pytest.raises(docksandbox.SandboxError, match="keep.txt") as e:
        sb.apply()
    assert type(e.value) is docksandbox.SandboxError
    assert e.value.code == "SANDBOX_ERROR"
    assert (ws / "keep.txt").read_text() == "host edit\n"
    assert (ws / "gone.txt").read_text() == "doomed\n"

    dropped = sb.discard()
    assert kinds(dropped, ws) == {"keep.txt": "modified", "gone.txt": "deleted"}
    assert sb.diff() == []
    assert sb.diff_text(stat=True).count("keep.txt") == 0
    assert (ws / "keep.txt").read_text() == "host edit\n"
    assert (ws / "gone.txt").read_text() == "doomed\n"
    # The sandbox (restarted by discard) sees the host's files again.
    assert sb.status == "running"
    assert sh(sb, "cat keep.txt gone.txt").stdout == "host edit\ndoomed\n"


def test_read_only_workspace_with_a_writable_directory(workspace: Path) -> None:
    (workspace / "a.txt").write_text("one\n")
    sb = run(workspace, workspace_mode="ro", writable=[Path("target")])
    try:
        r = sb.exec(["sh", "-c", "echo two > a.txt"])
        assert not r.ok
        r = sb.exec(["sh", "-c", "echo new > new.txt"])
        assert not r.ok
        sh(sb, "mkdir -p target/deep && echo built > target/deep/out")
        assert (workspace / "a.txt").read_text() == "one\n"
        assert not (workspace / "new.txt").exists()
        assert (workspace / "target" / "deep" / "out").read_text() == "built\n"
        spec = sb.inspect()["spec"]
        assert spec["workspace_mode"] == "ro"
        # Review operations are for review-mode sandboxes only.
        with pytest.raises(docksandbox.InvalidSpecError, match="workspace_mode"):
            sb.diff()
    finally:
        sb.remove()


def test_a_bad_workspace_mode_is_refused_and_makes_nothing(workspace: Path) -> None:
    with pytest.raises(docksandbox.InvalidSpecError, match="workspace_mode") as e:
        run(workspace, workspace_mode="bogus")
    assert e.value.code == "INVALID_SPEC"
    assert "bogus" in str(e.value)
    assert [s for s in docksandbox.list() if s.workspace == str(workspace)] == []
    with pytest.raises(TypeError):
        run(workspace, workspace_mode="ro", writable="target")
    assert [s for s in docksandbox.list() if s.workspace == str(workspace)] == []


def test_guard_check_finds_and_fixes_a_hook_planted_in_a_new_repository(workspace: Path) -> None:
    sb = run(workspace, template=BASE)
    try:
        assert sb.guard_check().is_clean
        sh(
            sb,
            "git init -q proj && printf '#!/bin/sh\\necho pwned\\n' > proj/.git/hooks/post-commit"
            " && chmod +x proj/.git/hooks/post-commit",
        )
        hook = workspace / "proj" / ".git" / "hooks" / "post-commit"
        assert hook.stat().st_mode & stat.S_IXUSR

        report = sb.guard_check()
        assert isinstance(report, docksandbox.GuardReport)
        assert not report.is_clean
        assert report.workspace == str(workspace)
        assert report.baseline_of == sb.name
        hooks = [v for v in report.vectors if v.kind == "git-hook"]
        assert [v.path for v in hooks] == [str(hook)], report.vectors
        assert hooks[0].key and hooks[0].fingerprint
        assert any(str(hook) in line for line in report.lines())
        assert report.fixed == []
        assert hook.exists()  # without fix nothing changes

        fixed = sb.guard_check(fix=True)
        assert fixed.vectors == report.vectors
        assert any(str(hook) in line for line in fixed.fixed), fixed.fixed
        disabled = hook.with_name("post-commit.disabled")
        assert not hook.exists() and disabled.exists()
        assert not disabled.stat().st_mode & 0o111

        after = docksandbox.guard_check(workspace)
        assert after.is_clean, after.lines()
        assert (after.vectors, after.fixed, after.lines()) == ([], [], [])
        assert after.baseline_of == sb.name
    finally:
        sb.remove()


def test_guard_check_without_a_sandbox_reports_every_vector(workspace: Path) -> None:
    (workspace / ".envrc").write_text("echo hi\n")
    report = docksandbox.guard_check(workspace)
    assert report.baseline_of is None
    assert [(v.kind, v.path) for v in report.vectors] == [("envrc", str(workspace / ".envrc"))]
    with pytest.raises(docksandbox.InvalidSpecError, match="workspace"):
        docksandbox.guard_check(workspace / "missing")


def test_asyncio_review_mode(workspace: Path) -> None:
    (workspace / "keep.txt").write_text("original\n")

    async def main() -> None:
        sb = await aio.run(workspace, **aio_kwargs(workspace_mode="review"))
        try:
            r = await sb.exec(["sh", "-c", "echo async > made.txt && echo changed > keep.txt"])
            assert r.ok, r.stderr
            assert kinds(await sb.diff(), workspace) == {"made.txt": "added", "keep.txt": "modified"}
            assert "+async" in await sb.diff_text(paths=["made.txt"])
            assert "keep.txt" in await sb.diff_text(stat=True)
            assert len(await sb.apply(dry_run=True)) == 2
            assert not (workspace / "made.txt").exists()
            applied = await sb.apply(paths=["made.txt"])
            assert kinds(applied, workspace) == {"made.txt": "added"}
            assert (workspace / "made.txt").read_text() == "async\n"
            assert kinds(await sb.discard(), workspace) == {"keep.txt": "modified"}
            assert await sb.diff() == []
            assert (workspace / "keep.txt").read_text() == "original\n"
            assert (await sb.guard_check()).is_clean
            assert (await aio.guard_check(workspace)).is_clean
        finally:
            await sb.remove()

    asyncio.run(main())
