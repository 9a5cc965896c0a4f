"""A pydantic-ai workspace on a docksandbox sandbox (pydantic-ai-slim 2.78, whose
``pydantic_ai.workspaces`` protocols this implements).

    from pydantic_ai import Agent
    from docksandbox.integrations.pydantic_ai import DockSandbox

    agent = Agent("anthropic:claude-sonnet-4-5", capabilities=[DockSandbox(workspace=".")])

``DockSandbox`` is the capability (``Agent(capabilities=[...])``); ``DockSandboxWorkspace`` the
``WorkspaceBackend`` with ``SupportsCommands``, ``SupportsFilesystem`` and
``SupportsRunInDirectory``, on :mod:`docksandbox.aio`. As the protocol wants, building one does
no I/O: the first operation runs the sandbox (or attaches to the one its ``WorkspaceRef`` names,
provider ``docksandbox``, id = the sandbox's name) and nothing here removes it. Needs
``pydantic-ai-slim`` (``pip install "docksandbox[pydantic-ai]"``).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Optional

try:
    from pydantic_ai._run_context import AgentDepsT, RunContext
    from pydantic_ai.capabilities import AbstractCapability
    from pydantic_ai.workspaces import (
        CommandResult,
        FileEntry,
        WorkspaceBackend,
        WorkspaceCommand,
        WorkspaceRef,
        WorkspaceTimeoutError,
        WorkspaceUnavailableError,
    )
except ImportError as _missing:  # pragma: no cover - the extra's absence is tested in a subprocess
    raise ImportError(f'docksandbox.integrations.pydantic_ai needs pydantic-ai-slim: pip install "docksandbox[pydantic-ai]" ({_missing})') from _missing

import docksandbox
from docksandbox import aio

from ._attach import attach_async

__all__ = ["PROVIDER", "DockSandbox", "DockSandboxWorkspace"]

#: The ``WorkspaceRef.provider`` of docksandbox's workspaces.
PROVIDER = "docksandbox"

_PROBE = 'if [ -L "$1" ] && [ ! -e "$1" ]; then echo broken; elif [ -d "$1" ]; then echo dir; elif [ -e "$1" ]; then echo file; else echo missing; fi; stat -L -c %s "$1" 2>/dev/null || echo 0'


class DockSandboxWorkspace:
    """A pydantic-ai ``WorkspaceBackend`` whose commands and files are a docksandbox sandbox's.

    Give ``sandbox`` (an :class:`docksandbox.aio.Sandbox`), or ``ref`` (a ``WorkspaceRef`` of
    provider ``docksandbox``: attach to that sandbox, or raise ``WorkspaceUnavailableError``
    when it is gone), or :func:`docksandbox.aio.run`'s keyword arguments (agent ``shell``
    unless given) for a new one.
    """

    def __init__(self, sandbox: Optional[aio.Sandbox] = None, *, ref: Optional[WorkspaceRef] = None, **run_options: Any) -> None:
        if ref is not None and ref.provider != PROVIDER:
            raise ValueError(f"a WorkspaceRef of provider {ref.provider!r} is not docksandbox's")
        self._sandbox = sandbox
        self._ref = ref if ref is not None else (WorkspaceRef(provider=PROVIDER, id=sandbox.name) if sandbox else None)
        self._options = run_options
        self._lock = asyncio.Lock()

    @property
    def ref(self) -> Optional[WorkspaceRef]:
        """``None`` until the sandbox is made; then its name, for good."""
        return self._ref

    async def sandbox(self) -> aio.Sandbox:
        """The sandbox, made or attached to on first use (once, under concurrent callers)."""
        if self._sandbox is not None:
            return self._sandbox
        async with self._lock:
            if self._sandbox is None:
                if self._ref is not None:
                    try:
                        self._sandbox = await aio.get(self._ref.id)
                    except docksandbox.SandboxNotFoundError as e:
                        raise WorkspaceUnavailableError(f"the sandbox {self._ref.id} is gone: {e}") from e
                else:
                    sb = await attach_async(None, None, self._options)
                    self._ref = WorkspaceRef(provider=PROVIDER, id=sb.name)
                    self._sandbox = sb
        return self._sandbox

    async def working_dir(self) -> str:
        """The workspace: the same absolute path inside as on the host."""
        return (await self.sandbox()).workspace

    async def run(self, command: WorkspaceCommand, *, shell: bool = False, env: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None) -> CommandResult:
        """Runs ``command`` (argv, or a shell string with ``shell=True``) in the workspace."""
        return await self._run(command, shell=shell, env=env, timeout=timeout, cwd=None)

    async def run_in_directory(self, command: WorkspaceCommand, *, cwd: str, shell: bool = False, env: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None) -> CommandResult:
        """As :meth:`run`, started in ``cwd``."""
        return await self._run(command, shell=shell, env=env, timeout=timeout, cwd=cwd)

    async def _run(self, command: WorkspaceCommand, *, shell: bool, env: Optional[Mapping[str, str]], timeout: Optional[float], cwd: Optional[str]) -> CommandResult:
        if shell != isinstance(command, str):
            raise TypeError("a shell command is a string (shell=True); an argv is a sequence of strings (shell=False)")
        argv = ["sh", "-c", command] if isinstance(command, str) else list(command)
        if not argv:
            raise ValueError("an empty argv")
        sb = await self.sandbox()
        try:
            r = await sb.exec(argv, env=env, workdir=cwd, timeout=timeout)
        except docksandbox.ExecTimeoutError as e:
            raise WorkspaceTimeoutError(
                f"the command ran past its {timeout} s timeout and was killed",
                stdout=bytes(e.stdout).decode("utf-8", "replace"),
                stderr=bytes(e.stderr).decode("utf-8", "replace"),
            ) from e
        except docksandbox.SandboxNotFoundError as e:
            raise WorkspaceUnavailableError(str(e)) from e
        return CommandResult(exit_code=r.exit_code, stdout=r.stdout, stderr=r.stderr)

    async def _probe(self, path: str) -> tuple[str, int]:
        r = await (await self.sandbox()).exec(["sh", "-c", _PROBE, "sh", path])
        kind, size = (r.stdout.split() + ["missing", "0"])[:2]
        return kind, int(size) if size.isdigit() else 0

    async def read_bytes(self, path: str) -> bytes:
        """The file's bytes (``FileNotFoundError``, ``IsADirectoryError``)."""
        kind, _ = await self._probe(path)
        if kind in ("missing", "broken"):
            raise FileNotFoundError(path)
        if kind == "dir":
            raise IsADirectoryError(path)
        return await (await self.sandbox()).read_file(path)

    async def write_bytes(self, path: str, data: bytes) -> None:
        """Writes the file, making its parents."""
        if (await self._probe(path))[0] == "dir":
            raise IsADirectoryError(path)
        await self.make_dir(posixpath.dirname(path) or "/")
        await (await self.sandbox()).write_file(path, data)

    async def stat(self, path: str) -> FileEntry:
        """The entry's name, kind and size (``FileNotFoundError``)."""
        kind, size = await self._probe(path)
        if kind in ("missing", "broken"):
            raise FileNotFoundError(path)
        return FileEntry(name=posixpath.basename(path.rstrip("/")) or "/", path=path, is_dir=kind == "dir", size=None if kind == "dir" else size)

    async def list_dir(self, path: str) -> Sequence[FileEntry]:
        """The directory's entries, sorted by name."""
        kind, _ = await self._probe(path)
        if kind in ("missing", "broken"):
            raise FileNotFoundError(path)
        if kind != "dir":
            raise NotADirectoryError(path)
        r = await (await self.sandbox()).exec(["find", path, "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\\t%Y\\t%s\\n"])
        if not r.ok:
            raise PermissionError(r.stderr.strip() or path)
        entries = []
        for line in sorted(r.stdout.splitlines()):
            name, t, size = line.split("\t")
            entries.append(FileEntry(name=name, path=posixpath.join(path, name), is_dir=t == "d", size=None if t == "d" else int(size)))
        return entries

    async def make_dir(self, path: str) -> None:
        """``mkdir -p``."""
        r = await (await self.sandbox()).exec(["mkdir", "-p", "--", path])
        if not r.ok:
            raise (FileExistsError if "File exists" in r.stderr else PermissionError)(r.stderr.strip())

    async def remove(self, path: str) -> None:
        """Removes a file, or a directory and its contents; never the workspace or above it."""
        here = await self.working_dir()
        target = posixpath.normpath(path)
        if here == target or here.startswith(target.rstrip("/") + "/") or target == "/":
            raise ValueError(f"refusing to remove {path}: the working directory or one of its ancestors")
        if (await self._probe(path))[0] == "missing":
            raise FileNotFoundError(path)
        r = await (await self.sandbox()).exec(["rm", "-rf", "--", path])
        if not r.ok:
            raise PermissionError(r.stderr.strip())

    async def exists(self, path: str) -> bool:
        """Whether a file or directory is there."""
        return (await self._probe(path))[0] in ("file", "dir")


@dataclass
class DockSandbox(AbstractCapability[AgentDepsT]):
    """Gives runs a workspace in a docksandbox sandbox: ``Agent(capabilities=[DockSandbox(workspace=".")])``.

    ``options`` are :func:`docksandbox.aio.run`'s keyword arguments (``workspace``,
    ``template``, ``network``, ``memory``…). A run continuing from a ``WorkspaceRef`` of provider
    ``docksandbox`` attaches to that sandbox; a ref of another provider is left to other
    capabilities.
    """

    workspace: str = "."
    _: KW_ONLY
    options: dict[str, Any] = field(default_factory=dict)
    id: Optional[str] = "docksandbox_workspace"

    def get_workspace(self, ctx: RunContext[AgentDepsT], *, ref: Optional[WorkspaceRef]) -> Optional[WorkspaceBackend]:
        if ref is not None:
            return DockSandboxWorkspace(ref=ref) if ref.provider == PROVIDER else None
        return DockSandboxWorkspace(workspace=self.workspace, **self.options)
