"""The FastAPI application: the JSON API, the candidate chat page and the manager pages.

Routes::

    GET    /healthz                              liveness (no secrets)
    POST   /api/sessions                         manager: start a session -> candidate token + URL
    GET    /api/sessions                         manager: the session list
    GET    /api/sessions/{id}/report             manager: the report as JSON (?download=1)
    GET    /api/sessions/{id}/report.md          manager: the report as Markdown
    POST   /api/sessions/{id}/end                manager: end a session now
    DELETE /api/sessions/{id}                    manager: erase a session and its transcript
    GET    /api/interview/{token}                candidate: current message and progress
    POST   /api/interview/{token}/answer         candidate: submit an answer (rate-limited)
    GET    /api/interview/{token}/stream         candidate: the message as server-sent events
    GET    /i/{token}                            the candidate's chat page
    GET    /manage, /manage/sessions/{id}        the manager's pages (signed-in cookie)
    GET    /manage/login, POST /manage/login     sign in with the manager token
    POST   /manage/logout                        sign out

Manager API calls authenticate with ``Authorization: Bearer <manager token>`` or with the
HttpOnly ``SameSite=Strict`` sign-in cookie; with the cookie, every state-changing call must
also carry the sign-in's CSRF token (``X-CSRF-Token`` header or ``csrf_token`` form field).
The pages use these same API endpoints from their scripts.

Several processes may serve one PostgreSQL database (``WebConfig.database_url``): candidate
tokens, sign-ins, the stored manager token's hash, the answer rate limit and the failed sign-ins
are read from the database on every request, and interview state is locked per session there,
so any process can serve any request. Only the abuse limits on reads and open streams per
candidate token are kept in each process's memory (:mod:`agent.web.limits`), with the
refusals each process remembers so that a flood costs no database work.

Errors: every response carries the security headers (:class:`SecurityHeadersMiddleware` wraps
the whole app); a JSON body nested deeper than ``MAX_JSON_DEPTH`` or holding an unpaired
surrogate is 400; a database that is full, read-only, locked or damaged is 503 with a short
message (one log line names the file and what to do); too many failed sign-ins, reads, open
streams or answers are 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import hashlib
import io
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import (
    MAX_ANSWER_CHARS,
    AnswerTooLongError,
    Interview,
    Report,
    SessionNotFoundError,
    UserError,
)
from .._charts import BarSeries, bar_chart
from .._constants import track_title
from .._errors import DatabaseError
from .._escape import csv_cell
from ..compliance import (
    RACE,
    SEX,
    Demographics,
    impact_csv,
    impact_html,
    impact_tables_html,
    notice_paragraphs,
)
from ..report import render_markdown, signal_line
from ..review import SessionReview, export_audit
from .config import WebConfig
from .limits import CandidateLimits, Deadlines, SignInOutcome, address_key, retry_after
from .schemas import (
    Answer,
    BulkCreate,
    Consent,
    CreateSession,
    DecisionRequest,
    DemographicsAnswer,
    InterviewView,
    NewLink,
    NoticeText,
    ReviewRequest,
    SessionCreated,
    SessionList,
    SessionSummary,
)
from .security import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    csrf_matches,
    csrf_token,
    hashes_equal,
    new_token,
    redact_path,
    token_hash,
)
from .service import (
    AlreadyAnsweredError,
    ConsentNeededError,
    NoticeChangedError,
    NotYetError,
    RateLimit,
    ScreeningService,
)
from .store import AppStore

_HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "screener_manager"
LOGIN_CSRF_COOKIE = "screener_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The deepest nesting of a JSON request body accepted (the API's bodies need 2).
MAX_JSON_DEPTH = 32
#: Seconds a client is asked to wait after a 503 (the database cannot save).
UNAVAILABLE_RETRY_AFTER = 30
#: The candidate's time estimate per question, follow-ups included (shown as an estimate).
MINUTES_PER_QUESTION = 5
#: On the dashboard's impact page, categories of fewer candidates show no rates.
PAGE_MIN_CELL = 5
#: What a client is told when the database cannot save or read (the log says which and why).
UNAVAILABLE = (
    "the server cannot save right now (its storage is full or unavailable); nothing is lost, "
    "please try again in a few minutes"
)
access_logger = logging.getLogger("screener.web.access")
security_logger = logging.getLogger("screener.web.security")
error_logger = logging.getLogger("screener.web")


@dataclass(frozen=True)
class CandidateSession:
    """The session a candidate token opened, the token's hash (the rate-limit key), and what the
    candidate's introduction tells them: the track and the number of questions."""

    session_id: str
    token_hash: str
    track: str
    total_questions: int


