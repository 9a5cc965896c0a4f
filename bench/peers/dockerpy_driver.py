"""docker-py peer for docksandbox-bench: one request line in, elapsed milliseconds out.

Requests: ping | exec CONTAINER | exec_run CONTAINER | run IMAGE | start_exec CONTAINER | list LABEL
          | cat CONTAINER BYTES
"""
import sys
import time

import docker

HARDENING = dict(network_mode="none", init=True, cap_drop=["NET_RAW", "MKNOD"], pids_limit=4096)


def main() -> None:
    client = docker.from_env()
    api = client.api
    containers = {}
    for line in sys.stdin:
        op, *args = line.split()
        t = time.perf_counter()
        try:
            if op == "ping":
                client.ping()
            elif op == "exec":
                eid = api.exec_create(args[0], ["true"])["Id"]
                api.exec_start(eid)
                assert api.exec_inspect(eid)["ExitCode"] == 0
            elif op == "exec_run":
                c = containers.get(args[0])
                if c is None:
                    c = containers[args[0]] = client.containers.get(args[0])
                    t = time.perf_counter()
                assert c.exec_run(["true"]).exit_code == 0
            elif op == "run":
                client.containers.run(args[0], ["true"], remove=True, **HARDENING)
            elif op == "start_exec":
                api.start(args[0])
                eid = api.exec_create(args[0], ["true"])["Id"]
                api.exec_start(eid)
            elif op == "list":
                api.containers(all=True, filters={"label": args[0]})
            elif op == "cat":
                eid = api.exec_create(args[0], ["head", "-c", args[1], "/dev/zero"])["Id"]
                n = 0
                for chunk in api.exec_start(eid, stream=True):
                    n += len(chunk)
                assert n == int(args[1]), n
            else:
                raise ValueError(f"unknown op {op}")
        except Exception as e:  # the bench prints what went wrong
            print(f"error: {e!r}", flush=True)
            continue
        print(f"{(time.perf_counter() - t) * 1000:.3f}", flush=True)


if __name__ == "__main__":
    main()
