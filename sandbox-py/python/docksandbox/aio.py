"""The asyncio surface of docksandbox: the same names, as coroutines and async iterators.

    from docksandbox import aio

    sb = await aio.run(".", agent="shell")
    r = await sb.exec(["git", "status"])
    async for chunk in sb.exec_stream(["make", "test"]):
        print(chunk.kind, chunk.text if chunk.kind != "exit" else chunk.exit_code)

    async with aio.run(".", agent="shell") as sb:    # stopped on exit, like the sync one
        ...

The work runs on the library's own threads: the event loop is never blocked, and cancelling
a task abandons its request. Exceptions are the classes of :mod:`docksandbox`.
"""

from __future__ import annotations

import builtins
import datetime
import os
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Generator,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Union,
    cast,
    overload,
)

from . import (
    Data,
    NetworkOptions,
    PoolStatus,
    StrPath,
    _argv,
    _native,
    _paths,
    _pool_request,
    _request,
    _SandboxBase,
    _since,
)
from ._native import Change, ExecChunk, ExecResult, GuardReport, SandboxNotFoundError

__all__ = ["Network", "Pool", "Sandbox", "get", "guard_check", "list", "pool", "run"]


class Network:
    """The network of a ``proxy`` sandbox, with coroutine methods (see
    :class:`docksandbox.Network`)."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Sandbox) -> None:
        self._native = native

    async def allow(self, *hosts: str) -> None:
        """Adds allow rules to the policy in force (an equal deny rule is dropped)."""
        await self._native.network_allow_async(builtins.list(hosts))

    async def deny(self, *hosts: str) -> None:
        """Adds deny rules to the policy in force (an equal allow rule is dropped)."""
        await self._native.network_deny_async(builtins.list(hosts))

    async def policy(self, default: str) -> None:
        """Sets what happens to connections no rule decides: ``"allow"`` or ``"deny"``."""
        await self._native.network_set_default_async(default)

    async def show(self) -> dict[str, Any]:
        """The policy in force, as a dict (see :meth:`docksandbox.Network.show`)."""
        return await self._native.network_show_async()

    @overload
    def log(
        self, follow: Literal[False] = False, denied: bool = False
    ) -> Awaitable[builtins.list[dict[str, Any]]]: ...
    @overload
    def log(self, follow: Literal[True], denied: bool = False) -> AsyncIterator[dict[str, Any]]: ...
    @overload
    def log(
        self, follow: bool = False, denied: bool = False
    ) -> Union[Awaitable[builtins.list[dict[str, Any]]], AsyncIterator[dict[str, Any]]]: ...

    def log(
        self, follow: bool = False, denied: bool = False
    ) -> Union[Awaitable[builtins.list[dict[str, Any]]], AsyncIterator[dict[str, Any]]]:
        """The connection log (see :meth:`docksandbox.Network.log`): an awaitable of the
        entries so far (``await sb.network.log()``); with ``follow``, an async iterator of the
        entries so far and then each new one (``async for e in sb.network.log(follow=True)``),
        opened at the first iteration."""
        if follow:
            return self._follow(denied)
        return self._entries(denied)

    async def _entries(self, denied: bool) -> builtins.list[dict[str, Any]]:
        return await self._native.network_log_async(denied=denied)

    async def _follow(self, denied: bool) -> AsyncIterator[dict[str, Any]]:
        log = await self._native.network_log_stream_async(denied=denied)
        async for entry in log:
            yield entry


class Sandbox(_SandboxBase):
    """One sandbox, with coroutine methods (see :class:`docksandbox.Sandbox`).

    ``async with`` stops it on exit (an ephemeral one is removed), like the sync context
    manager.
    """

    __slots__ = ()

    @property
    def status(self) -> Awaitable[str]:
        """An awaitable of the current status (``await sb.status``)."""
        return self._native.status_async()

    @property
    def network(self) -> Network:
        """The network of a ``proxy`` sandbox, with coroutine methods."""
        return Network(self._native)

    async def exec(
        self,
        cmd: Sequence[str],
        env: Optional[Mapping[str, str]] = None,
        workdir: Optional[str] = None,
        user: Optional[str] = None,
        stdin: Optional[Data] = None,
        timeout: Optional[float] = None,
    ) -> ExecResult:
        """Runs ``cmd`` and captures its output (see :meth:`docksandbox.Sandbox.exec`)."""
        return await self._native.exec_async(
            _argv(cmd), env=env, workdir=workdir, user=user, stdin=stdin, timeout=timeout
        )

    async def exec_stream(
        self,
        cmd: Sequence[str],
        env: Optional[Mapping[str, str]] = None,
        workdir: Optional[str] = None,
        user: Optional[str] = None,
        stdin: Optional[Data] = None,
        timeout: Optional[float] = None,
    ) -> AsyncIterator[ExecChunk]:
        """Runs ``cmd``, yielding its output as it comes: ``"stdout"``/``"stderr"`` chunks,
        then the ``"exit"`` chunk. The command starts at the first iteration."""
        argv = _argv(cmd)
        stream = await self._native.exec_stream_async(
            argv, env=env, workdir=workdir, user=user, stdin=stdin, timeout=timeout
        )
        async for chunk in stream:
            yield chunk

    async def write_file(self, path: str, data: Data) -> None:
        """Writes ``data`` to ``path`` in the sandbox (see :meth:`docksandbox.Sandbox.write_file`)."""
        await self._native.write_file_async(path, data)

    async def read_file(self, path: str) -> bytes:
        """The contents of the file at ``path`` in the sandbox."""
        return await self._native.read_file_async(path)

    async def inspect(self) -> dict[str, Any]:
        """Everything known about the sandbox, as a dict."""
        return await self._native.inspect_async()

    async def diff(self, paths: Optional[Sequence[StrPath]] = None) -> builtins.list[Change]:
        """A review-mode sandbox's changes (see :meth:`docksandbox.Sandbox.diff`)."""
        return await self._native.diff_async(_paths("paths", paths))

    async def diff_text(
        self, paths: Optional[Sequence[StrPath]] = None, stat: bool = False
    ) -> str:
        """Those changes as a unified diff, or with ``stat`` one line each (see
        :meth:`docksandbox.Sandbox.diff_text`)."""
        return await self._native.diff_text_async(_paths("paths", paths), stat=stat)

    async def apply(
        self,
        paths: Optional[Sequence[StrPath]] = None,
        *,
        dry_run: bool = False,
        force: bool = False,
        allow_exec_vectors: bool = False,
    ) -> builtins.list[Change]:
        """Copies the changes onto the host workspace, all or nothing (see
        :meth:`docksandbox.Sandbox.apply`)."""
        return await self._native.apply_async(
            _paths("paths", paths),
            dry_run=dry_run,
            force=force,
            allow_exec_vectors=allow_exec_vectors,
        )

    async def discard(self, paths: Optional[Sequence[StrPath]] = None) -> builtins.list[Change]:
        """Drops the changes (see :meth:`docksandbox.Sandbox.discard`)."""
        return await self._native.discard_async(_paths("paths", paths))

    async def guard_check(self, fix: bool = False) -> GuardReport:
        """The exec vectors new in the workspace since this sandbox was made (see
        :meth:`docksandbox.Sandbox.guard_check`)."""
        return await self._native.guard_check_async(fix=fix)

    async def ports(self) -> builtins.list[dict[str, Any]]:
        """The sandbox's ports published on this host (see :attr:`docksandbox.Sandbox.ports`)."""
        return await self._native.ports_async()

    async def port(self, container_port: int) -> Optional[str]:
        """Where TCP port ``container_port`` is reached from this host, or None."""
        return await self._native.port_async(container_port)

    async def add_port(self, port: Union[str, int]) -> dict[str, Any]:
        """Publishes one more port of the running sandbox (see
        :meth:`docksandbox.Sandbox.add_port`)."""
        return await self._native.add_port_async(str(port))

    async def stats(self) -> dict[str, Any]:
        """What the running sandbox uses now (see :meth:`docksandbox.Sandbox.stats`)."""
        return await self._native.stats_async()

    async def logs(self, since: Union[int, float, datetime.datetime, None] = None) -> str:
        """What detached sessions printed (see :meth:`docksandbox.Sandbox.logs`)."""
        return await self._native.logs_async(_since(since))

    async def save(self, template: str) -> str:
        """Saves the sandbox as a template (see :meth:`docksandbox.Sandbox.save`)."""
        return await self._native.save_async(template)

    async def close(self) -> None:
        """Done with the sandbox: an ephemeral one is removed, any other stopped."""
        await self._native.close_async()

    async def stop(self) -> None:
        """Stops the sandbox; :func:`run` starts it again."""
        await self._native.stop_async()

    async def remove(self, delete_branch: bool = False, force: bool = False) -> None:
        """Removes the sandbox, running or not (see :meth:`docksandbox.Sandbox.remove`)."""
        await self._native.remove_async(delete_branch, force)

    async def branch_status(self) -> dict[str, Any]:
        """A branch sandbox's branch (see :meth:`docksandbox.Sandbox.branch_status`)."""
        return await self._native.branch_status_async()

    async def branch_diff(self, stat: bool = False) -> str:
        """A branch sandbox's changes against its base (see
        :meth:`docksandbox.Sandbox.branch_diff`)."""
        return await self._native.branch_diff_async(stat)

    async def branch_log(self) -> str:
        """A branch sandbox's commits that its base does not have."""
        return await self._native.branch_log_async()

    async def merge(self, squash: bool = False, into: Optional[str] = None) -> dict[str, Any]:
        """Merges a branch sandbox's branch (see :meth:`docksandbox.Sandbox.merge`)."""
        return await self._native.merge_async(squash, into)

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self._native.close_async()
        except SandboxNotFoundError:
            pass  # removed inside the block

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sandbox) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class _Starting:
    """What :func:`run` returns: awaitable (``sb = await aio.run(...)``) and an async context
    manager (``async with aio.run(...) as sb``)."""

    __slots__ = ("_request", "_sandbox")

    def __init__(self, request: dict[str, Any]) -> None:
        self._request = request
        self._sandbox: Optional[Sandbox] = None

    async def _start(self) -> Sandbox:
        return Sandbox(await _native.run_async(self._request))

    def __await__(self) -> Generator[Any, None, Sandbox]:
        return self._start().__await__()

    async def __aenter__(self) -> Sandbox:
        self._sandbox = await self._start()
        return self._sandbox

    async def __aexit__(self, *exc_info: object) -> None:
        if self._sandbox is not None:
            await self._sandbox.__aexit__(*exc_info)


