"""Reading answers files and take-home questions: every bad input names file, line and column."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent import MAX_ANSWER_CHARS, BankError, QuestionBank, UserError
from agent._models import TakeHomeQuestion
from agent.batch import AnswerFileError, AnswerRow, grade_file, load_questions, read_answers
from agent.batch.output import read_rows

from .conftest import QUESTIONS_YAML, row, write_jsonl

GOOD = [
    row("alice", "regression-suite", STRONG_ANSWERS["regression-suite"]),
    row("alice", "hallucination-debug", STRONG_ANSWERS["hallucination-debug"]),
    row("bob", "regression-suite", TOURIST_ANSWER),
]


def test_good_rows_are_read_with_their_lines(tmp_path: Path, bank: QuestionBank) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", GOOD[0], "", GOOD[1], "   ", GOOD[2])
    items = list(read_answers(path, bank))
    assert all(isinstance(r, AnswerRow) for r in items) and len(items) == 3
    assert [r.line for r in items if isinstance(r, AnswerRow)] == [1, 3, 5]


# (line text, field, column, a word of the reason)
BAD_JSONL: list[tuple[str, str, int, str]] = [
    ('{"candidate_id": "c1", "question_id": ', "", 39, "invalid JSON"),
    ('["not", "an", "object"]', "", 1, "JSON object"),
    ('{"question_id": "regression-suite", "answer": "x y"}', "candidate_id", 1, "missing"),
    ('{"candidate_id": "c2", "answer": "x y"}', "question_id", 1, "missing"),
    ('{"candidate_id": "c3", "question_id": "regression-suite"}', "answer", 1, "missing"),
    (
        '{"candidate_id": 7, "question_id": "regression-suite", "answer": "x"}',
        "candidate_id",
        2,
        "int",
    ),
    (
        '{"candidate_id": "c4", "question_id": "before-after", "answer": ["x"]}',
        "answer",
        55,
        "list",
    ),
    (
        '{"candidate_id": "c5", "question_id": "before-after", "answer": null}',
        "answer",
        55,
        "missing",
    ),
    (
        '{"candidate_id": "  ", "question_id": "before-after", "answer": "x"}',
        "candidate_id",
        2,
        "empty",
    ),
    (json.dumps(row("c6", "no-such-question", "x y")), "question_id", 24, "no-such-question"),
    (
        json.dumps(row("c7", "before-after", "x" * (MAX_ANSWER_CHARS + 1))),
        "answer",
        55,
        f"limit is {MAX_ANSWER_CHARS:,}",
    ),
    (
        json.dumps(row("alice", "regression-suite", "again")),
        "question_id",
        27,
        "duplicate of line 1",
    ),
]


def test_each_bad_jsonl_row_is_one_error_naming_line_column_and_field(
    tmp_path: Path, bank: QuestionBank
) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", GOOD[0], *(b[0] for b in BAD_JSONL), GOOD[2])
    items = list(read_answers(path, bank))
    assert len(items) == len(BAD_JSONL) + 2
    assert isinstance(items[0], AnswerRow) and isinstance(items[-1], AnswerRow)
    for number, (error, (_, field, column, reason)) in enumerate(
        zip(items[1:-1], BAD_JSONL, strict=True), start=2
    ):
        assert isinstance(error, AnswerFileError), error
        assert (error.path, error.line, error.column, error.field) == (
            str(path),
            number,
            column,
            field,
        )
        prefix = f"{path}:{number}:{column}: " + (f"{field}: " if field else "")
        assert str(error).startswith(prefix), str(error)
        assert reason in str(error)


def test_a_bad_byte_is_one_bad_row_and_the_rest_are_read(
    tmp_path: Path, bank: QuestionBank
) -> None:
    path = tmp_path / "latin.jsonl"
    good = json.dumps(GOOD[0]).encode()
    bad = b'{"candidate_id": "caf\xe9", "question_id": "before-after", "answer": "x"}'
    path.write_bytes(good + b"\n" + bad + b"\n" + json.dumps(GOOD[2]).encode() + b"\n")
    items = list(read_answers(path, bank))
    assert [type(i).__name__ for i in items] == ["AnswerRow", "AnswerFileError", "AnswerRow"]
    error = items[1]
    assert isinstance(error, AnswerFileError)
    assert (error.line, error.column) == (2, 22), "the column of the bad byte"
    assert "not UTF-8" in str(error) and "0xe9" in str(error)


def test_empty_file_is_one_fatal_error(tmp_path: Path, bank: QuestionBank) -> None:
    for name, content in (("empty.jsonl", b""), ("blank.jsonl", b"\n  \n"), ("e.csv", b"")):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(AnswerFileError) as info:
            list(read_answers(path, bank))
        assert str(info.value).startswith(f"{path}:1:1: ") and "empty" in str(info.value)


def test_missing_file_is_a_user_error(tmp_path: Path, bank: QuestionBank) -> None:
    with pytest.raises(UserError) as info:
        list(read_answers(tmp_path / "absent.jsonl", bank))
    assert "absent.jsonl" in str(info.value)


def test_utf8_bom_is_accepted(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD[0]).encode() + b"\n")
    assert [type(r) for r in read_answers(path, bank)] == [AnswerRow]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_csv_rows_multiline_fields_and_field_columns(tmp_path: Path, bank: QuestionBank) -> None:
    path = _csv(
        tmp_path / "answers.csv",
        [
            ["extra", "candidate_id", "question_id", "answer"],
            ["x", "alice", "regression-suite", "first line\nsecond line"],
            ["y", "bob", "nope-question", "answer"],
            ["z", "carol", "before-after", STRONG_ANSWERS["before-after"]],
            ["w", "alice", "regression-suite", "again"],
            ["v", "dave", "before-after", "y" * (MAX_ANSWER_CHARS + 1)],
        ],
    )
    items = list(read_answers(path, bank))
    assert isinstance(items[0], AnswerRow) and items[0].answer == "first line\nsecond line"
    assert items[0].line == 2
    assert isinstance(items[1], AnswerFileError)
    assert (items[1].line, items[1].column, items[1].field) == (4, 3, "question_id")
    assert str(items[1]).startswith(f"{path}:4:3: question_id: unknown question")
    assert isinstance(items[2], AnswerRow) and items[2].line == 5
    assert isinstance(items[3], AnswerFileError) and "duplicate of line 2" in str(items[3])
    assert isinstance(items[4], AnswerFileError)
    assert (items[4].line, items[4].column, items[4].field) == (7, 4, "answer")


def test_csv_without_a_required_column(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("candidate_id,answer\nalice,hello there\n", encoding="utf-8")
    with pytest.raises(AnswerFileError) as info:
        list(read_answers(path, bank))
    assert (info.value.line, info.value.column, info.value.field) == (1, 3, "question_id")
    assert "missing column" in str(info.value)


def test_csv_bad_encoding_names_the_row(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(
        b"candidate_id,question_id,answer\n"
        b"alice,before-after,fine answer\n"
        b'bob,before-after,"two\nlines with a bad \xff byte"\n'
        b"carol,before-after,also fine\n"
    )
    items = list(read_answers(path, bank))
    assert [type(i).__name__ for i in items] == ["AnswerRow", "AnswerFileError", "AnswerRow"]
    error = items[1]
    assert isinstance(error, AnswerFileError)
    assert (error.line, error.column) == (4, 18) and "not UTF-8" in str(error)
    assert isinstance(items[2], AnswerRow) and items[2].line == 5


def test_good_rows_are_graded_and_bad_ones_listed(tmp_path: Path, bank: QuestionBank) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", GOOD[0], "{broken", GOOD[1], GOOD[2])
    seen: list[AnswerFileError] = []
    out = tmp_path / "grades.jsonl"
    result = grade_file(path, out, bank, _offline(), on_error=seen.append)
    assert (result.rows, result.graded) == (3, 3)
    assert [e.line for e in result.errors] == [2] and seen == result.errors
    rows = list(read_rows(out))
    assert {(r["candidate_id"], r["question_id"]) for r in rows} == {
        ("alice", "regression-suite"),
        ("alice", "hallucination-debug"),
        ("bob", "regression-suite"),
    }
    by = {(r["candidate_id"], r["question_id"]): r for r in rows}
    assert by["alice", "regression-suite"]["score"] > by["bob", "regression-suite"]["score"]
    for record in rows:
        assert 1 <= record["score"] <= 5 and record["scale"] == {"min": 1, "max": 5}
        assert record["grader"]["name"] == "offline" and len(record["key"]) == 64


def _offline():  # type: ignore[no-untyped-def]
    from agent import get_grader

    return get_grader("offline")


# --- take-home questions ---------------------------------------------------------------------


def test_take_home_questions_join_the_bank(questions_file: Path, bank: QuestionBank) -> None:
    merged = load_questions(questions_file, bank)
    assert len(merged) == len(bank) + 2
    fraud, sql = merged.get("fraud-eval"), merged.get("sql-window")
    assert isinstance(fraud, TakeHomeQuestion) and fraud.reference_only
    assert (fraud.scale.min, fraud.scale.max) == (0, 10) and fraud.competency == "ml-evaluation"
    assert isinstance(sql, TakeHomeQuestion) and not sql.reference_only
    assert (sql.scale.min, sql.scale.max) == (1, 5), "the default scale is 1-5"


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (("id: sql-window", "id: regression-suite"), "id", "already in the question bank"),
        (("id: sql-window", "id: fraud-eval"), "id", "already in this file"),
        (("scale: {min: 0, max: 10}", "scale: {min: 5, max: 5}"), "questions.0.scale", "greater"),
        (("    reference_answer:", "    notes:"), "questions.0", "Extra inputs"),
    ],
)
def test_bad_questions_files_name_file_line_and_field(
    tmp_path: Path, bank: QuestionBank, edit: tuple[str, str], field: str, reason: str
) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(QUESTIONS_YAML.replace(*edit), encoding="utf-8")
    with pytest.raises(BankError) as info:
        load_questions(path, bank)
    assert info.value.path == str(path) and info.value.line is not None
    assert info.value.field.startswith(field) and reason in str(info.value)


def test_a_question_needs_a_rubric_or_a_reference(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "questions:\n  - id: bare\n    text: A question with nothing to grade against.\n",
        encoding="utf-8",
    )
    with pytest.raises(BankError) as info:
        load_questions(path, bank)
    assert (
        info.value.line == 2
        and "rubric" in str(info.value)
        and "reference_answer" in str(info.value)
    )
