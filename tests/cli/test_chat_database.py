"""``screener chat`` on a damaged, read-only, locked or full database: one line, exit 2, no
traceback, nothing lost (and how to resume once a session has started)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS
from fsfaults import (
    LockHolder,
    damage_header,
    damage_page,
    fill,
    read_only_directory,
    small_filesystem,
)
from langgraph.checkpoint.sqlite import SqliteSaver
from typer.testing import CliRunner

from agent import Interview
from agent._errors import DatabaseError
from agent.cli import app

pytestmark = pytest.mark.slow

ANSWERS = [STRONG_ANSWERS[k] for k in ("regression-suite", "hallucination-debug", "before-after")]
IDS = "regression-suite,hallucination-debug,before-after"


def chat(
    exe: str, env: dict[str, str], db: Path, answers: list[str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "chat", "--db", str(db), "--question-ids", IDS, "--max-followups", "0", *args],
        input="".join(a + "\n" for a in answers),
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed run (after at most the session line)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("screener: error:")]
    others = [
        line
        for line in result.stderr.splitlines()
        if not line.startswith(("screener: error:", "session "))
    ]
    assert len(errors) == 1 and not others, result.stderr
    return errors[0]


def one_session(db: Path) -> str:
    with Interview.open(db) as interview:
        step = interview.start(question_ids=IDS.split(","), max_followups=0)
        interview.answer(step.session_id, ANSWERS[0])
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return step.session_id


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", [damage_header, damage_page])
def test_a_damaged_database_is_one_line_and_is_left_alone(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path, damage: object
) -> None:
    db = tmp_path / "chat.sqlite"
    one_session(db)
    damage(db)  # type: ignore[operator]
    before = digest(db)
    line = error_line(chat(screener_exe, cli_env, db, ANSWERS))
    assert line.startswith(f"screener: error: {db}: the database file is damaged")
    assert "restore it from a backup" in line and f"mv {db} {db}.damaged" in line
    assert digest(db) == before


def test_a_read_only_directory_is_one_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    one_session(folder / "chat.sqlite")
    with read_only_directory(folder):
        existing = chat(screener_exe, cli_env, folder / "chat.sqlite", ANSWERS)
        new = chat(screener_exe, cli_env, folder / "new.sqlite", ANSWERS)
    for result, name in ((existing, "chat.sqlite"), (new, "new.sqlite")):
        line = error_line(result)
        assert f"{folder / name}: cannot write it" in line
        assert "make it writable, or choose another file with --db" in line


def test_a_database_locked_by_another_process_is_one_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "chat.sqlite"
    one_session(db)
    with LockHolder(db):
        line = error_line(chat(screener_exe, cli_env, db, ANSWERS))
    assert f"{db}: the database is locked by another process" in line
    assert "stop the other program using it" in line


def test_a_full_disk_mid_session_says_how_to_resume_and_loses_nothing(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    with small_filesystem(tmp_path / "tiny", 1024) as tiny:
        db = tiny / "chat.sqlite"
        sid = one_session(db)
        command = [screener_exe, "chat", "--db", str(db), "--resume", sid]
        with subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=cli_env,
        ) as proc:
            assert proc.stdin and proc.stdout and proc.stderr
            assert proc.stdout.readline().startswith("[Question - question 2 of 3]")
            filler = fill(tiny)  # the disk fills while the candidate is typing
            proc.stdin.write(ANSWERS[1] + "\n")
            proc.stdin.close()
            proc.wait(timeout=120)
            result = subprocess.CompletedProcess(
                command, proc.returncode, proc.stdout.read(), proc.stderr.read()
            )
        line = error_line(result)
        assert f"{db}: the disk is full" in line and "free some space" in line
        hint = rf"then resume with: (\S*/)?screener chat --resume {sid} --db {re.escape(str(db))}"
        assert re.search(hint, line), line
        filler.unlink()
        done = chat(screener_exe, cli_env, db, ANSWERS[1:], "--resume", sid)
        assert done.returncode == 0, done.stderr
        with Interview.open(db) as interview:
            turns = [(t.question_id, t.answer) for t in interview.transcript(sid)]
    # The answer saved before the disk filled is kept; the one being saved was kept whole, or
    # not at all and answered again after the resume; every question is answered once.
    assert [q for q, _ in turns] == IDS.split(",")
    assert turns[0][1] == ANSWERS[0] and turns[1][1] == ANSWERS[1]


def test_an_injected_full_disk_mid_session_says_how_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_env: dict[str, str]
) -> None:
    db = tmp_path / "chat.sqlite"
    sid = one_session(db)
    put = SqliteSaver.put

    def full(self: SqliteSaver, *args: object, **kwargs: object) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SqliteSaver, "put", full)
    result = CliRunner().invoke(
        app, ["chat", "--db", str(db), "--resume", sid], input=ANSWERS[1] + "\n"
    )
    assert isinstance(result.exception, DatabaseError)
    message = str(result.exception)
    assert message.startswith(f"{db}: the disk is full (database or disk is full); free some")
    assert message.endswith(
        f"then resume with: screener chat --resume {sid} --db {db} "
        "(the answers saved before this are kept)"
    )
    monkeypatch.setattr(SqliteSaver, "put", put)
    with Interview.open(db) as interview:
        step = interview.current(sid)  # resumes: the cut-off answer is kept whole or not at all
        answers = [t.answer for t in interview.transcript(sid)]
    assert answers in ([ANSWERS[0]], ANSWERS[:2])
    assert step.question_number == len(answers) + 1 and not step.done
