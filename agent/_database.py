"""Database URLs, and the PostgreSQL plumbing shared by the interview runner and the web.

``sqlite:///PATH`` names a SQLite file (the default store, one process). ``postgresql://``
(or ``postgres://``) ``USER:PASS@HOST:PORT/DB`` names a PostgreSQL database that several
processes share; it needs the ``postgres`` extra (psycopg 3 with its pool). The password may be
left out of the URL and given as ``$PGPASSWORD`` or in ``~/.pgpass`` (libpq reads both).

Serialisation across processes uses PostgreSQL advisory locks (:func:`advisory_lock`), held on a
pooled connection and released when done, or by the server when the process holding it dies
(``kill -9`` closes its connections).

Failures of the environment (a full disk, a read-only path, a database locked by another
process, a damaged SQLite file, an unreachable server) become one :class:`DatabaseError` line
that names the file and what to do: :func:`database_error` classifies an exception,
:func:`database_errors` translates inside a block, and :func:`check_sqlite` tries a SQLite file
before a server starts (``PRAGMA quick_check`` and the write lock). None of them changes a file.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ._errors import NO_ROOM, DatabaseError, MissingDependencyError, UserError

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

#: The ``classid`` half of every advisory lock screener takes (the other half hashes a name).
LOCK_NAMESPACE = 0x5C4EE7
#: The schemes accepted for PostgreSQL.
POSTGRES_SCHEMES = ("postgresql", "postgres")
#: Seconds to wait for the database when opening a connection.
CONNECT_TIMEOUT = 10.0
#: Seconds a SQLite statement waits for another process's lock before "database is locked".
SQLITE_BUSY_TIMEOUT = 5.0


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return url.partition("://")[0].lower() in POSTGRES_SCHEMES


def parse_database_url(url: str) -> Path | str:
    """The SQLite file of a ``sqlite:///PATH`` URL, or a ``postgresql://`` URL as given.

    Raises :class:`UserError` for anything else.
    """
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() == "sqlite" and rest.startswith("/") and len(rest) > 1:
        return Path(rest[1:])
    if sep and scheme.lower() in POSTGRES_SCHEMES:
        return url
    raise UserError(
        f"unsupported --database-url {redact_url(url)!r}; "
        "use sqlite:///PATH or postgresql://USER:PASS@HOST:PORT/DB"
    )


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:  # a malformed URL (bad port...): show only its scheme
        return url.partition("://")[0] + "://***"


def require_postgres(feature: str) -> None:
    """Raise :class:`MissingDependencyError` (naming the extra) unless the extra is installed."""
    try:
        import langgraph.checkpoint.postgres  # noqa: F401
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        raise MissingDependencyError("postgres", feature) from None


def connection_pool(
    url: str, *, feature: str, max_size: int, **connection_kwargs: Any
) -> ConnectionPool[Any]:
    """An open pool of autocommit connections to ``url``.

    Connects once first, so that a wrong URL, password or host is one clear :class:`UserError`
    (with the password redacted) rather than a pool timing out.
    """
    require_postgres(feature)
    import psycopg
    from psycopg_pool import ConnectionPool

    kwargs: dict[str, Any] = {
        "autocommit": True,
        "prepare_threshold": 0,
        "application_name": "screener",
        **connection_kwargs,
    }
    try:
        psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT), **kwargs).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        raise UserError(f"cannot connect to {redact_url(url)}: {reason}") from None
    pool: ConnectionPool[Any] = ConnectionPool(
        url,
        kwargs=kwargs,
        min_size=1,
        max_size=max_size,
        open=False,
        check=ConnectionPool.check_connection,  # a restarted server's dead connections
        name="screener",
    )
    pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    return pool


@contextmanager
def advisory_lock(
    pool: ConnectionPool[Any], name: str, *, poll: float | None = None
) -> Iterator[None]:
    """Hold the advisory lock ``name`` (shared by every process on the database) meanwhile.

    A session-level lock on a pooled connection of its own, outside any transaction: work done
    meanwhile on other connections commits as it goes, and no transaction stays open (which
    would block ``CREATE INDEX CONCURRENTLY`` and trip ``idle_in_transaction_session_timeout``).
    If the process dies, the server drops its connections and with them the lock. Not
    reentrant: the same thread asking twice for one name waits for ever; callers track what
    they hold.

    With ``poll`` the lock is tried every ``poll`` seconds instead of waited for inside the
    server: a statement waiting there counts as a running transaction, which the holder's
    ``CREATE INDEX CONCURRENTLY`` (schema set-up) would wait for in turn, a deadlock.
    """
    key = (LOCK_NAMESPACE, name)
    with pool.connection() as conn:
        if poll is None:
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", key)
        else:
            while not _fetch_bool(conn, "SELECT pg_try_advisory_lock(%s, hashtext(%s))", key):
                time.sleep(poll)
        try:
            yield
        finally:
            try:
                conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", key)
            except Exception:
                conn.close()  # the server releases a closed connection's locks; the pool drops it


def _fetch_bool(conn: Any, sql: str, params: tuple[object, ...]) -> bool:
    row = conn.execute(sql, params).fetchone()
    value = row[0] if isinstance(row, tuple) else next(iter(row.values()))  # tuple or dict row
    return bool(value)


# --- environment failures as one line ---------------------------------------------------------

# SQLite's primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
_NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
# PostgreSQL SQLSTATEs: disk full, out of memory, read-only transaction, data or index damaged,
# lock not available (class 08 and the server shutting down are "unavailable").
_PG_FULL, _PG_READ_ONLY, _PG_LOCKED = {"53100", "53200"}, {"25006"}, {"55P03"}
_PG_DAMAGED = {"XX001", "XX002"}


def _fixes(location: str, option: str) -> dict[str, str]:
    return {
        "full": "free some space (nothing saved before is lost)",
        "read-only": f"make it writable, or choose another file with {option}",
        "locked": "stop the other program using it (another screener on the same file) "
        "or wait a moment, and try again",
        "damaged": f"restore it from a backup, or move it aside (mv {location} "
        f"{location}.damaged) to start a new one; `sqlite3 {location}.damaged .recover` "
        "may rescue its data",
        "unavailable": "check the disk or the database server, and try again",
    }


def database_error(
    location: Path | str, exc: BaseException, *, option: str = "--db"
) -> DatabaseError | None:
    """The one-line :class:`DatabaseError` for ``exc`` raised on ``location``, or None.

    None means ``exc`` is not a failure of the environment (a programming error, say) and
    should propagate as it is. ``option`` is how the user chooses another file.
    """
    where = redact_url(location) if isinstance(location, str) else str(location)
    kind, detail = _classify(location, exc)
    if kind is None:
        return None
    problems = {
        "full": f"the disk is full ({detail})",
        "read-only": f"cannot write it ({detail})",
        "locked": f"the database is locked by another process ({detail})",
        "damaged": f"the database file is damaged ({detail})",
        "unavailable": f"database error ({detail})",
    }
    return DatabaseError(where, kind, problems[kind], _fixes(where, option)[kind])


def _classify(location: Path | str, exc: BaseException) -> tuple[str | None, str]:
    """(kind, short reason) of a database failure; kind None if it is not one."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        message = str(exc).lower()
        if code == _SQLITE_FULL or "disk is full" in message:
            return "full", detail
        if code == _SQLITE_READONLY or "readonly database" in message:
            return "read-only", detail
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "is locked" in message:
            return "locked", detail
        if (
            code in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
            or "malformed" in message
            or "not a database" in message
        ):
            return "damaged", detail
        if code == _SQLITE_CANTOPEN or "unable to open" in message:
            if _not_writable(location):
                return "read-only", detail
            return ("full" if _no_room(location) else "unavailable"), detail
        if code == _SQLITE_IOERR or "disk i/o error" in message:
            return ("full" if _no_room(location) else "unavailable"), detail
        return None, detail
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError | TimeoutError):
        reason = exc.strerror or detail
        if exc.errno in NO_ROOM:
            return "full", reason
        if exc.errno in _NOT_WRITABLE:
            return "read-only", reason
        return "unavailable", reason
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.Error):
        state = getattr(exc, "sqlstate", None) or ""
        if state in _PG_FULL:
            return "full", detail
        if state in _PG_READ_ONLY:
            return "read-only", detail
        if state in _PG_LOCKED:
            return "locked", detail
        if state in _PG_DAMAGED:
            return "damaged", detail
        if isinstance(exc, psycopg.OperationalError):
            return "unavailable", detail
    return None, detail


