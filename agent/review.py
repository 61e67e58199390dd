"""The hiring manager decides: reviews of the grader's scores, decisions, the audit log, and the
reviewed answers as a labelled set the grader can be measured and calibrated on.

A **review** records a person's score beside the grader's, never over it: the report keeps the
grader's verdict, and the review shows next to it, with who gave it, when and why. A person may
accept a score (the same value, no reason needed) or change it (a reason is required), for an
answer's overall, for one of its criteria, or for the session's tourist flag. The latest review
of an item is the current one; earlier ones stay in the history.

A **decision** is advance, hold or reject for a session, with notes; the recommendation stays
beside it. The latest decision is the current one.

The **audit log** is append-only: every grading (logged once per session, from its report),
review and decision, with who, when, the value before and after, the reason, and the grader's
name, version, prompt and rubric hashes. Deleting a session erases its reviews, decisions and the
free text of its log lines (a reason may name the candidate); ids, scores and hashes stay.

Every reviewed answer can be written as a labelled set (:func:`export_labels`) in the format
``screener eval FOLDER`` and ``screener calibrate FOLDER`` read (:mod:`agent.labelled`): the
answers as graded, the people's overall scores, criteria and tourist calls where they gave them.
Everything here goes through :class:`agent.web.store.AppStore`, so it works on SQLite and on
PostgreSQL alike.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ._errors import UserError
from ._escape import csv_cell
from ._models import Report, Verdict

if TYPE_CHECKING:
    from .interview import Interview
    from .web.store import AppStore

DECISIONS = ("advance", "hold", "reject")
#: The item a review of an answer's overall score names (a criterion review names its id).
OVERALL = "overall"
#: The item of a review of the session's tourist flag (its question id is empty).
TOURIST = "tourist"


@dataclass(frozen=True)
class ReviewEntry:
    """A person's score for one item, beside the grader's (1 / 0 for the tourist flag)."""

    session_id: str
    question_id: str
    item: str
    grader: int | None
    human: int
    reason: str
    reviewer: str
    at: str

    @property
    def changed(self) -> bool:
        return self.grader != self.human


@dataclass(frozen=True)
class DecisionEntry:
    session_id: str
    decision: str
    notes: str
    reviewer: str
    at: str


@dataclass
class SessionReview:
    """What people have said about one session: the current review of each item, the current
    decision, and the whole history (oldest first)."""

    session_id: str
    current: dict[tuple[str, str], ReviewEntry] = field(default_factory=dict)
    decision: DecisionEntry | None = None
    history: list[ReviewEntry] = field(default_factory=list)
    decisions: list[DecisionEntry] = field(default_factory=list)

    def score(self, question_id: str, item: str = OVERALL) -> ReviewEntry | None:
        return self.current.get((question_id, item))

    @property
    def empty(self) -> bool:
        """Nobody has reviewed or decided anything yet."""
        return not self.history and not self.decisions

    @property
    def tourist(self) -> ReviewEntry | None:
        return self.current.get(("", TOURIST))

    @property
    def reviewed_questions(self) -> list[str]:
        """Questions whose overall score a person has given (accepted or changed)."""
        return [q for q, item in self.current if item == OVERALL]


def session_review(store: AppStore, session_id: str) -> SessionReview:
    """Everything people have said about ``session_id``."""
    out = SessionReview(session_id)
    for row in store.review_rows(session_id):
        entry = _review_entry(row)
        out.history.append(entry)
        out.current[(entry.question_id, entry.item)] = entry
    out.decisions = [DecisionEntry(*map(str, row)) for row in store.decision_rows(session_id)]
    out.decision = out.decisions[-1] if out.decisions else None
    return out


def _review_entry(row: Sequence[object]) -> ReviewEntry:
    session_id, question_id, item, grader, human, reason, reviewer, at = row
    return ReviewEntry(
        str(session_id),
        str(question_id),
        str(item),
        None if grader is None else int(str(grader)),
        int(str(human)),
        str(reason),
        str(reviewer),
        str(at),
    )


# --- recording ---------------------------------------------------------------------------------


def review_answer(
    store: AppStore,
    report: Report,
    question_id: str,
    *,
    overall: int | None = None,
    criteria: dict[str, int] | None = None,
    reason: str = "",
    reviewer: str,
    at: str | None = None,
) -> list[ReviewEntry]:
    """Record a person's overall and/or criterion scores for one answer of ``report``.

    Raises :class:`UserError` (one line) for an unknown question or criterion, a score outside
    1-5, a change without a reason, or nothing to record; nothing is stored then."""
    from .web.store import utc_now

    verdict = _verdict(report, question_id)
    wanted: list[tuple[str, int | None, int]] = []
    if overall is not None:
        wanted.append((OVERALL, verdict.score, _level(overall, f"{question_id} overall")))
    for criterion, value in (criteria or {}).items():
        if criterion not in verdict.criteria:
            known = ", ".join(verdict.criteria) or "none"
            raise UserError(
                f"question {question_id} has no criterion {criterion!r} (its criteria: {known})"
            )
        wanted.append((criterion, verdict.criteria[criterion], _level(value, criterion)))
    if not wanted:
        raise UserError("nothing to review: give an overall score and/or criterion scores")
    return _record(store, report, question_id, verdict, wanted, reason, reviewer, at or utc_now())


def review_tourist(
    store: AppStore,
    report: Report,
    tourist: bool,
    *,
    reason: str = "",
    reviewer: str,
    at: str | None = None,
) -> ReviewEntry:
    """Record a person's call on the session's tourist flag (accepted or changed)."""
    from .web.store import utc_now

    if not report.tourist.applicable:
        raise UserError(
            f"session {report.session_id} has no tourist flag to review: "
            + (report.tourist.reasons[0] if report.tourist.reasons else "it was not judged")
        )
    grader = int(report.tourist.flagged)
    wanted = [(TOURIST, grader, int(tourist))]
    return _record(store, report, "", None, wanted, reason, reviewer, at or utc_now())[0]


def review_session(
    store: AppStore,
    report: Report,
    *,
    question_id: str | None = None,
    overall: int | None = None,
    criteria: dict[str, int] | None = None,
    tourist: bool | None = None,
    reason: str = "",
    reviewer: str,
) -> list[ReviewEntry]:
    """One review as a person gives it (terminal, page or API): scores for an answer and/or a
    call on the tourist flag, with one reason."""
    if question_id is None and (overall is not None or criteria):
        raise UserError("say which answer the scores are for (the question)")
    if question_id is None and tourist is None:
        raise UserError("nothing to review: give a question with scores, or a tourist call")
    entries = []
    if question_id is not None:
        entries += review_answer(
            store,
            report,
            question_id,
            overall=overall,
            criteria=criteria,
            reason=reason,
            reviewer=reviewer,
        )
    if tourist is not None:
        entries.append(review_tourist(store, report, tourist, reason=reason, reviewer=reviewer))
    return entries


def decide(
    store: AppStore,
    report: Report,
    decision: str,
    *,
    notes: str = "",
    reviewer: str,
    at: str | None = None,
) -> DecisionEntry:
    """Record advance / hold / reject for the session of ``report``."""
    from .web.store import utc_now

    if decision not in DECISIONS:
        raise UserError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    reviewer = _who(reviewer)
    at = at or utc_now()
    earlier = store.decision_rows(report.session_id)
    entry = DecisionEntry(report.session_id, decision, notes.strip(), reviewer, at)
    line = _audit_line(
        at,
        reviewer,
        "decision",
        report.session_id,
        "",
        "decision",
        str(earlier[-1][1]) if earlier else None,
        decision,
        entry.notes,
        report,
        None,
    )
    store.append_reviews(
        decisions=[tuple(asdict(entry).values())], audit=[*_grading_lines(store, report), line]
    )
    return entry


def _record(
    store: AppStore,
    report: Report,
    question_id: str,
    verdict: Verdict | None,
    wanted: Sequence[tuple[str, int | None, int]],
    reason: str,
    reviewer: str,
    at: str,
) -> list[ReviewEntry]:
    reviewer, reason = _who(reviewer), reason.strip()
    entries = [
        ReviewEntry(report.session_id, question_id, item, grader, human, reason, reviewer, at)
        for item, grader, human in wanted
    ]
    if any(e.changed for e in entries) and not reason:
        raise UserError("a changed score needs a reason (--reason)")
    lines = [
        _audit_line(
            at,
            reviewer,
            "review",
            e.session_id,
            e.question_id,
            e.item,
            e.grader,
            e.human,
            e.reason,
            report,
            verdict,
        )
        for e in entries
    ]
    store.append_reviews(
        reviews=[tuple(asdict(e).values()) for e in entries],
        audit=[*_grading_lines(store, report), *lines],
    )
    return entries


def log_event(
    store: AppStore,
    action: str,
    session_id: str,
    *,
    before: str | None = None,
    after: str | None = None,
    actor: str = "manager",
    item: str = "link",
) -> None:
    """Log something done to a session's candidate link ("link-created", "link-reissued") or
    about its notice ("consented"; "notice-changed", of no session)."""
    from .web.store import utc_now

    line = (utc_now(), actor, action, session_id, "", item, before, after, "", "", "", "", "")
    store.append_reviews(audit=[line])


def log_grading(store: AppStore, report: Report) -> None:
    """Log the grading of every answer of ``report`` (once per session)."""
    if lines := _grading_lines(store, report):
        store.append_reviews(audit=lines)


def _grading_lines(store: AppStore, report: Report) -> list[tuple[object, ...]]:
    """The log lines of the session's gradings, unless the log has them already."""
    from .web.store import utc_now

    if store.has_audit(report.session_id, "graded"):
        return []
    at = utc_now()
    return [
        _audit_line(
            at,
            q.verdict.grader.name,
            "graded",
            report.session_id,
            q.question_id,
            OVERALL,
            None,
            q.verdict.score,
            "",
            report,
            q.verdict,
        )
        for q in report.questions
    ]


