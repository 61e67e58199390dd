"""The trained offline grader: small linear models over evidence and claim features.

Two multinomial logistic models, trained by ``screener train`` on the ``calibration`` split of
the goldens only (see :mod:`agent.grading.training`), are stored as plain JSON coefficients in
``agent/grading/offline_model.json`` with the hash of their training data. Inference is a few
dot products in pure Python: no scikit-learn, no network, deterministic.

* The **criterion model** scores each rubric criterion 1-5 from the answer's evidence and claim
  features (figures tied to a set or a method, before/after pairs, noise, incoherent figures,
  first-person work) and the criterion's own evidence points and keywords. Nothing compares the
  answer's wording with the goldens' wording: a model that did learned the goldens' phrasing and
  did not carry over to answers written by other people.
* The **overall model** scores the answer from the same answer features and the criterion
  model's expected scores. It gives a probability for each level; the level given is the
  expected level spread from the middle by a factor set on out-of-fold predictions (:func:`decide`),
  and that level's probability is the verdict's confidence (the cascade escalates when it is
  low).

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
from .evidence import Extraction, extract
from .features import ANSWER_FEATURES, CRITERION_FEATURES, answer_features, criterion_features
from .offline import OfflineGrader, lowest_reading
from .tourist import about_other_system

ARTIFACT = Path(__file__).with_name("offline_model.json")
VERSION = "offline-3.3"
_INCOHERENT = ANSWER_FEATURES.index("incoherent")
_GROUNDED = ANSWER_FEATURES.index("grounded_claims")
_UNGROUNDED_CAP = 3


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


class TrainedArtifact(BaseModel):
    """Everything the trained grader needs, with where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    training_data_sha256: str
    trained_on: str
    rows: dict[str, int]
    criterion_model: LinearModel
    overall_model: LinearModel
    questions: list[str]
    cross_validation: dict[str, float]
    cascade: dict[str, float]
    #: How far :func:`decide` spreads each model's expected level (1.0: plain rounding).
    criterion_stretch: float = 1.0
    overall_stretch: float = 1.0


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


def decide(proba: list[float], stretch: float = 1.0) -> int:
    """The level given for ``proba``: the expected level, spread away from the scale's middle
    by ``stretch``, rounded. A linear model of a few features is unsure at both ends, so its
    expected level lies nearer 3 than the labels do (strong answers were held at 4, empty ones
    lifted to 2); training sets the stretch so that out-of-fold expected levels (one fold per
    author) are as spread out as the labels."""
    return max(1, min(5, int(3 + stretch * (expected(proba) - 3) + 0.5)))


class TrainedGrader(Grader):
    """The default offline grader when the trained artefact is present."""

    def __init__(self, artifact: TrainedArtifact, rules: OfflineGrader | None = None) -> None:
        self.artifact = artifact
        self.rules = rules or OfflineGrader()
        self.info = self.rules.info.model_copy(update={"version": artifact.version})
        self._trained_on = frozenset(artifact.questions)

    def fingerprint(self) -> str:
        from ..prompts import sha256_text

        # The rules, the features and the fitted numbers change verdicts as much as the
        # training data does (the rules' fingerprint covers the code and the committed model).
        parts = (self.info.name, self.artifact.version, self.rules.fingerprint())
        fitted = sha256_text(self.artifact.model_dump_json())
        return sha256_text("\x00".join((*parts, self.artifact.training_data_sha256, fitted)))

    async def grade(self, question: Question, answer: str) -> Verdict:
        return self.grade_now(question, answer)

    def grade_now(self, question: Question, answer: str) -> Verdict:
        """Grade synchronously (see :func:`~agent.grading.offline.lowest_reading`)."""
        return lowest_reading(lambda text, injected: self._grade(question, text, injected), answer)

    def features(
        self,
        question: Question,
        text: str,
        injected: list[str] | None = None,
        found: Extraction | None = None,
    ) -> tuple[list[float], dict[str, list[float]], Verdict]:
        """(answer features, criterion features by id, the rules' verdict); ``found``: the
        text's extraction, when the caller has made it."""
        found = found or extract(text)
        rules = self.rules.grade_found(question, found, injected or [])
        base = answer_features(question, found, rules)
        vocabulary = question.vocabulary
        per_criterion = {
            c.id: criterion_features(
                base,
                c,
                found,
                self.rules.criterion_points(found, c.keywords, c.evidence, vocabulary),
                rules.criteria[c.id],
                vocabulary,
            )
            for c in question.rubric
        }
        return base, per_criterion, rules

    def _grade(self, question: Question, text: str, injected: list[str]) -> Verdict:
        if question.id not in self._trained_on:
            return self.rules.grade_clean(question, text, injected)  # no examples: rules decide
        found = extract(text)
        base, per_criterion, rules = self.features(question, text, injected, found)
        if rules.empty:
            return rules
        crit_model, overall_model = self.artifact.criterion_model, self.artifact.overall_model
        probas = {cid: crit_model.proba(x) for cid, x in per_criterion.items()}
        criteria = {cid: decide(p, self.artifact.criterion_stretch) for cid, p in probas.items()}
        x = [*base, sum(map(expected, probas.values())) / len(probas)]
        proba = overall_model.proba(x)
        score = given = decide(proba, self.artifact.overall_stretch)
        if base[_INCOHERENT]:  # figures that cannot be true earn nothing: LABELLING section 3
            score = min(score, self.rules.weights.unmeasured_cap)
        if about_other_system(question, text):  # LABELLING section 4: off-topic
            score = min(score, self.rules.weights.offtopic_cap)
            criteria = {
                c: min(level, self.rules.weights.offtopic_cap) for c, level in criteria.items()
            }
        if not base[_GROUNDED] and found.inspected is None:
            # 4 and 5 need a figure tied to what it was measured on or how, or a diagnosis
            # made by looking into the system, as the judge's top marks do. The rules hold such
            # answers at 2; the model may go one level above them, because grounding is read
            # by patterns and misses some real work.
            score = min(score, _UNGROUNDED_CAP)
        reasons = _explain(question, rules, criteria, score)
        if score < given and not base[_GROUNDED]:
            reasons.append(
                f"no figure is tied to what it was measured on or how, so not above {score}"
            )
        return rules.model_copy(
            update={
                "score": score,
                "criteria": criteria,
                "missing": [c for c, s in criteria.items() if s <= 2],
                "explanation": reasons,
                "grader": self.info,
                "confidence": round(proba[given - 1], 4),
                "level_probabilities": [round(p, 4) for p in proba],
            }
        )


def _explain(question: Question, rules: Verdict, criteria: dict[str, int], score: int) -> list[str]:
    """What a hiring manager needs to check the verdict: the evidence found and what is thin,
    in words (never feature names or model weights)."""
    lines = [line for line in rules.explanation if score <= 2 or "held at 2" not in line]
    names = {c.id: c.name for c in question.rubric}
    thin = [names[cid] for cid, level in criteria.items() if level <= 2]
    if thin:
        lines.append("thin or missing: " + "; ".join(thin))
    if rules.score is not None and score != rules.score:
        lines.append(
            f"scored {score} where the evidence rules alone give {rules.score}, as people "
            "labelling answers like this one did"
        )
    return lines


__all__ = [
    "ANSWER_FEATURES",
    "CRITERION_FEATURES",
    "TrainedArtifact",
    "TrainedGrader",
    "load_artifact",
]
