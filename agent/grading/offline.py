"""The rules grader (``offline-rules``): deterministic, no network, no key; the trained default
grader's first layer.

Each rubric criterion is scored from the evidence :mod:`agent.grading.evidence` finds, counting
only the kinds of evidence the criterion asks for (its ``evidence`` list) and its domain keywords.
Evidence in a sentence that also names one of the criterion's keywords counts in full; evidence
elsewhere in the answer counts half. Points map to levels 1-5 through fixed thresholds.

Then the rules every labeller follows (golden/LABELLING.md):

* an answer with no claim tied to what it was measured on or how (:mod:`agent.grading.claims`),
  or whose figures cannot be true, scores at most 2 overall, however fluent it is;
* fabricated precision ("99.9% accuracy", "down 100%", "10x better" with no method and baseline)
  earns nothing and is flagged;
* an answer that touches fewer than two of the rubric's terms, and has no grounded before/after
  pair, is off-topic and scores at most 2;
* an empty or "I don't know" answer scores 1 everywhere;
* text addressed to the grader is removed before grading, and the verdict is never higher than
  the verdict on the unmodified text, so an injection attempt cannot raise a score.

The weights were set by hand and the thresholds and keyword weight chosen by the small grid in
``evals/tune_offline.py``, on the ``calibration`` split of the goldens only.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .._models import Evidence, EvidenceKind, GraderInfo, Question, Verdict
from .base import Grader
from .evidence import Extraction, extract, injection_sentences, strip_injection
from .normalise import plain_text
from .tourist import about_other_system

VERSION = "offline-1.7"


@functools.cache
def rules_source_hash() -> str:
    """SHA-256 of the offline graders' code and trained model (every file of this package).

    Part of their fingerprints, so a verdict cached, resumed or calibrated under one version of
    the rules is never reused by another, whether or not anybody bumped :data:`VERSION`."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.iterdir()):
        if path.suffix in (".py", ".json"):
            digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class OfflineWeights:
    """Points per evidence kind (up to ``cap`` items each), per keyword, and level thresholds."""

    kind: dict[EvidenceKind, float] = field(
        default_factory=lambda: {
            EvidenceKind.ARTEFACT: 1.0,
            EvidenceKind.QUANTITY: 1.0,
            EvidenceKind.BEFORE_AFTER: 1.5,
            EvidenceKind.METHOD: 0.75,
            EvidenceKind.BASELINE: 1.0,
            EvidenceKind.OWNERSHIP: 0.75,
        }
    )
    cap: float = 2.0
    keyword: float = 0.75
    keyword_cap: int = 4
    thresholds: tuple[float, float, float, float] = (1.0, 2.0, 3.0, 4.0)
    unmeasured_cap: int = 2
    offtopic_cap: int = 2


def lowest_reading(grade: Callable[[str, list[str]], Verdict], answer: str) -> Verdict:
    """``grade(text, injected)`` of the answer made plain; with an injection, the lowest of three
    readings (the payload's blocks removed, only its sentences removed, the raw text), so an
    injection cannot buy a point either way. The verdict is the first reading's, lowered."""
    answer = plain_text(answer)
    injected = injection_sentences(answer)
    if not injected:
        return grade(answer, [])
    readings = [
        grade(strip_injection(answer), injected),
        grade(strip_injection(answer, blocks=False), injected),
        grade(answer, injected),
    ]
    clean = readings[0]
    criteria = {c: min(r.criteria[c] for r in readings) for c in clean.criteria}
    score = min(r.score for r in readings if r.score is not None)
    return clean.model_copy(update={"criteria": criteria, "score": score})


