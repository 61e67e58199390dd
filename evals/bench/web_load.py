"""Load on the web server: many simulated candidates answering at once, on loopback only.

Starts ``screener serve`` on a free 127.0.0.1 port (offline grader, a fresh temporary
database), creates one session per candidate through the manager API, then runs every candidate
at the same time with ``httpx.AsyncClient``: read the first question, answer until the interview
ends. Loops are bounded (at most ``--max-turns`` answers per candidate, ``--deadline`` seconds in
all) and the server is stopped at the end.

Prints, per answer: the server's own time (the ``Server-Timing`` header, which includes waiting
for the single interview worker thread) and the latency the client saw; and the error count.

    python evals/bench/web_load.py [--candidates 100] [--questions 3] [--think 0]
                                   [--abuse-streams 0]

With ``--abuse-streams N`` the candidates run twice on the same server, one after the other:
first alone (the baseline), then while one more candidate token keeps N looping event streams
and reads going for the whole second run. It prints both runs' latency, their ratio, and what
the abusive token got (200s and 429s): the per-token limits should keep the ratio near 1.

With no think time every candidate sends its next answer the moment the last one returns, so
the server is saturated and the figures show queueing behind the single interview worker; with
``--think`` the candidates pause between answers as people do.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"  # loopback only: this script never sends traffic anywhere else

ANSWERS = [
    "I built a 240-case golden set from production failures, labelled by two support leads; "
    "an LLM judge calibrated against 100 human labels (kappa 0.78) scores it in CI and it "
    "caught refund accuracy dropping from 91% to 76%, so we reverted.",
    "We use best practices and robust evaluation across the board.",
    "Before the change p95 latency was 2.1 s on 300 threads; after, 3.4 s with 86% complete "
    "vs 71% before, measured by two reviewers.",
    "Not sure, we mostly eyeballed outputs.",
]
KEEPALIVE_EXPIRY = 4.0  # seconds; below uvicorn's default keep-alive timeout of 5 s
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


@dataclass
class Results:
    server_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    finished: int = 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(db: Path, port: int, token: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCREENER_MANAGER_TOKEN": token}
    command = [sys.executable, "-c", "from agent.cli import main; main()", "serve"]
    command += ["--host", HOST, "--port", str(port), "--db", str(db)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("the server did not start")


async def candidate(
    client: httpx.AsyncClient, token: str, n: int, args: argparse.Namespace, results: Results
) -> None:
    pace = random.Random(n)
    try:
        response = await client.get(f"/api/interview/{token}")
    except httpx.HTTPError as exc:
        results.errors.append(type(exc).__name__)
        return
    if response.status_code != 200:
        results.errors.append(f"GET {response.status_code}")
        return
    view = response.json()
    for turn in range(args.max_turns):
        if view["status"] == "done":
            results.finished += 1
            return
        if args.think:  # the candidate reads and types: 0.5x to 1.5x the think time
            await asyncio.sleep(args.think * (0.5 + pace.random()))
        answer = ANSWERS[(n + turn) % len(ANSWERS)]
        started = time.perf_counter()
        try:
            response = await client.post(f"/api/interview/{token}/answer", json={"answer": answer})
        except httpx.HTTPError as exc:
            results.errors.append(type(exc).__name__)
            return
        results.client_ms.append((time.perf_counter() - started) * 1000)
        timing = SERVER_TIMING.search(response.headers.get("server-timing", ""))
        if timing:
            results.server_ms.append(float(timing.group(1)))
        if response.status_code != 200:
            results.errors.append(f"POST {response.status_code}")
            return
        view = response.json()
    results.errors.append("did not finish within --max-turns")


async def create_sessions(
    url: str, manager_token: str, count: int, args: argparse.Namespace, results: Results
) -> list[str]:
    headers = {"Authorization": f"Bearer {manager_token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as manager:
        created = await asyncio.gather(
            *(
                manager.post("/api/sessions", json={"questions": args.questions}, headers=headers)
                for _ in range(count)
            )
        )
    tokens = []
    for response in created:
        if response.status_code == 201:
            tokens.append(response.json()["candidate_token"])
        else:
            results.errors.append(f"create {response.status_code}")
    return tokens


async def abuse(url: str, token: str, streams: int, stop: asyncio.Event) -> Counter[int]:
    """One token's ``streams`` loops, each reading the event stream then the state, until stop."""
    statuses: Counter[int] = Counter()

    async def loop(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            for path in (f"/api/interview/{token}/stream", f"/api/interview/{token}"):
                try:
                    async with client.stream("GET", path) as response:
                        async for _ in response.aiter_bytes():
                            pass
                        statuses[response.status_code] += 1
                except httpx.HTTPError:
                    statuses[0] += 1

    limits = httpx.Limits(max_connections=streams)
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:
        await asyncio.gather(*(loop(client) for _ in range(streams)))
    return statuses


async def run(url: str, manager_token: str, args: argparse.Namespace) -> tuple[Results, float]:
    results = Results()
    tokens = await create_sessions(url, manager_token, args.candidates, args, results)

    async def one(n: int, token: str) -> None:
        # Each candidate has its own connection, as each has its own browser. Idle connections
        # are dropped before uvicorn's 5 s keep-alive ends, so none is reused as it closes.
        limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY)
        async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:
            await candidate(client, token, n, args, results)

    started = time.perf_counter()
    await asyncio.wait_for(
        asyncio.gather(*(one(n, token) for n, token in enumerate(tokens))),
        timeout=args.deadline,
    )
    return results, time.perf_counter() - started


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--max-turns", type=int, default=12, help="answers per candidate at most")
    parser.add_argument(
        "--think", type=float, default=0.0, help="seconds each candidate waits before answering"
    )
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds for the whole run")
    parser.add_argument(
        "--abuse-streams",
        type=int,
        default=0,
        help="run again while one token keeps this many looping event streams (0: no)",
    )
    args = parser.parse_args()

    token = secrets.token_urlsafe(32)
    port = free_port()
    url = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(Path(tmp) / "sessions.sqlite", port, token)
        try:
            wait_ready(url, proc)
            if args.abuse_streams:  # a short warm-up, so the grader is loaded before the baseline
                warm = argparse.Namespace(**{**vars(args), "candidates": 2, "think": 0.0})
                asyncio.run(run(url, token, warm))
            results, wall = asyncio.run(run(url, token, args))
            abused = asyncio.run(run_abused(url, token, args)) if args.abuse_streams else None
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    print(
        f"candidates at once: {args.candidates} ({args.questions} questions each, offline grader,"
        f" think time {args.think:g} s)"
    )
    report("alone" if abused else "", results, wall)
    if abused is None:
        return
    with_abuse, abused_wall, statuses = abused
    report(f"with one token looping {args.abuse_streams} streams", with_abuse, abused_wall)
    ratio = percentile(with_abuse.client_ms, 50) / percentile(results.client_ms, 50)
    ratio95 = percentile(with_abuse.client_ms, 95) / percentile(results.client_ms, 95)
    print(f"others' client latency, with abuse / alone: p50 x{ratio:.2f}, p95 x{ratio95:.2f}")
    got = ", ".join(f"{code or 'error'}: {n}" for code, n in sorted(statuses.items()))
    print(f"the abusive token's requests: {got}")


