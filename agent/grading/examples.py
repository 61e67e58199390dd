"""Labelled examples for take-home questions: graded answers that teach the grader a question.

``screener grade ... --examples LABELLED.jsonl`` gives rows ``{"question_id", "answer",
"score"}``, the score on that question's scale. :class:`ExampleModel` learns from them in two ways:

* **the nearest graded answers** of the same question: how alike the new answer is to the
  answers a person gave the top mark and to the ones they did not (word and word-pair overlap,
  negations kept, so "is connected" and "is not connected" stay apart);
* **how the scale is used**, from every question in the file: a logistic model per step of the
  scale ("at least this good") over what the answer shares with the reference (key points made
  and contradicted, reference words and word pairs recalled, negation and opposite words,
  length, words only the question has). A question without examples of its own is graded by
  this part and by the graded answers of the **related questions** (the up to three whose
  references are most like its own): how alike the answer is to what people scored there.

Scores are normalised to 0..1 so questions on different scales train one model; a step's model
says whether an answer reaches that step, and the score is the highest step reached in order.
Everything is pure Python (no numpy at run time): a few thousand examples fit in seconds.
:meth:`ExampleModel.cross_validate` says how much the examples help, measured on the examples
themselves (folds of answers, and folds of whole questions).

Static word embeddings (wordllama's, which ship inside their wheel) were tried as further
features and added nothing on the development data (Beetle's training split, questions held out:
macro-F1 0.699 with them, 0.698 without), so the base install stays free of numpy.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .._errors import InputError
from .._models import Question, TakeHomeQuestion
from .keypoints import NEGATIONS, OPPOSITES, STOP_WORDS, WORD, key_points, match_points, stem

FEATURES = (
    "key_points_made",
    "key_points_contradicted",
    "reference_words_recalled",
    "answer_words_in_reference",
    "word_f1",
    "pair_overlap",
    "negation_differs",
    "answer_negated",
    "opposite_words",
    "log_words",
    "question_only_words",
)
NEIGHBOUR_FEATURES = (
    "nearest_mean_score",
    "nearest_top_similarity",
    "nearest_other_similarity",
    "top_minus_other",
    "nearest_score",
)
#: A question without its own examples: the neighbours among the related questions' answers.
RELATED_FEATURES = (*NEIGHBOUR_FEATURES, "related_reference_similarity")


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """Content-word stems, every negation as "not" (kept: it changes what is said)."""
    out = []
    for word in WORD.findall(text.lower()):
        if word in NEGATIONS or word.endswith("n't"):
            out.append("not")
        elif word not in STOP_WORDS:
            out.append(stem(word))
    return tuple(out)


@lru_cache(maxsize=65536)
def _grams(text: str) -> tuple[Counter[str], float]:
    """Word and word-pair counts, and their norm."""
    tokens = _tokens(text)
    grams = Counter(tokens + tuple(f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)))
    return grams, math.sqrt(sum(v * v for v in grams.values()))


def similarity(a: str, b: str) -> float:
    """Cosine of word and word-pair counts (0..1)."""
    (ga, na), (gb, nb) = _grams(a), _grams(b)
    if not na or not nb:
        return 0.0
    if len(ga) > len(gb):
        ga, gb = gb, ga
    return sum(v * gb.get(k, 0) for k, v in ga.items()) / (na * nb)


def _opposites(answer: str, reference: str) -> int:
    said = set(WORD.findall(answer.lower()))
    meant = set(WORD.findall(reference.lower()))
    return sum(
        1
        for word in meant
        if word in OPPOSITES
        and word not in said
        and OPPOSITES[word] & said
        and not OPPOSITES[word] & meant
    )


def reference_features(question: Question, answer: str) -> list[float]:
    """What ``answer`` shares with the question's reference (see :data:`FEATURES`)."""
    reference = question.reference_answer or ""
    matches = match_points(key_points(reference), answer)
    made = sum(m.credit for m in matches) / len(matches) if matches else 0.0
    contradicted = sum(bool(m.contradiction) for m in matches)
    said = set(_tokens(answer)) - {"not"}
    meant = set(_tokens(reference)) - {"not"}
    asked = set(_tokens(question.text)) - {"not"}
    recall = len(said & meant) / len(meant) if meant else 0.0
    precision = len(said & meant) / len(said) if said else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    negated = "not" in _tokens(answer)
    return [
        made,
        float(min(contradicted, 2)),
        recall,
        precision,
        f1,
        similarity(answer, reference),
        float(negated != ("not" in _tokens(reference))),
        float(negated),
        float(min(_opposites(answer, reference), 2)),
        math.log1p(len(answer.split())),
        len((said & asked) - meant) / len(said) if said else 0.0,
    ]


