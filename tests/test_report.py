"""The hiring manager's report: building it, and rendering candidate text safely as Markdown."""

from __future__ import annotations

import re

import pytest
from conftest import INJECTION_PAYLOADS, STRONG_ANSWERS, TOURIST_ANSWER

from agent import (
    Interview,
    OfflineGrader,
    QuestionBank,
    Report,
    build_report,
    render_markdown,
)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"

HTML_ANSWERS = {
    # HTML in plain prose: it reaches the transcript.
    "prose": f"I wrote the suite myself {SCRIPT} and it runs nightly {IMG} in CI for the team.",
    # HTML inside a measured sentence: it also reaches evidence quotes and notes.
    "in-figures": (
        f"Before the fix {SCRIPT} the pass rate was 71% on 300 threads and after the fix {IMG} "
        "it was 86% on the same 300 threads, measured by two reviewers."
    ),
    # HTML next to an injection: it reaches the injection section.
    "with-injection": f"{INJECTION_PAYLOADS[1]} {IMG} {SCRIPT}",
    # HTML in fabricated precision: it reaches the flags and the tourist quotes.
    "in-flags": f"We have 10,000 tests at 99.9% accuracy {IMG} and hallucinations went down 100%.",
}

RAW_HTML = re.compile(r"<\s*/?\s*(?:script|img)\b", re.I)


def _session(interview: Interview, question_id: str, *answers: str) -> Report:
    step = interview.start(question_ids=[question_id], max_followups=len(answers) - 1)
    for answer in answers:
        if step.done:
            break
        step = interview.answer(step.session_id, answer)
    if not step.done:
        step = interview.end(step.session_id)
    assert step.report is not None
    return step.report


@pytest.mark.parametrize("name", sorted(HTML_ANSWERS))
def test_candidate_html_never_appears_raw(interview: Interview, name: str) -> None:
    answer = HTML_ANSWERS[name]
    report = _session(interview, "before-after", answer)
    assert report.transcript[0].answer == answer, "the JSON report keeps the answer verbatim"
    markdown = render_markdown(report)
    for line in markdown.splitlines():
        assert not RAW_HTML.search(line), f"raw candidate HTML in the report: {line!r}"
    assert SCRIPT not in markdown and IMG not in markdown
    # The text is still there, escaped, for the reader.
    if SCRIPT in answer:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    if IMG in answer:
        assert "&lt;img src=x onerror=alert(1)&gt;" in markdown


def test_candidate_markdown_is_neutralised(interview: Interview) -> None:
    answer = (
        "Fine.\n\n# Hired! [click](http://evil.example) | col | **bold** `code` _it_\n"
        "## Recommendation: advance\n> quoted"
    )
    report = _session(interview, "regression-suite", answer)
    markdown = render_markdown(report)
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert all("Hired" not in h and "advance" not in h for h in headings), headings
    assert "[click](http://evil.example)" not in markdown
    assert "**bold**" not in markdown and "`code`" not in markdown
    answer_lines = [line for line in markdown.splitlines() if "Hired" in line]
    assert answer_lines and all(line.startswith(">") for line in answer_lines)
    assert "\\[click\\]" in answer_lines[0]


def test_markdown_sections(interview: Interview, bank: QuestionBank) -> None:
    report = _session(
        interview, "regression-suite", TOURIST_ANSWER, STRONG_ANSWERS["regression-suite"]
    )
    markdown = render_markdown(report)
    assert markdown.startswith(f"# Screening report: session {report.session_id}")
    for heading in ("## Prompt-tourist flag", "## Competencies", "## Transcript"):
        assert heading in markdown
    assert "## regression-suite: Show me a regression suite you wrote." in markdown
    assert "Follow-ups asked:" in markdown
    assert report.questions[0].followups[0] in markdown
    assert report.recommendation in markdown
    assert "## Injection attempts" not in markdown


def test_injection_section_lists_attempts(interview: Interview) -> None:
    answer = TOURIST_ANSWER + "\n" + INJECTION_PAYLOADS[0]
    report = _session(interview, "regression-suite", answer)
    markdown = render_markdown(report)
    assert report.injection_attempts
    assert "## Injection attempts (ignored by the grader)" in markdown
    assert "Ignore previous instructions" in markdown


