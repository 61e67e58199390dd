"""Key points of a reference answer, and how an answer fares on each: made, partly made, missing
or contradicted.

The reference is split into key points (sentences, long ones into clauses). A point's coverage
is the share of its content words (lower-cased, crudely stemmed, stop words dropped) found in the
best-matching answer sentence (or, discounted, anywhere in the answer), blended with the share of
its numbers the answer gives. A number the reference gives as a bound ("at least 5,000", "under
200 ms", "above 0.2") is given by any number that meets the bound. A point is contradicted only by
a real contradiction: another number where the reference fixes one exactly (or one that breaks
its bound), the opposite claim (a negation the reference does not have, unless an opposite word
undoes it: "not the same" is "different"), an opposite word ("the same state" for "a different
state"), or the opposite direction of a change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

WORD = re.compile(r"\d+(?:[.,]\d+)*|[a-z][a-z'-]*")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_CONTRAST = re.compile(r"\b(?:rather than|instead of)\b", re.I)  # "by time rather than randomly"
_NOT_NEGATION = re.compile(r"\b(?:not only|not just|not least|no (?:more|less|fewer) than)\b", re.I)
_CLAUSE = re.compile(r",\s+(?:and|but|so|while|whereas|which)\s+|\s+because\s+", re.I)
STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not of off on once only or other our ours out over own same she should
    so some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you
    your yours one ones thing things way ways get got make made use used using uses like really
    lot lots well much many every via per etc e g i e""".split()
)
NEGATIONS = frozenset(
    "not no never without cannot can't don't doesn't didn't isn't wasn't aren't weren't won't "
    "shouldn't neither nor none".split()
)
_UP = frozenset(
    "increase increased increases increasing rose rise rises higher more up grew".split()
)
_DOWN = frozenset(
    "decrease decreased decreases decreasing fell fall falls lower less fewer down shrank".split()
)


