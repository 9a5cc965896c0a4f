"""An E2B look-alike on the local engine: code written for E2B's ``Sandbox`` runs on docksandbox
by changing one import.

    from docksandbox.e2b import Sandbox        # was: from e2b import Sandbox

    with Sandbox.create() as sandbox:
        result = sandbox.commands.run("echo hello")
        print(result.stdout)
        sandbox.files.write("/home/user/hello.txt", "hi")
        print(sandbox.files.read("/home/user/hello.txt"))

What is here: ``Sandbox.create(template=, timeout=, envs=, allow_internet_access=, metadata=)``
(a new sandbox on a fresh temporary workspace, removed at ``kill()``, after ``timeout`` seconds,
or when this process ends), ``Sandbox.connect(sandbox_id)``, ``sandbox_id``,
``commands.run(cmd, envs=, cwd=, timeout=, on_stdout=, on_stderr=)`` returning a
``CommandResult`` and raising ``CommandExitException`` on a non-zero exit as E2B does,
``files.read(path, format="text"|"bytes")``, ``files.write(path, str|bytes|IO)`` (parent
directories made), ``files.list``, ``files.exists``, ``files.make_dir``, ``files.remove``,
``kill()``, ``is_running()``, ``set_timeout()``, and the context manager. Not here: background
commands and PTYs, ``get_host`` (use ``docksandbox port``), snapshots and pause/resume,
``beta_`` APIs, E2B's cloud templates (``template`` is a local image, default
``docksandbox/base:latest``), the code interpreter's ``run_code``. Everything else is the
docksandbox sandbox underneath: ``sandbox.docksandbox``.
"""

from __future__ import annotations

import builtins
import posixpath
import shutil
import tempfile
from dataclasses import dataclass
from typing import IO, Any, Callable, Literal, Mapping, Optional, Union, overload

import docksandbox

__all__ = [
    "CommandExitException",
    "CommandResult",
    "EntryInfo",
    "Sandbox",
    "SandboxException",
    "TimeoutException",
    "WriteInfo",
]

#: E2B's default template's image here.
DEFAULT_TEMPLATE = "docksandbox/base:latest"
#: E2B's sandbox user's home, made on first use so that E2B's paths work.
HOME = "/home/user"


class SandboxException(Exception):
    """Base of this module's exceptions (E2B's name)."""


class TimeoutException(SandboxException):
    """A command ran past its timeout and was killed."""


@dataclass
class CommandResult:
    """A finished command (E2B's shape)."""

    stdout: str
    stderr: str
    exit_code: int
    error: Optional[str] = None


class CommandExitException(SandboxException, CommandResult):
    """``commands.run`` of a command that exited non-zero (E2B raises this too)."""

    def __init__(self, stdout: str, stderr: str, exit_code: int, error: Optional[str] = None) -> None:
        CommandResult.__init__(self, stdout, stderr, exit_code, error)
        SandboxException.__init__(self, f"command exited with code {exit_code} and error:\n{stderr}")


@dataclass
class WriteInfo:
    """What ``files.write`` wrote."""

    name: str
    path: str
    type: str = "file"


@dataclass
class EntryInfo:
    """An entry of ``files.list``."""

    name: str
    path: str
    type: str
    size: int


class Commands:
    """``sandbox.commands``."""

    def __init__(self, sb: docksandbox.Sandbox) -> None:
        self._sb = sb

    def run(
        self,
        cmd: str,
        envs: Optional[Mapping[str, str]] = None,
        cwd: Optional[str] = None,
        timeout: Optional[float] = 60,
        on_stdout: Optional[Callable[[str], None]] = None,
        on_stderr: Optional[Callable[[str], None]] = None,
        background: bool = False,
        user: Optional[str] = None,
        **_ignored: Any,
    ) -> CommandResult:
        """Runs ``cmd`` with the sandbox's shell; raises :class:`CommandExitException` when it
        exits non-zero and :class:`TimeoutException` past ``timeout`` seconds (``0``/``None``:
        no limit)."""
        if background:
            raise SandboxException("background commands are not supported by docksandbox.e2b")
        argv = ["sh", "-c", cmd]
        limit = timeout or None
        try:
            if on_stdout is None and on_stderr is None:
                r = self._sb.exec(argv, env=envs, workdir=cwd, timeout=limit)
                out, err, code = r.stdout, r.stderr, r.exit_code
            else:
                outs: builtins.list[str] = []
                errs: builtins.list[str] = []
                code = -1
                stream = self._sb.exec_stream(argv, env=envs, workdir=cwd, timeout=limit)
                for chunk in stream:
                    if chunk.kind == "stdout":
                        outs.append(chunk.text)
                        if on_stdout:
                            on_stdout(chunk.text)
                    elif chunk.kind == "stderr":
                        errs.append(chunk.text)
                        if on_stderr:
                            on_stderr(chunk.text)
                    elif chunk.exit_code is not None:
                        code = chunk.exit_code
                out, err = "".join(outs), "".join(errs)
        except docksandbox.ExecTimeoutError as e:
            raise TimeoutException(f"the command ran past its {timeout} s timeout and was killed") from e
        if code != 0:
            raise CommandExitException(out, err, code, err or None)
        return CommandResult(out, err, code)