def neighbour_features(answer: str, graded: Sequence[tuple[str, float]], k: int = 5) -> list[float]:
    """How ``answer`` compares with graded answers of its question (scores normalised 0..1)."""
    if not graded:
        return [0.5, 0.0, 0.0, 0.0, 0.5]
    sims = sorted(((similarity(answer, text), score) for text, score in graded), reverse=True)
    nearest = sims[:k]
    weight = sum(s for s, _ in nearest)
    mean = sum(s * y for s, y in nearest) / weight if weight else 0.5
    top = max((s for s, y in sims if y >= 1.0), default=0.0)
    other = max((s for s, y in sims if y < 1.0), default=0.0)
    return [mean, top, other, top - other, sims[0][1] if sims[0][0] > 0 else 0.5]


# --- a small logistic regression --------------------------------------------------------------


@dataclass
class Logistic:
    """L2-regularised logistic regression on standardised features, fitted by Newton's method."""

    weights: list[float] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    scale: list[float] = field(default_factory=list)

    @classmethod
    def fit(
        cls, rows: Sequence[Sequence[float]], labels: Sequence[bool], l2: float = 1.0
    ) -> Logistic:
        n, d = len(rows), len(rows[0])
        mean = [sum(r[j] for r in rows) / n for j in range(d)]
        scale = [math.sqrt(sum((r[j] - mean[j]) ** 2 for r in rows) / n) or 1.0 for j in range(d)]
        xs = [[1.0, *((r[j] - mean[j]) / scale[j] for j in range(d))] for r in rows]
        ys = [1.0 if y else 0.0 for y in labels]
        w = [0.0] * (d + 1)
        for _ in range(25):
            grad = [0.0 if j == 0 else l2 * w[j] for j in range(d + 1)]
            hess = [[(l2 if i == j and i else 0.0) for j in range(d + 1)] for i in range(d + 1)]
            for x, y in zip(xs, ys, strict=True):
                p = _sigmoid(sum(a * b for a, b in zip(w, x, strict=True)))
                g, h = p - y, max(p * (1 - p), 1e-9)
                for i in range(d + 1):
                    grad[i] += g * x[i]
                    hx = h * x[i]
                    row = hess[i]
                    for j in range(i, d + 1):
                        row[j] += hx * x[j]
            for i in range(d + 1):
                for j in range(i):
                    hess[i][j] = hess[j][i]
            hess[0][0] += 1e-6
            step = _solve(hess, grad)
            w = [a - b for a, b in zip(w, step, strict=True)]
            if max(abs(s) for s in step) < 1e-6:
                break
        return cls(w, mean, scale)

    def proba(self, row: Sequence[float]) -> float:
        z = self.weights[0] + sum(
            w * (x - m) / s
            for w, x, m, s in zip(self.weights[1:], row, self.mean, self.scale, strict=True)
        )
        return _sigmoid(z)


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z > -30 else 0.0


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """``a x = b`` by Gaussian elimination with partial pivoting (a small dense system)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        if abs(m[c][c]) < 1e-12:
            continue
        for r in range(c + 1, n):
            f = m[r][c] / m[c][c]
            if f:
                m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(m[r][r]) < 1e-12:
            continue
        x[r] = (m[r][n] - sum(m[r][j] * x[j] for j in range(r + 1, n))) / m[r][r]
    return x


# --- examples --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One graded answer: ``score`` on its question's scale, ``level`` the same on 0..1."""

    question_id: str
    answer: str
    score: float
    level: float


class ExamplesError(InputError):
    """A bad examples file or row: file, line, field and what is wrong (line 0: the file)."""

    def __init__(self, path: Path | str, line: int, field: str, reason: str) -> None:
        super().__init__(path, line, field, reason)
        if not line:
            self.args = (f"{path}: {reason}",)


