"""The grades file: one JSON object per verdict, appended and flushed as it is produced.

Every row carries a ``key``: SHA-256 over the candidate id, question id, the answer, the
question's hash (its rubric, reference answer and scale) and the grader configuration's
fingerprint (provider specs, fallbacks, samples, base URL, grader versions, prompt hashes,
calibration). A run starts by keeping the rows of an existing file whose key matches a row of
the input and dropping the rest (a truncated last line after a kill, rows graded with another
configuration or of answers that changed), then grades only the missing rows. So re-running an
interrupted command finishes the job, and the result equals an uninterrupted run's as a set of
rows: the order of rows may differ, since concurrent grading writes them as they finish.

Writing never loses what is already on disk. A row is appended with unbuffered writes, so a
failed write (disk full, a read-only file system) leaves at most one cut-off last line, which
resume drops; the summary, the HTML report and resume's own rewrite go through a temporary file
that replaces the old one only once it is complete. Each such failure is one
:class:`~agent._errors.OutputError` naming the file and what to do, and no output may be the
same file as an input (:func:`refuse_overwrite`).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from io import FileIO, RawIOBase
from pathlib import Path
from typing import Any

from .._errors import OutputError, UserError
from .._models import Question, Verdict
from ..grading.base import Grader
from ..grading.reference import sub_graders
from .inputs import AnswerRow


def describe(grader: Grader) -> list[str]:
    """Everything about a grader tree that can change a verdict, one entry per grader."""
    parts = [part for child in sub_graders(grader) for part in describe(child)]
    calibration = getattr(grader, "calibration", None)
    if calibration is not None and hasattr(calibration, "model_dump_json"):
        digest = hashlib.sha256(calibration.model_dump_json().encode()).hexdigest()
        parts.append(f"calibration:{digest}")
    parts.append(f"{type(grader).__name__}:{grader.info.name}:{grader.fingerprint()}")
    return parts


def config_fingerprint(grader: Grader, settings: Mapping[str, object]) -> str:
    """The grader configuration's fingerprint: the grader tree and the settings that shape it."""
    blob = json.dumps({"graders": describe(grader), **settings}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def answer_hash(answer: str) -> str:
    """SHA-256 of an answer."""
    return hashlib.sha256(answer.encode()).hexdigest()


def row_key(row: AnswerRow, question_hash: str, config: str) -> str:
    """The resume key of one answer under one grader configuration."""
    parts = [row.candidate_id, row.question_id, answer_hash(row.answer), question_hash, config]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def verdict_row(row: AnswerRow, verdict: Verdict, key: str, question: Question) -> dict[str, Any]:
    """The output record of one graded answer; ``score`` is on the question's scale."""
    take_home = verdict.scale_min is not None and verdict.scale_max is not None
    return {
        "candidate_id": row.candidate_id,
        "question_id": row.question_id,
        "score": verdict.scaled_score if take_home else verdict.score,
        "scale": {
            "min": verdict.scale_min if take_home else 1,
            "max": verdict.scale_max if take_home else 5,
        },
        "competency": question.competency,
        "kind": verdict.question_kind or "experience",
        "criteria": verdict.criteria,
        "evidence": verdict.quotes,
        "missing": verdict.missing,
        "injection": verdict.injection,
        "flags": verdict.flags,
        "explanation": verdict.explanation,
        "empty": verdict.empty,
        "grader": verdict.grader.model_dump(),
        "answer_sha256": answer_hash(row.answer),
        "key": key,
        "verdict": verdict.model_dump(mode="json"),
    }


def row_line(record: Mapping[str, Any]) -> str:
    """One output row as the line written to the grades file (always encodable as UTF-8)."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a model's reply): keep it as an escape
        line = json.dumps(record) + "\n"
    return line


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The well-formed rows of a grades file, streamed; a truncated or foreign line is skipped."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.endswith("\n"):
                continue  # cut off mid-write
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and isinstance(row.get("key"), str):
                yield row


#: What re-running does after the grades file could not be written.
RESUME = (
    "run the same command again: the rows already written are kept and only the rest are graded"
)


class GradesFile:
    """The ``--out`` file: resumed on open, then appended to one written line per verdict."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: FileIO | None = None

    def resume(self, wanted: set[str]) -> tuple[set[str], int]:
        """Keep the rows whose key is in ``wanted`` (once each); (kept keys, rows dropped).

        The file is rewritten atomically only when something is dropped, so an interrupted
        or failed resume leaves either the old file or the new one.
        """
        kept: set[str] = set()
        dropped = 0
        if not self.path.is_file():
            return kept, 0
        total = 0
        try:
            with self.path.open("rb") as handle:
                for line in handle:
                    total += 1
                    key = _key_of(line)
                    if key is not None and key in wanted and key not in kept:
                        kept.add(key)
        except OSError as exc:
            raise UserError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
        dropped = total - len(kept)
        if dropped:
            self._rewrite(wanted)
        return kept, dropped

    def _rewrite(self, wanted: set[str]) -> None:
        written: set[str] = set()
        with replacing(self.path, "--out", RESUME) as out, self.path.open("rb") as handle:
            for line in handle:
                key = _key_of(line)
                if key is not None and key in wanted and key not in written:
                    written.add(key)
                    write_all(out, line)

    def open(self) -> None:
        """Open the file for appending (creating it and its folder) unless it is open already.

        Called before grading starts, so an unwritable path fails before any model is called.
        """
        if self._handle is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = FileIO(self.path, "a")
        except OSError as exc:
            raise OutputError(self.path, exc, "--out", RESUME) from None

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one row to the operating system at once."""
        self.append_line(row_line(record))

    def append_line(self, line: str) -> None:
        """Write one row already encoded by :func:`row_line`.

        The write is unbuffered: a row is on disk (in the page cache) when this returns, and a
        failed write leaves nothing behind in a buffer to be written, cut, at close.
        """
        self.open()
        assert self._handle is not None
        try:
            write_all(self._handle, line.encode("utf-8"))
        except OSError as exc:
            raise OutputError(self.path, exc, "--out", RESUME) from None

    def close(self) -> None:
        """Close the file."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.close()


def write_all(handle: RawIOBase, data: bytes) -> None:
    """Write all of ``data`` to an unbuffered file, however many writes it takes."""
    view = memoryview(data)
    while view:
        written = handle.write(view)
        if not written:
            raise OSError(f"{getattr(handle, 'name', 'file')}: write made no progress")
        view = view[written:]


@contextmanager
def replacing(path: Path, option: str, then: str) -> Iterator[FileIO]:
    """An unbuffered temporary file that replaces ``path`` when the block ends without error.

    A failure leaves ``path`` as it was and removes the temporary file; an ``OSError`` becomes
    an :class:`~agent._errors.OutputError` naming ``path``. The new file keeps the old one's
    permissions (or gets the usual ones for a new file), not ``mkstemp``'s owner-only mode. A
    symlink is followed (its target is replaced, the link kept); a device or a pipe such as
    ``/dev/null`` is written as it is, having nothing to lose.
    """
    target = Path(os.path.realpath(path))
    try:
        kind = os.stat(target).st_mode
    except OSError:
        kind = stat.S_IFREG
    if not stat.S_ISREG(kind):
        try:
            with FileIO(target, "w") as device:
                yield device
        except OSError as exc:
            raise OutputError(path, exc, option, then) from None
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise OutputError(path, exc, option, then) from None
    try:
        try:
            handle = FileIO(fd, "w")
        except BaseException:
            os.close(fd)
            raise
        with handle:
            yield handle
        os.chmod(temp, _mode_for(target))
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise OutputError(path, exc, option, then) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def replace_text(path: Path, text: str, option: str, then: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file; see :func:`replacing`."""
    with replacing(path, option, then) as handle:
        write_all(handle, text.encode("utf-8"))


def _mode_for(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: one inode (through a symlink, a hard link or another
    relative path), or, for a file not there yet, one path once resolved. Devices such as
    ``/dev/null`` are never the same file: writing one twice destroys nothing."""
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:
        pass
    else:
        return os.path.samestat(first, second) and stat.S_ISREG(first.st_mode)
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return False


def refuse_overwrite(inputs: Mapping[str, Path | None], outputs: Mapping[str, Path | None]) -> None:
    """Refuse, before anything is opened for writing, an output that is an input or another output.

    The names are how the user gives each path (``ANSWERS``, ``--out``); a clash is one
    :class:`~agent._errors.UserError` naming both.
    """
    given_in = [(name, path) for name, path in inputs.items() if path is not None]
    given_out = [(name, path) for name, path in outputs.items() if path is not None]
    for index, (name, path) in enumerate(given_out):
        for other, other_path in [*given_in, *given_out[:index]]:
            if same_file(path, other_path):
                kind = "input" if (other, other_path) in given_in else "output"
                raise UserError(
                    f"{name} {path} is the same file as {other} {other_path}; writing it would "
                    f"overwrite that {kind}: give {name} another path"
                )


def _key_of(line: bytes) -> str | None:
    if not line.endswith(b"\n"):
        return None
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    key = row.get("key") if isinstance(row, dict) else None
    return key if isinstance(key, str) else None
