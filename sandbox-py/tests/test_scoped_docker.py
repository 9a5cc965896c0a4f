"""docker="scoped": the agent runs containers of its own through the sandbox's filtering
engine proxy; what reaches the host is refused; they go with the sandbox."""

from __future__ import annotations

import subprocess
from pathlib import Path

import docksandbox
from conftest import IMAGE, run


def test_scoped_docker_runs_children_and_refuses_the_host(workspace: Path) -> None:
    sb = run(workspace, template="docksandbox/base:latest", network="proxy", docker="scoped")
    try:
        child = sb.exec(["docker", "run", "--rm", IMAGE, "echo", "from-a-child"])
        assert child.exit_code == 0, child.stderr
        assert child.stdout.strip() == "from-a-child"
        refused = sb.exec(["docker", "run", "--rm", "-v", "/:/host", IMAGE, "true"])
        assert refused.exit_code != 0
        assert "scoped Docker access" in refused.stderr
        started = sb.exec(["docker", "run", "-d", "--name", "py-child", IMAGE, "sleep", "60"])
        assert started.exit_code == 0, started.stderr
        info = sb.inspect()
        assert info["docker"] == "scoped"
        assert info["children"]["containers"] == ["py-child"]
    finally:
        sb.remove()
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=io.docksandbox.owner={sb.name}"],
        capture_output=True, text=True, check=True,
    )
    assert left.stdout == ""


def test_an_unknown_docker_access_is_a_clear_error(workspace: Path) -> None:
    try:
        run(workspace, docker="root")  # type: ignore[arg-type]
    except docksandbox.InvalidSpecError as e:
        assert "docker" in str(e) and "none, scoped, host" in str(e)
    else:
        raise AssertionError("docker='root' was accepted")
