"""Per-call overhead of ``sb.exec(["true"])``: this package vs the Rust core vs docker-py's
``exec_run`` on the same container, as medians in one run.

    python bench/exec_overhead.py [N] [RUST_BENCH_BINARY]

RUST_BENCH_BINARY (optional) takes ``NAME N`` and prints one duration in ms per line for the
core's ``Sandbox::exec(["true"])``. docker-py is used when installed (``pip install docker``).
The sandbox (busybox test image, label dev.docksandbox.bench) is removed at the end.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

import docksandbox


def timed(f: object, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()  # type: ignore[operator]
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rust = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as ws:
        sb = docksandbox.run(ws, agent="shell", template="docksandbox/busybox:test",
                             network="none", labels={"dev.docksandbox.bench": "1"})
        try:
            py_exec = lambda: sb.exec(["true"])  # noqa: E731
            timed(py_exec, 5)
            results = {"docksandbox (Python)": timed(py_exec, n)}
            if rust:
                out = subprocess.run([rust, sb.name, str(n)], capture_output=True, text=True,
                                     check=True).stdout
                results["docksandbox (Rust core)"] = [float(x) for x in out.split()]
            try:
                import docker  # type: ignore[import-untyped]

                c = docker.from_env().containers.get(sb.id)
                dp = lambda: c.exec_run(["true"])  # noqa: E731
                timed(dp, 5)
                results["docker-py exec_run"] = timed(dp, n)
            except ImportError:
                print("(docker-py not installed: pip install docker)")
            results["docksandbox (Python), again"] = timed(py_exec, n)
            base = statistics.median(results["docksandbox (Python)"])
            for k, v in results.items():
                m = statistics.median(v)
                print(f"{k:32} median {m:7.2f} ms   ratio to Python {m / base:5.2f}")
        finally:
            sb.remove()


if __name__ == "__main__":
    main()
