"""The prompt-tourist flag: can the candidate back their answers with concrete evidence?

A candidate is flagged when, after the follow-up probes, fewer than
``min(2, ceil(n / 2))`` of their ``n`` answers are *backed*: scored at least 3 with a figure tied
to a method or a baseline, or an artefact of stated size. The reasons name what was missing and
quote what stood in its place (unsupported precision, buzzwords, non-answers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .._models import EvidenceKind, TouristFlag, Verdict

_MEASURED = {EvidenceKind.BEFORE_AFTER, EvidenceKind.QUANTITY}


def is_backed(verdict: Verdict) -> bool:
    """True when an answer scored 3+ and quotes at least one measured figure."""
    if verdict.score is None or verdict.score < 3:
        return False
    return any(e.kind in _MEASURED for e in verdict.evidence)


def tourist_flag(verdicts: Sequence[Verdict], planned: int | None = None) -> TouristFlag:
    """Decide the flag for a whole session and say why.

    ``planned`` is the number of questions the session meant to ask; questions left unanswered
    when a session ends early count as not backed.
    """
    n = max(len(verdicts), planned or 0)
    if not verdicts:
        return TouristFlag(flagged=False, reasons=["no questions were answered; nothing to assess"])
    backed = [v for v in verdicts if is_backed(v)]
    needed = min(2, math.ceil(n / 2))
    flagged = len(backed) < needed
    reasons: list[str] = []
    quotes: list[str] = []
    empty = [v for v in verdicts if v.empty]
    unbacked = [v for v in verdicts if not is_backed(v) and not v.empty]
    if flagged:
        reasons.append(
            f"{len(backed)} of {n} answers backed by a figure tied to a method or baseline "
            f"(at least {needed} expected)"
        )
    else:
        reasons.append(f"{len(backed)} of {n} answers backed by measured evidence")
        quotes.extend(v.evidence[0].quote for v in backed[:2] if v.evidence)
    if n > len(verdicts):
        reasons.append(f"the session ended with {n - len(verdicts)} question(s) not reached")
    if empty:
        ids = ", ".join(v.question_id for v in empty)
        reasons.append(f"no answer to {len(empty)} question(s): {ids}")
    for verdict in unbacked:
        for flag in verdict.flags:
            if flag.startswith(("unsupported precision", "buzzwords")):
                reasons.append(f"{verdict.question_id}: {flag}")
    if flagged:
        for verdict in unbacked:
            quotes.extend(e.quote for e in verdict.evidence[:1])
    return TouristFlag(flagged=flagged, reasons=reasons, quotes=quotes[:6])
