"""The frameworks are optional: with none of them importable, `docksandbox`, its aio and e2b
modules import, and each adapter's import fails with the extra to install."""

from __future__ import annotations

from conftest import python


def test_docksandbox_imports_without_any_framework() -> None:
    out = python("""
        import importlib, pkgutil, sys
        FRAMEWORKS = ("deepagents", "langchain_core", "pydantic_ai", "agents", "autogen_core", "autogen_agentchat")

        class NoFrameworks:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in FRAMEWORKS:
                    raise ImportError(f"{name} is not installed (hidden by the test)")
                return None

        sys.meta_path.insert(0, NoFrameworks())
        import docksandbox, docksandbox.aio, docksandbox.e2b, docksandbox.integrations
        adapters = [m.name for m in pkgutil.iter_modules(docksandbox.integrations.__path__) if not m.name.startswith("_")]
        assert {"deepagents", "pydantic_ai"} <= set(adapters), adapters
        for adapter in adapters:
            extra = adapter.replace("_", "-")
            try:
                importlib.import_module(f"docksandbox.integrations.{adapter}")
            except ImportError as e:
                assert f'docksandbox[{extra}]' in str(e), e
            else:
                raise AssertionError(f"{adapter} imported without its framework")
        print("ok")
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"
