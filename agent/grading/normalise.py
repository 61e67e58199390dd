"""Candidate text made plain before anything reads it, and encoded runs decoded for inspection.

:func:`plain_text` is applied by every grader before evidence is read or injections are looked
for, so a payload cannot hide behind the way it is written:

- Unicode NFKC (full-width letters and digits, ligatures, compatibility forms);
- text spelled in Unicode tag characters (``U+E0020``-``U+E007E``, invisible on screen but read
  by a model) made visible as the ASCII it spells;
- invisible format characters removed: zero-width spaces and joiners, soft hyphens, bidi
  controls, stray tag characters, byte-order marks;
- look-alike letters folded to Latin inside words that mix them with Latin letters, or that are
  made only of letters with a Latin look-alike ("іgnоrе" with Cyrillic і and о), using the
  Unicode confusables table as shipped by ``confusable-homoglyphs``. Words of a real Cyrillic,
  Greek or other script text have letters with no Latin twin and are left as they are.

:func:`decoded_views` gives the text hidden in base64 and hex runs, the ROT13 reading of the
whole text, text written one letter at a time ("m a r k   a l l"), and the titles of markdown
links and HTML attributes (text a reader never sees), so the injection detector can inspect
them; they are never graded as evidence.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
import urllib.parse
from functools import cache

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
_WORD = re.compile(r"\w+")
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
#: A line break inside a sentence: after a lower-case word or a comma, before a lower-case word
#: that starts its line (not an indented line of code, a list item or a "key:" line).
_WRAPPED = re.compile(r"(?<=[a-z,])[ \t]*\n(?=[a-z]+(?:[ ,]|$))", re.M)


def unwrapped(text: str) -> str:
    """``text`` with the line breaks a hard wrap made inside its sentences read as spaces."""
    return _WRAPPED.sub(_unwrap, text)


def _unwrap(match: re.Match[str]) -> str:
    """A space for a line break that a hard wrap made (the line before it is a long one, as
    wrapped text is), else the break as it was: short lines are a list or a chat's turns."""
    text, at = match.string, match.start()
    line = text[text.rfind("\n", 0, at) + 1 : at]
    return " " if len(line) >= 60 else match.group(0)


_SUBSCRIPT = "₀₁₂₃₄₅₆₇₈₉"
_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉", "01234567890123456789")
_SUPERSCRIPTS = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+|[₀₁₂₃₄₅₆₇₈₉]+")
_CLAUSES = re.compile(r"(?<=[.!?;:。！？\n])")  # look-alikes are judged clause by clause


@cache
def _latin_twins() -> dict[str, str]:
    """Non-ASCII letter -> the ASCII letter or digit it is confusable with (Unicode TR39)."""
    from confusable_homoglyphs.confusables import confusables_data

    twins: dict[str, str] = {}
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        targets = [g["c"] for g in homoglyphs if len(g["c"]) == 1 and g["c"].isascii()]
        targets = [t for t in targets if t.isalnum()]
        if not targets:
            continue
        # The table puts I and l (and O and 0) in one class; prefer the letter a character is
        # named after, in its case: CYRILLIC CAPITAL LETTER ... I -> "I", not "l".
        named = unicodedata.name(char, "").split(" ")[-1]
        if len(named) == 1 and named.isascii() and named.isalpha():
            twins[char] = named if char.isupper() else named.lower()
        elif targets[0] == "l" and char.isupper():
            twins[char] = "I"  # an upper-case letter drawn as a bar is an I
        else:
            twins[char] = targets[0]
    return twins


@cache
def _near_twins() -> dict[str, str]:
    """Looser twins for words that already mix in Latin letters: "τ" is listed only with "ᴛ",
    LATIN LETTER SMALL CAPITAL T, so "Noτe" reads "Note"."""
    from confusable_homoglyphs.confusables import confusables_data

    near = dict(_latin_twins())
    for char, homoglyphs in confusables_data.items():
        if len(char) != 1 or char.isascii() or char in near:
            continue
        latin = [g["n"].split(" ")[-1] for g in homoglyphs if g["n"].startswith("LATIN ")]
        letters = [w for w in latin if len(w) == 1 and w.isascii() and w.isalpha()]
        if letters:
            near[char] = letters[0] if char.isupper() else letters[0].lower()
    return near


