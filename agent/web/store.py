"""The web front end's own database: sessions, token hashes, labels, sign-ins, rate limits.

Interview state (questions, answers, verdicts, reports) lives in LangGraph's checkpoint database
(:meth:`agent.Interview.open`); this database only holds what the web needs around it. Tokens
are never stored: only their SHA-256 hashes (see :mod:`agent.web.security`).

Two backends behind one small interface (:class:`_Database`), with the same tables:

- **SQLite** (``<db>.web.sqlite`` beside the checkpoint file): WAL mode with
  ``synchronous=FULL``, so a committed row survives ``kill -9``; one connection behind a lock.
- **PostgreSQL** (the ``--database-url`` database, beside the checkpoint tables): a pool of
  autocommit connections, so every statement is committed when it returns. Several server
  processes share it.

Everything that must agree across processes goes through the database: token lookups, sign-ins,
the manager token's hash, the answer rate limit and the failed sign-ins. Changes that read and
then write run in one transaction holding a lock (SQLite: ``BEGIN IMMEDIATE``, the database's
write lock; PostgreSQL: an advisory lock per key), so two processes can neither double-count nor
lose an update.

Tables::

    settings          key -> value (the manager token's hash)
    sessions          session_id, candidate token hash, label, track, timestamps, summary,
                      when the candidate link expires
    manager_sessions  signed-in browsers: cookie hash, expiry
    rate_events       answer submissions per candidate token hash (the sliding window)
    sign_in_failures  failed sign-ins in a row per client address (agent.web.limits)
    sign_in_events    when each failed sign-in happened, from any address (the global cap)
    answer_signals    how each answer was written (time to the first key and to sending, pasted
                      characters, focus changes): shown to the manager, never graded
    reviews           a person's score for an answer, a criterion or the tourist flag (append-only)
    decisions         advance / hold / reject per session, with notes (append-only)
    audit_log         every review and decision: who, when, before and after, the grader's
                      name, version and hashes (append-only; see :mod:`agent.review`)

A full disk, a read-only file, a locked or damaged database raise
:class:`agent._errors.DatabaseError` (one line naming the file); nothing is lost.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .._database import (
    LOCK_NAMESPACE,
    SQLITE_BUSY_TIMEOUT,
    connection_pool,
    database_errors,
    parse_database_url,
)
from .limits import SignInOutcome, SignInPolicy

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

# SQL is written once with ``?`` placeholders and the types both backends understand
# (DOUBLE PRECISION: PostgreSQL's REAL is single precision). ``{rowid}`` gives PostgreSQL the
# insertion order SQLite keeps in its implicit ``rowid`` column, so queries are the same.
SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    session_id           TEXT PRIMARY KEY,
    candidate_token_hash TEXT NOT NULL UNIQUE,
    label                TEXT NOT NULL DEFAULT '',
    track                TEXT NOT NULL,
    total_questions      INTEGER NOT NULL,
    created_at           TEXT NOT NULL,
    finished_at          TEXT,
    answered             INTEGER,
    overall              DOUBLE PRECISION,
    tourist              INTEGER,
    expires_at           TEXT{rowid}
);
CREATE TABLE IF NOT EXISTS manager_sessions (
    cookie_hash TEXT PRIMARY KEY,
    created_at  DOUBLE PRECISION NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_events (
    key TEXT NOT NULL,
    at  DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_key_at ON rate_events (key, at);
CREATE INDEX IF NOT EXISTS rate_events_at ON rate_events (at);
CREATE TABLE IF NOT EXISTS sign_in_failures (
    address  TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at  DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_in_events (
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_events_at ON sign_in_events (at);
CREATE TABLE IF NOT EXISTS answer_signals (
    session_id    TEXT NOT NULL,
    turn          INTEGER NOT NULL,
    first_key_ms  INTEGER,
    submit_ms     INTEGER,
    pasted_chars  INTEGER NOT NULL,
    answer_chars  INTEGER NOT NULL,
    focus_changes INTEGER NOT NULL,
    PRIMARY KEY (session_id, turn)
);
CREATE TABLE IF NOT EXISTS reviews (
    session_id  TEXT NOT NULL,
    question_id TEXT NOT NULL,
    item        TEXT NOT NULL,
    grader      INTEGER,
    human       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    at          TEXT NOT NULL{rowid}
);
CREATE INDEX IF NOT EXISTS reviews_session ON reviews (session_id);
CREATE TABLE IF NOT EXISTS decisions (
    session_id TEXT NOT NULL,
    decision   TEXT NOT NULL,
    notes      TEXT NOT NULL,
    reviewer   TEXT NOT NULL,
    at         TEXT NOT NULL{rowid}
);
CREATE INDEX IF NOT EXISTS decisions_session ON decisions (session_id);
CREATE TABLE IF NOT EXISTS audit_log (
    at             TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    session_id     TEXT NOT NULL,
    question_id    TEXT NOT NULL,
    item           TEXT NOT NULL,
    before_value   TEXT,
    after_value    TEXT,
    reason         TEXT NOT NULL,
    grader         TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    prompt_hash    TEXT NOT NULL,
    rubric_hash    TEXT NOT NULL{rowid}
);
CREATE INDEX IF NOT EXISTS audit_log_session ON audit_log (session_id, action);
CREATE TABLE IF NOT EXISTS demographics (
    session_id TEXT PRIMARY KEY,
    sex        TEXT,
    race       TEXT
);
CREATE TABLE IF NOT EXISTS notices (
    version    TEXT PRIMARY KEY,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""

MANAGER_TOKEN_KEY = "manager_token_sha256"

#: The audit log's columns, in order.
AUDIT_FIELDS = (
    "at",
    "actor",
    "action",
    "session_id",
    "question_id",
    "item",
    "before_value",
    "after_value",
    "reason",
    "grader",
    "grader_version",
    "prompt_hash",
    "rubric_hash",
)
_AUDIT_COLUMNS = ", ".join(AUDIT_FIELDS)

_COLUMNS = (
    "session_id, candidate_token_hash, label, track, total_questions, created_at, finished_at, "
    "answered, overall, tourist, expires_at"
)
#: Columns added after a table was first created: (table, column, type), added on open.
_ADDED_COLUMNS = (("sessions", "expires_at", "TEXT"),)


def utc_now() -> str:
    """The current time as an ISO 8601 UTC timestamp with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def app_db_path(checkpoint_db: Path) -> Path:
    """Where the web database lives next to the checkpoint database ``checkpoint_db``."""
    return checkpoint_db.with_name(checkpoint_db.stem + ".web.sqlite")


