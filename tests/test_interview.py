"""The interview graph, with the real offline grader and the real SQLite checkpointer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CANDIDATES,
    INJECTION_ANSWER,
    INJECTION_PAYLOADS,
    STRONG_ANSWERS,
    TOURIST_ANSWER,
    run_session,
    strong_answer,
)

from agent import (
    MAX_ANSWER_CHARS,
    AnswerTooLongError,
    Interview,
    QuestionBank,
    SessionNotFoundError,
    Step,
    Turn,
    UnknownQuestionError,
    UserError,
)
from agent.bank import CORE_QUESTION_IDS, load_bank
from agent.grading.base import get_grader, grade_blocking
from agent.grading.offline import OfflineGrader
from agent.interview import hold_without_new_evidence


def _prompts_key(prompts: list[Step]) -> list[tuple[str | None, str | None]]:
    return [(s.question_id, s.prompt) for s in prompts]


# --- whole sessions --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CANDIDATES))
def test_scripted_candidates_run_to_the_end(
    interview: Interview, bank: QuestionBank, name: str
) -> None:
    prompts, end = run_session(interview, bank, CANDIDATES[name])
    assert end.done and end.report is not None
    report = end.report
    assert report.status == "complete"
    assert report.session_id == end.session_id
    assert [r.question_id for r in report.questions] == list(CORE_QUESTION_IDS)
    assert len(report.transcript) == len(prompts)
    assert [(t.question_id, t.prompt) for t in report.transcript] == _prompts_key(prompts)
    assert prompts[0].prompt == "Show me a regression suite you wrote."
    assert prompts[0].kind == "question" and prompts[0].question_number == 1
    assert all(p.total_questions == 3 for p in prompts)
    assert "the hiring manager decides" in report.recommendation
    # After the end, current() keeps returning the report.
    again = interview.current(end.session_id)
    assert again.done and again.report == report


def test_strong_and_tourist_reports_differ_as_expected(
    interview: Interview, bank: QuestionBank
) -> None:
    _, strong = run_session(interview, bank, CANDIDATES["strong"])
    _, tourist = run_session(interview, bank, CANDIDATES["tourist"])
    _, silent = run_session(interview, bank, CANDIDATES["silent"])
    assert strong.report and tourist.report and silent.report
    assert strong.report.tourist.flagged is False
    assert tourist.report.tourist.flagged is True and tourist.report.tourist.reasons
    assert silent.report.tourist.flagged is True
    assert any("no answer" in r for r in silent.report.tourist.reasons)
    assert strong.report.overall is not None and tourist.report.overall is not None
    assert strong.report.overall > tourist.report.overall
    assert silent.report.overall == 1
    assert strong.report.recommendation != tourist.report.recommendation


def test_report_contents(interview: Interview, bank: QuestionBank) -> None:
    prompts, end = run_session(interview, bank, CANDIDATES["tourist"], max_followups=1)
    report = end.report
    assert report is not None
    for result in report.questions:
        question = bank.get(result.question_id)
        assert result.competency == question.competency
        assert result.text == question.text
        assert result.verdict.score is not None and 1 <= result.verdict.score <= 5
        assert set(result.verdict.criteria) == {c.id for c in question.rubric}
        asked = [p.prompt for p in prompts if p.question_id == question.id and p.kind == "probe"]
        assert result.followups == asked
        assert len(result.followups) == 1
        assert result.followups[0] in [p.text for p in question.probes]
    assert set(report.competencies) == {r.competency for r in report.questions}
    assert report.tourist.flagged and report.tourist.reasons
    assert report.grader.name == "offline"
    assert report.injection_attempts == []


def test_report_quotes_evidence_from_the_transcript(
    interview: Interview, bank: QuestionBank
) -> None:
    _, end = run_session(interview, bank, strong_answer)
    report = end.report
    assert report is not None
    answers = "\n".join(t.answer for t in report.transcript)
    for result in report.questions:
        assert result.verdict.evidence, result.question_id
        for quote in result.verdict.quotes:
            assert quote in answers
    scores = [r.verdict.score or 0 for r in report.questions]
    # strong answers: none below 3, most at 4 or more (the trained grader is unsure between 3
    # and 4 on the hallucination answer: P(3) 0.40, P(4) 0.51)
    assert min(scores) >= 3 and sum(s >= 4 for s in scores) >= 2, scores
    assert report.competencies["evals"] >= 3.5


def test_injection_candidate_is_reported(interview: Interview, bank: QuestionBank) -> None:
    _, injected = run_session(interview, bank, CANDIDATES["injection"])
    _, tourist = run_session(interview, bank, CANDIDATES["tourist"])
    report = injected.report
    assert report is not None and tourist.report is not None
    assert report.injection_attempts
    assert all(INJECTION_PAYLOADS[0] in q for q in report.injection_attempts)
    assert all(r.verdict.injection for r in report.questions)
    assert "addressed the grader" in report.recommendation
    # The injection bought nothing: never above the same answers without it.
    assert report.overall is not None and tourist.report.overall is not None
    assert report.overall <= tourist.report.overall


def test_ml_engineer_track(interview: Interview, bank: QuestionBank) -> None:
    prompts, end = run_session(interview, bank, strong_answer, track="ml-engineer", questions=4)
    report = end.report
    assert report is not None and report.status == "complete"
    assert report.track == "ml-engineer"
    ml_ids = {q.id for q in bank.for_track("ml-engineer")}
    assert [r.question_id for r in report.questions] == bank.choose("ml-engineer", 4)
    assert {p.question_id for p in prompts} <= ml_ids
    assert len(report.competencies) == 4, "four questions rotate through four competencies"
    assert report.tourist.flagged is False


def test_explicit_question_ids_set_order_and_track(
    interview: Interview, bank: QuestionBank
) -> None:
    step = interview.start(question_ids=["before-after", "regression-suite"])
    assert step.question_id == "before-after" and step.total_questions == 2
    step = interview.answer(step.session_id, STRONG_ANSWERS["before-after"])
    assert step.question_id == "regression-suite" and step.question_number == 2
    ml = interview.start(question_ids=["label-leakage"])
    step = interview.end(ml.session_id)
    assert step.report is not None and step.report.track == "ml-engineer"


# --- probes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("question_id", ["regression-suite", "hallucination-debug", "before-after"])
def test_tourist_answer_gets_a_probe_strong_does_not(
    interview: Interview, question_id: str
) -> None:
    tourist = interview.start(question_ids=[question_id, "pii-leakage"])
    after = interview.answer(tourist.session_id, TOURIST_ANSWER)
    assert after.kind == "probe"
    assert after.question_id == question_id
    assert after.question_number == 1, "a probe belongs to the same question"
    assert after.prompt != tourist.prompt

    strong = interview.start(question_ids=[question_id, "pii-leakage"])
    after = interview.answer(strong.session_id, STRONG_ANSWERS[question_id])
    assert after.kind == "question"
    assert after.question_id == "pii-leakage"


@pytest.mark.parametrize("max_followups", [0, 1, 2])
@pytest.mark.parametrize("name", ["tourist", "silent", "injection", "strong"])
def test_probe_limits_and_no_repeats(
    interview: Interview, bank: QuestionBank, name: str, max_followups: int
) -> None:
    prompts, end = run_session(
        interview, bank, CANDIDATES[name], max_followups=max_followups, questions=3
    )
    assert end.report is not None
    keys = _prompts_key(prompts)
    assert len(keys) == len(set(keys)), f"a prompt was asked twice: {keys}"
    assert len(prompts) <= 3 * (1 + max_followups)
    for qid in CORE_QUESTION_IDS:
        probes = [p for p in prompts if p.question_id == qid and p.kind == "probe"]
        questions = [p for p in prompts if p.question_id == qid and p.kind == "question"]
        assert len(questions) == 1
        assert len(probes) <= max_followups
        if name == "tourist":
            # A tourist never satisfies the rubric, so every allowed probe is used.
            assert len(probes) == min(max_followups, len(bank.get(qid).probes))
        if max_followups == 0:
            assert probes == []


def test_every_probe_of_a_question_can_be_used_once(
    interview: Interview, bank: QuestionBank
) -> None:
    question = bank.get("regression-suite")
    step = interview.start(question_ids=[question.id], max_followups=10)
    seen: list[str] = []
    while not step.done:
        assert step.prompt is not None
        seen.append(step.prompt)
        step = interview.answer(step.session_id, TOURIST_ANSWER)
    assert seen[0] == question.text
    assert sorted(seen[1:]) == sorted(p.text for p in question.probes)
    assert len(seen) == 1 + len(question.probes)


@pytest.mark.parametrize("non_answer", ["", "   ", "I don't know", "no idea"])
def test_a_non_answer_gets_no_probe(interview: Interview, non_answer: str) -> None:
    step = interview.start(question_ids=["regression-suite", "before-after"], max_followups=2)
    step = interview.answer(step.session_id, non_answer)
    assert step.kind == "question", f"{non_answer!r} was followed by a probe"
    assert step.question_id == "before-after"


def test_a_non_answer_to_a_probe_moves_on(interview: Interview) -> None:
    step = interview.start(question_ids=["regression-suite", "before-after"], max_followups=2)
    step = interview.answer(step.session_id, TOURIST_ANSWER)
    assert step.kind == "probe"
    step = interview.answer(step.session_id, "")
    assert step.kind == "question" and step.question_id == "before-after"


def test_a_probe_answer_is_graded_with_the_main_answer(interview: Interview) -> None:
    step = interview.start(question_ids=["regression-suite"], max_followups=1)
    step = interview.answer(step.session_id, TOURIST_ANSWER)
    assert step.kind == "probe"
    end = interview.answer(step.session_id, STRONG_ANSWERS["regression-suite"])
    assert end.report is not None
    verdict = end.report.questions[0].verdict
    assert verdict.score is not None and verdict.score >= 4, "the probe answer counted"
    assert [t.answer for t in end.report.transcript] == [
        TOURIST_ANSWER,
        STRONG_ANSWERS["regression-suite"],
    ]


# --- limits and errors -----------------------------------------------------------------------


def test_answer_too_long_changes_nothing(interview: Interview) -> None:
    first = interview.start()
    second = interview.answer(first.session_id, TOURIST_ANSWER)
    assert second.kind == "probe"
    too_long = "x " * (MAX_ANSWER_CHARS // 2) + "y"
    assert len(too_long) > MAX_ANSWER_CHARS
    with pytest.raises(AnswerTooLongError) as info:
        interview.answer(first.session_id, too_long)
    assert info.value.limit == MAX_ANSWER_CHARS and info.value.length == len(too_long)
    assert f"{MAX_ANSWER_CHARS:,}" in str(info.value)
    assert interview.current(first.session_id) == second
    # A shorter answer then goes through, and the refused one is nowhere.
    third = interview.answer(first.session_id, STRONG_ANSWERS["regression-suite"])
    assert third.question_id == "hallucination-debug"
    end = interview.end(first.session_id)
    assert end.report is not None
    assert [t.answer for t in end.report.transcript] == [
        TOURIST_ANSWER,
        STRONG_ANSWERS["regression-suite"],
    ]


def test_answer_of_exactly_the_limit_is_accepted(interview: Interview) -> None:
    step = interview.start(question_ids=["regression-suite"], max_followups=0)
    answer = (STRONG_ANSWERS["regression-suite"] + " ") * 20
    answer = answer[:MAX_ANSWER_CHARS]
    end = interview.answer(step.session_id, answer)
    assert end.done and end.report is not None
    assert end.report.transcript[0].answer == answer


def test_end_mid_session_keeps_answers(interview: Interview) -> None:
    step = interview.start(max_followups=0)
    step = interview.answer(step.session_id, STRONG_ANSWERS["regression-suite"])
    assert step.question_id == "hallucination-debug"
    end = interview.end(step.session_id)
    assert end.done and end.report is not None
    report = end.report
    assert report.status == "ended-early"
    assert [t.answer for t in report.transcript] == [STRONG_ANSWERS["regression-suite"]]
    assert [r.question_id for r in report.questions] == ["regression-suite"]
    assert "ended early: 1 of 3 questions answered, too few to judge" in report.tourist.reasons[0]
    # Ending again is harmless, and answering an ended session is refused.
    assert interview.end(step.session_id).report == report
    with pytest.raises(UserError):
        interview.answer(step.session_id, "more")


def test_end_before_any_answer(interview: Interview) -> None:
    step = interview.start()
    end = interview.end(step.session_id)
    assert end.report is not None
    assert end.report.status == "ended-early"
    assert end.report.transcript == [] and end.report.questions == []
    assert end.report.overall is None
    assert "No answers" in end.report.recommendation


def test_resume_in_a_new_interview(tmp_db: Path, bank: QuestionBank) -> None:
    with Interview.open(tmp_db) as first:
        step = first.start(max_followups=1)
        session_id = step.session_id
        step = first.answer(session_id, STRONG_ANSWERS["regression-suite"])
        step = first.answer(session_id, TOURIST_ANSWER)
        pending = first.current(session_id)
        assert pending.kind == "probe" and pending.question_id == "hallucination-debug"
    with Interview.open(tmp_db) as second:
        resumed = second.current(session_id)
        assert resumed == pending
        assert resumed.answered == 2
        given = [STRONG_ANSWERS["regression-suite"], TOURIST_ANSWER]
        step = resumed
        while not step.done:
            answer = strong_answer(bank, step)
            given.append(answer)
            step = second.answer(session_id, answer)
        report = step.report
        assert report is not None and report.status == "complete"
        assert [t.answer for t in report.transcript] == given
        keys = [(t.question_id, t.prompt) for t in report.transcript]
        assert len(keys) == len(set(keys))
        assert [r.question_id for r in report.questions] == list(CORE_QUESTION_IDS)


def test_sessions_are_independent(interview: Interview) -> None:
    a = interview.start()
    b = interview.start()
    assert a.session_id != b.session_id
    interview.answer(a.session_id, STRONG_ANSWERS["regression-suite"])
    assert interview.current(b.session_id) == b
    assert interview.current(a.session_id).question_id == "hallucination-debug"


def test_unknown_session(interview: Interview) -> None:
    for call in (interview.current, interview.end):
        with pytest.raises(SessionNotFoundError) as info:
            call("no-such-session")
        assert "no-such-session" in str(info.value)
    with pytest.raises(SessionNotFoundError):
        interview.answer("no-such-session", "hello there")


def test_unknown_question_id(interview: Interview) -> None:
    with pytest.raises(UnknownQuestionError) as info:
        interview.start(question_ids=["regression-suite", "not-a-question"])
    assert info.value.question_id == "not-a-question"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"question_ids": ["regression-suite", "regression-suite"]},
        {"max_followups": -1},
        {"provider": "no-such-provider"},
    ],
)
def test_bad_start_arguments(interview: Interview, kwargs: dict[str, object]) -> None:
    with pytest.raises(UserError):
        interview.start(**kwargs)  # type: ignore[arg-type]


def test_duplicate_session_id_is_refused(interview: Interview) -> None:
    step = interview.start(session_id="fixed-id")
    assert step.session_id == "fixed-id"
    with pytest.raises(UserError):
        interview.start(session_id="fixed-id")
    assert interview.current("fixed-id") == step


def test_injection_answer_is_kept_verbatim_in_transcript(interview: Interview) -> None:
    step = interview.start(question_ids=["regression-suite"], max_followups=0)
    end = interview.answer(step.session_id, INJECTION_ANSWER)
    assert end.report is not None
    assert end.report.transcript[0].answer == INJECTION_ANSWER


# --- transcript, recovery, locking -----------------------------------------------------------


def test_transcript_of_a_session_in_progress_and_after_the_end(interview: Interview) -> None:
    step = interview.start(question_ids=["regression-suite", "hallucination-debug"])
    assert interview.transcript(step.session_id) == []
    first_prompt = step.prompt
    step = interview.answer(step.session_id, TOURIST_ANSWER)
    assert interview.transcript(step.session_id) == [
        Turn(
            question_id="regression-suite",
            kind="question",
            prompt=first_prompt or "",
            answer=TOURIST_ANSWER,
        )
    ]
    end = interview.end(step.session_id)
    assert end.report is not None
    assert interview.transcript(step.session_id) == end.report.transcript
    with pytest.raises(SessionNotFoundError):
        interview.transcript("no-such-session")


class _GraderDiesOnce(OfflineGrader):
    """Raises on the first marked answer: the run stops between two checkpointed steps."""

    def __init__(self) -> None:
        super().__init__()
        self.died = False

    async def grade(self, question: Any, answer: str) -> Any:
        if "[dies]" in answer and not self.died:
            self.died = True
            raise RuntimeError("killed while grading")
        return await super().grade(question, answer)


def test_a_run_stopped_mid_step_is_finished_on_the_next_read(tmp_db: Path) -> None:
    grader = _GraderDiesOnce()
    with Interview.open(tmp_db, graders=lambda _: grader) as first:
        step = first.start(
            question_ids=["regression-suite", "hallucination-debug"], max_followups=0
        )
        answer = "[dies] " + STRONG_ANSWERS["regression-suite"]
        with pytest.raises(RuntimeError):
            first.answer(step.session_id, answer)
    with Interview.open(tmp_db) as second:  # as after a restart
        resumed = second.current(step.session_id)
        assert (resumed.question_id, resumed.answered, resumed.done) == (
            "hallucination-debug",
            1,
            False,
        )
        assert [t.answer for t in second.transcript(step.session_id)] == [answer]
        end = second.answer(step.session_id, STRONG_ANSWERS["hallucination-debug"])
        assert end.report is not None and len(end.report.questions) == 2


def test_answers_from_several_threads_are_serialised(interview: Interview) -> None:
    step = interview.start(
        question_ids=["regression-suite", "hallucination-debug"], max_followups=0
    )
    texts = [f"[thread {i}] " + STRONG_ANSWERS["regression-suite"] for i in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        steps = list(pool.map(lambda t: interview.answer(step.session_id, t), texts))
    assert sum(s.done for s in steps) == 1  # one answered question 1, the other question 2
    report = interview.current(step.session_id).report
    assert report is not None
    assert sorted(t.answer for t in report.transcript) == sorted(texts)


#: A vague answer whose score rubric words alone would lift (the graders read keywords).
VAGUE_ANSWER = "I wrote some tests for our support bot."


def test_a_probe_answer_without_new_evidence_does_not_raise_the_score(
    interview: Interview,
) -> None:
    grader = get_grader("offline")  # the interview's default
    question = interview.bank.get("regression-suite")
    words = (
        "Yes, the regression suite was rigorous and automated: golden dataset, LLM judge with a "
        "rubric, CI on every pull request, baseline comparison, pass thresholds, careful scoring."
    )
    first = grade_blocking(grader, question, VAGUE_ANSWER)
    regraded = grade_blocking(grader, question, f"{VAGUE_ANSWER}\n\n{words}")
    assert first.score is not None and regraded.score is not None

    step = interview.start(question_ids=["regression-suite"], max_followups=1)
    step = interview.answer(step.session_id, VAGUE_ANSWER)
    assert step.kind == "probe"
    end = interview.answer(step.session_id, words)
    assert end.report is not None
    verdict = end.report.questions[0].verdict
    assert verdict.score == first.score, "rubric words without a figure changed nothing"
    # The trained grader no longer lifts such words on its own; a grader that would (the
    # regraded verdict one level up, with no new figure) is held by the interview's rule.
    lifted = regraded.model_copy(update={"score": first.score + 1})
    held = hold_without_new_evidence(first, lifted, words)
    assert held.score == first.score
    assert any("added no measured evidence" in line for line in held.explanation)


@pytest.mark.parametrize("space", [" ", "\u00a0"], ids=["plain", "non-breaking space"])
def test_hold_lets_a_probe_answer_with_a_new_figure_raise_the_score(space: str) -> None:
    grader = get_grader("offline")
    question = load_bank().get("regression-suite")
    figure = (
        f"Concretely:{space}I built the 240-case suite from production tickets; on it the pass "
        "rate went from 78% to 91% after the prompt fix, scored by exact match in CI, and the "
        "judge agreed with my labels on 91 of 100 cases."
    )
    before = grade_blocking(grader, question, VAGUE_ANSWER)
    after = grade_blocking(grader, question, f"{VAGUE_ANSWER}\n\n{figure}")
    assert after.score is not None and before.score is not None and after.score > before.score
    assert hold_without_new_evidence(before, after, figure) == after
    held = hold_without_new_evidence(before, after, "nothing new here")
    assert held.score == before.score