def run(
    workspace: StrPath = ".",
    agent: str = "claude",
    *,
    template: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    volumes: Optional[Sequence[str]] = None,
    credentials: Optional[str] = None,
    mount_docker_socket: Optional[bool] = None,
    docker: Optional[Literal["none", "scoped", "host"]] = None,
    name: Optional[str] = None,
    recreate: bool = False,
    cpus: Optional[float] = None,
    memory: Union[int, str, None] = None,
    network: Union[str, NetworkOptions, None] = None,
    labels: Optional[Mapping[str, str]] = None,
    command: Optional[Sequence[str]] = None,
    pids_limit: Optional[int] = None,
    ca_bundle: Optional[StrPath] = None,
    share_agent_config: Optional[bool] = None,
    allow_hosts: Optional[Sequence[str]] = None,
    deny_hosts: Optional[Sequence[str]] = None,
    network_policy: Optional[str] = None,
    allow_presets: Optional[Sequence[str]] = None,
    add_hosts: Optional[Sequence[str]] = None,
    git_guard: Optional[bool] = None,
    workspace_mode: Optional[str] = None,
    writable: Optional[Sequence[StrPath]] = None,
    secrets: Optional[Mapping[str, Sequence[str]]] = None,
    secret_files: Optional[Mapping[str, StrPath]] = None,
    secret_mode: Optional[Literal["proxy", "env"]] = None,
    ports: Optional[Sequence[Union[str, int]]] = None,
    ephemeral: Optional[bool] = None,
    ttl: Union[str, int, float, datetime.timedelta, None] = None,
    idle_stop: Union[str, int, float, datetime.timedelta, None] = None,
    branch: Optional[str] = None,
    branch_from: Optional[str] = None,
) -> _Starting:
    """Creates or reuses the sandbox (arguments as for :func:`docksandbox.run`). Await it, or
    use it with ``async with``."""
    return _Starting(
        _request(
            workspace,
            agent,
            template=template,
            env=env,
            volumes=volumes,
            credentials=credentials,
            mount_docker_socket=mount_docker_socket,
            docker=docker,
            name=name,
            recreate=recreate,
            cpus=cpus,
            memory=memory,
            network=network,
            labels=labels,
            command=command,
            pids_limit=pids_limit,
            ca_bundle=ca_bundle,
            share_agent_config=share_agent_config,
            allow_hosts=allow_hosts,
            deny_hosts=deny_hosts,
            network_policy=network_policy,
            allow_presets=allow_presets,
            add_hosts=add_hosts,
            git_guard=git_guard,
            workspace_mode=workspace_mode,
            writable=writable,
            secrets=secrets,
            secret_files=secret_files,
            secret_mode=secret_mode,
            ports=ports,
            ephemeral=ephemeral,
            ttl=ttl,
            idle_stop=idle_stop,
            branch=branch,
            branch_from=branch_from,
        )
    )


