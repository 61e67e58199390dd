"""Settings of the web server, read by ``screener serve`` from flags and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .._database import is_postgres_url, redact_url
from .._errors import UserError
from .limits import SignInPolicy
from .security import GENERATE_TOKEN, new_token, token_hash, token_weakness
from .store import MANAGER_TOKEN_KEY, AppStore, app_db_path

#: Environment variable holding the manager token (otherwise one is generated and stored).
MANAGER_TOKEN_ENV = "SCREENER_MANAGER_TOKEN"


@dataclass(frozen=True)
class WebConfig:
    """Everything :func:`agent.web.create_app` needs. Defaults are the documented ones.

    Give ``db_path`` (SQLite: one server process) or ``database_url`` (PostgreSQL: any number
    of server processes on one database), not both.
    """

    db_path: Path | None = None
    """The LangGraph checkpoint database (interview state, answers, reports), SQLite."""
    app_db_path: Path | None = None
    """The web database (sessions, token hashes, labels); default: next to ``db_path``."""
    database_url: str | None = None
    """``postgresql://USER:PASS@HOST:PORT/DB``: interview state and web data in one database."""
    manager_token: str | None = None
    """The manager token if given (``$SCREENER_MANAGER_TOKEN``); else the stored hash is used."""
    public_url: str | None = None
    """Base of candidate URLs (behind a proxy); default: the URL the request came in on."""
    answer_rate_limit: int = 10
    """Answer submissions allowed per candidate token per ``rate_window`` seconds."""
    rate_window: float = 60.0
    max_body_bytes: int = 64 * 1024
    """Request bodies over this many bytes are refused with 413."""
    stream_delay: float = 0.02
    """Seconds between the words of a streamed interviewer message."""
    sign_in_ttl: float = 12 * 3600
    """How long a manager sign-in lasts, in seconds."""
    cookie_secure: bool = False
    """Mark cookies ``Secure`` even when the request came over plain HTTP (behind TLS proxy)."""
    max_followups: int = 1
    """Follow-up probes per question at most."""
    link_days: int = 14
    """Days a candidate link works after it is created or re-issued (a session may set its own)."""
    retention_days: int | None = None
    """Erase sessions (transcript, report, reviews' free text) this many days after they were
    created; None keeps them until deleted. The audit log keeps ids, scores and hashes."""
    require_consent: bool = True
    """A candidate confirms the notice (``/manage/notice``) before the first answer; the
    confirmation and the notice's version go into the audit log."""
    ask_demographics: bool = True
    """After the last answer, offer the candidate the optional, self-reported sex and
    race/ethnicity questions of the impact report (``screener audit impact``)."""
    read_limit: int = 30
    """Reads (chat page, interview state, event stream) per candidate token per
    ``read_window`` seconds, with bursts up to this many; per server process."""
    read_window: float = 60.0
    stream_limit: int = 2
    """Event streams one candidate token may have open at once; per server process."""
    sign_in: SignInPolicy = field(default_factory=SignInPolicy)
    """How failed sign-ins back off, per address and across addresses (see
    :mod:`agent.web.limits`); shared by every process on the database."""

    def __post_init__(self) -> None:
        if (self.db_path is None) == (self.database_url is None):
            raise UserError("give WebConfig one of db_path (SQLite) and database_url (PostgreSQL)")
        if self.database_url is not None and not is_postgres_url(self.database_url):
            raise UserError(
                f"database_url {redact_url(self.database_url)!r} is not postgresql://...; "
                "give a SQLite file as db_path"
            )

    @property
    def web_db_path(self) -> Path:
        """The SQLite web database's path (only with ``db_path``)."""
        if self.db_path is None:
            raise ValueError("the web data is in PostgreSQL; see WebConfig.app_database")
        return self.app_db_path or app_db_path(self.db_path)

    @property
    def app_database(self) -> Path | str:
        """Where the web data lives: a SQLite file, or the PostgreSQL URL."""
        return self.database_url if self.database_url is not None else self.web_db_path

    def describe(self) -> str:
        """Where the data lives, for messages (passwords redacted)."""
        return redact_url(self.database_url) if self.database_url else str(self.db_path)


def manager_token_from_env() -> str | None:
    """``$SCREENER_MANAGER_TOKEN`` if set and hard to guess; a :class:`UserError` if it is not.

    Refused: fewer than 32 characters, few different characters, or a low estimated entropy
    (dictionary words, runs such as ``abcdef`` or ``123456``, repeats): see
    :func:`agent.web.security.token_weakness`.
    """
    token = os.environ.get(MANAGER_TOKEN_ENV, "").strip()
    if not token:
        return None
    weakness = token_weakness(token)
    if weakness:
        raise UserError(
            f"{MANAGER_TOKEN_ENV} is too easy to guess: {weakness}; "
            f"generate one with: {GENERATE_TOKEN}"
        )
    return token


def provision_manager_token(config: WebConfig, *, rotate: bool = False) -> str | None:
    """Make sure a manager token exists; return it only if it was generated now.

    With ``config.manager_token`` set nothing is generated. Otherwise the first start (or
    ``rotate``) generates a token, stores its hash in the web database, signs every browser
    out, and returns the token so the caller can print it once.
    """
    if config.manager_token and not rotate:
        return None
    store = AppStore(config.app_database)
    try:
        token = new_token()
        if rotate:
            store.set_setting(MANAGER_TOKEN_KEY, token_hash(token))
        elif not store.add_setting(MANAGER_TOKEN_KEY, token_hash(token)):
            return None  # generated before (maybe by another instance starting now)
        store.delete_all_manager_sessions()
        return token
    finally:
        store.close()
