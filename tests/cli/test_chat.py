"""``screener chat`` over pipes: the non-TTY protocol, resume, errors and surviving kill -9."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER, TOURIST_PROBE_ANSWER

from agent import MAX_ANSWER_CHARS, Interview, Report

pytestmark = pytest.mark.slow

TIMEOUT = 60

CORE_PROMPTS = [
    "[Question - question 1 of 3] Show me a regression suite you wrote.",
    "[Question - question 2 of 3] Walk me through a hallucination you debugged.",
    "[Question - question 3 of 3] What did you measure before vs after?",
]
PROMPT_LINE = re.compile(r"^\[(Question|Follow-up) - question (\d+) of (\d+)\] ")
SESSION_LINE = re.compile(
    r"^session (\S+) \(resume with: (?:\S*/)?screener chat --resume (\S+) --db (.+)\)$"
)


def chat(
    exe: str, env: dict[str, str], answers: list[str], *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """Run ``screener chat`` with one answer per line of standard input."""
    stdin = "".join(a + "\n" for a in answers)
    return subprocess.run(
        [exe, "chat", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
    )


def prompts_of(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if PROMPT_LINE.match(line)]


def session_id_of(stderr: str) -> str:
    for line in stderr.splitlines():
        match = SESSION_LINE.match(line)
        if match:
            assert match.group(1) == match.group(2)
            return match.group(1)
    raise AssertionError(f"no session line on stderr: {stderr!r}")


def load_report(base: Path) -> Report:
    return Report.model_validate_json(base.with_suffix(".json").read_text(encoding="utf-8"))


# --- the non-TTY protocol --------------------------------------------------------------------


def test_full_session(screener_exe: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    db, out = tmp_path / "chat.sqlite", tmp_path / "reports" / "report"
    answers = [
        STRONG_ANSWERS[k] for k in ("regression-suite", "hallucination-debug", "before-after")
    ]
    proc = chat(
        screener_exe, cli_env, answers, "--db", db, "--report-out", out, "--max-followups", "0"
    )
    assert proc.returncode == 0, proc.stderr
    assert prompts_of(proc.stdout) == CORE_PROMPTS
    assert proc.stdout.splitlines()[0] == CORE_PROMPTS[0]
    session_id = session_id_of(proc.stderr)
    assert f"--db {db}" in proc.stderr
    # Both report files are written, and stdout ends with the Markdown report.
    markdown = out.with_suffix(".md").read_text(encoding="utf-8")
    assert markdown.startswith(f"# Screening report: session {session_id}")
    assert proc.stdout.rstrip().endswith(markdown.rstrip())
    report = load_report(out)
    assert report.session_id == session_id
    assert report.status == "complete"
    assert [t.answer for t in report.transcript] == answers
    assert report.tourist.flagged is False
    assert f"report written to {out.with_suffix('.json')}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_eof_ends_the_session_early(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db, out = tmp_path / "chat.sqlite", tmp_path / "report.json"
    proc = chat(
        screener_exe,
        cli_env,
        [TOURIST_ANSWER, TOURIST_PROBE_ANSWER],
        "--db",
        db,
        "--report-out",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    prompts = prompts_of(proc.stdout)
    assert prompts[0] == CORE_PROMPTS[0]
    assert prompts[1].startswith("[Follow-up - question 1 of 3] "), "the tourist is probed"
    assert prompts[2] == CORE_PROMPTS[1]
    assert len(prompts) == 3
    report = load_report(out)
    assert report.status == "ended-early"
    assert [t.answer for t in report.transcript] == [TOURIST_ANSWER, TOURIST_PROBE_ANSWER]
    # One question of three answered: too little to call anyone a tourist, and it says why.
    assert (report.tourist.flagged, report.tourist.applicable) == (False, False)
    assert "1 of 3 questions answered, too few to judge" in report.tourist.reasons[0]
    assert (tmp_path / "report.md").exists()
    assert "- Status: ended-early (1 of 3 questions answered)" in proc.stdout
    assert "- Prompt-tourist flag: **not judged**" in proc.stdout


def test_question_ids_in_order(screener_exe: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report"
    proc = chat(
        screener_exe,
        cli_env,
        [STRONG_ANSWERS["before-after"], STRONG_ANSWERS["regression-suite"]],
        "--db",
        tmp_path / "chat.sqlite",
        "--report-out",
        out,
        "--question-ids",
        "before-after,regression-suite",
        "--max-followups",
        "0",
    )
    assert proc.returncode == 0, proc.stderr
    assert prompts_of(proc.stdout) == [
        "[Question - question 1 of 2] What did you measure before vs after?",
        "[Question - question 2 of 2] Show me a regression suite you wrote.",
    ]
    report = load_report(out)
    assert [r.question_id for r in report.questions] == ["before-after", "regression-suite"]
    assert report.status == "complete"


def test_resume_continues(screener_exe: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    db, out = tmp_path / "chat.sqlite", tmp_path / "report"
    with Interview.open(db) as interview:
        step = interview.start(max_followups=0)
        step = interview.answer(step.session_id, STRONG_ANSWERS["regression-suite"])
        session_id = step.session_id
    rest = [STRONG_ANSWERS["hallucination-debug"], STRONG_ANSWERS["before-after"]]
    proc = chat(
        screener_exe, cli_env, rest, "--resume", session_id, "--db", db, "--report-out", out
    )
    assert proc.returncode == 0, proc.stderr
    assert session_id_of(proc.stderr) == session_id
    assert prompts_of(proc.stdout) == CORE_PROMPTS[1:]
    report = load_report(out)
    assert report.status == "complete"
    assert [t.answer for t in report.transcript] == [STRONG_ANSWERS["regression-suite"], *rest]


def test_unknown_question_id(screener_exe: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    proc = chat(
        screener_exe,
        cli_env,
        ["an answer"],
        "--db",
        tmp_path / "chat.sqlite",
        "--question-ids",
        "regression-suite,not-a-question",
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("screener: error:")
    assert "not-a-question" in lines[0]
    assert prompts_of(proc.stdout) == []


def test_answer_over_the_limit_is_refused_then_next_line_taken(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "report"
    too_long = "z" * (MAX_ANSWER_CHARS + 1)
    proc = chat(
        screener_exe,
        cli_env,
        [too_long, STRONG_ANSWERS["regression-suite"]],
        "--db",
        tmp_path / "chat.sqlite",
        "--report-out",
        out,
        "--question-ids",
        "regression-suite",
        "--max-followups",
        "0",
    )
    assert proc.returncode == 0, proc.stderr
    refusals = [line for line in proc.stderr.splitlines() if line.startswith("screener: answer")]
    assert len(refusals) == 1, proc.stderr
    assert f"{MAX_ANSWER_CHARS + 1:,} characters" in refusals[0]
    assert f"the limit is {MAX_ANSWER_CHARS:,}" in refusals[0]
    # The question is shown again, and the next line answers it.
    assert (
        prompts_of(proc.stdout)
        == ["[Question - question 1 of 1] Show me a regression suite you wrote."] * 2
    )
    assert too_long not in proc.stdout
    report = load_report(out)
    assert report.status == "complete"
    assert [t.answer for t in report.transcript] == [STRONG_ANSWERS["regression-suite"]]


# --- kill -9 ---------------------------------------------------------------------------------


class LineReader:
    """Reads a pipe on a thread so that every wait has a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {pattern.pattern!r}; saw {self.seen}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"stream closed before {pattern.pattern!r}; saw {self.seen}")
            self.seen.append(line)
            if pattern.search(line):
                return line


