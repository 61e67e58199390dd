"""Calibrating a grader against human labels: a monotone map from raw to human scores.

``screener calibrate`` grades the ``calibration`` split, fits isotonic regression (scikit-learn,
the ``train`` extra) from the grader's raw score (mean of its criterion scores) to the human
overall label, and stores the map keyed by the grader's fingerprint (provider, model, grader
version, prompt hashes, samples) under ``evals/calibration/`` in a checkout, or the user's data
directory when installed (:func:`agent._resources.calibration_dir`). Applying a map needs no
extra: it is a piecewise-linear interpolation through the stored points.

:func:`calibrated` wraps a grader with its map when one matches; every verdict then says whether
it was calibrated and keeps the raw score. A judge without a map gets a warning.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ._errors import MissingDependencyError
from ._models import Question, Verdict
from ._resources import calibration_dir
from .grading.base import Grader

log = logging.getLogger("screener")


class CalibrationMap(BaseModel):
    """A fitted monotone map from raw grader score to human label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grader: str
    fingerprint: str
    x: list[float]
    y: list[float]
    fitted_on: str = "calibration"
    items: int
    before: dict[str, float]
    after: dict[str, float]

    def apply(self, raw: float) -> float:
        """The calibrated score of ``raw`` (clipped to the fitted range)."""
        if raw <= self.x[0]:
            return self.y[0]
        if raw >= self.x[-1]:
            return self.y[-1]
        i = bisect.bisect_right(self.x, raw)
        x0, x1, y0, y1 = self.x[i - 1], self.x[i], self.y[i - 1], self.y[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (raw - x0) / (x1 - x0)

    def level(self, raw: float) -> int:
        """The calibrated score of ``raw`` as a level of the 1-5 scale."""
        return max(1, min(5, int(self.apply(raw) + 0.5)))


def raw_score(verdict: Verdict) -> float | None:
    """The grader's uncalibrated score: the mean of its criterion scores."""
    if verdict.raw_score is not None:
        return verdict.raw_score
    if not verdict.criteria:
        return None
    return sum(verdict.criteria.values()) / len(verdict.criteria)


def fit(raw: Sequence[float], human: Sequence[int]) -> tuple[list[float], list[float]]:
    """Isotonic regression of human labels on raw scores; the map's breakpoints."""
    try:
        from sklearn.isotonic import IsotonicRegression
    except ImportError:
        raise MissingDependencyError("train", "screener calibrate") from None
    model = IsotonicRegression(y_min=1.0, y_max=5.0, out_of_bounds="clip", increasing=True)
    model.fit(list(raw), list(human))
    return [float(v) for v in model.X_thresholds_], [float(v) for v in model.y_thresholds_]


def calibration_error(predicted: Sequence[float], human: Sequence[int]) -> float:
    """Expected calibration error on the 1-5 scale.

    Answers are binned by their rounded predicted score; the error is the count-weighted mean of
    |mean human label in the bin - bin's score|. Zero means that, whenever the grader says k, the
    humans said k on average.
    """
    bins: dict[int, list[int]] = defaultdict(list)
    for p, h in zip(predicted, human, strict=True):
        bins[int(p + 0.5)].append(h)
    total = len(predicted)
    return sum(len(hs) * abs(sum(hs) / len(hs) - level) for level, hs in bins.items()) / total


def map_path(grader: Grader, directory: Path | None = None) -> Path:
    """The file of ``grader``'s calibration map."""
    name = "".join(ch if ch.isalnum() else "-" for ch in grader.info.name).strip("-")
    return (directory or calibration_dir()) / f"{name}-{grader.fingerprint()[:12]}.json"


def load_map(grader: Grader, directory: Path | None = None) -> CalibrationMap | None:
    """The stored map for ``grader``'s exact configuration, if there is one."""
    path = map_path(grader, directory)
    if not path.is_file():
        return None
    stored = CalibrationMap.model_validate(json.loads(path.read_text(encoding="utf-8")))
    return stored if stored.fingerprint == grader.fingerprint() else None


def save_map(calibration: CalibrationMap, grader: Grader, directory: Path | None = None) -> Path:
    """Write ``calibration`` where :func:`load_map` finds it."""
    path = map_path(grader, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


class CalibratedGrader(Grader):
    """A grader whose overall score goes through a calibration map."""

    def __init__(self, inner: Grader, calibration: CalibrationMap) -> None:
        self.inner, self.calibration = inner, calibration
        self.info = inner.info

    def fingerprint(self) -> str:
        return self.inner.fingerprint()

    async def grade(self, question: Question, answer: str) -> Verdict:
        verdict = await self.inner.grade(question, answer)
        raw = raw_score(verdict)
        if raw is None or verdict.empty or verdict.degraded:
            return verdict  # unscored, a non-answer, or graded by a fallback: the map is not its
        score = self.calibration.level(raw)
        return verdict.model_copy(update={"score": score, "raw_score": raw, "calibrated": True})

    async def phrase_probe(
        self, question: Question, probe: str, missing: list[str], answer: str
    ) -> str:
        return await self.inner.phrase_probe(question, probe, missing, answer)


def calibrated(grader: Grader, directory: Path | None = None, *, warn: bool = True) -> Grader:
    """``grader`` with its matching calibration applied; a warning when an LLM judge has none."""
    stored = load_map(grader, directory)
    if stored is not None:
        return CalibratedGrader(grader, stored)
    if warn and grader.info.name != "offline":
        log.warning(
            "no calibration for %s (%s); run `screener calibrate --provider %s`",
            grader.info.name,
            grader.fingerprint()[:12],
            grader.info.name,
        )
    return grader
