"""Abuse limits of the web front end: failed sign-ins, and reads and streams per candidate token.

**Failed sign-ins** (the manager token, from the sign-in form or as a bearer token) back off per
client address and across all addresses (:class:`SignInPolicy`). The counts live in the web
database, so every server process on it shares them (:meth:`agent.web.store.AppStore.sign_in`):

- per address (an IPv4 address, or an IPv6 /64): the first ``free_failures`` failures cost
  nothing; after that the address must wait ``base_delay`` seconds, doubling with each further
  failure up to ``max_delay``, before its next attempt is even checked. A success from the
  address clears its count; so does ``forget`` seconds without a failure.
- across all addresses: once ``global_limit`` failures happened in the last ``global_window``
  seconds, an address that has failed before is refused until the window has room, so repeat
  guessing from many addresses is capped. An address with no failure on record is still
  checked, so an attack from elsewhere never locks out the real manager: the worst it can do to
  a manager who mistyped is make them wait for ``forget`` seconds.

Refused attempts are not counted (waiting is the only way on), are answered with 429 and
``Retry-After``, and are remembered in this process (:class:`Deadlines`) so that a flood
from a backing-off address costs no database work.

**Candidate tokens** (:class:`CandidateLimits`, kept in each process's memory): reads (the chat
page, the interview state, the event stream) take from a token bucket per token; event streams
open at once are capped per token; and a token refused by the answer rate limit (counted in the
database) is refused here until its wait is over. A refusal is decided before any database or
worker-thread work, so one abusive token cannot slow the interviews of other candidates.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Entries kept per table before expired ones are swept.
_SWEEP_AT = 4096


def address_key(host: str | None) -> str:
    """The key of a client address for the sign-in limits: IPv4 as is, IPv6 by its /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


# --- sign-ins --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInPolicy:
    """How failed sign-ins back off (see the module docstring). Times in seconds."""

    free_failures: int = 5
    base_delay: float = 1.0
    max_delay: float = 900.0
    forget: float = 3600.0
    global_limit: int = 100
    global_window: float = 60.0

    def address_delay(self, failures: int) -> float:
        """Seconds an address must wait after its ``failures``-th failure in a row."""
        if failures <= self.free_failures:
            return 0.0
        exponent = min(failures - self.free_failures - 1, 60)
        return float(min(self.max_delay, self.base_delay * 2.0**exponent))

    def wait(
        self,
        failures: int,
        last_failure: float | None,
        global_failures: int,
        global_oldest: float | None,
        now: float,
    ) -> float:
        """Seconds before an attempt from this address may be checked; 0 if it may be now.

        ``failures`` and ``last_failure`` are the address's record (already forgotten if
        older than ``forget``); ``global_failures`` counts the failures of all addresses in
        the last ``global_window`` seconds, the oldest of them at ``global_oldest``.
        """
        if failures <= 0 or last_failure is None:
            return 0.0  # an address with no failure on record is always checked
        wait = self.address_delay(failures) - (now - last_failure)
        if global_failures >= self.global_limit and global_oldest is not None:
            wait = max(wait, self.global_window - (now - global_oldest))
        return max(0.0, wait)


@dataclass(frozen=True)
class SignInOutcome:
    """What became of one sign-in attempt.

    ``accepted``: the token was right. Otherwise ``wait`` > 0 means it was refused unchecked
    (retry after that many seconds); ``wait`` == 0 means it was checked and wrong, the
    address's ``failures``-th failure in a row (``global_failures`` from all addresses in the
    window), after which the address must wait ``next_wait`` seconds.
    """

    accepted: bool
    wait: float = 0.0
    failures: int = 0
    global_failures: int = 0
    next_wait: float = 0.0


class Deadlines:
    """Keys that must wait until a time, remembered in this process's memory.

    Used for addresses refused lately (refused again with no database
    work until their wait is over; the database stays the authority, shared by every process)
    and for candidate tokens told to wait before answering again.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._until: dict[str, float] = {}

    def wait(self, key: str) -> float:
        """Seconds ``key`` must still wait, as last seen here; 0 if none."""
        until = self._until.get(key)
        if until is None:
            return 0.0
        left = until - self.clock()
        if left <= 0:
            del self._until[key]
            return 0.0
        return left

    def refuse(self, key: str, seconds: float) -> None:
        """Remember that ``key`` must wait ``seconds``."""
        now = self.clock()
        if len(self._until) >= _SWEEP_AT:
            self._until = {k: u for k, u in self._until.items() if u > now}
        self._until[key] = now + seconds

    def forget(self, key: str) -> None:
        """Drop what is remembered about ``key`` (after a successful sign-in, say)."""
        self._until.pop(key, None)


# --- candidate tokens ------------------------------------------------------------------------


class CandidateLimits:
    """Per-token limits on reads and open event streams, in this process's memory.

    Keys are candidate token hashes. Entries exist only for tokens that opened a session (the
    caller takes a read only after the token was looked up), so invalid tokens add nothing.
    Used from the event loop only: no locks.
    """

    def __init__(
        self,
        read_limit: int,
        read_window: float,
        stream_limit: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(max(1, read_limit))
        self.refill = self.capacity / read_window  # reads per second
        self.stream_limit = stream_limit
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (reads left, when)
        self._streams: dict[str, int] = {}
        self._answers = Deadlines(clock)

    # reads: a token bucket per token

    def _level(self, key: str, now: float) -> float:
        left, when = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, left + (now - when) * self.refill)

    def read_wait(self, key: str) -> float:
        """Seconds before this token may read again; 0 if it may now (takes nothing)."""
        if key not in self._buckets:
            return 0.0
        level = self._level(key, self.clock())
        return 0.0 if level >= 1.0 else (1.0 - level) / self.refill

    def take_read(self, key: str) -> float:
        """Take one read: 0, or the seconds to wait if the bucket is empty (nothing taken)."""
        now = self.clock()
        level = self._level(key, now)
        if level < 1.0:
            self._buckets[key] = (level, now)
            return (1.0 - level) / self.refill
        if len(self._buckets) >= _SWEEP_AT:  # full buckets are the same as none
            full = now - self.capacity / self.refill
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > full}
        self._buckets[key] = (level - 1.0, now)
        return 0.0

    # event streams open at once

    def open_stream(self, key: str) -> bool:
        """Take a stream slot for this token; False if it has ``stream_limit`` open already."""
        open_now = self._streams.get(key, 0)
        if open_now >= self.stream_limit:
            return False
        self._streams[key] = open_now + 1
        return True

    def close_stream(self, key: str) -> None:
        """Give back a stream slot."""
        left = self._streams.get(key, 0) - 1
        if left > 0:
            self._streams[key] = left
        else:
            self._streams.pop(key, None)

    def streams(self, key: str) -> int:
        """Event streams this token has open now."""
        return self._streams.get(key, 0)

    # answers refused by the database's rate limit

    def answer_wait(self, key: str) -> float:
        """Seconds this token was told to wait before answering again; 0 if none."""
        return self._answers.wait(key)

    def refuse_answers(self, key: str, seconds: float) -> None:
        """Refuse this token's answers here for ``seconds`` (the database said to wait)."""
        self._answers.refuse(key, seconds)


__all__ = [
    "CandidateLimits",
    "Deadlines",
    "SignInOutcome",
    "SignInPolicy",
    "address_key",
    "retry_after",
]
