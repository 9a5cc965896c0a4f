"""``network=`` and ``sb.network`` against the real engine, sync and asyncio. Nothing here needs
the internet: the only request a sandbox makes is one its proxy refuses."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Callable

import pytest

import docksandbox
from conftest import aio_kwargs, run
from docksandbox import aio

# A plain-HTTP request for $1 through the sandbox's proxy (busybox has nc, no curl). nc's
# stdin stays open until the proxy has answered and closed: a client that half-closes right
# after its request may see the connection dropped before the answer.
REQUEST = """
rm -f /tmp/req && mkfifo /tmp/req
nc docksandbox-proxy 3128 </tmp/req & exec 3>/tmp/req
printf 'GET http://%s/ HTTP/1.0\\r\\n\\r\\n' "$1" >&3
wait $!
"""


def request(sb: docksandbox.Sandbox, host: str) -> str:
    """The status line the proxy answered a request for ``host`` with."""
    r = sb.exec(["sh", "-c", REQUEST, "sh", host], timeout=30)
    return r.stdout.split("\r\n")[0]


def refused(sb: docksandbox.Sandbox, host: str) -> None:
    assert request(sb, host).startswith("HTTP/1.0 403 "), host


def logged(read: Callable[[], list[dict[str, Any]]], host: str) -> dict[str, Any]:
    """The entry for ``host`` (it is written as the connection ends: wait a little for it)."""
    for _ in range(50):
        entries = read()
        found = [e for e in entries if e["host"] == host]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no log entry for {host}: {entries}")


def test_policy_from_run_changed_live_and_the_log(workspace: Path) -> None:
    sb = run(
        workspace,
        network={"default": "deny", "allow": ["example.test"], "hosts": {"static.test": "192.0.2.10"}},
        add_hosts=["static.test:192.0.2.11"],
    )
    try:
        assert sb.inspect()["spec"]["network"] == "proxy"
        p = sb.network.show()
        assert (p["default"], p["allow"], p["deny"]) == ("deny", ["example.test"], [])
        assert p["hosts"] == {"static.test": ["192.0.2.10", "192.0.2.11"]}
        assert isinstance(p["refused"], list)

        sb.network.allow("other.test", "*.more.test")
        assert sb.network.show()["allow"] == ["example.test", "other.test", "*.more.test"]
        sb.network.deny("other.test")
        p = sb.network.show()
        assert (p["allow"], p["deny"]) == (["example.test", "*.more.test"], ["other.test"])
        sb.network.policy("allow")
        assert sb.network.show()["default"] == "allow"

        assert isinstance(sb.network.log(), list)
        refused(sb, "other.test")
        e = logged(lambda: sb.network.log(denied=True), "other.test")
        assert (e["decision"], e["port"], e["bytes_up"]) == ("deny", 80, 0)
        assert all(e["decision"] == "deny" for e in sb.network.log(denied=True))
        followed = sb.network.log(follow=True, denied=True)
        assert isinstance(followed, docksandbox.NetworkLog)
        assert next(followed)["decision"] == "deny"  # the entries so far come first
        followed.close()
        assert list(followed) == []

        with pytest.raises(docksandbox.InvalidSpecError, match=r"hosts\[0\]"):
            sb.network.allow("exa mple")
        with pytest.raises(docksandbox.InvalidSpecError, match=r"hosts\[1\]"):
            sb.network.deny("ok.test", "10.0.0.0/33")
        with pytest.raises(docksandbox.InvalidSpecError, match="default"):
            sb.network.policy("block")
        assert sb.network.show()["deny"] == ["other.test"], "nothing changed"
    finally:
        sb.remove()


def test_aio_keyword_arguments_and_presets(workspace: Path) -> None:
    async def main() -> None:
        sb = await aio.run(workspace, **aio_kwargs(
            network="proxy", network_policy="deny", allow_hosts=["a.test"],
            deny_hosts=["b.test"], allow_presets=["github"],
        ))
        try:
            p = await sb.network.show()
            assert p["default"] == "deny" and p["deny"] == ["b.test"]
            assert p["allow"][0] == "a.test" and "github.com" in p["allow"]
            await sb.network.allow("c.test")
            await sb.network.deny("a.test")
            await sb.network.policy("allow")
            p = await sb.network.show()
            assert p["default"] == "allow" and "c.test" in p["allow"] and "a.test" not in p["allow"]
            assert p["deny"] == ["b.test", "a.test"]

            r = await sb.exec(["sh", "-c", REQUEST, "sh", "b.test"], timeout=30)
            assert r.stdout.startswith("HTTP/1.0 403 "), r.stdout + r.stderr
            for _ in range(50):
                entries = await sb.network.log(denied=True)
                if any(e["host"] == "b.test" for e in entries):
                    break
                await asyncio.sleep(0.1)
            assert [e["decision"] for e in entries if e["host"] == "b.test"] == ["deny"], entries
            async for e in sb.network.log(follow=True, denied=True):
                assert e["host"] == "b.test"
                break
            with pytest.raises(docksandbox.InvalidSpecError, match=r"hosts\[0\]"):
                await sb.network.allow("exa mple")
        finally:
            await sb.remove()

    asyncio.run(main())


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"network": {"default": "deny", "alow": ["x.test"]}}, "unknown key `alow`"),
        ({"network": {"mode": "host"}}, "network"),
        ({"allow_hosts": ["exa mple"]}, r"allow_hosts\[0\]"),
        ({"network": {"deny": ["ok.test", "*.com"]}}, r"deny_hosts\[1\]"),
        ({"network_policy": "block"}, "network_policy"),
        ({"network": {"default": "deny"}, "network_policy": "deny"}, "given twice"),
        ({"add_hosts": ["nocolon"]}, r"add_hosts\[0\]"),
        ({"network": {"presets": ["no-such-preset"]}}, r"presets\[0\]"),
    ],
    ids=["key", "mode", "allow", "deny", "default", "twice", "add_hosts", "preset"],
)
def test_invalid_network_arguments(workspace: Path, kw: dict[str, Any], match: str) -> None:
    with pytest.raises(docksandbox.InvalidSpecError, match=match):
        run(workspace, **{"network": "proxy", **kw})
    assert not [s for s in docksandbox.list() if s.workspace == str(workspace)]


@pytest.mark.parametrize(
    "kw",
    [
        {"network": 5},
        {"network": {"allow": "x.test"}},
        {"network": {"default": 1}},
        {"network": {"hosts": {"a.test": 1}}},
        {"network": {"hosts": ["a.test"]}},
        {"allow_hosts": "x.test"},
    ],
    ids=["network", "allow", "default", "hosts-value", "hosts", "allow_hosts"],
)
def test_wrong_network_types(workspace: Path, kw: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        run(workspace, **kw)


def test_no_policy_without_a_proxy(sb: docksandbox.Sandbox) -> None:
    with pytest.raises(docksandbox.InvalidSpecError, match="proxy"):
        sb.network.show()
    with pytest.raises(docksandbox.InvalidSpecError):
        sb.network.allow("x.test")
    with pytest.raises(docksandbox.InvalidSpecError):
        sb.network.log()
