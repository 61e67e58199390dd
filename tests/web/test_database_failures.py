"""A damaged, read-only or locked database stops ``screener serve`` with one line (exit 2,
nothing changed); a full disk while the web app saves is a clean 503 and loses nothing."""

from __future__ import annotations

import errno
import hashlib
import logging
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fsfaults import LockHolder, damage_header, damage_page, read_only_directory
from langgraph.checkpoint.sqlite import SqliteSaver

from agent import Interview
from agent._database import check_sqlite, database_error
from agent._errors import DatabaseError
from agent.web.store import AppStore, app_db_path

from .helpers import MANAGER, MANAGER_TOKEN, STRONG, create, serve_env, sign_in

SECURITY = ("content-security-policy", "x-frame-options", "x-content-type-options")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_databases(db: Path) -> None:
    """A checkpoint file with one answered session, and its web database beside it."""
    with Interview.open(db) as interview:
        step = interview.start(question_ids=["regression-suite", "before-after"])
        interview.answer(step.session_id, STRONG)
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    AppStore(app_db_path(db)).close()


def serve(exe: str, env: dict[str, str], db: Path) -> subprocess.CompletedProcess[str]:
    """``screener serve`` on ``db``; it must refuse to start, so this returns."""
    return subprocess.run(
        [exe, "serve", "--host", "127.0.0.1", "--port", "9", "--db", str(db)],
        env=serve_env(env, MANAGER_TOKEN),
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    line = lines[0]
    assert line.startswith("screener: error: ")
    for part in parts:
        assert part in line, line
    return line


# --- serve refuses a damaged, read-only or locked database at start ----------------------------


@pytest.mark.slow
@pytest.mark.parametrize("damage", [damage_header, damage_page])
@pytest.mark.parametrize("which", ["checkpoints", "web"])
def test_serve_refuses_a_damaged_database_and_changes_nothing(
    screener_exe: str,
    cli_env: dict[str, str],
    tmp_path: Path,
    damage: Callable[[Path], None],
    which: str,
) -> None:
    db = tmp_path / "data" / "sessions.sqlite"
    make_databases(db)
    target = db if which == "checkpoints" else app_db_path(db)
    damage(target)
    before = {p.name: digest(p) for p in db.parent.iterdir()}
    line = assert_one_line(
        serve(screener_exe, cli_env, db), str(target), "damaged", "restore it from a backup"
    )
    assert f"mv {target} {target}.damaged" in line
    assert {p.name: digest(p) for p in db.parent.iterdir()} == before  # nothing changed


@pytest.mark.slow
def test_a_file_that_is_not_a_database_is_refused(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "notes.sqlite"
    db.write_text("these are my notes, not a database\n" * 100, encoding="utf-8")
    assert_one_line(serve(screener_exe, cli_env, db), str(db), "damaged", "not a database")
    assert db.read_text(encoding="utf-8").startswith("these are my notes")


@pytest.mark.slow
def test_serve_refuses_a_read_only_directory(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "ro" / "sessions.sqlite"
    make_databases(db)
    before = {p.name: digest(p) for p in db.parent.iterdir()}
    with read_only_directory(db.parent):
        result = serve(screener_exe, cli_env, db)
        fresh = serve(screener_exe, cli_env, db.parent / "new.sqlite")
    assert_one_line(result, str(db), "cannot write it", "make it writable", "--db")
    assert_one_line(fresh, "new.sqlite", "cannot write it", "--db")
    assert {p.name: digest(p) for p in db.parent.iterdir()} == before


@pytest.mark.slow
def test_serve_refuses_a_database_locked_by_another_process(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "locked" / "sessions.sqlite"
    make_databases(db)
    with LockHolder(db):
        result = serve(screener_exe, cli_env, db)
    assert_one_line(result, str(db), "locked by another process", "stop the other program")


def test_check_sqlite_accepts_good_and_missing_files(tmp_path: Path) -> None:
    db = tmp_path / "ok" / "sessions.sqlite"
    check_sqlite(db)  # missing: its directory is made, the file is not
    assert db.parent.is_dir() and not db.exists()
    make_databases(db)
    check_sqlite(db)
    check_sqlite(app_db_path(db))


def test_database_errors_are_classified() -> None:
    path = Path("/data/s.sqlite")
    cases = {
        sqlite3.OperationalError("database or disk is full"): "full",
        sqlite3.OperationalError("attempt to write a readonly database"): "read-only",
        sqlite3.OperationalError("database is locked"): "locked",
        sqlite3.DatabaseError("database disk image is malformed"): "damaged",
        sqlite3.DatabaseError("file is not a database"): "damaged",
        OSError(errno.ENOSPC, "No space left on device"): "full",
        OSError(errno.EROFS, "Read-only file system"): "read-only",
    }
    for exc, kind in cases.items():
        error = database_error(path, exc)
        assert error is not None and error.kind == kind, exc
        assert str(error).startswith("/data/s.sqlite: ") and "\n" not in str(error)
    assert database_error(path, ValueError("a bug")) is None
    assert database_error(path, sqlite3.ProgrammingError("closed")) is None
    url = "postgresql://screener:pw@db:5432/s"
    assert str(database_error(url, OSError(errno.ENOSPC, "full"))).startswith(
        "postgresql://screener:***@db:5432/s: "
    )


# --- a full disk while the web app saves --------------------------------------------------------


def fill_disk_on(monkeypatch: pytest.MonkeyPatch, after: int = 0) -> list[int]:
    """Make checkpoint writes fail as on a full disk, after ``after`` more succeed."""
    calls = [0]
    put = SqliteSaver.put

    def full(self: SqliteSaver, *args: object, **kwargs: object) -> object:
        calls[0] += 1
        if calls[0] > after:
            raise sqlite3.OperationalError("database or disk is full")
        return put(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SqliteSaver, "put", full)
    return calls


def test_a_full_disk_while_saving_an_answer_is_a_clean_503_and_loses_nothing(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = create(client, question_ids=["regression-suite", "before-after"])
    token, sid = created["candidate_token"], created["session_id"]
    first = client.get(f"/api/interview/{token}").json()
    with monkeypatch.context() as patch:
        fill_disk_on(patch, after=1)  # the answer's checkpoint is written, grading's is not
        body = {"answer": STRONG, "answer_id": "answer-0001"}
        response = client.post(f"/api/interview/{token}/answer", json=body)
    assert response.status_code == 503
    assert response.json() == {
        "detail": "the server cannot save right now (its storage is full or unavailable); "
        "nothing is lost, please try again in a few minutes"
    }
    assert response.headers["retry-after"] == "30"
    assert all(name in response.headers for name in SECURITY)
    assert "Traceback" not in response.text and "sqlite" not in response.text.lower()
    logged = [r for r in caplog.records if r.name == "screener.web"]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    message = logged[0].getMessage()
    assert "sessions.sqlite: the disk is full" in message and "free some space" in message
    assert logged[0].exc_info is None  # one line, no traceback
    # Space is back: the candidate sends the same answer again; it is recorded once.
    again = client.post(f"/api/interview/{token}/answer", json=body)
    assert again.status_code == 200 and again.json()["message"] != first["message"]
    client.post(f"/api/sessions/{sid}/end", headers=MANAGER)
    report = client.get(f"/api/sessions/{sid}/report", headers=MANAGER).json()
    assert [t["answer"] for t in report["transcript"]] == [STRONG]


def test_a_full_disk_in_the_web_database_is_a_503_for_pages_and_api(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client)
    store: AppStore = client.app.state.web.service.store  # type: ignore[attr-defined]
    real = store._db.execute

    def full(sql: str, params: object = ()) -> object:
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            with_path = database_error(
                store.location, OSError(errno.ENOSPC, "No space left on device")
            )
            assert with_path is not None
            raise with_path
        return real(sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(store._db, "execute", full)
    api = client.post("/api/sessions", json={}, headers=MANAGER)
    assert api.status_code == 503 and "try again in a few minutes" in api.json()["detail"]

    def unreadable() -> None:
        raise DatabaseError("/x.sqlite", "unavailable", "database error (disk I/O error)", "check")

    service = client.app.state.web.service  # type: ignore[attr-defined]
    monkeypatch.setattr(service, "list_sessions", unreadable)
    page = client.get("/manage")
    assert page.status_code == 503 and "Try again in a few minutes" in page.text
    assert all(name in page.headers for name in SECURITY)
