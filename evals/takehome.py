"""Take-home grading measured on real graded answers: Beetle's training split, cross-validated.

Reads a folder in the form of ``../shared/beetle/`` (``questions.yaml`` in the ``--questions``
format, ``answers_train.jsonl``, ``labels_train.csv`` with an ``ordinal_0_2`` column), or any
labelled take-home folder (``questions.yaml``, ``answers.jsonl``, ``labels.csv`` with columns
``candidate_id,question_id,score`` on each question's scale), and prints 2-way macro-F1
("correct" = the top of the question's scale) and the Pearson correlation with the label:

* reference alone: no examples at all;
* unseen answers: examples of the same questions (folds of answers);
* unseen questions: examples of other questions only (folds of whole questions).

Every figure is cross-validated on the training split, which the features were developed on.

    python evals/takehome.py ../shared/beetle [--folds 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from collections import Counter
from pathlib import Path

from agent import load_bank
from agent._models import TakeHomeQuestion
from agent.batch import load_questions
from agent.grading.examples import Example, ExampleModel, macro_f1
from agent.grading.keypoints import terms
from agent.grading.reference import ReferenceGrader


def pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    vy = math.sqrt(sum((y - my) ** 2 for y in ys))
    return cov / (vx * vy) if vx and vy else 0.0


def tfidf_cosine(examples: list[Example], references: dict[str, str]) -> list[float]:
    """Each answer's tf-idf cosine with its question's reference (idf over the answers and the
    references of the folder; the grader's own tokens and stems): the classic baseline."""
    docs = [terms(e.answer).words for e in examples]
    refs = {q: terms(text).words for q, text in references.items()}
    frequency: Counter[str] = Counter(w for d in [*docs, *refs.values()] for w in d)
    total = len(docs) + len(refs)
    idf = {w: math.log(total / n) + 1.0 for w, n in frequency.items()}

    def cosine(a: frozenset[str], b: frozenset[str]) -> float:
        dot = sum(idf[w] ** 2 for w in a & b)
        norm = math.sqrt(sum(idf[w] ** 2 for w in a)) * math.sqrt(sum(idf[w] ** 2 for w in b))
        return dot / norm if norm else 0.0

    return [cosine(d, refs[e.question_id]) for d, e in zip(docs, examples, strict=True)]


def report(name: str, scored: list[tuple[Example, int]], top: dict[str, int]) -> None:
    gold = [e.level >= 1.0 for e, _ in scored]
    predicted = [p == top[e.question_id] for e, p in scored]
    r = pearson([e.score for e, _ in scored], [float(p) for _, p in scored])
    print(f"{name}: macro-F1 {macro_f1(gold, predicted):.3f}, Pearson {r:.3f}")


def read_labelled(folder: Path, questions: dict[str, TakeHomeQuestion]) -> list[Example]:
    """The folder's answers with their labels, as graded examples (Beetle's files or generic)."""
    beetle = (folder / "answers_train.jsonl").is_file()
    answers_file = folder / ("answers_train.jsonl" if beetle else "answers.jsonl")
    with (folder / ("labels_train.csv" if beetle else "labels.csv")).open(encoding="utf-8") as f:
        labels = {
            (r["candidate_id"], r["question_id"]): int(r["ordinal_0_2" if beetle else "score"])
            for r in csv.DictReader(f)
        }
    examples = []
    with answers_file.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            score = labels[(row["candidate_id"], row["question_id"])]
            scale = questions[row["question_id"]].scale
            level = (score - scale.min) / (scale.max - scale.min)
            examples.append(Example(row["question_id"], row["answer"], float(score), level))
    return examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    bank = load_questions(args.folder / "questions.yaml", load_bank())
    questions = {q.id: q for q in bank if isinstance(q, TakeHomeQuestion)}
    examples = read_labelled(args.folder, questions)
    top = {q.id: q.scale.max for q in questions.values()}
    print(f"{len(examples)} answers to {len({e.question_id for e in examples})} questions")
    started = time.perf_counter()
    grader = ReferenceGrader()
    alone = [
        (e, grader.grade_now(questions[e.question_id], e.answer).scaled_score or 0)
        for e in examples
    ]
    report("reference alone (no examples)", alone, top)
    references = {q: questions[q].reference_answer or "" for q in top}
    baseline = pearson([e.score for e in examples], tfidf_cosine(examples, references))
    print(f"baseline, tf-idf cosine with the reference: Pearson {baseline:.3f}")
    model = ExampleModel(examples, dict(questions))
    for name, scored in model.out_of_fold(args.folds, args.seed).items():
        report(f"{name} ({args.folds} folds)", scored, top)
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
