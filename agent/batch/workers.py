"""Grading in worker processes: one event loop per core (``screener grade --workers``).

One event loop runs on one core. Grading through an LLM is mostly waiting, but each call still
costs the client a few milliseconds of CPU (building the request, the SDK's HTTP stack, reading
and validating the reply, the judge's own checks), and at 64 calls in flight the loop runs out
of CPU before the provider runs out of capacity. The offline graders are CPU-bound outright.
So the rows are spread over ``workers`` processes:

* The parent scans and resumes as before (:func:`~.runner.grade_file`), then **forks** the
  workers: each inherits the grader already built (models, SDK clients with no connection
  opened yet, calibration, the trained offline model), so a worker starts in milliseconds and
  nothing has to be pickled or loaded again.
* The parent streams the pending rows in small chunks into one bounded queue; a worker takes a
  chunk when it has room, so fast workers take more and memory stays bounded.
* Each worker grades with ``ceil(concurrency / workers)`` tasks, its judges wrapped in their
  own :class:`~.limits.LimitedModel` with an even share of the per-minute budgets, and sends
  every finished output row back.
* The parent alone writes the grades file (appended and flushed per verdict, as in one
  process), counts and reports progress. Killed at any point, it leaves a file a re-run resumes
  from; its workers notice their parent is gone within half a second and exit.

``fork`` is used because it is the start method that shares the built grader. It is safe on
Linux in a process that runs no other thread; elsewhere (macOS, whose system libraries may run
threads of their own, and Windows), or when other threads run, grading stays in one process.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import queue
import sys
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._errors import GraderError, UserError
from .._models import TokenUsage
from ..bank import QuestionBank
from ..grading.reference import TakeHomeGrader
from .inputs import AnswerRow
from .limits import LimitSettings
from .output import row_line, verdict_row

if TYPE_CHECKING:
    from .runner import BatchOptions, Progress, _Run

#: Seconds between a worker's checks that its parent is still alive.
WATCH = 0.5


def available_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def auto_workers(llm: bool) -> int:
    """The default number of workers: one per core, and one more when grading through an LLM.

    An LLM worker waits on the network between bursts of CPU; with a spare worker, one core is
    never idle while its worker waits (measured: 89-90% of the ideal with 3 workers on 2 cores
    against 85% with 2 and 84-86% with 4, ``evals/bench/batch_throughput.py --workers N``).
    """
    return available_cores() + (1 if llm else 0)


def usable_workers(requested: int) -> int:
    """``requested`` if worker processes can be forked safely here, else 1."""
    if requested <= 1:
        return 1
    # macOS lists fork but its system libraries may run threads of their own: spawn only there.
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    return requested


def most_workers(settings: LimitSettings) -> int:
    """The most workers an LLM batch can use: each needs a call in flight and a request a minute."""
    return min([settings.concurrency, *settings.rpm.values(), *settings.tpm.values()])


def share(settings: LimitSettings, workers: int, index: int) -> LimitSettings:
    """Worker ``index``'s part of the calls in flight and budgets; the parts add up to the whole."""

    def part(total: int) -> int:
        return total // workers + (index < total % workers)

    return replace(
        settings,
        concurrency=part(settings.concurrency),
        rpm={k: part(v) for k, v in settings.rpm.items()},
        tpm={k: part(v) for k, v in settings.tpm.items()},
    )


@dataclass
class _Job:
    """What one worker is given when it is forked."""

    index: int
    router: TakeHomeGrader
    bank: QuestionBank
    todo: Any  # queue of row chunks (None: no more)
    done: Any  # queue of messages to the parent
    limits: LimitSettings
    tasks: int  # rows graded at once
    parent: int  # the parent's pid


