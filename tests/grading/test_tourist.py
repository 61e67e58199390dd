"""The prompt-tourist flag over a whole session."""

from __future__ import annotations

import pytest
from conftest import FABRICATED_ANSWER, SILENT_ANSWER, STRONG_ANSWERS, TOURIST_ANSWER

from agent import OfflineGrader, QuestionBank, Verdict, tourist_flag
from agent.grading.tourist import is_backed

CORE = sorted(STRONG_ANSWERS)

BUZZWORDS = (
    "I leveraged cutting-edge, state-of-the-art best practices to build a robust, comprehensive "
    "and holistic regression suite with an LLM judge in CI, a game-changing, world-class approach."
)


def verdicts(bank: QuestionBank, answers: dict[str, str]) -> list[Verdict]:
    grader = OfflineGrader()
    return [grader.grade_now(bank.get(qid), answer) for qid, answer in answers.items()]


@pytest.fixture
def strong(bank: QuestionBank) -> list[Verdict]:
    return verdicts(bank, STRONG_ANSWERS)


def test_strong_session_is_not_flagged(strong: list[Verdict]) -> None:
    assert all(is_backed(v) for v in strong)
    flag = tourist_flag(strong)
    assert flag.flagged is False
    assert flag.reasons and "3 of 3" in flag.reasons[0]
    # The flag shows what backed the answers, quoted from them.
    answers = " ".join(STRONG_ANSWERS.values())
    assert flag.quotes and all(q in answers for q in flag.quotes)


def test_unbacked_session_is_flagged_with_reasons(bank: QuestionBank) -> None:
    session = verdicts(
        bank,
        {
            "regression-suite": BUZZWORDS,
            "hallucination-debug": FABRICATED_ANSWER,
            "before-after": TOURIST_ANSWER,
        },
    )
    assert not any(is_backed(v) for v in session)
    flag = tourist_flag(session)
    assert flag.flagged is True
    text = "\n".join(flag.reasons)
    assert "0 of 3" in text
    assert "hallucination-debug: unsupported precision" in text
    assert "regression-suite: buzzwords" in text


def test_silent_session_is_flagged(bank: QuestionBank) -> None:
    session = verdicts(bank, dict.fromkeys(CORE, SILENT_ANSWER))
    flag = tourist_flag(session)
    assert flag.flagged is True
    text = "\n".join(flag.reasons)
    assert "no answer to 3 question(s)" in text
    for qid in CORE:
        assert qid in text


def test_one_strong_answer_of_three_is_not_enough(bank: QuestionBank) -> None:
    session = verdicts(
        bank,
        {
            "regression-suite": STRONG_ANSWERS["regression-suite"],
            "hallucination-debug": TOURIST_ANSWER,
            "before-after": TOURIST_ANSWER,
        },
    )
    assert tourist_flag(session).flagged is True
    two = verdicts(
        bank,
        {
            "regression-suite": STRONG_ANSWERS["regression-suite"],
            "hallucination-debug": STRONG_ANSWERS["hallucination-debug"],
            "before-after": TOURIST_ANSWER,
        },
    )
    assert tourist_flag(two).flagged is False


def test_planned_counts_questions_not_reached(strong: list[Verdict]) -> None:
    one = strong[:1]
    assert tourist_flag(one).flagged is False, "one backed answer of one is enough"
    flag = tourist_flag(one, planned=3)
    assert flag.flagged is True
    assert any("2 question(s) not reached" in r for r in flag.reasons)
    assert "1 of 3" in flag.reasons[0]
    # Two backed answers of three planned are enough, and the gap is still reported.
    two = tourist_flag(strong[:2], planned=3)
    assert two.flagged is False
    assert any("1 question(s) not reached" in r for r in two.reasons)


def test_planned_smaller_than_answered_is_ignored(strong: list[Verdict]) -> None:
    assert tourist_flag(strong, planned=1) == tourist_flag(strong)


def test_no_verdicts() -> None:
    flag = tourist_flag([])
    assert flag.flagged is False
    assert flag.reasons == ["no questions were answered; nothing to assess"]


def test_adding_a_backed_answer_never_raises_the_flag(
    bank: QuestionBank, strong: list[Verdict]
) -> None:
    weak = verdicts(bank, {"regression-suite": TOURIST_ANSWER})
    for base in (strong[:1], strong[:2], weak + strong[:2]):
        if not tourist_flag(base).flagged:
            assert not tourist_flag([*base, strong[2]]).flagged


def test_backed_needs_score_and_measured_evidence(strong: list[Verdict]) -> None:
    verdict = strong[0]
    assert is_backed(verdict)
    assert not is_backed(verdict.model_copy(update={"score": 2}))
    assert not is_backed(verdict.model_copy(update={"score": None}))
    measured = {"quantity", "before_after"}
    unmeasured = [e for e in verdict.evidence if e.kind.value not in measured]
    assert not is_backed(verdict.model_copy(update={"evidence": unmeasured}))
