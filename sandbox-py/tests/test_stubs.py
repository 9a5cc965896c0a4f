"""The .pyi stubs against the compiled module (mypy.stubtest), and the typed surface (mypy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stubtest_matches_the_compiled_module(tmp_path: Path) -> None:
    # From another directory, so the installed package is the one checked.
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "docksandbox"],  # with its submodules
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert p.returncode == 0, p.stdout + p.stderr


def test_package_and_example_type_check(tmp_path: Path) -> None:
    for target in (["-p", "docksandbox"], [str(ROOT / "examples" / "python" / "quickstart.py")]):
        p = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *target],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )
        assert p.returncode == 0, p.stdout + p.stderr
