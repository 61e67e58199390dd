"""What the web routes do, off the event loop: the interview runner plus the web database.

The LangGraph graph is synchronous and its SQLite connection is shared, so every call to
:class:`agent.Interview` runs on a single worker thread, one at a time (:meth:`call`). Quick
lookups that only touch the web database (candidate tokens, sign-ins, the manager token's hash,
the answer rate limit, the candidate notice) run on a second thread (:meth:`lookup`), so they
never wait behind grading. The event loop stays free for other requests and for streaming.

Answers to one session never race: :class:`agent.Interview` holds the session's lock while it
changes it, a PostgreSQL advisory lock when several server processes share one database. A
double-clicked "send" answers the pending prompt, then the next one, never the same one twice.

An answer may carry the client's answer id: a repeat of an id already recorded returns where the
session stands and records nothing (the id is saved with the answer, see :meth:`Interview.answer`).

A full disk, a read-only, locked or damaged database surface as
:class:`agent._errors.DatabaseError` from both threads (the app answers 503).

No grading happens here: the service only starts sessions, forwards answers and reads reports.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from .. import Interview, Report, SessionNotFoundError, Step, Turn
from .._errors import UserError
from ..compliance import (
    Demographics,
    ImpactReport,
    candidate_explanation,
    default_notice,
    notice_version,
    store_impact,
)
from ..review import (
    SessionReview,
    decide,
    decisions,
    log_event,
    log_grading,
    reports_of,
    review_session,
    session_review,
)
from ..review import agreement as reviewed_agreement
from .limits import SignInOutcome, SignInPolicy
from .schemas import (
    Agreement,
    AnswerSignals,
    BulkCreate,
    CreateSession,
    DecisionRequest,
    HistoryTurn,
    InterviewView,
    Progress,
    ReviewRequest,
    SessionSummary,
)
from .security import new_token, token_hash, token_matches
from .store import MANAGER_TOKEN_KEY, AppStore, SessionRow

T = TypeVar("T")

#: What the candidate reads when the interview is over.
CLOSING_MESSAGE = (
    "Thank you, that was the last question. Your answers are saved and have been passed to the "
    "hiring team, who will be in touch. You can close this page now."
)


#: The settings key of the notice text a manager wrote (absent: :func:`default_notice`).
NOTICE_KEY = "candidate_notice"


class ConsentNeededError(UserError):
    """An answer came before the candidate confirmed the notice."""


class NoticeChangedError(UserError):
    """The candidate confirmed a notice that is no longer the current one, or there is nothing
    to confirm (the interview was answered before)."""


class NotYetError(UserError):
    """The questions about the candidate come after the last answer."""


class AlreadyAnsweredError(UserError):
    """The questions about the candidate were answered already (once per session)."""


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` answers per candidate token per ``window`` seconds."""

    limit: int
    window: float