def _existing(location: Path) -> Path:
    """``location``, or the nearest directory above it that exists."""
    target = location
    while not target.exists() and target != target.parent:
        target = target.parent
    return target


def _no_room(location: Path | str) -> bool:
    """Whether the file system of the SQLite file ``location`` has (almost) no space left.

    SQLite reports some writes to a full disk as "disk I/O error" (its shared-memory file).
    """
    if not isinstance(location, Path):
        return False
    try:
        stats = os.statvfs(_existing(location))
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < 64 * 1024


def _not_writable(location: Path | str) -> bool:
    """Whether the SQLite file ``location`` (or the directory it would be made in) is read-only."""
    if not isinstance(location, Path):
        return False
    target = _existing(location)
    try:
        if os.statvfs(target).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(target, os.W_OK) or (
        location.exists() and not os.access(location.parent, os.W_OK)
    )


@contextmanager
def database_errors(
    location: Path | str, *, option: str = "--db", os_errors: bool = False
) -> Iterator[None]:
    """Raise a :class:`DatabaseError` for a database failure inside the block.

    ``os_errors`` also translates :class:`OSError` (around opening: creating the directory);
    elsewhere an ``OSError`` may come from something else (a provider's connection) and
    propagates unchanged, as does anything that is not a failure of the environment.
    """
    try:
        yield
    except Exception as exc:
        if isinstance(exc, OSError) and not os_errors:
            raise
        error = database_error(location, exc, option=option)
        if error is None:
            raise
        raise error from None


