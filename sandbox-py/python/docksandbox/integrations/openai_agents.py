"""The OpenAI Agents SDK's shell tool on a docksandbox sandbox (openai-agents 0.25).

    from agents import Agent, ShellTool
    from docksandbox.integrations.openai_agents import shell_executor

    executor = shell_executor(workspace=".", template="docksandbox/base:latest")
    agent = Agent(name="coder", tools=[ShellTool(executor=executor)])

Each command of a shell call runs in the sandbox's shell, in the workspace, one after another,
within the call's ``timeout_ms`` (a command past it is killed and reported as a ``timeout``
outcome) and cut to its ``max_output_length``. Needs ``openai-agents``
(``pip install "docksandbox[openai-agents]"``).

For the SDK's sandbox agents (beta), ``DockSandboxClient`` is a ``BaseSandboxClient``:

    from agents.run import RunConfig
    from agents.sandbox import SandboxRunConfig
    from docksandbox.integrations.openai_agents import DockSandboxClient, DockSandboxClientOptions

    config = RunConfig(sandbox=SandboxRunConfig(
        client=DockSandboxClient(), options=DockSandboxClientOptions(workspace=".")))

Its sessions run commands and move files in a docksandbox sandbox whose workspace (the
manifest's root) is your directory at the same path; ``persist_workspace`` /
``hydrate_workspace`` are tar streams of it with relative member paths; ``resume`` attaches to
the sandbox the state names (or makes it again on the same workspace when it is gone);
``delete`` removes it. Commands run as the sandbox's user (the workspace owner's uid): a
``user`` other than that is refused.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

try:
    from agents.sandbox.errors import ExecTimeoutError as SandboxExecTimeout
    from agents.sandbox.errors import ExecTransportError
    from agents.sandbox.manifest import Manifest
    from agents.sandbox.session.base_sandbox_session import BaseSandboxSession
    from agents.sandbox.session.sandbox_client import BaseSandboxClient, BaseSandboxClientOptions
    from agents.sandbox.session.sandbox_session import SandboxSession
    from agents.sandbox.session.sandbox_session_state import SandboxSessionState
    from agents.sandbox.snapshot import SnapshotBase, SnapshotSpec, resolve_snapshot
    from agents.sandbox.types import ExecResult, User
    from agents.tool import ShellCallOutcome, ShellCommandOutput, ShellCommandRequest, ShellResult
except ImportError as _missing:  # pragma: no cover - the extra's absence is tested in a subprocess
    raise ImportError(f'docksandbox.integrations.openai_agents needs openai-agents: pip install "docksandbox[openai-agents]" ({_missing})') from _missing

import io
import posixpath
import uuid
from pathlib import Path
from typing import Literal, Union, final

from pydantic import Field

import docksandbox
from docksandbox import aio

from ._attach import attach_async

__all__ = [
    "DockSandboxClient",
    "DockSandboxClientOptions",
    "DockSandboxSession",
    "DockSandboxSessionState",
    "DockSandboxShell",
    "shell_executor",
]


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


@final
class DockSandboxClientOptions(BaseSandboxClientOptions):
    """Where and how a session's sandbox is made: ``workspace`` (the host directory, the
    manifest's root at the same path), ``template``, ``network`` and any other of
    :func:`docksandbox.aio.run`'s keyword arguments in ``run_options``."""

    type: Literal["docksandbox"] = "docksandbox"
    workspace: str = "."
    template: Optional[str] = None
    network: Optional[str] = None
    run_options: dict[str, Any] = Field(default_factory=dict)

    def __init__(
        self,
        workspace: str = ".",
        *,
        template: Optional[str] = None,
        network: Optional[str] = None,
        run_options: Optional[dict[str, Any]] = None,
        type: Literal["docksandbox"] = "docksandbox",
    ) -> None:
        super().__init__(type=type, workspace=workspace, template=template, network=network, run_options=run_options or {})

    def run_kwargs(self) -> dict[str, Any]:
        """:func:`docksandbox.aio.run`'s keyword arguments for these options."""
        kw: dict[str, Any] = {"agent": "shell", **self.run_options}
        if self.template is not None:
            kw["template"] = self.template
        if self.network is not None:
            kw["network"] = self.network
        return kw


class DockSandboxSessionState(SandboxSessionState):
    """A session's state: the sandbox's name, and what makes it again."""

    type: Literal["docksandbox"] = "docksandbox"
    sandbox: str
    options: DockSandboxClientOptions


