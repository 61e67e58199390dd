"""Features of an answer for the trained offline grader, with their plain-word meanings.

Every feature is a number computed deterministically from the answer, the question's rubric and
(for similarity) the calibration-split golden answers of the same question. Names map to phrases
a hiring manager understands, used to explain what moved a verdict.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .._models import Criterion, EvidenceKind, Question
from .evidence import Extraction, extract, keyword_hits

_TOKEN = re.compile(r"[a-z][a-z0-9+#-]{1,}|\d+(?:[.,]\d+)*%?")
_STOP = frozenset(
    "the a an and or of to in on for with we i it is was were be been this that at by from as our "
    "my are have has had not but so if then than they them their there what which who how when "
    "you your me us can could would should will just also about into over more most some any all "
    "very really".split()
)

ANSWER_FEATURES = (
    "empty",
    "off_topic",
    "log_words",
    "before_after",
    "quantity",
    "quantity_ungrounded",
    "artefact",
    "method",
    "baseline",
    "ownership",
    "unsupported",
    "buzzwords",
    "measured",
    "sized_artefact",
    "keyword_coverage",
    "rule_score",
    "sim_1",
    "sim_2",
    "sim_3",
    "sim_4",
    "sim_5",
    "sim_level",
)
CRITERION_FEATURES = (*ANSWER_FEATURES, "crit_points", "crit_keywords", "crit_rule_score")

#: What each feature means, for explanations ("+" when it raised the score, "-" lowered it).
PHRASES = {
    "empty": "no answer given",
    "off_topic": "does not address the question",
    "log_words": "length of the answer",
    "before_after": "before/after figures",
    "quantity": "figures tied to a method or baseline",
    "quantity_ungrounded": "figures with no method or baseline",
    "artefact": "names artefacts they built",
    "method": "says how things were measured",
    "baseline": "compares against a baseline",
    "ownership": "first-person account of the work",
    "unsupported": "unsupported precision (99.9%, 10x, down 100%)",
    "buzzwords": "buzzwords",
    "measured": "at least one measured figure",
    "sized_artefact": "an artefact of stated size",
    "keyword_coverage": "covers the rubric's topics",
    "rule_score": "the evidence rules' score",
    "sim_1": "reads like answers people rated 1",
    "sim_2": "reads like answers people rated 2",
    "sim_3": "reads like answers people rated 3",
    "sim_4": "reads like answers people rated 4",
    "sim_5": "reads like answers people rated 5",
    "sim_level": "closest to golden answers at a high level",
    "crit_points": "evidence of the kinds this criterion asks for",
    "crit_keywords": "this criterion's topics",
    "crit_rule_score": "the evidence rules' score for this criterion",
}


def tokens(text: str) -> list[str]:
    """Content tokens of a text (lower case, no stop words)."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP]


Vector = dict[str, float]


def tfidf(text: str, idf: Mapping[str, float], top: int | None = None) -> Vector:
    """A unit-length TF-IDF vector; ``top`` keeps only the heaviest terms."""
    counts = Counter(t for t in tokens(text) if t in idf)
    weights = {t: (1 + math.log(c)) * idf[t] for t, c in counts.items()}
    if top is not None and len(weights) > top:
        weights = dict(sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top])
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {t: w / norm for t, w in weights.items()}


def cosine(a: Vector, b: Vector) -> float:
    """Cosine of two unit vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def build_idf(texts: Iterable[str]) -> dict[str, float]:
    """Smoothed inverse document frequency over ``texts``."""
    docs = [set(tokens(t)) for t in texts]
    df: Counter[str] = Counter(t for doc in docs for t in doc)
    n = len(docs)
    return {t: round(math.log((1 + n) / (1 + c)) + 1.0, 6) for t, c in sorted(df.items())}


@dataclass(frozen=True)
class Reference:
    """A calibration golden answer's vector and level, for similarity features."""

    key: str
    level: int
    vector: Vector


#: A reference this close is a copy of the answer (itself, or an injection twin): skipped, as in
#: training, where an answer is never compared with itself or its twin.
NEAR_DUPLICATE = 0.9


def similarity(vector: Vector, references: Sequence[Reference], exclude: set[str]) -> list[float]:
    """Max cosine to the references at each level 1-5, and the similarity-weighted level."""
    best = [0.0] * 5
    for ref in references:
        if ref.key in exclude:
            continue
        value = cosine(vector, ref.vector)
        if value >= NEAR_DUPLICATE:
            continue
        best[ref.level - 1] = max(best[ref.level - 1], value)
    total = sum(best)
    level = sum((i + 1) * s for i, s in enumerate(best)) / total if total else 0.0
    return [*best, level / 5]


def answer_features(
    question: Question,
    found: Extraction,
    rule_score: int,
    sims: Sequence[float],
) -> list[float]:
    """The answer-level feature vector (see :data:`ANSWER_FEATURES`)."""
    keywords = sorted({k for c in question.rubric for k in c.keywords})
    hits = set(keyword_hits(found.text, keywords))
    sized = bool(found.of(EvidenceKind.ARTEFACT)) and any(
        not q.quote.endswith(("%", "x")) for q in found.of(EvidenceKind.QUANTITY)
    )
    return [
        float(found.empty),
        float(len(hits) < 2),
        math.log1p(found.words) / math.log(300),
        min(len(found.of(EvidenceKind.BEFORE_AFTER)), 3) / 3,
        min(len(found.of(EvidenceKind.QUANTITY)), 5) / 5,
        min(len(found.ungrounded), 5) / 5,
        min(len(found.of(EvidenceKind.ARTEFACT)), 3) / 3,
        min(len(found.of(EvidenceKind.METHOD)), 5) / 5,
        min(len(found.of(EvidenceKind.BASELINE)), 3) / 3,
        min(len(found.of(EvidenceKind.OWNERSHIP)), 3) / 3,
        min(len(found.unsupported), 3) / 3,
        min(len(found.buzzwords), 5) / 5,
        float(found.measured),
        float(sized),
        len(hits) / max(len(keywords), 1),
        (rule_score - 1) / 4,
        *sims,
    ]


def criterion_features(
    base: Sequence[float],
    criterion: Criterion,
    found: Extraction,
    points: float,
    rule_score: int,
) -> list[float]:
    """The answer-level features plus the criterion's own (see :data:`CRITERION_FEATURES`)."""
    hits = keyword_hits(found.text, criterion.keywords)
    return [
        *base,
        min(points, 8.0) / 8,
        min(len(hits), 4) / 4,
        (rule_score - 1) / 4,
    ]


__all__ = [
    "ANSWER_FEATURES",
    "CRITERION_FEATURES",
    "PHRASES",
    "Reference",
    "answer_features",
    "build_idf",
    "criterion_features",
    "extract",
    "similarity",
    "tfidf",
]