def check_sqlite(path: Path, *, option: str = "--db") -> None:
    """Raise :class:`DatabaseError` unless the SQLite file ``path`` is usable; change nothing.

    A missing file is fine if its directory can be made and written. An existing one must pass
    ``PRAGMA quick_check`` (a damaged page or header is refused, not repaired) and give its
    write lock, which a read-only file or file system and another process's lock both refuse.
    """
    with database_errors(path, option=option, os_errors=True):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            if _not_writable(path):
                raise OSError(errno.EROFS, "the directory is read-only", str(path.parent))
            return
        conn = sqlite3.connect(str(path), timeout=SQLITE_BUSY_TIMEOUT, isolation_level=None)
        try:
            problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                first = " ".join(problems[0].split())[:200] if problems else "no result"
                where = str(path)
                raise DatabaseError(
                    where,
                    "damaged",
                    f"the database file is damaged (quick_check: {first})",
                    _fixes(where, option)["damaged"],
                )
            if _not_writable(path):
                raise OSError(errno.EROFS, "read-only file or directory", str(path))
            conn.execute("BEGIN IMMEDIATE")  # the write lock: refused if read-only or locked
            conn.execute("ROLLBACK")
        finally:
            conn.close()


__all__ = [
    "LOCK_NAMESPACE",
    "SQLITE_BUSY_TIMEOUT",
    "advisory_lock",
    "check_sqlite",
    "connection_pool",
    "database_error",
    "database_errors",
    "is_postgres_url",
    "parse_database_url",
    "redact_url",
    "require_postgres",
]