class Pool:
    """A warm pool with coroutine methods (see :class:`docksandbox.Pool`); ``async with``
    closes it on exit, and ``async with await pool.take() as sb`` removes ``sb``."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Pool) -> None:
        self._native = native

    @property
    def name(self) -> str:
        """The pool's name."""
        return self._native.name

    @property
    def status(self) -> PoolStatus:
        """How many members are ready, starting and taken (no engine call, so not awaited)."""
        return cast(PoolStatus, self._native.status())

    async def take(self) -> Sandbox:
        """A running member for this caller alone (see :meth:`docksandbox.Pool.take`)."""
        return Sandbox(await self._native.take_async())

    async def wait_ready(self) -> None:
        """Waits until ``size`` members are ready."""
        await self._native.wait_ready_async()

    async def close(self) -> None:
        """Removes every member, ready, handed out or still starting."""
        await self._native.close_async()

    async def __aenter__(self) -> Pool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Pool(name={self.name!r}, status={self.status!r})"


class _PoolStarting:
    """What :func:`pool` returns: awaitable, and an async context manager that closes it."""

    __slots__ = ("_request", "_size", "_pool")

    def __init__(self, request: dict[str, Any], size: int) -> None:
        self._request = request
        self._size = size
        self._pool: Optional[Pool] = None

    async def _start(self) -> Pool:
        return Pool(await _native.pool_async(self._request, self._size))

    def __await__(self) -> Generator[Any, None, Pool]:
        return self._start().__await__()

    async def __aenter__(self) -> Pool:
        self._pool = await self._start()
        return self._pool

    async def __aexit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            await self._pool.close()


