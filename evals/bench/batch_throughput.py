"""Throughput and memory of ``screener grade`` against a fake provider on loopback.

Starts ``batch_fake_server.py`` (an OpenAI-compatible server answering every request after
``--latency`` seconds), writes N answers, and grades them through the real OpenAI SDK and
instructor (``openai:fake --base-url http://127.0.0.1:PORT/v1``, JSON-schema mode) with the
library's batch runner, in a child process per run so that peak memory is the run's own.

Prints, for each N:

* wall time of the grading (imports and the CLI's start-up excluded; the command line's own
  end-to-end time is printed too) against the ideal ``ceil(N / concurrency) x latency``;
* peak resident memory of the child and its growth over the child's memory after start-up;

and the offline graders' answers per second on one core (pinned with ``sched_setaffinity``),
both for the grader alone and for the whole batch pipeline (read, key, grade, write). The
``CPU ms/row`` column is the client's CPU per answer: at concurrency c and latency L the ideal
allows at most ``L / c`` of it (3.1 ms at 64 x 200 ms) on the one core the event loop runs on.

    python evals/bench/batch_throughput.py [--n 2000] [--memory-n 500,2000,8000] [--sweep 16,32]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_answers(path: Path, n: int) -> None:
    """N distinct answers spread over the golden questions, three per candidate."""
    from agent import load_golden_answers

    goldens = [g for g in load_golden_answers() if g.answer.strip()]
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            golden = goldens[i % len(goldens)]
            row = {
                "candidate_id": f"cand-{i // len(goldens):05d}-{i % len(goldens):03d}",
                "question_id": golden.question_id,
                "answer": f"{golden.answer} (variant {i})",
            }
            handle.write(json.dumps(row) + "\n")


def rss_mb() -> float:
    """Resident memory now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(args: argparse.Namespace) -> None:
    """One measured run, in this (child) process; prints a JSON line."""
    from agent import get_grader, load_bank
    from agent.batch import BatchOptions, LimitSettings, grade_file
    from agent.grading.base import GraderOptions

    if args.one_core:
        os.sched_setaffinity(0, {0})
    bank = load_bank()
    answers, out = Path(args.answers), Path(args.out)
    if args.offline_only:
        from agent.batch.inputs import AnswerRow, read_answers

        grader = get_grader(args.spec)
        rows = [r for r in read_answers(answers, bank) if isinstance(r, AnswerRow)]
        grade_now = getattr(grader, "grade_now")  # noqa: B009 - every offline grader has it
        started = time.perf_counter()
        for r in rows:
            grade_now(bank.get(r.question_id), r.answer)
        alone = time.perf_counter() - started
        started = time.perf_counter()
        result = grade_file(answers, out, bank, get_grader(args.spec))
        pipeline = time.perf_counter() - started
        print(
            json.dumps(
                {"n": len(rows), "alone": alone, "pipeline": pipeline, "graded": result.graded}
            )
        )
        return
    spec = "openai:fake"
    options = GraderOptions(base_url=args.url, cache=False, max_retries=4)
    grader = get_grader(spec, options)
    settings = {"provider": spec, "base_url": args.url}
    batch = BatchOptions(limits=LimitSettings(concurrency=args.concurrency), settings=settings)
    base = rss_mb()
    started = time.perf_counter()
    result = grade_file(answers, out, bank, grader, batch)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "n": result.rows,
        "graded": result.graded,
        "degraded": result.degraded,
        "unscored": result.unscored,
        "wall": wall,
        "rss_after_startup_mb": base,
        "peak_rss_mb": peak,
        "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime,
    }
    print(json.dumps(report))


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "batch_fake_server.py"), "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"the fake server did not start: {line!r}")
    return proc, line.split()[-1]


def run_child(*extra: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def measure(tmp: Path, url: str, n: int, concurrency: int, latency: float) -> str:
    """One grading run in a child process, as a table row."""
    answers, out = tmp / f"a{n}.jsonl", tmp / f"g{n}-{concurrency}.jsonl"
    if not answers.exists():
        write_answers(answers, n)
    r = run_child(
        "--answers", str(answers), "--out", str(out), "--url", url,
        "--concurrency", str(concurrency),
    )  # fmt: skip
    ideal = math.ceil(n / concurrency) * latency
    growth = r["peak_rss_mb"] - r["rss_after_startup_mb"]
    warn = f"  ({int(r['degraded'])} degraded!)" if r["degraded"] else ""
    return (
        f"{n:>6} {concurrency:>5} {r['wall']:>7.2f} {ideal:>8.2f} {ideal / r['wall']:>8.1%} "
        f"{r['peak_rss_mb']:>8.1f} {growth:>9.1f} {1000 * r['cpu_s'] / n:>10.1f}{warn}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--memory-n", default="500,2000,8000", help="Ns for the memory curve")
    parser.add_argument("--sweep", default="16,32", help="other concurrencies to run at --n")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--answers", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--offline-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--one-core", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--spec", default="offline", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    runs = [(n, args.concurrency) for n in sorted({args.n, *_ints(args.memory_n)})]
    runs += [(args.n, c) for c in sorted(_ints(args.sweep)) if c != args.concurrency]
    server, url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            print(
                f"fake server {url}, {args.latency * 1000:.0f} ms a request; {os.cpu_count()} cores"
            )
            print(
                f"{'N':>6} {'conc':>5} {'wall s':>7} {'ideal s':>8} {'of ideal':>9} "
                f"{'peak MB':>8} {'growth MB':>9} {'CPU ms/row':>10}"
            )
            for n, concurrency in runs:
                print(measure(tmp, url, n, concurrency, args.latency), flush=True)
            answers = tmp / f"a{args.n}.jsonl"
            exe = Path(sys.executable).parent / "screener"
            command = [
                str(exe), "grade", str(answers), "--out", str(tmp / "cli.jsonl"),
                "--provider", "openai:fake", "--base-url", url,
                "--concurrency", str(args.concurrency), "--no-cache", "--quiet",
            ]  # fmt: skip
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            cli = time.perf_counter() - started
            print(f"screener grade, N={args.n}, end to end with start-up: {cli:.2f} s")
            for spec in ("offline", "offline-rules"):
                r = run_child(
                    "--answers", str(answers), "--out", str(tmp / f"{spec}.jsonl"),
                    "--offline-only", "--one-core", "--spec", spec,
                )  # fmt: skip
                print(
                    f"{spec} grader on one core, N={int(r['n'])}: "
                    f"{r['n'] / r['alone']:.0f} answers/s (grader alone), "
                    f"{r['n'] / r['pipeline']:.0f} answers/s (whole batch pipeline)"
                )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
