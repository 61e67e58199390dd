"""A full disk or a read-only output: one line naming the file and what to do, exit code 2,
nothing already written lost, and the same command resumes afterwards.

The disk is simulated: every write of the batch code goes through ``output.write_all`` and
every file it opens through ``output.FileIO``, so a test replaces one of them with a disk that
has a few bytes left (a write cut short, then ``ENOSPC``) or that is mounted read-only (``EROFS``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from io import FileIO, RawIOBase
from pathlib import Path
from typing import Any

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

import agent.batch.output as output
from agent import QuestionBank, get_grader
from agent._errors import OutputError
from agent.batch import BatchOptions, grade_file, read_rows, write_html, write_summary
from agent.cli import main

from .conftest import row, write_jsonl

ANSWERS = [
    row(f"c{i:02d}", qid, text if i % 3 else TOURIST_ANSWER)
    for i in range(6)
    for qid, text in STRONG_ANSWERS.items()
]
FULL = "cannot write (No space left on device): free some space, then run the same command again"
READ_ONLY = "cannot write (Read-only file system): make it writable or give {option} another path"
WRITE_ALL = output.write_all  # the real one


class Disk:
    """A disk with ``free`` bytes left: the write that does not fit is cut, then ENOSPC."""

    def __init__(self, free: int) -> None:
        self.free = free

    def write_all(self, handle: RawIOBase, data: bytes) -> None:
        if len(data) > self.free:
            WRITE_ALL(handle, data[: self.free])
            self.free = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        WRITE_ALL(handle, data)
        self.free -= len(data)


def _read_only(folder: Path) -> Callable[..., FileIO]:
    """``FileIO`` on a file system where ``folder`` is mounted read-only."""

    def open_file(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> FileIO:
        if mode != "r" and (isinstance(file, int) or Path(file).parent == folder):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return FileIO(file, mode, *args, **kwargs)

    return open_file


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _keys(path: Path) -> dict[tuple[str, str], str]:
    rows = list(read_rows(path))
    keys = {(r["candidate_id"], r["question_id"]): r["key"] for r in rows}
    assert len(keys) == len(rows), "no row twice"
    return keys


def _grade(answers: Path, out: Path, bank: QuestionBank, workers: int = 1) -> Any:
    return grade_file(answers, out, bank, get_grader("offline"), BatchOptions(workers=workers))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_stops_with_one_error_and_the_same_command_resumes(
    tmp_path: Path, bank: QuestionBank, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    reference = tmp_path / "reference.jsonl"
    _grade(answers, reference, bank)
    line_bytes = len(reference.read_bytes()) // len(ANSWERS)
    out = tmp_path / "out" / "g.jsonl"
    disk = Disk(free=int(line_bytes * 4.5))  # four rows and half of the fifth fit
    monkeypatch.setattr(output, "write_all", disk.write_all)
    with pytest.raises(OutputError) as info:
        _grade(answers, out, bank, workers)
    assert str(info.value) == (
        f"{out}: {FULL}: the rows already written are kept and only the rest are graded"
    )
    assert info.value.errno == errno.ENOSPC
    written = out.read_bytes()
    assert written.count(b"\n") >= 3 and not written.endswith(b"\n"), "a row was cut"
    kept = _keys(out)
    assert kept and all(_keys(reference)[pair] == key for pair, key in kept.items())

    monkeypatch.setattr(output, "write_all", WRITE_ALL)  # space freed
    again = _grade(answers, out, bank, workers)
    assert again.resumed == len(kept) and again.graded == len(ANSWERS) - len(kept)
    assert _keys(out) == _keys(reference), "the same rows as a run that never failed"
    out.read_bytes().decode("utf-8")
    assert all(line.endswith(b"}") for line in out.read_bytes().splitlines())


def test_a_full_disk_while_resume_rewrites_leaves_the_old_file(
    tmp_path: Path, bank: QuestionBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    out = tmp_path / "g.jsonl"
    _grade(answers, out, bank)
    complete = _keys(out)
    with out.open("ab") as handle:
        handle.write(b'{"candidate_id": "cut-off')  # a kill mid-row: resume rewrites the file
    before = _sha(out)
    monkeypatch.setattr(output, "write_all", Disk(free=100).write_all)
    with pytest.raises(OutputError, match="No space left on device"):
        _grade(answers, out, bank)
    assert _sha(out) == before, "the old file is untouched"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".g.jsonl.")] == []
    monkeypatch.undo()
    assert _grade(answers, out, bank).resumed == len(complete)
    assert _keys(out) == complete


@pytest.mark.parametrize("report", ["summary", "html"])
def test_a_full_disk_while_writing_a_report_keeps_the_old_report(
    tmp_path: Path, bank: QuestionBank, monkeypatch: pytest.MonkeyPatch, report: str
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    out, path = tmp_path / "g.jsonl", tmp_path / f"report.{report}"
    _grade(answers, out, bank)

    def write() -> None:
        if report == "summary":
            write_summary(path, out)
        else:
            write_html(path, out, bank, answers)

    write()
    before = _sha(path)
    monkeypatch.setattr(output, "write_all", Disk(free=50).write_all)
    with pytest.raises(OutputError) as info:
        write()
    option = "--summary" if report == "summary" else "--html"
    assert str(info.value) == (
        f"{path}: {FULL}: every answer graded so far is kept, none is graded twice"
    )
    assert _sha(path) == before, "the previous report is still there, whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "g.jsonl", path.name]
    monkeypatch.setattr(output, "FileIO", _read_only(tmp_path))
    with pytest.raises(OutputError) as info:
        write()
    assert str(info.value).startswith(f"{path}: {READ_ONLY.format(option=option)}, then ")


def test_a_read_only_out_fails_before_any_row_is_graded(
    tmp_path: Path, bank: QuestionBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    folder = tmp_path / "mounted"
    folder.mkdir()
    out = folder / "g.jsonl"
    graded: list[str] = []
    grader = get_grader("offline")
    real = grader.grade

    async def counting(question: Any, answer: str) -> Any:
        graded.append(answer)
        return await real(question, answer)

    monkeypatch.setattr(grader, "grade", counting)
    monkeypatch.setattr(output, "FileIO", _read_only(folder))
    with pytest.raises(OutputError) as info:
        grade_file(answers, out, bank, grader, BatchOptions(workers=1))
    assert str(info.value) == (
        f"{out}: {READ_ONLY.format(option='--out')}, then run the same command again: "
        "the rows already written are kept and only the rest are graded"
    )
    assert graded == [] and not out.exists()
    monkeypatch.setattr(output, "FileIO", FileIO)  # the same grader, a writable path
    grade_file(answers, tmp_path / "g.jsonl", bank, grader, BatchOptions(workers=1))
    assert len(graded) == len(ANSWERS), "the counter counts"


def test_the_command_prints_one_line_and_exits_2_on_a_full_disk(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    out = tmp_path / "g.jsonl"
    monkeypatch.setattr(output, "write_all", Disk(free=3000).write_all)
    args = ["screener", "grade", str(answers), "--out", str(out), "--workers", "1", "--quiet"]
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == [
        f"screener: error: {out}: {FULL}: the rows already written are kept and only the rest "
        "are graded"
    ]
    summary = tmp_path / "s.csv"
    monkeypatch.setattr(output, "write_all", WRITE_ALL)
    monkeypatch.setattr(sys, "argv", [*args, "--summary", str(summary)])
    with pytest.raises(SystemExit) as info:
        main()  # the same command, with space: it resumes and finishes
    assert info.value.code == 0
    assert len(list(read_rows(out))) == len(ANSWERS)
    assert len(summary.read_text(encoding="utf-8").splitlines()) == 1 + 6
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[-1])["key"]


def test_a_batch_id_that_cannot_be_recorded_is_a_warning_not_a_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from agent.batch.provider_batch import BatchStore, StoredBatch

    store = BatchStore(tmp_path / "g.jsonl.batches.json")
    first = StoredBatch(id="b1", provider="openai", model="m", custom_ids=["x"], submitted=1.0)
    store.add(first)
    before = _sha(store.path)
    monkeypatch.setattr(output, "write_all", Disk(free=10).write_all)
    second = StoredBatch(id="b2", provider="openai", model="m", custom_ids=["y"], submitted=2.0)
    with caplog.at_level("WARNING", logger="screener"):
        store.add(second)  # the batch is submitted already: this run still collects it
    assert store.batch_of("y") == second and _sha(store.path) == before
    assert [r.getMessage() for r in caplog.records] == [
        f"{store.path}: batch b2 not recorded (No space left on device); this run still "
        "collects it, but a re-run after an interruption would submit it again"
    ]


# --- a real small file system and a real read-only one (root only; skipped otherwise) ---------


@pytest.mark.slow
def test_on_a_real_full_tmpfs_the_command_stops_in_one_line_and_resumes(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    from fsfaults import small_filesystem

    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    reference = tmp_path / "reference.jsonl"
    assert _run(screener_exe, cli_env, answers, reference).returncode == 0
    size = len(reference.read_bytes())
    kib = size // 1024 + 256
    with small_filesystem(tmp_path / "disk", kib) as disk:
        filler = disk / "filler"
        filler.write_bytes(b"\0" * (kib * 1024 - size // 2))  # room for about half the rows
        out = disk / "g.jsonl"
        proc = _run(screener_exe, cli_env, answers, out, "--summary", disk / "s.csv")
        assert proc.returncode == 2, proc.stderr
        assert [line for line in proc.stderr.splitlines() if line.strip()] == [
            f"screener: error: {out}: {FULL}: the rows already written are kept and only the "
            "rest are graded"
        ]
        kept = _keys(out)
        assert kept and all(_keys(reference)[pair] == key for pair, key in kept.items())
        filler.unlink()  # space freed: the same command finishes the job
        again = _run(screener_exe, cli_env, answers, out, "--summary", disk / "s.csv")
        assert again.returncode == 0, again.stderr
        assert f"({len(kept)} kept from an earlier run)" in again.stderr
        assert _keys(out) == _keys(reference)
        assert len((disk / "s.csv").read_text(encoding="utf-8").splitlines()) == 1 + 6


@pytest.mark.slow
def test_on_a_real_read_only_directory_the_command_stops_in_one_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    from fsfaults import read_only_directory

    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only_directory(folder):
        proc = _run(screener_exe, cli_env, answers, folder / "g.jsonl")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert re.fullmatch(
        rf"screener: error: {re.escape(str(folder / 'g.jsonl'))}: cannot write "
        r"\((Read-only file system|Permission denied)\): make it writable or give --out another "
        "path, then run the same command again: the rows already written are kept and only the "
        "rest are graded",
        lines[0],
    ), lines[0]


def _run(exe: str, env: dict[str, str], answers: Path, out: Path, *more: str | Path) -> Any:
    return subprocess.run(
        [exe, "grade", str(answers), "--out", str(out), *map(str, more), "--quiet"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_report_through_a_symlink_replaces_the_target_and_keeps_the_link(
    tmp_path: Path, bank: QuestionBank
) -> None:
    answers = write_jsonl(tmp_path / "a.jsonl", *ANSWERS)
    out = tmp_path / "g.jsonl"
    _grade(answers, out, bank)
    (tmp_path / "shared").mkdir()
    target = tmp_path / "shared" / "summary.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "summary.csv"
    link.symlink_to(target)
    write_summary(link, out)
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8").startswith("rank,candidate_id,")
    assert target.stat().st_mode & 0o777 == 0o640, "the old file's permissions are kept"
