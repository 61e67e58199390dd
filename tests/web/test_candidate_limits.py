"""Per-token limits on reads and open event streams: 429 with Retry-After, before any work."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from agent.web.limits import CandidateLimits
from agent.web.security import token_hash

from .helpers import MANAGER, STRONG, app_server, confirm_notice, create


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def count_calls(client: TestClient) -> Counter[str]:
    """Count the service's database lookups and worker calls from now on."""
    service = client.app.state.web.service  # type: ignore[attr-defined]
    calls: Counter[str] = Counter()
    lookup, call = service.lookup, service.call

    async def counted_lookup(fn: Any, *args: Any) -> Any:
        calls["lookup"] += 1
        return await lookup(fn, *args)

    async def counted_call(fn: Any, *args: Any) -> Any:
        calls["call"] += 1
        return await call(fn, *args)

    service.lookup, service.call = counted_lookup, counted_call
    return calls


def test_reads_per_token_are_limited_and_refusals_cost_nothing(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(read_limit=5)
    token = create(client)["candidate_token"]
    other = create(client)["candidate_token"]
    reads = [
        client.get(f"/api/interview/{token}"),
        client.get(f"/api/interview/{token}?include=history"),
        client.get(f"/i/{token}"),
        client.get(f"/api/interview/{token}/stream"),
        client.get(f"/api/interview/{token}"),
    ]
    assert [r.status_code for r in reads] == [200] * 5
    calls = count_calls(client)
    for path in ("", "/stream"):
        refused = client.get(f"/api/interview/{token}{path}")
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("too many requests for this interview")
        assert 1 <= int(refused.headers["retry-after"]) <= 12
        assert refused.headers["x-frame-options"] == "DENY"  # security headers on 429s too
    page = client.get(f"/i/{token}")
    assert page.status_code == 429 and "Please wait" in page.text and page.headers["retry-after"]
    assert calls == {}  # refused before any lookup or worker call
    # Another candidate, an invalid token and the manager are not affected.
    assert client.get(f"/api/interview/{other}").status_code == 200
    assert client.get("/api/interview/not-a-token").status_code == 404
    assert client.get("/api/sessions", headers=MANAGER).status_code == 200
    # Answering is limited separately (10 a minute) and still works.
    response = client.post(f"/api/interview/{token}/answer", json={"answer": STRONG})
    assert response.status_code == 200


def test_reads_come_back_as_the_bucket_refills(make_client: Callable[..., TestClient]) -> None:
    client = make_client(read_limit=3, read_window=30.0)  # one read back every 10 s
    clock = Clock()
    client.app.state.web.limits.clock = clock  # type: ignore[attr-defined]
    token = create(client)["candidate_token"]
    assert [client.get(f"/api/interview/{token}").status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    clock.now += 9
    refused = client.get(f"/api/interview/{token}")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    clock.now += 1
    assert client.get(f"/api/interview/{token}").status_code == 200
    assert client.get(f"/api/interview/{token}").status_code == 429


def test_stream_slots_are_given_back_however_a_stream_ends(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client(read_limit=100)
    limits: CandidateLimits = client.app.state.web.limits  # type: ignore[attr-defined]
    created = create(client)
    token = created["candidate_token"]
    for _ in range(5):  # more streams than the limit, one after another: each gives its slot back
        with client.stream("GET", f"/api/interview/{token}/stream") as stream:
            assert stream.status_code == 200
            assert "event: done" in "".join(stream.iter_text())
    assert limits.streams(token_hash(token)) == 0
    # A stream whose session is erased between the token lookup and the view gives it back too.
    service = client.app.state.web.service  # type: ignore[attr-defined]
    view = service.candidate_view

    def erased(session_id: str, with_history: bool = False) -> Any:
        service.delete_session(session_id)
        return view(session_id, with_history)

    service.candidate_view = erased
    assert client.get(f"/api/interview/{token}/stream").status_code == 404
    assert limits.streams(token_hash(token)) == 0


def test_open_streams_per_token_are_capped() -> None:
    limits = CandidateLimits(read_limit=30, read_window=60, stream_limit=2)
    assert [limits.open_stream("a") for _ in range(3)] == [True, True, False]
    assert limits.open_stream("b")  # another token has its own slots
    limits.close_stream("a")
    assert limits.open_stream("a") and not limits.open_stream("a")
    for _ in range(2):
        limits.close_stream("a")
    assert limits.streams("a") == 0


def test_a_token_over_the_answer_limit_is_refused_without_a_lookup(
    client: TestClient,
) -> None:
    token = create(client, question_ids=["regression-suite"])["candidate_token"]
    for _ in range(10):
        client.post(f"/api/interview/{token}/answer", json={"answer": "we tested it"})
    assert client.post(f"/api/interview/{token}/answer", json={"answer": "x"}).status_code == 429
    calls = count_calls(client)
    for _ in range(20):
        refused = client.post(f"/api/interview/{token}/answer", json={"answer": "x"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert calls == {}


# --- a bounded abuse test against a real server on 127.0.0.1 --------------------------------------


async def _abuse(url: str, token: str, other: str) -> dict[str, Any]:
    """40 streams at once from one token, then 100 quick reads, while another candidate answers."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def one_stream() -> tuple[int, str | None, str]:
            async with http.stream("GET", f"/api/interview/{token}/stream") as response:
                body = (await response.aread()).decode()
                return response.status_code, response.headers.get("retry-after"), body

        async def candidate() -> list[int]:
            statuses = []
            view = (await http.get(f"/api/interview/{other}")).json()
            for n in range(3):
                if view["status"] == "done":
                    break
                body = {"answer": f"[{n}] {STRONG}"}
                response = await http.post(f"/api/interview/{other}/answer", json=body)
                statuses.append(response.status_code)
                view = response.json()
            return statuses

        started = time.monotonic()
        streams, answers = await asyncio.gather(
            asyncio.gather(*(one_stream() for _ in range(40))), candidate()
        )
        reads = [(await http.get(f"/api/interview/{token}")).status_code for _ in range(100)]
        elapsed = time.monotonic() - started
    return {"streams": streams, "answers": answers, "reads": reads, "elapsed": elapsed}


@pytest.mark.slow
def test_one_abusive_token_gets_two_streams_and_its_reads_while_others_answer(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    # Long streams (0.4 s a word), so all 40 arrive while the first two are still open.
    db = tmp_path / "abuse" / "s.sqlite"
    with app_server(db, cli_env, stream_delay=0.4, read_limit=30) as server:
        headers = {"Authorization": MANAGER["Authorization"]}
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as manager:
            token = manager.post("/api/sessions", json={}).json()["candidate_token"]
            other = manager.post("/api/sessions", json={}).json()["candidate_token"]
            confirm_notice(manager, other)
        result = asyncio.run(_abuse(server.url, token, other))
    streams = Counter(status for status, _, _ in result["streams"])
    assert streams == {200: 2, 429: 38}  # two at once, however many are asked for
    refused = [(after, body) for status, after, body in result["streams"] if status == 429]
    assert all(after and int(after) >= 1 for after, _ in refused)
    over_slots = sum("already streaming" in body for _, body in refused)  # these took a read
    assert result["answers"] and set(result["answers"]) == {200}  # the other candidate went on
    reads = Counter(result["reads"])
    assert set(reads) <= {200, 429} and reads[429] > 0
    # Every accepted read came out of a bucket of 30 that refills at 0.5 a second.
    taken = streams[200] + over_slots + reads[200]
    assert taken <= 30 + 0.5 * result["elapsed"] + 1, (taken, result["elapsed"])
