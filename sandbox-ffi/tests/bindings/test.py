# uniffi's Python binding against the real engine (the pyo3 package is the one Python users
# want; this checks the generated module works too).
import asyncio
import os
import tempfile

from docksandbox import Client, DocksandboxError, SandboxSpec

image = os.environ.get("DOCKSANDBOX_FFI_IMAGE", "docksandbox/busybox:test")
labels = {"dev.docksandbox.test-run": os.environ.get("DOCKSANDBOX_TEST_RUN", "ffi-python")}
ws = os.path.realpath(tempfile.mkdtemp(prefix="docksandbox-ffi-py"))

client = Client(None)
sb = client.run_blocking(SandboxSpec(workspace=ws, agent="shell", template=image, network="none", labels=labels))
try:
    out = sb.exec_blocking(["pwd"], None)
    assert out.exit_code == 0 and out.stdout.decode().strip() == ws, out
    sb.write_file_blocking(f"{ws}/f.txt", b"from python")
    assert sb.read_file_blocking(f"{ws}/f.txt") == b"from python"
    try:
        client.run_blocking(SandboxSpec(workspace=ws, agent="shell", template=image, cpus=-1.0, labels=labels))
        raise AssertionError("negative cpus accepted")
    except DocksandboxError.InvalidSpec as e:
        assert e.field == "cpus" and e.code == "INVALID_SPEC", e

    async def three():
        return await asyncio.gather(*(sb.exec(["echo", str(i)], None) for i in range(3)))

    assert [o.stdout for o in asyncio.run(three())] == [b"0\n", b"1\n", b"2\n"]
finally:
    sb.remove_blocking()
print("python: ok")
