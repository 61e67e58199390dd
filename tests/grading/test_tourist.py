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


def test_an_early_end_is_judged_on_what_was_answered(
    bank: QuestionBank, strong: list[Verdict]
) -> None:
    one = strong[:1]
    assert tourist_flag(one).flagged is False, "one backed answer of one is enough"
    # One answer of three: too little to judge, and the early end is the reason given.
    flag = tourist_flag(one, planned=3)
    assert (flag.flagged, flag.applicable) == (False, False)
    assert "ended early: 1 of 3 questions answered, too few to judge" in flag.reasons[0]
    vague = verdicts(bank, {"before-after": TOURIST_ANSWER})
    flag = tourist_flag(vague, planned=3)
    assert (flag.flagged, flag.applicable) == (False, False), "unreached questions are no evidence"
    # Two of three: judged on the two, with the early end said.
    two = tourist_flag(strong[:2], planned=3)
    assert (two.flagged, two.applicable) == (False, True)
    assert any(
        "ended early: 2 of 3 questions answered; the flag is judged on those" in r
        for r in two.reasons
    )
    tourists = verdicts(
        bank, {"regression-suite": TOURIST_ANSWER, "hallucination-debug": TOURIST_ANSWER}
    )
    judged = tourist_flag(tourists, planned=3)
    assert (judged.flagged, judged.applicable) == (True, True)
    assert judged.reasons[0].startswith("0 of 2 answers backed")


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
    assert not is_backed(verdict.model_copy(update={"score": 1}))
    assert not is_backed(verdict.model_copy(update={"score": None}))
    # at 2, only a claim tied to a set or method with a before -> after pair backs the answer
    assert not is_backed(verdict.model_copy(update={"score": 2, "claims": []}))
    impossible = ["figures that cannot be true: 340% cannot be a rate"]
    assert not is_backed(verdict.model_copy(update={"flags": impossible}))
    measured = {"quantity", "before_after"}
    unmeasured = [e for e in verdict.evidence if e.kind.value not in measured]
    assert not is_backed(verdict.model_copy(update={"evidence": unmeasured, "claims": []}))
    # a grounded claim in words ("from the mid-90s to the mid-80s") backs it without digits
    assert is_backed(verdict.model_copy(update={"evidence": unmeasured}))


BEGINNER = {
    "regression-suite": (
        "I'm new to this. I wrote 12 questions for our FAQ bot with the right answer next to each "
        "and check them by hand after every prompt change. Last month it went from 7/12 to 10/12 "
        "right after I added the refund policy page to the documents."
    ),
    "hallucination-debug": (
        "The bot told a customer we ship to Norway; we don't. I read the retrieved chunks and "
        "the shipping page was missing from the index. I re-indexed it and on the same 12 "
        "questions wrong shipping answers went from 3 to 0."
    ),
}


def test_an_honest_beginner_with_small_measured_examples_is_not_flagged(
    bank: QuestionBank,
) -> None:
    session = verdicts(bank, BEGINNER)
    assert all(v.score is not None and v.score <= 3 for v in session)
    flag = tourist_flag(session)
    assert not flag.flagged, flag.reasons


FRAUD_WORK = {
    "retrieval-quality": (
        "I haven't built retrieval for an LLM. My closest work is our card-fraud model: on an "
        "out-of-time holdout of 18,000 labelled transactions, XGBoost recall at a 1% review rate "
        "went from 41% to 58% against the rules baseline, measured with a bootstrap CI."
    ),
    "token-cost-cut": (
        "No LLM costs in my job. For the fraud scorer I cut serving cost instead: moving the "
        "features to a batch feature store took the per-transaction cost from $0.004 to $0.001, "
        "measured on a week of 2.1 million logged transactions."
    ),
    "agent-tool-failure": (
        "I have not run agents. In a churn model I traced a failure to a leaked feature: AUC "
        "fell from 0.91 to 0.78 on the time-based holdout of 40,000 accounts once I rebuilt it "
        "as of the prediction date, which was the honest figure."
    ),
}


