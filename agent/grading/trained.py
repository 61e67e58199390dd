"""The trained offline grader: small linear models over evidence and similarity features.

Two multinomial logistic models, trained by ``screener train`` on the ``calibration`` split of
the goldens only (see :mod:`agent.grading.training`), are stored as plain JSON coefficients in
``agent/grading/offline_model.json`` with the hash of their training data. Inference is a few
dot products in pure Python: no scikit-learn, no network, deterministic.

* The **criterion model** scores each rubric criterion 1-5 from the answer's evidence features,
  the criterion's own evidence points and keywords, and the answer's similarity to golden
  answers of the same question at each level.
* The **overall model** scores the answer from the same answer features and the criterion
  model's expected scores. It gives a probability for each level; the most likely level's
  probability is the verdict's confidence (the cascade escalates when it is low).

Rules that are not learned: a non-answer scores 1; text addressed to the grader is removed and
the verdict is never above the verdict on the raw text. A question with no golden answers (a
take-home question) is graded by the evidence rules alone, which need no examples.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .._models import Question, Verdict
from .base import Grader
from .evidence import extract, injection_sentences, strip_injection
from .features import (
    ANSWER_FEATURES,
    CRITERION_FEATURES,
    PHRASES,
    Reference,
    answer_features,
    criterion_features,
    similarity,
    tfidf,
)
from .offline import OfflineGrader

ARTIFACT = Path(__file__).with_name("offline_model.json")
#: Terms kept per reference vector (and per query vector, so the two compare like with like).
REFERENCE_TERMS = 40
VERSION = "offline-2.0"


class LinearModel(BaseModel):
    """Standardisation and multinomial logistic coefficients for classes 1-5."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[list[float]]
    intercept: list[float]
    C: float

    def standardise(self, x: list[float]) -> list[float]:
        return [(v - m) / s for v, m, s in zip(x, self.mean, self.scale, strict=True)]

    def proba(self, x: list[float]) -> list[float]:
        """P(level = 1..5 | x)."""
        z = self.standardise(x)
        logits = [
            b + sum(w * v for w, v in zip(row, z, strict=True))
            for row, b in zip(self.coef, self.intercept, strict=True)
        ]
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return [e / total for e in exp]

    def contributions(self, x: list[float], proba: list[float]) -> list[float]:
        """Each feature's push on the expected level (gradient times standardised value)."""
        z = self.standardise(x)
        mean_w = [
            sum(p * row[j] for p, row in zip(proba, self.coef, strict=True)) for j in range(len(z))
        ]
        return [
            z[j] * sum((k + 1) * p * (self.coef[k][j] - mean_w[j]) for k, p in enumerate(proba))
            for j in range(len(z))
        ]


class StoredReference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    level: int
    vector: dict[str, float]


