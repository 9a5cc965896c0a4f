"""Adapters that put a docksandbox sandbox in the code-execution slot of agent frameworks.

One module per framework, each importing its framework only when imported itself (the
framework is an optional extra, never a dependency of ``docksandbox``):

- :mod:`docksandbox.integrations.deepagents` — ``DockSandboxBackend``, a Deep Agents
  ``BaseSandbox`` (``pip install "docksandbox[deepagents]"``).
- :mod:`docksandbox.integrations.pydantic_ai` — ``DockSandbox``, a pydantic-ai capability, and
  ``DockSandboxWorkspace``, its ``WorkspaceBackend`` (``pip install "docksandbox[pydantic-ai]"``).

Every adapter takes an existing :class:`docksandbox.Sandbox`, a sandbox's name (``name=``, to
resume one a framework serialized), or :func:`docksandbox.run`'s keyword arguments.
"""
