"""Which of many regular expressions can match a text, in one linear pass.

The offline graders ask dozens of Python patterns of every answer, and most of them find nothing:
an answer without an injection still pays for every injection pattern. :class:`Screen` compiles
a *looser* copy of each pattern into a few small RE2 sets (automata that read the text once,
whatever the patterns) and tells which patterns may match; the exact Python pattern then runs
only on those. The looser copy drops what RE2 cannot express or what could make it stricter
than Python: every zero-width assertion (lookarounds, ``\\b``, ``^``, ``$``), and Python's
Unicode ``\\w``, ``\\d``, ``\\s`` become Unicode classes at least as wide. What is left matches
wherever the original matches, in the whole text or in any part of it (a sentence), so the
screen can only let through too much, never hide a match. A pattern it cannot translate is
always let through.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import re2

log = logging.getLogger(__name__)

_WORD = r"\p{L}\p{N}\p{M}_"
_DIGIT = r"\p{N}"
_SPACE = r"\s\p{Z}\x{85}\x{1c}-\x{1f}"
_ANY = r"(?s:.)"
# Outside a class: Python's shorthands and what at least covers them in RE2.
_OUTSIDE = {
    "w": f"[{_WORD}]",
    "d": f"[{_DIGIT}]",
    "s": f"[{_SPACE}]",
    "W": _ANY,
    "D": _ANY,
    "S": _ANY,
}
# Inside a positive class; the negated shorthands cannot be widened there, so they give up.
_INSIDE = {"w": _WORD, "d": _DIGIT, "s": _SPACE}
_ZERO_WIDTH_ESCAPES = frozenset("bBAZz")


class Untranslatable(ValueError):
    """The pattern uses syntax the screen does not widen; it is always let through."""


def loosen(pattern: str) -> str:
    """An RE2 pattern matching wherever ``pattern`` (Python syntax) matches, in any substring."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i = _escape(pattern, i, out)
        elif c == "[":
            i = _char_class(pattern, i, out)
        elif c == "(" and pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _skip_group(pattern, i)
            if i < n and pattern[i] in "?*+{":
                raise Untranslatable("a quantified lookaround")
        elif c == "(" and pattern.startswith("(?(", i):
            raise Untranslatable("a conditional group")
        elif c in "^$":
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _escape(pattern: str, i: int, out: list[str]) -> int:
    if i + 1 >= len(pattern):
        raise Untranslatable("a trailing backslash")
    e = pattern[i + 1]
    if e in _ZERO_WIDTH_ESCAPES:
        return i + 2
    if e.isdigit() and e != "0":
        raise Untranslatable("a back-reference")
    if e in "uU":
        width = 4 if e == "u" else 8
        out.append("\\x{" + pattern[i + 2 : i + 2 + width] + "}")
        return i + 2 + width
    if e == "N":
        raise Untranslatable("a named character")
    out.append(_OUTSIDE.get(e, pattern[i : i + 2]))
    return i + 2


def _char_class(pattern: str, i: int, out: list[str]) -> int:
    j = i + 1
    negated = j < len(pattern) and pattern[j] == "^"
    if negated:
        j += 1
    body: list[str] = []
    if j < len(pattern) and pattern[j] == "]":  # a literal "]" first
        body.append(r"\]")
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        if pattern[j] == "\\":
            e = pattern[j + 1]
            if e in "uUN":
                raise Untranslatable("a code-point escape in a class")
            if negated:
                # RE2's ASCII shorthands exclude fewer characters: the class only widens.
                body.append(pattern[j : j + 2])
            elif e in _INSIDE:
                body.append(_INSIDE[e])
            elif e in "WDS":
                raise Untranslatable("a negated shorthand in a class")
            else:
                body.append(pattern[j : j + 2])
            j += 2
        else:
            body.append("\\[" if pattern[j] == "[" else pattern[j])
            j += 1
    if j >= len(pattern):
        raise Untranslatable("an unterminated class")
    out.append("[" + ("^" if negated else "") + "".join(body) + "]")
    return j + 1