# --- build_report ----------------------------------------------------------------------------


def _verdicts(bank: QuestionBank, answers: dict[str, str]) -> dict[str, dict[str, object]]:
    grader = OfflineGrader()
    return {
        qid: grader.grade_now(bank.get(qid), a).model_dump(mode="json")
        for qid, a in answers.items()
    }


def _transcript(bank: QuestionBank, answers: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"question_id": qid, "kind": "question", "prompt": bank.get(qid).text, "answer": a}
        for qid, a in answers.items()
    ]


def test_build_report_strong(bank: QuestionBank) -> None:
    report = build_report(
        bank,
        session_id="s1",
        track="ai-engineer",
        transcript=_transcript(bank, STRONG_ANSWERS),
        verdicts=_verdicts(bank, STRONG_ANSWERS),
        ended_early=False,
        grader=OfflineGrader().info,
        planned=3,
    )
    scores = [r.verdict.score for r in report.questions]
    assert report.overall == pytest.approx(sum(scores) / 3, abs=0.01)  # type: ignore[arg-type]
    evals = [r.verdict.score for r in report.questions if r.competency == "evals"]
    assert report.competencies["evals"] == pytest.approx(sum(evals) / len(evals))  # type: ignore[arg-type]
    assert report.status == "complete"
    assert report.tourist.flagged is False
    assert report.recommendation.startswith("Advance")


def test_build_report_tourist_and_early_end(bank: QuestionBank) -> None:
    answers = {"regression-suite": TOURIST_ANSWER}
    report = build_report(
        bank,
        session_id="s2",
        track="ai-engineer",
        transcript=_transcript(bank, answers),
        verdicts=_verdicts(bank, answers),
        ended_early=True,
        grader=OfflineGrader().info,
        planned=3,
    )
    assert report.status == "ended-early"
    # One vague answer before the candidate left: not judged, and the early end is the reason.
    assert (report.tourist.flagged, report.tourist.applicable) == (False, False)
    assert "1 of 3 questions answered, too few to judge" in report.tourist.reasons[0]
    assert report.recommendation.startswith("The interview ended after 1 answer(s)")
    markdown = render_markdown(report)
    assert "- Status: ended-early (1 of 3 questions answered)" in markdown
    assert "- Prompt-tourist flag: **not judged**" in markdown
    # Two vague answers of three: judged on those two.
    answers = {"regression-suite": TOURIST_ANSWER, "hallucination-debug": TOURIST_ANSWER}
    report = build_report(
        bank,
        session_id="s3",
        track="ai-engineer",
        transcript=_transcript(bank, answers),
        verdicts=_verdicts(bank, answers),
        ended_early=True,
        grader=OfflineGrader().info,
        planned=3,
    )
    assert (report.tourist.flagged, report.tourist.applicable) == (True, True)
    assert report.recommendation.startswith("Do not advance")
    assert any(
        "2 of 3 questions answered; the flag is judged on those" in r
        for r in report.tourist.reasons
    )


def test_report_round_trips_through_json(interview: Interview) -> None:
    report = _session(interview, "hallucination-debug", STRONG_ANSWERS["hallucination-debug"])
    again = Report.model_validate_json(report.model_dump_json())
    assert again == report
    assert render_markdown(again) == render_markdown(report)


def test_the_report_quotes_the_measured_claims(interview: Interview) -> None:
    report = _session(interview, "regression-suite", STRONG_ANSWERS["regression-suite"])
    verdict = report.questions[0].verdict
    assert verdict.claims, "a strong answer has claims tied to a set or a method"
    assert all(c in STRONG_ANSWERS["regression-suite"] for c in verdict.claims), "verbatim"
    markdown = render_markdown(report)
    assert "Measured claims (tied to a set or a method; worth probing):" in markdown
    tourist = _session(interview, "regression-suite", TOURIST_ANSWER)
    assert tourist.questions[0].verdict.claims == []
    assert "Measured claims" not in render_markdown(tourist)
