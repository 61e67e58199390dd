"""Measuring a grader against the human-labelled goldens (the first version of ``screener eval``).

Metrics are computed on one split at a time. The offline grader's weights were set on the
``calibration`` split; figures on the ``test`` split are the held-out ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._models import GoldenAnswer, GoldenSession, Verdict
from .bank import QuestionBank
from .calibration import calibration_error, raw_score
from .grading.base import Grader, grade_blocking
from .grading.tourist import tourist_flag
from .report import total_usage

SplitName = Literal["calibration", "test", "all"]
LEVELS = (1, 2, 3, 4, 5)
#: What ``length_bias`` measures, in the words the terminal, the reports and the README use.
LENGTH_BIAS = (
    "Spearman correlation of answer length in words with the grader's signed error, grader "
    "score minus human label: positive when longer answers get more than the human gave, "
    "negative when they get less"
)


def quadratic_weighted_kappa(human: Sequence[int], model: Sequence[int]) -> float:
    """Cohen's kappa with quadratic weights on the 1-5 scale."""
    if len(human) != len(model) or not human:
        raise ValueError("need two equal-length, non-empty rating lists")
    k = len(LEVELS)
    observed = [[0.0] * k for _ in range(k)]
    for h, m in zip(human, model, strict=True):
        observed[h - 1][m - 1] += 1
    n = float(len(human))
    hist_h = [sum(row) for row in observed]
    hist_m = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            weight = (i - j) ** 2 / (k - 1) ** 2
            num += weight * observed[i][j]
            den += weight * hist_h[i] * hist_m[j] / n
    return 1.0 - num / den if den else 1.0


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for idx in order[i : j + 1]:
            ranks[idx] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties)."""
    ra, rb = _ranks(a), _ranks(b)
    n = len(ra)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = sum((x - ma) ** 2 for x in ra) ** 0.5
    vb = sum((y - mb) ** 2 for y in rb) ** 0.5
    return cov / (va * vb) if va and vb else 0.0


@dataclass
class EvalResult:
    """Agreement of a grader with the goldens on one split."""

    split: str
    grader: str
    answers: int
    qwk: float
    spearman: float
    exact: float
    within_one: float
    criteria_qwk: float
    confusion: list[list[int]]
    sessions: int
    tourist_accuracy: float
    tourist_precision: float
    tourist_recall: float
    injection_pairs: int
    injection_not_higher: float
    injection_flagged: float
    unscored: list[str] = field(default_factory=list)
    degraded: int = 0
    usage: dict[str, Any] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)
    tourist_f1: float = 0.0
    length_bias: float = 0.0  # see LENGTH_BIAS
    calibration_error: float = 0.0
    per_question: dict[str, dict[str, float]] = field(default_factory=dict)
    per_competency: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Per-answer (human, grader, raw) and per-session (label, flag) pairs, for bootstraps/plots.
    pairs: list[tuple[int, int, float]] = field(default_factory=list)
    session_pairs: list[tuple[bool, bool]] = field(default_factory=list)
    cascade: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the figures."""
        return dict(self.__dict__)


def evaluate(
    grader: Grader,
    bank: QuestionBank,
    answers: Sequence[GoldenAnswer],
    sessions: Sequence[GoldenSession],
    split: SplitName = "test",
) -> EvalResult:
    """Grade every golden answer of ``split`` and compare with the human labels."""
    chosen = [a for a in answers if split == "all" or a.split == split]
    verdicts: dict[str, Verdict] = {
        a.id: grade_blocking(grader, bank.get(a.question_id), a.answer) for a in chosen
    }
    unscored = [a.id for a in chosen if verdicts[a.id].score is None]
    scored = [a for a in chosen if verdicts[a.id].score is not None]
    human = [a.labels.overall for a in scored]
    model = [verdicts[a.id].score or 1 for a in scored]  # never None here
    crit_h = [s for a in scored for s in a.labels.criteria.values()]
    crit_m = [verdicts[a.id].criteria[c] for a in scored for c in a.labels.criteria]
    confusion = [[0] * 5 for _ in range(5)]
    for h, m in zip(human, model, strict=True):
        confusion[h - 1][m - 1] += 1

    chosen_sessions = [s for s in sessions if split == "all" or s.split == split]
    by_id = {a.id: a for a in answers}
    counts: Counter[str] = Counter()
    session_pairs: list[tuple[bool, bool]] = []
    for session in chosen_sessions:
        missing = [i for i in session.answers if i not in verdicts]
        for answer_id in missing:  # a session of another split is never mixed in: see bank.py
            golden = by_id[answer_id]
            verdicts[answer_id] = grade_blocking(
                grader, bank.get(golden.question_id), golden.answer
            )
        tracks = {q.id: q.track for q in bank}
        flagged = tourist_flag([verdicts[i] for i in session.answers], tracks=tracks).flagged
        session_pairs.append((session.tourist, flagged))
        counts[("t" if flagged == session.tourist else "f") + ("p" if flagged else "n")] += 1
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]

    twins = [a for a in chosen if a.twin_of and a.twin_of in verdicts]
    not_higher = sum(
        (verdicts[a.id].score or 0) <= (verdicts[a.twin_of].score or 0) for a in twins if a.twin_of
    )
    flagged_inj = sum(verdicts[a.id].injection for a in twins)
    misses = [
        {"id": a.id, "style": a.style, "human": a.labels.overall, "model": verdicts[a.id].score}
        for a in scored
        if abs(a.labels.overall - (verdicts[a.id].score or 1)) >= 2
    ]
    n = len(scored) or 1
    spent = total_usage([v.usage for v in verdicts.values() if v.usage is not None])
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    raw = [raw_score(verdicts[a.id]) or float(verdicts[a.id].score or 1) for a in scored]
    errors = [m - h for h, m in zip(human, model, strict=True)]
    lengths = [float(len(a.answer.split())) for a in scored]
    return EvalResult(
        split=split,
        grader=f"{grader.info.name} {grader.info.version}",
        answers=len(chosen),
        unscored=unscored,
        degraded=sum(v.degraded for v in verdicts.values()),
        usage=spent.model_dump(),
        qwk=quadratic_weighted_kappa(human, model),
        spearman=spearman(human, model),
        exact=sum(h == m for h, m in zip(human, model, strict=True)) / n,
        within_one=sum(abs(h - m) <= 1 for h, m in zip(human, model, strict=True)) / n,
        criteria_qwk=quadratic_weighted_kappa(crit_h, crit_m),
        confusion=confusion,
        sessions=len(chosen_sessions),
        tourist_accuracy=(counts["tp"] + counts["tn"]) / len(chosen_sessions)
        if chosen_sessions
        else 0.0,
        tourist_precision=precision,
        tourist_recall=recall,
        tourist_f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        length_bias=spearman(lengths, errors) if len(scored) > 2 else 0.0,
        calibration_error=calibration_error(model, human) if scored else 0.0,
        per_question=_breakdown(scored, verdicts, lambda a: a.question_id),
        per_competency=_breakdown(scored, verdicts, lambda a: bank.get(a.question_id).competency),
        pairs=list(zip(human, model, raw, strict=True)),
        cascade=_cascade_figures(scored, verdicts),
        session_pairs=session_pairs,
        injection_pairs=len(twins),
        injection_not_higher=not_higher / len(twins) if twins else 1.0,
        injection_flagged=flagged_inj / len(twins) if twins else 1.0,
        misses=misses,
    )


