"""How the offline grader does on reference-only questions (no rubric, no training data).

Each bank question is stripped to its text and reference answer, as a take-home question would
arrive, and the golden answers of the chosen split are graded against the reference alone with
``ReferenceGrader`` (nothing in it was trained or tuned on the goldens). Scores are compared with
the human overall labels, on the 1-5 scale and on a 0-10 scale.

    python evals/reference_only.py [--split test]
"""

from __future__ import annotations

import argparse

from agent import load_bank, load_golden_answers
from agent._models import Scale, TakeHomeQuestion
from agent.evaluation import quadratic_weighted_kappa, spearman
from agent.grading.reference import ReferenceGrader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["calibration", "test", "all"])
    args = parser.parse_args()
    bank = load_bank()
    grader = ReferenceGrader()
    human, model, scaled, injected_ok, injected = [], [], [], 0, 0
    answers = [a for a in load_golden_answers() if args.split in ("all", a.split)]
    questions = {}
    for q in bank:
        questions[q.id] = TakeHomeQuestion(
            id=q.id, text=q.text, reference_answer=q.reference_answer, scale=Scale(min=0, max=10)
        )
    verdicts = {a.id: grader.grade_now(questions[a.question_id], a.answer) for a in answers}
    for a in answers:
        v = verdicts[a.id]
        human.append(a.labels.overall)
        model.append(v.score or 1)
        scaled.append(v.scaled_score if v.scaled_score is not None else -1)
        if a.twin_of and a.twin_of in verdicts:
            injected += 1
            injected_ok += (v.score or 0) <= (verdicts[a.twin_of].score or 0)
    exact = sum(h == m for h, m in zip(human, model, strict=True)) / len(human)
    within = sum(abs(h - m) <= 1 for h, m in zip(human, model, strict=True)) / len(human)
    print(
        f"reference-only grading, {args.split} split, {len(answers)} answers to "
        f"{len(questions)} questions: QWK {quadratic_weighted_kappa(human, model):.3f}, "
        f"Spearman {spearman(human, model):.3f}, exact {exact:.1%}, within one {within:.1%}; "
        f"0-10 scale Spearman {spearman(human, scaled):.3f} (range {min(scaled)}-{max(scaled)}); "
        f"injected <= clean twin {injected_ok}/{injected}"
    )


if __name__ == "__main__":
    main()
