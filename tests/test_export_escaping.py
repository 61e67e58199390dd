"""Exported files are safe to open: no raw HTML in Markdown, no spreadsheet formulas in CSV.

One helper per rule (:mod:`agent._escape`), used by every export: the session report's Markdown
(``screener chat --report-out``, the web's ``report.md``) and the batch summary CSV.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent import Interview, OfflineGrader, Question, QuestionBank, get_grader, render_markdown
from agent._escape import FORMULA_STARTS, csv_cell, markdown_text
from agent.batch import grade_file, write_summary

IMG = "<img src=x onerror=alert(1)>"
RAW_HTML = re.compile(r"<\s*/?\s*[a-z!?]", re.I)


# --- the two rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (IMG, "&lt;img src=x onerror=alert(1)&gt;"),
        ("&lt;b&gt; & <!-- x -->", "&amp;lt;b&amp;gt; &amp; &lt;!-- x --&gt;"),
        ("# Hired\n\n> advance\n- [x](http://e)", "\\# Hired &gt; advance - \\[x\\](http://e)"),
        ("**b** _i_ `c` ~~s~~ a|b \\", "\\*\\*b\\*\\* \\_i\\_ \\`c\\` \\~\\~s\\~\\~ a\\|b \\\\"),
        ("plain text, 40% of 300 cases", "plain text, 40% of 300 cases"),
    ],
)
def test_markdown_text_is_plain_text(text: str, expected: str) -> None:
    assert markdown_text(text) == expected


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_that_starts_a_formula_gets_a_quote(start: str) -> None:
    assert csv_cell(f'{start}HYPERLINK("http://evil")') == f'\'{start}HYPERLINK("http://evil")'


@pytest.mark.parametrize("value", ["alice", "3.50", 7, "", None, "a=b", " =not at the start"])
def test_other_cells_are_unchanged(value: object) -> None:
    assert csv_cell(value) == ("" if value is None else str(value))


# --- Markdown: the session report ------------------------------------------------------------


class PhrasingGrader(OfflineGrader):
    """The offline grader, with follow-ups phrased as a misbehaving model might phrase them."""

    async def phrase_probe(
        self, question: Question, probe: str, missing: list[str], answer: str
    ) -> str:
        return f"Thanks! {IMG} Which **set** did you measure on? <script>alert(2)</script>"


def test_a_model_phrased_follow_up_with_html_is_escaped(tmp_path: Path) -> None:
    with Interview.open(tmp_path / "s.sqlite", graders=lambda _: PhrasingGrader()) as interview:
        step = interview.start(question_ids=["regression-suite"], max_followups=1)
        step = interview.answer(step.session_id, TOURIST_ANSWER)
        assert not step.done and IMG in (step.prompt or ""), "the follow-up was asked"
        step = interview.answer(step.session_id, f"I measured it {IMG} on 40 cases.")
        assert step.report is not None
    report = step.report
    assert IMG in report.questions[0].followups[0], "the JSON report keeps the text verbatim"
    markdown = render_markdown(report)
    raw = [line for line in markdown.splitlines() if RAW_HTML.search(line)]
    assert raw == [], "no tag reaches the Markdown"
    escaped = markdown_text(report.questions[0].followups[0])
    assert f"- {escaped}" in markdown.splitlines(), "listed under Follow-ups asked"
    assert f"**Follow-up:** {escaped}" in markdown.splitlines(), "and in the transcript"
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown


def test_every_string_of_a_report_is_escaped(tmp_path: Path) -> None:
    with Interview.open(tmp_path / "s.sqlite", graders=lambda _: PhrasingGrader()) as interview:
        step = interview.start(question_ids=["before-after"], max_followups=1)
        step = interview.answer(step.session_id, f"{IMG} {STRONG_ANSWERS['before-after']}")
        step = interview.end(step.session_id) if not step.done else step
        assert step.report is not None
    evil = step.report.model_copy(
        update={
            "session_id": f"s{IMG}",
            "track": f"t{IMG}",
            "grader": step.report.grader.model_copy(update={"name": IMG, "version": IMG}),
            "competencies": {IMG: 3.0},
            "unscored": [IMG],
            "questions": [
                q.model_copy(
                    update={
                        "question_id": IMG,
                        "text": IMG,
                        "competency": IMG,
                        "followups": [IMG],
                        "verdict": q.verdict.model_copy(update={"criteria": {IMG: 3}}),
                    }
                )
                for q in step.report.questions
            ],
        }
    )
    markdown = render_markdown(evil)
    assert [line for line in markdown.splitlines() if RAW_HTML.search(line)] == []
    assert markdown.count("&lt;img src=x onerror=alert(1)&gt;") >= 10


# --- CSV: the batch summary ------------------------------------------------------------------

FORMULA_IDS = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def test_summary_csv_neutralises_formula_cells_including_candidate_ids(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers = tmp_path / "a.jsonl"
    rows = [
        {
            "candidate_id": cid,
            "question_id": "before-after",
            "answer": STRONG_ANSWERS["before-after"],
        }
        for cid in FORMULA_IDS
    ]
    rows.append({"candidate_id": "alice", "question_id": "before-after", "answer": TOURIST_ANSWER})
    answers.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "g.jsonl"
    grade_file(answers, out, bank, get_grader("offline"))
    summary = tmp_path / "candidates.csv"
    write_summary(summary, out)
    with summary.open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    header, body = table[0], table[1:]
    ids = [line[header.index("candidate_id")] for line in body]
    assert sorted(ids) == sorted(["alice", *("'" + cid for cid in FORMULA_IDS)])
    for cell in (cell for line in table for cell in line):
        assert not cell.startswith(FORMULA_STARTS), cell
    grades = {json.loads(line)["candidate_id"] for line in out.read_text("utf-8").splitlines()}
    assert grades == {"alice", *FORMULA_IDS}, "the grades file keeps the ids as they were"
