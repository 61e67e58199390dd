"""Grading a file of written answers, in-process: rows, errors with file:line:field, summaries."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent import MAX_ANSWER_CHARS, InputError, OfflineGrader, QuestionBank
from agent.batch import AnswerRow, grade_file, read_answers, write_summary


def _jsonl(path: Path, *rows: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _row(candidate: str, question: str, answer: str) -> dict[str, str]:
    return {"candidate_id": candidate, "question_id": question, "answer": answer}


GOOD = [
    _row("alice", "regression-suite", STRONG_ANSWERS["regression-suite"]),
    _row("alice", "hallucination-debug", STRONG_ANSWERS["hallucination-debug"]),
    _row("bob", "regression-suite", TOURIST_ANSWER),
]


def test_good_rows_are_read_with_their_lines(tmp_path: Path, bank: QuestionBank) -> None:
    path = _jsonl(tmp_path / "a.jsonl", GOOD[0], "", GOOD[1], "   ", GOOD[2])
    items = list(read_answers(path, bank))
    rows = [r for r in items if isinstance(r, AnswerRow)]
    assert len(rows) == len(items) == 3, "blank lines are skipped, the rest are good rows"
    assert [r.line for r in rows] == [1, 3, 5]
    assert [(r.candidate_id, r.question_id) for r in rows] == [
        ("alice", "regression-suite"),
        ("alice", "hallucination-debug"),
        ("bob", "regression-suite"),
    ]


BAD_ROWS: list[tuple[object, str, str]] = [
    # (row, field named in the error, a word of the reason)
    ('{"candidate_id": "c1", "question_id": ', "", "invalid JSON"),
    ('["not", "an", "object"]', "", "JSON object"),
    ({"question_id": "regression-suite", "answer": "x y"}, "candidate_id", "missing"),
    ({"candidate_id": "c2", "answer": "x y"}, "question_id", "missing"),
    ({"candidate_id": "c3", "question_id": "regression-suite"}, "answer", "missing"),
    (
        {"candidate_id": 7, "question_id": "regression-suite", "answer": "x y"},
        "candidate_id",
        "int",
    ),
    ({"candidate_id": "c4", "question_id": "regression-suite", "answer": ["x"]}, "answer", "list"),
    (
        {"candidate_id": "c5", "question_id": "regression-suite", "answer": None},
        "answer",
        "missing",
    ),
    (
        {"candidate_id": "  ", "question_id": "regression-suite", "answer": "x y"},
        "candidate_id",
        "empty",
    ),
    (_row("c6", "no-such-question", "x y"), "question_id", "no-such-question"),
    (_row("c7", "regression-suite", "x" * (MAX_ANSWER_CHARS + 1)), "answer", "limit"),
    (_row("alice", "regression-suite", "again"), "question_id", "duplicate of line 1"),
]


def test_each_bad_row_is_one_error_naming_line_and_field(
    tmp_path: Path, bank: QuestionBank
) -> None:
    rows: list[object] = [GOOD[0]]
    for bad, _, _ in BAD_ROWS:
        rows.append(bad)
    rows.append(GOOD[2])
    path = _jsonl(tmp_path / "mixed.jsonl", *rows)
    items = list(read_answers(path, bank))
    assert len(items) == len(rows)
    assert isinstance(items[0], AnswerRow) and isinstance(items[-1], AnswerRow)
    errors = items[1:-1]
    for number, (error, (_, field, reason)) in enumerate(zip(errors, BAD_ROWS, strict=True), 2):
        assert isinstance(error, InputError), error
        assert error.path == str(path)
        assert error.line == number
        assert error.field == field
        message = str(error)
        assert message.startswith(f"{path}:{number}: ")
        if field:
            assert f": {field}: " in message
        assert reason in message, message


def test_grade_file_grades_good_rows_and_collects_errors(
    tmp_path: Path, bank: QuestionBank
) -> None:
    path = _jsonl(tmp_path / "mixed.jsonl", GOOD[0], "{broken", GOOD[1], GOOD[2])
    out = io.StringIO()
    seen: list[InputError] = []
    result = grade_file(path, out, bank, OfflineGrader(), on_error=seen.append)
    assert result.graded == 3
    assert [e.line for e in result.errors] == [2] and seen == result.errors
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert [(r["candidate_id"], r["question_id"]) for r in records] == [
        ("alice", "regression-suite"),
        ("alice", "hallucination-debug"),
        ("bob", "regression-suite"),
    ]
    alice, bob = records[0], records[2]
    assert alice["score"] > bob["score"]
    for record in records:
        assert 1 <= record["score"] <= 5
        assert record["grader"] == {"name": "offline", "version": OfflineGrader().info.version}
        assert isinstance(record["injection"], bool)
        assert isinstance(record["evidence"], list)
    assert sorted(result.verdicts) == ["alice", "bob"]


def test_csv_rows_and_multiline_fields(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "answers.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["candidate_id", "question_id", "answer", "extra"])
        writer.writerow(["alice", "regression-suite", "first line\nsecond line", "x"])
        writer.writerow(["bob", "nope-question", "answer", "y"])
        writer.writerow(["carol", "before-after", STRONG_ANSWERS["before-after"], "z"])
    items = list(read_answers(path, bank))
    assert isinstance(items[0], AnswerRow) and items[0].answer == "first line\nsecond line"
    assert items[0].line == 2
    assert isinstance(items[1], InputError) and items[1].line == 4
    assert items[1].field == "question_id"
    assert isinstance(items[2], AnswerRow) and items[2].line == 5


def test_csv_without_a_required_column(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("candidate_id,answer\nalice,hello there\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(read_answers(path, bank))
    assert info.value.line == 1 and info.value.field == "question_id"


def test_empty_and_non_utf8_files(tmp_path: Path, bank: QuestionBank) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(read_answers(empty, bank))
    assert "empty" in str(info.value) and str(empty) in str(info.value)
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps(GOOD[0]).encode() + b"\n" + b'{"candidate_id": "caf\xe9"}\n')
    with pytest.raises(InputError) as info:
        list(read_answers(latin, bank))
    assert info.value.line == 2
    assert "UTF-8" in str(info.value)


def test_utf8_bom_is_accepted(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD[0]).encode() + b"\n")
    rows = list(read_answers(path, bank))
    assert len(rows) == 1 and isinstance(rows[0], AnswerRow)


def test_missing_file_is_a_user_error(tmp_path: Path, bank: QuestionBank) -> None:
    from agent import UserError

    with pytest.raises(UserError):
        list(read_answers(tmp_path / "absent.jsonl", bank))


def test_write_summary(tmp_path: Path, bank: QuestionBank) -> None:
    rows = [
        *GOOD,
        _row("alice", "before-after", STRONG_ANSWERS["before-after"]),
        _row("bob", "hallucination-debug", ""),
        _row("bob", "before-after", TOURIST_ANSWER),
    ]
    path = _jsonl(tmp_path / "a.jsonl", *rows)
    result = grade_file(path, io.StringIO(), bank, OfflineGrader())
    summary = tmp_path / "summary.csv"
    write_summary(summary, result, bank)
    with summary.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert {"candidate_id", "overall", "tourist", "reasons"} <= set(table[0])
    by_id = {r["candidate_id"]: r for r in table}
    assert set(by_id) == {"alice", "bob"}
    assert by_id["alice"]["tourist"] == "false" and by_id["bob"]["tourist"] == "true"
    assert float(by_id["alice"]["overall"]) > float(by_id["bob"]["overall"])
    assert by_id["alice"]["answered"] == "3" and by_id["bob"]["answered"] == "3"
    assert "no answer" in by_id["bob"]["reasons"]