def pool(
    template: Optional[str] = None,
    size: int = 4,
    *,
    agent: str = "shell",
    name: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    cpus: Optional[float] = None,
    memory: Union[int, str, None] = None,
    pids_limit: Optional[int] = None,
    network: Union[str, NetworkOptions, None] = None,
    allow_hosts: Optional[Sequence[str]] = None,
    deny_hosts: Optional[Sequence[str]] = None,
    network_policy: Optional[str] = None,
    allow_presets: Optional[Sequence[str]] = None,
    add_hosts: Optional[Sequence[str]] = None,
    labels: Optional[Mapping[str, str]] = None,
    command: Optional[Sequence[str]] = None,
    ca_bundle: Optional[StrPath] = None,
    secrets: Optional[Mapping[str, Sequence[str]]] = None,
    secret_files: Optional[Mapping[str, StrPath]] = None,
    secret_mode: Optional[Literal["proxy", "env"]] = None,
) -> _PoolStarting:
    """Starts a warm pool (arguments as for :func:`docksandbox.pool`). Await it
    (``p = await aio.pool(...)``) or use it with ``async with``."""
    return _PoolStarting(
        _pool_request(
            agent=agent,
            template=template,
            env=env,
            volumes=None,
            credentials=None,
            mount_docker_socket=None,
            docker=None,
            name=name,
            recreate=False,
            cpus=cpus,
            memory=memory,
            network=network,
            labels=labels,
            command=command,
            pids_limit=pids_limit,
            ca_bundle=ca_bundle,
            allow_hosts=allow_hosts,
            deny_hosts=deny_hosts,
            network_policy=network_policy,
            allow_presets=allow_presets,
            add_hosts=add_hosts,
            secrets=secrets,
            secret_files=secret_files,
            secret_mode=secret_mode,
        ),
        size,
    )


async def list() -> builtins.list[Sandbox]:  # noqa: A001 - the API's name
    """Every docksandbox sandbox on the engine, newest first."""
    return [Sandbox(s) for s in await _native.list_async()]


async def guard_check(workspace: StrPath = ".", fix: bool = False) -> GuardReport:
    """The exec vectors new in ``workspace`` since its oldest sandbox was made (see
    :func:`docksandbox.guard_check`)."""
    return await _native.guard_check_async(os.fspath(workspace), fix=fix)


async def get(name_or_id: str) -> Sandbox:
    """The sandbox called ``name_or_id`` (name, id or unique id prefix)."""
    return Sandbox(await _native.get_async(name_or_id))