class Files:
    """``sandbox.files``."""

    def __init__(self, sb: docksandbox.Sandbox) -> None:
        self._sb = sb

    @overload
    def read(self, path: str, format: Literal["text"] = "text", **_: Any) -> str: ...
    @overload
    def read(self, path: str, format: Literal["bytes"], **_: Any) -> bytearray: ...

    def read(self, path: str, format: str = "text", **_: Any) -> Union[str, bytearray]:
        """The file's content: text (UTF-8) or ``format="bytes"``."""
        data = self._sb.read_file(path)
        return bytearray(data) if format == "bytes" else data.decode("utf-8", "replace")

    def write(self, path: str, data: Union[str, bytes, IO[Any]], **_: Any) -> WriteInfo:
        """Writes the file, making its parent directories."""
        content = data if isinstance(data, (str, bytes)) else data.read()
        self.make_dir(posixpath.dirname(path) or ".")
        self._sb.write_file(path, content)
        return WriteInfo(name=posixpath.basename(path), path=path)

    def list(self, path: str, **_: Any) -> builtins.list[EntryInfo]:
        """The directory's entries."""
        r = self._sb.exec(["find", path, "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\\t%y\\t%s\\n"])
        if not r.ok:
            raise SandboxException(r.stderr.strip())
        out = []
        for line in r.stdout.splitlines():
            name, kind, size = line.split("\t")
            out.append(EntryInfo(name, posixpath.join(path, name), "dir" if kind == "d" else "file", int(size)))
        return out

    def exists(self, path: str, **_: Any) -> bool:
        """Whether the path exists."""
        return self._sb.exec(["test", "-e", path]).ok

    def make_dir(self, path: str, **_: Any) -> bool:
        """Makes the directory and its parents (owned by the sandbox's user); ``False`` when it
        was there."""
        if self.exists(path):
            return False
        if not self._sb.exec(["mkdir", "-p", "--", path]).ok:
            # Outside the user's reach (E2B's /home/user): made by root, given to the user.
            owner = self._sb.exec(["id", "-u"]).stdout.strip() + ":" + self._sb.exec(["id", "-g"]).stdout.strip()
            r = self._sb.exec(["sh", "-c", 'mkdir -p -- "$1" && chown "$2" -- "$1"', "sh", path, owner], user="root")
            if not r.ok:
                raise SandboxException(r.stderr.strip())
        return True

    def remove(self, path: str, **_: Any) -> None:
        """Removes the file or directory."""
        r = self._sb.exec(["rm", "-rf", "--", path])
        if not r.ok:
            raise SandboxException(r.stderr.strip())


class Sandbox:
    """An E2B-shaped sandbox. Make one with :meth:`create` (or ``Sandbox()``, as E2B's older
    releases did), find one again with :meth:`connect`."""

    def __init__(
        self,
        template: Optional[str] = None,
        timeout: Optional[int] = 300,
        envs: Optional[Mapping[str, str]] = None,
        allow_internet_access: bool = True,
        metadata: Optional[Mapping[str, str]] = None,
        *,
        _sandbox: Optional[docksandbox.Sandbox] = None,
        **_ignored: Any,
    ) -> None:
        self._workspace: Optional[str] = None
        if _sandbox is None:
            workspace = self._workspace = tempfile.mkdtemp(prefix="docksandbox-e2b-")
            labels = {f"e2b.metadata.{k}": v for k, v in (metadata or {}).items()}
            _sandbox = docksandbox.run(
                workspace,
                agent="shell",
                template=template or DEFAULT_TEMPLATE,
                env=envs,
                network=None if allow_internet_access else "none",
                labels=labels or None,
                ephemeral=True,
                ttl=timeout or None,
            )
        self.docksandbox = _sandbox
        self.commands = Commands(_sandbox)
        self.files = Files(_sandbox)
        if not self.files.exists(HOME):
            self.files.make_dir(HOME)

    @classmethod
    def create(cls, template: Optional[str] = None, timeout: Optional[int] = 300, **options: Any) -> "Sandbox":
        """A new sandbox (E2B's ``Sandbox.create``)."""
        return cls(template, timeout, **options)

    @classmethod
    def connect(cls, sandbox_id: str, **_: Any) -> "Sandbox":
        """The sandbox ``sandbox_id`` names (its docksandbox name or id)."""
        return cls(_sandbox=docksandbox.get(sandbox_id))

    @property
    def sandbox_id(self) -> str:
        """The sandbox's name (what :meth:`connect` takes)."""
        return self.docksandbox.name

    def is_running(self, **_: Any) -> bool:
        """Whether the sandbox runs."""
        try:
            return self.docksandbox.status == "running"
        except docksandbox.SandboxNotFoundError:
            return False

    def set_timeout(self, timeout: int, **_: Any) -> None:
        """Not supported here: a sandbox's lifetime is fixed at create."""
        raise SandboxException("docksandbox.e2b cannot change a running sandbox's timeout; create it with the one you need")

    def kill(self, **_: Any) -> bool:
        """Removes the sandbox (and the temporary workspace :meth:`create` made); ``False``
        when it was gone already."""
        try:
            self.docksandbox.remove()
        except docksandbox.SandboxNotFoundError:
            return False
        finally:
            if self._workspace is not None:
                shutil.rmtree(self._workspace, ignore_errors=True)
        return True

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
