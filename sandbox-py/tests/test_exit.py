"""The interpreter exits cleanly after asyncio calls: the runtime's threads are stopped before
finalization (a worker still handing a result to asyncio used to abort or crash the process
after the program's last line, about one run in five)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import IMAGE, LABELS, python, run


def test_the_interpreter_exits_cleanly_after_asyncio_calls(workspace: Path) -> None:
    sb = run(workspace)
    try:
        script = """
            import asyncio, json, sys
            import docksandbox.aio as aio
            async def main():
                sb = await aio.run(workspace=sys.argv[1], agent="shell", template=sys.argv[2],
                                   network="none", labels=json.loads(sys.argv[3]))
                for _ in range(3):
                    await sb.exec(["true"])
            asyncio.run(main())
        """
        for i in range(15):
            p = python(script, str(workspace), IMAGE, json.dumps(LABELS),
                       env={"PYTHONFAULTHANDLER": "1"})
            assert p.returncode == 0, f"run {i}: exit {p.returncode}: {p.stderr[-500:]}"
            assert "Fatal Python error" not in p.stderr, p.stderr
    finally:
        sb.remove()


def test_an_out_of_memory_kill_is_reported(workspace: Path) -> None:
    sb = run(workspace, memory="64m")
    try:
        r = sb.exec(["sh", "-c", "tail /dev/zero"])
        assert r.exit_code == 137 and r.oom_killed
        r = sb.exec(["sh", "-c", "kill -9 $$"])
        assert r.exit_code == 137 and not r.oom_killed
    finally:
        sb.remove()
