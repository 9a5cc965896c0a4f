"""docksandbox.integrations.autogen against the real engine and the real autogen-core and
autogen-agentchat (0.7.5, pinned in test.sh): the CodeExecutor called as AutoGen calls it, a
cancellation through AutoGen's CancellationToken killing the process in the sandbox, and a
CodeExecutorAgent executing a code block from a message."""

from __future__ import annotations

import asyncio
import os
import warnings
from pathlib import Path

import anyio
import pytest

pytest.importorskip("autogen_core")
pytest.importorskip("autogen_agentchat")
from autogen_agentchat.agents import CodeExecutorAgent  # noqa: E402
from autogen_agentchat.messages import TextMessage  # noqa: E402
from autogen_core import CancellationToken  # noqa: E402
from autogen_core.code_executor import CodeBlock  # noqa: E402

import docksandbox  # noqa: E402
from conftest import LABELS  # noqa: E402
from docksandbox.integrations.autogen import DockSandboxCodeExecutor  # noqa: E402

OPTIONS = {"template": "docksandbox/base:latest", "network": "none", "labels": LABELS}


def test_code_blocks_timeouts_and_cancellation(workspace: Path) -> None:
    async def go() -> None:
        executor = DockSandboxCodeExecutor(workspace=workspace, timeout=5, **OPTIONS)
        async with executor:
            assert executor.sandbox is not None
            try:
                token = CancellationToken()
                r = await executor.execute_code_blocks([
                    CodeBlock(code="import os; print(os.getcwd()); open('py.txt', 'w').write('x')", language="python"),
                    CodeBlock(code="echo from sh; echo err >&2", language="sh"),
                ], token)
                assert (r.exit_code, r.output) == (0, f"{workspace}\nfrom sh\nerr\n")
                assert (workspace / "py.txt").stat().st_uid == os.getuid()
                failed = await executor.execute_code_blocks([
                    CodeBlock(code="exit 3", language="bash"), CodeBlock(code="echo never", language="sh")], token)
                assert failed.exit_code == 3 and "never" not in failed.output
                unknown = await executor.execute_code_blocks([CodeBlock(code="x", language="cobol")], token)
                assert unknown.exit_code == 1 and "unsupported language" in unknown.output
                slow = await executor.execute_code_blocks([CodeBlock(code="sleep 30", language="sh")], token)
                assert slow.exit_code == 124 and "timeout" in slow.output

                # AutoGen's CancellationToken: the process in the sandbox is killed.
                cancel = CancellationToken()
                running = asyncio.ensure_future(executor.execute_code_blocks(
                    [CodeBlock(code="echo $$ > /tmp/long.pid; exec sleep 300", language="sh")], cancel))
                sb = executor.sandbox
                for _ in range(100):
                    if (await sb.exec(["cat", "/tmp/long.pid"])).ok:
                        break
                    await asyncio.sleep(0.1)
                cancel.cancel()
                result = await running
                assert result.exit_code == 130, result
                state = ""
                for _ in range(100):
                    state = (await sb.exec(["sh", "-c", "kill -0 $(cat /tmp/long.pid) 2>/dev/null && echo alive || echo gone"])).stdout
                    if state == "gone\n":
                        break
                    await asyncio.sleep(0.1)
                assert state == "gone\n", "the cancelled block still runs"

                # restart keeps the sandbox; a new executor finds it again by name.
                name = sb.name
                await executor.restart()
                assert executor.sandbox is not None and executor.sandbox.name == name
                again = DockSandboxCodeExecutor(name=name)
                r = await again.execute_code_blocks([CodeBlock(code="cat py.txt", language="sh")], CancellationToken())
                assert r.output == "x"
            finally:
                await (await docksandbox.aio.get(executor.sandbox.name if executor.sandbox else "")).remove()

    anyio.run(go)


def test_a_code_executor_agent_runs_a_block(workspace: Path) -> None:
    async def go() -> None:
        executor = DockSandboxCodeExecutor(workspace=workspace, **OPTIONS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no approval function: AutoGen warns
            agent = CodeExecutorAgent("coder", code_executor=executor)
        message = TextMessage(content="```python\nopen('agent.txt', 'w').write(str(6 * 7))\nprint('wrote')\n```", source="user")
        try:
            response = await agent.on_messages([message], CancellationToken())
            assert "wrote" in response.chat_message.to_text()
            assert (workspace / "agent.txt").read_text() == "42"
            assert (workspace / "agent.txt").stat().st_uid == os.getuid()
        finally:
            if executor.sandbox is not None:
                await executor.sandbox.remove()

    anyio.run(go)
