"""The asyncio surface (no plugin: each test drives its own loop with asyncio.run)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

import docksandbox
from conftest import aio_kwargs
from docksandbox import aio


def arun(fn: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(fn())  # type: ignore[arg-type]


def test_every_call(workspace: Path) -> None:
    async def main() -> None:
        sb = await aio.run(workspace, **aio_kwargs())
        try:
            assert isinstance(sb, aio.Sandbox)
            assert (sb.agent, sb.workspace) == ("shell", str(workspace))
            assert await sb.status == "running"
            r = await sb.exec(["sh", "-c", "echo $X; echo e >&2; exit 2"], env={"X": "1"})
            assert (r.exit_code, r.stdout, r.stderr) == (2, "1\n", "e\n")
            r = await sb.exec(["cat"], stdin=b"in", workdir="/tmp", user="0:0")
            assert r.stdout_bytes == b"in"
            await sb.write_file("a.txt", b"data")
            assert await sb.read_file("a.txt") == b"data"
            info = await sb.inspect()
            assert info["id"] == sb.id
            chunks = [c async for c in sb.exec_stream(["sh", "-c", "echo o; echo e >&2"])]
            assert [c.kind for c in chunks][-1] == "exit"
            assert b"".join(c.data for c in chunks if c.kind == "stdout") == b"o\n"
            assert sb.id in [s.id for s in await aio.list()]
            assert (await aio.get(sb.name)) == sb
            await sb.stop()
            assert await sb.status == "stopped"
            assert (await aio.run(workspace, **aio_kwargs())).id == sb.id
        finally:
            await sb.remove()
        with pytest.raises(docksandbox.SandboxNotFoundError):
            await aio.get(sb.id)

    arun(main)


def test_async_with_stops_on_exit(workspace: Path) -> None:
    async def main() -> None:
        async with aio.run(workspace, **aio_kwargs()) as sb:
            assert (await sb.exec(["true"])).ok
        assert await sb.status == "stopped"
        async with await aio.run(workspace, **aio_kwargs()) as again:
            assert again.id == sb.id
            await again.remove()

    arun(main)


def test_errors(workspace: Path) -> None:
    async def main() -> None:
        with pytest.raises(docksandbox.InvalidSpecError):
            await aio.run(workspace, **aio_kwargs(network="host"))
        sb = await aio.run(workspace, **aio_kwargs())
        try:
            with pytest.raises(docksandbox.ExecTimeoutError):
                await sb.exec(["sleep", "30"], timeout=0.5)
            with pytest.raises(docksandbox.ExecTimeoutError):
                async for _ in sb.exec_stream(["sleep", "30"], timeout=0.5):
                    pass
            with pytest.raises(docksandbox.ConfigChangedError):
                await aio.run(workspace, **aio_kwargs(env={"A": "b"}))
        finally:
            await sb.remove()

    arun(main)


def test_cancelling_a_task_abandons_the_call(sb: docksandbox.Sandbox) -> None:
    async def main() -> None:
        asb = await aio.get(sb.id)
        task = asyncio.ensure_future(asb.exec(["sleep", "30"]))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await asb.exec(["echo", "still fine"])).stdout == "still fine\n"

    arun(main)
