"""docksandbox's Python package as a peer row for docksandbox-bench: one request line in,
elapsed milliseconds out. Requests: ping | exec_true SANDBOX_NAME"""
import sys
import time

import docksandbox


def main() -> None:
    handles = {}
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
            else:
                raise ValueError(f"unknown op {op}")
        except Exception as e:  # the bench prints what went wrong
            print(f"error: {e!r}", flush=True)
            continue
        print(f"{(time.perf_counter() - t) * 1000:.3f}", flush=True)


if __name__ == "__main__":
    main()