def read_examples(path: Path, questions: dict[str, Question]) -> list[Example]:
    """The rows of a JSONL examples file; a bad row is an :class:`ExamplesError` naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ExamplesError(path, 0, "", f"cannot read the file: {error}") from error
    examples = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ExamplesError(path, number, "", f"not a JSON object: {error.msg}") from error
        if not isinstance(row, dict):
            raise ExamplesError(path, number, "", "expected a JSON object")
        for name in ("question_id", "answer", "score"):
            if name not in row:
                raise ExamplesError(path, number, name, "missing")
        qid, answer, score = row["question_id"], row["answer"], row["score"]
        question = questions.get(qid) if isinstance(qid, str) else None
        if question is None:
            raise ExamplesError(path, number, "question_id", f"unknown question {qid!r}")
        if not isinstance(answer, str):
            raise ExamplesError(path, number, "answer", "expected a string")
        low, high = _scale(question)
        if (
            isinstance(score, bool)
            or not isinstance(score, int | float)
            or not (low <= score <= high)
        ):
            raise ExamplesError(
                path, number, "score", f"expected a number from {low} to {high}, got {score!r}"
            )
        examples.append(Example(qid, answer, float(score), (score - low) / (high - low)))
    if not examples:
        raise ExamplesError(path, 0, "", "no examples in the file")
    return examples


def _scale(question: Question) -> tuple[int, int]:
    if isinstance(question, TakeHomeQuestion):
        return question.scale.min, question.scale.max
    return 1, 5


def _steps(question: Question) -> list[float]:
    """The 0..1 positions of the scale's levels above its bottom."""
    low, high = _scale(question)
    return [(v - low) / (high - low) for v in range(low + 1, high + 1)]


@dataclass(frozen=True)
class Prediction:
    """A score on the question's scale, and how many graded answers of its own question it
    was compared with (0: the examples of other questions decided)."""

    score: int
    neighbours: int


#: Fewer examples than this in all teach nothing reliable: the reference decides alone.
MIN_EXAMPLES = 20
#: A question's own graded answers are its neighbours from this many on.
MIN_OWN = 8


