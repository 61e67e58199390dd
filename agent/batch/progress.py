"""The progress bar of ``screener grade``: done/total, rate, ETA, cost so far, cache hits."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .runner import Tally


class _RateColumn(ProgressColumn):
    """Answers a second, from rich's recent-speed estimate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f}/s" if speed else "-/s", style="progress.data.speed")


class RichProgress:
    """A live bar on a terminal (stderr by default)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.cost: float | None = 0.0
        self.calls = 0
        self.hits = 0
        self.unscored = 0
        self._bar = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("elapsed"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[spent]}"),
            console=self.console,
            transient=False,
        )
        self._task = self._bar.add_task("grade", total=None, spent=self._spent())

    def _spent(self) -> str:
        cost = "cost unknown" if self.cost is None else f"${self.cost:.4f}"
        return f"{cost} | {self.calls} calls | {self.hits} cache hits | {self.unscored} unscored"

    def start(self, total: int, done: int) -> None:
        self._bar.update(self._task, total=total, completed=done, spent=self._spent())
        self._bar.start()

    def advance(self, tally: Tally) -> None:
        usage = tally.usage
        if usage is not None:
            self.calls += usage.calls
            self.hits += usage.cache_hits
            if self.cost is not None:
                self.cost = None if usage.cost_usd is None else self.cost + usage.cost_usd
        self.unscored += tally.unscored
        self._bar.update(self._task, advance=1, spent=self._spent())

    def stop(self) -> None:
        # rich tells its refresh thread to stop but does not wait for it; a thread still alive
        # would keep the next batch in this process from forking workers.
        thread = getattr(self._bar.live, "_refresh_thread", None)
        self._bar.stop()
        if thread is not None:
            thread.join()
