"""docksandbox.integrations.openai_agents against the real engine and the real openai-agents
(0.25, pinned in test.sh): the ShellTool executor called with the SDK's own request types, as
the SDK calls it for a shell call: several commands, exit codes, a timeout, output cut."""

from __future__ import annotations

import os
from pathlib import Path

import anyio
import pytest

pytest.importorskip("agents")
from agents import RunContextWrapper, ShellTool  # noqa: E402
from agents.tool import ShellActionRequest, ShellCallData, ShellCommandRequest  # noqa: E402

import docksandbox  # noqa: E402
from conftest import LABELS  # noqa: E402
from docksandbox.integrations.openai_agents import DockSandboxShell, shell_executor  # noqa: E402


def request(*commands: str, timeout_ms: int | None = None, max_output_length: int | None = None) -> ShellCommandRequest:
    return ShellCommandRequest(
        ctx_wrapper=RunContextWrapper(context=None),
        data=ShellCallData(call_id="call_1", action=ShellActionRequest(
            commands=list(commands), timeout_ms=timeout_ms, max_output_length=max_output_length)),
    )


def test_the_shell_tool_executor(workspace: Path) -> None:
    async def go() -> None:
        executor = shell_executor(workspace=workspace, template="docksandbox/base:latest", network="none", labels=LABELS)
        tool = ShellTool(executor=executor)
        assert tool.executor is executor
        try:
            r = await executor(request("pwd", "echo hi > f.txt; echo err >&2; exit 2"))
            assert [(o.stdout, o.stderr, o.exit_code, o.status) for o in r.output] == [
                (f"{workspace}\n", "", 0, "completed"), ("", "err\n", 2, "completed")]
            assert (workspace / "f.txt").read_text() == "hi\n"
            assert (workspace / "f.txt").stat().st_uid == os.getuid()
            slow = await executor(request("echo started; sleep 30", "echo never", timeout_ms=1000))
            assert [o.status for o in slow.output] == ["timeout"]
            assert slow.output[0].stdout == "started\n"
            cut = await executor(request("yes | head -c 5000", max_output_length=100))
            assert len(cut.output[0].stdout) == 100 and cut.max_output_length == 100
            assert isinstance(executor, DockSandboxShell) and executor.sandbox is not None
            again = shell_executor(name=executor.sandbox.name)
            assert (await again(request("cat f.txt"))).output[0].stdout == "hi\n"
        finally:
            for sb in await docksandbox.aio.list():
                if sb.workspace == str(workspace):
                    await sb.remove()

    anyio.run(go)


def test_the_sandbox_client(workspace: Path) -> None:
    """DockSandboxClient as the SDK's sandbox runtime drives it: create with a manifest,
    start (the manifest applied), exec, write and read, persist the workspace and hydrate
    another, serialize the state and resume from it, delete."""
    from agents.sandbox import Manifest
    from agents.sandbox.entries import File
    from agents.sandbox.errors import ExecTimeoutError

    from docksandbox.integrations.openai_agents import DockSandboxClient, DockSandboxClientOptions

    other = workspace.parent / f"{workspace.name}-hydrated"
    other.mkdir()

    async def go() -> None:
        client = DockSandboxClient()
        options = DockSandboxClientOptions(str(workspace), template="docksandbox/base:latest", network="none", run_options={"labels": LABELS})
        manifest = Manifest(entries={"notes/readme.md": File(content=b"from the manifest\n")})
        session = await client.create(manifest=manifest, options=options)
        copy = None
        try:
            await session.start()
            assert session.state.manifest.root == str(workspace)
            assert (workspace / "notes" / "readme.md").read_bytes() == b"from the manifest\n"
            r = await session.exec("pwd; id -u")
            assert (r.exit_code, r.stdout.decode()) == (0, f"{workspace}\n{os.getuid()}\n")
            assert (await session.exec("exit 5")).exit_code == 5
            with pytest.raises(ExecTimeoutError):
                await session.exec("sleep 30", timeout=1)
            import io
            await session.write(Path("out/data.bin"), io.BytesIO(bytes(range(256))))
            assert (workspace / "out" / "data.bin").read_bytes() == bytes(range(256))
            assert (workspace / "out" / "data.bin").stat().st_uid == os.getuid()
            assert (await session.read(Path("out/data.bin"))).read() == bytes(range(256))
            with pytest.raises(Exception):
                await session.read(Path("missing.txt"))
            assert await session.running()

            archive = await session.persist_workspace()
            copy = await client.create(options=DockSandboxClientOptions(str(other), template="docksandbox/base:latest", network="none", run_options={"labels": LABELS}))
            await copy.start()
            await copy.hydrate_workspace(archive)
            assert (other / "out" / "data.bin").read_bytes() == bytes(range(256))
            assert (other / "notes" / "readme.md").read_bytes() == b"from the manifest\n"

            payload = client.serialize_session_state(session.state)
            resumed = await client.resume(client.deserialize_session_state(payload))
            assert (await resumed.exec("cat notes/readme.md")).stdout == b"from the manifest\n"
        finally:
            await client.delete(session)
            if copy is not None:
                await client.delete(copy)
        assert not any(sb.workspace in (str(workspace), str(other)) for sb in await docksandbox.aio.list())

    anyio.run(go)
