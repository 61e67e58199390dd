"""Start-up stays light: printing help loads none of the heavy libraries (LangGraph, the provider
SDKs, the web stack, scikit-learn; pydantic neither for the command list, though typer itself
loads it to read a command's options); the commands load them when they run. Times are measured
by ``evals/bench/startup.py``, not here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"langgraph", "langchain_core", "langsmith", "anthropic", "openai", "fastapi", "sklearn"}

PROBE = """
import json, sys
sys.argv = ["screener", *json.loads(sys.argv[1])]
import agent.cli
try:
    agent.cli.app()
except SystemExit:
    pass
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps(roots), file=sys.stderr)
"""


def _loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_the_command_list_loads_no_heavy_library() -> None:
    assert not _loaded("--help") & (HEAVY | {"pydantic"})


@pytest.mark.parametrize("command", ["chat", "grade", "eval", "calibrate", "train", "serve"])
def test_a_commands_help_loads_no_heavy_library(command: str) -> None:
    assert not _loaded(command, "--help") & HEAVY


def test_a_command_loads_what_it_uses(tmp_path: Path) -> None:
    """The probe sees a heavy import: listing sessions opens them through LangGraph."""
    assert "langgraph" in _loaded("sessions", "--db", str(tmp_path / "s.sqlite"))


def test_the_public_api_loads_on_first_use() -> None:
    code = (
        "import sys, agent; light = 'langgraph' not in sys.modules; agent.Interview; "
        "print(light, 'langgraph' in sys.modules, 'Interview' in dir(agent))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True"]


def test_every_public_name_has_a_home_and_is_listed() -> None:
    """The lazy table and ``__all__`` name the same things, and each name resolves."""
    import agent

    homes = agent._HOMES  # type: ignore[attr-defined]
    assert set(agent.__all__) == set(homes)
    assert all(getattr(agent, name) is not None for name in agent.__all__)
