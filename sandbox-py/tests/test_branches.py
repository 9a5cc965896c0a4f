"""Branch sandboxes from Python (``branch=``, ``branch_status``, ``branch_diff``,
``branch_log``, ``merge``, ``remove(delete_branch=)``), sync and asyncio, with real git on
the host and inside; against the real engine."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

import docksandbox
import docksandbox.aio as aio
from conftest import aio_kwargs, run

DEBIAN = "docksandbox/base:latest"
AGENT_GIT = "git -c user.name=agent -c user.email=a@x"


def git(ws: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=host", "-c", "user.email=h@x", *args],
        cwd=ws, capture_output=True, text=True, check=True,
    )
    return out.stdout.strip()


def repo(ws: Path) -> Path:
    git(ws, "init", "-q", "-b", "main")
    (ws / "a.txt").write_text("a\n")
    git(ws, "add", "a.txt")
    git(ws, "commit", "-qm", "first")
    return ws.resolve()


def test_branch_sandbox_commit_review_merge(workspace: Path) -> None:
    ws = repo(workspace)
    sb = run(ws, template=DEBIAN, branch="py-work")
    try:
        assert sb.workspace != str(ws)
        out = sb.exec(["bash", "-c", f"echo b > b.txt && git add b.txt && {AGENT_GIT} commit -qm 'py commit'"])
        assert out.exit_code == 0, out
        st = sb.branch_status()
        assert (st["name"], st["base"], st["ahead"], st["dirty"]) == ("py-work", "main", 1, False)
        assert "py commit" in sb.branch_log()
        assert "+b" in sb.branch_diff()
        info = sb.inspect()
        assert info["branch"]["ahead"] == 1
        done = sb.merge()
        assert done["how"] == "fast-forward" and done["into"] == "main"
        assert git(ws, "log", "-1", "--format=%s", "main") == "py commit"
    finally:
        sb.remove(delete_branch=True)
    assert git(ws, "branch", "--list", "py-work") == ""


def test_branch_async_squash(workspace: Path) -> None:
    ws = repo(workspace)

    async def go() -> None:
        sb = await aio.run(ws, **aio_kwargs(template=DEBIAN, branch="py-async"))
        try:
            out = await sb.exec(["bash", "-c", f"{AGENT_GIT} commit -q --allow-empty -m one && {AGENT_GIT} commit -q --allow-empty -m two"])
            assert out.exit_code == 0, out
            assert (await sb.branch_status())["ahead"] == 2
            assert "two" in await sb.branch_log()
            git(ws, "commit", "-q", "--allow-empty", "-m", "host")
            done = await sb.merge(squash=True)
            assert done["how"] == "squash"
        finally:
            await sb.remove(delete_branch=True)

    asyncio.run(go())
    assert git(ws, "log", "-1", "--format=%s", "main").startswith("Squashed branch 'py-async'")


def test_branch_names_git_refuses(workspace: Path) -> None:
    ws = repo(workspace)
    with pytest.raises(docksandbox.InvalidSpecError) as e:
        run(ws, template=DEBIAN, branch="bad..name")
    assert "branch" in str(e.value) and "not a name git accepts" in str(e.value)
    with pytest.raises(docksandbox.InvalidSpecError) as e:
        run(ws, template=DEBIAN, branch="main")
    assert "checked out at" in str(e.value)
