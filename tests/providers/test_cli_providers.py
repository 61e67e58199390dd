"""``--provider`` on the commands, end to end in subprocesses (scripted and keyless cases)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

TIMEOUT = 60


def run(
    exe: str, args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args], input=stdin, capture_output=True, text=True, env=env, timeout=TIMEOUT
    )


def test_grade_with_the_scripted_provider(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text(
        json.dumps(
            {"candidate_id": "c1", "question_id": "before-after", "answer": "p95 went 2.1s -> 3.4s"}
        )
        + "\n"
    )
    out = tmp_path / "g.jsonl"
    done = run(
        screener_exe, ["grade", str(answers), "--out", str(out), "--provider", "fake:echo"], cli_env
    )
    assert done.returncode == 0, done.stderr
    row = json.loads(out.read_text())
    assert row["grader"]["name"] == "fake:echo" and row["score"] == 3
    assert row["verdict"]["prompt_hashes"]["judge"]


def test_chat_with_the_scripted_provider(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "r"
    done = run(
        screener_exe,
        [
            "chat",
            "--question-ids",
            "regression-suite",
            "--provider",
            "fake:naive",
            "--report-out",
            str(report),
        ],
        cli_env,
        stdin="We have tests.\nI wrote 40 cases.\n",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(report.with_suffix(".json").read_text())
    assert data["grader"]["name"] == "fake:naive"
    assert [t["kind"] for t in data["transcript"]] == ["question", "probe"]
    assert data["usage"]["calls"] >= 2


def test_a_missing_key_is_one_clear_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text(
        json.dumps({"candidate_id": "c", "question_id": "before-after", "answer": "x"}) + "\n"
    )
    done = run(
        screener_exe,
        [
            "grade",
            str(answers),
            "--out",
            str(tmp_path / "o.jsonl"),
            "--provider",
            "anthropic:claude-x",
        ],
        cli_env,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ANTHROPIC_API_KEY is not set" in lines[0]
