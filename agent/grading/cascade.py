"""The cascade: the trained offline grader first, an LLM judge only for uncertain answers.

``--provider cascade --escalate-to anthropic:MODEL`` (any provider). The offline verdict is kept
when the trained grader is confident; the answer is escalated when

* its confidence (the probability of its overall level) is below the threshold chosen on the
  calibration split for a target agreement (recorded in the model artefact),
* it looks like an injection attempt, or
* it sits near the prompt-tourist boundary (overall 3, or 2 with a measured figure), where one
  level decides whether the answer counts as backed evidence;
* or the question has no golden examples (a take-home question), so there is no confidence.
"""

from __future__ import annotations

from .._models import EvidenceKind, Question, Verdict
from .base import Grader

_MEASURED = {EvidenceKind.BEFORE_AFTER, EvidenceKind.QUANTITY}


def escalation_reason(verdict: Verdict, threshold: float) -> str | None:
    """Why the cascade would escalate ``verdict``; None to keep it."""
    if verdict.empty:
        return None  # a non-answer is a non-answer at any price
    if verdict.injection:
        return "looks like an injection attempt"
    if verdict.confidence is None:
        return "no golden examples for this question"
    if verdict.confidence < threshold:
        return f"confidence {verdict.confidence:.2f} below {threshold:.2f}"
    measured = any(e.kind in _MEASURED for e in verdict.evidence)
    if verdict.score == 3 or (verdict.score == 2 and measured):
        return "near the prompt-tourist boundary"
    return None


class CascadeGrader(Grader):
    """Offline first; escalate uncertain answers to ``escalate``."""

    def __init__(self, offline: Grader, escalate: Grader, threshold: float) -> None:
        self.offline, self.escalate, self.threshold = offline, escalate, threshold
        self.info = offline.info.model_copy(
            update={"name": f"cascade({offline.info.name}->{escalate.info.name})"}
        )

    def fingerprint(self) -> str:
        from ..prompts import sha256_text

        parts = [self.offline.fingerprint(), self.escalate.fingerprint(), str(self.threshold)]
        return sha256_text("|".join(parts))

    async def grade(self, question: Question, answer: str) -> Verdict:
        first = await self.offline.grade(question, answer)
        reason = escalation_reason(first, self.threshold)
        if reason is None:
            return first
        second = await self.escalate.grade(question, answer)
        return second.model_copy(
            update={
                "escalated": True,
                "flags": [*second.flags, f"escalated by the cascade: {reason}"],
                "confidence": first.confidence,
                "level_probabilities": first.level_probabilities,
            }
        )

    async def phrase_probe(
        self, question: Question, probe: str, missing: list[str], answer: str
    ) -> str:
        return await self.escalate.phrase_probe(question, probe, missing, answer)