def stem(word: str) -> str:
    """A crude stem: plural dropped, then the first six letters ("calibrated" ~ "calibration")."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word[:6]


def split_sentences(text: str) -> list[str]:
    """Sentences split at their ends and at line breaks (a semicolon keeps its clauses together)."""
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _number(token: str) -> str:
    """A number in one spelling: "1,050" -> "1050", "0,62" -> "0.62", "3.0" -> "3"."""
    if _THOUSANDS.match(token):
        token = token.replace(",", "")
    token = token.replace(",", ".")
    try:
        return f"{float(token):g}"
    except ValueError:
        return token


#: "at least 5,000", "more than 0.2", "under 200 ms", "<= 3": (the bound's sense, its number)
_BOUND = re.compile(
    r"(?P<op>at least|no (?:less|fewer) than|not (?:less|fewer) than|more than|over|above|"
    r"greater than|exceeds?|>=|≥|>|at most|no more than|not more than|up to|less than|fewer than|"
    r"under|below|within|<=|≤|<)\s*(?:about\s+|roughly\s+|~|\$)?(?P<n>\d+(?:[.,]\d+)*)",
    re.I,
)
_LOWER_BOUND = (
    "at least",
    "no less",
    "no fewer",
    "not less",
    "not fewer",
    "more",
    "over",
    "above",
    "greater",
    "exceed",
    ">",
    "≥",
)
#: Words whose swap states the opposite ("the same state" / "a different state").
_OPPOSITE_PAIRS = [
    ("same", "different"), ("same", "separate"), ("open", "closed"), ("complete", "incomplete"),
    ("connected", "disconnected"), ("connected", "separated"),
    ("series", "parallel"), ("higher", "lower"), ("increase", "decrease"),
    ("increases", "decreases"), ("true", "false"), ("inside", "outside"), ("before", "after"),
    ("always", "never"), ("with", "without"), ("valid", "invalid"), ("correct", "incorrect"),
    ("stable", "unstable"), ("daily", "monthly"), ("daily", "weekly"), ("weekly", "monthly"),
    ("above", "below"), ("over", "under"), ("larger", "smaller"), ("greater", "smaller"),
    ("maximum", "minimum"), ("maximise", "minimise"), ("maximize", "minimize"),
    ("ascending", "descending"),
]  # fmt: skip
OPPOSITES: dict[str, frozenset[str]] = {}
for _a, _b in _OPPOSITE_PAIRS:
    OPPOSITES[_a] = OPPOSITES.get(_a, frozenset()) | {_b}
    OPPOSITES[_b] = OPPOSITES.get(_b, frozenset()) | {_a}


@dataclass(frozen=True)
class Terms:
    """What a sentence says, for matching: content-word stems, numbers (and the bounds some of
    them are), negation, direction, and its plain words (for opposites)."""

    words: frozenset[str]
    numbers: frozenset[str]
    negated: bool
    directions: frozenset[str]
    bounds: frozenset[tuple[str, bool]] = frozenset()  # (number, True for a lower bound)
    plain: frozenset[str] = frozenset()

    def meets(self, number: str, found: frozenset[str]) -> bool:
        """Whether ``found`` (an answer's numbers) gives ``number`` of this text: the number
        itself, or one that meets it where it is a bound."""
        if number in found:
            return True
        for bound, lower in self.bounds:
            if bound == number:
                return any(_meets(n, bound, lower) for n in found)
        return False


def _meets(value: str, bound: str, lower: bool) -> bool:
    try:
        v, b = float(value), float(bound)
    except ValueError:
        return False
    return v >= b if lower else v <= b


@lru_cache(maxsize=4096)
def terms(text: str) -> Terms:
    """The :class:`Terms` of ``text``. A hyphenated word counts as its parts ("connection-oriented"
    is "connection oriented"), and two-letter words that are not stop words count ("IP", "OS")."""
    tokens = WORD.findall(text.lower())
    parts = [p for t in tokens for p in (t.split("-") if "-" in t.strip("-") else [t]) if p]
    words = frozenset(
        stem(t)
        for t in parts
        if t[0].isalpha() and len(t) > 1 and t not in STOP_WORDS and t not in NEGATIONS
    )
    numbers = frozenset(_number(t) for t in tokens if t[0].isdigit())
    directions = frozenset(
        d for d, vocab in (("up", _UP), ("down", _DOWN)) if any(t in vocab for t in tokens)
    )
    bounds = frozenset(
        (_number(m.group("n")), m.group("op").lower().startswith(_LOWER_BOUND))
        for m in _BOUND.finditer(text)
    )
    negated = bool(_CONTRAST.search(text)) or any(
        t in NEGATIONS or t.endswith("n't")
        for t in WORD.findall(_NOT_NEGATION.sub(" ", _BOUND.sub(" ", text.lower())))
    )
    plain = frozenset(t for t in tokens if t in OPPOSITES)
    return Terms(words, numbers, negated, directions, bounds, plain)


@dataclass(frozen=True)
class KeyPoint:
    """One claim of the reference answer."""

    text: str
    terms: Terms


def key_points(reference: str) -> list[KeyPoint]:
    """The reference split into sentences (long ones into clauses) of 2+ content words each."""
    points: list[KeyPoint] = []
    for sentence in split_sentences(reference):
        parts = [p.strip(" ,;") for p in _CLAUSE.split(sentence)]
        if any(len(terms(p).words) < 3 for p in parts):
            parts = [sentence]  # a clause too short to stand alone stays in its sentence
        points += [KeyPoint(p, terms(p)) for p in parts if len(terms(p).words) >= 2]
    if not points and reference.strip():
        points.append(KeyPoint(reference.strip(), terms(reference)))
    return points


@dataclass(frozen=True)
class PointMatch:
    """How an answer fares on one key point."""

    point: KeyPoint
    coverage: float  # 0..1
    sentence: str | None  # the answer sentence that matches it best
    contradiction: str | None = None

    @property
    def credit(self) -> float:
        """Points earned, 0..1: nothing below 25% coverage, full marks from 70%."""
        if self.contradiction:
            return 0.0
        return min(1.0, max(0.0, (self.coverage - 0.25) / 0.45))


def _share(part: frozenset[str], whole: frozenset[str]) -> float:
    return len(part & whole) / len(part) if part else 0.0


def match_points(points: Iterable[KeyPoint], answer: str) -> list[PointMatch]:
    """Coverage and contradiction of every key point by ``answer``."""
    answer_sentences = [(s, terms(s)) for s in split_sentences(answer)]
    whole = terms(answer)
    matches = []
    for point in points:
        want = point.terms
        best, best_terms, best_share = None, None, 0.0
        for sentence, found in answer_sentences:
            share = _share(want.words, found.words)
            if share > best_share:
                best, best_terms, best_share = sentence, found, share
        words = max(best_share, 0.75 * _share(want.words, whole.words))
        coverage = words
        if want.numbers:
            given = sum(want.meets(n, whole.numbers) for n in want.numbers) / len(want.numbers)
            coverage = 0.6 * words + 0.4 * given
        contradiction = None
        if best_terms is not None and best_share >= 0.34:
            contradiction = _contradiction(want, best_terms, whole, point.text, best or "")
        matches.append(PointMatch(point, round(coverage, 3), best, contradiction))
    return matches


def _contradiction(
    want: Terms, found: Terms, whole: Terms, point: str, sentence: str
) -> str | None:
    missing = sorted(n for n in want.numbers if not want.meets(n, whole.numbers))
    senses = dict(want.bounds)  # bound -> True for a lower bound
    other = sorted(
        n
        for n in found.numbers - want.numbers
        if not any(_meets(n, b, lower) for b, lower in want.bounds)
    )
    if missing and other:
        exact = [n for n in missing if n not in senses]
        what = (
            "has " + ", ".join(exact)
            if exact
            else "asks for "
            + ", ".join(f"{'at least' if senses[n] else 'at most'} {n}" for n in missing)
        )
        return f"gives {', '.join(other)} where the reference {what}"
    flip = _flip(point, sentence)
    if flip:
        return f"says {flip[0]!r} where the reference says {flip[1]!r}"
    if _negation_conflict(point, sentence):
        return "states the opposite (a negation the reference does not have, or drops one)"
    if (
        len(want.directions) == 1
        and len(found.directions) == 1
        and want.directions != found.directions
    ):
        went, wanted = next(iter(found.directions)), next(iter(want.directions))
        return f"says {went} where the reference says {wanted}"
    return None


_OPPOSITE_STEMS = frozenset(stem(w) for w in OPPOSITES)
_CLAUSE_SPLIT = re.compile(
    r"[,;:()]|\s(?:but|while|whereas|so|because|then)\s|\s(?=(?:rather than|instead of)\s)",
    re.I,
)  # "split on time rather than randomly": the contrast is a clause of its own


@lru_cache(maxsize=4096)
def _clauses(text: str) -> tuple[Terms, ...]:
    """The clauses of ``text``; a negated one with an opposite word is read as its opposite
    ("not in the same path" is "in a different path"), so the two phrasings agree."""
    out = []
    for clause in _CLAUSE_SPLIT.split(text):
        if not clause or not clause.strip():
            continue
        found = terms(clause)
        if found.negated and len(found.plain) == 1:  # with two, which one is negated?
            word = next(iter(found.plain))
            turned = {stem(o) for o in OPPOSITES[word]}
            found = replace(
                found,
                negated=False,
                words=(found.words - {stem(word)}) | turned,
                plain=(found.plain - {word}) | OPPOSITES[word],
            )
        out.append(found)
    return tuple(out)


def _flip(point: str, sentence: str) -> tuple[str, str] | None:
    """(the answer's word, the reference's) when a clause of the answer says what a clause of
    the reference says but with the opposite word, negations read as their opposite ("not the
    same state" is "a different state")."""
    for r in _clauses(point):
        if not r.plain or r.negated:  # still negated: two opposite words, scope unclear
            continue
        for a in _clauses(sentence):
            if a.negated:
                continue
            rest_r, rest_a = r.words - _OPPOSITE_STEMS, a.words - _OPPOSITE_STEMS
            if not rest_r or _share(rest_r, rest_a) < 0.4 or _share(rest_a, rest_r) < 0.6:
                continue
            for word in sorted(r.plain):
                instead = OPPOSITES[word] & a.plain
                if word not in a.plain and instead and not OPPOSITES[word] & r.plain:
                    return sorted(instead)[0], word
    return None


def _negation_conflict(point: str, sentence: str) -> bool:
    """A negation that changes what is said, clause by clause: the answer asserts what the
    reference denies ("split at random" for "split by time, not at random"), or denies what it
    asserts ("precision and recall are not needed" for "report precision and recall"). A
    negation elsewhere in the sentence ("..., and it never overlaps the window") is not one,
    nor is leaving out the reference's contrast ("not at random") while making its point."""
    reference, answer = _clauses(point), _clauses(sentence)
    for r in reference:
        if (
            r.negated
            and r.words
            and any(not a.negated and _share(r.words, a.words) >= 0.8 for a in answer)
        ):
            return True
    for a in answer:
        if a.negated and any(
            not r.negated
            and len(r.words) >= 2
            and _share(r.words, a.words) >= 0.75
            and _share(a.words, r.words) >= 0.75
            for r in reference
        ):
            return True
    return False


__all__ = [
    "NEGATIONS",
    "OPPOSITES",
    "STOP_WORDS",
    "WORD",
    "KeyPoint",
    "PointMatch",
    "Terms",
    "key_points",
    "match_points",
    "split_sentences",
    "stem",
    "terms",
]