class ScreeningService:
    """The interview runner on one worker thread; web-database lookups on another."""

    def __init__(
        self,
        interview: Interview,
        store: AppStore,
        *,
        max_answer_chars: int,
        max_followups: int,
        answer_rate: RateLimit | None = None,
        link_days: int = 14,
        retention_days: int | None = None,
        require_consent: bool = True,
        ask_demographics: bool = True,
    ) -> None:
        self.interview = interview
        self.store = store
        self.max_answer_chars = max_answer_chars
        self.max_followups = max_followups
        self.link_days = link_days
        self.retention_days = retention_days
        self.require_consent = require_consent
        self.ask_demographics = ask_demographics
        self._last_purge = float("-inf")
        self.answer_rate = answer_rate or RateLimit(10, 60.0)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screener-worker")
        self._lookups = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screener-lookup")

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the worker thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    async def lookup(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)``, which uses only the web database, on the lookup thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._lookups, functools.partial(fn, *args))

    def close(self) -> None:
        """Finish queued work and stop both threads."""
        self._executor.shutdown(wait=True)
        self._lookups.shutdown(wait=True)

    # --- manager ----------------------------------------------------------------------------

    def create_session(self, request: CreateSession) -> tuple[SessionRow, str]:
        """Start a session; return its row and the candidate token (never stored in clear)."""
        step = self.interview.start(
            track=request.track,
            question_ids=request.question_ids or None,
            questions=request.questions or 3,
            provider=request.provider,
            max_followups=self.max_followups,
        )
        track = (
            self.interview.bank.get(request.question_ids[0]).track
            if request.question_ids
            else request.track
        )
        token = new_token()
        expires = self._expiry(request.expires_in_days)
        try:
            row = self.store.add_session(
                step.session_id,
                token_hash(token),
                " ".join(request.candidate_label.split()),
                track,
                step.total_questions,
                expires,
            )
        except BaseException:
            self.interview.delete(step.session_id)  # leave no session nobody can open
            raise
        log_event(self.store, "link-created", step.session_id, after=expires)
        return row, token

    def _expiry(self, days: int | None) -> str:
        until = datetime.now(UTC) + timedelta(days=days or self.link_days)
        return until.replace(microsecond=0).isoformat()

    def reissue_link(self, session_id: str, days: int | None = None) -> tuple[SessionRow, str]:
        """A new candidate link for a session: the old one stops at once (every process)."""
        before = self.store.session(session_id)
        if before is None:
            raise SessionNotFoundError(session_id)
        token = new_token()
        expires = self._expiry(days)
        if not self.store.replace_token(session_id, token_hash(token), expires):
            raise SessionNotFoundError(session_id)
        log_event(self.store, "link-reissued", session_id, before=before.expires_at, after=expires)
        row = self.store.session(session_id)
        assert row is not None
        return row, token

    def bulk_create(self, request: BulkCreate) -> list[dict[str, str]]:
        """One session per row of ``request.csv``; a row per candidate with its link, or with
        the one-line reason it was not created (the good rows are created either way)."""
        out: list[dict[str, str]] = []
        reader = csv.DictReader(io.StringIO(request.csv.lstrip("\ufeff")))
        if reader.fieldnames is None or "candidate_label" not in reader.fieldnames:
            raise UserError("the CSV needs a header line with a candidate_label column")
        for line, raw in enumerate(reader, start=2):
            label = (raw.get("candidate_label") or "").strip()
            result = {"line": str(line), "candidate_label": label}
            try:
                body = CreateSession(
                    candidate_label=label,
                    track=(raw.get("track") or "").strip() or request.track,
                    questions=int(raw["questions"])
                    if (raw.get("questions") or "").strip()
                    else request.questions,
                    expires_in_days=request.expires_in_days,
                )
                row, token = self.create_session(body)
            except (ValueError, ValidationError, UserError) as exc:
                result["error"] = f"line {line}: {_one_line(exc)}"
                out.append(result)
                continue
            result.update(session_id=row.session_id, token=token, expires_at=row.expires_at or "")
            out.append(result)
        if not out:
            raise UserError("the CSV has a header but no candidates")
        return out

    def list_sessions(self) -> list[SessionSummary]:
        """Every session, newest first, with status, score and tourist flag."""
        self.purge_now_and_then()
        summaries = []
        for row in self.store.sessions():
            if row.finished_at is None:
                try:
                    step = self.interview.current(row.session_id)
                except SessionNotFoundError:
                    # Its checkpoints were erased but the process died before its row was.
                    self.store.delete_session(row.session_id)
                    continue
                if step.done:  # the process stopped between the last answer and the row update
                    self._record_finish(row.session_id, step)
                    refreshed = self.store.session(row.session_id)
                    if refreshed is not None:
                        row = refreshed
                else:
                    summaries.append(_summary(row, "in_progress", step.answered))
                    continue
            summaries.append(_summary(row, "done", row.answered or 0))
        decided = decisions(self.store)
        return [s.model_copy(update={"decision": decided.get(s.session_id)}) for s in summaries]

    def agreement(self) -> Agreement:
        """The grader against the managers' reviews, with the suite's QWK bar."""
        found = reviewed_agreement(self.store, _suite_qwk_bar())
        return Agreement(**asdict(found), below=found.below)

    def session_detail(self, session_id: str) -> tuple[SessionRow, Step, list[Turn]] | None:
        """A session's row, where it stands and its transcript; None if there is no such session."""
        row = self.store.session(session_id)
        if row is None:
            return None
        try:
            step = self.interview.current(session_id)
        except SessionNotFoundError:
            return None
        if step.done:
            self._record_finish(session_id, step)
            row = self.store.session(session_id) or row
        return row, step, self._transcript(session_id, step)

    def report(self, session_id: str) -> Report | None:
        """The finished session's report; None while in progress. Raises if there is none."""
        if self.store.session(session_id) is None:
            raise SessionNotFoundError(session_id)
        step = self.interview.current(session_id)
        if step.done:
            self._record_finish(session_id, step)
        return step.report

    def review(self, session_id: str, request: ReviewRequest) -> SessionReview:
        """Record a review of a finished session (see :mod:`agent.review`); its current state."""
        review_session(
            self.store,
            self._finished(session_id),
            question_id=request.question_id,
            overall=request.overall,
            criteria=request.criteria,
            tourist=request.tourist,
            reason=request.reason,
            reviewer=request.reviewer,
        )
        return session_review(self.store, session_id)

    def decide(self, session_id: str, request: DecisionRequest) -> SessionReview:
        """Record advance / hold / reject for a finished session; its current state."""
        report = self._finished(session_id)
        decide(self.store, report, request.decision, notes=request.notes, reviewer=request.reviewer)
        return session_review(self.store, session_id)

    def compare(self, session_ids: list[str]) -> list[Compared] | None:
        """The finished sessions to compare side by side, in the order given; None if one of
        them does not exist or has not finished."""
        out = []
        for session_id in session_ids:
            row = self.store.session(session_id)
            if row is None:
                return None
            try:
                report = self.report(session_id)
            except SessionNotFoundError:
                return None
            if report is None:
                return None
            out.append((row, report, session_review(self.store, session_id)))
        return out

    def session_review(self, session_id: str) -> SessionReview:
        """What people have said about a session (raises if there is no such session)."""
        if self.store.session(session_id) is None:
            raise SessionNotFoundError(session_id)
        return session_review(self.store, session_id)

    def _finished(self, session_id: str) -> Report:
        report = self.report(session_id)
        if report is None:
            raise UserError("the session is still in progress; only a finished one is reviewed")
        return report

    def end_session(self, session_id: str) -> Step:
        """End a session now; the report covers what was answered."""
        if self.store.session(session_id) is None:
            raise SessionNotFoundError(session_id)
        step = self.interview.end(session_id)
        self._record_finish(session_id, step)
        return step

    def delete_session(self, session_id: str) -> str | None:
        """Erase a session's checkpoints, then its row; return its token hash, None if unknown."""
        row = self.store.session(session_id)
        if row is None:
            return None
        try:
            self.interview.delete(session_id)
        except SessionNotFoundError:
            pass  # already erased by an earlier attempt that died before its row went
        self.store.delete_session(session_id)
        return row.candidate_token_hash

    def purge_expired(self, now: datetime | None = None) -> list[str]:
        """Erase the sessions created more than ``retention_days`` ago (none without a setting);
        the ids erased. Each erasure is a line of the audit log."""
        if self.retention_days is None:
            return []
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=self.retention_days)).isoformat()
        erased = []
        for row in self.store.sessions():
            if row.created_at < cutoff and self.delete_session(row.session_id) is not None:
                log_event(self.store, "purged", row.session_id, before=row.created_at)
                erased.append(row.session_id)
        return erased

    def purge_now_and_then(self) -> None:
        """:meth:`purge_expired` at most once an hour (called as the dashboard is listed)."""
        if self.retention_days is None or time.monotonic() - self._last_purge < 3600:
            return
        self._last_purge = time.monotonic()
        self.purge_expired()

    def question_choices(self) -> dict[str, list[tuple[str, str]]]:
        """Question ids and texts per track, for the new-session form."""
        choices: dict[str, list[tuple[str, str]]] = {}
        for question in self.interview.bank:
            choices.setdefault(question.track, []).append((question.id, question.text))
        return choices

    # --- manager token and sign-ins ---------------------------------------------------------

    def manager_token_hash(self) -> str | None:
        """The stored hash of the manager token, if one was generated (lookup thread)."""
        return self.store.get_setting(MANAGER_TOKEN_KEY)

    def check_manager_token(
        self,
        address: str,
        presented: str,
        env_hash: str | None,
        policy: SignInPolicy,
        now: float | None = None,
    ) -> SignInOutcome:
        """Check a presented manager token under the failed-sign-in limits (lookup thread).

        ``env_hash`` is the hash of ``$SCREENER_MANAGER_TOKEN`` if set, else the stored hash is
        used (read now, so a rotation on any instance takes effect at once).
        """
        stored = env_hash or self.manager_token_hash() or ""  # nothing matches ""
        return self.store.sign_in(
            address, lambda: token_matches(presented, stored), policy, now=now
        )

    def sign_in(self, ttl_seconds: float) -> str:
        """Record a new signed-in browser; return its secret cookie value."""
        cookie = new_token()
        self.store.add_manager_session(token_hash(cookie), ttl_seconds)
        return cookie

    def signed_in(self, cookie: str) -> bool:
        """Whether ``cookie`` belongs to a current sign-in (hashes compared in constant time)."""
        stored = self.store.manager_session_hash(token_hash(cookie))
        return stored is not None and token_matches(cookie, stored)

    def sign_out(self, cookie: str) -> None:
        """Forget a sign-in."""
        self.store.delete_manager_session(token_hash(cookie))

    # --- candidate --------------------------------------------------------------------------

    def candidate_session(self, token: str) -> SessionRow | None:
        """The session that ``token`` opens, or None (same answer for wrong and erased tokens).

        Looked up in the database every time (lookup thread), so a session deleted through any
        server process stops opening at once on all of them.
        """
        if not token or len(token) > 200:
            return None
        row = self.store.session_by_token_hash(token_hash(token))
        if row is None or not token_matches(token, row.candidate_token_hash):
            return None
        return row

    def candidate_view(self, session_id: str, with_history: bool = False) -> InterviewView:
        """What the candidate sees now, optionally with the exchanges so far."""
        step = self.interview.current(session_id)
        if step.done:
            self._record_finish(session_id, step)
        view = self._view(step, session_id)
        if with_history:
            turns = self._transcript(session_id, step)
            view.history = [
                HistoryTurn(kind=t.kind, prompt=t.prompt, answer=t.answer) for t in turns
            ]
        return view

    def answer_allowed(self, token_hash: str) -> float:
        """Count an answer submission for this token: 0, or seconds to wait (lookup thread).

        The window is kept in the database, so it is shared by every server process.
        """
        return self.store.rate_limit(token_hash, self.answer_rate.limit, self.answer_rate.window)

    def submit_answer(
        self,
        session_id: str,
        text: str,
        answer_id: str | None = None,
        signals: AnswerSignals | None = None,
    ) -> InterviewView:
        """Record the answer (on disk before this returns) and return the next message.

        With ``answer_id``, a repeat of an answer already recorded returns the current message
        and records nothing. Raises :class:`agent.AnswerTooLongError` for an answer over the
        limit, :class:`ConsentNeededError` for a first answer before the notice was confirmed
        and :class:`agent.UserError` once the interview has ended.
        """
        if self._consent_needed(session_id):
            raise ConsentNeededError("confirm the notice before the first answer")
        step = self.interview.answer(session_id, text, answer_id=answer_id)
        if signals is not None and answer_id is not None:
            turn = self.interview.answer_ids(session_id).get(answer_id)
            if turn is not None:  # how it was written: shown beside the transcript, never graded
                self.store.add_signals(
                    session_id,
                    turn,
                    (
                        signals.first_key_ms,
                        signals.submit_ms,
                        min(signals.pasted_chars, len(text)),
                        len(text),
                        signals.focus_changes,
                    ),
                )
        if step.done:
            self._record_finish(session_id, step)
        return self._view(step, session_id)

    def answer_signals(self, session_id: str) -> dict[int, AnswerSignalsView]:
        """How each answer was written, by its index in the transcript."""
        return {
            turn: AnswerSignalsView(*values)
            for turn, values in self.store.signals(session_id).items()
        }

    # --- helpers ----------------------------------------------------------------------------

    def _view(self, step: Step, session_id: str) -> InterviewView:
        progress = Progress(answered=step.answered, total=step.total_questions)
        if step.done:
            ask = self.ask_demographics and not self.store.has_demographics(session_id)
            return InterviewView(
                status="done",
                message=CLOSING_MESSAGE,
                progress=progress,
                max_answer_chars=self.max_answer_chars,
                demographics=ask or None,
            )
        unconfirmed = self._consent_needed(session_id, step)
        return InterviewView(
            status="in_progress",
            message=step.prompt or "",
            progress=progress,
            question=step.question_number,
            kind=step.kind,
            max_answer_chars=self.max_answer_chars,
            notice_version=self.notice()[0] if unconfirmed else None,
        )

    def _consent_needed(self, session_id: str, step: Step | None = None) -> bool:
        """Whether the candidate has yet to confirm the notice: required before the first
        answer (a session answered before consent existed carries on). With ``step`` known,
        a session past its first question costs no lookup (the view of every turn asks)."""

        def first_question(step: Step) -> bool:
            return not step.done and step.answered == 0 and step.kind == "question"

        if not self.require_consent or (step is not None and not first_question(step)):
            return False
        if self.store.has_audit(session_id, "consented"):
            return False
        return first_question(step or self.interview.current(session_id))

    # --- notice, consent, demographics, impact ---------------------------------------------

    def notice(self) -> tuple[str, str]:
        """The notice candidates read now: (version, text)."""
        text = self.store.get_setting(NOTICE_KEY) or default_notice(self.retention_days)
        return notice_version(text), text

    def set_notice(self, text: str | None, actor: str = "manager") -> str:
        """Replace the notice (None or blank: back to the default); its new version. The change
        is a line of the audit log, and every version's text is kept."""
        before = self.notice()[0]
        text = (text or "").strip()
        if len(text) > 20_000:
            raise UserError("notice: expected at most 20,000 characters")
        if text:
            self.store.set_setting(NOTICE_KEY, text)
        else:
            self.store.delete_setting(NOTICE_KEY)
        version, current = self.notice()
        self.store.add_notice(version, current)
        if version != before:
            log_event(
                self.store,
                "notice-changed",
                "",
                before=before,
                after=version,
                actor=actor,
                item="notice",
            )
        return version

    def consent(self, session_id: str, version: str) -> InterviewView:
        """Record that the candidate confirmed notice ``version`` (once; in the audit log)."""
        current, text = self.notice()
        if version != current:
            raise NoticeChangedError("the notice has changed; reload the page and read it again")
        if self.store.has_audit(session_id, "consented"):
            return self.candidate_view(session_id)  # a second click on Start: nothing new
        if not self.require_consent or not self._consent_needed(session_id):
            raise NoticeChangedError("there is nothing to confirm: this interview is under way")
        self.store.add_notice(current, text)
        log_event(
            self.store, "consented", session_id, after=current, actor="candidate", item="notice"
        )
        return self.candidate_view(session_id)

    def record_demographics(self, session_id: str, answer: Demographics) -> bool:
        """Keep what the candidate chose to say after the last answer; declining (nothing
        said) records nothing. True if something was recorded."""
        if not self.interview.current(session_id).done:
            raise NotYetError("the questions about you come after the last answer")
        if answer.empty:
            return False
        if not self.store.add_demographics(session_id, answer.sex, answer.race):
            raise AlreadyAnsweredError("these questions were answered already")
        return True

    def impact(self) -> ImpactReport:
        """The impact-ratio report over every finished session."""
        return store_impact(self.store, reports_of(self.interview))

    def explanation(self, report: Report) -> str:
        """The plain-words explanation to send the candidate of a finished session."""
        return candidate_explanation(report, decisions(self.store).get(report.session_id))

    def _record_finish(self, session_id: str, step: Step) -> None:
        report = step.report
        if report is None:
            return
        self.store.finish_session(
            session_id, len(report.questions), report.overall, report.tourist.flagged
        )
        log_grading(self.store, report)  # the audit log's first lines of the session

    def _transcript(self, session_id: str, step: Step) -> list[Turn]:
        """The exchanges so far: from the report once done, else from the interview."""
        if step.report is not None:
            return list(step.report.transcript)
        try:
            return self.interview.transcript(session_id)
        except SessionNotFoundError:  # erased meanwhile (by another server process)
            return []


