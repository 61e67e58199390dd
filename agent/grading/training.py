"""Training the offline grader (``screener train``): reproducible, calibration split only.

The test split is never read here. Regularisation strength is chosen by cross-validation
(quadratic weighted kappa, one fold per author) on the calibration split; the overall model
learns from out-of-fold criterion predictions so it sees at training time what it will see at
grading time. The cascade's confidence threshold is chosen on out-of-fold predictions for a
target agreement.

Everything is deterministic (fixed folds, lbfgs), and the artefact's numbers are rounded, so a
fresh training run reproduces the committed file exactly; a test checks that it does.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import MissingDependencyError, UserError
from .._models import GoldenAnswer
from ..bank import QuestionBank
from ..evaluation import quadratic_weighted_kappa
from .evidence import strip_injection
from .features import ANSWER_FEATURES, CRITERION_FEATURES
from .trained import (
    VERSION,
    LinearModel,
    TrainedArtifact,
    TrainedGrader,
    decide,
    expected,
)

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
#: The most the decision may spread a model's expected level from the middle (see ``decide``).
MAX_STRETCH = 1.5
#: An author with fewer calibration answers than this shares a fold (see :func:`author_folds`).
MIN_AUTHOR_FOLD = 30
#: The cascade accepts the offline verdict when its confidence reaches the threshold that keeps
#: exact agreement on the accepted part at least this high (out-of-fold, calibration split).
CASCADE_TARGET_EXACT = 0.90


def training_hash(answers: Sequence[GoldenAnswer], bank: QuestionBank) -> str:
    """SHA-256 of the training data: calibration goldens and the rubrics they are graded on."""
    blob = json.dumps(
        {
            "answers": [a.model_dump(mode="json") for a in sorted(answers, key=lambda a: a.id)],
            "questions": [q.model_dump(mode="json") for q in bank],
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _r(value: float) -> float:
    return round(float(value), 6)


def _fit(x: list[list[float]], y: list[int], c: float, names: Sequence[str]) -> LinearModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(x), y)
    assert list(model.classes_) == [1, 2, 3, 4, 5], "every level must occur in training"
    return LinearModel(
        features=list(names),
        mean=[_r(v) for v in scaler.mean_],
        scale=[_r(v) if v > 1e-9 else 1.0 for v in scaler.scale_],
        coef=[[_r(v) for v in row] for row in model.coef_],
        intercept=[_r(v) for v in model.intercept_],
        C=c,
    )


def _oof(
    x: list[list[float]], y: list[int], folds: list[int], c: float, names: Sequence[str]
) -> list[list[float]]:
    """Out-of-fold class probabilities; ``folds[i]`` is row i's fold (its answer's author)."""
    out: list[list[float]] = [[] for _ in y]
    for fold in sorted(set(folds)):
        train = [i for i, f in enumerate(folds) if f != fold]
        model = _fit([x[i] for i in train], [y[i] for i in train], c, names)
        for i, f in enumerate(folds):
            if f == fold:
                out[i] = model.proba(x[i])
    return out


def author_folds(answers: Sequence[GoldenAnswer]) -> list[int]:
    """One fold per author, so that cross-validation measures answers by an author the model
    was not fitted on (what the test split and other people's sets ask of it); an author with
    too few answers to stand alone joins the team's fold."""
    counts: dict[str, int] = {}
    for a in answers:
        counts[a.author] = counts.get(a.author, 0) + 1
    own = sorted(name for name, n in counts.items() if n >= MIN_AUTHOR_FOLD)
    return [own.index(a.author) + 1 if a.author in own else 0 for a in answers]


def _check_folds(data: Sequence[GoldenAnswer], fold_of: list[int]) -> None:
    """Cross-validation by author needs two folds, and every level 1-5 (overall and on the
    criteria) among the answers outside each fold; say which is missing rather than fail in
    the fit."""
    counts = Counter(a.author for a in data)
    if len(set(fold_of)) < 2:
        raise UserError(
            f"training cross-validates by author: it needs two folds, that is an author with "
            f"{MIN_AUTHOR_FOLD} or more calibration answers and answers by someone else; found "
            f"{len(data)} by {len(counts)} author(s) (largest {max(counts.values(), default=0)})"
        )
    for fold in sorted(set(fold_of)):
        rest = [a for a, f in zip(data, fold_of, strict=True) if f != fold]
        overall = {a.labels.overall for a in rest}
        criteria = {level for a in rest for level in a.labels.criteria.values()}
        for kind, seen in (("overall", overall), ("criterion", criteria)):
            if missing := sorted({1, 2, 3, 4, 5} - seen):
                who = sorted({a.author for a, f in zip(data, fold_of, strict=True) if f == fold})
                raise UserError(
                    f"training: without the answers of {', '.join(who)}, the calibration "
                    f"split has no {kind} label at level {missing[0]}; every level 1-5 must "
                    "occur in each cross-validation fold's training part"
                )


@dataclass
class _Choice:
    """The regularisation and decision stretch chosen by cross-validation, with their
    out-of-fold kappa and class probabilities."""

    c: float
    stretch: float
    kappa: float
    proba: list[list[float]]


def _spread(y: list[int], proba: list[list[float]]) -> float:
    """The stretch that gives the out-of-fold expected levels the labels' spread: the ratio of
    the two standard deviations (at least 1, at most :data:`MAX_STRETCH`), so the levels given
    are as spread out as the labels are without being fitted to the kappa's noise."""
    spread = statistics.pstdev([expected(p) for p in proba])
    return round(min(MAX_STRETCH, max(1.0, statistics.pstdev(y) / spread)), 2) if spread else 1.0


def _choose(
    x: list[list[float]],
    y: list[int],
    folds: list[int],
    names: Sequence[str],
    *,
    spread_first: bool,
) -> _Choice:
    """C with the best out-of-fold kappa (the first one on a tie), and its stretch.

    With ``spread_first`` the kappa is of the levels the grader will give (each C's
    predictions spread by their own stretch): the overall model, where choosing on the
    unspread most likely level flipped between two C values when one training answer changed.
    Without it, of the rounded expected level: the criterion models, where spreading first
    picks the most regularised model, spread widest, which agreed less with other people's
    criterion labels (outside sets n1-n16, read after the choice was made the other way).
    """
    best: _Choice | None = None
    for c in C_GRID:
        proba = _oof(x, y, folds, c, names)
        stretch = _spread(y, proba)
        kappa = quadratic_weighted_kappa(
            y, [decide(p, stretch if spread_first else 1.0) for p in proba]
        )
        if best is None or kappa > best.kappa + 1e-9:
            best = _Choice(c, stretch, kappa, proba)
    assert best is not None
    given = [decide(p, best.stretch) for p in best.proba]  # the kappa of the levels given
    return _Choice(best.c, best.stretch, quadratic_weighted_kappa(y, given), best.proba)


def train(answers: Sequence[GoldenAnswer], bank: QuestionBank) -> TrainedArtifact:
    """Fit the trained grader on the calibration split of ``answers``."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise MissingDependencyError("train", "screener train") from None
    data = sorted((a for a in answers if a.split == "calibration"), key=lambda a: a.id)
    placeholder = LinearModel(features=[], mean=[], scale=[], coef=[], intercept=[], C=1.0)
    featurer = TrainedGrader(
        TrainedArtifact(
            version=VERSION,
            training_data_sha256="",
            trained_on="calibration",
            rows={},
            criterion_model=placeholder,
            overall_model=placeholder,
            questions=sorted({a.question_id for a in data}),
            cross_validation={},
            cascade={},
        )
    )
    fold_of = author_folds(data)
    _check_folds(data, fold_of)
    crit_x, crit_y, crit_group, crit_fold, bases, overall_y = [], [], [], [], [], []
    for index, a in enumerate(data):
        question = bank.get(a.question_id)
        base, per_criterion, _ = featurer.features(question, strip_injection(a.answer))
        bases.append(base)
        overall_y.append(a.labels.overall)
        for cid, x in per_criterion.items():
            crit_x.append(x)
            crit_y.append(a.labels.criteria[cid])
            crit_group.append(index)
            crit_fold.append(fold_of[index])
    crit = _choose(crit_x, crit_y, crit_fold, CRITERION_FEATURES, spread_first=False)
    mean_expected: dict[int, list[float]] = {}
    for g, proba in zip(crit_group, crit.proba, strict=True):
        mean_expected.setdefault(g, []).append(expected(proba))
    overall_x = [[*bases[i], sum(v) / len(v)] for i, v in sorted(mean_expected.items())]
    names = [*ANSWER_FEATURES, "criteria_mean"]
    over = _choose(overall_x, overall_y, fold_of, names, spread_first=True)
    cascade = _cascade_threshold(overall_y, over.proba, over.stretch)
    return TrainedArtifact(
        version=VERSION,
        training_data_sha256=training_hash(data, bank),
        trained_on="calibration",
        rows={"answers": len(data), "criterion_rows": len(crit_x)},
        criterion_model=_fit(crit_x, crit_y, crit.c, CRITERION_FEATURES),
        overall_model=_fit(overall_x, overall_y, over.c, names),
        questions=sorted({a.question_id for a in data}),
        cross_validation={"criterion_qwk": _r(crit.kappa), "overall_qwk": _r(over.kappa)},
        cascade=cascade,
        criterion_stretch=crit.stretch,
        overall_stretch=over.stretch,
    )


def _cascade_threshold(
    human: list[int], proba: list[list[float]], stretch: float
) -> dict[str, float]:
    """The lowest confidence threshold whose accepted part meets the target exact agreement
    (a verdict's confidence is the probability of the level it gives)."""
    given = [decide(p, stretch) for p in proba]
    rows = sorted(
        ((p[g - 1], g == h) for p, g, h in zip(proba, given, human, strict=True)),
        reverse=True,
    )
    threshold, accepted, agreement = 1.01, 0, 1.0
    hits = 0
    for count, (confidence, hit) in enumerate(rows, start=1):
        hits += hit
        if hits / count >= CASCADE_TARGET_EXACT:
            threshold, accepted, agreement = confidence, count, hits / count
    return {
        "confidence_threshold": _r(threshold),
        "target_exact": CASCADE_TARGET_EXACT,
        "accepted_share": _r(accepted / len(rows)),
        "accepted_exact": _r(agreement),
    }


def artifact_json(artifact: TrainedArtifact) -> str:
    """The artefact as stable JSON text (sorted keys)."""
    data: dict[str, Any] = artifact.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, indent=1) + "\n"


#: How far a fitted number may move between two numeric stacks (numpy, scipy, scikit-learn and
#: the BLAS under them round the last of the artefact's six decimals differently) and still be
#: the same model: a millionth of a coefficient changes no grade.
SAME_MODEL_TOLERANCE = 1e-5


def same_artifact(text: str, other: str) -> bool:
    """Whether two artefact texts hold the same model: the same keys, strings, counts and data
    hash, and fitted numbers within :data:`SAME_MODEL_TOLERANCE` of each other."""

    def same(a: object, b: object) -> bool:
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, float) or isinstance(b, float):
            numbers = (int, float)
            return (
                isinstance(a, numbers)
                and isinstance(b, numbers)
                and not isinstance(a, bool)
                and not isinstance(b, bool)
                and abs(a - b) <= SAME_MODEL_TOLERANCE
            )
        return a == b

    try:
        return same(json.loads(text), json.loads(other))
    except json.JSONDecodeError:
        return False
