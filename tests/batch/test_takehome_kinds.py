"""Take-home questions of two kinds, bounds and real contradictions, and graded examples."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from agent import QuestionBank
from agent._models import Scale, TakeHomeQuestion
from agent.batch import grade_file, load_questions, write_html, write_summary
from agent.grading.examples import (
    Example,
    ExampleModel,
    ExamplesError,
    Logistic,
    macro_f1,
    read_examples,
    similarity,
)
from agent.grading.keypoints import key_points, match_points
from agent.grading.reference import ReferenceGrader, TakeHomeGrader, question_kind

from .conftest import row, write_jsonl

#: The new user's case: two answer-key questions and one about the candidate's own work.
QUESTIONS = """\
questions:
  - id: drift
    text: How would you keep a credit-risk model healthy once it is in production?
    scale: {min: 0, max: 10}
    reference_answer: >-
      Monitor PSI on the input features daily and retrain when it goes above 0.2.
      Before retraining, confirm the drop on a holdout of at least 5,000 recent labelled
      applications. Never retrain on data that includes the evaluation window.
  - id: ts-split
    text: How should the data be split to evaluate a demand-forecasting model?
    scale: {min: 0, max: 10}
    reference_answer: >-
      Split by time, not at random: train on the past and test on the weeks that follow.
      Leave a gap between the training and test periods so lagged features do not leak.
  - id: llm-eval
    text: Tell me about a time you evaluated an LLM feature. What did you measure before and after?
    scale: {min: 0, max: 10}
    reference_answer: >-
      I built a 300-case regression suite from production tickets and scored it with a judge
      that agreed with two human raters; unsupported answers fell from 9% to 3% after retrieval.