class ExampleModel:
    """What graded examples teach (see the module's docstring); fitted on construction."""

    def __init__(self, examples: Sequence[Example], questions: dict[str, Question]) -> None:
        self.examples = list(examples)
        self.questions = questions
        self.by_question: dict[str, list[Example]] = {}
        for example in self.examples:
            self.by_question.setdefault(example.question_id, []).append(example)
        self._models: dict[tuple[float, bool], Logistic | float] = {}
        self._related: dict[str, list[tuple[float, str]]] = {}
        self._rows = [self._row(e) for e in self.examples]

    @property
    def enough(self) -> bool:
        """Whether there are enough examples to learn from (:data:`MIN_EXAMPLES`)."""
        return len(self.examples) >= MIN_EXAMPLES

    @property
    def digest(self) -> str:
        """SHA-256 of the examples (part of the grader's identity: resume, caches)."""
        text = "\n".join(f"{e.question_id}\x00{e.score:g}\x00{e.answer}" for e in self.examples)
        return hashlib.sha256(text.encode()).hexdigest()

    def related(self, question: Question, most: int = 3) -> list[tuple[float, str]]:
        """(similarity, id) of the other questions with examples whose references are most
        like this one's: their graded answers say how answers like these are scored."""
        if question.id not in self._related:
            reference = question.reference_answer or question.text
            scored = sorted(
                (
                    (similarity(reference, self.questions[q].reference_answer or ""), q)
                    for q in self.by_question
                    if q != question.id
                ),
                reverse=True,
            )
            self._related[question.id] = [(s, q) for s, q in scored[:most] if s >= 0.3]
        return self._related[question.id]

    def _neighbours(
        self, question: Question, answer: str, *, own: bool, leave_out: Example | None = None
    ) -> list[float]:
        """:data:`NEIGHBOUR_FEATURES` among the question's own graded answers, or
        :data:`RELATED_FEATURES` among the related questions'."""
        if own:
            graded = [
                (e.answer, e.level)
                for e in self.by_question.get(question.id, [])
                if e is not leave_out
            ]
            return neighbour_features(answer, graded)
        related = self.related(question)
        graded = [(e.answer, e.level) for _, q in related for e in self.by_question[q]]
        return neighbour_features(answer, graded) + [related[0][0] if related else 0.0]

    def _row(self, example: Example) -> tuple[list[float], list[float]]:
        """The example's features as the two models see it: with the other graded answers of
        its question, and with those of related questions only."""
        question = self.questions[example.question_id]
        base = reference_features(question, example.answer)
        return (
            base + self._neighbours(question, example.answer, own=True, leave_out=example),
            base + self._neighbours(question, example.answer, own=False),
        )

    def _model(self, step: float, own: bool) -> Logistic | float:
        """The model of "reaches ``step``" (a constant when the examples are all on one side)."""
        key = (round(step, 6), own)
        if key not in self._models:
            kept = [
                (rows[0] if own else rows[1], e)
                for rows, e in zip(self._rows, self.examples, strict=True)
                if not own or len(self.by_question[e.question_id]) >= MIN_OWN
            ]
            labels = [e.level >= step - 1e-9 for _, e in kept]
            positive = sum(labels)
            if len(kept) < 8 or positive in (0, len(labels)):
                self._models[key] = positive / len(labels) if labels else 0.5
            else:
                self._models[key] = Logistic.fit([row for row, _ in kept], labels)
        return self._models[key]

    def predict(self, question: Question, answer: str) -> Prediction:
        """The score of ``answer`` on ``question``'s scale."""
        graded = self.by_question.get(question.id, [])
        own = len(graded) >= MIN_OWN
        row = reference_features(question, answer) + self._neighbours(question, answer, own=own)
        score = _scale(question)[0]
        for step in _steps(question):  # the highest step reached, in order
            model = self._model(step, own)
            if (model if isinstance(model, float) else model.proba(row)) < 0.5:
                break
            score += 1
        return Prediction(score, len(graded) if own else 0)

    def out_of_fold(self, folds: int = 5, seed: int = 0) -> dict[str, list[tuple[Example, int]]]:
        """Every example with the score a model fitted without it gives, two ways: folds of
        answers ("answers held out": other answers of the same questions are examples) and
        folds of whole questions ("questions held out": only other questions' examples)."""
        rng = random.Random(seed)
        order = list(range(len(self.examples)))
        rng.shuffle(order)
        answer_fold = [0] * len(self.examples)
        for k, i in enumerate(order):
            answer_fold[i] = k % folds
        ids = sorted(self.by_question)
        rng.shuffle(ids)
        of_question = {q: k % folds for k, q in enumerate(ids)}
        question_fold = [of_question[e.question_id] for e in self.examples]
        result: dict[str, list[tuple[Example, int]]] = {}
        for name, fold_of in (
            ("answers held out", answer_fold),
            ("questions held out", question_fold),
        ):
            scored = []
            for f in range(folds):
                held = [e for e, k in zip(self.examples, fold_of, strict=True) if k == f]
                if held:
                    kept = [e for e, k in zip(self.examples, fold_of, strict=True) if k != f]
                    model = ExampleModel(kept, self.questions)
                    scored += [
                        (e, model.predict(self.questions[e.question_id], e.answer).score)
                        for e in held
                    ]
            result[name] = scored
        return result

    def cross_validate(self, folds: int = 5, seed: int = 0) -> dict[str, float]:
        """Macro-F1 of "top of the scale" against the examples' own labels, out of fold (see
        :meth:`out_of_fold`)."""
        return {
            name: macro_f1(
                [e.level >= 1.0 for e, _ in scored],
                [p == _scale(self.questions[e.question_id])[1] for e, p in scored],
            )
            for name, scored in self.out_of_fold(folds, seed).items()
        }


def macro_f1(gold: Sequence[bool], predicted: Sequence[bool]) -> float:
    """Mean F1 of the two classes."""
    scores = []
    for positive in (True, False):
        tp = sum(g == positive and p == positive for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != positive and p == positive for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == positive and p != positive for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / 2


__all__ = [
    "FEATURES",
    "MIN_EXAMPLES",
    "MIN_OWN",
    "NEIGHBOUR_FEATURES",
    "RELATED_FEATURES",
    "Example",
    "ExampleModel",
    "ExamplesError",
    "Logistic",
    "Prediction",
    "macro_f1",
    "neighbour_features",
    "read_examples",
    "reference_features",
    "similarity",
]
