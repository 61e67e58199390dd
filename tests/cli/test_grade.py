"""``screener grade`` as a real subprocess on temporary JSONL and CSV files."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import INJECTION_PAYLOADS, STRONG_ANSWERS, TOURIST_ANSWER

from agent import MAX_ANSWER_CHARS

pytestmark = pytest.mark.slow

TIMEOUT = 60


def run_grade(exe: str, env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "grade", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


def _row(candidate: str, question: str, answer: str) -> str:
    return json.dumps({"candidate_id": candidate, "question_id": question, "answer": answer})


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("screener: error:")]


def _check_record(record: dict[str, object]) -> None:
    assert isinstance(record["candidate_id"], str)
    assert isinstance(record["question_id"], str)
    assert isinstance(record["score"], int) and 1 <= record["score"] <= 5
    criteria = record["criteria"]
    assert isinstance(criteria, dict) and criteria
    assert all(isinstance(v, int) and 1 <= v <= 5 for v in criteria.values())
    assert isinstance(record["evidence"], list)
    assert all(isinstance(q, str) for q in record["evidence"])
    assert isinstance(record["injection"], bool)
    grader = record["grader"]
    assert isinstance(grader, dict) and set(grader) == {"name", "version"}
    assert grader["name"] == "offline" and grader["version"]


def test_good_rows(screener_exe: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    answers = tmp_path / "answers.jsonl"
    rows = [
        ("alice", "regression-suite", STRONG_ANSWERS["regression-suite"]),
        ("alice", "before-after", STRONG_ANSWERS["before-after"]),
        ("bob", "regression-suite", TOURIST_ANSWER + " " + INJECTION_PAYLOADS[0]),
    ]
    answers.write_text("\n".join(_row(*r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "verdicts.jsonl"
    proc = run_grade(screener_exe, cli_env, answers, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert _error_lines(proc.stderr) == []
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(written) == 3
    # Worker processes write verdicts as they finish: match them to the rows by their ids.
    by_pair = {(r["candidate_id"], r["question_id"]): r for r in written}
    records = [by_pair[(candidate, question)] for candidate, question, _ in rows]
    for record, (candidate, question, answer) in zip(records, rows, strict=True):
        _check_record(record)
        assert (record["candidate_id"], record["question_id"]) == (candidate, question)
        for quote in record["evidence"]:
            assert quote in answer
    assert records[0]["evidence"], "a strong answer quotes its evidence"
    assert records[0]["score"] > records[2]["score"]
    assert [r["injection"] for r in records] == [False, False, True]
    assert "graded 3 answer(s)" in proc.stderr


def test_bad_rows_are_reported_and_good_rows_still_graded(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = [
        _row("alice", "regression-suite", STRONG_ANSWERS["regression-suite"]),
        _row("bob", "hallucination-debug", TOURIST_ANSWER),
        _row("carol", "before-after", STRONG_ANSWERS["before-after"]),
    ]
    # (line text, field named in the error)
    bad = [
        ('{"candidate_id": "x", "question_id": ', None),
        (json.dumps({"candidate_id": "d", "answer": "some answer"}), "question_id"),
        (json.dumps({"candidate_id": "e", "question_id": "before-after", "answer": 42}), "answer"),
        (_row("f", "no-such-question", "some answer"), "question_id"),
        (_row("alice", "regression-suite", "a second answer"), "question_id"),
        (_row("g", "before-after", "y" * (MAX_ANSWER_CHARS + 1)), "answer"),
    ]
    lines = [good[0], bad[0][0], bad[1][0], good[1], bad[2][0], bad[3][0], bad[4][0], bad[5][0]]
    lines.append(good[2])
    answers = tmp_path / "mixed.jsonl"
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "verdicts.jsonl"
    proc = run_grade(screener_exe, cli_env, answers, "--out", out)
    assert proc.returncode == 1, proc.stderr
    errors = _error_lines(proc.stderr)
    assert len(errors) == len(bad), proc.stderr
    bad_lines = [i for i, line in enumerate(lines, 1) if line not in good]
    for error, number, (_, field) in zip(errors, bad_lines, bad, strict=True):
        where = re.escape(f"screener: error: {answers}:{number}:")
        assert re.match(rf"{where}\d+: " + (f"{field}: " if field else ""), error), error
    assert "duplicate" in errors[4] and "no-such-question" in errors[3]
    assert "invalid JSON" in errors[0]
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {(r["candidate_id"], r["question_id"]) for r in records} == {
        ("alice", "regression-suite"),
        ("bob", "hallucination-debug"),
        ("carol", "before-after"),
    }
    for record in records:
        _check_record(record)
    assert "Traceback" not in proc.stderr


def test_an_empty_file_is_one_error_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers = tmp_path / "empty.jsonl"
    answers.write_bytes(b"")
    proc = run_grade(screener_exe, cli_env, answers, "--out", tmp_path / "out.jsonl")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"screener: error: {answers}:1:1: file is empty; expected one answer per row"]


def test_a_row_that_is_not_utf8_is_one_bad_row(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers = tmp_path / "latin1.jsonl"
    good = _row("ok", "before-after", "p95 went from 2.1 s to 1.2 s on 300 requests")
    answers.write_bytes(good.encode() + b"\n\xe9t\xe9\n")
    out = tmp_path / "out.jsonl"
    proc = run_grade(screener_exe, cli_env, answers, "--out", out)
    assert proc.returncode == 1
    assert _error_lines(proc.stderr) == [
        f"screener: error: {answers}:2:1: not UTF-8 text (byte 0xe9); save the file as UTF-8"
    ]
    assert [json.loads(line)["candidate_id"] for line in out.read_text().splitlines()] == ["ok"]
    assert "Traceback" not in proc.stderr


def test_take_home_questions_with_summary_and_html(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    questions = tmp_path / "take-home.yaml"
    questions.write_text(
        "questions:\n"
        "  - id: cache-design\n"
        "    text: How would you cut the cost of our summariser?\n"
        "    scale: {min: 0, max: 100}\n"
        "    reference_answer: >\n"
        "      Cache responses keyed by the prompt hash; repeated tickets hit the cache 40%.\n"
        "      Route short tickets to a smaller model and measure quality on a 200-ticket set.\n",
        encoding="utf-8",
    )
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        "\n".join(
            [
                _row(
                    "alice",
                    "cache-design",
                    "I cache responses keyed by the prompt hash: a 40% hit rate on repeated "
                    "tickets. Short tickets go to a smaller model; quality measured on a "
                    "200-ticket set.",
                ),
                _row("<i>bob</i>", "cache-design", "Use the cloud."),
                _row("alice", "before-after", STRONG_ANSWERS["before-after"]),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out, summary, report = tmp_path / "g.jsonl", tmp_path / "c.csv", tmp_path / "r.html"
    proc = run_grade(
        screener_exe,
        cli_env,
        answers,
        "--out",
        out,
        "--questions",
        questions,
        "--summary",
        summary,
        "--html",
        report,
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    rows = {
        (r["candidate_id"], r["question_id"]): r
        for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())
    }
    alice, bob = rows["alice", "cache-design"], rows["<i>bob</i>", "cache-design"]
    assert alice["scale"] == {"min": 0, "max": 100} and alice["score"] > bob["score"]
    assert rows["alice", "before-after"]["scale"] == {"min": 1, "max": 5}
    with summary.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["candidate_id"] for r in table] == ["alice", "<i>bob</i>"]
    html = report.read_text(encoding="utf-8")
    assert "&lt;i&gt;bob&lt;/i&gt;" in html and "<i>bob</i>" not in html


def test_a_bad_rate_limit_is_a_usage_error(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers = tmp_path / "a.jsonl"
    answers.write_text(_row("a", "before-after", "x y") + "\n", encoding="utf-8")
    proc = run_grade(
        screener_exe, cli_env, answers, "--out", tmp_path / "o.jsonl", "--rpm", "openai=lots"
    )
    assert proc.returncode == 2 and "--rpm" in proc.stderr and "PROVIDER=N" in proc.stderr


def test_csv_input_with_summary(screener_exe: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    with answers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["candidate_id", "question_id", "answer"])
        for qid, text in STRONG_ANSWERS.items():
            writer.writerow(["alice", qid, text])
        for qid in STRONG_ANSWERS:
            writer.writerow(["bob", qid, TOURIST_ANSWER])
    out = tmp_path / "verdicts.jsonl"
    summary = tmp_path / "summary.csv"
    proc = run_grade(screener_exe, cli_env, answers, "--out", out, "--summary", summary)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6
    for record in records:
        _check_record(record)
    with summary.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert {"candidate_id", "overall", "tourist", "reasons"} <= set(table[0])
    by_id = {row["candidate_id"]: row for row in table}
    assert set(by_id) == {"alice", "bob"}
    assert by_id["alice"]["tourist"] == "false"
    assert by_id["bob"]["tourist"] == "true"
    assert float(by_id["alice"]["overall"]) > float(by_id["bob"]["overall"])
    assert by_id["bob"]["reasons"]


CIRCUIT_YAML = """\
questions:
  - id: closed-path
    text: Why does the bulb light up in this circuit?
    scale: {min: 0, max: 2}
    reference_answer: The bulb is in a closed path with the battery.
  - id: open-switch
    text: Why is the bulb off when the switch is open?
    scale: {min: 0, max: 2}
    reference_answer: The open switch makes a gap, so the path is not closed.