class DockSandboxSession(BaseSandboxSession):
    """A sandbox-agent session on a docksandbox sandbox."""

    state: DockSandboxSessionState

    def __init__(self, *, state: DockSandboxSessionState, sandbox: aio.Sandbox) -> None:
        self.state = state
        self._sb = sandbox

    @classmethod
    def from_state(cls, state: DockSandboxSessionState, sandbox: aio.Sandbox) -> "DockSandboxSession":
        return cls(state=state, sandbox=sandbox)

    @property
    def sandbox(self) -> aio.Sandbox:
        """The docksandbox sandbox underneath."""
        return self._sb

    def _absolute(self, path: Union[Path, str]) -> str:
        p = str(path)
        return p if p.startswith("/") else posixpath.join(self.state.manifest.root, p)

    def _check_user(self, user: Union[str, User, None]) -> None:
        if user is not None:
            raise ValueError("a docksandbox session runs as the sandbox's user (the workspace owner); another user is refused")

    def _prepare_exec_command(self, *command: Union[str, Path], shell: Union[bool, list[str]], user: Union[str, User, None]) -> list[str]:
        self._check_user(user)
        return super()._prepare_exec_command(*command, shell=shell, user=None)

    async def _exec_internal(self, *command: Union[str, Path], timeout: Optional[float] = None) -> ExecResult:
        argv = [str(c) for c in command]
        try:
            r = await self._sb.exec(argv, timeout=timeout)
        except docksandbox.ExecTimeoutError as e:
            raise SandboxExecTimeout(command=argv, timeout_s=timeout, cause=e) from e
        except docksandbox.SandboxError as e:
            raise ExecTransportError(command=argv, cause=e) from e
        return ExecResult(stdout=r.stdout_bytes, stderr=r.stderr_bytes, exit_code=r.exit_code)

    async def read(self, path: Path, *, user: Union[str, User, None] = None) -> io.IOBase:
        self._check_user(user)
        p = self._absolute(path)
        if not (await self._sb.exec(["test", "-f", p])).ok:
            raise FileNotFoundError(p)
        return io.BytesIO(await self._sb.read_file(p))

    async def write(self, path: Path, data: io.IOBase, *, user: Union[str, User, None] = None) -> None:
        self._check_user(user)
        p = self._absolute(path)
        content = data.read()
        payload = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        made = await self._sb.exec(["mkdir", "-p", "--", posixpath.dirname(p) or "/"])
        if not made.ok:
            raise PermissionError(made.stderr.strip() or p)
        await self._sb.write_file(p, payload)

    async def running(self) -> bool:
        try:
            return (await self._sb.status) == "running"
        except docksandbox.SandboxNotFoundError:
            return False

    async def persist_workspace(self) -> io.IOBase:
        r = await self._sb.exec(["tar", "-C", self.state.manifest.root, "-cf", "-", "."])
        if not r.ok:
            raise ExecTransportError(command=["tar", "-c"], message=r.stderr.strip() or "tar failed")
        return io.BytesIO(r.stdout_bytes)

    async def hydrate_workspace(self, data: io.IOBase) -> None:
        root = self.state.manifest.root
        r = await self._sb.exec(["sh", "-c", 'mkdir -p -- "$1" && tar -C "$1" -xf -', "sh", root], stdin=bytes(data.read()))
        if not r.ok:
            raise ExecTransportError(command=["tar", "-x"], message=r.stderr.strip() or "tar failed")


class DockSandboxClient(BaseSandboxClient[DockSandboxClientOptions]):
    """A ``BaseSandboxClient`` whose sessions are docksandbox sandboxes (hardened, the
    workspace at the same path, the network policy of :func:`docksandbox.run`)."""

    backend_id = "docksandbox"

    async def create(
        self,
        *,
        snapshot: Union[SnapshotSpec, SnapshotBase, None] = None,
        manifest: Optional[Manifest] = None,
        options: DockSandboxClientOptions,
    ) -> SandboxSession:
        sb = await aio.run(options.workspace, **options.run_kwargs())
        manifest = (manifest if manifest is not None else Manifest()).model_copy(update={"root": sb.workspace})
        self._validate_manifest_for_create(manifest)
        session_id = uuid.uuid4()
        state = DockSandboxSessionState(
            session_id=session_id,
            manifest=manifest,
            snapshot=resolve_snapshot(snapshot, str(session_id)),
            sandbox=sb.name,
            options=options.model_copy(update={"workspace": sb.workspace}),
        )
        return self._wrap_session(DockSandboxSession(state=state, sandbox=sb))

    async def delete(self, session: SandboxSession) -> SandboxSession:
        inner = session._inner
        if not isinstance(inner, DockSandboxSession):
            raise TypeError("DockSandboxClient.delete expects a DockSandboxSession")
        try:
            await inner.sandbox.remove()
        except docksandbox.SandboxNotFoundError:
            pass
        return session

    async def resume(self, state: SandboxSessionState) -> SandboxSession:
        if not isinstance(state, DockSandboxSessionState):
            raise TypeError("DockSandboxClient.resume expects a DockSandboxSessionState")
        try:
            sb = await aio.get(state.sandbox)
        except docksandbox.SandboxNotFoundError:
            sb = await aio.run(state.options.workspace, **state.options.run_kwargs())
            state = state.model_copy(update={"sandbox": sb.name, "workspace_root_ready": False})
        return self._wrap_session(DockSandboxSession(state=state, sandbox=sb))

    def deserialize_session_state(self, payload: dict[str, object]) -> SandboxSessionState:
        return DockSandboxSessionState.model_validate(payload)
