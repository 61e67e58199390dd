"""Crash-safe resume: keys, truncated lines, changed configurations, and a real kill -9.

Rows are compared as sets keyed by (candidate, question): concurrent grading writes rows in the
order they finish, so the order may differ between runs; the content may not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent import QuestionBank, get_grader, load_bank
from agent.batch import BatchOptions, LimitSettings, grade_file, read_rows
from agent.cli._options import grader_options
from agent.grading.base import GraderOptions

from .conftest import row, write_jsonl

ANSWERS = [
    row(f"c{i:03d}", qid, text if i % 3 else TOURIST_ANSWER)
    for i in range(12)
    for qid, text in STRONG_ANSWERS.items()
]


def by_pair(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    rows = list(read_rows(path))
    pairs = {(r["candidate_id"], r["question_id"]): r for r in rows}
    assert len(pairs) == len(rows), "no duplicate rows"
    return pairs


def test_a_second_run_grades_nothing_and_keeps_every_row(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    out = tmp_path / "g.jsonl"
    first = grade_file(answers, out, bank, get_grader("offline"))
    before = by_pair(out)
    second = grade_file(answers, out, bank, get_grader("offline"))
    assert (first.graded, second.graded, second.resumed) == (36, 0, 36)
    assert by_pair(out) == before


def test_a_truncated_last_line_and_lost_rows_are_regraded(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    out = tmp_path / "g.jsonl"
    grade_file(answers, out, bank, get_grader("offline"))
    complete = by_pair(out)
    lines = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(lines[:20]) + lines[20][:57])  # as a kill mid-write leaves it
    result = grade_file(answers, out, bank, get_grader("offline"))
    assert (result.resumed, result.graded, result.dropped) == (20, 16, 1)
    assert by_pair(out) == complete
    assert out.read_bytes().endswith(b"\n")


def test_a_changed_answer_is_regraded_and_a_removed_row_dropped(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    out = tmp_path / "g.jsonl"
    grade_file(answers, out, bank, get_grader("offline"))
    edited = [dict(r) for r in ANSWERS[1:]]
    edited[0]["answer"] = "A different answer this time: I wrote 12 cases."
    write_jsonl(answers, *edited)
    result = grade_file(answers, out, bank, get_grader("offline"))
    assert (result.graded, result.resumed, result.dropped) == (1, 34, 2)
    pairs = by_pair(out)
    assert len(pairs) == 35 and ("c000", "regression-suite") not in pairs


def test_a_changed_grader_configuration_regrades_everything(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS[:6])
    out = tmp_path / "g.jsonl"
    grade_file(answers, out, bank, get_grader("offline"))
    options = GraderOptions(cache=False, reference_examples=False, calibration=False)
    echo = BatchOptions(settings={"provider": "fake:echo"})
    result = grade_file(answers, out, bank, get_grader("fake:echo", options), echo)
    assert (result.graded, result.resumed, result.dropped) == (6, 0, 6)
    assert {r["grader"]["name"] for r in read_rows(out)} == {"fake:echo"}, "never mixed"
    samples = BatchOptions(settings={"provider": "fake:echo", "samples": 2})
    again = grade_file(answers, out, bank, get_grader("fake:echo", options), samples)
    assert again.graded == 6, "another setting is another configuration"


def test_a_changed_take_home_scale_regrades_that_question(
    tmp_path: Path, bank: QuestionBank, questions_file: Path
) -> None:
    from agent.batch import load_questions

    answers = write_jsonl(
        tmp_path / "a.jsonl",
        row("alice", "fraud-eval", "Hold out a stratified test set of 500 labelled cases."),
        row("alice", "before-after", STRONG_ANSWERS["before-after"]),
    )
    out = tmp_path / "g.jsonl"
    grade_file(answers, out, load_questions(questions_file, bank), get_grader("offline"))
    questions_file.write_text(
        questions_file.read_text().replace("{min: 0, max: 10}", "{min: 0, max: 100}")
    )
    merged = load_questions(questions_file, bank)
    result = grade_file(answers, out, merged, get_grader("offline"))
    assert (result.graded, result.resumed) == (1, 1)
    assert by_pair(out)["alice", "fraud-eval"]["scale"] == {"min": 0, "max": 100}


# --- kill -9 ---------------------------------------------------------------------------------


def _grade_cmd(answers: Path, out: Path, url: str, workers: int = 1) -> list[str]:
    exe = Path(sys.executable).parent / "screener"
    return [
        str(exe),
        "grade",
        str(answers),
        "--out",
        str(out),
        "--provider",
        "openai:fake",
        "--base-url",
        url,
        "--concurrency",
        "4",
        "--workers",
        str(workers),
        "--no-cache",
        "--quiet",
    ]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-worker-processes"])
def test_kill_9_mid_run_then_resume_equals_an_uninterrupted_run(
    tmp_path: Path, cli_env: dict[str, str], fake_server: str, workers: int
) -> None:
    rows = [
        row(f"cand-{i:03d}", qid, f"{text} (candidate {i})")
        for i in range(40)
        for qid, text in STRONG_ANSWERS.items()
    ]
    answers = write_jsonl(tmp_path / "answers.jsonl", *rows)
    killed_out, clean_out = tmp_path / "killed.jsonl", tmp_path / "clean.jsonl"

    proc = subprocess.Popen(
        _grade_cmd(answers, killed_out, fake_server, workers),
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while _lines(killed_out) < 15 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    children = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    partial = _lines(killed_out)
    assert 15 <= partial < len(rows), "killed mid-run"
    assert len(children) == (workers if workers > 1 else 0)
    deadline = time.monotonic() + 10
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(c) for c in children), "orphaned workers exit on their own"
    assert _lines(killed_out) == partial, "nothing is written once the parent is gone"

    resumed = subprocess.run(
        _grade_cmd(answers, killed_out, fake_server, workers),
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    kept = int(resumed.stderr.split(" kept from an earlier run")[0].rsplit("(", 1)[1])
    graded = int(resumed.stderr.split("graded ")[1].split(" ")[0])
    assert kept >= partial - 1 and kept + graded == len(rows), resumed.stderr

    # The uninterrupted run, in-process with the same settings as the command line's.
    options = grader_options(None, fake_server, 1, True)
    settings = {"provider": "openai:fake", "fallbacks": [], "samples": 1, "base_url": fake_server}
    clean = grade_file(
        answers,
        clean_out,
        load_bank(),
        get_grader("openai:fake", options),
        BatchOptions(limits=LimitSettings(concurrency=4), settings=settings),
    )
    assert clean.graded == len(rows) and clean.degraded == 0
    assert by_pair(killed_out) == by_pair(clean_out)
    assert len(by_pair(killed_out)) == len(rows)
    assert all(json.loads(line) for line in killed_out.read_text().splitlines())
