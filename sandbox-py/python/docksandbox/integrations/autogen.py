"""An AutoGen code executor on a docksandbox sandbox (autogen-core 0.7).

    from autogen_agentchat.agents import CodeExecutorAgent
    from docksandbox.integrations.autogen import DockSandboxCodeExecutor

    executor = DockSandboxCodeExecutor(workspace=".", template="docksandbox/base:latest")
    agent = CodeExecutorAgent("coder", code_executor=executor)

Python blocks run with the sandbox's ``python3``, shell blocks with its ``sh``, each in the
workspace with the code on standard input (nothing written to your files); stdout and stderr
joined; the first failing block ends the run, as AutoGen's executors do. Cancelling through
AutoGen's ``CancellationToken`` kills the process in the sandbox. Needs ``autogen-core``
(``pip install "docksandbox[autogen]"``).
"""

from __future__ import annotations

import asyncio
from typing import Any, List, Optional

try:
    from autogen_core import CancellationToken
    from autogen_core.code_executor import CodeBlock, CodeExecutor, CodeResult
except ImportError as _missing:  # pragma: no cover - the extra's absence is tested in a subprocess
    raise ImportError(f'docksandbox.integrations.autogen needs autogen-core: pip install "docksandbox[autogen]" ({_missing})') from _missing

import docksandbox
from docksandbox import aio

from ._attach import attach_async

__all__ = ["DockSandboxCodeExecutor"]

_RUNNERS = {
    "python": ["python3", "-"],
    "py": ["python3", "-"],
    "sh": ["sh", "-s"],
    "bash": ["bash", "-s"],
    "shell": ["sh", "-s"],
}


class DockSandboxCodeExecutor(CodeExecutor):
    """An AutoGen ``CodeExecutor`` whose code runs in a docksandbox sandbox.

    - ``sandbox``: an existing :class:`docksandbox.aio.Sandbox`; or ``name``: the name of one;
      or :func:`docksandbox.aio.run`'s keyword arguments (agent ``shell`` unless given). The
      sandbox is made or found at :meth:`start` (or the first execution).
    - ``timeout``: seconds each block may run (default 60).
    """

    SUPPORTED_LANGUAGES = sorted(_RUNNERS)

    def __init__(self, sandbox: Optional[aio.Sandbox] = None, *, name: Optional[str] = None, timeout: float = 60, **run_options: Any) -> None:
        self._given = sandbox
        self._name = name
        self._options = run_options
        self._timeout = timeout
        self.sandbox: Optional[aio.Sandbox] = sandbox

    async def start(self) -> None:
        """Makes or finds the sandbox."""
        if self.sandbox is None:
            self.sandbox = await attach_async(self._given, self._name, self._options)

    async def stop(self) -> None:
        """Lets go of the sandbox (it stays: ``sandbox.remove()`` deletes it)."""
        if self.sandbox is not None and self._given is None:
            self._name = self.sandbox.name
            self._options = {}
            self.sandbox = None

    async def restart(self) -> None:
        """Stops and starts again, on the same sandbox."""
        await self.stop()
        await self.start()

    async def execute_code_blocks(self, code_blocks: List[CodeBlock], cancellation_token: CancellationToken) -> CodeResult:
        """Runs the blocks in order; the first that fails ends the run with its exit code."""
        await self.start()
        assert self.sandbox is not None
        outputs: list[str] = []
        for block in code_blocks:
            runner = _RUNNERS.get(block.language.lower())
            if runner is None:
                outputs.append(f"unsupported language {block.language!r}: {', '.join(self.SUPPORTED_LANGUAGES)}")
                return CodeResult(exit_code=1, output="\n".join(outputs))
            argv = ["sh", "-c", 'exec 2>&1; exec "$@"', "sh", *runner]
            task = asyncio.ensure_future(self.sandbox.exec(argv, stdin=block.code, timeout=self._timeout))
            cancellation_token.link_future(task)
            try:
                r = await task
            except docksandbox.ExecTimeoutError as e:
                outputs.append(bytes(e.stdout).decode("utf-8", "replace") + f"\n[killed: the block ran past its {self._timeout:g} s timeout]")
                return CodeResult(exit_code=124, output="\n".join(outputs))
            except asyncio.CancelledError:
                outputs.append("[cancelled: the block was killed]")
                return CodeResult(exit_code=130, output="\n".join(outputs))
            outputs.append(r.stdout)
            if r.exit_code != 0:
                return CodeResult(exit_code=r.exit_code, output="".join(outputs))
        return CodeResult(exit_code=0, output="".join(outputs))
