"""The OpenAI Agents SDK's shell tool on a docksandbox sandbox (openai-agents 0.25).

    from agents import Agent, ShellTool
    from docksandbox.integrations.openai_agents import shell_executor

    executor = shell_executor(workspace=".", template="docksandbox/base:latest")
    agent = Agent(name="coder", tools=[ShellTool(executor=executor)])

Each command of a shell call runs in the sandbox's shell, in the workspace, one after another,
within the call's ``timeout_ms`` (a command past it is killed and reported as a ``timeout``
outcome) and cut to its ``max_output_length``. Needs ``openai-agents``
(``pip install "docksandbox[openai-agents]"``). The SDK's beta sandbox agents
(``BaseSandboxClient``) are not adapted yet.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

try:
    from agents.tool import ShellCallOutcome, ShellCommandOutput, ShellCommandRequest, ShellResult
except ImportError as _missing:  # pragma: no cover - the extra's absence is tested in a subprocess
    raise ImportError(f'docksandbox.integrations.openai_agents needs openai-agents: pip install "docksandbox[openai-agents]" ({_missing})') from _missing

import docksandbox
from docksandbox import aio

from ._attach import attach_async

__all__ = ["DockSandboxShell", "shell_executor"]


class DockSandboxShell:
    """A ``ShellTool`` executor (call it with a ``ShellCommandRequest``) on a docksandbox
    sandbox: ``sandbox`` (an :class:`docksandbox.aio.Sandbox`), or ``name`` (to resume one), or
    :func:`docksandbox.aio.run`'s keyword arguments (agent ``shell`` unless given), made on the
    first call. ``timeout``: seconds per command when the call gives none (default 120)."""

    def __init__(self, sandbox: Optional[aio.Sandbox] = None, *, name: Optional[str] = None, timeout: float = 120, **run_options: Any) -> None:
        self.sandbox = sandbox
        self._name = name
        self._options = run_options
        self._timeout = timeout

    async def _sandbox(self) -> aio.Sandbox:
        if self.sandbox is None:
            self.sandbox = await attach_async(None, self._name, self._options)
        return self.sandbox

    async def __call__(self, request: ShellCommandRequest) -> ShellResult:
        action = request.data.action
        sb = await self._sandbox()
        limit = action.timeout_ms / 1000 if action.timeout_ms else self._timeout
        cap = action.max_output_length
        outputs = []
        for command in action.commands:
            try:
                r = await sb.exec(["sh", "-c", command], timeout=limit)
            except docksandbox.ExecTimeoutError as e:
                outputs.append(ShellCommandOutput(
                    stdout=_cut(bytes(e.stdout).decode("utf-8", "replace"), cap),
                    stderr=_cut(bytes(e.stderr).decode("utf-8", "replace"), cap),
                    outcome=ShellCallOutcome(type="timeout"),
                    command=command,
                ))
                break
            outputs.append(ShellCommandOutput(
                stdout=_cut(r.stdout, cap),
                stderr=_cut(r.stderr, cap),
                outcome=ShellCallOutcome(type="exit", exit_code=r.exit_code),
                command=command,
            ))
        return ShellResult(output=outputs, max_output_length=cap)


def _cut(text: str, cap: Optional[int]) -> str:
    return text if cap is None or len(text) <= cap else text[:cap]


def shell_executor(sandbox: Optional[aio.Sandbox] = None, *, name: Optional[str] = None, timeout: float = 120, **run_options: Any) -> Callable[[ShellCommandRequest], Awaitable[ShellResult]]:
    """An executor for ``ShellTool(executor=...)``: see :class:`DockSandboxShell`."""
    return DockSandboxShell(sandbox, name=name, timeout=timeout, **run_options)
