"""Database URLs, and the PostgreSQL plumbing shared by the interview runner and the web.

``sqlite:///PATH`` names a SQLite file (the default store, one process). ``postgresql://``
(or ``postgres://``) ``USER:PASS@HOST:PORT/DB`` names a PostgreSQL database that several
processes share; it needs the ``postgres`` extra (psycopg 3 with its pool). The password may be
left out of the URL and given as ``$PGPASSWORD`` or in ``~/.pgpass`` (libpq reads both).

Serialisation across processes uses PostgreSQL advisory locks (:func:`advisory_lock`), held on a
pooled connection and released when done, or by the server when the process holding it dies
(``kill -9`` closes its connections).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ._errors import MissingDependencyError, UserError

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

#: The ``classid`` half of every advisory lock screener takes (the other half hashes a name).
LOCK_NAMESPACE = 0x5C4EE7
#: The schemes accepted for PostgreSQL.
POSTGRES_SCHEMES = ("postgresql", "postgres")
#: Seconds to wait for the database when opening a connection.
CONNECT_TIMEOUT = 10.0


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


__all__ = [
    "LOCK_NAMESPACE",
    "advisory_lock",
    "connection_pool",
    "is_postgres_url",
    "parse_database_url",
    "redact_url",
    "require_postgres",
]
