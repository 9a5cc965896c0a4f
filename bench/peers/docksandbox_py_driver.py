"""docksandbox's Python package as a peer row for docksandbox-bench: one request line in,
elapsed milliseconds out. Requests: ping | exec_true SANDBOX_NAME | rerun_true WORKSPACE IMAGE LABEL=VALUE |
mcp_exec_true SANDBOX_NAME ROOT CLI (sandbox_exec of `true` through `CLI mcp --root ROOT` over
stdio, with the `mcp` package's client; the session is started once and kept)."""
import asyncio
import sys
import threading
import time
from typing import Any

import docksandbox


class McpSession:
    """One `docksandbox mcp` stdio session, on an event loop in its own thread."""

    def __init__(self, cli: str, root: str) -> None:
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        ready: "asyncio.Future[Any]" = asyncio.run_coroutine_threadsafe(self._open(cli, root, ClientSession, StdioServerParameters, stdio_client), self.loop)  # type: ignore[assignment]
        self.session = ready.result(timeout=60)

    async def _open(self, cli: str, root: str, ClientSession: Any, Params: Any, stdio_client: Any) -> Any:
        self._ctx = stdio_client(Params(command=cli, args=["mcp", "--root", root]))
        r, w = await self._ctx.__aenter__()
        self._session_ctx = ClientSession(r, w)
        session = await self._session_ctx.__aenter__()
        await session.initialize()
        return session

    def exec_true(self, name: str) -> None:
        async def call() -> Any:
            return await self.session.call_tool("sandbox_exec", {"sandbox": name, "argv": ["true"]})

        r = asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout=60)
        assert not r.isError, r.content
        assert r.structuredContent["exit_code"] == 0, r.structuredContent


def main() -> None:
    handles: dict[Any, Any] = {}
    mcp_session = None
    for line in sys.stdin:
        op, *args = line.split()
        t = time.perf_counter()
        try:
            if op == "ping":
                docksandbox.list()
            elif op == "exec_true":
                sb = handles.get(args[0])
                if sb is None:
                    sb = handles[args[0]] = docksandbox.get(args[0])
                    t = time.perf_counter()
                r = sb.exec(["true"])
                assert r.exit_code == 0, r.exit_code
            elif op == "rerun_true":
                # `run` again on the running sandbox of WS (a handle from the first call
                # kept, as a program that made it would), then exec `true`.
                ws, image, label = args
                key, value = label.split("=", 1)
                kwargs: dict[str, Any] = dict(workspace=ws, agent="shell", template=image, network="none", labels={key: value})
                if ("rerun", ws) not in handles:
                    handles[("rerun", ws)] = docksandbox.run(**kwargs)
                    t = time.perf_counter()
                r = docksandbox.run(**kwargs).exec(["true"])
                assert r.exit_code == 0, r.exit_code
            elif op == "deepagents_execute_true":
                backend = handles.get(("deepagents", args[0]))
                if backend is None:
                    from docksandbox.integrations.deepagents import DockSandboxBackend

                    sb = handles.get(args[0]) or docksandbox.get(args[0])
                    handles[args[0]] = sb
                    backend = handles[("deepagents", args[0])] = DockSandboxBackend(sb)
                    t = time.perf_counter()
                resp = backend.execute("true")
                assert resp.exit_code == 0, resp
            elif op == "mcp_exec_true":
                if mcp_session is None:
                    mcp_session = McpSession(args[2], args[1])
                    t = time.perf_counter()
                mcp_session.exec_true(args[0])
            else:
                raise ValueError(f"unknown op {op}")
        except Exception as e:  # the bench prints what went wrong
            print(f"error: {e!r}", flush=True)
            continue
        print(f"{(time.perf_counter() - t) * 1000:.3f}", flush=True)


if __name__ == "__main__":
    main()
