"""Run AI coding agents in isolated Docker containers, with the project mounted at the same
absolute path.

    import docksandbox

    with docksandbox.run(".", agent="shell") as sb:     # create-or-reuse; running
        r = sb.exec(["git", "status"])
        print(r.exit_code, r.stdout)

One sandbox per (workspace, agent): ``run`` reuses it (and starts it if stopped), and fails with
:class:`ConfigChangedError` when asked for other settings than it was created with, unless
``recreate=True``. Every call releases the GIL while it waits and can be interrupted with
Ctrl-C; :mod:`docksandbox.aio` has the same surface as coroutines.

This package is a thin layer over the Rust library: every rule and default lives there.
"""

from __future__ import annotations

import builtins
import datetime
import os
from typing import Any, Literal, Mapping, Optional, Sequence, TypedDict, Union, cast, overload

from . import _native
from ._native import (
    Change,
    ConfigChangedError,
    DockerUnavailableError,
    ExecChunk,
    ExecResult,
    ExecStream,
    ExecTimeoutError,
    ExecVector,
    GuardReport,
    ImageError,
    InvalidSpecError,
    NetworkLog,
    SandboxError,
    SandboxNotFoundError,
)

__version__: str = _native.__version__

__all__ = [
    "Change",
    "ConfigChangedError",
    "DockerUnavailableError",
    "ExecChunk",
    "ExecResult",
    "ExecStream",
    "ExecTimeoutError",
    "ExecVector",
    "GuardReport",
    "ImageError",
    "InvalidSpecError",
    "Network",
    "NetworkLog",
    "NetworkOptions",
    "Pool",
    "PoolStatus",
    "Sandbox",
    "SandboxError",
    "SandboxNotFoundError",
    "get",
    "guard_check",
    "list",
    "pool",
    "run",
]

StrPath = Union[str, "os.PathLike[str]"]
"""A path: ``str`` or ``pathlib.Path``."""
Data = Union[bytes, bytearray, str]
"""File contents or stdin: bytes, or text written as UTF-8."""


class NetworkOptions(TypedDict, total=False):
    """``run(network={...})``: the network mode and the egress proxy's policy in one dict.

    Each key means what the keyword argument of :func:`run` does: ``default`` is
    ``network_policy``, ``allow``/``deny`` come before ``allow_hosts``/``deny_hosts``,
    ``presets`` before ``allow_presets``, and ``hosts`` (``{name: ip or [ips]}``) become
    ``add_hosts`` entries ``"NAME:IP"``. Other keys raise :class:`InvalidSpecError`.
    """

    mode: str
    """``"proxy"`` (the default), ``"bridge"`` or ``"none"``."""
    default: str
    """``"allow"`` (the default) or ``"deny"``: what happens to connections no rule decides."""
    allow: Sequence[str]
    """Rules the proxy allows: ``host``, ``*.domain``, ``host:port``, ``ip[:port]``, CIDR."""
    deny: Sequence[str]
    """Rules the proxy refuses (the more specific rule wins; deny wins a tie)."""
    presets: Sequence[str]
    """Presets whose hosts are allowed: ``agent``, ``github``, ``registries``, or a user preset."""
    hosts: Mapping[str, Union[str, Sequence[str]]]
    """Names the proxy resolves to these addresses instead of asking DNS."""


