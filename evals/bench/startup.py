"""Start-up: how long ``screener --help`` and ``screener grade`` on one answer take, beside the
floor a Python command line cannot go under, measured in the same run.

    python evals/bench/startup.py --runs 10

Each command runs ``--runs`` times as a fresh process (the first run of each is a warm-up and not
counted) and the median wall time is printed with its ratio to the baseline, a minimal
two-command typer app's ``--help`` (Python, typer and rich starting): the ratios show what
screener's own start-up, and grading one answer (offline grader, one-row CSV), add to it.

The targets (issue 15): ``--help`` under 0.3 s, one-row ``grade`` under 0.8 s. The script exits 1
when a median is over its target, so it can guard a change by hand; CI does not time tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL_TYPER = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    print(name)
@app.command()
def bye() -> None:
    pass
app()
"""
ROW = (
    "candidate_id,question_id,answer\n"
    "c1,retrieval-quality,We cut p95 latency from 900 ms to 420 ms.\n"
)


def median_seconds(command: list[str], runs: int, fresh: Path | None = None) -> float:
    """Median wall time of ``command`` over ``runs`` fresh processes, after one warm-up;
    ``fresh`` is removed before each run (``grade`` resumes a file it finds)."""
    times = []
    for attempt in range(runs + 1):
        if fresh is not None:
            fresh.unlink(missing_ok=True)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr!r}")
        if attempt:
            times.append(elapsed)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    python = sys.executable
    screener = str(Path(python).with_name("screener"))
    with tempfile.TemporaryDirectory() as tmp:
        answers, out = Path(tmp, "one.csv"), Path(tmp, "out.jsonl")
        answers.write_text(ROW, encoding="utf-8")
        grade = [screener, "grade", str(answers), "--out", str(out), "--quiet", "--workers", "1"]
        rows = [("screener --help", [screener, "--help"], None, 0.3)]
        rows.append(("screener grade, one row", grade, out, 0.8))
        print(f"median of {args.runs} fresh processes each, after one warm-up")
        base = median_seconds([python, "-c", MINIMAL_TYPER, "--help"], args.runs)
        print(f"baseline, a minimal two-command typer app's --help: {base:.3f} s")
        over = []
        for name, command, fresh, target in rows:
            seconds = median_seconds(command, args.runs, fresh)
            print(
                f"{name}: {seconds:.3f} s, {seconds / base:.2f}x the baseline (target under "
                f"{target} s: {'ok' if seconds < target else 'OVER'})"
            )
            if seconds >= target:
                over.append(name)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