@pytest.mark.slow
def test_kill_9_mid_session_loses_no_answer(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db, out = tmp_path / "chat.sqlite", tmp_path / "report"
    answer_1 = STRONG_ANSWERS["regression-suite"] + " Thanks — naïve café."
    proc = subprocess.Popen(
        [screener_exe, "chat", "--db", str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=cli_env,
    )
    try:
        assert proc.stdin and proc.stdout and proc.stderr
        stdout, stderr = LineReader(proc.stdout), LineReader(proc.stderr)
        session_id = session_id_of(stderr.wait_for(SESSION_LINE))
        first = stdout.wait_for(PROMPT_LINE)
        assert first == CORE_PROMPTS[0]
        proc.stdin.write(answer_1 + "\n")
        proc.stdin.flush()
        following = stdout.wait_for(PROMPT_LINE)  # answer 1 has been processed and saved
        assert following != first
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=TIMEOUT) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=TIMEOUT)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass

    rest = [STRONG_ANSWERS["hallucination-debug"], STRONG_ANSWERS["before-after"]]
    resumed = chat(
        screener_exe, cli_env, rest, "--resume", session_id, "--db", db, "--report-out", out
    )
    assert resumed.returncode == 0, resumed.stderr
    assert prompts_of(resumed.stdout)[0] == following, "resume shows the prompt that was pending"
    report = load_report(out)
    assert report.session_id == session_id
    assert report.status == "complete"
    answers = [t.answer for t in report.transcript]
    assert answers[0] == answer_1
    assert answers[-2:] == rest
    asked = [(t.question_id, t.kind, t.prompt) for t in report.transcript]
    assert len(asked) == len(set(asked)), f"a prompt was asked twice: {asked}"
    questions = [t.question_id for t in report.transcript if t.kind == "question"]
    assert questions == ["regression-suite", "hallucination-debug", "before-after"]
    markdown = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "naïve café" in markdown
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))["transcript"]
