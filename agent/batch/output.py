"""The grades file: one JSON object per verdict, appended and flushed as it is produced.

Every row carries a ``key``: SHA-256 over the candidate id, question id, the answer, the
question's hash (its rubric, reference answer and scale) and the grader configuration's
fingerprint (provider specs, fallbacks, samples, base URL, grader versions, prompt hashes,
calibration). A run starts by keeping the rows of an existing file whose key matches a row of
the input and dropping the rest (a truncated last line after a kill, rows graded with another
configuration or of answers that changed), then grades only the missing rows. So re-running an
interrupted command finishes the job, and the result equals an uninterrupted run's as a set of
rows: the order of rows may differ, since concurrent grading writes them as they finish.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

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
    """One output row as the line written to the grades file."""
    return json.dumps(record, ensure_ascii=False) + "\n"


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


class GradesFile:
    """The ``--out`` file: resumed on open, then appended to one flushed line per verdict."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: TextIO | None = None

    def resume(self, wanted: set[str]) -> tuple[set[str], int]:
        """Keep the rows whose key is in ``wanted`` (once each); (kept keys, rows dropped).

        The file is rewritten atomically only when something is dropped, so an interrupted
        resume leaves either the old file or the new one.
        """
        kept: set[str] = set()
        dropped = 0
        if not self.path.is_file():
            return kept, 0
        total = 0
        with self.path.open("rb") as handle:
            for line in handle:
                total += 1
                key = _key_of(line)
                if key is not None and key in wanted and key not in kept:
                    kept.add(key)
        dropped = total - len(kept)
        if dropped:
            self._rewrite(wanted)
        return kept, dropped

    def _rewrite(self, wanted: set[str]) -> None:
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        written: set[str] = set()
        try:
            with os.fdopen(fd, "wb") as out, self.path.open("rb") as handle:
                for line in handle:
                    key = _key_of(line)
                    if key is not None and key in wanted and key not in written:
                        written.add(key)
                        out.write(line)
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one row and flush it to the operating system at once."""
        self.append_line(row_line(record))

    def append_line(self, line: str) -> None:
        """Write one row already encoded by :func:`row_line`, and flush it."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(line)
        self._handle.flush()

    def close(self) -> None:
        """Close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _key_of(line: bytes) -> str | None:
    if not line.endswith(b"\n"):
        return None
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    key = row.get("key") if isinstance(row, dict) else None
    return key if isinstance(key, str) else None
