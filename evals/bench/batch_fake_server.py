"""A fake OpenAI-compatible chat server on loopback, for the batch benchmark and tests.

Answers ``POST /v1/chat/completions`` after ``--latency`` seconds with a judge verdict built by
the scripted naive judge (one grade per rubric criterion found in the system prompt): as message
content for JSON-schema requests (what ``--base-url`` servers get), as a tool call otherwise.

It shares the benchmark's cores with the client it measures, so it is kept cheap: HTTP/1.1 with
keep-alive on a bare asyncio protocol (no stream objects, no task per request; the reply is
written by a timer), about a third of a millisecond of CPU a request.

    python evals/bench/batch_fake_server.py --port 0 --latency 0.2

prints ``listening on http://127.0.0.1:PORT/v1`` and serves until killed (or ``--seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from agent.providers.fake import naive_judge


def reply(request: dict[str, Any]) -> dict[str, Any]:
    """A chat completion whose message carries the naive judge's verdict."""
    messages = request.get("messages", [])
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    user = next((m["content"] for m in messages if m.get("role") == "user"), "")
    verdict = json.dumps(naive_judge(system, user))
    message: dict[str, Any] = {"role": "assistant", "content": verdict}
    finish = "stop"
    if request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": name, "arguments": verdict},
        }
        message, finish = {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
    prompt = (len(system) + len(user)) // 4
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": 120, "total_tokens": prompt + 120},
    }


class FakeServer:
    """The server's state; ``requests`` counts the completions served."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.requests = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    def respond(self, request_line: str, body: bytes) -> tuple[str, dict[str, Any]]:
        method, path, _ = (request_line.split(" ") + ["", ""])[:3]
        if method != "POST" or not path.endswith("/chat/completions"):
            return "404 Not Found", {"error": {"message": f"no route {method} {path}"}}
        return "200 OK", reply(json.loads(body))


class Connection(asyncio.Protocol):
    """One keep-alive connection: parse each request, answer it ``latency`` seconds later."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            status, payload = self.server.respond(head[0], body)
            data = json.dumps(payload).encode()
            response = (
                f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(data)}\r\nconnection: keep-alive\r\n\r\n".encode()
                + data
            )
            self.server.in_flight += 1
            self.server.peak_in_flight = max(self.server.peak_in_flight, self.server.in_flight)
            asyncio.get_running_loop().call_later(self.server.latency, self._send, response)

    def _send(self, response: bytes) -> None:
        self.server.in_flight -= 1
        self.server.requests += 1
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(response)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(port: int, latency: float, seconds: float | None) -> None:
    fake = FakeServer(latency)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Connection(fake), "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{bound}/v1", flush=True)
    async with server:
        if seconds is None:
            await server.serve_forever()
        else:
            await asyncio.sleep(seconds)
    print(f"served {fake.requests} requests, peak {fake.peak_in_flight} in flight", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.latency, args.seconds))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