def _audit_line(
    at: str,
    actor: str,
    action: str,
    session_id: str,
    question_id: str,
    item: str,
    before: object,
    after: object,
    reason: str,
    report: Report,
    verdict: Verdict | None,
) -> tuple[object, ...]:
    grader = verdict.grader if verdict is not None else report.grader
    prompts = verdict.prompt_hashes if verdict is not None else {}
    prompt_hash = (
        hashlib.sha256(json.dumps(prompts, sort_keys=True).encode()).hexdigest()[:16]
        if prompts
        else ""
    )
    rubric = (verdict.rubric_hash or "") if verdict is not None else ""
    return (
        at,
        actor,
        action,
        session_id,
        question_id,
        item,
        None if before is None else str(before),
        None if after is None else str(after),
        reason,
        grader.name,
        grader.version,
        prompt_hash,
        rubric,
    )


def _verdict(report: Report, question_id: str) -> Verdict:
    for question in report.questions:
        if question.question_id == question_id:
            return question.verdict
    asked = ", ".join(q.question_id for q in report.questions) or "none"
    raise UserError(
        f"session {report.session_id} has no answer to {question_id!r} (answered: {asked})"
    )


def _level(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise UserError(f"{what}: expected a score from 1 to 5, got {value!r}")
    return value


def _who(reviewer: str) -> str:
    reviewer = reviewer.strip()
    if not reviewer:
        raise UserError("say who is reviewing (--by NAME)")
    return reviewer


# --- what the reviews say about the grader -----------------------------------------------------

#: Reviewed answers needed before the grader's agreement with the reviewers is shown.
MIN_REVIEWED = 20


@dataclass(frozen=True)
class Agreement:
    """The grader's overall scores against the current reviewed ones: weighted kappa, exact
    agreement and how many, once :data:`MIN_REVIEWED` answers are reviewed; ``below`` when the
    kappa is under ``bar`` (the regression suite's threshold)."""

    reviewed: int
    qwk: float | None
    exact: float | None
    bar: float
    needed: int = MIN_REVIEWED

    @property
    def below(self) -> bool:
        return self.qwk is not None and self.qwk < self.bar


def agreement(store: AppStore, bar: float) -> Agreement:
    """How the grader agrees with the people who reviewed its overall scores (every session)."""
    from .evaluation import quadratic_weighted_kappa

    current: dict[tuple[str, str], tuple[int, int]] = {}
    for row in store.review_rows():
        entry = _review_entry(row)
        if entry.item == OVERALL and entry.grader is not None:
            current[(entry.session_id, entry.question_id)] = (entry.human, entry.grader)
    if len(current) < MIN_REVIEWED:
        return Agreement(len(current), None, None, bar)
    human, grader = zip(*current.values(), strict=True)
    exact = sum(h == g for h, g in current.values()) / len(current)
    return Agreement(len(current), quadratic_weighted_kappa(list(human), list(grader)), exact, bar)


def decisions(store: AppStore) -> dict[str, str]:
    """The current decision of every session that has one."""
    return {str(row[0]): str(row[1]) for row in store.decision_rows()}


# --- exports -------------------------------------------------------------------------------


def export_audit(store: AppStore, fmt: Literal["csv", "json"] = "csv") -> str:
    """The whole audit log as CSV (a header line, then a row per entry) or as JSON lines."""
    from .web.store import AUDIT_FIELDS

    rows = [dict(zip(AUDIT_FIELDS, row, strict=True)) for row in store.audit_rows()]
    if fmt == "json":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=AUDIT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # a cell a spreadsheet would run as a formula is written as text
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in row.items()})
    return out.getvalue()


