"""Ports (``ports=``, ``sb.port``, ``sb.add_port``) reached from this process, ephemeral
sandboxes removed by ``with`` (also on an exception) and by ``close()``, bad lifetimes and
ports refused with the keyword's name; against the real engine."""

from __future__ import annotations

import asyncio
import datetime
import subprocess
import urllib.request
from pathlib import Path

import pytest

import docksandbox
import docksandbox.aio as aio
from conftest import aio_kwargs, run


def fetch(address: str) -> str:
    for _ in range(50):
        try:
            with urllib.request.urlopen(f"http://{address}/index.html", timeout=5) as r:
                return r.read().decode()
        except OSError:
            import time

            time.sleep(0.1)
    return ""


def exists(name: str) -> bool:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"name=^{name}$"], capture_output=True, text=True
    ).stdout
    return bool(out.strip())


def test_a_declared_port_and_one_added_later_are_reached(workspace: Path) -> None:
    (workspace / "index.html").write_text("py-port-page")
    sb = run(workspace, network="proxy", ports=["8000"])
    try:
        assert sb.exec(["httpd", "-p", "8000", "-h", str(workspace)]).exit_code == 0
        address = sb.port(8000)
        assert address is not None and address.startswith("127.0.0.1:")
        assert "py-port-page" in fetch(address)
        assert sb.port(9000) is None
        assert sb.exec(["httpd", "-p", "9000", "-h", str(workspace)]).exit_code == 0
        added = sb.add_port(9000)
        assert added["container_port"] == 9000 and added["forwarded"]
        assert "py-port-page" in fetch(f"{added['host_ip']}:{added['host_port']}")
        assert [p["container_port"] for p in sb.ports] == [8000, 9000]
        assert len(sb.inspect()["ports"]) == 2
    finally:
        sb.remove()


def test_ephemeral_sandboxes_are_new_and_removed_by_with_even_on_errors(workspace: Path) -> None:
    names = []
    with pytest.raises(RuntimeError):
        with run(workspace, ephemeral=True) as sb:
            names.append(sb.name)
            assert exists(sb.name)
            raise RuntimeError("the agent failed")
    with run(workspace, ephemeral=True, ttl=datetime.timedelta(hours=1)) as sb:
        names.append(sb.name)
        assert sb.exec(["true"]).exit_code == 0
    assert names[0] != names[1]
    assert not any(exists(n) for n in names), names
    lasting = run(workspace)
    try:
        with lasting:
            pass
        assert lasting.status == "stopped" and exists(lasting.name)
    finally:
        lasting.remove()


def test_async_ephemeral_and_ports(workspace: Path) -> None:
    async def main() -> str:
        async with aio.run(workspace, **aio_kwargs(ephemeral=True)) as sb:
            assert await sb.port(8000) is None
            return sb.name

    name = asyncio.run(main())
    assert not exists(name)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"ports": ["70000"]}, "`ports[0]`"),
        ({"ports": ["abc"]}, "not a number"),
        ({"ttl": "10x"}, "`ttl=`"),
        ({"idle_stop": "-1s"}, "`idle_stop=`"),
        ({"ttl": 0}, "is zero"),
    ],
    ids=["big", "nan", "unit", "neg", "zero"],
)
def test_refused(workspace: Path, kwargs: dict, words: str) -> None:
    before = docksandbox.list()
    with pytest.raises(docksandbox.InvalidSpecError) as e:
        run(workspace, network="proxy", **kwargs)
    assert words in str(e.value), str(e.value)
    assert {s.id for s in docksandbox.list()} <= {s.id for s in before}


def test_a_saved_sandbox_starts_others_with_what_was_installed(workspace: Path) -> None:
    sb = run(workspace, env={"SOME_KEY": "py-secret-value"})
    tag = f"docksandbox-test/py-saved:{sb.id[:12]}"
    try:
        assert sb.exec(["sh", "-c", "mkdir -p /opt/t && echo py-installed > /opt/t/m"],
                       user="0:0").exit_code == 0
        assert sb.save(tag).startswith("sha256:")
        inspected = subprocess.run(["docker", "image", "inspect", tag], capture_output=True,
                                   text=True).stdout
        assert "py-secret-value" not in inspected and "SOME_KEY" not in inspected
        other = workspace / "other"
        other.mkdir()
        with run(other, template=tag, ephemeral=True) as again:
            assert again.exec(["cat", "/opt/t/m"]).stdout == "py-installed\n"
        with pytest.raises(docksandbox.InvalidSpecError):
            sb.save("Not A Name")
    finally:
        sb.remove()
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def test_stats_and_logs(workspace: Path) -> None:
    sb = run(workspace, memory="64m")
    try:
        u = sb.stats()
        assert u["memory_limit"] == 64 << 20 and u["pids"] >= 1, u
        assert "docksandbox-ready" not in sb.logs()
        assert sb.logs(since=datetime.datetime.now() + datetime.timedelta(hours=1)) == ""
    finally:
        sb.remove()