def _request(
    workspace: StrPath,
    agent: str,
    *,
    template: Optional[str],
    env: Optional[Mapping[str, str]],
    volumes: Optional[Sequence[str]],
    credentials: Optional[str],
    mount_docker_socket: Optional[bool],
    docker: Optional[str],
    name: Optional[str],
    recreate: bool,
    cpus: Optional[float],
    memory: Union[int, str, None],
    network: Union[str, NetworkOptions, None],
    labels: Optional[Mapping[str, str]],
    command: Optional[Sequence[str]],
    pids_limit: Optional[int],
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
) -> dict[str, Any]:
    """The core's ``RunRequest`` (field for field); arguments left at None are not sent, so
    the core's defaults apply and a reused sandbox keeps its stored value for them."""
    fields: dict[str, Any] = {
        "workspace": os.fspath(workspace),
        "agent": agent,
        "template": template,
        "env": dict(env) if env is not None else None,
        "volumes": builtins.list(volumes) if volumes is not None else None,
        "credentials": credentials,
        "mount_docker_socket": mount_docker_socket,
        "docker": docker,
        "name": name,
        "recreate": recreate,
        "cpus": cpus,
        "memory": str(memory) if isinstance(memory, int) else memory,
        # A dict is mapped onto the network fields by the native module (unknown keys refused).
        "network": dict(network) if isinstance(network, Mapping) else network,
        "allow_hosts": _words("allow_hosts", allow_hosts),
        "deny_hosts": _words("deny_hosts", deny_hosts),
        "network_policy": network_policy,
        "allow_presets": _words("allow_presets", allow_presets),
        "add_hosts": _words("add_hosts", add_hosts),
        "labels": dict(labels) if labels is not None else None,
        "command": builtins.list(command) if command is not None else None,
        "pids_limit": pids_limit,
        "ca_bundle": os.fspath(ca_bundle) if ca_bundle is not None else None,
        "share_agent_config": share_agent_config,
        "git_guard": git_guard,
        "workspace_mode": workspace_mode,
        "writable": _paths("writable", writable) if writable is not None else None,
        "secret_mode": secret_mode,
        "ports": _ports(ports),
        "ephemeral": ephemeral,
        "ttl": _duration(ttl),
        "idle_stop": _duration(idle_stop),
        "branch": branch,
        "branch_from": branch_from,
    }
    if secrets is not None or secret_files is not None:
        fields["secrets"], fields["secret_hosts"] = _secrets(secrets or {}, secret_files or {})
    return {k: v for k, v in fields.items() if v is not None}


def _ports(ports: Optional[Sequence[Union[str, int]]]) -> Optional[builtins.list[str]]:
    if ports is None:
        return None
    if isinstance(ports, (str, bytes, int)):
        raise TypeError("ports must be a list of ports (\"3000\", \"8080:80\"), not a single one")
    return [str(p) for p in ports]


def _since(since: Union[int, float, datetime.datetime, None]) -> int:
    if since is None:
        return 0
    if isinstance(since, datetime.datetime):
        return int(since.timestamp())
    return int(since)


def _duration(d: Union[str, int, float, datetime.timedelta, None]) -> Optional[str]:
    """A duration as the core reads it: strings as written (``"2h"``), numbers and
    ``timedelta`` as whole seconds."""
    if d is None or isinstance(d, str):
        return d
    if isinstance(d, datetime.timedelta):
        return str(int(d.total_seconds()))
    if isinstance(d, bool) or not isinstance(d, (int, float)):
        raise TypeError("a duration is a string like '30m', a number of seconds or a timedelta")
    return str(int(d))


def _secrets(
    secrets: Mapping[str, Sequence[str]], files: Mapping[str, StrPath]
) -> tuple[builtins.list[str], builtins.list[str]]:
    """``secrets``/``secret_files`` as the core's ``secrets`` (``NAME``, or ``NAME=@FILE`` for a
    name in ``files``) and ``secret_hosts`` (``NAME=HOST,HOST`` for each name with hosts). A
    name in both is one secret: its value from the file, its hosts from ``secrets``."""
    words = [f"{n}=@{os.fspath(files[n])}" if n in files else n for n in secrets]
    words += [f"{n}=@{os.fspath(f)}" for n, f in files.items() if n not in secrets]
    hosts: builtins.list[str] = []
    for n, hs in secrets.items():
        listed = _words(f"secrets[{n!r}]", hs)
        if listed:
            hosts.append(f"{n}={','.join(listed)}")
    return words, hosts


def _words(name: str, words: Optional[Sequence[str]]) -> Optional[builtins.list[str]]:
    if words is None:
        return None
    if isinstance(words, (str, bytes)):
        raise TypeError(f"{name} must be a list of strings, not a string")
    return builtins.list(words)


def _paths(name: str, paths: Optional[Sequence[StrPath]]) -> builtins.list[str]:
    """``paths`` as strings (None: none, which the library reads as "all")."""
    if paths is None:
        return []
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a list of paths, not a single path")
    return [os.fspath(p) for p in paths]