@dataclass(frozen=True)
class LabelsExport:
    folder: Path
    candidates: int
    answers: int
    tourist_calls: int


def export_labels(store: AppStore, reports: Iterable[Report], folder: Path) -> LabelsExport:
    """Write every answer a person gave an overall score as a labelled set in ``folder``
    (``answers.jsonl``, ``labels.json``, ``criteria_labels.json`` when criteria were reviewed).

    The answer is the text the grader graded (the answer and its follow-up replies); the
    candidate id is the session id. A session whose tourist flag nobody reviewed has
    ``"tourist": null``, so ``screener eval`` leaves it out of the tourist figures."""
    answers: list[dict[str, str]] = []
    labels: dict[str, dict[str, object]] = {}
    criteria: dict[str, dict[str, object]] = {}
    calls = 0
    for report in reports:
        reviewed = session_review(store, report.session_id)
        scores: dict[str, int] = {}
        for question_id in reviewed.reviewed_questions:
            text = graded_text(report, question_id)
            overall = reviewed.score(question_id)
            if not text or overall is None:
                continue
            answers.append(
                {"candidate_id": report.session_id, "question_id": question_id, "answer": text}
            )
            scores[question_id] = overall.human
            verdict = _verdict(report, question_id)
            given = {
                c: entry.human
                for c in verdict.criteria
                if (entry := reviewed.score(question_id, c)) is not None
            }
            if given:
                criteria[f"{report.session_id}/{question_id}"] = {"criteria": given}
        if not scores:
            continue
        tourist = reviewed.tourist
        calls += tourist is not None
        labels[report.session_id] = {  # people's labels only: no grader flag stands in for one
            "tourist": None if tourist is None else bool(tourist.human),
            "scores": scores,
        }
    if not answers:
        raise UserError("no reviewed answers to export: review some answers first")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "answers.jsonl").open("w", encoding="utf-8") as handle:
        for row in answers:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (folder / "labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    if criteria:
        (folder / "criteria_labels.json").write_text(
            json.dumps(criteria, indent=1) + "\n", encoding="utf-8"
        )
    return LabelsExport(folder, len(labels), len(answers), calls)


def graded_text(report: Report, question_id: str) -> str:
    """The text the grader graded for ``question_id``: the answer and its follow-up replies."""
    parts = [t.answer for t in report.transcript if t.question_id == question_id]
    return "\n\n".join(p for p in parts if p.strip())


def reports_of(interview: Interview) -> list[Report]:
    """The reports of every finished session in ``interview``'s database."""
    out = []
    for summary in interview.sessions():
        step = interview.current(summary.session_id)
        if step.report is not None:
            out.append(step.report)
    return out


__all__ = [
    "DECISIONS",
    "MIN_REVIEWED",
    "Agreement",
    "agreement",
    "decisions",
    "OVERALL",
    "TOURIST",
    "DecisionEntry",
    "LabelsExport",
    "ReviewEntry",
    "SessionReview",
    "decide",
    "export_audit",
    "export_labels",
    "graded_text",
    "log_event",
    "log_grading",
    "reports_of",
    "review_answer",
    "review_session",
    "review_tourist",
    "session_review",
]
