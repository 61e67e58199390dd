"""Grading an answers file concurrently, within provider limits, resumably.

The pipeline of :func:`run_batch`:

1. **Scan.** The answers file is streamed once: bad rows are reported (file, line, column,
   field), good rows counted and their resume keys collected.
2. **Resume.** The ``--out`` file keeps the rows whose key matches (see :mod:`.output`); only
   the other rows are graded.
3. **Grade.** The file is streamed again into a bounded queue read by ``concurrency`` tasks,
   so memory holds the rows in flight, not the file. Every LLM judge's model is wrapped in a
   :class:`~.limits.LimitedModel` (one set of limits per provider family). Each verdict is
   appended and flushed as it finishes. With ``batch_api`` the calls go through the provider's
   batch API instead (:mod:`.provider_batch`). With ``workers`` > 1 the tasks are spread over
   forked worker processes, one event loop per core (:mod:`.workers`); this process still
   scans, resumes and writes every verdict.

The grader is one object built once; the SDK clients, HTTP connection pools and caches inside
it are shared by every row of a process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .._constants import MAX_ANSWER_CHARS
from .._errors import UserError
from .._models import Question, TokenUsage, Verdict
from ..bank import QuestionBank
from ..grading.base import Grader, run_blocking
from ..grading.judge import LLMJudge
from ..grading.reference import TakeHomeGrader, judges_in
from ..report import total_usage
from .inputs import AnswerFileError, AnswerRow, read_answers
from .limits import LimitedModel, LimitSettings, ProviderLimits
from .output import GradesFile, config_fingerprint, refuse_overwrite, row_key, verdict_row


@dataclass(frozen=True)
class Tally:
    """What counting one verdict needs; the verdict itself goes to the grades file."""

    unscored: bool
    degraded: bool
    usage: TokenUsage | None

    @classmethod
    def of(cls, verdict: Verdict) -> Tally:
        """The tally of ``verdict``."""
        return cls(verdict.score is None, verdict.degraded, verdict.usage)


class Progress(Protocol):
    """What the runner reports while it grades (a progress bar, or nothing)."""

    def start(self, total: int, done: int) -> None:
        """``total`` good rows, ``done`` of them kept from an earlier run."""

    def advance(self, tally: Tally) -> None:
        """One more verdict written."""

    def stop(self) -> None:
        """Grading is over."""


class NoProgress:
    """Reports nothing (``--quiet``)."""

    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, tally: Tally) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch; ``settings`` are the grader settings that enter the resume key."""

    limits: LimitSettings = field(default_factory=LimitSettings)
    max_chars: int = MAX_ANSWER_CHARS
    settings: Mapping[str, object] = field(default_factory=dict)
    batch_api: bool = False
    batch_api_options: object | None = None  # provider_batch.BatchApiOptions
    workers: int = 1  # grading processes (see grade_file); 0: workers.auto_workers


@dataclass
class BatchResult:
    """What a run did."""

    rows: int = 0  # good rows in the input
    graded: int = 0  # graded by this run
    resumed: int = 0  # kept from an earlier run of the same configuration
    dropped: int = 0  # rows of the old --out file dropped (other configuration, changed answer)
    errors: list[AnswerFileError] = field(default_factory=list)
    unscored: int = 0
    degraded: int = 0
    usage: TokenUsage = field(default_factory=lambda: TokenUsage(cost_usd=0.0))
    rate_limited: int = 0
    seconds: float = 0.0
    batches: list[str] = field(default_factory=list)
    workers: int = 1  # grading processes used

    def record(self, tally: Tally) -> None:
        """Count one new verdict."""
        self.graded += 1
        self.unscored += tally.unscored
        self.degraded += tally.degraded
        if tally.usage is not None:
            self.usage = total_usage([self.usage, tally.usage])


def iter_judges(grader: Grader) -> Iterator[LLMJudge]:
    """Every LLM judge in a grader tree (fallback chains, take-home routing, wrappers)."""
    yield from judges_in(grader)


