"""Adapters that put a docksandbox sandbox in the code-execution slot of agent frameworks.

One module per framework, each importing its framework only when imported itself (the
framework is an optional extra, never a dependency of ``docksandbox``):

- :mod:`docksandbox.integrations.deepagents` — ``DockSandboxBackend``, a Deep Agents
  ``BaseSandbox`` (``pip install "docksandbox[deepagents]"``).
- :mod:`docksandbox.integrations.pydantic_ai` — ``DockSandbox``, a pydantic-ai capability, and
  ``DockSandboxWorkspace``, its ``WorkspaceBackend`` (``pip install "docksandbox[pydantic-ai]"``).
- :mod:`docksandbox.integrations.openai_agents` — ``shell_executor``, for the OpenAI Agents
  SDK's ``ShellTool(executor=...)`` (``pip install "docksandbox[openai-agents]"``).
- :mod:`docksandbox.integrations.autogen` — ``DockSandboxCodeExecutor``, an AutoGen
  ``CodeExecutor`` (``pip install "docksandbox[autogen]"``).

:mod:`docksandbox.e2b` is the E2B SDK's shape, for code written against E2B.

Every adapter takes an existing :class:`docksandbox.Sandbox`, a sandbox's name (``name=``, to
resume one a framework serialized), or :func:`docksandbox.run`'s keyword arguments.
"""
