"""Grading files of written answers at scale: the library behind ``screener grade``.

The stages, one module each:

* :mod:`.inputs` streams the answers file (JSONL or CSV) and the take-home questions file,
  naming file, line, column and field for every bad row;
* :mod:`.output` keys every verdict by candidate, question, answer and grader configuration, so
  a re-run after a crash grades only what is missing;
* :mod:`.runner` grades concurrently, inside the per-provider budgets and 429 back-off of
  :mod:`.limits`, or through the providers' batch APIs (:mod:`.provider_batch`);
* :mod:`.report` writes the per-candidate CSV summary and the HTML report.
"""

from __future__ import annotations

from .inputs import AnswerFileError, AnswerRow, load_questions, read_answers
from .limits import LimitSettings
from .output import read_rows, verdict_row
from .report import write_html, write_summary
from .runner import BatchOptions, BatchResult, NoProgress, grade_file, run_batch

__all__ = [
    "AnswerFileError",
    "AnswerRow",
    "BatchOptions",
    "BatchResult",
    "LimitSettings",
    "NoProgress",
    "grade_file",
    "load_questions",
    "read_answers",
    "read_rows",
    "run_batch",
    "verdict_row",
    "write_html",
    "write_summary",
]