class TrainedArtifact(BaseModel):
    """Everything the trained grader needs, with where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    training_data_sha256: str
    trained_on: str
    rows: dict[str, int]
    criterion_model: LinearModel
    overall_model: LinearModel
    idf: dict[str, float]
    references: dict[str, list[StoredReference]]
    cross_validation: dict[str, float]
    cascade: dict[str, float]


@cache
def load_artifact(path: str = str(ARTIFACT)) -> TrainedArtifact | None:
    """The committed artefact, or None when it has not been trained yet."""
    file = Path(path)
    if not file.is_file():
        return None
    return TrainedArtifact.model_validate(json.loads(file.read_text(encoding="utf-8")))


def expected(proba: list[float]) -> float:
    """The expected level under ``proba``."""
    return sum((k + 1) * p for k, p in enumerate(proba))


class TrainedGrader(Grader):
    """The default offline grader when the trained artefact is present."""

    def __init__(self, artifact: TrainedArtifact, rules: OfflineGrader | None = None) -> None:
        self.artifact = artifact
        self.rules = rules or OfflineGrader()
        self.info = self.rules.info.model_copy(update={"version": artifact.version})
        self._refs = {
            qid: [Reference(r.key, r.level, r.vector) for r in refs]
            for qid, refs in artifact.references.items()
        }

    def fingerprint(self) -> str:
        from ..prompts import sha256_text

        return sha256_text(f"{self.info.name}\x00{self.artifact.training_data_sha256}")

    async def grade(self, question: Question, answer: str) -> Verdict:
        return self.grade_now(question, answer)

    def grade_now(
        self, question: Question, answer: str, exclude: set[str] | None = None
    ) -> Verdict:
        """Grade synchronously; ``exclude`` drops golden references (leave-one-out training)."""
        injected = injection_sentences(answer)
        clean = self._grade(
            question, strip_injection(answer) if injected else answer, injected, exclude
        )
        if not injected:
            return clean
        raw = self._grade(question, answer, injected, exclude)
        criteria = {c: min(clean.criteria[c], raw.criteria[c]) for c in clean.criteria}
        score = min(s for s in (clean.score, raw.score) if s is not None)
        return clean.model_copy(update={"criteria": criteria, "score": score})

    def features(
        self,
        question: Question,
        text: str,
        exclude: set[str] | None = None,
        injected: list[str] | None = None,
    ) -> tuple[list[float], dict[str, list[float]], Verdict]:
        """(answer features, criterion features by id, the rules' verdict)."""
        found = extract(text)
        rules = self.rules.grade_found(question, found, injected or [])
        refs = self._refs.get(question.id, [])
        # Truncated like the stored references, so an exact copy has cosine 1 and is skipped.
        vector = tfidf(text, self.artifact.idf, top=REFERENCE_TERMS)
        sims = similarity(vector, refs, exclude or set())
        base = answer_features(question, found, rules.score or 1, sims)
        per_criterion = {
            c.id: criterion_features(
                base,
                c,
                found,
                self.rules.criterion_points(found, c.keywords, c.evidence),
                rules.criteria[c.id],
            )
            for c in question.rubric
        }
        return base, per_criterion, rules

    def _grade(
        self, question: Question, text: str, injected: list[str], exclude: set[str] | None
    ) -> Verdict:
        if question.id not in self._refs:
            return self.rules.grade_clean(question, text, injected)  # no examples: rules decide
        base, per_criterion, rules = self.features(question, text, exclude, injected)
        if rules.empty:
            return rules
        crit_model, overall_model = self.artifact.criterion_model, self.artifact.overall_model
        expectations = {cid: expected(crit_model.proba(x)) for cid, x in per_criterion.items()}
        criteria = {cid: max(1, min(5, int(e + 0.5))) for cid, e in expectations.items()}
        x = [*base, sum(expectations.values()) / len(expectations)]
        proba = overall_model.proba(x)
        score = max(1, min(5, int(expected(proba) + 0.5)))
        reasons = _explain(overall_model, x, proba, rules)
        return rules.model_copy(
            update={
                "score": score,
                "criteria": criteria,
                "missing": [c for c, s in criteria.items() if s <= 2],
                "explanation": reasons,
                "grader": self.info,
                "confidence": round(max(proba), 4),
                "level_probabilities": [round(p, 4) for p in proba],
            }
        )


def _explain(model: LinearModel, x: list[float], proba: list[float], rules: Verdict) -> list[str]:
    """The features that moved the score most, in words, with the evidence behind them."""
    pushes = sorted(
        zip(model.features, model.contributions(x, proba), strict=True), key=lambda kv: -abs(kv[1])
    )
    lines = []
    quotes = {e.kind.value: e.quote for e in rules.evidence}
    for name, push in pushes[:4]:
        if abs(push) < 0.05:
            continue
        phrase = PHRASES.get(name, name)
        sign = "raised" if push > 0 else "lowered"
        example = _example(name, quotes)
        lines.append(
            f"{phrase} {sign} the score ({push:+.2f})" + (f": {example!r}" if example else "")
        )
    return lines + [line for line in rules.explanation if line.startswith(("no figure", "names"))]


def _example(feature: str, quotes: dict[str, str]) -> str:
    kind = {
        "before_after": "before_after",
        "quantity": "quantity",
        "artefact": "artefact",
        "sized_artefact": "artefact",
        "method": "method",
        "ownership": "ownership",
        "baseline": "baseline",
        "measured": "quantity",
    }.get(feature)
    quote = quotes.get(kind or "", "")
    return quote[:120]


__all__ = [
    "ANSWER_FEATURES",
    "CRITERION_FEATURES",
    "TrainedArtifact",
    "TrainedGrader",
    "load_artifact",
]