def limit_models(grader: Grader, settings: LimitSettings) -> dict[str, ProviderLimits]:
    """Wrap every judge's model in the limits of its provider family; the limits by family."""
    limits: dict[str, ProviderLimits] = {}
    wrapped: dict[int, LimitedModel] = {}
    for judge in iter_judges(grader):
        model = judge.model
        if isinstance(model, LimitedModel):
            continue
        if id(model) not in wrapped:
            family = limits.setdefault(model.provider, settings.for_provider(model.provider))
            wrapped[id(model)] = LimitedModel(model, family, settings)
        judge.model = wrapped[id(model)]
    return limits


@dataclass
class _Run:
    """A batch after its scan: the rows left to grade, and where their verdicts go."""

    router: TakeHomeGrader
    grades: GradesFile
    result: BatchResult
    pending: Callable[[], Iterator[tuple[AnswerRow, str]]]
    source: Path
    on_error: Callable[[AnswerFileError], None] | None

    def failed(self, line: int, reason: str) -> None:
        """A row the grader could not grade: one error line; the row is skipped, not written
        (so the next run of the same command grades it again)."""
        error = AnswerFileError(self.source, line, 1, "", f"not graded ({reason}); skipped")
        self.result.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)


def failure_reason(exc: BaseException) -> str:
    """One line about a grader failure on a row: its type and first 200 characters."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _prepare(
    answers: Path,
    out: Path,
    bank: QuestionBank,
    grader: Grader,
    options: BatchOptions,
    on_error: Callable[[AnswerFileError], None] | None,
) -> _Run:
    """Steps 1 and 2 of the module docstring: scan the answers, resume the output.

    ``out`` is refused when it is the answers file (by inode) before anything is opened for
    writing, and opened for appending before any row is graded, so an unwritable path fails
    before a model is called.
    """
    refuse_overwrite({"ANSWERS": answers}, {"--out": out})
    router = grader if isinstance(grader, TakeHomeGrader) else TakeHomeGrader(grader)
    config = config_fingerprint(router, options.settings)
    hashes: dict[str, str] = {}

    def key_of(row: AnswerRow) -> str:
        if row.question_id not in hashes:
            hashes[row.question_id] = bank.get(row.question_id).rubric_hash
        return row_key(row, hashes[row.question_id], config)

    result = BatchResult()
    wanted: set[str] = set()
    for item in read_answers(answers, bank, max_chars=options.max_chars):
        if isinstance(item, AnswerFileError):
            result.errors.append(item)
            if on_error is not None:
                on_error(item)
            continue
        result.rows += 1
        wanted.add(key_of(item))
    grades = GradesFile(out)
    done, result.dropped = grades.resume(wanted)
    result.resumed = len(done)
    del wanted
    if result.rows > result.resumed:
        grades.open()

    def pending() -> Iterator[tuple[AnswerRow, str]]:
        for item in read_answers(answers, bank, max_chars=options.max_chars):
            if isinstance(item, AnswerRow):
                key = key_of(item)
                if key not in done:
                    yield item, key

    return _Run(router, grades, result, pending, answers, on_error)


@contextmanager
def _running(run: _Run, progress: Progress) -> Iterator[None]:
    """Progress started, and the output closed and the time taken recorded however it ends."""
    started = time.perf_counter()
    progress.start(run.result.rows, run.result.resumed)
    try:
        yield
    finally:
        run.grades.close()
        progress.stop()
        run.result.seconds = time.perf_counter() - started


async def run_batch(
    answers: Path,
    out: Path,
    bank: QuestionBank,
    grader: Grader,
    options: BatchOptions | None = None,
    *,
    on_error: Callable[[AnswerFileError], None] | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Grade every good row of ``answers`` that ``out`` lacks, in this process's event loop."""
    options = options or BatchOptions()
    progress = progress or NoProgress()
    run = _prepare(answers, out, bank, grader, options, on_error)
    result = run.result
    with _running(run, progress):
        if options.batch_api:
            from .provider_batch import grade_with_batch_api

            await grade_with_batch_api(
                run.pending(),
                run.router,
                bank,
                run.grades,
                result,
                progress,
                options,
                on_failure=run.failed,
            )
        else:
            limits = limit_models(run.router, options.limits)
            workers = options.limits.concurrency if limits else 1
            await grade_rows(
                run.pending(),
                run.router.grade,
                bank,
                run.grades,
                result,
                progress,
                workers,
                on_failure=run.failed,
            )
            result.rate_limited = sum(lim.rate_limited for lim in limits.values())
    return result


