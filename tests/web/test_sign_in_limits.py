"""Failed sign-ins back off per address and across addresses; weak environment tokens fail."""

from __future__ import annotations

import logging
import math
import re
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from agent import UserError
from agent.web.config import manager_token_from_env
from agent.web.limits import SignInPolicy, address_key
from agent.web.security import GENERATE_TOKEN, token_entropy_bits, token_weakness
from agent.web.store import AppStore

from .helpers import MANAGER, MANAGER_TOKEN, ServerProcess, serve_env

WRONG = {"Authorization": "Bearer " + "w" * 20 + secrets.token_urlsafe(8)}


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def at_address(client: TestClient, host: str) -> TestClient:
    """Another client of the same running app, connecting from ``host``."""
    return TestClient(client.app, client=(host, 40000))


def login(client: TestClient, token: str) -> httpx.Response:
    form = client.get("/manage/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text
    return client.post(
        "/manage/login",
        data={"token": token, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )


@pytest.fixture
def clocked(make_client: Callable[..., TestClient]) -> tuple[TestClient, Clock]:
    client = make_client()
    clock = Clock()
    client.app.state.web.clock = clock  # type: ignore[attr-defined]
    return client, clock


# --- per address ---------------------------------------------------------------------------------


def test_an_address_backs_off_after_five_failures_and_doubles_its_wait(
    clocked: tuple[TestClient, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    client, clock = clocked
    attacker = at_address(client, "203.0.113.7")
    statuses = [attacker.get("/api/sessions", headers=WRONG).status_code for _ in range(6)]
    assert statuses == [403] * 6  # five free failures, then the sixth is checked and counted
    refused = attacker.get("/api/sessions", headers=WRONG)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    # Refused attempts are not checked: the right token from a backing-off address is refused too.
    assert attacker.get("/api/sessions", headers=MANAGER).status_code == 429
    assert "backing off" in caplog.text and "203.0.113.7" in caplog.text
    # Each further failure doubles the wait: 1, 2, 4, 8 s ...
    waits, wait = [], 1
    for _ in range(4):
        clock.now += wait - 0.5
        assert attacker.get("/api/sessions", headers=WRONG).status_code == 429  # not yet
        clock.now += 0.5
        assert attacker.get("/api/sessions", headers=WRONG).status_code == 403
        wait = int(attacker.get("/api/sessions", headers=WRONG).headers["retry-after"])
        waits.append(wait)
    assert waits == [2, 4, 8, 16]
    # Once its own wait is over, the right token works from that address, and clears its count.
    clock.now += 16
    assert attacker.get("/api/sessions", headers=MANAGER).status_code == 200
    assert attacker.get("/api/sessions", headers=WRONG).status_code == 403
    assert attacker.get("/api/sessions", headers=WRONG).status_code == 403  # free again


def test_the_real_manager_signs_in_from_another_address_during_an_attack(
    clocked: tuple[TestClient, Clock],
) -> None:
    client, _ = clocked
    attacker = at_address(client, "198.51.100.20")
    manager = at_address(client, "192.0.2.44")
    outcomes = Counter(attacker.get("/api/sessions", headers=WRONG).status_code for _ in range(50))
    assert outcomes == {403: 6, 429: 44}
    assert manager.get("/api/sessions", headers=MANAGER).status_code == 200
    response = login(manager, MANAGER_TOKEN)
    assert response.status_code == 303 and response.headers["location"] == "/manage"


def test_the_form_and_bearer_tokens_share_one_count(clocked: tuple[TestClient, Clock]) -> None:
    client, _ = clocked
    attacker = at_address(client, "198.51.100.21")
    for _ in range(3):
        assert login(attacker, "not-the-token").status_code == 403
    for _ in range(3):
        assert attacker.get("/api/sessions", headers=WRONG).status_code == 403
    refused = login(attacker, MANAGER_TOKEN)
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
    assert refused.headers["retry-after"] == "1"
    assert "screener_manager=" not in refused.headers.get("set-cookie", "")
    assert attacker.get("/api/sessions", headers=MANAGER).status_code == 429


def test_an_address_is_forgotten_after_an_hour_without_failures(
    clocked: tuple[TestClient, Clock],
) -> None:
    client, clock = clocked
    attacker = at_address(client, "198.51.100.22")
    for _ in range(6):
        attacker.get("/api/sessions", headers=WRONG)
    assert attacker.get("/api/sessions", headers=WRONG).status_code == 429
    clock.now += 3601
    assert [attacker.get("/api/sessions", headers=WRONG).status_code for _ in range(6)] == [403] * 6


def test_ipv6_addresses_back_off_by_their_64_prefix() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1" == address_key("192.0.2.1")
    assert address_key(None) == "unknown"


# --- across addresses -----------------------------------------------------------------------------


def test_the_global_cap_holds_back_repeat_guessers_but_never_a_new_address(
    make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(sign_in=SignInPolicy(global_limit=10))
    clock = Clock()
    client.app.state.web.clock = clock  # type: ignore[attr-defined]
    caplog.set_level(logging.WARNING, "screener.web.security")
    guessers = [at_address(client, f"198.51.100.{n}") for n in range(1, 6)]
    for guesser in guessers:  # 2 failures each: 10 in all, none backing off on its own
        for _ in range(2):
            assert guesser.get("/api/sessions", headers=WRONG).status_code == 403
    assert "10 failed sign-ins from all addresses" in caplog.text
    # The cap is reached: addresses that failed before wait for the window to have room ...
    refused = guessers[0].get("/api/sessions", headers=WRONG)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert guessers[1].get("/api/sessions", headers=MANAGER).status_code == 429
    # ... but an address with no failure on record is still checked: the real manager gets in,
    # and a new guesser gets one guess before it waits too.
    assert at_address(client, "192.0.2.1").get("/api/sessions", headers=MANAGER).status_code == 200
    newcomer = at_address(client, "192.0.2.2")
    assert newcomer.get("/api/sessions", headers=WRONG).status_code == 403
    assert newcomer.get("/api/sessions", headers=WRONG).status_code == 429
    clock.now += 61  # the window slides on
    assert guessers[1].get("/api/sessions", headers=MANAGER).status_code == 200


def test_the_policy_waits() -> None:
    policy = SignInPolicy(free_failures=5, base_delay=1, max_delay=900, global_limit=100)
    assert [policy.address_delay(n) for n in (0, 5, 6, 7, 8, 15, 16, 40)] == [
        0,
        0,
        1,
        2,
        4,
        512,
        900,
        900,
    ]
    assert policy.wait(7, last_failure=100.0, global_failures=0, global_oldest=None, now=101) == 1
    assert policy.wait(0, None, global_failures=500, global_oldest=90.0, now=100) == 0
    assert policy.wait(1, 99.0, global_failures=100, global_oldest=90.0, now=100) == 50


def test_failed_sign_ins_are_shared_through_the_database(tmp_path: Path) -> None:
    """Two stores on one file, as two processes: one's failures count for the other."""
    policy = SignInPolicy(free_failures=1, base_delay=10)
    first, second = AppStore(tmp_path / "w.sqlite"), AppStore(tmp_path / "w.sqlite")
    try:
        assert not first.sign_in("a", lambda: False, policy, now=0).accepted
        assert second.sign_in("a", lambda: False, policy, now=1).next_wait == 10
        refused = first.sign_in("a", lambda: True, policy, now=2)
        assert not refused.accepted and refused.wait == 9
        assert second.sign_in("a", lambda: True, policy, now=11).accepted
        assert first.sign_in_addresses() == 0  # the success cleared the address
    finally:
        first.close()
        second.close()


# --- the environment token must be hard to guess --------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "a" * 32,
        "password" * 4,
        "passwordpasswordpassword12345678",
        "ab" * 20,
        "abcdefghijklmnopqrstuvwxyz123456",
        "qwertyuiopasdfghjklzxcvbnm123456",
        "0123456789012345678901234567890123",
        "screener-manager-token-2024-abcd",
        "test-manager-token-0123456789-abcdefghijklmnopqrstuvwxyz",
        "MyCompanyHiringManagerSecretKey1",
        "Summer2024!Summer2024!Summer2024!",
        "short",
    ],
)
def test_guessable_environment_tokens_are_refused_with_how_to_make_one(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENER_MANAGER_TOKEN", token)
    with pytest.raises(UserError) as raised:
        manager_token_from_env()
    message = str(raised.value)
    assert "\n" not in message and token not in message
    assert message.startswith("SCREENER_MANAGER_TOKEN is too easy to guess: ")
    assert message.endswith(f"generate one with: {GENERATE_TOKEN}")
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in message


def test_random_tokens_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    makers = [
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_urlsafe(24),
        lambda: secrets.token_hex(16),
        lambda: secrets.token_hex(32),
        lambda: "".join(secrets.choice("0123456789") for _ in range(32)),
        lambda: "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(32)),
    ]
    for make in makers:
        for _ in range(200):
            token = make()
            assert token_weakness(token) is None, (token, token_entropy_bits(token))
    monkeypatch.setenv("SCREENER_MANAGER_TOKEN", MANAGER_TOKEN)
    assert manager_token_from_env() == MANAGER_TOKEN


# --- a bounded attack on a real server over 127.0.0.1 ---------------------------------------------


def _client_from(host: str, url: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=host)
    return httpx.Client(base_url=url, transport=transport, timeout=20)


def _loopback_alias_works() -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.2", 0))
        except OSError:
            return False
    return True


@pytest.mark.slow
def test_an_attack_over_loopback_backs_off_and_the_manager_still_gets_in(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    if not _loopback_alias_works():
        pytest.skip("cannot bind 127.0.0.2 (needs the whole 127.0.0.0/8 on loopback)")
    env = serve_env(cli_env, MANAGER_TOKEN)
    with ServerProcess(screener_exe, tmp_path / "attack" / "s.sqlite", env) as server:
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def attack(kind: str) -> None:
            with _client_from("127.0.0.2", server.url) as http:
                for n in range(100):  # bounded: 100 guesses a thread, 300 in all
                    if kind == "bearer":
                        guess = {"Authorization": f"Bearer guess-{n}-{secrets.token_hex(8)}"}
                        status = http.get("/api/sessions", headers=guess).status_code
                    else:
                        status = login_http(http, f"guess-{n}")
                    with lock:
                        statuses[status] += 1

        threads = [threading.Thread(target=attack, args=(k,)) for k in ("bearer", "bearer", "form")]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.monotonic() - started
        assert sum(statuses.values()) == 300
        # 5 free failures and the 6th; then one more each time the wait (1, 2, 4 ... s) is over.
        checked = statuses[403]
        assert 6 <= checked <= 6 + math.ceil(math.log2(elapsed + 1)), (statuses, elapsed)
        assert statuses[429] == 300 - checked
        with _client_from("127.0.0.2", server.url) as http:  # still backing off: not checked
            assert http.get("/api/sessions", headers=MANAGER).status_code == 429
        with _client_from("127.0.0.3", server.url) as http:  # the manager elsewhere: fine
            assert http.get("/api/sessions", headers=MANAGER).status_code == 200
            assert login_http(http, MANAGER_TOKEN) == 303
        assert "backing off" in server.stderr and "127.0.0.2" in server.stderr
        assert MANAGER_TOKEN not in server.stderr + server.stdout


def login_http(http: httpx.Client, token: str) -> int:
    form = http.get("/manage/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text
    response = http.post(
        "/manage/login",
        data={"token": token, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    return response.status_code