def abuser_process(url: str, token: str, streams: int, stop: Any, out: Any) -> None:
    """The abusive token, in a process of its own (as it would be on a machine of its own)."""

    async def go() -> Counter[int]:
        done = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.05)
            done.set()

        watcher = asyncio.create_task(watch())
        statuses = await abuse(url, token, streams, done)
        await watcher
        return statuses

    out.put(dict(asyncio.run(go())))


async def run_abused(
    url: str, manager_token: str, args: argparse.Namespace
) -> tuple[Results, float, Counter[int]]:
    """The candidates run again (new sessions) while one more token abuses the streams."""
    tokens = await create_sessions(url, manager_token, 1, args, Results())
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    abuser = context.Process(
        target=abuser_process, args=(url, tokens[0], args.abuse_streams, stop, out)
    )
    abuser.start()
    await asyncio.sleep(2.0)  # the streams are going before the candidates start
    try:
        results, wall = await run(url, manager_token, args)
    finally:
        stop.set()
    statuses = Counter(out.get(timeout=60))
    abuser.join(timeout=10)
    return results, wall, statuses


def report(label: str, results: Results, wall: float) -> None:
    answers = len(results.client_ms)
    if label:
        print(f"-- {label}")
    print(f"finished interviews: {results.finished}; answers: {answers}; wall: {wall:.1f} s")
    print(f"throughput: {answers / wall:.0f} answers/s")
    print(
        f"server time per answer: p50 {percentile(results.server_ms, 50):.1f} ms, "
        f"p95 {percentile(results.server_ms, 95):.1f} ms"
    )
    print(
        f"client latency per answer: p50 {percentile(results.client_ms, 50):.1f} ms, "
        f"p95 {percentile(results.client_ms, 95):.1f} ms"
    )
    print(
        f"errors: {len(results.errors)}"
        + (f" {sorted(set(results.errors))}" if results.errors else "")
    )


if __name__ == "__main__":
    main()
