"""How every adapter gets its sandbox: a handle given, one found again by name, or one run."""

from __future__ import annotations

from typing import Any, Optional

import docksandbox


def attach(sandbox: Optional[docksandbox.Sandbox], name: Optional[str], run_options: dict[str, Any]) -> docksandbox.Sandbox:
    """``sandbox`` itself; else the sandbox called ``name`` (raising
    :class:`docksandbox.SandboxNotFoundError` when there is none); else
    ``docksandbox.run(**run_options)`` (agent ``shell`` unless given)."""
    if sandbox is not None:
        if name is not None or run_options:
            raise TypeError("give a sandbox, or a name, or docksandbox.run's options; not several")
        return sandbox
    if name is not None:
        if run_options:
            raise TypeError("give a name or docksandbox.run's options, not both")
        return docksandbox.get(name)
    options = {"agent": "shell", **run_options}
    return docksandbox.run(**options)


async def attach_async(sandbox: Optional[Any], name: Optional[str], run_options: dict[str, Any]) -> Any:
    """As :func:`attach`, with :mod:`docksandbox.aio`."""
    from docksandbox import aio

    if sandbox is not None:
        if name is not None or run_options:
            raise TypeError("give a sandbox, or a name, or docksandbox.run's options; not several")
        return sandbox
    if name is not None:
        if run_options:
            raise TypeError("give a name or docksandbox.run's options, not both")
        return await aio.get(name)
    options = {"agent": "shell", **run_options}
    return await aio.run(**options)


def merged(command: str) -> list[str]:
    """``command`` for the sandbox's shell with stderr joined to stdout, in order."""
    return ["sh", "-c", "exec 2>&1\n" + command]


def cut(data: bytes, limit: int) -> tuple[str, bool]:
    """``data`` as text, at most ``limit`` bytes of it (its head), and whether it was cut."""
    if len(data) <= limit:
        return data.decode("utf-8", "replace"), False
    return data[:limit].decode("utf-8", "ignore"), True