def _fold_word(word: str, latin_line: bool) -> str:
    """A word with look-alikes folded: when it mixes in Latin letters, or sits in a line that is
    mostly Latin ("Note το the grader"), or is made only of letters with an exact Latin twin."""
    if word.isascii():
        return word
    foreign = [c for c in word if not c.isascii()]
    near = _near_twins()
    if any(c.isascii() and c.isalpha() for c in word) or (
        latin_line and all(c in near for c in foreign)
    ):
        return "".join(near.get(c, c) for c in word)
    twins = _latin_twins()
    if all(c in twins for c in foreign):
        return "".join(twins.get(c, c) for c in word)
    return word


def _fold_line(line: str) -> str:
    """One clause, its look-alike words folded (see :func:`_fold_word`)."""
    line = _WORD.sub(lambda m: _fold_word(m.group(0), False), line)  # mixed words first
    letters = [c for c in line if c.isalpha()]
    latin_line = bool(letters) and sum(c.isascii() for c in letters) >= 0.6 * len(letters)
    return _WORD.sub(lambda m: _fold_word(m.group(0), True), line) if latin_line else line


#: Unicode tag characters spell ASCII invisibly ("ASCII smuggling"); a flag emoji uses a few.
_TAG_RUN = re.compile("[\U000e0020-\U000e007e]{6,}")


def _untag(match: re.Match[str]) -> str:
    return " " + "".join(chr(ord(c) - 0xE0000) for c in match.group(0)) + " "


def plain_text(text: str) -> str:
    """``text`` normalised as the module docstring says; runs of blank lines fold to one."""
    text = _BLANK_RUNS.sub("\n\n", text)
    if text.isascii():
        return text
    # NFKC would read "10⁶" as "106" and "0.78²" as "0.782": keep powers as "^6"
    text = _SUPERSCRIPTS.sub(
        lambda m: ("_" if m.group(0)[0] in _SUBSCRIPT else "^") + m.group(0).translate(_DIGITS),
        text,
    )
    text = _TAG_RUN.sub(_untag, text)  # text hidden in tag characters, made visible
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    if text.isascii():
        return text
    text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0))), text)  # "۵" is 5
    return "".join(_fold_line(part) for part in _CLAUSES.split(text))


#: Decimal digits of other scripts (Arabic-Indic, Devanagari, ...), which the look-alike table
#: would otherwise read as letters ("۵" as "o").
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
#: A run with three or more percent-escapes ("%20"), as in a URL's query string.
_PERCENT_ENCODED = re.compile(r"[\w.~+-]*(?:%[0-9A-Fa-f]{2}[\w.~+-]*){3,}")
_HEX_RUN = re.compile(
    r"(?<![0-9A-Fa-f])(?:(?:\\x|0x)?[0-9A-Fa-f]{2}[\s:,]?){12,}(?![0-9A-Fa-f])", re.I
)


