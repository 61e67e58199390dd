"""The web front end's own SQLite database: sessions, token hashes, labels, sign-ins.

Interview state (questions, answers, verdicts, reports) lives in LangGraph's checkpoint database
(:meth:`agent.Interview.open`); this database only holds what the web needs around it. It runs
in WAL mode with ``synchronous=FULL``, so a committed row survives ``kill -9``. Tokens are never
stored: only their SHA-256 hashes (see :mod:`agent.web.security`).

Tables::

    settings          key -> value (the manager token's hash)
    sessions          session_id, candidate token hash, label, track, timestamps, summary
    manager_sessions  signed-in browsers: cookie hash, expiry
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
    overall              REAL,
    tourist              INTEGER
);
CREATE TABLE IF NOT EXISTS manager_sessions (
    cookie_hash TEXT PRIMARY KEY,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
);
"""

MANAGER_TOKEN_KEY = "manager_token_sha256"

_COLUMNS = (
    "session_id, candidate_token_hash, label, track, total_questions, created_at, finished_at, "
    "answered, overall, tourist"
)


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


class AppStore:
    """The web database. Thread-safe; meant to be used from the server's worker thread."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    # --- settings ---------------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``, replacing any earlier value."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # --- sessions ---------------------------------------------------------------------------

    def add_session(
        self, session_id: str, token_hash: str, label: str, track: str, total_questions: int
    ) -> SessionRow:
        """Record a new session; return its row."""
        created = utc_now()
        with self._lock:
            self._conn.execute(
                "INSERT INTO sessions(session_id, candidate_token_hash, label, track, "
                "total_questions, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, token_hash, label, track, total_questions, created),
            )
        return SessionRow(
            session_id, token_hash, label, track, total_questions, created, None, None, None, None
        )

    def session(self, session_id: str) -> SessionRow | None:
        """The session with this id, or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
        return None if row is None else _session_row(row)

    def session_by_token_hash(self, token_hash: str) -> SessionRow | None:
        """The session whose candidate token has this hash, or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM sessions WHERE candidate_token_hash = ?", (token_hash,)
            ).fetchone()
        return None if row is None else _session_row(row)

    def sessions(self) -> list[SessionRow]:
        """Every session, newest first."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM sessions ORDER BY created_at DESC, rowid DESC"
            ).fetchall()
        return [_session_row(r) for r in rows]

    def finish_session(
        self, session_id: str, answered: int, overall: float | None, tourist: bool
    ) -> None:
        """Record that a session ended, with its report's headline figures (once)."""
        with self._lock:
            self._conn.execute(
                "UPDATE sessions SET finished_at = ?, answered = ?, overall = ?, tourist = ? "
                "WHERE session_id = ? AND finished_at IS NULL",
                (utc_now(), answered, overall, int(tourist), session_id),
            )

    def delete_session(self, session_id: str) -> bool:
        """Erase a session's row (its token stops working at once). True if it existed."""
        with self._lock:
            cursor = self._conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
        return cursor.rowcount > 0

    # --- manager sign-ins -------------------------------------------------------------------

    def add_manager_session(self, cookie_hash: str, ttl_seconds: float) -> None:
        """Record a signed-in browser for ``ttl_seconds``; drop expired sign-ins."""
        now = time.time()
        with self._lock:
            self._conn.execute("DELETE FROM manager_sessions WHERE expires_at < ?", (now,))
            self._conn.execute(
                "INSERT INTO manager_sessions(cookie_hash, created_at, expires_at) "
                "VALUES (?, ?, ?)",
                (cookie_hash, now, now + ttl_seconds),
            )

    def manager_session_hash(self, cookie_hash: str) -> str | None:
        """The stored hash equal to ``cookie_hash`` if that sign-in exists and has not expired."""
        with self._lock:
            row = self._conn.execute(
                "SELECT cookie_hash FROM manager_sessions WHERE cookie_hash = ? AND expires_at > ?",
                (cookie_hash, time.time()),
            ).fetchone()
        return None if row is None else str(row[0])

    def delete_manager_session(self, cookie_hash: str) -> None:
        """Sign a browser out."""
        with self._lock:
            self._conn.execute("DELETE FROM manager_sessions WHERE cookie_hash = ?", (cookie_hash,))

    def delete_all_manager_sessions(self) -> None:
        """Sign every browser out (after the manager token changes)."""
        with self._lock:
            self._conn.execute("DELETE FROM manager_sessions")


def _session_row(row: tuple[object, ...]) -> SessionRow:
    sid, token_hash, label, track, total, created, finished, answered, overall, tourist = row
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
    )
