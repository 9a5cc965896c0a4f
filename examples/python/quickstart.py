"""A tool-using agent loop with a docksandbox sandbox as its computer.

The "agent" is scripted (no LLM call): it runs the project's tests, reads the failing file,
fixes it, and runs the tests again, through the same three tools an LLM agent would get
(`run_command`, `read_file`, `write_file`). Replace `ScriptedAgent` with your model's
tool-calling loop (LangGraph, OpenAI Agents SDK, smolagents, ...) and keep the tools.

    pip install ./sandbox-py
    python examples/python/quickstart.py            # DOCKSANDBOX_TEMPLATE=... to pick the image

The project lives in a temporary directory on the host, mounted at the same path in the
sandbox: the agent's edits are plain files you can inspect. The sandbox is removed at the end.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Generator

import docksandbox

PROJECT = {
    "calc.sh": '#!/bin/sh\n# usage: calc.sh add A B\ncase "$1" in\n  add) echo $(($2 - $3)) ;;\nesac\n',
    "test.sh": (
        "#!/bin/sh\n"
        'got=$(sh calc.sh add 2 3)\n'
        'if [ "$got" = 5 ]; then echo "PASS add"; else echo "FAIL add: expected 5, got $got" >&2; exit 1; fi\n'
    ),
}


def make_tools(sb: docksandbox.Sandbox) -> dict[str, Callable[..., str]]:
    """The tools handed to the agent; each returns the observation as text."""

    def run_command(argv: list[str], timeout: float = 60) -> str:
        lines = []
        for chunk in sb.exec_stream(argv, timeout=timeout):  # streamed: shown as it comes
            if chunk.kind == "exit":
                lines.append(f"[exit code {chunk.exit_code}]")
            else:
                print(f"    {chunk.kind}> {chunk.text}", end="")
                lines.append(chunk.text)
        return "".join(lines)

    def read_file(path: str) -> str:
        return sb.read_file(path).decode()

    def write_file(path: str, content: str) -> str:
        sb.write_file(path, content)
        return f"wrote {len(content)} bytes to {path}"

    return {"run_command": run_command, "read_file": read_file, "write_file": write_file}


class ScriptedAgent:
    """Stands in for a model: decides the next tool call from the last observation."""

    def steps(self) -> Generator[tuple[str, dict[str, Any]], str, None]:
        observation = yield ("run_command", {"argv": ["sh", "test.sh"]})
        if "[exit code 0]" in observation:
            return
        source = yield ("read_file", {"path": "calc.sh"})
        fixed = source.replace("$(($2 - $3))", "$(($2 + $3))")
        yield ("write_file", {"path": "calc.sh", "content": fixed})
        yield ("run_command", {"argv": ["sh", "test.sh"]})


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="docksandbox-agent-") as tmp:
        workspace = Path(tmp).resolve()
        for name, content in PROJECT.items():
            (workspace / name).write_text(content)
        template = os.environ.get("DOCKSANDBOX_TEMPLATE")  # None: the shell agent's default
        with docksandbox.run(workspace, agent="shell", template=template, network="none") as sb:
            try:
                print(f"sandbox {sb.name} on {sb.workspace} ({sb.status})")
                tools = make_tools(sb)
                loop = ScriptedAgent().steps()
                call = next(loop)
                while True:
                    tool, args = call
                    print(f"agent -> {tool}({json.dumps(args)})")
                    observation = tools[tool](**args)
                    try:
                        call = loop.send(observation)
                    except StopIteration:
                        break
                final = sb.exec(["sh", "test.sh"])
                print(f"tests: {final.stdout.strip() or final.stderr.strip()}")
                print(f"on the host: {(workspace / 'calc.sh').read_text().splitlines()[3].strip()}")
                assert final.exit_code == 0
            finally:
                sb.remove()  # a throwaway workspace: remove rather than stop


if __name__ == "__main__":
    main()