def _skip_group(pattern: str, i: int) -> int:
    """The index just after the group opening at ``i``."""
    depth, j = 0, i
    in_class = False
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern.startswith(("[]", "[^]"), j):
                j += 2 if pattern[j + 1] == "]" else 3
                continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise Untranslatable("an unbalanced group")


def _flags(compiled: re.Pattern[str]) -> str:
    flags = "m"
    if compiled.flags & re.IGNORECASE:
        flags += "i"
    if compiled.flags & re.DOTALL:
        flags += "s"
    if compiled.flags & re.VERBOSE:
        raise Untranslatable("a verbose pattern")
    return f"(?{flags})"


class Possible(Sequence["re.Pattern[str]"]):
    """The patterns a :class:`Screen` lets through, in their order. ``in`` tests identity: a
    compiled pattern's own hash reads its whole program, microseconds for the large ones, and
    the graders ask it thousands of times an answer."""

    __slots__ = ("_ids", "_patterns")

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self._patterns = tuple(patterns)
        self._ids = frozenset(map(id, self._patterns))

    def __contains__(self, pattern: object) -> bool:
        return id(pattern) in self._ids

    def __iter__(self) -> Iterator[re.Pattern[str]]:
        return iter(self._patterns)

    def __len__(self) -> int:
        return len(self._patterns)

    @overload
    def __getitem__(self, index: int) -> re.Pattern[str]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[re.Pattern[str]]: ...

    def __getitem__(self, index: int | slice) -> re.Pattern[str] | Sequence[re.Pattern[str]]:
        return self._patterns[index]


class Screen:
    """Which of ``patterns`` may match a text (see the module's docstring).

    The looser patterns go into RE2 sets of ``chunk`` each: one set of dozens of patterns has
    to track every pattern's state at once and runs slower than a few small ones. Building the
    sets costs about as much as running every pattern on a few dozen answers, so the first
    ``warm_up`` texts are let through whole (every pattern may match) and the sets are built
    when the next one comes: grading one answer (``screener grade`` on a row, one chat turn)
    does not pay for what only a batch earns back. The answers are the same either way."""

    def __init__(
        self, patterns: Iterable[re.Pattern[str]], chunk: int = 4, warm_up: int = 24
    ) -> None:
        self.patterns: Sequence[re.Pattern[str]] = list(patterns)
        self.chunk = chunk
        self.warm_up = warm_up
        self._seen = 0

    @functools.cached_property
    def _compiled(self) -> tuple[list[int], list[tuple[list[int], re2.Set]]]:
        """(positions always let through, [(positions, RE2 set)])."""
        always: list[int] = []
        loose: list[tuple[int, str]] = []
        for position, compiled in enumerate(self.patterns):
            try:
                text = _flags(compiled) + "(?:" + loosen(compiled.pattern) + ")"
                re2.compile(text)
            except (Untranslatable, re2.error, ValueError) as error:
                log.debug("screen lets %r through: %s", compiled.pattern[:60], error)
                always.append(position)
                continue
            loose.append((position, text))
        options = re2.Options()
        options.max_mem = 64 << 20
        sets = []
        for start in range(0, len(loose), self.chunk):
            part = loose[start : start + self.chunk]
            searcher = re2.Set.SearchSet(options)
            for _, text in part:
                searcher.Add(text)
            searcher.Compile()
            sets.append(([position for position, _ in part], searcher))
        return always, sets

    def possible(self, text: str) -> Possible:
        """The patterns that may match somewhere in ``text``, in their original order."""
        if self._seen < self.warm_up:
            self._seen += 1
            return Possible(self.patterns)
        always, sets = self._compiled
        encoded = text.encode("utf-8")
        hits = set(always)
        for positions, searcher in sets:
            hits.update(positions[k] for k in searcher.Match(encoded) or ())
        return Possible(self.patterns[k] for k in sorted(hits))

    @property
    def translated(self) -> int:
        """How many of the patterns the screen can rule out (the rest always pass)."""
        return len(self.patterns) - len(self._compiled[0])
