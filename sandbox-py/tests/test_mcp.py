"""`docksandbox mcp` driven by the Python `mcp` package (PyPI), a client this project did not
write: over stdio and over Streamable HTTP (with its bearer token; refused without it and for a
foreign Host), against the real engine. Tools are listed with their schemas; a sandbox is run
on a temporary workspace, `pwd` is the workspace, a file is written and read, an exec past its
timeout and a cancelled exec leave no process behind, a workspace outside --root is refused
with nothing made, and the sandbox is removed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anyio
import pytest

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters, types  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402

from conftest import IMAGE  # noqa: E402

TOOLS = {
    "sandbox_run", "sandbox_list", "sandbox_inspect", "sandbox_exec", "sandbox_read_file",
    "sandbox_write_file", "sandbox_list_files", "sandbox_stop", "sandbox_rm", "sandbox_diff",
    "sandbox_network_allow",
}


def cli_binary() -> str:
    b = os.environ.get("DOCKSANDBOX_BIN")
    if b:
        return b
    root = Path(__file__).resolve().parents[2]
    target = Path(os.environ.get("CARGO_TARGET_DIR", root / "target"))
    for p in (target / "debug" / "docksandbox", target / "release" / "docksandbox"):
        if p.exists():
            return str(p)
    if os.environ.get("CI") in ("true", "1"):
        pytest.fail("no docksandbox binary: build sandbox-cli (cargo build -p docksandbox-cli) or set DOCKSANDBOX_BIN")
    pytest.skip("no docksandbox binary")


def structured(result: types.CallToolResult) -> dict[str, Any]:
    assert not result.isError, result.content
    if result.structuredContent is not None:
        return result.structuredContent
    return json.loads(result.content[0].text)  # type: ignore[union-attr]


def error_text(result: types.CallToolResult) -> str:
    assert result.isError, result
    return " ".join(c.text for c in result.content if isinstance(c, types.TextContent))


def containers_of(ws: Path) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=docksandbox.workspace={ws}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def gone(name: str) -> bool:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"name=^{name}$"], capture_output=True, text=True)
    return out.stdout.strip() == ""


async def the_flow(session: ClientSession, ws: Path, outside: Path) -> None:
    await session.initialize()
    listed = await session.list_tools()
    names = {t.name for t in listed.tools}
    assert names == TOOLS, names
    exec_tool = next(t for t in listed.tools if t.name == "sandbox_exec")
    assert {"sandbox", "argv", "command", "timeout_secs"} <= set(exec_tool.inputSchema["properties"])

    # Outside --root: refused, nothing made.
    refused = await session.call_tool("sandbox_run", {"workspace": str(outside), "template": IMAGE, "network": "none"})
    assert "outside the directories this server may use" in error_text(refused)

    # More network than the server gives (proxy by default): refused, nothing made.
    wider = await session.call_tool("sandbox_run", {"workspace": str(ws), "template": IMAGE, "network": "bridge"})
    assert "--allow-policy-changes" in error_text(wider)
    hosts = await session.call_tool("sandbox_run", {"workspace": str(ws), "template": IMAGE, "allow_hosts": ["10.0.0.1"]})
    assert "not among the hosts this server allows" in error_text(hosts)
    assert containers_of(ws) == []

    run = structured(await session.call_tool(
        "sandbox_run", {"workspace": str(ws), "template": IMAGE, "network": "none"}))
    name = run["sandbox"]
    try:
        assert run["workspace"] == str(ws)
        # Each sandbox's inspect and log are resources.
        uris = {str(r.uri) for r in (await session.list_resources()).resources}
        assert {f"docksandbox://{name}/inspect", f"docksandbox://{name}/log"} <= uris, uris
        templates = {t.uriTemplate for t in (await session.list_resource_templates()).resourceTemplates}
        assert templates == {"docksandbox://{sandbox}/inspect", "docksandbox://{sandbox}/log"}
        inspected = await session.read_resource(f"docksandbox://{name}/inspect")  # type: ignore[arg-type]
        info = json.loads(inspected.contents[0].text)  # type: ignore[union-attr]
        assert (info["name"], info["workspace"]) == (name, str(ws))
        log = await session.read_resource(f"docksandbox://{name}/log")  # type: ignore[arg-type]
        assert log.contents[0].mimeType == "text/plain"
        with pytest.raises(mcp.McpError, match="not a docksandbox resource"):
            await session.read_resource("docksandbox://x/other")  # type: ignore[arg-type]
        with pytest.raises(mcp.McpError):
            await session.read_resource("docksandbox://no-such-sandbox-here/inspect")  # type: ignore[arg-type]
        pwd = structured(await session.call_tool("sandbox_exec", {"sandbox": name, "argv": ["pwd"]}))
        assert (pwd["exit_code"], pwd["stdout"]) == (0, f"{ws}\n")
        shell = structured(await session.call_tool("sandbox_exec", {"sandbox": name, "command": "echo $((6*7)) >&2; exit 3"}))
        assert (shell["exit_code"], shell["stderr"]) == (3, "42\n")
        structured(await session.call_tool("sandbox_write_file", {"sandbox": name, "path": "note.txt", "content": "from mcp\n"}))
        assert (ws / "note.txt").read_text() == "from mcp\n"
        read = structured(await session.call_tool("sandbox_read_file", {"sandbox": name, "path": "note.txt"}))
        assert (read["content"], read["size"], read["truncated"]) == ("from mcp\n", 9, False)
        files = structured(await session.call_tool("sandbox_list_files", {"sandbox": name}))
        assert {"name": "note.txt", "kind": "file", "size": 9} in files["entries"]
        big = structured(await session.call_tool("sandbox_exec", {"sandbox": name, "command": "yes x | head -c 200000"}))
        assert big["truncated"] and len(big["stdout"]) < 70000

        # Past its timeout: killed, the process is gone.
        slow = structured(await session.call_tool("sandbox_exec", {
            "sandbox": name, "command": "echo $$ > /tmp/slow.pid; exec sleep 60", "timeout_secs": 1}))
        assert slow["timed_out"] and slow["exit_code"] == -1, slow
        alive = structured(await session.call_tool("sandbox_exec", {"sandbox": name, "command": "kill -0 $(cat /tmp/slow.pid) 2>/dev/null && echo alive || echo gone"}))
        assert alive["stdout"] == "gone\n"

        # Cancelled by the client: the process in the sandbox is killed.
        ids: list[int] = []
        async with anyio.create_task_group() as tg:
            async def long_exec() -> None:
                ids.append(session._request_id)  # the id this request gets
                try:
                    await session.call_tool("sandbox_exec", {
                        "sandbox": name, "command": "echo $$ > /tmp/long.pid; exec sleep 300"})
                except Exception:
                    pass

            tg.start_soon(long_exec)
            await anyio.sleep(0.2)
            for _ in range(100):
                probe = structured(await session.call_tool("sandbox_exec", {"sandbox": name, "command": "cat /tmp/long.pid 2>/dev/null || true"}))
                if probe["stdout"].strip():
                    break
                await anyio.sleep(0.1)
            await session.send_notification(types.ClientNotification(types.CancelledNotification(
                method="notifications/cancelled",
                params=types.CancelledNotificationParams(requestId=ids[0], reason="test"))))
            gone_now = ""
            for _ in range(100):
                check = structured(await session.call_tool("sandbox_exec", {"sandbox": name, "command": "kill -0 $(cat /tmp/long.pid) 2>/dev/null && echo alive || echo gone"}))
                gone_now = check["stdout"]
                if gone_now == "gone\n":
                    break
                await anyio.sleep(0.1)
            assert gone_now == "gone\n", "the cancelled command still runs"
            tg.cancel_scope.cancel()

        # Bad arguments: tool errors naming them.
        bad = await session.call_tool("sandbox_exec", {"sandbox": name, "argv": ["true"], "bogus": 1})
        assert "bogus" in error_text(bad)
        both = await session.call_tool("sandbox_exec", {"sandbox": name})
        assert "argv" in error_text(both)
        policy = await session.call_tool("sandbox_network_allow", {"sandbox": name, "hosts": ["example.com"]})
        assert "--allow-policy-changes" in error_text(policy)
        listed_sbs = structured(await session.call_tool("sandbox_list", {}))
        assert name in [s["sandbox"] for s in listed_sbs["sandboxes"]]
    finally:
        await session.call_tool("sandbox_rm", {"sandbox": name})
    assert gone(name)


def roots(workspace: Path) -> tuple[Path, Path, Path]:
    root = workspace.resolve()
    ws = root / "project"
    ws.mkdir()
    outside = workspace.parent.resolve() / f"{workspace.name}-outside"
    outside.mkdir()
    return root, ws, outside


def test_stdio(workspace: Path) -> None:
    root, ws, outside = roots(workspace)
    params = StdioServerParameters(command=cli_binary(), args=["mcp", "--root", str(root)])

    async def go() -> None:
        async with stdio_client(params) as (r, w):
            async with ClientSession(r, w) as session:
                await the_flow(session, ws, outside)

    anyio.run(go)
    assert not list(outside.iterdir())


def start_http(root: Path) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [cli_binary(), "mcp", "--http", "127.0.0.1:0", "--root", str(root)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    url = token = ""
    for _ in range(10):
        line = proc.stderr.readline()
        if m := re.search(r"listening on (http://\S+)", line):
            url = m.group(1)
        if m := re.search(r"token (\w+)", line):
            token = m.group(1)
        if url and token:
            break
    assert url and token, "the server printed no address and token"
    return proc, url, token


def status_of(url: str, headers: dict[str, str]) -> int:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_streamable_http_with_its_token(workspace: Path) -> None:
    root, ws, outside = roots(workspace)
    proc, url, token = start_http(root)
    try:
        assert status_of(url, {}) == 401
        assert status_of(url, {"Authorization": "Bearer wrong-token-wrong-token"}) == 401
        foreign = status_of(url, {"Authorization": f"Bearer {token}", "Host": "attacker.example"})
        assert 400 <= foreign < 500, foreign
        assert status_of(url, {"Authorization": f"Bearer {token}"}) == 200

        async def go() -> None:
            http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
            async with http, streamable_http_client(url, http_client=http) as (r, w, _):
                async with ClientSession(r, w) as session:
                    await the_flow(session, ws, outside)

        anyio.run(go)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_http_refuses_a_public_address_unless_told() -> None:
    out = subprocess.run([cli_binary(), "mcp", "--http", "0.0.0.0:0"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "--listen-any" in out.stderr


def test_bad_json_rpc_gets_protocol_errors_and_the_server_goes_on(workspace: Path) -> None:
    """Raw lines on stdio: unparsable bytes are skipped (rmcp answers nothing to what has no id
    to answer, against error storms), a JSON value that is no JSON-RPC message gets -32600, an
    unknown tool and arguments of the wrong shape get errors, and the server keeps serving."""
    proc = subprocess.Popen([cli_binary(), "mcp", "--root", str(workspace.resolve())],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin is not None and proc.stdout is not None

    def send(msg: Any) -> None:
        assert proc.stdin is not None
        proc.stdin.write((msg if isinstance(msg, str) else json.dumps(msg)) + "\n")
        proc.stdin.flush()

    def reply() -> dict[str, Any]:
        assert proc.stdout is not None
        return json.loads(proc.stdout.readline())

    try:
        send("this is {not json")
        send({"jsonrpc": "2.0", "id": 7, "method": 42})
        assert reply()["error"]["code"] == -32600
        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
        assert reply()["result"]["serverInfo"]["name"] == "docksandbox"
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "sandbox_nope", "arguments": {}}})
        unknown = reply()
        assert unknown["id"] == 2 and "error" in unknown, unknown
        send({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "sandbox_exec", "arguments": {"sandbox": 5}}})
        wrong = reply()
        assert wrong["id"] == 3 and ("error" in wrong or wrong["result"].get("isError")), wrong
        send({"jsonrpc": "2.0", "id": 4, "method": "no/such/method"})
        assert reply()["error"]["code"] == -32601
        send({"jsonrpc": "2.0", "id": 5, "method": "tools/list"})
        assert len(reply()["result"]["tools"]) == len(TOOLS)
    finally:
        proc.stdin.close()
        code = proc.wait(timeout=20)
    assert code == 0
