"""docksandbox.integrations.deepagents against the real engine and the real `deepagents`
package (PyPI, pinned in test.sh): the BaseSandbox interface called as Deep Agents calls it,
then a Deep Agents agent driven by LangChain's fake chat model writing and running a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("deepagents")
from deepagents import create_deep_agent  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402

from conftest import LABELS  # noqa: E402
from docksandbox.integrations.deepagents import DockSandboxBackend  # noqa: E402

BASE = "docksandbox/base:latest"


@pytest.fixture
def backend(workspace: Path) -> Any:
    b = DockSandboxBackend(workspace=workspace, template=BASE, network="none", labels=LABELS)
    yield b
    b.sandbox.remove()


def test_execute_files_and_resume(backend: DockSandboxBackend, workspace: Path) -> None:
    r = backend.execute("echo out; echo err >&2; exit 3")
    assert (r.output, r.exit_code, r.truncated) == ("out\nerr\n", 3, False)
    assert backend.execute("pwd").output == f"{workspace}\n"
    slow = backend.execute("echo started; sleep 30", timeout=1)
    assert slow.exit_code == 124 and slow.output.startswith("started\n") and "timeout" in slow.output
    big = DockSandboxBackend(backend.sandbox, max_output=1000).execute("yes | head -c 5000")
    assert big.truncated and len(big.output) == 1000

    blob = bytes(range(256)) * 4
    up = backend.upload_files([(f"{workspace}/sub/a.txt", b"hi\n"), (f"{workspace}/bin.dat", blob), ("", b"x")])
    assert [u.error for u in up] == [None, None, "invalid_path"]
    assert (workspace / "sub" / "a.txt").read_bytes() == b"hi\n"
    assert (workspace / "bin.dat").read_bytes() == blob
    assert (workspace / "sub" / "a.txt").stat().st_uid == os.getuid()
    assert backend.upload_files([(f"{workspace}/sub", b"x")])[0].error == "is_directory"

    down = backend.download_files([f"{workspace}/sub/a.txt", f"{workspace}/bin.dat", f"{workspace}/missing", f"{workspace}/sub"])
    assert [(d.content, d.error) for d in down] == [(b"hi\n", None), (blob, None), (None, "file_not_found"), (None, "is_directory")]

    # BaseSandbox's own file tools, built on execute.
    assert "hi" in str(backend.read(f"{workspace}/sub/a.txt"))
    assert "a.txt" in str(backend.ls(f"{workspace}/sub"))

    # Found again by its id, as a framework that saved it would.
    again = DockSandboxBackend(name=backend.id)
    assert again.execute("cat sub/a.txt").output == "hi\n"


class ToolCallingFake(GenericFakeChatModel):
    """LangChain's fake chat model, told it can call tools (the messages are scripted)."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


def test_a_deep_agent_writes_and_runs_a_file(backend: DockSandboxBackend, workspace: Path) -> None:
    script = f"{workspace}/hello.py"
    model = ToolCallingFake(messages=iter([
        AIMessage(content="", tool_calls=[{"name": "write_file", "args": {"file_path": script, "content": "open('out.txt', 'w').write(str(6 * 7))\n"}, "id": "w1"}]),
        AIMessage(content="", tool_calls=[{"name": "execute", "args": {"command": "python3 hello.py && cat out.txt"}, "id": "x1"}]),
        AIMessage(content="done"),
    ]))
    agent = create_deep_agent(model=model, backend=backend)
    result = agent.invoke({"messages": [{"role": "user", "content": "write hello.py and run it"}]})
    tool_outputs = [m.content for m in result["messages"] if m.type == "tool"]
    assert any("42" in str(c) for c in tool_outputs), tool_outputs
    assert (workspace / "out.txt").read_text() == "42"
    for f in ("hello.py", "out.txt"):
        assert (workspace / f).stat().st_uid == os.getuid(), f