@dataclass(frozen=True)
class SessionRow:
    """One screening session as the web front end records it."""

    session_id: str
    candidate_token_hash: str
    label: str
    track: str
    total_questions: int
    created_at: str
    finished_at: str | None
    answered: int | None
    overall: float | None
    tourist: bool | None
    expires_at: str | None = None
    """When the candidate link stops working (ISO 8601 UTC); None: never (older sessions)."""

    def expired(self, now: str | None = None) -> bool:
        """Whether the candidate link has expired (``now``: an ISO 8601 UTC time)."""
        return self.expires_at is not None and (now or utc_now()) >= self.expires_at


# --- the two backends -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    rows: list[tuple[Any, ...]]
    rowcount: int

    def one(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class _Executor(Protocol):
    def execute(self, sql: str, params: Sequence[object] = ()) -> _Result:
        """Run one statement (``?`` placeholders); its rows, if any, and its row count."""
        ...


class _Database(_Executor, Protocol):
    """What :class:`AppStore` needs from a database. Statements outside a transaction commit
    when they return; a transaction holds the lock ``lock`` against every process until it
    commits (or rolls back on an exception)."""

    def transaction(self, lock: str) -> AbstractContextManager[_Executor]: ...

    def close(self) -> None: ...


class _SQLite:
    """One SQLite connection in autocommit mode, shared by threads behind a lock."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        with database_errors(path, os_errors=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                str(path),
                check_same_thread=False,
                isolation_level=None,
                timeout=SQLITE_BUSY_TIMEOUT,
            )
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.execute("PRAGMA foreign_keys=ON")
                self._conn.executescript(SCHEMA.format(rowid=""))
                for table, column, kind in _ADDED_COLUMNS:  # a database from an older version
                    have = {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}
                    if column not in have:
                        self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            except BaseException:
                self._conn.close()
                raise

    def execute(self, sql: str, params: Sequence[object] = ()) -> _Result:
        with self._lock, database_errors(self._path):
            return self._run(sql, params)

    def _run(self, sql: str, params: Sequence[object]) -> _Result:
        cursor = self._conn.execute(sql, tuple(params))
        return _Result(cursor.fetchall(), cursor.rowcount)

    @contextmanager
    def transaction(self, lock: str) -> Iterator[_Executor]:
        """A transaction holding the database's write lock (every process), ``lock`` unused."""
        with self._lock, database_errors(self._path):
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Bound(self._run)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _Postgres:
    """A pool of autocommit PostgreSQL connections; ``?`` placeholders become ``%s``."""

    def __init__(self, url: str) -> None:
        # The server's worker thread and its lookup thread each use one connection at a time.
        self._url = url
        self._pool: ConnectionPool[Any] = connection_pool(
            url, feature="PostgreSQL (postgresql:// URLs)", max_size=4
        )
        try:
            with self.transaction("web-schema") as tx:  # instances starting together
                schema = SCHEMA.format(rowid=",\n    rowid BIGINT GENERATED ALWAYS AS IDENTITY")
                for statement in schema.split(";"):
                    tx.execute(statement)
                for table, column, kind in _ADDED_COLUMNS:  # a database from an older version
                    tx.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
        except BaseException:
            self._pool.close()
            raise

    def execute(self, sql: str, params: Sequence[object] = ()) -> _Result:
        with database_errors(self._url), self._pool.connection() as conn:
            return _pg_run(conn, sql, params)

    @contextmanager
    def transaction(self, lock: str) -> Iterator[_Executor]:
        """A transaction holding the advisory lock ``lock`` (every process) until it ends."""
        with database_errors(self._url), self._pool.connection() as conn, conn.transaction():
            _pg_run(conn, "SELECT pg_advisory_xact_lock(?, hashtext(?))", (LOCK_NAMESPACE, lock))
            yield _Bound(lambda sql, params: _pg_run(conn, sql, params))

    def close(self) -> None:
        self._pool.close()


def _pg_run(conn: Connection[Any], sql: str, params: Sequence[object]) -> _Result:
    cursor = conn.execute(sql.replace("?", "%s"), tuple(params))
    rows = cursor.fetchall() if cursor.description is not None else []
    return _Result([tuple(r) for r in rows], cursor.rowcount)


class _Bound:
    """An executor inside a transaction."""

    def __init__(self, run: Callable[[str, Sequence[object]], _Result]) -> None:
        self._run = run

    def execute(self, sql: str, params: Sequence[object] = ()) -> _Result:
        return self._run(sql, params)


# --- the store --------------------------------------------------------------------------------


class AppStore:
    """The web database. Thread-safe.

    ``location`` is a SQLite file, or a database URL (``sqlite:///PATH`` or
    ``postgresql://...``; PostgreSQL needs the ``postgres`` extra).
    """

    def __init__(self, location: Path | str) -> None:
        target = parse_database_url(location) if isinstance(location, str) else location
        self.location = target
        self._db: _Database = _SQLite(target) if isinstance(target, Path) else _Postgres(target)
        self._last_sweep = 0.0
        self._last_sign_in_sweep = 0.0

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        return self.location if isinstance(self.location, Path) else None

    def close(self) -> None:
        """Close the connection (or the pool)."""
        self._db.close()

    # --- settings ---------------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).one()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""
        self._db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_setting(self, key: str) -> None:
        self._db.execute("DELETE FROM settings WHERE key = ?", (key,))

    def add_setting(self, key: str, value: str) -> bool:
        """Store ``value`` under ``key`` unless a value is there already; True if stored.

        Atomic, so of two processes starting together exactly one stores its value.
        """
        result = self._db.execute(
            "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
            (key, value),
        )
        return result.rowcount > 0

    # --- sessions ---------------------------------------------------------------------------

    def add_session(
        self,
        session_id: str,
        token_hash: str,
        label: str,
        track: str,
        total_questions: int,
        expires_at: str | None = None,
    ) -> SessionRow:
        """Record a new session; return its row."""
        created = utc_now()
        self._db.execute(
            "INSERT INTO sessions(session_id, candidate_token_hash, label, track, "
            "total_questions, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (session_id, token_hash, label, track, total_questions, created, expires_at),
        )
        return SessionRow(
            session_id,
            token_hash,
            label,
            track,
            total_questions,
            created,
            None,
            None,
            None,
            None,
            expires_at,
        )

    def replace_token(self, session_id: str, token_hash: str, expires_at: str | None) -> bool:
        """Give a session a new candidate token hash and expiry: the old link stops at once, on
        every process. False if there is no such session."""
        with self._db.transaction(f"session:{session_id}") as tx:
            if not self._drop_token(tx, session_id):
                return False
            tx.execute(
                "UPDATE sessions SET candidate_token_hash = ?, expires_at = ? WHERE session_id = ?",
                (token_hash, expires_at, session_id),
            )
        return True

    def session(self, session_id: str) -> SessionRow | None:
        """The session with this id, or None."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE session_id = ?", (session_id,)
        ).one()
        return None if row is None else _session_row(row)

    def session_by_token_hash(self, token_hash: str) -> SessionRow | None:
        """The session whose candidate token has this hash, or None."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE candidate_token_hash = ?", (token_hash,)
        ).one()
        return None if row is None else _session_row(row)

    def sessions(self) -> list[SessionRow]:
        """Every session, newest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM sessions ORDER BY created_at DESC, rowid DESC"
        ).rows
        return [_session_row(r) for r in rows]

    def finish_session(
        self, session_id: str, answered: int, overall: float | None, tourist: bool
    ) -> None:
        """Record that a session ended, with its report's headline figures (once)."""
        self._db.execute(
            "UPDATE sessions SET finished_at = ?, answered = ?, overall = ?, tourist = ? "
            "WHERE session_id = ? AND finished_at IS NULL",
            (utc_now(), answered, overall, int(tourist), session_id),
        )

    def delete_session(self, session_id: str) -> bool:
        """Erase a session's row and its rate-limit history (its token stops working at once).

        True if it existed.
        """
        with self._db.transaction(f"session:{session_id}") as tx:
            if not self._drop_token(tx, session_id):
                return False
            tx.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
            self._erase_reviews(tx, session_id)
        return True

    @staticmethod
    def _drop_token(tx: _Executor, session_id: str) -> bool:
        """Forget the rate-limit history of the session's current token; False if no session."""
        row = tx.execute(
            "SELECT candidate_token_hash FROM sessions WHERE session_id = ?", (session_id,)
        ).one()
        if row is None:
            return False
        tx.execute("DELETE FROM rate_events WHERE key = ?", (row[0],))
        return True

    @staticmethod
    def _erase_reviews(tx: _Executor, session_id: str) -> None:
        """A deleted session's reviews and decisions go; its log lines keep ids, scores and
        hashes, without the free text a person wrote (a reason may name the candidate)."""
        tx.execute("DELETE FROM answer_signals WHERE session_id = ?", (session_id,))
        tx.execute("DELETE FROM reviews WHERE session_id = ?", (session_id,))
        tx.execute("DELETE FROM decisions WHERE session_id = ?", (session_id,))
        tx.execute("DELETE FROM demographics WHERE session_id = ?", (session_id,))
        tx.execute("UPDATE audit_log SET reason = '' WHERE session_id = ?", (session_id,))

    def erase_reviews(self, session_id: str) -> None:
        """Erase what people wrote about a session (a session deleted from the CLI's store)."""
        with self._db.transaction(f"session:{session_id}") as tx:
            self._erase_reviews(tx, session_id)

    # --- reviews, decisions and the audit log (agent.review) ---------------------------------

    def append_reviews(
        self,
        reviews: Sequence[tuple[object, ...]] = (),
        decisions: Sequence[tuple[object, ...]] = (),
        audit: Sequence[tuple[object, ...]] = (),
    ) -> None:
        """Append reviews (session, question, item, grader, human, reason, reviewer, at),
        decisions (session, decision, notes, reviewer, at) and their log lines (columns as
        :data:`AUDIT_FIELDS`) in one transaction: all or none."""
        with self._db.transaction("reviews") as tx:
            for row in reviews:
                tx.execute(
                    "INSERT INTO reviews(session_id, question_id, item, grader, human, reason, "
                    "reviewer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            for row in decisions:
                tx.execute(
                    "INSERT INTO decisions(session_id, decision, notes, reviewer, at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    row,
                )
            for line in audit:
                tx.execute(
                    f"INSERT INTO audit_log({_AUDIT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    line,
                )

    def review_rows(self, session_id: str | None = None) -> list[tuple[Any, ...]]:
        """Reviews in the order given: (session, question, item, grader, human, reason,
        reviewer, at); of one session, or of all."""
        where, params = ("WHERE session_id = ? ", (session_id,)) if session_id else ("", ())
        return self._db.execute(
            "SELECT session_id, question_id, item, grader, human, reason, reviewer, at "
            f"FROM reviews {where}ORDER BY rowid",
            params,
        ).rows

    def decision_rows(self, session_id: str | None = None) -> list[tuple[Any, ...]]:
        """Decisions in the order given: (session, decision, notes, reviewer, at)."""
        where, params = ("WHERE session_id = ? ", (session_id,)) if session_id else ("", ())
        return self._db.execute(
            "SELECT session_id, decision, notes, reviewer, at FROM decisions "
            f"{where}ORDER BY rowid",
            params,
        ).rows

    def add_signals(self, session_id: str, turn: int, values: Sequence[object]) -> None:
        """Record how answer ``turn`` was written: (first_key_ms, submit_ms, pasted_chars,
        answer_chars, focus_changes); a repeat of the same turn keeps the first."""
        self._db.execute(
            "INSERT INTO answer_signals(session_id, turn, first_key_ms, submit_ms, pasted_chars, "
            "answer_chars, focus_changes) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(session_id, turn) DO NOTHING",
            (session_id, turn, *values),
        )

    def signals(self, session_id: str) -> dict[int, tuple[Any, ...]]:
        """Turn -> (first_key_ms, submit_ms, pasted_chars, answer_chars, focus_changes)."""
        rows = self._db.execute(
            "SELECT turn, first_key_ms, submit_ms, pasted_chars, answer_chars, focus_changes "
            "FROM answer_signals WHERE session_id = ?",
            (session_id,),
        ).rows
        return {int(r[0]): tuple(r[1:]) for r in rows}

    def has_audit(self, session_id: str, action: str) -> bool:
        """Whether the log has a line of ``action`` for ``session_id``."""
        row = self._db.execute(
            "SELECT 1 FROM audit_log WHERE session_id = ? AND action = ? LIMIT 1",
            (session_id, action),
        ).one()
        return row is not None

    def audit_rows(self) -> list[tuple[Any, ...]]:
        """The whole audit log, oldest first (columns as :data:`AUDIT_FIELDS`)."""
        return self._db.execute(f"SELECT {_AUDIT_COLUMNS} FROM audit_log ORDER BY rowid").rows

    # --- demographics and the notice (agent.compliance) -------------------------------------

    def add_demographics(self, session_id: str, sex: str | None, race: str | None) -> bool:
        """Record what a candidate chose to say, once per session (False: already answered).
        Kept in its own table, read only in aggregate by the impact report."""
        result = self._db.execute(
            "INSERT INTO demographics(session_id, sex, race) VALUES (?, ?, ?) "
            "ON CONFLICT(session_id) DO NOTHING",
            (session_id, sex, race),
        )
        return result.rowcount > 0

    def has_demographics(self, session_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM demographics WHERE session_id = ?", (session_id,)
        ).one()
        return row is not None

    def demographic_rows(self) -> list[tuple[Any, ...]]:
        """(session, sex, race) of every candidate who answered."""
        return self._db.execute("SELECT session_id, sex, race FROM demographics").rows

    def add_notice(self, version: str, text: str) -> None:
        """Keep the text of a notice version (so a consent's version names the text read)."""
        self._db.execute(
            "INSERT INTO notices(version, text, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(version) DO NOTHING",
            (version, text, utc_now()),
        )

    def notice_rows(self) -> list[tuple[Any, ...]]:
        """(version, text, created_at) of every notice shown, oldest first."""
        return self._db.execute(
            "SELECT version, text, created_at FROM notices ORDER BY created_at, version"
        ).rows

    # --- answer rate limit ------------------------------------------------------------------

    def rate_limit(self, key: str, limit: int, window: float, now: float | None = None) -> float:
        """Count an event for ``key`` and return 0, or return the seconds to wait if over.

        A sliding window: at most ``limit`` events per ``window`` seconds; refusals are not
        counted. ``key`` is a token hash, never a token. Shared by every process on the
        database; times are the servers' clocks (keep them in sync, e.g. with NTP).
        """
        now = time.time() if now is None else now
        with self._db.transaction(f"rate:{key}") as tx:
            tx.execute("DELETE FROM rate_events WHERE key = ? AND at <= ?", (key, now - window))
            row = tx.execute(
                "SELECT count(*), min(at) FROM rate_events WHERE key = ?", (key,)
            ).one()
            count, oldest = (0, None) if row is None else row
            if int(count) >= limit and oldest is not None:
                return max(0.0, window - (now - float(oldest)))
            tx.execute("INSERT INTO rate_events(key, at) VALUES (?, ?)", (key, now))
        if now - self._last_sweep > window:  # drop idle keys now and then
            self._last_sweep = now
            self._db.execute("DELETE FROM rate_events WHERE at <= ?", (now - window,))
        return 0.0

    def rate_keys(self) -> int:
        """How many keys have events stored (for tests and diagnostics)."""
        row = self._db.execute("SELECT count(DISTINCT key) FROM rate_events").one()
        return 0 if row is None else int(row[0])

    # --- failed sign-ins (agent.web.limits) -------------------------------------------------

    def sign_in(
        self,
        address: str,
        matches: Callable[[], bool],
        policy: SignInPolicy,
        now: float | None = None,
    ) -> SignInOutcome:
        """Check a sign-in attempt from ``address`` (a key, see ``address_key``), or refuse it.

        In one transaction: if ``policy`` says the address must wait, the attempt is refused
        unchecked and not counted; else ``matches()`` decides, and a failure is counted for the
        address and for all addresses, a success clears the address's record. Shared by every
        process on the database; times are the servers' clocks.
        """
        now = time.time() if now is None else now
        cutoff = now - policy.global_window
        with self._db.transaction("sign-in") as tx:
            row = tx.execute(
                "SELECT failures, last_at FROM sign_in_failures WHERE address = ?", (address,)
            ).one()
            failures, last = (0, None) if row is None else (int(row[0]), float(row[1]))
            if last is not None and now - last > policy.forget:
                failures, last = 0, None
            recent = tx.execute(
                "SELECT count(*), min(at) FROM sign_in_events WHERE at > ?", (cutoff,)
            ).one()
            count = 0 if recent is None else int(recent[0])
            oldest = None if recent is None or recent[1] is None else float(recent[1])
            wait = policy.wait(failures, last, count, oldest, now)
            if wait > 0:
                return SignInOutcome(False, wait=wait, failures=failures, global_failures=count)
            if matches():
                if row is not None:
                    tx.execute("DELETE FROM sign_in_failures WHERE address = ?", (address,))
                return SignInOutcome(True)
            failures += 1
            tx.execute(
                "INSERT INTO sign_in_failures(address, failures, last_at) VALUES (?, ?, ?) "
                "ON CONFLICT(address) DO UPDATE SET failures = excluded.failures, "
                "last_at = excluded.last_at",
                (address, failures, now),
            )
            tx.execute("DELETE FROM sign_in_events WHERE at <= ?", (cutoff,))
            tx.execute("INSERT INTO sign_in_events(at) VALUES (?)", (now,))
            count += 1
            next_wait = policy.wait(failures, now, count, oldest if oldest else now, now)
        if now - self._last_sign_in_sweep > policy.global_window:  # forget idle addresses
            self._last_sign_in_sweep = now
            self._db.execute(
                "DELETE FROM sign_in_failures WHERE last_at <= ?", (now - policy.forget,)
            )
        return SignInOutcome(False, failures=failures, global_failures=count, next_wait=next_wait)

    def sign_in_addresses(self) -> int:
        """How many addresses have failed sign-ins on record (for tests and diagnostics)."""
        row = self._db.execute("SELECT count(*) FROM sign_in_failures").one()
        return 0 if row is None else int(row[0])

    # --- manager sign-ins -------------------------------------------------------------------

    def add_manager_session(self, cookie_hash: str, ttl_seconds: float) -> None:
        """Record a signed-in browser for ``ttl_seconds``; drop expired sign-ins."""
        now = time.time()
        with self._db.transaction("manager-sessions") as tx:
            tx.execute("DELETE FROM manager_sessions WHERE expires_at < ?", (now,))
            tx.execute(
                "INSERT INTO manager_sessions(cookie_hash, created_at, expires_at) "
                "VALUES (?, ?, ?)",
                (cookie_hash, now, now + ttl_seconds),
            )

    def manager_session_hash(self, cookie_hash: str) -> str | None:
        """The stored hash equal to ``cookie_hash`` if that sign-in exists and has not expired."""
        row = self._db.execute(
            "SELECT cookie_hash FROM manager_sessions WHERE cookie_hash = ? AND expires_at > ?",
            (cookie_hash, time.time()),
        ).one()
        return None if row is None else str(row[0])

    def delete_manager_session(self, cookie_hash: str) -> None:
        """Sign a browser out."""
        self._db.execute("DELETE FROM manager_sessions WHERE cookie_hash = ?", (cookie_hash,))

    def delete_all_manager_sessions(self) -> None:
        """Sign every browser out (after the manager token changes)."""
        self._db.execute("DELETE FROM manager_sessions")


def _session_row(row: tuple[object, ...]) -> SessionRow:
    sid, token_hash, label, track, total, created, finished, answered, overall, tourist, ends = row
    return SessionRow(
        session_id=str(sid),
        candidate_token_hash=str(token_hash),
        label=str(label),
        track=str(track),
        total_questions=int(str(total)),
        created_at=str(created),
        finished_at=None if finished is None else str(finished),
        answered=None if answered is None else int(str(answered)),
        overall=None if overall is None else float(str(overall)),
        tourist=None if tourist is None else bool(tourist),
        expires_at=None if ends is None else str(ends),
    )
