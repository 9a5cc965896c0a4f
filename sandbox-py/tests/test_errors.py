"""Each exception class, raised from the core's error kinds with the core's message."""

from __future__ import annotations

from pathlib import Path

import pytest

import docksandbox
from conftest import python, run

CLASSES = {
    docksandbox.DockerUnavailableError: "DOCKER_UNAVAILABLE",
    docksandbox.InvalidSpecError: "INVALID_SPEC",
    docksandbox.ConfigChangedError: "CONFIG_CHANGED",
    docksandbox.SandboxNotFoundError: "NOT_FOUND",
    docksandbox.ExecTimeoutError: "EXEC_TIMEOUT",
    docksandbox.ImageError: "IMAGE_ERROR",
}


def test_hierarchy_and_codes() -> None:
    assert issubclass(docksandbox.SandboxError, Exception)
    assert docksandbox.SandboxError.code == "SANDBOX_ERROR"
    for cls, code in CLASSES.items():
        assert issubclass(cls, docksandbox.SandboxError)
        assert cls.code == code
        assert cls.__module__ == "docksandbox"


def test_docker_unavailable() -> None:
    p = python(
        """
        import docksandbox
        try:
            docksandbox.run("/tmp", agent="shell")
        except docksandbox.DockerUnavailableError as e:
            print("raised", e.code, e)
        """,
        env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"},
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("raised DOCKER_UNAVAILABLE Docker daemon not reachable"), p.stdout


@pytest.mark.parametrize(
    "kw",
    [
        {"agent": "no-such-agent"},
        {"network": "host"},
        {"memory": "lots"},
        {"credentials": "host"},
        {"volumes": ["relative/path:/x"]},
    ],
)
def test_invalid_spec(workspace: Path, kw: dict[str, object]) -> None:
    with pytest.raises(docksandbox.InvalidSpecError, match="invalid"):
        run(workspace, **kw)


def test_invalid_workspace() -> None:
    with pytest.raises(docksandbox.InvalidSpecError):
        run("/")
    with pytest.raises(docksandbox.InvalidSpecError):
        run("/nonexistent/dir")


def test_invalid_exec_arguments(sb: docksandbox.Sandbox) -> None:
    with pytest.raises(docksandbox.InvalidSpecError):
        sb.exec([])
    with pytest.raises(docksandbox.InvalidSpecError):
        sb.exec(["true"], timeout=-1)
    with pytest.raises(docksandbox.InvalidSpecError):
        sb.exec(["true"], env={"BAD=NAME": "x"})


def test_wrong_types_are_type_errors(workspace: Path) -> None:
    with pytest.raises(TypeError):
        run(workspace, env={"K": 1})  # type: ignore[dict-item]


def test_not_found() -> None:
    with pytest.raises(docksandbox.SandboxNotFoundError, match="no sandbox matches"):
        docksandbox.get("no-such-sandbox-anywhere")


def test_image_error(workspace: Path) -> None:
    with pytest.raises(docksandbox.ImageError) as e:
        run(workspace, template="docksandbox/no-such-image:never")
    assert "docksandbox/no-such-image:never" in str(e.value)


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"volumes": ["/definitely/missing/dir:/data"]}, "invalid `volumes[0]` (mounts[0].host): "),
        ({"memory": "lots"}, "invalid `memory=` (memory): `lots`"),
        ({"name": "a b"}, "invalid `name=` (name): `a b`"),
        ({"network": "foo"}, "invalid `network=` (network): `foo`"),
        ({"env": {"A=B": "x"}}, "invalid `env['A=B']` (env.A=B): "),
    ],
    ids=["volumes", "memory", "name", "network", "env"],
)
def test_errors_name_the_kwarg(workspace: Path, kw: dict[str, object], words: str) -> None:
    with pytest.raises(docksandbox.InvalidSpecError) as e:
        run(workspace, **kw)
    assert str(e.value).startswith(words), str(e.value)


def test_a_changed_setting_names_the_keyword_and_recreate(workspace: Path) -> None:
    run(workspace)
    with pytest.raises(docksandbox.ConfigChangedError) as e:
        run(workspace, env={"X": "1"})
    msg = str(e.value)
    assert "`env['X']` (env.X): (unset) -> 1" in msg and "pass `recreate=True`" in msg, msg