class WebState:
    """What the routes share: the configuration, the service and the abuse limits.

    ``clock`` (wall time) times the failed-sign-in limits; tests replace it.
    """

    def __init__(self, config: WebConfig, service: ScreeningService) -> None:
        self.config = config
        self.service = service
        self.clock: Callable[[], float] = time.time
        self.policy = config.sign_in
        self.env_hash = token_hash(config.manager_token) if config.manager_token else None
        self.refusals = Deadlines(lambda: self.clock())
        self.limits = CandidateLimits(config.read_limit, config.read_window, config.stream_limit)

    async def check_manager_token(self, request: Request, presented: str) -> SignInOutcome:
        """Check a presented manager token under the failed-sign-in limits; log backing off."""
        key = address_key(request.client.host if request.client else None)
        wait = self.refusals.wait(key)
        if wait > 0:  # refused here lately: no database work for a flood
            return SignInOutcome(False, wait=wait)
        outcome: SignInOutcome = await self.service.lookup(
            self.service.check_manager_token,
            key,
            presented,
            self.env_hash,
            self.policy,
            self.clock(),
        )
        if outcome.accepted:
            self.refusals.forget(key)
        elif outcome.wait > 0:
            self.refusals.refuse(key, outcome.wait)
        elif outcome.next_wait > 0:
            self.refusals.refuse(key, outcome.next_wait)
            capped = outcome.global_failures >= self.policy.global_limit
            security_logger.warning(
                "failed sign-in %d in a row from %s%s; backing off: its next attempt is "
                "checked in %.0f s",
                outcome.failures,
                key,
                " while failed sign-ins from all addresses are over their cap" if capped else "",
                outcome.next_wait,
            )
        if outcome.global_failures == self.policy.global_limit and not outcome.wait:
            security_logger.warning(
                "%d failed sign-ins from all addresses in %.0f s: addresses that failed before "
                "must wait until there are fewer",
                outcome.global_failures,
                self.policy.global_window,
            )
        return outcome

    async def manager_hash(self) -> str:
        """The manager token's hash: from the environment's token, else as stored now.

        Read from the database on each call, so ``--new-manager-token`` on any instance takes
        effect on all of them at once.
        """
        if self.config.manager_token:
            return token_hash(self.config.manager_token)
        stored = await self.service.lookup(self.service.manager_token_hash)
        return stored or ""  # nothing matches "" (hashes are 64 characters)


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["signals"] = signal_line
    env.globals["static"] = _static_url
    return env


