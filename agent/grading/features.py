"""Features of an answer for the trained offline grader.

Every feature is a number computed deterministically from the answer, its claims and the
question's rubric, and none depends on how the goldens are worded: features that compared an
answer with the goldens' phrasing learned their authors' style and did not carry over.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from .._models import Criterion, EvidenceKind, Question, Verdict
from .evidence import Extraction

ANSWER_FEATURES = (
    "empty",
    "rule_score",
    "rule_criteria_mean",
    "rule_criteria_min",
    "rule_criteria_max",
    "grounded_claims",
    "grounded_pairs",
    "figures",
    "noise",
    "incoherent",
    "first_person",
    "team_only",
    "keyword_coverage",
    "method",
    "unsupported",
    "buzzwords_without_evidence",
    "no_work_described",
    "grounded_per_100_words",
    "stands_in",
)
CRITERION_FEATURES = (*ANSWER_FEATURES, "crit_points", "crit_keywords", "crit_rule_score")


def answer_features(question: Question, found: Extraction, rules: Verdict) -> list[float]:
    """The answer-level feature vector (see :data:`ANSWER_FEATURES`)."""
    keywords = question.vocabulary
    hits = found.hits(found.evidence_text, keywords)
    criteria = list(rules.criteria.values()) or [1]
    claims = found.claims
    return [
        float(found.empty),
        (rules.score or 1) - 1,
        sum(criteria) / len(criteria) - 1,
        min(criteria) - 1,
        max(criteria) - 1,
        min(len(claims.grounded), 6),
        min(len(claims.grounded_pairs), 3),
        math.log1p(claims.figures),
        float(claims.noise),
        float(claims.incoherent),
        min(claims.owned_actions, 4),
        float(claims.team > 0 and claims.first_person == 0),
        len(hits) / max(len(keywords), 1),
        min(len(found.of(EvidenceKind.METHOD)), 5),
        float(bool(found.unsupported)),
        0.0
        if claims.grounded
        else min(len(found.buzzwords), 5),  # fluency is no evidence, nor a fault
        float(not claims.grounded and not _WORK_DONE.search(found.text)),
        # a terse answer dense with measured claims is not a thin one; only sentences with
        # evidence count, so fluent filler around an answer cannot make it less terse
        min(len(claims.grounded) * 100 / max(len(found.evidence_text.split()), 1), 4.0),
        float(bool(_STANDS_IN.search(found.text))),
    ]


#: Someone doing something in the past: "I traced", "we shipped", "my team built", "ran it".
#: An answer without any, and without a grounded figure, describes no work (a definition, a
#: view, a plan): LABELLING section 4 holds it at 1-2.
_WORK_DONE = re.compile(
    r"\b(?:I|we|my team|our team|the team)\s+(?:\w+\s+){0,2}?(?:"
    # liking, learning or believing something is not doing it
    r"(?!(?:enjoy|learn|believ|lov|lik|hop|want|wish|appreciat|realis|realiz|pleas|excit|"
    r"interest|inspir|motivat|fascinat|amaz|surpris|focus|tri|stay|aim|striv)ed\b)\w+ed|"
    r"built|wrote|ran|found|made|took|set up|cut|put|shipped|led|did|saw|kept|got|had|caught|"
    r"brought|chose|fed|gave|held|let|lost|met|paid|read|sent|spent|split|swapped|threw|won|"
    r"dropped|"
    # the same told in the present, as writers of English as a second language often do
    r"build|write|run|find|make|take|test|measure|add|fix|change|check|train|deploy|ship|"
    r"label|compare|trace|replay|sample|collect|remove|replace|rebuild|retrain|debug)\b",
    re.I,
)


#: The candidate says what follows stands in for the experience asked about ("I haven't built an
#: agent; the closest thing is our nightly scoring job"): LABELLING section 4 scores a story about
#: something else at 1-2, or higher only where the story still answers the rubric.
_STANDS_IN = re.compile(
    r"\b(?:closest|nearest)\b(?![- ]neighbou?r)(?:\s+(?:thing|equivalent|example|experience|"
    r"analogue|one|case|i|we|i've|i'd|we've|is|was|i have|i got|i own|i can think of)\b|\s*:)",
    re.I,
)


def criterion_features(
    base: Sequence[float],
    criterion: Criterion,
    found: Extraction,
    points: float,
    rule_score: int,
    vocabulary: tuple[str, ...],
) -> list[float]:
    """The answer-level features plus the criterion's own (see :data:`CRITERION_FEATURES`)."""
    hits = found.hits(found.evidence_text, vocabulary)
    return [
        *base,
        min(points, 8.0) / 8,
        min(sum(k in hits for k in criterion.keywords), 4) / 4,
        (rule_score - 1) / 4,
    ]


__all__ = [
    "ANSWER_FEATURES",
    "CRITERION_FEATURES",
    "answer_features",
    "criterion_features",
]
