"""docksandbox.e2b: a program from E2B's documentation, unchanged but for its import, and the
E2B shapes of results and errors."""

from __future__ import annotations

import subprocess

import pytest

from conftest import python


def test_e2b_documentation_program_runs_unchanged_but_for_the_import() -> None:
    # From E2B's docs ("Quickstart", "Read & write files", "Running commands"); the first line
    # was `from e2b import Sandbox`.
    program = """
        from docksandbox.e2b import Sandbox

        sbx = Sandbox.create()
        result = sbx.commands.run('echo "Hello from E2B Sandbox!"')
        print(result.stdout, end="")

        sbx.files.write('/home/user/my-file.txt', 'Hello, world!')
        content = sbx.files.read('/home/user/my-file.txt')
        print(content)

        files = sbx.files.list('/home/user')
        print([f.name for f in files])
        print(sbx.sandbox_id)
        sbx.kill()
    """
    out = python(program, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:2] == ["Hello from E2B Sandbox!", "Hello, world!"]
    assert "my-file.txt" in lines[2]
    name = lines[3]
    left = subprocess.run(["docker", "ps", "-aq", "--filter", f"name=^{name}$"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "kill() left the sandbox"


def test_e2b_shapes() -> None:
    from docksandbox.e2b import CommandExitException, Sandbox, TimeoutException

    with Sandbox.create(allow_internet_access=False, envs={"GREETING": "hi"}) as sbx:
        r = sbx.commands.run("echo $GREETING; echo warn >&2", cwd="/tmp")
        assert (r.stdout, r.stderr, r.exit_code) == ("hi\n", "warn\n", 0)
        with pytest.raises(CommandExitException) as e:
            sbx.commands.run("echo no >&2; exit 4")
        assert (e.value.exit_code, e.value.stderr) == (4, "no\n")
        with pytest.raises(TimeoutException):
            sbx.commands.run("sleep 30", timeout=1)
        seen: list[str] = []
        sbx.commands.run("echo a; echo b", on_stdout=seen.append)
        assert "".join(seen) == "a\nb\n"
        sbx.files.write("/home/user/d/b.bin", bytes([0, 255, 1]))
        assert sbx.files.read("/home/user/d/b.bin", format="bytes") == bytearray([0, 255, 1])
        assert sbx.files.exists("/home/user/d") and not sbx.files.exists("/home/user/nope")
        again = Sandbox.connect(sbx.sandbox_id)
        assert again.commands.run("cat /home/user/d/b.bin | wc -c").stdout.strip() == "3"
        assert sbx.is_running()
    assert not sbx.is_running()
