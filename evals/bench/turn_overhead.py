"""Per-turn overhead of the interview graph with the SQLite checkpointer.

Runs scripted sessions through ``Interview`` on a real SQLite file and times every
``Interview.answer`` call (resume -> grade -> decide -> next interrupt, checkpoints written
synchronously). It runs with a null grader (graph + checkpointer only) and with each offline
grader (the whole turn). Prints median and p95 in milliseconds.

    python evals/bench/turn_overhead.py [--sessions 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from agent import Interview, OfflineGrader, Question, Verdict, get_grader
from agent.grading.base import Grader

ANSWERS = [
    "We use best practices and robust evaluation across the board.",
    "I built a 240-case golden set from production failures, labelled by two support leads; "
    "an LLM judge calibrated against 100 human labels (kappa 0.78) scores it in CI and it "
    "caught refund accuracy dropping from 91% to 76%, so we reverted.",
    "Not sure, we mostly eyeballed outputs.",
    "Before the change p95 latency was 2.1 s on 300 threads; after, 3.4 s with 86% complete "
    "vs 71% before, measured by two reviewers.",
]


class NullGrader(Grader):
    """Returns a fixed verdict at once: isolates the graph and checkpointer cost."""

    def __init__(self) -> None:
        self.info = OfflineGrader().info.model_copy(update={"name": "null"})

    async def grade(self, question: Question, answer: str) -> Verdict:
        return Verdict(
            question_id=question.id,
            score=3,
            criteria={c.id: 3 for c in question.rubric},
            missing=[question.rubric[0].id],
            grader=self.info,
        )


def run(grader_name: str, sessions: int, db: Path) -> list[float]:
    graders = {
        "null": NullGrader(),
        "offline": get_grader("offline"),  # the default: the trained grader
        "offline-rules": get_grader("offline-rules"),
    }
    timings: list[float] = []
    with Interview.open(db, graders=lambda spec: graders[spec]) as interview:
        for n in range(sessions):
            step = interview.start(track="ai-engineer", questions=3, provider=grader_name)
            turn = 0
            while not step.done:
                text = ANSWERS[(n + turn) % len(ANSWERS)]
                started = time.perf_counter()
                step = interview.answer(step.session_id, text)
                timings.append((time.perf_counter() - started) * 1000)
                turn += 1
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("null", "offline", "offline-rules"):
            timings = run(name, args.sessions, Path(tmp) / f"{name}.sqlite")
            cuts = statistics.quantiles(timings, n=100)
            print(
                f"{name:13s} grader: {len(timings)} turns over {args.sessions} sessions; "
                f"median {statistics.median(timings):.2f} ms, p95 {cuts[94]:.2f} ms, "
                f"max {max(timings):.2f} ms"
            )


if __name__ == "__main__":
    main()