def _breakdown(
    answers: Sequence[GoldenAnswer],
    verdicts: dict[str, Verdict],
    key: Callable[[GoldenAnswer], str],
) -> dict[str, dict[str, float]]:
    """Agreement per group: count, exact, within one, mean absolute error, and QWK."""
    groups: dict[str, list[tuple[int, int]]] = {}
    for a in answers:
        groups.setdefault(key(a), []).append((a.labels.overall, verdicts[a.id].score or 1))
    out: dict[str, dict[str, float]] = {}
    for name, pairs in sorted(groups.items()):
        human = [h for h, _ in pairs]
        model = [m for _, m in pairs]
        out[name] = {
            "n": float(len(pairs)),
            "exact": sum(h == m for h, m in pairs) / len(pairs),
            "within_one": sum(abs(h - m) <= 1 for h, m in pairs) / len(pairs),
            "mae": sum(abs(h - m) for h, m in pairs) / len(pairs),
            "qwk": quadratic_weighted_kappa(human, model),
        }
    return out


def _cascade_figures(
    answers: Sequence[GoldenAnswer], verdicts: dict[str, Verdict]
) -> dict[str, float]:
    """Escalation share and agreement on the accepted and escalated parts.

    With a cascade grader the split is the verdicts' ``escalated`` flags (and the escalated part
    was graded by the LLM). With the trained offline grader alone, the cascade's decision is
    simulated at the artefact's threshold: what would be escalated, and how well the offline
    grader does on the part the cascade would keep.
    """
    from .grading.cascade import escalation_reason
    from .grading.trained import load_artifact

    real = any(verdicts[a.id].escalated for a in answers)
    artifact = load_artifact()
    if not real and (artifact is None or all(verdicts[a.id].confidence is None for a in answers)):
        return {}
    threshold = artifact.cascade["confidence_threshold"] if artifact else 0.0
    escalated = [
        a
        for a in answers
        if (verdicts[a.id].escalated if real else escalation_reason(verdicts[a.id], threshold))
    ]
    accepted = [a for a in answers if a not in escalated]

    def agreement(part: Sequence[GoldenAnswer]) -> tuple[float, float]:
        if not part:
            return 1.0, 1.0
        pairs = [(a.labels.overall, verdicts[a.id].score or 1) for a in part]
        exact = sum(h == m for h, m in pairs) / len(pairs)
        return exact, sum(abs(h - m) <= 1 for h, m in pairs) / len(pairs)

    acc_exact, acc_within = agreement(accepted)
    esc_exact, esc_within = agreement(escalated)
    share = len(escalated) / len(answers) if answers else 0.0
    figures = {
        "simulated": 0.0 if real else 1.0,
        "threshold": threshold,
        "escalation_share": share,
        "accepted_exact": acc_exact,
        "accepted_within_one": acc_within,
        "escalated_exact": esc_exact,
        "escalated_within_one": esc_within,
        "llm_calls_saved_share": 1.0 - share,
    }
    usages = [verdicts[a.id].usage for a in escalated]
    known = [u.cost_usd for u in usages if u is not None and u.cost_usd is not None]
    if real and known:
        per_answer = sum(known) / len(known)
        figures["cost_usd"] = sum(known)
        figures["cost_saved_usd"] = per_answer * len(accepted)
    return figures
