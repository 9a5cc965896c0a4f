"""docksandbox.integrations.pydantic_ai against the real engine and the real pydantic-ai-slim
(pinned in test.sh): the workspace protocols called as pydantic-ai calls them, then an agent
driven by pydantic-ai's FunctionModel running a command in the workspace through the capability."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("pydantic_ai")
from pydantic_ai import Agent, RunContext  # noqa: E402
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart  # noqa: E402
from pydantic_ai.models.function import AgentInfo, FunctionModel  # noqa: E402
from pydantic_ai.workspaces import (  # noqa: E402
    SupportsCommands,
    SupportsFilesystem,
    WorkspaceBackend,
    WorkspaceRef,
    WorkspaceTimeoutError,
    WorkspaceUnavailableError,
)

import docksandbox  # noqa: E402
from conftest import LABELS  # noqa: E402
from docksandbox.integrations.pydantic_ai import DockSandbox, DockSandboxWorkspace  # noqa: E402

OPTIONS: dict[str, Any] = {"template": "docksandbox/base:latest", "network": "none", "labels": LABELS}


def test_the_workspace_protocols(workspace: Path) -> None:
    async def go() -> None:
        ws = DockSandboxWorkspace(workspace=workspace, **OPTIONS)
        assert isinstance(ws, WorkspaceBackend) and isinstance(ws, SupportsCommands) and isinstance(ws, SupportsFilesystem)
        assert ws.ref is None  # no I/O before the first operation
        try:
            assert await ws.working_dir() == str(workspace)
            assert ws.ref is not None and ws.ref.provider == "docksandbox"
            r = await ws.run("echo out; echo err >&2; exit 3", shell=True)
            assert (r.exit_code, r.stdout, r.stderr) == (3, "out\n", "err\n")
            assert (await ws.run(["pwd"])).stdout == f"{workspace}\n"
            assert (await ws.run_in_directory(["pwd"], cwd="/tmp")).stdout == "/tmp\n"
            assert (await ws.run(["sh", "-c", "echo $X"], env={"X": "y"})).stdout == "y\n"
            with pytest.raises(TypeError):
                await ws.run(["ls"], shell=True)
            with pytest.raises(WorkspaceTimeoutError):
                await ws.run("sleep 30", shell=True, timeout=1)

            blob = bytes(range(256))
            await ws.write_bytes(f"{workspace}/deep/er/b.bin", blob)
            assert (workspace / "deep" / "er" / "b.bin").read_bytes() == blob
            assert (workspace / "deep" / "er" / "b.bin").stat().st_uid == os.getuid()
            assert await ws.read_bytes(f"{workspace}/deep/er/b.bin") == blob
            with pytest.raises(FileNotFoundError):
                await ws.read_bytes(f"{workspace}/missing")
            with pytest.raises(IsADirectoryError):
                await ws.read_bytes(f"{workspace}/deep")
            st = await ws.stat(f"{workspace}/deep/er/b.bin")
            assert (st.name, st.is_dir, st.size) == ("b.bin", False, 256)
            assert [e.name for e in await ws.list_dir(f"{workspace}/deep")] == ["er"]
            assert await ws.exists(f"{workspace}/deep") and not await ws.exists(f"{workspace}/nope")
            with pytest.raises(ValueError):
                await ws.remove(str(workspace))
            await ws.remove(f"{workspace}/deep")
            assert not (workspace / "deep").exists()

            # A ref from a serialized run attaches to the same sandbox; a gone one is unavailable.
            again = DockSandboxWorkspace(ref=ws.ref)
            assert (await again.run(["pwd"])).stdout == f"{workspace}\n"
            gone = DockSandboxWorkspace(ref=WorkspaceRef(provider="docksandbox", id="no-such-sandbox-xyz"))
            with pytest.raises(WorkspaceUnavailableError):
                await gone.run(["true"])
        finally:
            if ws.ref is not None:
                await (await docksandbox.aio.get(ws.ref.id)).remove()

    anyio.run(go)


def test_an_agent_runs_a_command_in_the_sandbox(workspace: Path) -> None:
    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("shell", {"command": "echo $((6*7)) > answer.txt && id -u"})])
        return ModelResponse(parts=[TextPart("done")])

    agent: Agent[None, str] = Agent(FunctionModel(model), capabilities=[DockSandbox(str(workspace), options=OPTIONS)])

    @agent.tool
    async def shell(ctx: RunContext[None], command: str) -> str:
        r = await ctx.workspace.run(command, shell=True)
        return r.stdout

    async def go() -> None:
        result = await agent.run("write the answer")
        assert result.output == "done"
        tool_returns = [p.content for m in result.all_messages() for p in getattr(m, "parts", []) if p.part_kind == "tool-return"]
        assert tool_returns == [f"{os.getuid()}\n"], tool_returns
        assert (workspace / "answer.txt").read_text() == "42\n"
        assert (workspace / "answer.txt").stat().st_uid == os.getuid()
        for sb in await docksandbox.aio.list():
            if sb.workspace == str(workspace):
                await sb.remove()

    anyio.run(go)