class _SandboxBase:
    """What the sync :class:`Sandbox` and :class:`docksandbox.aio.Sandbox` share: the native
    handle and the identity it knows without asking the engine. Equality stays in each
    subclass: a handle equals handles of the same sandbox from the same surface only."""

    __slots__ = ("_native",)

    def __init__(self, native: _native.Sandbox) -> None:
        self._native = native

    @property
    def id(self) -> str:
        """The container id."""
        return self._native.id

    @property
    def name(self) -> str:
        """The container name."""
        return self._native.name

    @property
    def agent(self) -> str:
        """The agent's name (``claude``, ``shell``, …)."""
        return self._native.agent

    @property
    def workspace(self) -> str:
        """The workspace path, the same on the host and in the sandbox."""
        return self._native.workspace

    def __repr__(self) -> str:
        return repr(self._native)


class Network:
    """The network of a ``proxy`` sandbox (``sb.network``): the policy its egress proxy
    enforces, changed live without a restart, and its connection log.

    Rules are ``host``, ``*.domain``, ``host:port``, ``ip``, ``ip:port`` or a CIDR; a rule
    without a port covers ports 80 and 443. On a ``bridge`` or ``none`` sandbox every method
    raises :class:`InvalidSpecError`.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Sandbox) -> None:
        self._native = native

    def allow(self, *hosts: str) -> None:
        """Adds allow rules to the policy in force (an equal deny rule is dropped)."""
        self._native.network_allow(builtins.list(hosts))

    def deny(self, *hosts: str) -> None:
        """Adds deny rules to the policy in force (an equal allow rule is dropped)."""
        self._native.network_deny(builtins.list(hosts))

    def policy(self, default: str) -> None:
        """Sets what happens to connections no rule decides: ``"allow"`` or ``"deny"``."""
        self._native.network_set_default(default)

    def show(self) -> dict[str, Any]:
        """The policy in force: ``default``, ``allow`` and ``deny`` (rules as strings, presets
        expanded), ``hosts`` (static names) and ``refused`` (networks always refused)."""
        return self._native.network_show()

    @overload
    def log(
        self, follow: Literal[False] = False, denied: bool = False
    ) -> builtins.list[dict[str, Any]]: ...
    @overload
    def log(self, follow: Literal[True], denied: bool = False) -> NetworkLog: ...
    @overload
    def log(
        self, follow: bool = False, denied: bool = False
    ) -> Union[builtins.list[dict[str, Any]], NetworkLog]: ...

    def log(
        self, follow: bool = False, denied: bool = False
    ) -> Union[builtins.list[dict[str, Any]], NetworkLog]:
        """The connection log, oldest first: one dict per connection or request (``time``,
        ``proto``, ``client``, ``host``, ``port``, ``addr``, ``sni``, ``decision``, ``rule``,
        ``reason``, ``bytes_up``, ``bytes_down``, ``duration_ms``); only refusals with
        ``denied``. A list of the entries so far; with ``follow``, an iterator that yields new
        entries as they come until the proxy stops (``close()`` it to stop early)."""
        if follow:
            return self._native.network_log_stream(denied=denied)
        return self._native.network_log(denied=denied)


class Sandbox(_SandboxBase):
    """One sandbox: a container for one (workspace, agent), the workspace at the same path.

    Get one from :func:`run`, :func:`get` or :func:`list`. Used as a context manager, the
    sandbox is **stopped** on exit (not removed: its installed packages and files survive,
    and the next :func:`run` starts it again), or removed when it is ephemeral
    (``run(..., ephemeral=True)``); call :meth:`remove` inside the block to delete it
    instead. Other code using the same sandbox concurrently sees it stop.
    """

    __slots__ = ()

    @property
    def status(self) -> str:
        """The current status, asked from the engine: ``running``, ``stopped``, ``paused``,
        ``restarting``, ``removing``, ``dead`` or ``unknown``."""
        return self._native.status()

    @property
    def network(self) -> Network:
        """The network of a ``proxy`` sandbox: its policy, changed live, and its log."""
        return Network(self._native)

    def exec(
        self,
        cmd: Sequence[str],
        env: Optional[Mapping[str, str]] = None,
        workdir: Optional[str] = None,
        user: Optional[str] = None,
        stdin: Optional[Data] = None,
        timeout: Optional[float] = None,
    ) -> ExecResult:
        """Runs ``cmd`` (a program and its arguments, no shell) and captures its output.

        Runs as the workspace owner, in the workspace, unless ``user``/``workdir`` say
        otherwise; ``env`` adds variables; ``stdin`` is fed then closed. A non-zero exit is
        not an error (see ``exit_code``); after ``timeout`` seconds the command and its
        children are killed and :class:`ExecTimeoutError` is raised.
        """
        return self._native.exec(
            _argv(cmd), env=env, workdir=workdir, user=user, stdin=stdin, timeout=timeout
        )

    def exec_stream(
        self,
        cmd: Sequence[str],
        env: Optional[Mapping[str, str]] = None,
        workdir: Optional[str] = None,
        user: Optional[str] = None,
        stdin: Optional[Data] = None,
        timeout: Optional[float] = None,
    ) -> ExecStream:
        """Starts ``cmd`` and returns an iterator over its output as it comes:
        :class:`ExecChunk` s of kind ``"stdout"``/``"stderr"``, then one of kind ``"exit"``
        with the ``exit_code``. Options as for :meth:`exec`; on timeout the iteration raises
        :class:`ExecTimeoutError` after the kill."""
        return self._native.exec_stream(
            _argv(cmd), env=env, workdir=workdir, user=user, stdin=stdin, timeout=timeout
        )

    def write_file(self, path: str, data: Data) -> None:
        """Writes ``data`` to ``path`` in the sandbox (relative paths are in the workspace),
        owned by the sandbox user, mode 0644; the parent directory must exist."""
        self._native.write_file(path, data)

    def read_file(self, path: str) -> bytes:
        """The contents of the file at ``path`` in the sandbox."""
        return self._native.read_file(path)

    def inspect(self) -> dict[str, Any]:
        """Everything known about the sandbox (mounts, effective security settings, limits,
        env with secret values fingerprinted, warnings), as a dict."""
        return self._native.inspect()

    def diff(self, paths: Optional[Sequence[StrPath]] = None) -> builtins.list[Change]:
        """What the agent changed in a review-mode workspace (``workspace_mode="review"``):
        every added, modified, deleted and renamed path, sorted; only those at or under
        ``paths`` (absolute, or relative to the workspace) when given. The host's files are
        untouched. Raises :class:`InvalidSpecError` on a sandbox of another mode, or when a
        path holds no change."""
        return self._native.diff(_paths("paths", paths))

    def diff_text(self, paths: Optional[Sequence[StrPath]] = None, stat: bool = False) -> str:
        """Those changes as a unified diff, ``git diff`` style; with ``stat``, one
        ``A/M/D/R path`` line each and a count instead."""
        return self._native.diff_text(_paths("paths", paths), stat=stat)

    def apply(
        self,
        paths: Optional[Sequence[StrPath]] = None,
        *,
        dry_run: bool = False,
        force: bool = False,
        allow_exec_vectors: bool = False,
    ) -> builtins.list[Change]:
        """Copies the agent's changes (all, or those under ``paths``) onto the host
        workspace, all or nothing, and returns them (with ``dry_run``: what would be applied;
        nothing changes). Refused with :class:`SandboxError`, naming the files, when a host
        file changed since the sandbox was made (unless ``force``) and when a change would
        make the host run a program, such as a git hook (unless ``allow_exec_vectors``)."""
        return self._native.apply(
            _paths("paths", paths),
            dry_run=dry_run,
            force=force,
            allow_exec_vectors=allow_exec_vectors,
        )

    def discard(self, paths: Optional[Sequence[StrPath]] = None) -> builtins.list[Change]:
        """Drops the agent's changes (all, or those under ``paths``): the sandbox sees the
        host's files there again. A running sandbox is restarted for it (its processes are
        stopped). Returns what was dropped."""
        return self._native.discard(_paths("paths", paths))

    def guard_check(self, fix: bool = False) -> GuardReport:
        """The files through which the host would run programs (git hooks and config of
        repositories made inside, ``.gitattributes`` drivers, ``.envrc``, VS Code tasks and
        settings) that appeared or changed in the workspace since this sandbox was made; with
        ``fix``, disables them (hooks renamed ``*.disabled``, keys removed, a backup kept)."""
        return self._native.guard_check(fix=fix)

    @property
    def ports(self) -> builtins.list[dict[str, Any]]:
        """The sandbox's ports published on this host: ``container_port``, ``protocol``,
        ``host_ip``, ``host_port``, ``forwarded`` (through a forwarder beside the sandbox)."""
        return self._native.ports()

    def port(self, container_port: int) -> Optional[str]:
        """Where TCP port ``container_port`` is reached from this host (``"127.0.0.1:49153"``,
        ready for a URL), or None when it is not published."""
        return self._native.port(container_port)

    def add_port(self, port: Union[str, int]) -> dict[str, Any]:
        """Publishes one more port of the running sandbox without recreating it (``"5173"``,
        ``"127.0.0.1:8080:8080"``): a forwarder beside it, removed with it. TCP only."""
        return self._native.add_port(str(port))

    def stats(self) -> dict[str, Any]:
        """What the running sandbox uses now (one sample over about a second):
        ``cpu_percent``, ``memory_bytes``, ``memory_limit``, ``memory_peak``, ``pids``,
        ``pids_limit``, ``net_rx_bytes``, ``net_tx_bytes``."""
        return self._native.stats()

    def logs(self, since: Union[int, float, datetime.datetime, None] = None) -> str:
        """What detached sessions (``docksandbox run -d AGENT ARGS``) printed, from ``since``
        (a Unix time or a ``datetime``) when given."""
        return self._native.logs(_since(since))

    def save(self, template: str) -> str:
        """Saves the sandbox's file system (what was installed; never the workspace, the
        credentials or the environment) as the local image ``template`` (``"NAME[:TAG]"``)
        and returns its id: ``run(..., template=template)`` starts from it. The sandbox is
        paused while it is read."""
        return self._native.save(template)

    def close(self) -> None:
        """Done with the sandbox: an ephemeral one is removed, any other stopped. What the
        ``with`` block calls on exit."""
        self._native.close()

    def stop(self) -> None:
        """Stops the sandbox (processes are killed after 10 s); :func:`run` starts it again."""
        self._native.stop()

    def remove(self, delete_branch: bool = False, force: bool = False) -> None:
        """Removes the sandbox, running or not (the agent's credentials volume is kept). A
        branch sandbox's worktree goes too and its branch stays unless ``delete_branch``; a
        worktree with uncommitted changes, or deleting an unmerged branch, raises
        :class:`SandboxError` (nothing removed) unless ``force``."""
        self._native.remove(delete_branch, force)

    def branch_status(self) -> dict[str, Any]:
        """A branch sandbox's branch (``run(..., branch=...)``), seen from the host: ``name``,
        ``base``, ``ahead`` (commits its base does not have), ``dirty`` (uncommitted changes)."""
        return self._native.branch_status()

    def branch_diff(self, stat: bool = False) -> str:
        """A branch sandbox's changes against its base (its commits and the worktree's
        uncommitted changes) as a unified diff; ``git diff --stat`` with ``stat``."""
        return self._native.branch_diff(stat)

    def branch_log(self) -> str:
        """A branch sandbox's commits that its base does not have, newest first."""
        return self._native.branch_log()

    def merge(self, squash: bool = False, into: Optional[str] = None) -> dict[str, Any]:
        """Merges a branch sandbox's branch into the repository's checked-out branch (or
        ``into``) with git on the host: a fast-forward when it can, else a merge commit (one
        squashed commit with ``squash``). Raises :class:`SandboxError`, nothing changed, on a
        conflict or when your uncommitted changes touch the same files. Returns ``into``,
        ``commit``, ``how`` and ``files``."""
        return self._native.merge(squash, into)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._native.close()
        except SandboxNotFoundError:
            pass  # removed inside the block

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sandbox) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def _argv(cmd: Sequence[str]) -> builtins.list[str]:
    if isinstance(cmd, (str, bytes)):
        raise TypeError("cmd must be a list of strings (a program and its arguments), not a string")
    return builtins.list(cmd)


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
) -> Sandbox:
    """Creates the sandbox for (``workspace``, ``agent``), or reuses it, and returns it running.

    - ``workspace``: the project directory (relative paths from the current directory),
      mounted at the same absolute path.
    - ``agent``: ``claude``, ``codex``, ``gemini``, ``copilot``, ``shell``, or a custom name
      with ``command`` (its program and default arguments).
    - ``template``: the image (default: the agent's template).
    - ``env``: container environment; ``volumes``: ``"HOST[:CONTAINER][:ro]"`` strings.
    - ``credentials``: ``"sandbox"`` (the default: logins kept in a volume per agent) or
      ``"none"``. ``mount_docker_socket``: give the agent the engine (default False; the same as
      ``docker="host"``). ``docker``: ``"none"`` (default), ``"scoped"`` (a filtered engine:
      the agent builds and runs containers of its own, binds only from the workspace, nothing
      privileged) or ``"host"`` (the engine itself: root on the host).
    - ``name``: container name (default: derived from agent and directory).
    - ``recreate``: replace a sandbox whose stored settings differ instead of raising
      :class:`ConfigChangedError`.
    - ``cpus``, ``memory`` (bytes, or ``"512m"``/``"2g"``), ``pids_limit``: limits;
      ``labels``: extra container labels.
    - ``network``: ``"proxy"`` (the default: the sandbox reaches the network only through its
      own egress proxy, which enforces a policy), ``"bridge"`` or ``"none"``; or a
      :class:`NetworkOptions` dict (``mode``, ``default``, ``allow``, ``deny``, ``presets``,
      ``hosts``). The policy also as keyword arguments: ``allow_hosts``/``deny_hosts`` (rules:
      ``host``, ``*.domain``, ``host:port``, ``ip[:port]``, CIDR), ``network_policy``
      (``"allow"``, the default, or ``"deny"``: connections no rule decides),
      ``allow_presets`` (``agent``, ``github``, ``registries``, or a user preset) and
      ``add_hosts`` (``"NAME:IP"``: names the proxy resolves without DNS). Changed live with
      :attr:`Sandbox.network`.
    - ``ca_bundle``: a PEM file of extra CA certificates (TLS-inspecting proxies), mounted
      read-only with ``SSL_CERT_FILE``, ``NODE_EXTRA_CA_CERTS``… set (default:
      ``DOCKSANDBOX_CA_BUNDLE``). ``share_agent_config``: share your non-secret agent
      configuration (``~/.claude/CLAUDE.md``, settings, commands …) read-only.
    - ``git_guard``: the repository's hooks and config read-only inside, so nothing the agent
      writes there runs at your next ``git`` (default True; False turns it off).
    - ``workspace_mode``: how the workspace is shared: ``"rw"`` (the default), ``"ro"``
      (read-only; only the ``writable`` subdirectories, e.g. ``["target"]``, can be written)
      or ``"review"`` (the agent's writes are kept aside; see them with
      :meth:`Sandbox.diff`, bring them to the host with :meth:`Sandbox.apply`, drop them with
      :meth:`Sandbox.discard`).
    - ``secrets``: API keys kept on the host, ``{name: [hosts]}`` (host names or
      ``*.domain``): the value of each is read from the host environment variable of that
      name; ``secret_files`` (``{name: path}``) reads it from a file instead (one trailing
      newline dropped; a name also in ``secrets`` takes its hosts from there). The sandbox's
      variable ``name`` holds only a placeholder (``docksandbox-secret:NAME:<random>``); the
      egress proxy replaces it in request headers to that secret's hosts only, so the value
      never enters the sandbox (needs the ``proxy`` network). ``secret_mode="env"`` gives the
      values themselves, no placeholder and no hosts needed, to the agent's process when
      docksandbox launches the agent (``docksandbox run`` on the CLI; not to
      :meth:`Sandbox.exec`): weaker, any process of the agent can read them, for programs
      that check a key's format locally. Bad names, hosts or modes, an
      unset variable or unreadable file raise :class:`InvalidSpecError` before anything is
      made.

    - ``ports``: ports of the sandbox reachable from this host, as ``docker run -p`` writes
      them (``"3000"``, ``"8080:80"``, ``"0.0.0.0::5173"``, ``"53/udp"``): bound to
      ``127.0.0.1`` and a free host port unless written out; find them with
      :meth:`Sandbox.port`, add more while it runs with :meth:`Sandbox.add_port`.
    - ``ephemeral``: a new sandbox, never reused, removed when the ``with`` block ends (or
      :meth:`Sandbox.close`), and by the next docksandbox call when this process died.
      ``ttl``: removed this long after it is made; ``idle_stop``: stopped after this long
      without an exec or session (and no process of its own), started again on use. Durations
      are strings (``"30m"``, ``"2h"``, ``"1h30m"``), seconds or ``timedelta``.

    Arguments left at None take the library's default on creation and the stored value on
    reuse (so they never count as a change).
    """
    return Sandbox(
        _native.run(
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
    )


class PoolStatus(TypedDict):
    """A pool's counts (:attr:`Pool.status`)."""

    name: str
    size: int
    ready: int
    starting: int
    taken: int
    last_error: Optional[str]


class Pool:
    """Throwaway sandboxes of one spec kept created and started (:func:`pool`).

    :meth:`take` hands one out, running, its exec channel connected, to this caller only, and
    a replacement starts; use it with ``with`` to have it removed at the end of the block.
    :meth:`close` (or the end of a ``with pool`` block) removes every member, handed out or
    not. Members are ephemeral: if this process dies, the next docksandbox call removes them.
    """

    __slots__ = ("_native",)

    def __init__(self, native: _native.Pool) -> None:
        self._native = native

    @property
    def name(self) -> str:
        """The pool's name; its sandboxes are ``NAME-xxxxxx``."""
        return self._native.name

    @property
    def status(self) -> PoolStatus:
        """How many members are ready, starting and taken (no engine call)."""
        return cast(PoolStatus, self._native.status())

    def take(self) -> Sandbox:
        """A running member for this caller alone; waits while none is ready. Raises
        :class:`SandboxError` when its members cannot be made (the engine's reason) or the
        pool is closed."""
        return Sandbox(self._native.take())

    def wait_ready(self) -> None:
        """Waits until ``size`` members are ready."""
        self._native.wait_ready()

    def close(self) -> None:
        """Removes every member, ready, handed out or still starting; taking afterwards fails."""
        self._native.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Pool(name={self.name!r}, status={self.status!r})"


def _pool_request(**fields: Any) -> dict[str, Any]:
    """The core's ``RunRequest`` for a pool: :func:`_request`'s fields with no workspace."""
    req = _request(".", **fields)
    del req["workspace"]
    del req["recreate"]
    return req


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
) -> Pool:
    """Starts a warm pool keeping ``size`` sandboxes of ``template`` (default: the agent's)
    created and started in the background, for code that wants a fresh box per task::

        with docksandbox.pool("python:3.12-slim", size=8, network="none") as p:
            with p.take() as sb:                    # removed at the end of the block
                print(sb.exec(["python3", "-c", "print(6 * 7)"]).stdout)

    Members have no project: each gets a fresh empty workspace directory of its own (its
    working directory, removed with it). ``name`` names the pool (default ``pool-xxxxxx``);
    the other arguments are :func:`run`'s. Bad arguments raise :class:`InvalidSpecError`
    before anything is made; returns at once (:meth:`Pool.wait_ready` waits for all).
    """
    return Pool(
        _native.pool(
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
    )


def list() -> builtins.list[Sandbox]:  # noqa: A001 - the API's name
    """Every docksandbox sandbox on the engine, newest first (other containers are not shown)."""
    return [Sandbox(s) for s in _native.list()]


def guard_check(workspace: StrPath = ".", fix: bool = False) -> GuardReport:
    """The files in ``workspace`` through which the host would run programs (see
    :meth:`Sandbox.guard_check`) that appeared or changed since its oldest sandbox was made
    (every one, when no sandbox of it is known); with ``fix``, disables them. What
    ``docksandbox guard check`` runs."""
    return _native.guard_check(os.fspath(workspace), fix=fix)


def get(name_or_id: str) -> Sandbox:
    """The sandbox called ``name_or_id``: a name, a full id or a unique id prefix. Raises
    :class:`SandboxNotFoundError` when none matches."""
    return Sandbox(_native.get(name_or_id))