"""
GRADED = [
    ("closed-path", "the bulb and battery form a closed path", 2),
    ("closed-path", "there is a closed path from the battery through the bulb", 2),
    ("closed-path", "because the battery and the bulb are in one closed path", 2),
    ("closed-path", "it is connected to the battery", 1),
    ("closed-path", "there is a battery", 1),
    ("closed-path", "the bulb is not in a closed path", 0),
    ("closed-path", "the path is not closed", 0),
    ("closed-path", "there is a gap in the path", 0),
    ("closed-path", "the switch is open", 0),
    ("open-switch", "the switch leaves a gap so the path is not closed", 2),
    ("open-switch", "a gap: the path is open", 2),
    ("open-switch", "the switch is open", 1),
    ("open-switch", "the bulb is broken", 0),
    ("open-switch", "the path is closed", 0),
    ("open-switch", "the open switch breaks the path with a gap", 2),
    ("open-switch", "the switch is off", 1),
    ("open-switch", "the bulb is on", 0),
    ("open-switch", "the switch makes a gap in the path", 2),
    ("open-switch", "the battery is dead", 0),
    ("open-switch", "nothing is wrong", 0),
]


def test_graded_examples(screener_exe: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    questions = tmp_path / "circuit.yaml"
    questions.write_text(CIRCUIT_YAML, encoding="utf-8")
    examples = tmp_path / "examples.jsonl"
    examples.write_text(
        "".join(
            json.dumps({"question_id": q, "answer": a, "score": s}) + "\n" for q, a, s in GRADED
        ),
        encoding="utf-8",
    )
    answers = tmp_path / "answers.jsonl"
    answers.write_text(
        _row("ann", "closed-path", "a closed path runs from the battery to the bulb")
        + "\n"
        + _row("ben", "closed-path", "the bulb is not on a closed path")
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "grades.jsonl"
    args = ("--out", out, "--questions", questions, "--examples", examples)
    proc = run_grade(screener_exe, cli_env, answers, *args)
    assert proc.returncode == 0, proc.stderr
    assert "examples: 20 graded answer(s) to 2 question(s); top-of-scale macro-F1" in proc.stderr
    rows = {r["candidate_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert (rows["ann"]["score"], rows["ben"]["score"]) == (2, 0)
    assert rows["ann"]["kind"] == "answer-key"
    assert "+examples-" in rows["ann"]["grader"]["version"]
    # A bad examples row is one line naming the file, the line and the field.
    examples.write_text('{"question_id": "closed-path", "answer": "x", "score": 7}\n')
    proc = run_grade(screener_exe, cli_env, answers, *args, "--no-examples-cv")
    assert proc.returncode != 0
    assert _error_lines(proc.stderr) == [
        f"screener: error: {examples}:1: score: expected a number from 0 to 2, got 7"
    ]
