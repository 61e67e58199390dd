"""Throughput and memory of ``screener grade`` against a fake provider on loopback.

Starts ``batch_fake_server.py`` (an OpenAI-compatible server answering every request after
``--latency`` seconds), writes N answers, and grades them with the library's batch runner
through the real OpenAI SDK (``openai:fake --base-url http://127.0.0.1:PORT/v1``, JSON-schema
mode, the direct structured path of :mod:`agent.providers.structured`), in a child process per
run so that peak memory is the run's own.

Prints, for each run (N answers, concurrency, worker processes):

* wall time of the grading (imports and the CLI's start-up excluded; the command line's own
  end-to-end time is printed too) against the ideal ``ceil(N / concurrency) x latency``;
* peak resident memory of the parent and of the largest worker, and the parent's growth over
  its memory after start-up (the memory curve runs N at 500, 2,000 and 8,000);
* CPU per answer: the client's (parent and workers) and the fake server's. Everything shares
  this machine's cores, so their sum is what bounds the run once the latency is covered.

and the offline graders' answers per second: on one core (pinned with ``sched_setaffinity``),
for the grader alone and for the whole batch pipeline (read, key, grade, write), and through
the pipeline with one worker per core.

    python evals/bench/batch_throughput.py [--n 2000] [--memory-n 500,2000,8000]
                                           [--sweep 16,32] [--workers N]
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


def cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    """User and system CPU of this process (or of its ended children) so far."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User and system CPU of another process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        started = time.perf_counter()
        result = grade_file(
            answers, Path(f"{out}.w"), bank, get_grader(args.spec), BatchOptions(workers=0)
        )
        report = {"n": len(rows), "alone": alone, "pipeline": pipeline}
        report["workers"] = result.workers
        report["in_workers"] = time.perf_counter() - started
        print(json.dumps(report))
        return
    spec = "openai:fake"
    options = GraderOptions(base_url=args.url, cache=False, max_retries=4, http_backend=args.http)
    grader = get_grader(spec, options)
    settings = {"provider": spec, "base_url": args.url}
    batch = BatchOptions(
        limits=LimitSettings(concurrency=args.concurrency), settings=settings, workers=args.workers
    )
    base = rss_mb()
    cpu, workers_cpu = cpu_seconds(), cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = grade_file(answers, out, bank, grader, batch)
    wall = time.perf_counter() - started
    report = {
        "n": result.rows,
        "graded": result.graded,
        "degraded": result.degraded,
        "workers": result.workers,
        "wall": wall,
        "rss_after_startup_mb": base,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "cpu_s": cpu_seconds() - cpu + cpu_seconds(resource.RUSAGE_CHILDREN) - workers_cpu,
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


HEADER = (
    f"{'N':>6} {'conc':>5} {'procs':>5} {'wall s':>7} {'ideal s':>8} {'of ideal':>9} "
    f"{'peak MB':>8} {'worker MB':>9} {'growth MB':>9} {'client CPU ms/row':>17} "
    f"{'server CPU ms/row':>17}"
)


def measure(
    tmp: Path, server: subprocess.Popen[str], url: str, n: int, concurrency: int, workers: int,
    latency: float,
) -> str:  # fmt: skip
    """One grading run in a child process, as a table row."""
    answers, out = tmp / f"a{n}.jsonl", tmp / f"g{n}-{concurrency}-{workers}.jsonl"
    if not answers.exists():
        write_answers(answers, n)
    served = process_cpu(server.pid)
    r = run_child(
        "--answers", str(answers), "--out", str(out), "--url", url,
        "--concurrency", str(concurrency), "--workers", str(workers),
    )  # fmt: skip
    served = process_cpu(server.pid) - served
    ideal = math.ceil(n / concurrency) * latency
    growth = r["peak_rss_mb"] - r["rss_after_startup_mb"]
    worker = f"{r['worker_peak_rss_mb']:>9.1f}" if r["workers"] > 1 else f"{'-':>9}"
    warn = f"  ({int(r['degraded'])} degraded!)" if r["degraded"] else ""
    return (
        f"{n:>6} {concurrency:>5} {int(r['workers']):>5} {r['wall']:>7.2f} {ideal:>8.2f} "
        f"{ideal / r['wall']:>8.1%} {r['peak_rss_mb']:>9.1f} {worker} {growth:>9.1f} "
        f"{1000 * r['cpu_s'] / n:>17.2f} {1000 * served / n:>17.2f}{warn}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=0, help="as --workers (0: its default)")
    parser.add_argument("--memory-n", default="500,2000,8000", help="Ns for the memory curve")
    parser.add_argument("--sweep", default="16,32", help="other concurrencies to run at --n")
    parser.add_argument("--http", default="aiohttp", help="as screener grade --http")
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

    w = args.workers
    runs = [(args.n, args.concurrency, w)]
    runs += [(args.n, args.concurrency, n) for n in (1, 2, 4) if n != w]
    runs += [(n, args.concurrency, w) for n in sorted(set(_ints(args.memory_n)) - {args.n})]
    runs += [(args.n, c, w) for c in sorted(_ints(args.sweep)) if c != args.concurrency]
    server, url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            print(
                f"fake server {url}, {args.latency * 1000:.0f} ms a request; "
                f"{os.cpu_count()} cores, shared by the server and the client"
            )
            print(HEADER)
            for n, concurrency, workers in runs:
                print(measure(tmp, server, url, n, concurrency, workers, args.latency), flush=True)
            answers = tmp / f"a{args.n}.jsonl"
            exe = Path(sys.executable).parent / "screener"
            command = [
                str(exe), "grade", str(answers), "--out", str(tmp / "cli.jsonl"),
                "--provider", "openai:fake", "--base-url", url,
                "--concurrency", str(args.concurrency), *(["--workers", str(w)] if w else []),
                "--no-cache", "--quiet",
            ]  # fmt: skip
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            cli = time.perf_counter() - started
            print(f"screener grade, N={args.n}, end to end with start-up: {cli:.2f} s")
            for spec in ("offline", "offline-rules"):
                r = run_child(
                    "--answers", str(answers), "--out", str(tmp / f"{spec}.jsonl"),
                    "--offline-only", "--spec", spec,
                )  # fmt: skip
                pinned = run_child(
                    "--answers", str(answers), "--out", str(tmp / f"{spec}-1.jsonl"),
                    "--offline-only", "--one-core", "--spec", spec,
                )  # fmt: skip
                print(
                    f"{spec} grader, N={int(r['n'])}: on one core "
                    f"{pinned['n'] / pinned['alone']:.0f} answers/s (grader alone), "
                    f"{pinned['n'] / pinned['pipeline']:.0f} answers/s (whole batch pipeline); "
                    f"{r['n'] / r['in_workers']:.0f} answers/s in {int(r['workers'])} "
                    f"worker processes"
                )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
