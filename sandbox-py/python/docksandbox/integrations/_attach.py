"""How every adapter gets its sandbox: a handle given, one found again by name, or one run."""

from __future__ import annotations

from typing import Any, Optional

import docksandbox


def _one_of(sandbox: Optional[Any], name: Optional[str], run_options: dict[str, Any]) -> None:
    """Refuses more than one of: a sandbox, a name, run options."""
    if sum((sandbox is not None, name is not None, bool(run_options))) > 1:
        raise TypeError("give a sandbox, or a name, or docksandbox.run's options; not several")


def attach(sandbox: Optional[docksandbox.Sandbox], name: Optional[str], run_options: dict[str, Any]) -> docksandbox.Sandbox:
    """``sandbox`` itself; else the sandbox called ``name`` (raising
    :class:`docksandbox.SandboxNotFoundError` when there is none); else
    ``docksandbox.run(**run_options)`` (agent ``shell`` unless given)."""
    _one_of(sandbox, name, run_options)
    if sandbox is not None:
        return sandbox
    if name is not None:
        return docksandbox.get(name)
    return docksandbox.run(**{"agent": "shell", **run_options})


async def attach_async(sandbox: Optional[Any], name: Optional[str], run_options: dict[str, Any]) -> Any:
    """As :func:`attach`, with :mod:`docksandbox.aio`."""
    from docksandbox import aio

    _one_of(sandbox, name, run_options)
    if sandbox is not None:
        return sandbox
    if name is not None:
        return await aio.get(name)
    return await aio.run(**{"agent": "shell", **run_options})


def merged(command: str) -> list[str]:
    """``command`` for the sandbox's shell with stderr joined to stdout, in order."""
    return ["sh", "-c", "exec 2>&1\n" + command]


def cut(data: bytes, limit: int) -> tuple[str, bool]:
    """``data`` as text, at most ``limit`` bytes of it (its head), and whether it was cut."""
    if len(data) <= limit:
        return data.decode("utf-8", "replace"), False
    return data[:limit].decode("utf-8", "ignore"), True
