"""``screener --help`` and every command's, ``--version``, and the small front-end checks."""

from __future__ import annotations

import re
import subprocess
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from agent.cli import app

COMMANDS = [
    "chat",
    "grade",
    "eval",
    "calibrate",
    "train",
    "questions",
    "validate",
    "schema",
    "serve",
    "sessions",
    "report",
    "compare",
    "review",
    "decide",
    "explain",
    "audit",
    "labels",
]


def _help(*words: str) -> str:
    """The help a normal terminal shows (100 columns, no colour)."""
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def _text(output: str) -> str:
    """The help's words in order: panel borders dropped, wrapped lines joined."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def _run(exe: str, env: dict[str, str] | None, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``screener`` run as a user would, with ``args``."""
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_every_command_is_covered() -> None:
    lines = _help().splitlines()
    listed = [m.group(1) for line in lines if (m := re.match(r"│ (\w+) {2,}\S", line))]
    assert listed == COMMANDS


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_reads_right(command: str) -> None:
    output = _help(*command.split())
    assert "<bool>" not in output, "a flag takes no value, so its help shows no type"
    for line in output.splitlines():
        cells = re.sub(r"[│╭╮╰╯─]", " ", line)
        # columns are apart by two spaces or more; inside a sentence words are one space apart
        assert not re.search(r"[a-z,;:)]  +[a-z(]", cells), line
        assert not re.search(r"\w [.,;:)]", cells), line


def test_flags_show_no_type_but_options_do() -> None:
    rows = {line.split()[1]: line for line in _help("grade").splitlines() if "│    --" in line}
    assert re.search(r"--quiet +No progress bar", rows["--quiet"])
    assert re.search(r"--help +Show this message", rows["--help"])
    assert "<int range>" in rows["--concurrency"]
    assert "--no-examples-cv  " in rows["--examples-cv"]


def test_rpm_and_tpm_say_what_they_budget() -> None:
    text = _text(_help("grade"))
    assert "--rpm [PROVIDER=]N Requests per minute for each provider" in text
    assert "--tpm [PROVIDER=]N Tokens per minute for each provider" in text


def test_worker_default_is_not_swallowed_as_markup() -> None:
    assert "one event loop each (default: one per core, plus one for an LLM provider)." in _text(
        _help("grade")
    )


def test_version(screener_exe: str) -> None:
    expected = f"screener {version('screening-agent')}"
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, expected + "\n")
    done = _run(screener_exe, None, "--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, expected + "\n", "")


def test_version_is_listed() -> None:
    assert "--version Print the installed version and exit." in _text(_help())


def test_questions_rejects_an_unknown_track(screener_exe: str, cli_env: dict[str, str]) -> None:
    done = _run(screener_exe, cli_env, "questions", "--track", "bogus")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "screener: error: unknown track 'bogus'; the tracks are ai-engineer, ml-engineer"
    ]


def test_questions_of_one_track() -> None:
    result = CliRunner().invoke(
        app, ["questions", "--track", "ml-engineer"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0
    rows = [line for line in result.output.splitlines() if line.startswith("│ ")]
    tracks = {line.split("│")[2].strip() for line in rows if line.split("│")[2].strip()}
    assert tracks == {"ml-engineer"}


def test_calibrate_takes_the_shared_fallback_option(
    screener_exe: str, cli_env: dict[str, str]
) -> None:
    fallback = "--fallback <str> Provider to try when the previous one fails (repeatable)."
    assert fallback in _text(_help("calibrate"))
    assert fallback in _text(_help("grade"))
    done = _run(screener_exe, cli_env, "calibrate", "--fallback", "nonsense")
    assert done.returncode == 2
    assert done.stderr.startswith("screener: error: unknown provider 'nonsense'")


def test_eval_help_defines_length_bias() -> None:
    from agent.evaluation import LENGTH_BIAS

    text = _text(_help("eval"))
    assert f"Length bias is the {LENGTH_BIAS}." in text
    assert "The threshold length_bias_abs is on its absolute value." in text