@functools.cache
def _static_url(name: str) -> str:
    """``/static/NAME`` with a hash of the file's content, so a browser never runs a cached
    script of an older release against a newer page."""
    digest = hashlib.sha256((_HERE / "static" / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


def _when(stamp: str | None, utc: bool = True) -> str:
    """An ISO timestamp as ``2025-01-31 14:05 UTC`` (without " UTC" if not ``utc``); a dash."""
    if not stamp:
        return "\u2014"
    try:
        return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M" + (" UTC" if utc else ""))
    except ValueError:
        return stamp


class _App(FastAPI):
    """FastAPI with the security headers and the access log outside everything else, so that
    Starlette's own error responses (500) carry the headers and are logged."""

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return SecurityHeadersMiddleware(
            AccessLogMiddleware(inner, logger=access_logger), logger=error_logger
        )


class _StreamResponse(StreamingResponse):
    """A streaming response that calls ``release`` when it ends, however it ends."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None], **kw: Any):
        super().__init__(content, **kw)
        self._release: Callable[[], None] | None = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


def create_app(config: WebConfig) -> FastAPI:
    """The web application. Opens the databases when it starts and closes them when it stops."""
    templates = _templates()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as stack:
            if config.database_url is not None:
                interview = stack.enter_context(Interview.open_url(config.database_url))
            else:
                assert config.db_path is not None
                interview = stack.enter_context(Interview.open(config.db_path))
            store = AppStore(config.app_database)
            stack.callback(store.close)
            service = ScreeningService(
                interview,
                store,
                max_answer_chars=MAX_ANSWER_CHARS,
                max_followups=config.max_followups,
                answer_rate=RateLimit(config.answer_rate_limit, config.rate_window),
                link_days=config.link_days,
                retention_days=config.retention_days,
                require_consent=config.require_consent,
                ask_demographics=config.ask_demographics,
            )
            stack.callback(service.close)
            _check_manager_token(config, service)
            app.state.web = WebState(config, service)
            yield

    app = _App(
        title="screener",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    def web(request: Request) -> WebState:
        state: WebState = request.app.state.web
        return state

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(max_answer_chars=MAX_ANSWER_CHARS, **context)
        return HTMLResponse(html, status_code=status)

    # --- authentication ---------------------------------------------------------------------

    async def signed_in_cookie(request: Request) -> str | None:
        """The sign-in cookie if it belongs to a current sign-in."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie or len(cookie) > 200:
            return None
        state = web(request)
        return cookie if await state.service.lookup(state.service.signed_in, cookie) else None

    async def require_manager(request: Request) -> None:
        """Allow a manager API call: bearer token, or sign-in cookie (+ CSRF when unsafe).

        A wrong bearer token is a failed sign-in: too many from one address (or from all)
        are refused unchecked with 429 and ``Retry-After``.
        """
        state = web(request)
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, presented = header.partition(" ")
            presented = presented.strip()
            if scheme.lower() != "bearer" or not presented:
                raise _unauthorized()
            outcome = await state.check_manager_token(request, presented)
            if outcome.wait > 0:
                raise _too_many(
                    "too many failed sign-ins from this address; wait and try again",
                    outcome.wait,
                )
            if not outcome.accepted:
                raise HTTPException(403, "wrong manager token")
            return
        cookie = await signed_in_cookie(request)
        if cookie is None:
            raise _unauthorized()
        if request.method not in SAFE_METHODS:
            if not _same_origin(request) or not csrf_matches(
                cookie, request.headers.get("x-csrf-token")
            ):
                raise HTTPException(403, "missing or wrong CSRF token")

    async def candidate(request: Request, token: str, read: bool = True) -> CandidateSession:
        """The session a candidate token opens; 404 (the same for any invalid token) if none.

        With ``read`` this takes one of the token's reads: 429 when they are used up, decided
        before any lookup for a token already over its limit.
        """
        state = web(request)
        key = token_hash(token) if 0 < len(token) <= 200 else ""
        if read and key and (wait := state.limits.read_wait(key)):
            raise _too_many("too many requests for this interview; wait a moment", wait)
        row = await state.service.lookup(state.service.candidate_session, token)
        if row is None:
            raise HTTPException(404, "there is no interview at this address")
        if row.expired():
            raise HTTPException(410, "this interview link has expired; ask for a new one")
        if read and (wait := state.limits.take_read(row.candidate_token_hash)):
            raise _too_many("too many requests for this interview; wait a moment", wait)
        return CandidateSession(
            row.session_id, row.candidate_token_hash, row.track, row.total_questions
        )

    # --- manager API ------------------------------------------------------------------------

    @app.post(
        "/api/sessions",
        status_code=201,
        response_model=SessionCreated,
        dependencies=[Depends(require_manager)],
    )
    async def create_session(request: Request) -> SessionCreated:
        state = web(request)
        body = CreateSession.model_validate(await _json_body(request))
        try:
            row, token = await state.service.call(state.service.create_session, body)
        except DatabaseError:
            raise  # 503, below
        except UserError as exc:
            raise HTTPException(422, str(exc)) from None
        return SessionCreated(
            session_id=row.session_id,
            candidate_token=token,
            candidate_url=_candidate_url(request, state.config, token),
            expires_at=row.expires_at,
        )

    @app.post(
        "/api/sessions/{session_id}/link",
        response_model=SessionCreated,
        dependencies=[Depends(require_manager)],
    )
    async def new_link(request: Request, session_id: str, body: NewLink) -> SessionCreated:
        state = web(request)
        try:
            row, token = await state.service.call(
                state.service.reissue_link, session_id, body.expires_in_days
            )
        except SessionNotFoundError:
            raise HTTPException(404, "no such session") from None
        return SessionCreated(
            session_id=row.session_id,
            candidate_token=token,
            candidate_url=_candidate_url(request, state.config, token),
            expires_at=row.expires_at,
        )

    @app.post("/api/sessions/bulk", dependencies=[Depends(require_manager)])
    async def bulk_create(request: Request, body: BulkCreate) -> Response:
        state = web(request)
        try:
            rows = await state.service.call(state.service.bulk_create, body)
        except UserError as exc:
            raise HTTPException(422, str(exc)) from None
        out = io.StringIO()
        columns = ("line", "candidate_label", "session_id", "candidate_url", "expires_at", "error")
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            token = row.pop("token", "")
            url = _candidate_url(request, state.config, token) if token else ""
            writer.writerow({k: csv_cell(v) for k, v in {**row, "candidate_url": url}.items()})
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers=_attachment("screener-links.csv"),
        )

    @app.get("/api/sessions", response_model=SessionList, dependencies=[Depends(require_manager)])
    async def list_sessions(request: Request) -> SessionList:
        state = web(request)
        sessions = await state.service.call(state.service.list_sessions)
        return SessionList(
            sessions=sessions, agreement=await state.service.call(state.service.agreement)
        )

    @app.get("/api/sessions/{session_id}/report", dependencies=[Depends(require_manager)])
    async def report_json(request: Request, session_id: str, download: bool = False) -> Response:
        report = await _finished_report(request, session_id)
        headers = _attachment(f"screener-{session_id}.json") if download else {}
        return Response(
            report.model_dump_json(indent=2) + "\n",
            media_type="application/json",
            headers=headers,
        )

    @app.get("/api/sessions/{session_id}/report.md", dependencies=[Depends(require_manager)])
    async def report_markdown(request: Request, session_id: str) -> Response:
        report = await _finished_report(request, session_id)
        state = web(request)
        review = await state.service.call(state.service.session_review, session_id)
        signals = await state.service.call(state.service.answer_signals, session_id)
        return PlainTextResponse(
            render_markdown(report, review, signals) + "\n",
            media_type="text/markdown; charset=utf-8",
            headers=_attachment(f"screener-{session_id}.md"),
        )

    async def _finished_report(request: Request, session_id: str) -> Report:
        state = web(request)
        try:
            report: Report | None = await state.service.call(state.service.report, session_id)
        except SessionNotFoundError:
            raise HTTPException(404, "no such session") from None
        if report is None:
            raise HTTPException(409, "the session is still in progress; end it for a report")
        return report

    @app.get("/api/sessions/{session_id}/review", dependencies=[Depends(require_manager)])
    async def review_json(request: Request, session_id: str) -> dict[str, Any]:
        state = web(request)
        try:
            found = await state.service.call(state.service.session_review, session_id)
        except SessionNotFoundError:
            raise HTTPException(404, "no such session") from None
        return _review_body(found)

    @app.post("/api/sessions/{session_id}/reviews", dependencies=[Depends(require_manager)])
    async def add_review(request: Request, session_id: str, body: ReviewRequest) -> dict[str, Any]:
        return await _reviewed(request, web(request).service.review, session_id, body)

    @app.post("/api/sessions/{session_id}/decision", dependencies=[Depends(require_manager)])
    async def add_decision(
        request: Request, session_id: str, body: DecisionRequest
    ) -> dict[str, Any]:
        return await _reviewed(request, web(request).service.decide, session_id, body)

    async def _reviewed(
        request: Request,
        record: Callable[[str, Any], SessionReview],
        session_id: str,
        body: ReviewRequest | DecisionRequest,
    ) -> dict[str, Any]:
        """Record a review or a decision on the worker thread; the session's reviews as JSON."""
        try:
            found = await web(request).service.call(record, session_id, body)
        except SessionNotFoundError:
            raise HTTPException(404, "no such session") from None
        except UserError as exc:
            raise HTTPException(422, str(exc)) from None
        return _review_body(found)

    @app.get("/api/audit", dependencies=[Depends(require_manager)])
    async def audit_log(request: Request, format: str = "csv") -> Response:
        if format not in ("csv", "json"):
            raise HTTPException(422, "format must be csv or json")
        state = web(request)
        text = await state.service.call(export_audit, state.service.store, format)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        name = "screener-audit." + ("csv" if format == "csv" else "jsonl")
        return Response(text, media_type=media, headers=_attachment(name))

    @app.get("/api/impact", dependencies=[Depends(require_manager)])
    async def impact(request: Request, format: str = "csv") -> Response:
        if format not in ("csv", "html"):
            raise HTTPException(422, "format must be csv or html")
        state = web(request)
        found = await state.service.call(state.service.impact)
        if format == "csv":
            return Response(
                impact_csv(found),
                media_type="text/csv; charset=utf-8",
                headers=_attachment("screener-impact.csv"),
            )
        return Response(
            impact_html(found),
            media_type="text/html; charset=utf-8",
            headers=_attachment("screener-impact.html"),
        )

    @app.get("/api/notice", dependencies=[Depends(require_manager)])
    async def get_notice(request: Request) -> dict[str, str]:
        state = web(request)
        version, text = await state.service.lookup(state.service.notice)
        return {"version": version, "text": text}

    @app.get("/api/notices", dependencies=[Depends(require_manager)])
    async def notice_history(request: Request) -> list[dict[str, str]]:
        state = web(request)
        rows = await state.service.lookup(state.service.store.notice_rows)
        return [{"version": v, "text": t, "first_shown": at} for v, t, at in rows]

    @app.put("/api/notice", dependencies=[Depends(require_manager)])
    async def put_notice(request: Request, body: NoticeText) -> dict[str, str]:
        state = web(request)
        try:
            await state.service.lookup(state.service.set_notice, body.text)
        except UserError as exc:
            raise HTTPException(422, str(exc)) from None
        version, text = await state.service.lookup(state.service.notice)
        return {"version": version, "text": text}

    @app.get("/api/sessions/{session_id}/explanation.md", dependencies=[Depends(require_manager)])
    async def explanation(request: Request, session_id: str) -> Response:
        state = web(request)
        report = await _finished_report(request, session_id)
        text = await state.service.call(state.service.explanation, report)
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers=_attachment(f"explanation-{session_id}.md"),
        )

    @app.post("/api/sessions/{session_id}/end", dependencies=[Depends(require_manager)])
    async def end_session(request: Request, session_id: str) -> dict[str, str]:
        state = web(request)
        try:
            await state.service.call(state.service.end_session, session_id)
        except SessionNotFoundError:
            raise HTTPException(404, "no such session") from None
        return {"status": "done"}

    @app.delete(
        "/api/sessions/{session_id}", status_code=204, dependencies=[Depends(require_manager)]
    )
    async def delete_session(request: Request, session_id: str) -> Response:
        state = web(request)
        erased = await state.service.call(state.service.delete_session, session_id)
        if erased is None:
            raise HTTPException(404, "no such session")
        return Response(status_code=204)

    # --- candidate API ----------------------------------------------------------------------

    @app.get(
        "/api/interview/{token}", response_model=InterviewView, response_model_exclude_none=True
    )
    async def interview_state(request: Request, token: str, include: str = "") -> InterviewView:
        state = web(request)
        row = await candidate(request, token)
        return await _candidate_view(state, row.session_id, include == "history")

    @app.post(
        "/api/interview/{token}/answer",
        response_model=InterviewView,
        response_model_exclude_none=True,
    )
    async def submit_answer(request: Request, token: str) -> Any:
        state = web(request)
        too_fast = "too many answers in a short time; wait a moment and send it again"
        known = state.limits.answer_wait(token_hash(token)) if 0 < len(token) <= 200 else 0.0
        if known:  # refused by the database lately: refused again here, with no lookup
            raise _too_many(too_fast, known)
        row = await candidate(request, token, read=False)
        wait = await state.service.lookup(state.service.answer_allowed, row.token_hash)
        if wait:
            state.limits.refuse_answers(row.token_hash, wait)
            raise _too_many(too_fast, wait)
        body = Answer.model_validate(await _json_body(request))
        try:
            return await state.service.call(
                state.service.submit_answer,
                row.session_id,
                body.answer,
                body.answer_id,
                body.signals,
            )
        except AnswerTooLongError as exc:
            return JSONResponse(
                {"detail": str(exc), "max_answer_chars": exc.limit}, status_code=422
            )
        except SessionNotFoundError:
            raise HTTPException(404, "there is no interview at this address") from None
        except DatabaseError:
            raise  # 503, below
        except ConsentNeededError as exc:
            raise HTTPException(428, str(exc)) from None
        except UserError:
            raise HTTPException(409, "this interview has ended") from None

    @app.post(
        "/api/interview/{token}/consent",
        response_model=InterviewView,
        response_model_exclude_none=True,
    )
    async def consent(request: Request, token: str, body: Consent) -> Any:
        state = web(request)
        row = await candidate(request, token, read=False)  # once per session: logged once
        try:
            return await state.service.call(
                state.service.consent, row.session_id, body.notice_version
            )
        except NoticeChangedError as exc:
            raise HTTPException(409, str(exc)) from None

    @app.post("/api/interview/{token}/demographics", status_code=204)
    async def demographics(request: Request, token: str, body: DemographicsAnswer) -> Response:
        state = web(request)
        row = await candidate(request, token)
        try:
            answer = Demographics(body.sex, body.race)
            await state.service.call(state.service.record_demographics, row.session_id, answer)
        except (NotYetError, AlreadyAnsweredError) as exc:
            raise HTTPException(409, str(exc)) from None
        except UserError as exc:
            raise HTTPException(422, str(exc)) from None
        return Response(status_code=204)

    @app.get("/api/interview/{token}/stream")
    async def stream(request: Request, token: str) -> StreamingResponse:
        state = web(request)
        row = await candidate(request, token)
        key = row.token_hash
        if not state.limits.open_stream(key):
            raise _too_many(
                "this interview is already streaming in other windows; close one and reload",
                2.0,
            )
        try:
            view = await _candidate_view(state, row.session_id)
        except BaseException:
            state.limits.close_stream(key)
            raise
        delay = state.config.stream_delay

        async def events() -> AsyncIterator[str]:
            yield "retry: 5000\n\n"
            head = view.model_dump(exclude={"message", "history"}, exclude_none=True)
            yield _sse("state", head)
            for chunk in re.findall(r"\s*\S+", view.message):
                yield _sse("delta", {"text": chunk})
                if delay:
                    await asyncio.sleep(delay)
            yield _sse("done", view.model_dump(exclude={"history"}, exclude_none=True))

        return _StreamResponse(
            events(),
            release=lambda: state.limits.close_stream(key),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    # --- candidate page ---------------------------------------------------------------------

    @app.get("/i/{token}", response_class=HTMLResponse)
    async def candidate_page(request: Request, token: str) -> HTMLResponse:
        try:
            row = await candidate(request, token)
        except HTTPException as exc:
            if exc.status_code == 429:
                response = page(
                    "message.html",
                    429,
                    title="Please wait",
                    message="This page was loaded too many times in a short while. "
                    "Please wait a minute, then reload it; your answers are saved.",
                )
                response.headers.update(exc.headers or {})
                return response
            if exc.status_code == 410:
                return page(
                    "message.html",
                    410,
                    title="Link expired",
                    message="This interview link has expired. Please ask the person who sent "
                    "it for a new link; any answers you gave are kept.",
                )
            return page(
                "message.html",
                404,
                title="Link not valid",
                message="This interview link is not valid, or it has been withdrawn. "
                "Please check the link you were sent.",
            )
        version, notice = await web(request).service.lookup(web(request).service.notice)
        return page(
            "candidate.html",
            title="Screening interview",
            notice=notice_paragraphs(notice),
            notice_version=version,
            sex_choices=SEX,
            race_choices=RACE,
            track=track_title(row.track),
            questions=row.total_questions,
            minutes=row.total_questions * MINUTES_PER_QUESTION,
            followups=web(request).config.max_followups > 0,
        )

    # --- manager pages ----------------------------------------------------------------------

    @app.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse("/manage", status_code=303)

    @app.get("/manage/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        if await signed_in_cookie(request):
            return RedirectResponse("/manage", status_code=303)
        return _login_page(request, state=web(request))

    def _login_page(
        request: Request, state: WebState, error: str | None = None, status: int = 200
    ) -> Response:
        form_token = new_token()
        response = page("login.html", status, title="Sign in", form_csrf=form_token, error=error)
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            form_token,
            max_age=3600,
            path="/manage/login",
            httponly=True,
            samesite="strict",
            secure=_secure(request, state.config),
        )
        return response

    @app.post("/manage/login")
    async def login(request: Request) -> Response:
        state = web(request)
        form = await _form(request)
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        presented = form.get("csrf_token", "")
        if not expected or not presented or not hashes_equal(expected, presented):
            return _login_page(request, state, "The form expired; please sign in again.", 403)
        outcome = await state.check_manager_token(request, form.get("token", "").strip())
        if outcome.wait > 0:
            seconds = retry_after(outcome.wait)
            refused = _login_page(
                request,
                state,
                f"Too many failed sign-ins from your address. Try again in {seconds} "
                + ("second." if seconds == "1" else "seconds."),
                429,
            )
            refused.headers["Retry-After"] = seconds
            return refused
        if not outcome.accepted:
            return _login_page(request, state, "That is not the manager token.", 403)
        cookie = await state.service.lookup(state.service.sign_in, state.config.sign_in_ttl)
        response = RedirectResponse("/manage", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=int(state.config.sign_in_ttl),
            path="/",
            httponly=True,
            samesite="strict",
            secure=_secure(request, state.config),
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/manage/login")
        return response

    async def manager_form(request: Request) -> tuple[str, dict[str, str]] | Response:
        """A form posted by a signed-in manager with its CSRF token: (cookie, fields), or the
        response to send instead (to the sign-in page, or 403)."""
        cookie = await signed_in_cookie(request)
        if cookie is None:
            return RedirectResponse("/manage/login", status_code=303)
        form = await _form(request)
        if not _same_origin(request) or not csrf_matches(cookie, form.get("csrf_token")):
            return page("message.html", 403, title="Forbidden", message="Missing CSRF token.")
        return cookie, form

    @app.post("/manage/logout")
    async def logout(request: Request) -> Response:
        state = web(request)
        posted = await manager_form(request)
        if isinstance(posted, Response):
            return posted
        cookie, _ = posted
        await state.service.lookup(state.service.sign_out, cookie)
        response = RedirectResponse("/manage/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/manage", response_class=HTMLResponse)
    async def dashboard(request: Request) -> Response:
        state = web(request)
        cookie = await signed_in_cookie(request)
        if cookie is None:
            return RedirectResponse("/manage/login", status_code=303)
        sessions = await state.service.call(state.service.list_sessions)
        choices = await state.service.call(state.service.question_choices)
        return page(
            "dashboard.html",
            title="Screening sessions",
            csrf=csrf_token(cookie),
            sessions=sessions,
            choices=choices,
            agreement=await state.service.call(state.service.agreement),
            chart=_score_chart(sessions),
        )

    @app.get("/manage/impact", response_class=HTMLResponse)
    async def impact_page(request: Request) -> Response:
        state = web(request)
        cookie = await signed_in_cookie(request)
        if cookie is None:
            return RedirectResponse("/manage/login", status_code=303)
        found = await state.service.call(state.service.impact)
        return page(
            "impact.html",
            title="Impact ratios",
            csrf=csrf_token(cookie),
            tables=Markup(impact_tables_html(found, min_cell=PAGE_MIN_CELL)),
            report=found,
        )

    @app.get("/manage/notice", response_class=HTMLResponse)
    async def notice_page(request: Request, saved: str = "") -> Response:
        state = web(request)
        cookie = await signed_in_cookie(request)
        if cookie is None:
            return RedirectResponse("/manage/login", status_code=303)
        version, text = await state.service.lookup(state.service.notice)
        return page(
            "notice.html",
            title="Candidate notice",
            csrf=csrf_token(cookie),
            version=version,
            text=text,
            saved=saved == "1",
        )

    @app.post("/manage/notice")
    async def save_notice(request: Request) -> Response:
        state = web(request)
        posted = await manager_form(request)
        if isinstance(posted, Response):
            return posted
        _, form = posted
        text = None if form.get("action") == "reset" else form.get("text", "")
        try:
            await state.service.lookup(state.service.set_notice, text)
        except UserError as exc:
            return page("message.html", 422, title="Notice not saved", message=str(exc))
        return RedirectResponse("/manage/notice?saved=1", status_code=303)

    @app.get("/manage/compare", response_class=HTMLResponse)
    async def compare_page(request: Request, ids: str = "") -> Response:
        state = web(request)
        cookie = await signed_in_cookie(request)
        if cookie is None:
            return RedirectResponse("/manage/login", status_code=303)
        wanted = list(dict.fromkeys(i for i in ids.split(",") if i))
        if not 2 <= len(wanted) <= 4:
            return page(
                "message.html", 422, title="Compare", message="Pick two to four finished sessions."
            )
        found = await state.service.call(state.service.compare, wanted)
        if found is None:
            return page(
                "message.html",
                404,
                title="Not found",
                message="One of those sessions does not exist or has not finished.",
            )
        questions = list(dict.fromkeys(q.question_id for _, r, _ in found for q in r.questions))
        texts = {q.question_id: q.text for _, r, _ in found for q in r.questions}
        return page(
            "compare.html",
            title="Compare candidates",
            csrf=csrf_token(cookie),
            found=found,
            questions=questions,
            texts=texts,
        )

    @app.get("/manage/sessions/{session_id}", response_class=HTMLResponse)
    async def session_page(request: Request, session_id: str) -> Response:
        state = web(request)
        cookie = await signed_in_cookie(request)
        if cookie is None:
            return RedirectResponse("/manage/login", status_code=303)
        detail = await state.service.call(state.service.session_detail, session_id)
        if detail is None:
            return page("message.html", 404, title="Not found", message="No such session.")
        row, step, turns = detail
        review = await state.service.call(state.service.session_review, session_id)
        signals = await state.service.call(state.service.answer_signals, session_id)
        return page(
            "session.html",
            signals=signals,
            title=row.label or f"Session {row.session_id}",
            csrf=csrf_token(cookie),
            row=row,
            step=step,
            report=step.report,
            turns=turns,
            review=review,
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(ValidationError)
    async def invalid_body(request: Request, exc: ValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(DatabaseError)
    async def database_unavailable(request: Request, exc: DatabaseError) -> Response:
        # One line for the operator, naming the file and what to do; the client learns only
        # that it should try again.
        error_logger.error("cannot serve %s %s: %s", request.method, _log_path(request), exc)
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers=headers)
        response = page(
            "message.html",
            503,
            title="Try again in a few minutes",
            message="The server cannot save right now. Nothing is lost; please try again "
            "in a few minutes.",
        )
        response.headers.update(headers)
        return response

    app.add_middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes)
    return app


def _check_manager_token(config: WebConfig, service: ScreeningService) -> None:
    if not config.manager_token and not service.manager_token_hash():
        raise UserError(
            "no manager token: set SCREENER_MANAGER_TOKEN, or start `screener serve` once to "
            "generate one"
        )


async def _candidate_view(
    state: WebState, session_id: str, with_history: bool = False
) -> InterviewView:
    """What the candidate sees; 404 if the session was erased since its token was looked up."""
    try:
        view: InterviewView = await state.service.call(
            state.service.candidate_view, session_id, with_history
        )
    except SessionNotFoundError:
        raise HTTPException(404, "there is no interview at this address") from None
    return view


def _too_many(detail: str, wait: float) -> HTTPException:
    return HTTPException(429, detail, headers={"Retry-After": retry_after(wait)})


def _log_path(request: Request) -> str:
    return redact_path(request.url.path)


def _unauthorized() -> HTTPException:
    return HTTPException(
        401,
        "sign in, or send Authorization: Bearer <manager token>",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _same_origin(request: Request) -> bool:
    """False if the request says it came from another origin (Origin or Referer header).

    "null" says nothing: a browser sends ``Origin: null`` with a form posted from a page under
    the no-referrer policy every page here has, so a form (sign-out, the notice) relies on its
    CSRF token, which only a page of this site can hold."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        # a browser that says where the request came from must say this site
        return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
    parts = urlsplit(source)
    return (parts.scheme, parts.netloc) == (request.url.scheme, request.url.netloc)


def _secure(request: Request, config: WebConfig) -> bool:
    return config.cookie_secure or request.url.scheme == "https"


def _candidate_url(request: Request, config: WebConfig, token: str) -> str:
    base = config.public_url.rstrip("/") if config.public_url else str(request.base_url).rstrip("/")
    return f"{base}/i/{token}"


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


async def _json_body(request: Request) -> Any:
    """The request's JSON body; 415 unless it is sent as JSON, 400 if it is not valid JSON,
    is nested deeper than ``MAX_JSON_DEPTH`` or holds an unpaired surrogate (``\\udc80``).

    Its size is limited before this by :class:`BodyLimitMiddleware` (413).
    """
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "send the body as application/json")
    too_deep = f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
    try:
        data = json.loads(await request.body())
    except RecursionError:
        raise HTTPException(400, too_deep) from None
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "the body is not valid JSON") from None
    problem = _json_problem(data)
    if problem == "depth":
        raise HTTPException(400, too_deep)
    if problem == "surrogate":
        raise HTTPException(
            400, "the JSON body holds an unpaired surrogate escape (such as \\udc80)"
        )
    return data


def _json_problem(data: Any) -> str | None:
    """What is wrong with ``data``: ``"depth"`` if it nests deeper than ``MAX_JSON_DEPTH``,
    ``"surrogate"`` if a string in it cannot be encoded as UTF-8, else None.

    Iterative, so hostile input cannot exhaust the stack.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "surrogate"
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return "depth"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


async def _form(request: Request) -> dict[str, str]:
    """A URL-encoded form body as a dict (first value of each field)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return {}
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), max_num_fields=20)
    except (ValueError, UnicodeDecodeError):
        return {}
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


def _review_body(found: SessionReview) -> dict[str, Any]:
    """A session's reviews as JSON: the current reading of each item, the decision, the history."""
    return {
        "session_id": found.session_id,
        "current": [asdict(e) for e in found.current.values()],
        "decision": asdict(found.decision) if found.decision else None,
        "history": [asdict(e) for e in found.history],
        "decisions": [asdict(d) for d in found.decisions],
    }


def _score_chart(sessions: Sequence[SessionSummary]) -> str:
    """Finished sessions per overall score (rounded), one bar series per track; "" if none."""
    done = [s for s in sessions if s.overall is not None]
    if not done:
        return ""
    tracks = sorted({s.track for s in done})
    colours = ["#3358d4", "#c2410c", "#15803d", "#7c3aed"]
    labels = ["1", "2", "3", "4", "5"]
    series = [
        BarSeries(
            track,
            [
                float(sum(1 for s in done if s.track == track and _level(s.overall) == level))
                for level in range(1, 6)
            ],
            colours[k % len(colours)],
        )
        for k, track in enumerate(tracks)
    ]
    return bar_chart(
        "score-distribution",
        "Overall scores of finished sessions, by track",
        labels,
        series,
        value_label="sessions",
        description="How many finished sessions have each rounded overall score, per track.",
        value_format="{:.0f}",
    )


def _level(overall: float | None) -> int:
    return 0 if overall is None else max(1, min(5, int(overall + 0.5)))
