"""``screener serve``: the web front end (manager dashboard and candidate chat) under uvicorn.

The manager token comes from ``$SCREENER_MANAGER_TOKEN``; otherwise the first start generates
one, stores only its hash next to the data, and prints it once on standard output. The port is
bound first: a start that cannot listen (the port is taken) stops with one line and makes no
token, so the next start still prints one.

``--database-url postgresql://...`` keeps everything in PostgreSQL, so several instances (behind
a load balancer) can serve one deployment.

Before it listens, ``serve`` checks its SQLite files (``PRAGMA quick_check`` and the write lock):
a damaged, read-only or locked database stops it with one line naming the file and what to do
(exit code 2), and nothing in the file is changed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .._database import check_sqlite, is_postgres_url, parse_database_url
from .._errors import UserError
from .chat import default_db


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    db: Annotated[
        Path | None,
        typer.Option(help="SQLite file holding interview checkpoints; the web data sits beside."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="sqlite:///PATH (same as --db), or postgresql://USER:PASS@HOST:PORT/DB to share "
            "one database between several instances (needs the postgres extra)."
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(help="Base URL of candidate links when behind a proxy (https://...)."),
    ] = None,
    new_manager_token: Annotated[
        bool,
        typer.Option(
            "--new-manager-token",
            help="Replace the stored manager token with a new one (printed once).",
        ),
    ] = False,
    link_days: Annotated[
        int,
        typer.Option(help="Days a candidate link works once created or re-issued.", min=1, max=365),
    ] = 14,
    retention_days: Annotated[
        int | None,
        typer.Option(
            help="Erase sessions this many days after they were created (default: keep them).",
            min=1,
        ),
    ] = None,
    demographics: Annotated[
        bool,
        typer.Option(
            "--demographics/--no-demographics",
            help="After the last answer, offer the optional sex and race/ethnicity questions "
            "behind `screener audit impact`.",
        ),
    ] = True,
) -> None:
    """Serve the hiring manager's dashboard and the candidates' chat pages over HTTP."""
    try:
        from ..web import WebConfig, provision_manager_token
        from ..web.config import MANAGER_TOKEN_ENV, manager_token_from_env
        from ..web.server import listen, run
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise UserError(
            f"screener serve needs the web extra ({exc.name} is missing): "
            "pip install 'screening-agent[web]'"
        ) from None

    db_path, postgres_url = _database(db, database_url)
    env_token = manager_token_from_env()
    if env_token and new_manager_token:
        raise UserError(f"--new-manager-token has no effect while {MANAGER_TOKEN_ENV} is set")
    config = WebConfig(
        db_path=db_path,
        database_url=postgres_url,
        manager_token=env_token,
        public_url=public_url,
        cookie_secure=bool(public_url and public_url.lower().startswith("https://")),
        link_days=link_days,
        retention_days=retention_days,
        ask_demographics=demographics,
    )
    if config.db_path is not None:  # refuse a damaged, read-only or locked file before starting
        for path in (config.db_path, config.web_db_path):
            check_sqlite(path, option="--db")
    sock = listen(host, port)  # before any token is made: a start that fails changes nothing
    port = sock.getsockname()[1]  # the port chosen, for --port 0
    with sock:  # closed however the start ends
        generated = provision_manager_token(config, rotate=new_manager_token)
        shown_host = f"[{host}]" if ":" in host else host
        if generated:
            print(
                "Manager token (shown only this once; only its hash is stored, keep it safe):\n"
                f"  {generated}",
                flush=True,
            )
        print(
            f"screener: data in {config.describe()}; "
            f"manager sign-in at http://{shown_host}:{port}/manage",
            file=sys.stderr,
            flush=True,
        )
        run(config, sock)


def _database(db: Path | None, database_url: str | None) -> tuple[Path | None, str | None]:
    """(SQLite checkpoint file, PostgreSQL URL) from ``--db`` or ``--database-url``; one is set."""
    if db is not None and database_url is not None:
        raise UserError("give --db or --database-url, not both")
    if database_url is None:
        return db or default_db(), None
    target = parse_database_url(database_url)
    if isinstance(target, Path):
        return target, None
    assert is_postgres_url(target)
    return None, target
