"""Grading in forked worker processes: same rows as one process, shared limits, clean failures."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent import Question, QuestionBank, Verdict, get_grader
from agent.batch import BatchOptions, LimitSettings, grade_file
from agent.batch.workers import most_workers, share
from agent.grading.base import Grader, GraderInfo, GraderOptions
from agent.providers.cache import ResponseCache

from .conftest import row, write_jsonl
from .test_resume import by_pair

ROWS = [
    row(f"c{i:03d}", qid, f"{text if i % 3 else TOURIST_ANSWER} (candidate {i})")
    for i in range(14)
    for qid, text in STRONG_ANSWERS.items()
]


def test_two_workers_write_the_rows_one_process_writes(tmp_path: Path, bank: QuestionBank) -> None:
    assert threading.active_count() == 1, "forking needs a single-threaded process"
    answers = write_jsonl(tmp_path / "answers.jsonl", *ROWS)
    one = grade_file(answers, tmp_path / "one.jsonl", bank, get_grader("offline"))
    two = grade_file(
        answers, tmp_path / "two.jsonl", bank, get_grader("offline"), BatchOptions(workers=2)
    )
    assert (one.workers, two.workers) == (1, 2)
    assert two.graded == one.graded == len(ROWS) and two.unscored == one.unscored
    assert by_pair(tmp_path / "one.jsonl") == by_pair(tmp_path / "two.jsonl")
    assert not multiprocessing.active_children()
    assert threading.active_count() == 1, "no thread left behind to stop the next batch forking"
    again = grade_file(
        answers, tmp_path / "two.jsonl", bank, get_grader("offline"), BatchOptions(workers=2)
    )
    assert again.graded == 0 and again.resumed == len(ROWS), "resumed like a one-process run"


def test_workers_share_the_calls_in_flight_against_a_real_server(
    tmp_path: Path, bank: QuestionBank, fake_server: str
) -> None:
    answers = write_jsonl(tmp_path / "answers.jsonl", *ROWS)
    options = GraderOptions(base_url=fake_server, cache=False, reference_examples=False)
    limits = LimitSettings(concurrency=6)
    one = grade_file(
        answers,
        tmp_path / "one.jsonl",
        bank,
        get_grader("openai:fake", options),
        BatchOptions(limits=limits),
    )
    two = grade_file(
        answers,
        tmp_path / "two.jsonl",
        bank,
        get_grader("openai:fake", options),
        BatchOptions(limits=limits, workers=8),
    )
    assert two.workers == 6, "no more workers than calls in flight"
    assert two.graded == len(ROWS) and two.degraded == 0
    assert two.usage.calls == one.usage.calls == len(ROWS)
    assert by_pair(tmp_path / "one.jsonl") == by_pair(tmp_path / "two.jsonl")


class Exploding(Grader):
    """Grades with the offline grader, but fails on one answer."""

    info = GraderInfo(name="exploding", version="1")

    def __init__(self, *, fail: bool = True) -> None:
        self.offline = get_grader("offline")
        self.fail = fail

    async def grade(self, question: Question, answer: str) -> Verdict:
        if self.fail and "candidate 10)" in answer:
            raise RuntimeError("boom on candidate 10")
        return await self.offline.grade(question, answer)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_row_the_grader_fails_on_is_one_error_and_the_rest_are_graded(
    tmp_path: Path, bank: QuestionBank, workers: int
) -> None:
    answers = write_jsonl(tmp_path / "answers.jsonl", *ROWS)
    out = tmp_path / "out.jsonl"
    seen: list[str] = []
    result = grade_file(
        answers,
        out,
        bank,
        Exploding(),
        BatchOptions(workers=workers),
        on_error=lambda e: seen.append(str(e)),
    )
    assert not multiprocessing.active_children()
    lines = [i for i, r in enumerate(ROWS, 1) if "candidate 10)" in r["answer"]]
    failed = len(lines)
    assert 0 < failed < len(ROWS)
    assert sorted(seen) == sorted(
        f"{answers}:{line}:1: not graded (RuntimeError: boom on candidate 10); skipped"
        for line in lines
    )
    assert len(result.errors) == failed and result.graded == len(ROWS) - failed
    kept = by_pair(out)
    assert len(kept) == len(ROWS) - failed and all(r["score"] is not None for r in kept.values())
    # The skipped row was not written, so the same command run again grades it (and only it).
    again = grade_file(answers, out, bank, Exploding(fail=False), BatchOptions(workers=workers))
    assert (again.resumed, again.graded, again.errors) == (len(ROWS) - failed, failed, [])
    assert len(by_pair(out)) == len(ROWS)


def test_limits_are_shared_out_among_workers_and_add_up_to_the_whole() -> None:
    settings = LimitSettings(concurrency=16, rpm={"*": 500, "openai": 4}, tpm={"anthropic": 9000})
    parts = [share(settings, 3, i) for i in range(3)]
    assert [p.concurrency for p in parts] == [6, 5, 5]
    assert [p.rpm for p in parts] == [
        {"*": 167, "openai": 2},
        {"*": 167, "openai": 1},
        {"*": 166, "openai": 1},
    ]
    assert sum(p.tpm["anthropic"] for p in parts) == 9000
    assert most_workers(settings) == 4, "every worker needs a request a minute"
    assert most_workers(LimitSettings(concurrency=2)) == 2


def test_workers_are_not_forked_from_a_threaded_process() -> None:
    # A fresh interpreter: whether this one has threads depends on what ran before.
    script = """
import threading
from agent.batch.workers import usable_workers
alone = usable_workers(1), usable_workers(4)
release = threading.Event()
thread = threading.Thread(target=release.wait)
thread.start()
threaded = usable_workers(4)
release.set()
thread.join()
print(*alone, threaded)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["1", "4", "1"]


def test_the_response_cache_opens_its_own_connection_after_fork(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite")
    cache.put("parent", {"n": 1})
    context = multiprocessing.get_context("fork")

    def child() -> None:
        assert cache.get("parent") == {"n": 1}
        cache.put("child", {"n": 2})
        assert cache._inherited is not cache.conn

    process = context.Process(target=child)
    process.start()
    process.join(timeout=30)
    assert process.exitcode == 0
    assert cache.get("child") == {"n": 2}, "the parent sees what the child wrote"
    assert not hasattr(cache, "_inherited"), "the parent keeps its own connection"
