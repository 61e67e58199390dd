"""The counterfactual fairness checks: what they build, and that they catch a grader that moves
with names, padding or phrasing (a grader that scores by length), and pass the default one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent._models import Question, Verdict
from agent.bank import load_bank, load_golden_answers
from agent.fairness import (
    NAMES,
    SIGNATURES,
    load_filler,
    load_rewrites,
    padded,
    run_fairness,
    shortened,
    signed,
)
from agent.grading.base import get_grader
from agent.grading.offline import OfflineGrader

ANSWER = (
    "I built a 300-question regression set from support tickets. Pass rate went from 71% to "
    "84% on it after the prompt change. It was a great learning experience."
)


class LengthGrader(OfflineGrader):
    """Scores an answer by its length alone: a grader the checks must catch."""

    def grade_now(self, question: Question, answer: str) -> Verdict:
        verdict = super().grade_now(question, answer)
        return verdict.model_copy(update={"score": min(5, 1 + len(answer.split()) // 25)})


def test_every_name_signs_the_same_answer_in_each_form() -> None:
    for form in SIGNATURES:
        texts = signed(ANSWER, form)
        assert len(texts) == len(NAMES) and all(ANSWER in t for t in texts)
        assert [n in t for t, (n, _) in zip(texts, NAMES, strict=True)] == [True] * len(NAMES)


def test_padding_and_shortening() -> None:
    filler = [f"Filler sentence number {k}." for k in range(6)]
    before, after = padded(ANSWER, filler, seed=1)
    assert before.endswith(ANSWER) and after.startswith(ANSWER)
    assert before.startswith("Filler sentence number 1. Filler sentence number 0.")
    assert shortened(ANSWER) == (
        "I built a 300-question regression set from support tickets. Pass rate went from 71% to "
        "84% on it after the prompt change."
    )
    assert shortened("No figures here. None at all.") is None  # nothing left
    assert shortened("Only 3 figures. And 4 more.") is None  # nothing cut


def test_the_shipped_fixtures_are_well_formed() -> None:
    rows = load_rewrites()
    kinds = {(r["kind"], r["split"]) for r in rows}
    assert {k for k, _ in kinds} == {"slavic", "indian", "romance", "east-asian"}
    assert {s for _, s in kinds} == {"tuning", "held-out"}
    golden = {a.id for a in load_golden_answers()}
    assert {r["id"] for r in rows} <= golden
    filler = load_filler()
    assert len(filler["tuning"]) >= 4 and len(filler["held_out"]) >= 4


def test_a_broken_filler_file_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "filler.json"
    path.write_text(json.dumps({"tuning": ["a", "b", "c", "d"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="expected an object with the lists tuning and held_out"):
        load_filler(path)
    path.write_text(json.dumps({"tuning": ["a"], "held_out": ["a", "b", "c", "d"]}), "utf-8")
    with pytest.raises(ValueError, match="tuning: expected a list of at least 4"):
        load_filler(path)
    bad = tmp_path / "rewrites.jsonl"
    bad.write_text('{"id": "x", "kind": "slavic", "answer": "y"}\n{"id": "z"}\n', "utf-8")
    with pytest.raises(ValueError, match=r"rewrites.jsonl:2: expected id, kind and answer"):
        load_rewrites(bad)


def _sample() -> list:  # type: ignore[type-arg]
    answers = [a for a in load_golden_answers() if a.split == "test" and a.answer]
    return answers[::12]


def test_a_grader_that_scores_length_is_caught() -> None:
    bank = load_bank()
    filler = {"tuning": [f"I truly value careful work, always {k}." for k in range(8)]}
    filler["held_out"] = filler["tuning"]
    result = run_fairness(LengthGrader(), bank, _sample(), "test", [], filler, named=10)
    metrics = result.metrics()
    assert metrics["fairness_padding_raised"] > 0.2
    assert result.kinds["shortened"].mean_delta < 0


def test_the_default_grader_ignores_names_on_a_sample() -> None:
    result = run_fairness(
        get_grader("offline"), load_bank(), _sample(), "test", [], load_filler(), named=10
    )
    assert result.named_answers == 10 and result.name_varied == []
    assert result.metrics()["fairness_name_varied"] == 0.0


class NameGrader(OfflineGrader):
    """A level more for one name (a level less at the top): a grader the name check must catch."""

    def grade_now(self, question: Question, answer: str) -> Verdict:
        verdict = super().grade_now(question, answer)
        if "Sven Lindqvist" in answer and verdict.score is not None:
            moved = verdict.score + 1 if verdict.score < 5 else 4
            return verdict.model_copy(update={"score": moved})
        return verdict


def test_a_grader_that_favours_a_name_is_caught_and_rewrites_are_compared() -> None:
    sample = _sample()
    rewrites = [
        {"id": a.id, "kind": "test", "split": "held-out", "answer": a.answer + " Thanks."}
        for a in sample[:5]
    ]
    result = run_fairness(
        NameGrader(), load_bank(), sample, "test", rewrites, load_filler(), named=6
    )
    assert len(result.name_varied) == 6 and result.metrics()["fairness_name_varied"] == 1.0
    assert result.kinds["non-native test, held-out"].pairs == 5
    assert "fairness_nonnative_mean_abs_heldout" in result.metrics()


def test_a_measure_without_pairs_is_left_out_so_its_gate_fails() -> None:
    result = run_fairness(
        get_grader("offline"), load_bank(), _sample()[:3], "test", [], load_filler(), named=0
    )
    metrics = result.metrics()
    assert "fairness_name_varied" not in metrics and "fairness_nonnative_mean_abs" not in metrics
    assert "fairness_padding_raised" in metrics