def test_measured_classical_ml_work_on_ai_questions_is_not_a_tourist(bank: QuestionBank) -> None:
    session = verdicts(bank, FRAUD_WORK)
    tracks = {q.id: q.track for q in bank}
    flag = tourist_flag(session, tracks=tracks)
    assert not flag.flagged, flag.reasons
    assert any("fits the ML-engineer track better" in r for r in flag.reasons)


def test_one_claim_pasted_into_every_answer_is_not_backing(bank: QuestionBank) -> None:
    pasted = "On our 400-example holdout, accuracy went from 71% to 93% after I introduced it."
    session = verdicts(
        bank,
        {
            "regression-suite": f"We built a strong suite. {pasted}",
            "before-after": f"The change was a clear win. {pasted}",
            "latency-budget": f"Latency was handled carefully. {pasted}",
        },
    )
    flag = tourist_flag(session)
    assert flag.flagged
    assert any("same figures are given as the evidence" in r for r in flag.reasons)


def _checked(verdict: Verdict, outcome: str) -> Verdict:
    from agent._models import ClaimCheck

    check = ClaimCheck(
        claim=verdict.claims[0] if verdict.claims else "a figure",
        figure="83%",
        probe="How was the 83% measured?",
        outcome=outcome,  # type: ignore[arg-type]
        reasons=["the reply hands it elsewhere"],
    )
    return verdict.model_copy(update={"claim_checks": [check]})


def test_an_answer_whose_probed_figure_fell_apart_does_not_back_the_session(
    strong: list[Verdict],
) -> None:
    # One probe weakened, one supported: the weakened answer no longer counts, the rest do.
    mixed = [_checked(strong[0], "weakened"), _checked(strong[1], "supported"), strong[2]]
    flag = tourist_flag(mixed)
    assert not flag.flagged and "2 of 3" in flag.reasons[0]
    # Two weakened: one backed answer is too few.
    two = [_checked(strong[0], "weakened"), _checked(strong[1], "weakened"), strong[2]]
    assert tourist_flag(two).flagged


def test_when_no_probed_figure_held_the_unchecked_figures_are_not_taken_on_trust(
    strong: list[Verdict],
) -> None:
    session = [_checked(strong[0], "weakened"), strong[1], strong[2]]
    flag = tourist_flag(session)
    assert flag.flagged and "0 of 3" in flag.reasons[0]
    assert any("not taken on trust" in r for r in flag.reasons)
    # Without any probe, the same answers back the session as before.
    assert not tourist_flag(strong).flagged


SAME_SET_SHIFTING = {
    "regression-suite": (
        "I built our golden set for the loan assistant: 312 cases from production conversations "
        "with a thumbs-down, labelled by two analysts, scored by an LLM judge with kappa 0.8. It "
        "runs in CI and blocks the merge; it caught a prompt change that took accuracy from 91% "
        "to 84% on the 312 cases, and we reverted it."
    ),
    "hallucination-debug": (
        "A customer was quoted a rate we do not offer. I traced it in the logs to a stale FAQ "
        "chunk and added a freshness filter. On the golden set, the same one I mentioned, 180 "
        "cases, numeric hallucinations fell from 14% to 3%, measured by the judge."
    ),
    "before-after": (
        "I added worked examples to the prompt. On our golden set of 450 cases, answer accuracy "
        "went from 71% to 86%, measured by the judge, and latency rose from 1.2 s to 1.4 s."
    ),
}


def test_one_set_given_three_sizes_backs_nothing(bank: QuestionBank) -> None:
    session = verdicts(bank, SAME_SET_SHIFTING)
    assert sum(is_backed(v) for v in session) == 3  # each answer alone looks measured
    flag = tourist_flag(session)
    assert flag.flagged
    assert any("one set is given different sizes" in r and "312" in r for r in flag.reasons)


def test_a_set_that_grew_or_only_the_same_one_shifting(bank: QuestionBank) -> None:
    grew = dict(SAME_SET_SHIFTING)
    grew["hallucination-debug"] = grew["hallucination-debug"].replace(
        "the same one I mentioned, 180 cases", "which started at 180 cases and now has 312"
    )
    grew["before-after"] = grew["before-after"].replace("golden set of 450", "golden set of 312")
    assert not tourist_flag(verdicts(bank, grew)).flagged
    # Only the answer that calls it the same set while changing its size is not trusted.
    one = dict(grew)
    one["before-after"] = one["before-after"].replace(
        "On our golden set of 312 cases", "On that same golden set, 450 cases"
    )
    flag = tourist_flag(verdicts(bank, one))
    assert not flag.flagged and "2 of 3" in flag.reasons[0]


