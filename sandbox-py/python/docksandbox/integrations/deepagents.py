"""A Deep Agents sandbox backend on a docksandbox sandbox.

    from deepagents import create_deep_agent
    from docksandbox.integrations.deepagents import DockSandboxBackend

    backend = DockSandboxBackend(workspace=".", template="docksandbox/base:latest")
    agent = create_deep_agent(model=..., backend=backend)

The agent's ``execute`` runs in the sandbox's shell (stdout and stderr joined, as the protocol
wants), its files are the sandbox's (the workspace at the same absolute path), and ls, read,
edit, grep and glob come from ``BaseSandbox`` on top of ``execute``. Needs ``deepagents``
(``pip install "docksandbox[deepagents]"``).
"""

from __future__ import annotations

import posixpath
from typing import Any, Optional

try:
    from deepagents.backends.protocol import ExecuteResponse, FileDownloadResponse, FileUploadResponse
    from deepagents.backends.sandbox import BaseSandbox
except ImportError as _missing:  # pragma: no cover - the extra's absence is tested in a subprocess
    raise ImportError(f'docksandbox.integrations.deepagents needs deepagents: pip install "docksandbox[deepagents]" ({_missing})') from _missing

import docksandbox

from ._attach import attach, cut, merged

__all__ = ["DockSandboxBackend"]


class DockSandboxBackend(BaseSandbox):
    """A ``deepagents`` ``BaseSandbox`` whose commands and files are a docksandbox sandbox's.

    - ``sandbox``: an existing :class:`docksandbox.Sandbox`; or ``name``: the name of one (to
      resume); or any of :func:`docksandbox.run`'s keyword arguments (``workspace``,
      ``template``, ``network``, ``memory``… ; agent ``shell`` unless given).
    - ``timeout``: seconds a command may run when the caller gives none (default 120);
      ``max_output``: bytes of output kept (default 100 000; ``truncated`` says when cut).
    """

    def __init__(
        self,
        sandbox: Optional[docksandbox.Sandbox] = None,
        *,
        name: Optional[str] = None,
        timeout: float = 120,
        max_output: int = 100_000,
        **run_options: Any,
    ) -> None:
        self.sandbox = attach(sandbox, name, run_options)
        self._timeout = timeout
        self._max_output = max_output

    @property
    def id(self) -> str:
        """The sandbox's name: ``DockSandboxBackend(name=...)`` finds it again."""
        return self.sandbox.name

    def execute(self, command: str, *, timeout: Optional[int] = None) -> ExecuteResponse:
        """Runs ``command`` in the sandbox's shell, in the workspace; a command past its
        timeout is killed and reported with exit code 124 and what it printed."""
        limit = float(timeout) if timeout is not None else self._timeout
        try:
            r = self.sandbox.exec(merged(command), timeout=limit)
        except docksandbox.ExecTimeoutError as e:
            output, truncated = cut(bytes(e.stdout), self._max_output)
            return ExecuteResponse(
                output=f"{output}\n[killed: the command ran past its {limit:g} s timeout]",
                exit_code=124,
                truncated=truncated,
            )
        output, truncated = cut(r.stdout_bytes, self._max_output)
        return ExecuteResponse(output=output, exit_code=r.exit_code, truncated=truncated)

    def upload_files(self, files: list[tuple[str, bytes]]) -> list[FileUploadResponse]:
        """Writes each file (its directory made first); a failure is that file's ``error``."""
        out = []
        for path, content in files:
            out.append(FileUploadResponse(path=path, error=self._upload(path, content)))
        return out

    def _upload(self, path: str, content: bytes) -> Optional[str]:
        if not path or "\0" in path:
            return "invalid_path"
        parent = posixpath.dirname(path) or "."
        made = self.sandbox.exec(["mkdir", "-p", "--", parent])
        if not made.ok:
            return "permission_denied" if "ermission" in made.stderr else made.stderr.strip() or "invalid_path"
        if self._kind(path) == "directory":
            return "is_directory"
        try:
            self.sandbox.write_file(path, content)
        except docksandbox.SandboxError as e:
            return str(e)
        return None

    def download_files(self, paths: list[str]) -> list[FileDownloadResponse]:
        """Reads each file; a missing one is ``file_not_found``, a directory ``is_directory``."""
        out = []
        for path in paths:
            if not path or "\0" in path:
                out.append(FileDownloadResponse(path=path, content=None, error="invalid_path"))
                continue
            kind = self._kind(path)
            if kind != "file":
                error = {"missing": "file_not_found", "directory": "is_directory"}.get(kind, "permission_denied")
                out.append(FileDownloadResponse(path=path, content=None, error=error))
                continue
            try:
                out.append(FileDownloadResponse(path=path, content=self.sandbox.read_file(path), error=None))
            except docksandbox.SandboxError as e:
                out.append(FileDownloadResponse(path=path, content=None, error=str(e)))
        return out

    def _kind(self, path: str) -> str:
        """``file``, ``directory``, ``missing`` or ``unreadable``, as the sandbox's user sees it."""
        probe = self.sandbox.exec(["sh", "-c", 'if [ -d "$1" ]; then echo directory; elif [ ! -e "$1" ]; then echo missing; elif [ -r "$1" ]; then echo file; else echo unreadable; fi', "sh", path])
        return probe.stdout.strip()
