"""The sync API against the real engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import docksandbox
from conftest import IMAGE, LABEL, RUN_ID, run


def test_run_returns_a_running_sandbox_with_its_identity(sb: docksandbox.Sandbox, workspace: Path) -> None:
    assert sb.agent == "shell"
    assert sb.workspace == str(workspace)
    assert sb.status == "running"
    assert len(sb.id) == 64 and sb.name
    assert sb.exec(["pwd"]).stdout.strip() == str(workspace)  # same path inside


def test_run_reuses_and_detects_changes(sb: docksandbox.Sandbox, workspace: Path) -> None:
    assert run(workspace).id == sb.id
    with pytest.raises(docksandbox.ConfigChangedError) as e:
        run(workspace, env={"FOO": "bar"})
    assert e.value.code == "CONFIG_CHANGED"
    assert [c["field"] for c in e.value.changes] == ["env.FOO"]
    assert "recreate" in str(e.value)
    again = run(workspace, env={"FOO": "bar"}, recreate=True)
    assert again.id != sb.id
    assert again.exec(["sh", "-c", "echo $FOO"]).stdout == "bar\n"
    again.remove()


def test_arguments_left_out_keep_the_stored_values(workspace: Path) -> None:
    sb = run(workspace, credentials="none", mount_docker_socket=False, memory="64m", cpus=0.5)
    # None of these count as a change when not passed again: defaults are the core's.
    assert run(workspace).id == sb.id
    info = sb.inspect()
    assert info["credentials"] == "none"
    assert info["resources"]["memory"] == 64 << 20
    assert info["resources"]["cpus"] == 0.5
    # memory as bytes (int) means the same as the string
    assert run(workspace, memory=64 << 20).id == sb.id
    sb.remove()


def test_env_volumes_name_labels_network(workspace: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "f.txt").write_text("dataset")
    name = f"pytest-{RUN_ID}-named"
    sb = run(workspace, env={"K": "V"}, volumes=[f"{data}:/data:ro"], name=name,
             labels={"extra": "1"}, network="bridge")
    try:
        assert sb.name == name
        assert sb.exec(["cat", "/data/f.txt"]).stdout == "dataset"
        assert sb.exec(["sh", "-c", "echo $K"]).stdout == "V\n"
        assert sb.exec(["touch", "/data/x"]).exit_code != 0  # read-only
        info = sb.inspect()
        assert info["labels"] == {LABEL: RUN_ID, "extra": "1"}
        assert info["network"] == "bridge"
        assert info["template"] == IMAGE
    finally:
        sb.remove()


def test_exec_output_codes_and_bytes(sb: docksandbox.Sandbox) -> None:
    r = sb.exec(["sh", "-c", "echo out; echo err >&2; exit 7"])
    assert (r.exit_code, r.stdout, r.stderr, r.ok) == (7, "out\n", "err\n", False)
    assert (r.stdout_bytes, r.stderr_bytes) == (b"out\n", b"err\n")
    r = sb.exec(["printf", "\\377ok"])
    assert r.stdout_bytes == b"\xffok"
    assert r.stdout == "\ufffdok"
    assert sb.exec(["true"]).ok


def test_exec_options(sb: docksandbox.Sandbox) -> None:
    assert sb.exec(["sh", "-c", "echo $A$B"], env={"A": "1", "B": "2"}).stdout == "12\n"
    assert sb.exec(["pwd"], workdir="/tmp").stdout == "/tmp\n"
    assert sb.exec(["id", "-u"], user="0:0").stdout == "0\n"
    assert sb.exec(["id", "-u"]).stdout == f"{os.getuid()}\n"
    assert sb.exec(["cat"], stdin=b"\x00bytes").stdout_bytes == b"\x00bytes"
    assert sb.exec(["cat"], stdin="text ✓").stdout == "text ✓"


def test_exec_timeout_kills_and_raises(sb: docksandbox.Sandbox) -> None:
    with pytest.raises(docksandbox.ExecTimeoutError) as e:
        sb.exec(["sh", "-c", "echo started; sleep 30"], timeout=1)
    assert e.value.code == "EXEC_TIMEOUT"
    assert e.value.stdout == b"started\n"
    assert "timed out" in str(e.value)
    assert "sleep 30" not in sb.exec(["ps"]).stdout


def test_exec_stream_tags_chunks_then_exit(sb: docksandbox.Sandbox) -> None:
    stream = sb.exec_stream(["sh", "-c", "echo a; echo b >&2; echo c; exit 3"])
    assert stream.exit_code is None
    chunks = list(stream)
    assert chunks[-1].kind == "exit" and chunks[-1].exit_code == 3 and chunks[-1].data == b""
    assert stream.exit_code == 3
    out = b"".join(c.data for c in chunks if c.kind == "stdout")
    err = b"".join(c.data for c in chunks if c.kind == "stderr")
    assert (out, err) == (b"a\nc\n", b"b\n")
    assert all(c.exit_code is None for c in chunks[:-1])


def test_exec_stream_arrives_as_it_comes(sb: docksandbox.Sandbox) -> None:
    import time

    t0 = time.monotonic()
    first = next(iter(sb.exec_stream(["sh", "-c", "echo now; sleep 3; echo later"])))
    assert first.data == b"now\n"
    assert time.monotonic() - t0 < 2.5


def test_exec_stream_timeout(sb: docksandbox.Sandbox) -> None:
    stream = sb.exec_stream(["sh", "-c", "echo x; sleep 30"], timeout=1)
    assert next(stream).data == b"x\n"
    with pytest.raises(docksandbox.ExecTimeoutError):
        list(stream)


def test_exec_stream_close(sb: docksandbox.Sandbox) -> None:
    stream = sb.exec_stream(["sh", "-c", "echo x; sleep 30"], timeout=40)
    assert next(stream).kind == "stdout"
    stream.close()
    assert list(stream) == []


def test_files(sb: docksandbox.Sandbox, workspace: Path) -> None:
    blob = bytes(range(256)) * 1000
    sb.write_file("blob.bin", blob)
    assert sb.read_file("blob.bin") == blob
    assert (workspace / "blob.bin").read_bytes() == blob  # the same directory on the host
    assert (workspace / "blob.bin").stat().st_uid == os.getuid()
    sb.write_file("/tmp/t.txt", "héllo")
    assert sb.read_file("/tmp/t.txt") == "héllo".encode()
    sb.write_file("ba.bin", bytearray(b"ba"))
    assert sb.read_file("ba.bin") == b"ba"
    with pytest.raises(docksandbox.SandboxError):
        sb.read_file("/nonexistent/file")


def test_inspect_is_a_dict(sb: docksandbox.Sandbox, workspace: Path) -> None:
    info = sb.inspect()
    assert info["id"] == sb.id and info["name"] == sb.name
    assert info["workspace"] == str(workspace)
    assert info["status"] == "running"
    assert info["agent"] == "shell"
    assert info["security"]["privileged"] is False
    assert info["labels"][LABEL] == RUN_ID
    assert any(m["target"] == str(workspace) for m in info["mounts"])


def test_stop_run_again_remove(sb: docksandbox.Sandbox, workspace: Path) -> None:
    sb.exec(["touch", "/tmp/survives"])
    sb.stop()
    assert sb.status == "stopped"
    again = run(workspace)
    assert again.id == sb.id and sb.status == "running"
    assert sb.exec(["ls", "/tmp/survives"]).ok
    sb.remove()
    with pytest.raises(docksandbox.SandboxNotFoundError):
        docksandbox.get(sb.id)


def test_list_and_get(sb: docksandbox.Sandbox) -> None:
    listed = docksandbox.list()
    assert all(isinstance(s, docksandbox.Sandbox) for s in listed)
    assert sb.id in [s.id for s in listed]
    assert docksandbox.get(sb.name) == sb
    assert docksandbox.get(sb.id).name == sb.name
    assert docksandbox.get(sb.id[:12]).id == sb.id


def test_context_manager_stops_on_exit(workspace: Path) -> None:
    with run(workspace) as sb:
        assert sb.status == "running"
    assert sb.status == "stopped"
    with run(workspace) as again:  # run starts it again
        assert again.id == sb.id and again.exec(["true"]).ok
        again.remove()  # removing inside the block is fine
    with pytest.raises(docksandbox.SandboxNotFoundError):
        docksandbox.get(sb.id)


def test_cmd_must_be_a_list(sb: docksandbox.Sandbox) -> None:
    with pytest.raises(TypeError):
        sb.exec("echo hi")  # type: ignore[arg-type]


def test_git_guard_is_on_by_default_and_can_be_turned_off(workspace: Path) -> None:
    on = run(workspace)
    try:
        assert on.inspect()["spec"]["git_guard"] is True
    finally:
        on.remove()
    off = run(workspace, git_guard=False)
    try:
        assert off.inspect()["spec"]["git_guard"] is False
    finally:
        off.remove()
