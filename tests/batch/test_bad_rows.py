"""No row stops a batch: every bad row is one ``file:line:column: reason`` and the rest are graded.

Also the file-level refusals, each one line: encodings that cannot be read, CSV headers with a
column twice, and an output that is the answers file (or another input or output).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent import MAX_ANSWER_CHARS, QuestionBank, UserError, get_grader
from agent.batch import AnswerFileError, AnswerRow, BatchOptions, grade_file, read_answers
from agent.batch.inputs import line_limit
from agent.batch.output import read_rows, row_line

from .conftest import row

GOOD = [
    row("alice", "regression-suite", STRONG_ANSWERS["regression-suite"]),
    row("bob", "before-after", TOURIST_ANSWER),
    row("carol", "hallucination-debug", STRONG_ANSWERS["hallucination-debug"]),
]
LONG = line_limit(MAX_ANSWER_CHARS)

# (line as written, field, column, reason: the whole text after "field: " or after the column)
BAD_LINES: list[tuple[str, str, int, str]] = [
    (
        '{"candidate_id": "deep", "question_id": "before-after", "answer": "x", "extra": '
        + "[" * 50_000
        + "]" * 50_000
        + "}",
        "",
        1,
        "invalid JSON: nested too deeply to read",
    ),
    (
        '{"candidate_id": "s1", "question_id": "before-after", "answer": "cut \\udc80 here"}',
        "answer",
        55,
        "lone surrogate \\udc80 at character 5: not Unicode text, so it cannot be graded or "
        "written; remove it or escape a whole pair",
    ),
    (
        '{"candidate_id": "s2\\ud83d", "question_id": "before-after", "answer": "fine"}',
        "candidate_id",
        2,
        "lone surrogate \\ud83d at character 3: not Unicode text, so it cannot be graded or "
        "written; remove it or escape a whole pair",
    ),
    (
        '{"candidate_id": "n", "question_id": "before-after", "answer": "x", "n": '
        + "9" * 5000
        + "}",
        "",
        1,
        "invalid JSON: Exceeds the limit (4300 digits) for integer string conversion",
    ),
    (
        '{"candidate_id": "d", "question_id": "before-after", "answer": "a", "answer": "b"}',
        "answer",
        69,
        "given twice in this object; keep one",
    ),
    ('"just a string"', "", 1, "expected a JSON object"),
    ("42", "", 1, "expected a JSON object"),
    ("null", "", 1, "expected a JSON object"),
    (
        '{"candidate_id": "o", "question_id": "before-after", "answer": {"text": "x"}}',
        "answer",
        54,
        "expected a string, got dict",
    ),
    (
        '{"candidate_id": "b", "question_id": "before-after", "answer": true}',
        "answer",
        54,
        "expected a string, got bool",
    ),
    (
        json.dumps(row("long", "before-after", "x" * LONG)),
        "",
        1,
        f"line is longer than {LONG:,} characters; it was not read",
    ),
    (
        json.dumps(row("q", "no-such-question-" + "z" * 100, "x")),
        "question_id",
        23,
        "unknown question 'no-such-question-" + "z" * 43 + "...'; add it with --questions FILE",
    ),
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected(path: Path, number: int, field: str, column: int, reason: str) -> str:
    return f"{path}:{number}:{column}: " + (f"{field}: " if field else "") + reason


def _mixed(tmp_path: Path) -> tuple[Path, list[str], list[int]]:
    """Good rows around every bad line; the lines of the bad ones."""
    lines = [json.dumps(GOOD[0])]
    for bad, *_ in BAD_LINES:
        lines += [bad, ""]
    lines += [json.dumps(GOOD[1]), json.dumps(GOOD[2])]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    numbers = [i for i, line in enumerate(lines, 1) if line in {b[0] for b in BAD_LINES}]
    return path, lines, numbers


def test_each_bad_row_is_one_error_line_and_every_good_row_is_graded(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers, _, numbers = _mixed(tmp_path)
    before = _sha(answers)
    out = tmp_path / "grades.jsonl"
    seen: list[AnswerFileError] = []
    result = grade_file(
        answers, out, bank, get_grader("offline"), BatchOptions(workers=1), on_error=seen.append
    )
    expected = [
        _expected(answers, n, field, column, reason)
        for n, (_, field, column, reason) in zip(numbers, BAD_LINES, strict=True)
    ]
    assert [str(e) for e in seen] == expected
    assert all("\n" not in str(e) for e in seen), "each error is one line"
    assert (result.rows, result.graded, len(result.errors)) == (3, 3, len(BAD_LINES))
    rows = list(read_rows(out))
    assert {(r["candidate_id"], r["question_id"]) for r in rows} == {
        (g["candidate_id"], g["question_id"]) for g in GOOD
    }
    assert all(1 <= r["score"] <= 5 for r in rows)
    out.read_bytes().decode("utf-8")  # the grades file is valid UTF-8 throughout
    assert _sha(answers) == before, "the answers file is never written"


def test_the_command_prints_the_error_lines_and_exits_1(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers, _, numbers = _mixed(tmp_path)
    out = tmp_path / "grades.jsonl"
    proc = _grade(screener_exe, cli_env, answers, "--out", out, "--workers", "2")
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("screener: error:")]
    assert errors == [
        "screener: error: " + _expected(answers, n, field, column, reason)
        for n, (_, field, column, reason) in zip(numbers, BAD_LINES, strict=True)
    ]
    assert "Traceback" not in proc.stderr
    assert f"graded 3 answer(s) into {out}; {len(BAD_LINES)} bad row(s)" in proc.stderr
    assert len(list(read_rows(out))) == 3


def test_a_lone_surrogate_in_a_verdict_is_written_as_an_escape() -> None:
    record = {"candidate_id": "caf\u00e9", "explanation": ["the model wrote \udc80"], "key": "k"}
    line = row_line(record)
    assert line.encode("utf-8").endswith(b"\n") and "\\udc80" in line
    assert json.loads(line) == record, "nothing lost"
    assert row_line({"a": "caf\u00e9"}) == '{"a": "caf\u00e9"}\n', "plain text stays readable"


# --- encodings -------------------------------------------------------------------------------

TRICKY = "Latency fell from 900 ms to 450 ms \N{EM DASH} caf\u00e9, \N{GRINNING FACE}, 40\u00a0%."
CSV_TEXT = (
    'candidate_id,question_id,answer\r\nalice,before-after,"first line\r\nsecond ""quoted"" '
    f'line"\r\nb\u00f6b,regression-suite,"{TRICKY}"\r\n'
)
JSONL_TEXT = (
    json.dumps(row("alice", "before-after", "first line\nsecond"), ensure_ascii=False)
    + "\r\n"
    + json.dumps(row("b\u00f6b", "regression-suite", TRICKY), ensure_ascii=False)
    + "\n"
)
EXPECTED = {
    ".csv": [
        ("alice", "before-after", 'first line\r\nsecond "quoted" line'),
        ("b\u00f6b", "regression-suite", TRICKY),
    ],
    ".jsonl": [
        ("alice", "before-after", "first line\nsecond"),
        ("b\u00f6b", "regression-suite", TRICKY),
    ],
}
ENCODINGS = {
    "utf-8": b"",
    "utf-8 with BOM": codecs.BOM_UTF8,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_utf8_and_utf16_32_with_a_byte_order_mark_read_the_same_rows(
    tmp_path: Path, bank: QuestionBank, encoding: str, suffix: str
) -> None:
    codec = encoding.split(" ")[0]
    text = CSV_TEXT if suffix == ".csv" else JSONL_TEXT
    path = tmp_path / f"answers{suffix}"
    path.write_bytes(ENCODINGS[encoding] + text.encode(codec))
    items = list(read_answers(path, bank))
    assert all(isinstance(i, AnswerRow) for i in items), items
    got = [(i.candidate_id, i.question_id, i.answer) for i in items if isinstance(i, AnswerRow)]
    assert got == EXPECTED[suffix]
    lines = [i.line for i in items if isinstance(i, AnswerRow)]
    assert lines == ([2, 4] if suffix == ".csv" else [1, 2])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-32-be"])
def test_an_unpaired_surrogate_in_utf16_or_32_is_one_bad_row(
    tmp_path: Path, bank: QuestionBank, codec: str
) -> None:
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF32_BE
    lines = [json.dumps(GOOD[0]), '{"candidate_id": "x\udc80", "a": 1}', json.dumps(GOOD[1])]
    path = tmp_path / "answers.jsonl"
    path.write_bytes(bom + "\n".join(lines).encode(codec, "surrogatepass"))
    items = list(read_answers(path, bank))
    assert [type(i).__name__ for i in items] == ["AnswerRow", "AnswerFileError", "AnswerRow"]
    name = "UTF-16" if "16" in codec else "UTF-32"
    column = lines[1].index("\udc80") + 1
    assert str(items[1]) == (
        f"{path}:2:{column}: not {name} text (unpaired surrogate 0xdc80); save the file as UTF-8"
    )


def test_utf16_without_a_byte_order_mark_is_refused_in_one_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_bytes(CSV_TEXT.encode("utf-16-le"))
    out = tmp_path / "g.jsonl"
    proc = _grade(screener_exe, cli_env, answers, "--out", out)
    assert proc.returncode == 2
    assert _lines(proc.stderr) == [
        f"screener: error: {answers}:1:1: NUL bytes in the first line: UTF-16 or UTF-32 text "
        "without a byte-order mark? save the file as UTF-8"
    ]
    assert not out.exists()


def test_a_cut_off_utf16_file_is_refused_in_one_line(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_bytes(codecs.BOM_UTF16_LE + JSONL_TEXT.encode("utf-16-le") + b"{")
    with pytest.raises(AnswerFileError) as info:
        list(read_answers(path, bank))
    assert re.fullmatch(
        rf"{re.escape(str(path))}:\d+:1: not UTF-16 text \(truncated data\) at or after this line; "
        "save the file as UTF-8",
        str(info.value),
    ), str(info.value)


def test_a_header_that_is_not_utf8_is_refused(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "answers.csv"
    path.write_bytes(b"candidate_id,question_\xe9d,answer\nalice,before-after,x\n")
    with pytest.raises(AnswerFileError) as info:
        list(read_answers(path, bank))
    assert str(info.value) == (f"{path}:1:23: not UTF-8 text (byte 0xe9); save the file as UTF-8")


# --- CSV headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column", "name", "first"),
    [
        ("candidate_id,question_id,answer,answer", 4, "answer", 3),
        ("candidate_id,notes,question_id,notes,answer", 4, "notes", 2),
        ("candidate_id, question_id,answer,question_id ", 4, "question_id", 2),
    ],
)
def test_a_column_given_twice_is_refused_naming_the_file_and_the_header(
    tmp_path: Path, bank: QuestionBank, header: str, column: int, name: str, first: int
) -> None:
    path = tmp_path / "answers.csv"
    path.write_text(f"{header}\nalice,x,before-after,y,z\n", encoding="utf-8")
    with pytest.raises(AnswerFileError) as info:
        list(read_answers(path, bank))
    assert str(info.value) == (
        f"{path}:1:{column}: {name}: duplicate column (also column {first}); rename or remove one"
    )


def test_empty_header_cells_may_repeat(tmp_path: Path, bank: QuestionBank) -> None:
    path = tmp_path / "answers.csv"  # what a spreadsheet writes for trailing empty columns
    path.write_text("candidate_id,question_id,answer,,\nalice,before-after,x,,\n", "utf-8")
    assert [type(i) for i in read_answers(path, bank)] == [AnswerRow]


def test_the_command_refuses_a_duplicate_header_with_one_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text("candidate_id,question_id,answer,answer\na,before-after,x,y\n", "utf-8")
    out = tmp_path / "g.jsonl"
    proc = _grade(screener_exe, cli_env, answers, "--out", out)
    assert proc.returncode == 2
    assert _lines(proc.stderr) == [
        f"screener: error: {answers}:1:4: answer: duplicate column (also column 3); "
        "rename or remove one"
    ]
    assert not out.exists()


# --- an output that is an input --------------------------------------------------------------


def _answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join(json.dumps(g) for g in GOOD) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("how", ["same path", "another relative path", "symlink", "hard link"])
def test_out_that_is_the_answers_file_is_refused_and_the_file_kept(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path, how: str
) -> None:
    answers = _answers(tmp_path)
    before = _sha(answers)
    (tmp_path / "sub").mkdir()
    out = {
        "same path": "answers.jsonl",
        "another relative path": "sub/../answers.jsonl",
        "symlink": "link.jsonl",
        "hard link": "hard.jsonl",
    }[how]
    if how == "symlink":
        (tmp_path / "link.jsonl").symlink_to(answers)
    if how == "hard link":
        os.link(answers, tmp_path / "hard.jsonl")
    proc = _grade(screener_exe, cli_env, "answers.jsonl", "--out", out, cwd=tmp_path)
    assert proc.returncode == 2
    assert _lines(proc.stderr) == [
        f"screener: error: --out {out} is the same file as ANSWERS answers.jsonl; writing it "
        "would overwrite that input: give --out another path"
    ]
    assert _sha(answers) == before


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        (["--summary", "{answers}"], "--summary {answers} is the same file as ANSWERS {answers}"),
        (["--html", "{out}"], "--html {out} is the same file as --out {out}"),
        (["--summary", "{out}"], "--summary {out} is the same file as --out {out}"),
    ],
)
def test_a_report_that_is_an_input_or_the_grades_is_refused(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path, flags: list[str], line: str
) -> None:
    answers, out = _answers(tmp_path), tmp_path / "g.jsonl"
    before = _sha(answers)
    args = [f.format(answers=answers, out=out) for f in flags]
    proc = _grade(screener_exe, cli_env, answers, "--out", out, *args)
    assert proc.returncode == 2
    [error] = _lines(proc.stderr)
    assert error.startswith("screener: error: " + line.format(answers=answers, out=out) + ";")
    assert _sha(answers) == before and not out.exists(), "refused before anything is written"


def test_the_library_refuses_out_equal_to_the_answers_too(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers = _answers(tmp_path)
    before = _sha(answers)
    with pytest.raises(UserError, match="is the same file as ANSWERS"):
        grade_file(answers, answers, bank, get_grader("offline"), BatchOptions(workers=1))
    assert _sha(answers) == before


# --- helpers ---------------------------------------------------------------------------------


def _grade(
    exe: str, env: dict[str, str], *args: str | Path, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "grade", *map(str, args), "--quiet"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]
