"""Request and response bodies of the web API (validated at the edge, ``extra="forbid"``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: The longest candidate label accepted, in characters.
MAX_LABEL_CHARS = 200


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSession(_Body):
    """``POST /api/sessions``: what to ask and who is being screened."""

    track: str = Field(default="ai-engineer", min_length=1, max_length=64)
    question_ids: list[str] | None = Field(
        default=None, max_length=20, description="Questions to ask, in order (overrides count)."
    )
    questions: int | None = Field(default=None, ge=1, le=20, description="How many to ask.")
    provider: str = Field(default="offline", min_length=1, max_length=100)
    candidate_label: str = Field(default="", max_length=MAX_LABEL_CHARS)
    expires_in_days: int | None = Field(
        default=None, ge=1, le=365, description="Days the link works (default: the server's)."
    )


class SessionCreated(_Body):
    """The one response that shows a candidate token."""

    session_id: str
    candidate_token: str
    candidate_url: str
    expires_at: str | None = None


class NewLink(_Body):
    """``POST /api/sessions/{id}/link``: re-issue the candidate link (the old one stops)."""

    expires_in_days: int | None = Field(default=None, ge=1, le=365)


class BulkCreate(_Body):
    """``POST /api/sessions/bulk``: a CSV of candidates (a ``candidate_label`` column, and
    optionally ``track`` and ``questions``); the answer is a CSV of their links."""

    csv: str = Field(min_length=1, max_length=60_000)
    track: str = Field(default="ai-engineer", min_length=1, max_length=64)
    questions: int = Field(default=3, ge=1, le=20)
    expires_in_days: int | None = Field(default=None, ge=1, le=365)


class Progress(_Body):
    answered: int
    total: int


class HistoryTurn(_Body):
    """One exchange the candidate already had: the interviewer's prompt and their answer."""

    kind: Literal["question", "probe"]
    prompt: str
    answer: str


class InterviewView(_Body):
    """What the candidate sees: the interviewer's current message and progress. No scores."""

    status: Literal["in_progress", "done"]
    message: str
    progress: Progress
    question: int | None = Field(
        default=None, description="The number of the question being asked (1-based)."
    )
    kind: Literal["question", "probe"] | None = None
    max_answer_chars: int
    history: list[HistoryTurn] | None = None
    notice_version: str | None = Field(
        default=None,
        description="Set until the candidate confirms this version of the notice, which the "
        "first answer needs (POST .../consent).",
    )
    demographics: bool | None = Field(
        default=None,
        description="True once done, when the optional questions about the candidate (sex, "
        "race/ethnicity) may be answered (POST .../demographics).",
    )


class Consent(_Body):
    """``POST /api/interview/{token}/consent``: the notice version the candidate confirmed."""

    notice_version: str = Field(min_length=1, max_length=64)


class DemographicsAnswer(_Body):
    """``POST /api/interview/{token}/demographics``: the candidate's own answers; a field left
    out or null is declined. Never shown to a grader or in any one candidate's report."""

    sex: str | None = Field(default=None, max_length=40)
    race: str | None = Field(default=None, max_length=40)


class NoticeText(_Body):
    """``PUT /api/notice``: the notice candidates read first; null or blank for the default."""

    text: str | None = Field(default=None, max_length=20_000)


#: What a client's answer id may look like (a UUID, or 16+ random bytes in hex or base64url).
ANSWER_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class AnswerSignals(_Body):
    """How an answer was written, measured by the candidate's page: shown to the hiring manager
    beside the transcript, never read by any grader."""

    first_key_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    submit_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    pasted_chars: int = Field(default=0, ge=0, le=10_000_000)
    focus_changes: int = Field(default=0, ge=0, le=100_000)


class Answer(_Body):
    """``POST /api/interview/{token}/answer``."""

    answer: str
    answer_id: str | None = Field(
        default=None,
        pattern=ANSWER_ID_PATTERN,
        description="Chosen by the client, one per answer and the same when it is sent again: "
        "a repeat returns the current message and records nothing.",
    )
    signals: AnswerSignals | None = None


class SessionSummary(_Body):
    """One row of the manager's session list."""

    session_id: str
    candidate_label: str
    track: str
    status: Literal["in_progress", "done"]
    answered: int
    total: int
    overall: float | None
    tourist: bool | None
    started_at: str
    finished_at: str | None
    decision: Literal["advance", "hold", "reject"] | None = None


class Agreement(_Body):
    """The grader's agreement with the people who reviewed its scores (see
    :func:`agent.review.agreement`)."""

    reviewed: int
    needed: int
    qwk: float | None
    exact: float | None
    bar: float
    below: bool


class SessionList(_Body):
    sessions: list[SessionSummary]
    agreement: Agreement | None = None


class ReviewRequest(_Body):
    """``POST /api/sessions/{id}/reviews``: a person's scores beside the grader's (see
    :mod:`agent.review`); the same value as the grader's accepts it."""

    question_id: str | None = Field(default=None, max_length=64)
    overall: int | None = Field(default=None, ge=1, le=5)
    criteria: dict[str, int] = Field(default_factory=dict, max_length=20)
    tourist: bool | None = None
    reason: str = Field(default="", max_length=2000)
    reviewer: str = Field(min_length=1, max_length=100)


class DecisionRequest(_Body):
    """``POST /api/sessions/{id}/decision``: advance, hold or reject, with notes."""

    decision: Literal["advance", "hold", "reject"]
    notes: str = Field(default="", max_length=4000)
    reviewer: str = Field(min_length=1, max_length=100)
