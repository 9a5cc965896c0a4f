"""Concurrency, big outputs, the GIL, the event loop, Ctrl-C and fork."""

from __future__ import annotations

import asyncio
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docksandbox
from conftest import IMAGE, LABELS, python
from docksandbox import aio

MIB = 1 << 20


def test_ten_execs_on_threads_run_together(sb: docksandbox.Sandbox) -> None:
    t0 = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda i: sb.exec(["sh", "-c", f"sleep 1; echo {i}"]), range(10)))
    elapsed = time.monotonic() - t0
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(10)]
    assert elapsed < 6, f"10 one-second execs on 10 threads took {elapsed:.1f}s"


def test_ten_execs_with_asyncio_gather(sb: docksandbox.Sandbox) -> None:
    async def main() -> float:
        asb = await aio.get(sb.id)
        t0 = time.monotonic()
        results = await asyncio.gather(
            *[asb.exec(["sh", "-c", f"sleep 1; echo {i}"]) for i in range(10)]
        )
        assert [r.stdout for r in results] == [f"{i}\n" for i in range(10)]
        return time.monotonic() - t0

    elapsed = asyncio.run(main())
    assert elapsed < 6, f"10 one-second execs gathered took {elapsed:.1f}s"


def test_100_mib_through_exec_stream_in_bounded_memory(sb: docksandbox.Sandbox) -> None:
    size = 100 * MIB
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    total, biggest, exit_code = 0, 0, None
    for chunk in sb.exec_stream(["head", "-c", str(size), "/dev/zero"]):
        if chunk.kind == "stdout":
            total += len(chunk.data)
            biggest = max(biggest, len(chunk.data))
        elif chunk.kind == "exit":
            exit_code = chunk.exit_code
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024
    assert (total, exit_code) == (size, 0)
    assert biggest <= 2 * MIB
    assert peak < 8 * MIB, f"Python allocations peaked at {peak / MIB:.1f} MiB"
    assert grown < 48 * MIB, f"RSS grew by {grown / MIB:.1f} MiB"


def test_100_mib_through_async_exec_stream(sb: docksandbox.Sandbox) -> None:
    size = 100 * MIB

    async def main() -> int:
        asb = await aio.get(sb.id)
        total = 0
        async for chunk in asb.exec_stream(["head", "-c", str(size), "/dev/zero"]):
            if chunk.kind == "stdout":
                total += len(chunk.data)
        return total

    assert asyncio.run(main()) == size


def test_sync_calls_release_the_gil(sb: docksandbox.Sandbox) -> None:
    stop = threading.Event()
    count = [0]

    def spin() -> None:
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.1)
        before = count[0]
        sb.exec(["sleep", "1"])
        during = count[0] - before
    finally:
        stop.set()
        t.join()
    assert during > 100_000, f"the other thread counted only {during} while exec slept"


def test_async_calls_do_not_block_the_event_loop(sb: docksandbox.Sandbox) -> None:
    async def main() -> int:
        asb = await aio.get(sb.id)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        t = asyncio.ensure_future(ticker())
        await asb.exec(["sleep", "1"])
        t.cancel()
        return ticks

    ticks = asyncio.run(main())
    assert ticks >= 50, f"the ticker ticked {ticks} times during a 1 s exec"


def _until(check, what: str, bound: float = 30.0) -> None:
    """Polls `check` every 20 ms until it holds; fails after `bound` seconds."""
    deadline = time.monotonic() + bound
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {bound:.0f} s"
        time.sleep(0.02)


def test_ctrl_c_interrupts_a_waiting_call(workspace: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time, docksandbox
        sb = docksandbox.run(sys.argv[1], agent="shell", template={IMAGE!r}, network="none",
                             labels={LABELS!r})
        print("ready", sb.id, flush=True)
        t0 = time.monotonic()
        try:
            sb.exec(["sleep", "60"])
        except KeyboardInterrupt:
            print("interrupted after %.1f" % (time.monotonic() - t0), flush=True)
        """
    )
    # Ctrl-C at a terminal reaches a program whose SIGINT is not ignored. A program started
    # from a background job of a non-interactive shell (`cmd &`, as CI launchers do) inherits
    # SIGINT *ignored*, and Python then installs no KeyboardInterrupt handler at all: the
    # signal is dropped by the kernel and the call runs to its end. That inherited state, not
    # a race in the binding, is what made this test fail now and then; the child starts with
    # the terminal's default disposition.
    p = subprocess.Popen([sys.executable, "-c", script, str(workspace)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert p.stdout is not None
        ready = p.stdout.readline().split()
        assert ready[:1] == ["ready"], ready
        # Interrupt the call while it waits: once `sleep 60` runs in the sandbox.
        top = lambda: subprocess.run(["docker", "top", ready[1]],
                                     capture_output=True, text=True).stdout
        _until(lambda: "sleep 60" in top(), "the exec started")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert out.startswith("interrupted after"), (out, err)
    assert float(out.split()[-1]) < 10


def test_safe_after_fork(workspace: Path) -> None:
    p = python(
        f"""
        import os, sys, docksandbox
        sb = docksandbox.run(sys.argv[1], agent="shell", template={IMAGE!r}, network="none",
                             labels={LABELS!r})
        assert sb.exec(["echo", "parent"]).stdout == "parent\\n"
        pid = os.fork()
        if pid == 0:
            try:
                # the parent's handle, its runtime and its connections: made anew here
                assert sb.exec(["echo", "child"]).stdout == "child\\n"
                again = docksandbox.run(sys.argv[1], agent="shell", template={IMAGE!r},
                                        network="none", labels={LABELS!r})
                assert again.id == sb.id
                assert len(docksandbox.list()) >= 1
                os._exit(0)
            except BaseException as e:
                print("child failed:", repr(e), flush=True)
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        assert sb.exec(["echo", "parent again"]).ok
        print("child exit", os.waitstatus_to_exitcode(status))
        """,
        str(workspace),
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().endswith("child exit 0"), p.stdout