"""

ANSWERS = {
    "best": {
        "drift": "We compute the population stability index for every input daily; once it is "
        "over 0.2 we retrain. Before retraining we check the drop on a holdout of 8,000 recent "
        "labelled applications, and the retraining data never overlaps the evaluation window.",
        "ts-split": "Split on time rather than randomly: fit on the past, test on the weeks "
        "after it, with a two-week gap between training and test so the lagged features "
        "cannot leak.",
        "llm-eval": "I built a 250-case regression suite from support tickets; a judge scored "
        "it and agreed with two human raters at kappa 0.78 on 120 double-labelled cases. "
        "Unsupported answers went from 11% to 4% after we added retrieval.",
    },
    "good": {
        "drift": "Monitor PSI daily on the features and retrain when it goes above 0.2.",
        "ts-split": "Split by time: train on the past and test on the following weeks.",
        "llm-eval": "I made a 200-case suite from tickets; accuracy went from 70% to 82% on it, "
        "scored by a judge checked against human labels.",
    },
    "partial": {
        "drift": "Watch PSI on the features and retrain the model when it drifts.",
        "ts-split": "Train on older data and test on the newer weeks.",
        "llm-eval": "We built a small suite of 40 questions and the answers got better after the "
        "prompt change.",
    },
    "wrong": {
        "drift": "Retrain only when PSI goes below 0.2, and check it on a holdout of 500 rows.",
        "ts-split": "Split at random, not by time, so both sets see every season.",
        "llm-eval": "We evaluated it with a vibe check and it was great.",
    },
    "tourist": {
        "drift": "Leverage cutting-edge MLOps best practices and robust, scalable monitoring.",
        "ts-split": "Follow industry-standard best practices for robust evaluation.",
        "llm-eval": "I leveraged state-of-the-art agentic workflows to drive impact at scale.",
    },
}


@pytest.fixture
def bank(bank: QuestionBank, tmp_path: Path) -> QuestionBank:
    path = tmp_path / "takehome.yaml"
    path.write_text(QUESTIONS, encoding="utf-8")
    return load_questions(path, bank)


def _question(bank: QuestionBank, qid: str) -> TakeHomeQuestion:
    found = bank.get(qid)
    assert isinstance(found, TakeHomeQuestion)
    return found


def test_kinds_are_detected_and_can_be_given(bank: QuestionBank) -> None:
    assert question_kind(_question(bank, "drift")) == "answer-key"
    assert question_kind(_question(bank, "ts-split")) == "answer-key"
    assert question_kind(_question(bank, "llm-eval")) == "experience"
    given = _question(bank, "drift").model_copy(update={"kind": "experience"})
    assert question_kind(given) == "experience"


def test_the_new_users_case_ranks_five_candidates_sensibly(
    bank: QuestionBank, tmp_path: Path
) -> None:
    answers = write_jsonl(
        tmp_path / "answers.jsonl",
        *(row(c, q, a) for c, by_q in ANSWERS.items() for q, a in by_q.items()),
    )
    out, summary, report = tmp_path / "out.jsonl", tmp_path / "s.csv", tmp_path / "r.html"
    grade_file(answers, out, bank, TakeHomeGrader(ReferenceGrader()))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by = {(r["candidate_id"], r["question_id"]): r for r in rows}
    assert {r["kind"] for r in rows if r["question_id"] != "llm-eval"} == {"answer-key"}
    assert {r["kind"] for r in rows if r["question_id"] == "llm-eval"} == {"experience"}
    # The bound "at least 5,000" is met by 8,000; a paraphrase makes the point.
    best = by[("best", "drift")]
    assert best["score"] >= 8 and not any("contradict" in f for f in best["flags"])
    keyed = [r for r in rows if r["kind"] == "answer-key"]
    assert not any(f.startswith("off-topic") for r in keyed for f in r["flags"])
    assert not any(
        "contradict" in f
        for c in ("best", "good")
        for r in keyed
        for f in r["flags"]
        if r["candidate_id"] == c
    ), "no false contradiction"
    assert (
        "the answer makes none of the reference's key points" not in by[("good", "drift")]["flags"]
    )
    wrong = by[("wrong", "drift")]
    assert any("contradicts" in f for f in wrong["flags"]) and wrong["score"] <= 5
    candidates = write_summary(summary, out)
    order = [c.candidate_id for c in candidates]
    assert order[:3] == ["best", "good", "partial"], order
    assert set(order[3:]) == {"wrong", "tourist"}
    table = {
        r["candidate_id"]: r
        for r in csv.DictReader(summary.read_text(encoding="utf-8").splitlines())
    }
    assert table["best"]["graded_as"] == "experience 1; answer-key 2"
    assert table["best"]["tourist"] == "false"
    assert table["tourist"]["tourist"] == "true", "the experience question still has the flag"
    write_html(report, out, bank, answers)
    text = report.read_text(encoding="utf-8")
    assert "graded as an answer-key question" in text and "key point of the reference" in text


def test_only_answer_key_questions_have_no_tourist_flag(bank: QuestionBank, tmp_path: Path) -> None:
    answers = write_jsonl(
        tmp_path / "answers.jsonl",
        *(row(c, q, a) for c, by_q in ANSWERS.items() for q, a in by_q.items() if q != "llm-eval"),
    )
    out, summary = tmp_path / "out.jsonl", tmp_path / "s.csv"
    grade_file(answers, out, bank, TakeHomeGrader(ReferenceGrader()))
    write_summary(summary, out)
    table = list(csv.DictReader(summary.read_text(encoding="utf-8").splitlines()))
    assert {r["tourist"] for r in table} == {"n/a"}


REFERENCE = (
    "Keep at least 5,000 labelled rows for the test set. Retrain when PSI is above 0.2. "
    "The two terminals are in the same electrical state. Latency must stay under 200 ms."
)


@pytest.mark.parametrize(
    ("answer", "contradicted"),
    [
        ("We kept 8,000 labelled rows in the test set.", False),  # meets "at least"
        ("We kept 3,000 labelled rows in the test set.", True),  # breaks it
        ("We retrain once PSI goes over 0.35.", False),  # above 0.2
        ("Latency stays under 150 ms.", False),  # under 200
        ("Latency stays under 450 ms.", True),
        ("The two terminals are in a different electrical state.", True),  # an opposite word
        ("The two terminals are not in the same electrical state.", True),  # a negation
        ("The two terminals are not in a different electrical state.", False),  # both: agrees
        ("Both terminals share one electrical state.", False),  # own words
    ],
)
def test_bounds_negations_opposites_and_paraphrases(answer: str, contradicted: bool) -> None:
    matches = match_points(key_points(REFERENCE), answer)
    found = [m.contradiction for m in matches if m.contradiction]
    assert bool(found) == contradicted, found


def test_a_paraphrase_covers_a_point_and_a_bare_restatement_does_not() -> None:
    points = key_points("Split the data by time and never at random.")
    made = match_points(points, "We split it by time, never at random.")[0]
    off = match_points(points, "Data is important for any model.")[0]
    assert made.credit > 0.5 and off.credit == 0


# --- graded examples -----------------------------------------------------------------------------

CIRCUIT = TakeHomeQuestion(
    id="closed-path",
    text="Why does the bulb light up in this circuit?",
    reference_answer="The bulb is in a closed path with the battery.",
    scale=Scale(min=0, max=2),
)
OTHER = TakeHomeQuestion(
    id="open-switch",
    text="Why is the bulb off when the switch is open?",
    reference_answer="The open switch makes a gap, so the path is not closed.",
    scale=Scale(min=0, max=2),
)
RIGHT = [
    "the bulb and battery form a closed path",
    "it is on a closed loop with the battery",
    "there is a closed path from the battery through the bulb",
    "because the battery and the bulb are in one closed path",
]
PARTLY = ["it is connected to the battery", "the battery is connected", "there is a battery"]
WRONG = [
    "the path is not closed",
    "the bulb is not in a closed path",
    "there is a gap in the path",
    "the switch is open",
]


def _examples(question: TakeHomeQuestion, right: list[str], partly: list[str], wrong: list[str]):
    return [
        Example(question.id, a, float(s), s / 2)
        for s, answers in ((2, right), (1, partly), (0, wrong))
        for a in answers
    ]


def test_examples_teach_a_question_what_its_reference_alone_misses() -> None:
    questions = {q.id: q for q in (CIRCUIT, OTHER)}
    examples = _examples(CIRCUIT, RIGHT, PARTLY, WRONG) + _examples(
        OTHER,
        [
            "the switch leaves a gap so the path is not closed",
            "a gap: the path is open",
            "the open switch breaks the path with a gap",
        ],
        ["the switch is open", "the switch is off"],
        ["the bulb is broken", "the battery is dead", "the path is closed", "the bulb is on"],
    )
    model = ExampleModel(examples, questions)
    assert model.enough and not ExampleModel(examples[:19], questions).enough
    few = ReferenceGrader(ExampleModel(examples[:19], questions))
    assert not any("examples" in x for x in few.grade_now(CIRCUIT, RIGHT[0]).explanation)
    assert model.predict(CIRCUIT, "a closed path runs from the battery to the bulb").score == 2
    assert model.predict(CIRCUIT, "the bulb is not on a closed path").score == 0
    learned = ReferenceGrader(model).grade_now(CIRCUIT, "a closed path runs from the battery")
    assert learned.scaled_score == 2 and learned.question_kind == "answer-key"
    assert any("graded examples of this question" in x for x in learned.explanation)
    assert ReferenceGrader(model).info.version != ReferenceGrader().info.version
    # Out of fold: every example is scored once each way, by a model that never saw it.
    scored = model.out_of_fold(folds=3)
    assert set(scored) == {"answers held out", "questions held out"}
    for pairs in scored.values():
        assert sorted(e.answer for e, _ in pairs) == sorted(e.answer for e in examples)
    figures = model.cross_validate(folds=3)
    pairs = scored["answers held out"]
    assert figures["answers held out"] == macro_f1(
        [e.level >= 1.0 for e, _ in pairs], [p == 2 for _, p in pairs]
    )


def test_examples_file_errors_name_the_line_and_field(tmp_path: Path) -> None:
    questions = {CIRCUIT.id: CIRCUIT}
    good = {"question_id": CIRCUIT.id, "answer": "a closed path", "score": 2}
    cases = [
        ({"question_id": "nope", "answer": "x", "score": 1}, "question_id: unknown question"),
        ({"question_id": CIRCUIT.id, "answer": "x", "score": 3}, "score: expected a number from 0"),
        ({"question_id": CIRCUIT.id, "answer": "x"}, "score: missing"),
        ("{not json", "not a JSON object"),
    ]
    for bad, message in cases:
        path = write_jsonl(tmp_path / "examples.jsonl", good, bad)
        with pytest.raises(ExamplesError) as caught:
            read_examples(path, questions)
        assert f"{path}:2:" in str(caught.value) and message in str(caught.value)
    path = write_jsonl(tmp_path / "examples.jsonl", good)
    assert read_examples(path, questions) == [Example(CIRCUIT.id, "a closed path", 2.0, 1.0)]
    with pytest.raises(ExamplesError, match=r"missing\.jsonl: cannot read the file"):
        read_examples(tmp_path / "missing.jsonl", questions)


def test_logistic_regression_separates_and_similarity_keeps_negations() -> None:
    rng = random.Random(0)
    rows = [[rng.gauss(1 if i % 2 else -1, 0.5), rng.gauss(0, 1)] for i in range(200)]
    labels = [i % 2 == 1 for i in range(200)]
    model = Logistic.fit(rows, labels)
    predicted = [model.proba(r) >= 0.5 for r in rows]
    assert macro_f1(labels, predicted) > 0.9
    assert model.proba([2.0, 0.0]) > 0.9 > 0.1 > model.proba([-2.0, 0.0])
    same = similarity("the path is closed", "the path is closed")
    assert same == pytest.approx(1.0)
    assert similarity("the path is closed", "the path is not closed") < same
    assert macro_f1([True, False], [True, False]) == 1.0
    assert macro_f1([True, True, False], [True, True, True]) == pytest.approx(0.4)
