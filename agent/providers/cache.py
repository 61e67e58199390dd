"""A response cache on disk (SQLite), keyed by everything that can change a reply.

The key covers provider and model, the prompt and rubric hashes, the answer, the sample index and
the call parameters. Only successful, validated replies are stored; errors never are.

A cache file that is full, read-only, locked or damaged raises one
:class:`agent._errors.DatabaseError` line naming it (``$SCREENER_CACHE`` or ``--no-cache``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from .._database import database_errors

#: How the user chooses another cache file, for error messages.
CACHE_OPTION = "$SCREENER_CACHE (or run with --no-cache)"


def default_cache_path() -> Path:
    """``$SCREENER_CACHE`` or ``responses.sqlite`` in the user's cache directory."""
    env = os.environ.get("SCREENER_CACHE")
    return Path(env) if env else Path(user_cache_dir("screener")) / "responses.sqlite"


def cache_key(**parts: Any) -> str:
    """A stable hash of the named parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResponseCache:
    """Validated model replies by key.

    Safe across ``fork`` (batch grading's worker processes): a process that did not open the
    connection opens its own, as SQLite requires, and leaves the inherited one untouched.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_cache_path()
        self._lock = threading.Lock()
        with database_errors(self.path, option=CACHE_OPTION, os_errors=True):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connect()
            with self._lock, self._conn:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute(
                    "CREATE TABLE IF NOT EXISTS responses "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
                )
        self.hits = 0
        self.misses = 0

    def _connect(self) -> None:
        self._pid = os.getpid()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)

    @property
    def conn(self) -> sqlite3.Connection:
        """This process's connection."""
        if self._pid != os.getpid():
            self._inherited = self._conn  # never used nor closed here (SQLite's fork rule)
            self._lock = threading.Lock()
            self._connect()
        return self._conn

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply, or None."""
        conn = self.conn
        with self._lock, database_errors(self.path, option=CACHE_OPTION):
            row = conn.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        value: dict[str, Any] = json.loads(row[0])
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store a validated reply."""
        conn = self.conn
        with self._lock, database_errors(self.path, option=CACHE_OPTION), conn:
            conn.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?)",
                (key, json.dumps(value, ensure_ascii=False), time.time()),
            )

    def close(self) -> None:
        """Close the database."""
        self.conn.close()