def _chunks(rows: Iterator[tuple[AnswerRow, str]], size: int) -> Iterator[list[Any]]:
    chunk: list[tuple[AnswerRow, str]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class WorkerPool:
    """``workers`` forked grading processes and the queues to and from them."""

    def __init__(
        self,
        router: TakeHomeGrader,
        bank: QuestionBank,
        options: BatchOptions,
        workers: int,
        *,
        llm: bool,
    ) -> None:
        """Fork the workers now, before this process starts any thread of its own.

        ``llm``: the grader calls a language model (its calls in flight are shared out).
        """
        if llm:
            workers = min(workers, most_workers(options.limits))
        self.workers = workers
        context = multiprocessing.get_context("fork")
        self.todo: Any = context.Queue(maxsize=2 * workers)
        self.done: Any = context.Queue()
        jobs = []
        for index in range(workers):
            limits = share(options.limits, workers, index)
            tasks = limits.concurrency if llm else 1  # offline graders are CPU-bound
            jobs.append(_Job(index, router, bank, self.todo, self.done, limits, tasks, os.getpid()))
        self.chunk = max(1, min(16, jobs[-1].tasks // 2))
        # What the workers inherit is never collected in them: no copy-on-write of every page
        # the collector would touch, and less for each worker's collector to scan. This
        # process collects as before once they are started.
        gc.freeze()
        self.processes = [
            context.Process(
                target=_worker, args=(job,), name=f"screener-grade-{job.index}", daemon=True
            )
            for job in jobs
        ]
        try:
            for process in self.processes:
                process.start()
        finally:
            gc.unfreeze()

    def grade(self, run: _Run, progress: Progress) -> None:
        """Feed ``run``'s pending rows to the workers; write and count what comes back."""
        from .runner import Tally

        stop = threading.Event()
        failed: list[BaseException] = []
        feeder = threading.Thread(
            target=self._feed, args=(run, stop, failed), name="screener-grade-feed", daemon=True
        )
        feeder.start()
        finished = 0
        try:
            while finished < len(self.processes):
                try:
                    message = self.done.get(timeout=WATCH)
                except queue.Empty:
                    self._check_alive()
                    continue
                if message[0] == "row":
                    _, line, unscored, degraded, usage = message
                    run.grades.append_line(line)
                    spent = None if usage is None else TokenUsage.model_validate(usage)
                    tally = Tally(unscored, degraded, spent)
                    run.result.record(tally)
                    progress.advance(tally)
                elif message[0] == "failed":
                    run.failed(message[1], message[2])
                elif message[0] == "done":
                    finished += 1
                    run.result.rate_limited += message[2]
                else:  # ("error", index, is a user error, text)
                    raise (UserError if message[2] else GraderError)(message[3])
            if failed:
                raise failed[0]
        finally:
            stop.set()
            self._close(graceful=finished == len(self.processes))
            feeder.join(timeout=5)

    def _feed(self, run: _Run, stop: threading.Event, failed: list[BaseException]) -> None:
        try:
            for part in _chunks(run.pending(), self.chunk):
                while not stop.is_set():
                    try:
                        self.todo.put(part, timeout=WATCH)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again by grade() in the main thread
            failed.append(exc)
        for _ in self.processes:
            if not stop.is_set():
                self.todo.put(None)

    def _check_alive(self) -> None:
        dead = [p for p in self.processes if p.exitcode not in (None, 0)]
        if dead:
            name, code = dead[0].name, dead[0].exitcode
            raise GraderError(f"grading worker {name} died (exit code {code})")

    def _close(self, *, graceful: bool) -> None:
        for process in self.processes:
            process.join(timeout=5 if graceful else 0)
            if process.is_alive():
                process.terminate()
                process.join()
        for channel in (self.todo, self.done):
            if not graceful:  # what is still buffered may never be read: do not wait for it
                channel.cancel_join_thread()
            channel.close()
            if graceful:  # every worker read its share: the queue's feeder thread ends now
                channel.join_thread()


def _worker(job: _Job) -> None:
    """A worker process: grade chunks from ``todo`` until told to stop; report to ``done``."""
    try:
        asyncio.run(_grade(job))
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
        if isinstance(exc, KeyboardInterrupt):
            os._exit(130)
        text = str(exc) if isinstance(exc, UserError) else _describe(exc)
        job.done.put(("error", job.index, isinstance(exc, UserError), text))
        job.done.close()
        job.done.join_thread()
        os._exit(1)


def _describe(exc: BaseException) -> str:
    """A worker's unexpected failure, with the frame it came from."""
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _describe(exc.exceptions[0])
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    place = f" ({where[0].filename}:{where[0].lineno})" if where else ""
    return f"{type(exc).__name__}: {exc}{place}"


async def _grade(job: _Job) -> None:
    from .runner import close_clients, failure_reason, limit_models

    loop = asyncio.get_running_loop()
    router, tasks = job.router, job.tasks
    family_limits = limit_models(router, job.limits)
    rows: asyncio.Queue[tuple[AnswerRow, str] | None] = asyncio.Queue(maxsize=tasks)

    def take() -> list[tuple[AnswerRow, str]] | None:
        while True:
            try:
                part: list[tuple[AnswerRow, str]] | None = job.todo.get(timeout=WATCH)
                return part
            except queue.Empty:
                if os.getppid() != job.parent:
                    return None

    async def feed() -> None:
        while (part := await loop.run_in_executor(None, take)) is not None:
            for item in part:
                await rows.put(item)
        for _ in range(tasks):
            await rows.put(None)

    async def work() -> None:
        while (item := await rows.get()) is not None:
            row, key = item
            question = job.bank.get(row.question_id)
            try:
                verdict = await router.grade(question, row.answer)
            except UserError:
                raise
            except Exception as exc:  # one row the grader fails on: reported, then skipped
                job.done.put(("failed", row.line, failure_reason(exc)))
                continue
            line = row_line(verdict_row(row, verdict, key, question))
            usage = None if verdict.usage is None else verdict.usage.model_dump()
            job.done.put(("row", line, verdict.score is None, verdict.degraded, usage))

    async def watch() -> None:
        while True:
            await asyncio.sleep(WATCH)
            if os.getppid() != job.parent:
                os._exit(2)  # the parent is gone: nobody will write these verdicts

    watcher = asyncio.create_task(watch())
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(feed())
            for _ in range(tasks):
                group.create_task(work())
    finally:
        watcher.cancel()
        await close_clients(router)
    rate_limited = sum(lim.rate_limited for lim in family_limits.values())
    job.done.put(("done", job.index, rate_limited))
    job.done.close()
    job.done.join_thread()
