"""docksandbox.pool / aio.pool: members made in the background, each handed out once (also to
32 concurrent takers), removed with the block, the pool, or by the next call when the owning
process is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import docksandbox
from docksandbox import aio

from conftest import IMAGE, LABELS

POOL_LABEL = "docksandbox.pool"


def members(pool: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={POOL_LABEL}={pool}"],
        capture_output=True, text=True, check=True,
    )
    return out.stdout.split()


def kwargs(**kw: Any) -> dict[str, Any]:
    kw.setdefault("network", "none")
    kw["labels"] = dict(LABELS)
    return kw


def test_take_gives_a_running_sandbox_removed_with_its_block_and_close_removes_the_rest(
    base_dir: Path,
) -> None:
    with docksandbox.pool(IMAGE, size=2, **kwargs()) as p:
        p.wait_ready()
        assert p.status["ready"] == 2 and p.status["size"] == 2
        with p.take() as sb:
            r = sb.exec(["sh", "-c", "pwd; ls -A | wc -l"])
            assert r.stdout == f"{sb.workspace}\n0\n"
            assert Path(sb.workspace).is_dir()
            ws = sb.workspace
        # Removed at the end of its block, with its workspace.
        assert sb.id not in " ".join(members(p.name))
        assert not Path(ws).exists()
        kept = p.take()
        name = p.name
        assert p.status["taken"] == 2
    assert members(name) == [], "close left sandboxes"
    try:
        kept.exec(["true"])
        raise AssertionError("a closed pool's sandbox still answers")
    except docksandbox.SandboxNotFoundError:
        pass


def test_thirty_two_concurrent_takers_each_get_their_own(base_dir: Path) -> None:
    async def main() -> None:
        async with aio.pool(IMAGE, size=4, **kwargs()) as p:
            taken = await asyncio.gather(*(p.take() for _ in range(32)))
            assert len({sb.id for sb in taken}) == 32, "a sandbox was handed out twice"
            outs = await asyncio.gather(*(sb.exec(["echo", "x"]) for sb in taken[:4]))
            assert [o.stdout for o in outs] == ["x\n"] * 4
            assert p.status["taken"] == 32
            name = p.name
        assert members(name) == []

    asyncio.run(main())


def test_bad_arguments_raise_before_anything_is_made(base_dir: Path) -> None:
    for kw, word in [
        ({"size": 0}, "1 to 256"),
        ({"name": "bad name"}, "letters, digits"),
        ({"memory": "lots"}, "memory"),
    ]:
        try:
            docksandbox.pool(IMAGE, **{**kwargs(), **kw})
            raise AssertionError(f"{kw} was accepted")
        except docksandbox.InvalidSpecError as e:
            assert word in str(e), e


def test_a_killed_owners_members_are_removed_by_the_next_call(base_dir: Path) -> None:
    program = f"""
        import os, sys, time, docksandbox
        p = docksandbox.pool({IMAGE!r}, size=2, network="none",
                             labels={{"dev.docksandbox.test-run": os.environ["DOCKSANDBOX_TEST_RUN"]}})
        p.wait_ready()
        print(p.name, flush=True)
        time.sleep(300)
    """
    env = {**os.environ, "DOCKSANDBOX_TEST_RUN": LABELS["dev.docksandbox.test-run"]}
    import sys
    import textwrap
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(program)],
                             stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    name = child.stdout.readline().strip()
    assert len(members(name)) == 2
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    docksandbox.list()  # any call collects
    deadline = time.monotonic() + 30
    while members(name) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert members(name) == []
