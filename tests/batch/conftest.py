"""Fixtures for the batch tests: answers files, take-home questions, a fake provider server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import QuestionBank
from agent.batch import load_questions

ROOT = Path(__file__).resolve().parents[2]

#: A take-home question with only a reference answer, scored 0-10.
REFERENCE = (
    "Use a held-out test set of at least 500 labelled examples, stratified by class. "
    "Report precision and recall per class, not only accuracy, because the classes are "
    "imbalanced. Recall on the fraud class was 0.62 before the threshold change and 0.81 after. "
    "Never tune the threshold on the test set; use a separate validation split."
)
QUESTIONS_YAML = f"""\
questions:
  - id: fraud-eval
    text: How would you evaluate the fraud classifier before launch?
    competency: ml-evaluation
    scale: {{min: 0, max: 10}}
    reference_answer: "{REFERENCE}"
  - id: sql-window
    text: Write a query that ranks each customer's orders by amount and explain it.
    competency: data-and-sql
    rubric:
      - id: correctness
        name: Correct query
        description: The query ranks orders per customer correctly.
        evidence: [method]
        keywords: [row_number, partition by, order by]
        levels:
          1: No query, or a query that does not rank.
          2: Ranks globally instead of per customer.
          3: Correct ranking with a minor slip.
          4: Correct ranking, ties considered.
          5: Correct, handles ties, explains the window frame.
      - id: explanation
        name: Explanation
        description: Explains how the window function works.
        evidence: [method]
        keywords: [window, partition, rank]
        levels:
          1: No explanation of the query at all.
          2: Restates the query in words only.
          3: Explains partitioning or ordering, not both.
          4: Explains partitioning and ordering clearly.
          5: Explains both and the choice of rank function.
      - id: performance
        name: Performance
        description: Considers indexes and the cost of the window.
        evidence: [quantity, method]
        keywords: [index, sort, rows]
        levels:
          1: Does not consider performance at all here.
          2: Mentions performance without specifics.
          3: Names an index that would help the query.
          4: Sizes the cost with row counts or a plan.
          5: Measured the query plan before and after.
"""


def write_jsonl(path: Path, *rows: object) -> Path:
    """Rows as JSON lines; strings are written as they are (for malformed lines)."""
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(candidate: str, question: str, answer: str) -> dict[str, str]:
    return {"candidate_id": candidate, "question_id": question, "answer": answer}


@pytest.fixture
def questions_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.yaml"
    path.write_text(QUESTIONS_YAML, encoding="utf-8")
    return path


@pytest.fixture
def take_home_bank(bank: QuestionBank, questions_file: Path) -> QuestionBank:
    return load_questions(questions_file, bank)


@pytest.fixture
def fake_server() -> Iterator[str]:
    """A fake OpenAI-compatible server on loopback (50 ms a request); yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "evals/bench/batch_fake_server.py"), "--latency", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        line = proc.stdout.readline()
        assert line.startswith("listening on ") or time.monotonic() > deadline, line
        yield line.split()[-1]
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