def test_a_dump_of_figures_with_nothing_behind_them_backs_nothing(bank: QuestionBank) -> None:
    """Numbers read off a dashboard, none tied to how or on what they were measured, are not a
    measured claim, however many there are (LABELLING section 7)."""
    dump = (
        "Our serving stack for the pick-point model, numbers from last week: p50 18 ms, p90 27 ms, "
        "p99 52 ms, 1,450 req/s peak, GPU util 71%, avg batch 6.3, error rate 0.02%, 14 pods. "
        "Well under the SLA. We used dynamic batching, FP16 and autoscaling."
    )
    verdict = OfflineGrader().grade_now(bank.get("latency-budget"), dump)
    assert verdict.unbacked_figures >= 4
    assert not verdict.claims
    assert not is_backed(verdict.model_copy(update={"score": 3}))
    measured = verdict.model_copy(update={"score": 3, "claims": ["p95 went 900 to 400 ms on 2k"]})
    assert is_backed(measured), "one figure tied to a set backs it, whatever else is listed"


_PENSION = (
    "Our pension chatbot told a member the transfer fee was zero; it was 2%. I traced it to "
    "the prompt mixing two products, rewrote it with a product table and tested it on 80 "
    "real member questions: only one came back wrong. Complaints fell by about 30% after that."
)
_PENSION_RETOLD = (
    "Same pension chatbot: it said the transfer fee was zero when it was 2%. After I rewrote "
    "the prompt with a product table, only one of 80 member questions I tested was wrong, "
    "and complaints were down about 30%."
)
# The same suite and the same before -> after told for three questions: the figures the
# retellings repeat sit in the before/after, not only in the quoted claims.
_SUITE = (
    "I built the citation suite for our drafting assistant: 180 cases from beta users' bad "
    "drafts. Each case checks every citation resolves, and a judge scores whether the case "
    "supports the sentence. It runs nightly. When we switched models in March the pass rate "
    "went from 84% to 70%, so we stayed on the old model."
)
_SUITE_FOR_LATENCY = (
    "For latency I'd point to the citation suite again: 180 cases from beta users' drafts, "
    "citations resolved and a judge checking support. The March model switch took the pass "
    "rate from 84% to 70%; the new model was slower too, so staying was good for latency."
)
_SUITE_FOR_PRIVACY = (
    "On privacy, the same suite: the 180 cases came from beta users' drafts, so I kept them "
    "in a private repo. The March switch dropped the pass rate from 84% to 70%, which the "
    "suite caught."
)


@pytest.mark.parametrize(
    "answers",
    [
        [
            ("hallucination-debug", _PENSION, True),
            ("agent-tool-failure", _PENSION_RETOLD, True),
            ("regression-suite", BUZZWORDS, False),
        ],
        [
            ("regression-suite", _SUITE, True),
            ("latency-budget", _SUITE_FOR_LATENCY, True),
            ("pii-leakage", _SUITE_FOR_PRIVACY, True),
        ],
    ],
    ids=["retold-for-another-question", "retold-with-its-before-after"],
)
def test_one_story_retold_for_every_question_counts_once(
    bank: QuestionBank, answers: list[tuple[str, str, bool]]
) -> None:
    """One rehearsed story backs one answer (LABELLING section 7), however well it is measured;
    each retelling is held at 3 here, so only the retelling rule can flag the session."""
    grader = OfflineGrader()
    session = []
    for question_id, text, held_at_three in answers:
        verdict = grader.grade_now(bank.get(question_id), text)
        if held_at_three:
            verdict = verdict.model_copy(update={"score": max(verdict.score or 1, 3)})
            assert is_backed(verdict)
        session.append(verdict)
    flag = tourist_flag(session)
    assert flag.flagged
    assert any("one rehearsed story counts once" in r for r in flag.reasons)