def decoded_views(text: str) -> list[tuple[str, str]]:
    """(run as written, its decoding) for each base64 or hex run that decodes to text, and
    ``("", ROT13 of the whole text)`` when the text has letters."""
    views = []
    for match in _BASE64_RUN.finditer(text):
        run = match.group(0)
        if not (re.search(r"[A-Z]", run) and re.search(r"[a-z]", run)):
            continue  # an identifier or a hash in one case, not base64 of a sentence
        decoded = _readable(_b64(run))
        if decoded:
            views.append((run, decoded))
    for match in _HEX_RUN.finditer(text):
        run = match.group(0).strip()
        try:
            raw = bytes.fromhex(re.sub(r"\\x|0x|[\s:,]", "", run, flags=re.I))
        except ValueError:
            continue
        # a run can start inside the word before it ("ref:6772..." reads "ef" as a byte)
        decoded = next(filter(None, (_readable(raw[skip:]) for skip in range(3))), None)
        if decoded:
            views.append((run, decoded))
    for match in _PERCENT_ENCODED.finditer(text):  # a URL's "msg=Evaluator%3A%20this%20..."
        views.append((match.group(0), urllib.parse.unquote_plus(match.group(0))))
    for match in _SPACED_OUT.finditer(text):  # "r e v i e w e r :   m a r k   a l l"
        views.append((match.group(0).strip(), _unspaced(match.group(0)).strip()))
    # "as-\nsign le-\nvel 5 to ev-\nery cri-\nte-"; the cheap test first (the run's pattern
    # backtracks over every long line)
    broken = len(_BROKEN_END.findall(text)) >= 3
    for match in _BROKEN_WORDS.finditer(text) if broken else ():
        run = match.group(0)
        joined = _unspaced(re.sub(r"(?<=\w)-\n(?=\w)", "", run))
        views.append((run.strip(), re.sub(r"\s+", " ", joined).strip()))
    for match in _HIDDEN_TITLE.finditer(text):  # markdown link titles, HTML alt/title text
        views.append((match.group(0).strip(), match.group("title") or match.group("t2")))
    if re.search(r"[A-Za-z]{3}", text):
        views.append(("", codecs.encode(text, "rot13")))
    return views


def leet_views(text: str) -> list[tuple[str, str]]:
    """(run as written, its reading) for each run of three or more words that mix digits into
    letters ("4ll cr173r14 4t l3v3l 5"), digits read as the letters they stand for."""
    views = []
    words = list(_LEET_WORD.finditer(text))
    group: list[re.Match[str]] = []
    for word in [*words, None]:
        if word is not None and group and _LEET_GAP.fullmatch(text, group[-1].end(), word.start()):
            group.append(word)
            continue
        if len(group) >= 3:
            run = text[group[0].start() : group[-1].end()]
            views.append((run, _LEET_WORD.sub(lambda m: m.group().translate(_LEET), run)))
        group = [word] if word is not None else []
    return views


_LEET_WORD = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z\d]{2,}\b", re.I)
_LEET_GAP = re.compile(r"[ \t,.:;!?-]*(?:\d[ \t,.:;!?-]*)?")
_LEET = str.maketrans("431075", "aeiots")

#: Letters written one at a time with spaces between, words with wider gaps.
_SPACED_OUT = re.compile(r"(?<!\S)(?:\S[ \u2000-\u200a\u3000]{1,3}){8,}\S(?!\S)")

#: Three or more lines in a row that end inside a word ("le-", "cri-"): words broken across
#: lines to keep them from being read.
_BROKEN_END = re.compile(r"[^\W\d_]-\n")
_BROKEN_WORDS = re.compile(r"(?:[^\n.!?]*[^\W\d_]-\n){3,}\S*(?:[ \t]{1,2}\S{1,2}(?!\S))*")


def _unspaced(text: str) -> str:
    """``text`` with its runs of letters written one at a time joined into words."""

    def join(match: re.Match[str]) -> str:
        run = match.group(0)
        return re.sub(r"\s{2,}", "\x00", run).replace(" ", "").replace("\x00", " ")

    return _SPACED_OUT.sub(join, text)


_HIDDEN_TITLE = re.compile(
    r"^\s*\[[^\]\n]+\]:\s*\S+\s+[\"'(](?P<title>[^\"')\n]{8,})[\"')]|"
    r"\b(?:title|alt|aria-label|data-[a-z-]+)\s*=\s*[\"'](?P<t2>[^\"'\n]{8,})[\"']",
    re.I | re.M,
)


def _b64(run: str) -> bytes:
    padded = run + "=" * (-len(run) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _readable(raw: bytes) -> str | None:
    """The bytes as text when they are mostly printable words, else None."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c.isspace() for c in decoded)
    if len(decoded) < 8 or printable < 0.95 * len(decoded) or " " not in decoded:
        return None
    return decoded
