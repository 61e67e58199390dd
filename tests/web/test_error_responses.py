"""Hostile JSON bodies are 400s, and every response, errors included, has the security headers."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from agent.web.app import MAX_JSON_DEPTH

from .helpers import MANAGER, MANAGER_TOKEN, STRONG, ServerProcess, create, serve_env

HEADERS = {
    "content-security-policy": None,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in HEADERS.items():
        assert name in response.headers, (response.status_code, response.request.url, name)
        if value is not None:
            assert response.headers[name] == value, (response.status_code, name)
    assert "script-src 'self'" in response.headers["content-security-policy"]


def nested(lists: int, leaf: Any = "x") -> Any:
    """``leaf`` inside ``lists`` nested lists."""
    value = leaf
    for _ in range(lists):
        value = [value]
    return value


def post_raw(client: TestClient, path: str, raw: bytes, **headers: str) -> httpx.Response:
    return client.post(path, content=raw, headers={"Content-Type": "application/json", **headers})


# --- JSON depth, size and text --------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_500(client: TestClient) -> None:
    token = create(client)["candidate_token"]
    for raw in (b"[" * 60000, b'{"answer": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        for path, headers in (
            (f"/api/interview/{token}/answer", {}),
            ("/api/sessions", MANAGER),
        ):
            response = post_raw(client, path, raw, **headers)
            assert response.status_code == 400, (path, response.text)
            assert response.json() == {
                "detail": f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep"
            }
            assert_secured(response)
    assert client.get(f"/api/interview/{token}").json()["progress"]["answered"] == 0


def test_the_depth_limit_is_exact(client: TestClient) -> None:
    token = create(client)["candidate_token"]
    path = f"/api/interview/{token}/answer"
    at_limit = {"answer": nested(MAX_JSON_DEPTH - 1)}  # the object is the first level
    over = {"answer": nested(MAX_JSON_DEPTH)}
    assert client.post(path, json=at_limit).status_code == 422  # well formed, wrong type
    assert client.post(path, json=over).status_code == 400
    keys: Any = "x"
    for _ in range(MAX_JSON_DEPTH):
        keys = {"k": keys}
    assert client.post(path, json=keys).status_code == 422  # 32 objects: at the limit
    assert client.post(path, json={"k": keys}).status_code == 400


def test_an_unpaired_surrogate_is_a_400(client: TestClient) -> None:
    created = create(client)
    token = created["candidate_token"]
    for raw in (b'{"answer": "I measured \\udc80 it"}', b'{"answer": "x", "\\ud800": 1}'):
        response = post_raw(client, f"/api/interview/{token}/answer", raw)
        assert response.status_code == 400
        assert "unpaired surrogate" in response.json()["detail"]
    label = post_raw(client, "/api/sessions", b'{"candidate_label": "\\udfff"}', **MANAGER)
    assert label.status_code == 400
    paired = post_raw(client, f"/api/interview/{token}/answer", b'{"answer": "ok \\ud83d\\ude00"}')
    assert paired.status_code == 200  # a real pair is an emoji, and welcome


def test_size_limits(client: TestClient) -> None:
    token = create(client)["candidate_token"]
    big = json.dumps({"answer": "x" * 70000}).encode()
    response = post_raw(client, f"/api/interview/{token}/answer", big)
    assert response.status_code == 413
    assert_secured(response)
    # Shallow but with many items, under the 64 KiB: parsed, then refused by the schema.
    wide = json.dumps({"answer": STRONG, "pad": [[]] * 15000}, separators=(",", ":")).encode()
    assert post_raw(client, f"/api/interview/{token}/answer", wide).status_code == 422


# --- every response carries the security headers --------------------------------------------------


def test_every_status_the_app_sends_has_the_security_headers(
    make_client: Callable[..., TestClient],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(read_limit=3)
    created = create(client, question_ids=["regression-suite"])
    token, sid = created["candidate_token"], created["session_id"]
    answer = f"/api/interview/{token}/answer"
    responses = [
        (200, client.get("/healthz")),
        (303, client.get("/", follow_redirects=False)),
        (400, post_raw(client, answer, b"{not json")),
        (401, client.get("/api/sessions")),
        (403, client.get("/api/sessions", headers={"Authorization": "Bearer wrong-token-1"})),
        (404, client.get("/no/such/page")),
        (404, client.get("/api/sessions/000000000000/report", headers=MANAGER)),
        (405, client.put("/api/sessions", headers=MANAGER)),
        (409, client.get(f"/api/sessions/{sid}/report", headers=MANAGER)),
        (413, post_raw(client, answer, b"x" * 70000)),
        (415, client.post(answer, content=b"answer", headers={"Content-Type": "text/plain"})),
        (422, client.post(answer, json={"answer": 5})),
    ]
    for _ in range(3):
        client.get(f"/api/interview/{token}")
    responses.append((429, client.get(f"/api/interview/{token}")))
    service = client.app.state.web.service  # type: ignore[attr-defined]

    def broken() -> None:
        raise RuntimeError("a bug: secret detail 1234")

    monkeypatch.setattr(service, "list_sessions", broken)
    caplog.set_level(logging.ERROR, "screener.web")
    failure = client.get("/api/sessions", headers=MANAGER)
    responses.append((500, failure))
    for status, response in responses:
        assert response.status_code == status, (status, response.text)
        assert_secured(response)
    assert "secret detail" not in failure.text and "Traceback" not in failure.text
    logged = [r for r in caplog.records if r.name == "screener.web"]
    assert len(logged) == 1 and logged[0].exc_info is not None  # the traceback, once, in the log
    assert "unexpected error in GET /api/sessions" in logged[0].getMessage()


@pytest.mark.slow
def test_uvicorns_own_error_responses_have_the_security_headers(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    with ServerProcess(screener_exe, tmp_path / "h" / "s.sqlite", env) as server:
        replies = []
        for request in (
            b"NOT HTTP AT ALL\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        ):
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(request)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            replies.append(data.decode("latin-1"))
        with httpx.Client(base_url=server.url, timeout=10) as http:
            ordinary = [
                http.get("/no/such/page"),
                http.delete("/healthz"),
                http.post(
                    "/api/sessions",
                    content=b"[" * 50000,
                    headers={**MANAGER, "Content-Type": "application/json"},
                ),
            ]
    for reply in replies:
        head = reply.split("\r\n\r\n", 1)[0].lower()
        assert head.startswith("http/1.1 400"), reply
        for name, value in HEADERS.items():
            assert f"\r\n{name}: " in head, (name, reply)
            if value is not None:
                assert f"\r\n{name}: {value.lower()}" in head
    assert [r.status_code for r in ordinary] == [404, 405, 400]
    for response in ordinary:
        assert_secured(response)
    assert "Traceback" not in server.stderr