GradeOne = Callable[[Question, str], Awaitable[Verdict]]


async def grade_rows(
    rows: Iterator[tuple[AnswerRow, str]],
    grade_one: GradeOne,
    bank: QuestionBank,
    grades: GradesFile,
    result: BatchResult,
    progress: Progress,
    workers: int,
    *,
    on_exhausted: Callable[[], None] | None = None,
    on_failure: Callable[[int, str], None] | None = None,
) -> None:
    """Grade ``rows`` with ``workers`` concurrent workers, writing each verdict as it finishes.

    Rows wait in a queue of ``2 * workers``, so only the rows in flight are in memory. A row
    the grader fails on (anything but a :class:`~agent._errors.UserError`, such as a full disk,
    which stops the batch) goes to ``on_failure(line, reason)`` and the batch goes on.
    """
    queue: asyncio.Queue[tuple[AnswerRow, str] | None] = asyncio.Queue(maxsize=2 * workers)

    async def produce() -> None:
        for item in rows:
            await queue.put(item)
        for _ in range(workers):
            await queue.put(None)

    async def work() -> None:
        while (item := await queue.get()) is not None:
            row, key = item
            question = bank.get(row.question_id)
            try:
                verdict = await grade_one(question, row.answer)
            except UserError:
                raise
            except Exception as exc:
                if on_failure is None:
                    raise
                on_failure(row.line, failure_reason(exc))
                continue
            grades.append(verdict_row(row, verdict, key, question))
            tally = Tally.of(verdict)
            result.record(tally)
            progress.advance(tally)
        if on_exhausted is not None:
            on_exhausted()

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(produce())
            for _ in range(workers):
                group.create_task(work())
    except BaseExceptionGroup as failed:
        error = _first_user_error(failed)
        if error is None:
            raise
        raise error from None


def _first_user_error(group: BaseExceptionGroup[BaseException]) -> UserError | None:
    """The user error (a full disk, say) a task group ended with, if any.

    The CLI prints a :class:`~agent._errors.UserError` as one line; wrapped in a group it would
    be a traceback. Any other failure stays the group it was.
    """
    for error in group.exceptions:
        found = _first_user_error(error) if isinstance(error, BaseExceptionGroup) else error
        if isinstance(found, UserError):
            return found
    return None


def grade_file(
    answers: Path,
    out: Path,
    bank: QuestionBank,
    grader: Grader,
    options: BatchOptions | None = None,
    *,
    on_error: Callable[[AnswerFileError], None] | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Grade a file from synchronous code: in ``options.workers`` processes, or in this one.

    With more than one worker (and no ``batch_api``), the rows are graded by forked worker
    processes, each with its own event loop (:mod:`.workers`). Otherwise :func:`run_batch`
    runs on an event loop of its own; the HTTP clients of the grader's models belong to that
    loop, so they are closed at the end. Either way, build a new grader for another call.
    """
    from .workers import auto_workers, usable_workers

    options = options or BatchOptions()
    llm = any(True for _ in iter_judges(grader))
    workers = 1 if options.batch_api else usable_workers(options.workers or auto_workers(llm))
    if workers > 1:
        from .workers import WorkerPool

        progress = progress or NoProgress()
        batch = _prepare(answers, out, bank, grader, options, on_error)
        pool = WorkerPool(batch.router, bank, options, workers, llm=llm)  # forked before threads
        batch.result.workers = pool.workers
        with _running(batch, progress):
            pool.grade(batch, progress)
        return batch.result

    async def run() -> BatchResult:
        try:
            return await run_batch(
                answers, out, bank, grader, options, on_error=on_error, progress=progress
            )
        finally:
            await close_clients(grader)

    return run_blocking(run())


async def close_clients(grader: Grader) -> None:
    """Close the SDK clients (and their connection pools) of every judge's model."""
    closed: set[int] = set()
    for judge in judges_in(grader):
        model: object = judge.model
        while hasattr(model, "inner"):
            model = model.inner
        client = getattr(model, "client", None)
        close = getattr(client, "close", None)
        if client is not None and close is not None and id(client) not in closed:
            closed.add(id(client))
            await close()