class OfflineGrader(Grader):
    """Rubric grading from extracted evidence; explainable and deterministic."""

    def __init__(self, weights: OfflineWeights | None = None) -> None:
        self.weights = weights or OfflineWeights()
        self.info = GraderInfo(name="offline", version=VERSION)

    def fingerprint(self) -> str:
        return hashlib.sha256(
            "\x00".join(
                (self.info.name, self.info.version, repr(self.weights), rules_source_hash())
            ).encode()
        ).hexdigest()

    async def grade(self, question: Question, answer: str) -> Verdict:
        return self.grade_now(question, answer)

    def grade_now(self, question: Question, answer: str) -> Verdict:
        """Grade synchronously (the offline grader never waits on anything)."""
        return lowest_reading(
            lambda text, injected: self.grade_clean(question, text, injected), answer
        )

    def grade_clean(self, question: Question, text: str, injected: list[str]) -> Verdict:
        """Grade text that has had its injected sentences removed."""
        return self.grade_found(question, extract(text), injected)

    def grade_found(self, question: Question, found: Extraction, injected: list[str]) -> Verdict:
        """Grade from an extraction already made (callers that need both reuse it)."""
        flags = _flags(found, injected)
        if found.empty:
            return Verdict(
                question_id=question.id,
                score=1,
                criteria={c.id: 1 for c in question.rubric},
                missing=[c.id for c in question.rubric],
                injection=bool(injected),
                injection_quotes=injected,
                flags=flags,
                explanation=["no answer given"],
                empty=True,
                grader=self.info,
                rubric_hash=question.rubric_hash,
            )
        vocabulary = question.vocabulary
        criteria = {
            c.id: self._criterion(found, c.keywords, c.evidence, vocabulary)
            for c in question.rubric
        }
        incoherent = found.claims.problems
        backed = found.measured or found.inspected is not None
        topic_flags = []
        if about_other_system(question, found.text):
            topic_flags = [_OTHER_SYSTEM]
        elif len(found.hits(found.text, vocabulary)) < 2 and not (
            found.claims.grounded_pairs or found.of(EvidenceKind.BEFORE_AFTER)
        ):  # a before/after of one's own work answers in plain words ("22/25 to 18/25")
            topic_flags = ["off-topic: the answer does not address the question"]
        on_topic = not topic_flags
        if not on_topic:
            criteria = {c: min(s, self.weights.offtopic_cap) for c, s in criteria.items()}
        overall = _round_half_up(sum(criteria.values()) / len(criteria))
        if not backed:
            overall = min(overall, self.weights.unmeasured_cap)
        if not on_topic:
            overall = min(overall, self.weights.offtopic_cap)
        return Verdict(
            question_id=question.id,
            score=overall,
            criteria=criteria,
            evidence=_evidence(found),
            missing=[c for c, s in criteria.items() if s <= 2],
            injection=bool(injected),
            injection_quotes=injected,
            flags=flags
            + topic_flags
            + [f"figures that cannot be true: {p}" for p in incoherent[:3]],
            explanation=_explain(found, backed),
            claims=[c.sentence for c in found.claims.grounded] if backed else [],
            unbacked_figures=len(found.ungrounded),
            grader=self.info,
            rubric_hash=question.rubric_hash,
        )

    def _criterion(
        self,
        found: Extraction,
        keywords: list[str],
        kinds: list[EvidenceKind],
        vocabulary: tuple[str, ...],
    ) -> int:
        points = self.criterion_points(found, keywords, kinds, vocabulary)
        return 1 + sum(points >= t for t in self.weights.thresholds)

    def criterion_points(
        self,
        found: Extraction,
        keywords: list[str],
        kinds: list[EvidenceKind],
        vocabulary: tuple[str, ...] | None = None,
    ) -> float:
        """Evidence points for one criterion: its kinds of evidence and its keywords (looked up
        among ``vocabulary``, the whole rubric's keywords, so that criteria share the work)."""
        w = self.weights
        vocabulary = vocabulary or tuple(keywords)
        points = 0.0
        for kind in kinds:
            count = 0.0
            for item in found.of(kind):
                hits = found.hits(item.sentence, vocabulary)
                count += 1.0 if any(k in hits for k in keywords) else 0.5
            points += w.kind[kind] * min(count, w.cap)
        hits = found.hits(found.evidence_text, vocabulary)
        points += w.keyword * min(sum(k in hits for k in keywords), w.keyword_cap)
        return points


def _round_half_up(value: float) -> int:
    return int(value + 0.5)


_KIND_ORDER = [
    EvidenceKind.BEFORE_AFTER,
    EvidenceKind.QUANTITY,
    EvidenceKind.ARTEFACT,
    EvidenceKind.METHOD,
    EvidenceKind.BASELINE,
    EvidenceKind.OWNERSHIP,
]


def _evidence(found: Extraction, limit: int = 8) -> list[Evidence]:
    """The strongest evidence, one entry per sentence, quoted verbatim."""
    out: list[Evidence] = []
    seen: set[str] = set()
    for kind in _KIND_ORDER:
        for item in found.of(kind):
            if item.sentence in seen:
                continue
            seen.add(item.sentence)
            out.append(Evidence(kind=kind, quote=item.sentence, note=_NOTES[kind](item.quote)))
    return out[:limit]


_NOTES: dict[EvidenceKind, Callable[[str], str]] = {
    EvidenceKind.BEFORE_AFTER: lambda q: f"before/after figures: {q}",
    EvidenceKind.QUANTITY: lambda q: f"a measured figure: {q}",
    EvidenceKind.ARTEFACT: lambda q: f"names an artefact they built: {q}",
    EvidenceKind.METHOD: lambda q: f"says how it was measured: {q}",
    EvidenceKind.BASELINE: lambda q: "compares against a baseline",
    EvidenceKind.OWNERSHIP: lambda q: f"first-person account: {q!r}",
}


_OTHER_SYSTEM = (
    "off-topic: measured classical-ML work, not an LLM system; fits the ML-engineer track better"
)


def _flags(found: Extraction, injected: list[str]) -> list[str]:
    flags = []
    if injected:
        flags.append("prompt injection: text addressed to the grader was ignored")
    if found.unsupported:
        flags.append("unsupported precision: " + "; ".join(repr(s) for s in found.unsupported[:3]))
    if len(found.buzzwords) >= 3 and not found.measured:
        flags.append("buzzwords without evidence: " + ", ".join(sorted(set(found.buzzwords))[:6]))
    return flags


def _explain(found: Extraction, backed: bool) -> list[str]:
    lines = []
    pairs = found.of(EvidenceKind.BEFORE_AFTER)
    if pairs:
        lines.append("before/after figures: " + "; ".join(p.quote for p in pairs[:3]))
    artefacts = {a.quote.lower() for a in found.of(EvidenceKind.ARTEFACT)}
    if artefacts:
        lines.append("names artefacts: " + ", ".join(sorted(artefacts)[:4]))
    methods = {m.quote.lower() for m in found.of(EvidenceKind.METHOD)}
    if methods:
        lines.append("methods: " + ", ".join(sorted(methods)[:5]))
    if found.of(EvidenceKind.OWNERSHIP):
        lines.append("first-person ownership of the work")
    if found.ungrounded:
        lines.append(
            f"{len(found.ungrounded)} figure(s) with no method or baseline: "
            + ", ".join(found.ungrounded[:4])
        )
    for problem in found.claims.problems[:3]:
        lines.append(f"a figure that cannot be true: {problem}")
    if not backed:
        lines.append(
            "no figure is tied to what it was measured on or how, or the figures do not hang "
            "together: held at 2 at most"
        )
    elif not found.measured and found.inspected:
        lines.append(
            f"no measured figure, but a diagnosis made by looking into the system: "
            f"{found.inspected!r}"
        )
    return lines