@functools.cache
def _suite_qwk_bar() -> float:
    """The regression suite's QWK threshold (0.8 when the suite file cannot be read)."""
    from ..suite import load_suite

    try:
        bound = load_suite().thresholds.get("qwk")
    except (UserError, OSError):  # a suite file missing or broken: the documented default
        return 0.8
    return bound.min if bound is not None and bound.min is not None else 0.8


@dataclass(frozen=True)
class AnswerSignalsView:
    """How one answer was written (see :class:`~agent.web.schemas.AnswerSignals`)."""

    first_key_ms: int | None
    submit_ms: int | None
    pasted_chars: int
    answer_chars: int
    focus_changes: int

    @property
    def pasted_whole(self) -> bool:
        """Most of a real answer arrived in pastes rather than keystrokes."""
        return self.answer_chars >= 40 and self.pasted_chars >= 0.8 * self.answer_chars


#: A session to compare: its row, its report and what people have said of it.
Compared = tuple[SessionRow, Report, SessionReview]


def _one_line(exc: Exception) -> str:
    """An error as one line: a validation error names the field and what was expected."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        return f"{field}: {first['msg']}"
    return " ".join(str(exc).split())


def _summary(
    row: SessionRow, status: Literal["in_progress", "done"], answered: int
) -> SessionSummary:
    return SessionSummary(
        session_id=row.session_id,
        candidate_label=row.label,
        track=row.track,
        status=status,
        answered=answered,
        total=row.total_questions,
        overall=row.overall,
        tourist=row.tourist,
        started_at=row.created_at,
        finished_at=row.finished_at,
    )


__all__ = ["CLOSING_MESSAGE", "RateLimit", "ScreeningService", "Turn"]
