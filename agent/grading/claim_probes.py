"""Claim probes: ask how a figure was measured, and read the reply against the figure.

A tourist who has learned the script adds one invented sentence to a buzzword answer ("on our
250-question eval set, accuracy went from 58% to 83%"). A careful interviewer does not stop at
the number: how was it measured, who labelled the set, what was it before? Then they listen for
whether the second answer fits the first. This module does both, deterministically, for every
grader (an LLM interviewer only rephrases the question):

* :func:`claim_to_probe` picks, from an answer, the figure that matters most to its score among
  those not tied to all of a method, a set and a baseline, and writes the follow-up from the
  claim's own words;
* :func:`check_reply` reads the reply: a scoring method or labelling that could produce the
  figure backs it; a changed number, a vaguer restatement, or a method that cannot produce the
  figure (a few spot checks, user feedback) weakens it;
* :func:`templated` finds the same claim given for different questions with only the numbers
  changed, or the same set size and the same jump in every answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._models import ClaimCheck, ClaimToVerify, Verdict
from .claims import (
    _SIZE_NOUNS,
    Claim,
    Figure,
    _metric_near,
    _value,
    normalise_numbers,
    read_claims,
)
from .evidence import is_empty, sentences, strip_injection
from .normalise import plain_text


@dataclass(frozen=True)
class ClaimProbe:
    """The claim asked about and the follow-up to ask (plain data: it lives in the graph state)."""

    claim: str
    figure: str
    measured_on: str | None
    lacks: tuple[str, ...]
    prompt: str
    #: For a probe about one set given two sizes: (the size said earlier, the size said now).
    sizes: tuple[int, int] | None = None

    def as_state(self) -> dict[str, object]:
        state: dict[str, object] = {
            "claim": self.claim,
            "figure": self.figure,
            "measured_on": self.measured_on,
            "lacks": list(self.lacks),
            "prompt": self.prompt,
        }
        if self.sizes is not None:
            state["sizes"] = list(self.sizes)
        return state

    @classmethod
    def from_state(cls, data: dict[str, object]) -> ClaimProbe:
        lacks = data.get("lacks") or []
        assert isinstance(lacks, list)
        measured_on = data.get("measured_on")
        return cls(
            claim=str(data["claim"]),
            figure=str(data["figure"]),
            measured_on=None if measured_on is None else str(measured_on),
            lacks=tuple(str(x) for x in lacks),
            prompt=str(data["prompt"]),
            sizes=_sizes(data.get("sizes")),
        )


def _sizes(value: object) -> tuple[int, int] | None:
    if not isinstance(value, list) or len(value) != 2:
        return None
    earlier, now = value
    return int(earlier), int(now)


#: A set named by its kind: "golden set", "eval suite", "test-set" (the tourist test's too).
SET_NAME = r"(?:golden|eval(?:uation)?|test|regression|benchmark)[- ](?:set|suite|dataset)"
#: The figure of a size probe's check: "golden set of 180 items".
_SIZE_FIGURE = re.compile(rf"{SET_NAME} of [\d,]+ items", re.I)


def reconciled(verdict: Verdict) -> bool:
    """Whether a follow-up about one set given two sizes was answered by a reply that fits them."""
    return any(
        c.outcome == "supported" and _SIZE_FIGURE.fullmatch(c.figure) for c in verdict.claim_checks
    )


def size_probe(sentence: str, set_words: str, earlier: int, now: int) -> ClaimProbe:
    """The follow-up about one set given two sizes in two answers: which is right, and why."""
    return ClaimProbe(
        claim=sentence,
        figure=f"{set_words} of {now:,} items",
        measured_on=None,
        lacks=("set",),
        prompt=(
            f"Earlier you gave your {set_words} as {earlier:,} items, and here as {now:,}. Is it "
            "the same set, and how do the two sizes fit together?"
        ),
        sizes=(earlier, now),
    )


#: A reply that reconciles two sizes of a set: one is part of the other, or the set changed.
_RECONCILED = re.compile(
    r"\b(?:subset|slice|part of|of (?:those|them|which|the \d[\d,]*)|out of|only the|filtered|"
    r"grew|grown|added|expanded|extended|started (?:with|at|as)|split|deduplicat\w*|dropped|"
    r"removed|(?:another|a separate|a different|a second|an older|a newer) (?:set|suite|one|"
    r"version))\b",
    re.I,
)


#: A reply that owns a slip: "sorry, I misspoke, it is 312", "typo, I meant 180".
_CORRECTED = re.compile(
    r"\b(?:misspoke|mis-?typed|typo|slip|my mistake|my bad|I meant|should have said|"
    r"wrong number|was wrong|mixed (?:it |them )?up|correction|misremembered|mis-?remembered|"
    r"I (?:just )?(?:re-?)?checked (?:the|my|our) (?:sheet|spreadsheet|notes|numbers|logs?|"
    r"dashboard|results))\b",
    re.I,
)


def _check_sizes(probe: ClaimProbe, reply: str, check: Callable[..., ClaimCheck]) -> ClaimCheck:
    """Read the reply to a question about one set given two sizes. It backs the answer when it
    gives both sizes and says how they fit (one is a slice of the other, the set grew, it is
    another set), or owns a slip and gives the right size; a reply that only insists, or gives
    neither size, leaves the contradiction standing."""
    assert probe.sizes is not None
    earlier, now = probe.sizes
    if is_empty(reply):
        return check(
            "weakened",
            f"no answer when asked why one set was {earlier:,} items in one answer and {now:,} "
            "in another",
        )
    said = {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", reply)}
    how = _RECONCILED.search(reply)
    if {earlier, now} <= said and how:
        return check(
            "supported",
            f"the reply gives both sizes, {earlier:,} and {now:,}, and how they fit "
            f'("{how.group(0)}")',
        )
    fixed = _CORRECTED.search(reply)
    if fixed and said & {earlier, now}:
        return check("supported", f'the reply owns a slip in the set\'s size ("{fixed.group(0)}")')
    return check(
        "weakened",
        f"asked why one set was {earlier:,} items in one answer and {now:,} in another, the "
        "reply does not reconcile the two sizes",
    )


#: A baseline said in words: "against the old prompt", "compared with last month".
_BASELINE = re.compile(
    r"\b(?:baseline|before|previous(?:ly)?|prior|old(?:er)?|used to|vs\.?|versus|compared|"
    r"up from|down from|against|control|last (?:month|quarter|week|year|release))\b",
    re.I,
)
#: How a figure can have been produced: who labelled, by what rule it was scored, by what run.
_HOW = re.compile(
    r"\b(?:label(?:l?ed|l?ing|l?er)s?|annotat\w+|hand[- ]?(?:label\w*|check\w*|grad\w*|mark\w*)|"
    r"by hand|manually|reviewers?|raters?|two of us|three of us|each of us|second (?:person|"
    r"reviewer|labell?er|annotator)|disagree\w*|adjudicat\w*|kappa|inter-?annotator|agreement|"
    r"exact[- ]match|string match|regex|assert\w*|unit tests?|script|harness|pytest|ci\b|"
    r"judge|rubric|reference answers?|gold(?:en)? (?:answers?|labels?|set)|ground truth|"
    r"expected (?:answers?|outputs?|labels?)|scored|graded|counted|confusion matrix|"
    r"a/b|ab test|randomi[sz]ed|control (?:arm|group)|held[- ]out|holdout|replay\w*|"
    r"re-?ran|seeds?|logged|logs?|traces?|dashboard|query|sql|precision|recall|f1)\b",
    re.I,
)
#: Methods that cannot produce a precise figure over a set.
_WEAK_HOW = re.compile(
    r"\b(?:eyeball\w*|spot[- ]check\w*|gut|vibes?|felt|feels?|seemed|looked (?:at )?(?:a few|"
    r"some|a couple)|a (?:few|couple of|handful of) (?:examples|outputs|answers|cases)|"
    r"anecdot\w*|users? (?:said|told|liked|loved|were happy)|feedback|thumbs[- ]up|"
    r"impressions?|just (?:tried|tested|checked)|played (?:around )?with)\b",
    re.I,
)
#: A reply that hands the figure to someone or something else, or admits it was not measured:
#: the measurement belongs to another team or a tool, the figure was estimated, extrapolated
#: or borrowed (a vendor's published number), or the numbers are not to hand.
_NOT_MEASURED = re.compile(
    r"\b(?:"
    # not to hand, not remembered, not known
    r"(?:don'?t|do not|didn'?t|did not) (?:have|know|remember|recall)(?: \w+){0,4} "
    r"(?:numbers?|figures?|split|breakdown|details?|exactly|to hand|memori[sz]ed|offhand)|"
    r"(?:can'?t|cannot|couldn'?t) (?:tell you|recall|remember|say)(?: exactly)?|"
    r"not sure (?:exactly )?(?:how|what|who)|no idea (?:how|what)|"
    # someone else measured it
    r"(?:another|other|the (?:platform|data|qa|analytics|bi|ops|infra\w*)) (?:team|folks|side)"
    r"(?: \w+){0,3} (?:maintained|owned|handled|measured|did|ran|prepared|confirm\w*|"
    r"took care)|"
    r"(?:sat|was|lived) with (?:the )?(?:platform|data|other|another)\b|"
    r"(?:consumption|receiving|business) side|"
    r"my (?:manager|lead|boss|colleague|teammate)(?: \w+){0,4} (?:prepared?|did|ran|checked?|"
    r"confirm\w*|measured|calculated)|"
    r"i (?:only|just) (?:see|saw|got|used) the (?:result|number|figure|dashboard)|i can ask|"
    # estimated, not measured
    r"extrapolat\w+|ballpark|rough (?:figure|estimate|number|guess)|educated guess|"
    r"(?:initial|first|general|overall) (?:impression|feeling|sense)|"
    r"more like \d[\d.,]*|closer to \d[\d.,]*|when i think about it|"
    r"informal(?:ly)?|i guess|we guess\w*|(?:did not|didn'?t|never) (?:test|measure|run|"
    r"check|validate|track)\w*(?: it)?(?: (?:that|so|again|formally|properly|ourselves))?|"
    r"(?:no|didn'?t|did not) (?:need|bother) to (?:measure|validate|re-?validate|check|label)|"
    r"(?:not|wasn'?t) (?:measured|labell?ed|tracked|recorded)|"
    r"(?:don'?t|do not|didn'?t) want to overstate|rather not (?:overstate|go into)|"
    r"(?:i'?d|i would|we'?d) (?:have to|need to) (?:check|look|ask|confirm)|"
    r"(?:wasn'?t|was not|isn'?t|there was no|there wasn'?t)(?: really)?(?: a| any)? "
    r"(?:labell?ing|labels?|human review|ground truth|manual check)\w*|"
    r"we (?:just )?assumed|worked (?:it )?out from|"
    r"\w+-something|"
    # defensive: the question itself is waved away
    r"(?:not sure|don'?t (?:really )?(?:get|see)|do not see) why|push back|misses the point|"
    r"scepticism|skepticism|nobody does that|in real life|recite|fast[- ]moving|"
    r"we kind of|our (?:own )?judge?ment|felt (?:comfortable|confident|good)|"
    r"the direction was|was obvious (?:to|when)|"
    # not the same set or not a real label
    r"slightly different (?:version|set|setup|suite|data)|"
    r"(?:weren'?t|wasn'?t|were not|was not|not) (?:on |run on )?(?:exactly |quite )?the same "
    r"(?:queries|questions|set|items|cases|data|tickets|suite)|"
    r"labell?ed by (?:the |our )?(?:model|llm|gpt)|(?:evaluated|tested|measured|scored) on "
    r"(?:the |our )?training (?:data|set)|(?:the|our) training data|"
    r"\d[\d,]*,? not (?:the )?(?:\d[\d,]*|[a-z]+ (?:thousand|hundred)|thousand|hundred)\b|"
    # a tool or a report said so
    r"(?:comes?|came) (?:straight |right )?(?:out of|from) (?:the|that|our|its|their) "
    r"(?:[\w-]+ ){0,2}(?:framework|tool|dashboard|report|platform|stack|stage|layer|system)|"
    r"what the (?:[\w-]+ ){0,2}(?:dashboard|tool|framework|report) (?:showed|said|gave|reported)|"
    r"(?:from|of) (?:an|the) (?:earlier|older|previous|other) (?:version|project|set|study)|"
    r"another (?:clinic|company|customer|client|team'?s?|deployment|group|org\w*)|"
    r"comparable (?:deployment|setup|system|project)|rather than ours|"
    r"consultants?|case stud(?:y|ies)|blog post|conference talk|white ?paper|"
    # borrowed: a vendor's or a benchmark's number given as one's own
    r"vendor'?s?|model card|published (?:score|rate|number|figure|benchmark|result)s?|"
    r"leaderboard|(?:their|its) (?:docs|documentation|marketing)|"
    # the method is a norm, not a measurement
    r"standard practice|best practices?|as you(?:'d| would) expect|one should|as a rule|"
    r"industry[- ]standard|everybody uses?|is (?:the )?standard|"
    r"made it (?:really |very |pretty )?(?:clear|obvious)|the direction was"
    r")\b",
    re.I,
)
#: A count out of a total in a reply: "22 of 40", "4,900 out of 50,000", "3,000 of them".
_OUT_OF = re.compile(
    r"(?<![\w.])(\d[\d,]*)\s?(?:of|out of|/)\s?(?:the )?(\d[\d,]*|them|those)\b", re.I
)
#: A number in the reply (after number words are made digits).
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_INTEGER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\d.,])\d+(?![\d.,]?\d)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|percent\b)")


def _integer(text: str | None) -> int | None:
    match = _INTEGER.search(text or "")
    return int(match.group(0).replace(",", "")) if match else None


#: A set named before, referred back to by its size: "on the same 200", "across those 450".
_SAME_SET = re.compile(
    r"\b(?:the same|those|these|that)\s+\d[\d,]*(?:k\b)?(?![\d,]*\s*%)(?![\d,])"
    r"(?!\s*(?:k\b\s*)?(?:weeks?|days?|months?|hours?|years?|minutes?|seconds?|ms)\b)",
    re.I,
)


def _lacks(claim: Claim) -> tuple[str, ...]:
    """What the claim's own sentence does not tie it to. A method said elsewhere in the answer
    does not count: a rehearsed claim sits next to rubric words ("it runs in CI"), and asking
    an engineer how a figure was measured costs them one sentence."""
    lacks = []
    if claim.method is None:
        lacks.append("method")
    if claim.measured_on is None and not _SAME_SET.search(claim.sentence):
        lacks.append("set")
    if not claim.pairs and not _BASELINE.search(claim.sentence):
        lacks.append("baseline")
    return tuple(lacks)


#: Units of a measurement (a count of tools or features is not one).
_MEASURE_UNITS = frozenset(["%", "percent", "pp", "points", "ms", "s", "sec", "seconds", "x"])
_APPROX = re.compile(
    r"^(?:~|≈|about|around|roughly|approximately|nearly|almost|some|over|under)\s*", re.I
)


def _measurement(figure: Figure) -> bool:
    text = figure.text.strip()
    decimal = "." in text and figure.unit == ""
    return figure.unit.lower() in _MEASURE_UNITS or text[:1] in "$€£" or decimal


def _written(figure: Figure) -> str:
    text = _APPROX.sub("", figure.text.strip())
    text = re.sub(r"\s*percent$", "%", text, flags=re.I)  # "80 percent" -> "80%"
    unit = figure.unit
    if unit and unit.lower() in _MEASURE_UNITS and not text.endswith(unit):
        text += unit if unit in ("%", "x") else f" {unit}"
    return text


def _figure(claim: Claim) -> tuple[str, str | None]:
    """The figure to ask about and, for a before -> after pair, its before value."""
    for before, after in claim.pairs:
        if _measurement(after) or _measurement(before):
            if not re.search(r"\b(?:from|to|->|→)\b|->|→", claim.sentence):
                before, after = after, before  # "82% versus 64%": the first said is the result
            return _written(after), _written(before)
    measured = [f for f in claim.figures if _measurement(f)]
    if measured:
        return _written(max(measured, key=lambda f: f.unit == "%")), None
    before, after = claim.pairs[0]  # a pair of plain counts ("from 14 to 3")
    return _written(after), _written(before)


#: A sized set in full: "300 test cases", "250-question", "1,200 labelled tickets".
_SIZED = re.compile(rf"\b(\d[\d,.]*k?)[- ]((?:[a-z-]+ ){{0,2}}(?:{_SIZE_NOUNS}))\b", re.I)


def _set_words(measured_on: str) -> str:
    """ "our 250-question" -> "250 questions" for "who labelled the ..." """
    words = re.sub(
        r"^(?:on|over|across|from|of|with|using|against|in)\s+", "", measured_on, flags=re.I
    )
    words = re.sub(r"^(?:the|our|a|an|same|that|this)\s+", "", words, flags=re.I)
    sized = re.fullmatch(r"(\d[\d,.]*)-([a-z]+?)(?:s)?", words, re.I)
    if sized:
        return f"{sized.group(1)} {sized.group(2)}s"
    if not re.search(r"(?:set|suite|split|s)$", words):
        words += " set"
    return words


def _prompt(figure: str, before: str | None, measured_on: str | None, lacks: Sequence[str]) -> str:
    asks = [f"How was the {figure} measured"]
    timed = re.search(r"\d\s?(?:ms|s|sec|seconds)$|^[$€£]", figure)
    if timed and ("set" in lacks or "method" in lacks):
        asks.append("over what traffic or runs")
    elif "set" in lacks:
        asks.append("on what set of how many items")
    elif "method" in lacks and measured_on:
        asks.append(f"who labelled the {_set_words(measured_on)}")
    else:
        asks.append("how was each item scored")
    if "baseline" in lacks:
        asks.append("what was it before")
    elif before:
        asks.append(f"was the {before} measured the same way")
    else:
        asks.append("what was the baseline measured on")
    return ", ".join(asks[:-1]) + f", and {asks[-1]}?"


def _clean(text: str) -> str:
    return strip_injection(plain_text(text))


def claim_to_probe(answer: str, *, doubted: bool = False) -> ClaimProbe | None:
    """The figure in ``answer`` most worth asking about, with the follow-up; ``None`` when the
    answer already rests on a figure tied to a method and a set in its own sentence, or has no
    measured figure. A missing baseline alone is
    left to the bank's probes, which ask for it; the claim probe asks for it when it also asks how.

    ``doubted``: a figure the candidate gave earlier fell apart when asked about. Then a figure
    that looks complete is asked about too, as a careful interviewer would stop taking the
    candidate's figures on trust.

    Figures that cannot be true, or that are about work not done ("we would"), are not probed:
    they already earn nothing. The figure that matters most is a before -> after pair, then a
    percentage, then any other figure; among equals, the first said.
    """
    said = sentences(_clean(answer))
    found = read_claims(said)
    if not doubted and any(
        c.method and c.measured_on and not c.problems and not c.hypothetical for c in found.claims
    ):
        return None  # the answer rests on a figure already tied to how and on what
    candidates = [
        c
        for c in found.claims
        if not c.problems
        and not c.hypothetical
        and (doubted or {"method", "set"} & set(_lacks(c)))
        and (any(_measurement(f) for f in c.figures) or c.pairs)
    ]
    if not candidates:
        return None
    claim = max(candidates, key=lambda c: (bool(c.pairs), any(f.unit == "%" for f in c.figures)))
    figure, before = _figure(claim)
    measured_on = None
    if claim.measured_on and claim.measured_on in normalise_numbers(claim.sentence):
        measured_on = claim.measured_on.strip()
        sized = _SIZED.search(normalise_numbers(claim.sentence))
        if sized and sized.group(1) in measured_on:  # "across 300 test" -> "300 test cases"
            noun = sized.group(2)
            plural = " " in noun or noun.endswith("s") or noun.endswith("ed")
            measured_on = f"{sized.group(1)} {noun if plural else noun + 's'}"
    lacks = _lacks(claim)
    return ClaimProbe(
        claim=claim.sentence,
        figure=figure,
        measured_on=measured_on,
        lacks=lacks,
        prompt=_prompt(figure, before, measured_on, lacks),
    )


#: A sentence that restates a result: "it went up to around 80%", "before it was 60%".
_RESTATED = re.compile(
    r"\b(?:went (?:up|down|from)|rose|fell|dropped|improved|increased|decreased|from|before|"
    r"after|baseline|"
    r"ended (?:up )?at|up to|down to)\b",
    re.I,
)


def _metric_word(claim: str) -> str | None:
    """The metric the claim's first figure is about ("accuracy"), if it names one."""
    first = _PERCENT.search(claim)
    if not first:
        return None
    metric, _ = _metric_near(claim, first.start())
    return metric.split()[-1] if metric else None


#: "it was 81%, not 83%": a figure put in place of another.
_INSTEAD = re.compile(r"(\d[\d.,]*)\s?%?,?\s+not\s+(?:the\s+)?(\d[\d.,]*)\s?%?")


def _replaced(probe: ClaimProbe, reply: str) -> list[str]:
    """Figures of the claim that the reply says were another value ("81%, not 83%"); a figure
    the claim gave roughly ("about 6%") may be given exactly ("5.6%, not 6")."""
    claim = normalise_numbers(probe.claim)
    rough = {
        _value(m.group(0)): _ROUGHLY.search(claim[: m.start()]) is not None
        for m in _NUMBER.finditer(claim)
    }
    for m in _INSTEAD.finditer(reply):
        new, old = _value(m.group(1).rstrip(".")), _value(m.group(2).rstrip("."))
        if new is None or old is None or old not in rough or new == old:
            continue
        if not (rough[old] and abs(new - old) <= 0.1 * old):
            return [f"the reply gives {m.group(1)} in place of the {m.group(2)} claimed"]
    return []


#: Just before a figure: it was said roughly ("about 6%", "~40").
_ROUGHLY = re.compile(
    r"(?:\b(?:about|around|roughly|approximately|nearly|almost|some)\s+|~\s?)$", re.I
)


def _changed_numbers(probe: ClaimProbe, reply: str) -> list[str]:
    """Figures of the claim that the reply gives again with another value."""
    changed = []
    measured_on = probe.measured_on
    if _integer(measured_on) is None:  # "the evaluation set": the size is in the claim's words
        sized = _SIZED.search(normalise_numbers(probe.claim))
        measured_on = f"{sized.group(1)} {sized.group(2)}" if sized else None
    size = _integer(measured_on)
    if size is not None and measured_on is not None:
        noun = re.sub(r"[^a-z]", "", measured_on.split()[-1].lower()).rstrip("s")
        for m in re.finditer(rf"(\d[\d,]*)\s?(?:[a-z-]+\s)?{noun}s?\b", reply, re.I):
            value = int(m.group(1).replace(",", ""))
            if value != size and 0.02 * size < abs(value - size) and size / 4 <= value <= 4 * size:
                changed.append(f"the set was {size} {noun}s in the answer and {value} in the reply")
                break
    claim = normalise_numbers(probe.claim)
    claimed = [float(x) for x in _PERCENT.findall(claim)]
    metric = _metric_word(claim)
    said = [
        float(x)
        for part in sentences(reply)
        if (metric and metric in part.lower()) or _RESTATED.search(part)
        for x in _PERCENT.findall(part)
    ]
    anywhere = {float(x) for x in _PERCENT.findall(reply)}
    # A claim said roughly ("more than eighty percent", "about a third") allows more leeway.
    rough = bool(
        re.search(
            r"\b(?:like|about|around|roughly|more than|over|almost|nearly|"
            r"approximately|under|less than|half|third|quarter)\b|~",
            claim,
            re.I,
        )
    )
    if claimed and said and not set(said) & set(claimed) and not anywhere & set(claimed):
        near = min(said, key=lambda v: min(abs(v - c) for c in claimed))
        far, closest = min((abs(near - c), c) for c in claimed)
        # A shifted figure is near the one it replaces (83% -> "around 80%"); a figure far from
        # every claimed one (0.55% of live chats against a 20% attack rate) is another quantity.
        if max(1.5, 0.1 * closest if rough else 0.0) < far <= max(8.0, 0.4 * closest):
            changed.append(
                f"the answer gave {', '.join(f'{c:g}%' for c in claimed)}; the reply gives "
                f"{', '.join(f'{v:g}%' for v in said)}"
            )
    return changed


def _counts_that_disagree(reply: str) -> list[str]:
    """Counts out of a total that no percentage of the same sentence matches, when the sentence
    gives one: "72% precision means about 3,000 of the 50,000" (6%). A real engineer's counts
    and percentages agree ("21 of 140, 15%"); an invented pair often does not."""
    found = []
    for part in sentences(reply):
        if not _PERCENT.search(part):
            continue
        for m in _OUT_OF.finditer(part):
            linked = _linked_share(part, m)
            if linked is None:
                continue
            count = float(m.group(1).replace(",", ""))
            if m.group(2).isalpha():  # "of them": the total is the largest number said before
                before = [float(n.replace(",", "")) for n in _NUMBER.findall(part[: m.start()])]
                total = max(before, default=0.0)
            else:
                total = float(m.group(2).replace(",", ""))
            if not 0 < count <= total or total < 10 or count + total == 100:  # "70/30" a split
                continue
            share = 100 * count / total
            tolerance = max(2.0, 0.15 * linked)
            complement = abs(100 - share - linked) <= max(2.0, 0.05 * linked)  # "3 of 40 failed"
            if abs(share - linked) > tolerance and not complement:
                found.append(f"{m.group(0)} is {share:.0f}%, not {linked:g}%")
    return found


def _linked_share(part: str, count: re.Match[str]) -> float | None:
    """The percentage the sentence equates with this count, if it does: right after it ("84
    wrong (16.8%)", "22 of 40, 55%"), or before it with a link ("72% precision means about
    3,000 of them", "98% ..., so basically 4,900 out of 50,000")."""
    after = re.match(
        r"\s*(?:\(|,|=|or|is|which is|i\.e\.)?\s*(\d+(?:\.\d+)?)\s?%", part[count.end() :]
    )
    if after:
        return float(after.group(1))
    before = part[max(0, count.start() - 70) : count.start()]
    linked = re.search(
        r"(\d+(?:\.\d+)?)\s?%[^:;%]{0,40}?\b(?:means?|meaning|so|i\.e\.|that is|which is)\b"
        r"[^:;%\d]{0,25}$",
        before,
    )
    return float(linked.group(1)) if linked else None


def check_reply(probe: ClaimProbe, reply: str) -> ClaimCheck:
    """Read the reply to a claim probe against the claim."""
    text = normalise_numbers(_clean(reply))

    def check(outcome: str, *reasons: str) -> ClaimCheck:
        return ClaimCheck.model_validate(
            {
                "claim": probe.claim,
                "figure": probe.figure,
                "probe": probe.prompt,
                "outcome": outcome,
                "reasons": list(reasons),
            }
        )

    if probe.sizes is not None:
        return _check_sizes(probe, text, check)
    if is_empty(text):
        return check("weakened", f"no answer when asked how the {probe.figure} was measured")
    changed = _changed_numbers(probe, text)
    how = [m.group(0) for m in _HOW.finditer(text)]
    weak = [m.group(0) for m in _WEAK_HOW.finditer(text)]
    not_measured = [m.group(0) for m in _NOT_MEASURED.finditer(text)]
    if text.count("?") >= 2:  # asked how, the candidate asks the interviewer back
        not_measured.append("questions put back to the interviewer")
    counts = [
        m.group(0)
        for m in _OUT_OF.finditer(text)
        if m.group(2)[0].isdigit() and not re.search(r"\bthe\b", m.group(0), re.I)
    ]
    # How concrete the reply is: the distinct numbers it gives, a count out of a total worth two.
    concrete = len({n.replace(",", "") for n in _NUMBER.findall(text)}) + 2 * bool(counts)
    owned = _CORRECTED.search(text) if len(how) >= 2 else None
    if owned:  # "sorry, correction: it was 29 to 34, not 35, I just checked the sheet"
        changed = []
        not_measured = [n for n in not_measured if not n[0].isdigit()]
    if changed:
        return check("weakened", *[f"a figure changed: {c}" for c in changed])
    disagree = _counts_that_disagree(text)
    if disagree:
        return check("weakened", f"the reply's counts do not match its percentages ({disagree[0]})")
    if not_measured and concrete < 5 + 3 * (len(not_measured) > 1):
        return check(
            "weakened",
            f"asked how the {probe.figure} was measured, the reply hands it elsewhere or "
            f'admits it was not measured ("{not_measured[0]}")',
        )
    if (replaced := _replaced(probe, text)) and not owned:
        return check("weakened", *replaced)
    if weak and len(how) < 2 and concrete < 4:
        return check(
            "weakened",
            f"the method described ({weak[0]}) cannot produce a figure like {probe.figure}"
            + (f" on {probe.measured_on}" if probe.measured_on else ""),
        )
    if how and (concrete >= 2 or len(how) >= 2):
        said = ", ".join(dict.fromkeys(how[:4]))
        reasons = [f"the reply says how the {probe.figure} was measured ({said})"]
        if owned:
            reasons.append(f'and corrects the figure itself ("{owned.group(0)}")')
        return check("supported", *reasons)
    if concrete >= 4:
        said = ", ".join(counts[:2]) or f"{concrete} figures"
        return check(
            "supported",
            f"the reply gives the set and the counts behind the {probe.figure} ({said})",
        )
    return check(
        "weakened",
        f"the reply restates the result without saying how the {probe.figure} was measured",
    )


def apply_checks(verdict: Verdict, checks: Sequence[ClaimCheck], replies: Sequence[str]) -> Verdict:
    """The verdict with its claim probes recorded. A claim the reply weakened, and any figure the
    reply itself gave, no longer count as the answer's measured claims; an answer left with none
    is held at 2, as a figure with no method behind it is (LABELLING section 3)."""
    if not checks:
        return verdict
    weakened = [c for c in checks if c.outcome == "weakened"]
    if not weakened:
        return verdict.model_copy(update={"claim_checks": list(checks)})
    said = " ".join(" ".join(_clean(r).split()) for r in replies)
    dropped = {" ".join(c.claim.split()) for c in weakened}
    claims = [
        c
        for c in verdict.claims
        if " ".join(c.split()) not in dropped and " ".join(c.split()) not in said
    ]
    update: dict[str, object] = {"claim_checks": list(checks), "claims": claims}
    flags = [f"a figure was not backed when asked: {c.figure} ({c.reasons[0]})" for c in weakened]
    update["flags"] = [*verdict.flags, *flags]
    if not claims and verdict.score is not None and verdict.score > 2:
        update["score"] = 2
        update["criteria"] = {k: min(v, 3) for k, v in verdict.criteria.items()}
        update["explanation"] = [
            *verdict.explanation,
            f"the {weakened[0].figure} was the answer's measured claim, and the follow-up did not "
            "back it, so it is not counted",
        ]
    return verdict.model_copy(update=update)


_SHAPE_WORD = re.compile(r"[a-z]+|#")


def _shape(sentence: str) -> list[str]:
    masked = re.sub(r"\d+(?:[.,]\d+)*", "#", normalise_numbers(sentence).lower())
    return _SHAPE_WORD.findall(masked)


def _frames(words: list[str]) -> set[tuple[str, ...]]:
    """The word triples around each number: the sentence's frame, whatever the figures and
    whatever the metric ("on our # question eval", "went from # to #")."""
    padded = ["", "", *words, "", ""]
    out = set()
    for i, word in enumerate(padded):
        if word == "#":
            out |= {tuple(padded[i - 2 : i + 1]), tuple(padded[i - 1 : i + 2])}
            out.add(tuple(padded[i : i + 3]))
    return out


#: Words every before -> after sentence has; a template shares more than these.
_GLUE = frozenset(
    [
        "",
        "#",
        "from",
        "to",
        "went",
        "by",
        "of",
        "and",
        "the",
        "a",
        "an",
        "on",
        "in",
        "at",
        "our",
        "was",
        "is",
        "it",
        "up",
        "down",
        "with",
        "for",
        "over",
        "about",
        "around",
        "x",
        "pp",
    ]
)


def _similar(a: list[str], b: list[str]) -> bool:
    """Two sentences of one template: at least two numbers each, set in the same frames, and
    frames that share words of their own (the set, the metric), not only "went from # to #"."""
    if a.count("#") < 2 or b.count("#") < 2:
        return False
    fa, fb = _frames(a), _frames(b)
    shared = fa & fb
    own = {word for frame in shared for word in frame} - _GLUE
    return len(shared) >= 4 and len(own) >= 2 and len(shared) / len(fa | fb) >= 0.6


def _size_and_jump(sentence: str) -> tuple[int, float] | None:
    found = read_claims([normalise_numbers(sentence)]).claims
    for claim in found:
        size = _integer(claim.measured_on)
        if size is not None and claim.pairs:
            a, b = claim.pairs[0]
            return size, round(b.value - a.value, 1)
    return None


def templated(verdicts: Sequence[Verdict]) -> set[int]:
    """Answers (by index) to different questions whose measured claims are one template: the same
    sentence with only the numbers changed, or the same set size and jump in every answer."""
    shapes = [[_shape(c) for c in v.claims] for v in verdicts]
    found: set[int] = set()
    for i in range(len(verdicts)):
        for j in range(i + 1, len(verdicts)):
            if verdicts[i].question_id == verdicts[j].question_id:
                continue
            if any(_similar(a, b) for a in shapes[i] for b in shapes[j]):
                found |= {i, j}
    signatures = [{s for s in map(_size_and_jump, v.claims) if s} for v in verdicts]
    with_claims = [i for i, v in enumerate(verdicts) if v.claims]
    if len(with_claims) >= 2:
        common = set.intersection(*(signatures[i] for i in with_claims))
        if common:
            found |= set(with_claims)
    return found


def claims_to_verify(verdicts: Sequence[Verdict], limit: int = 3) -> list[ClaimToVerify]:
    """The claims a human interviewer should check in the next round, most doubtful first: a
    figure whose follow-up did not back it, one claim template across answers, a figure with no
    method or set that was never asked about, then the best-backed claims (worth seeing the
    artefact behind them)."""
    ranked: list[tuple[int, ClaimToVerify]] = []

    def add(rank: int, verdict: Verdict, claim: str, why: str, ask: str) -> None:
        ranked.append(
            (rank, ClaimToVerify(question_id=verdict.question_id, claim=claim, why=why, ask=ask))
        )

    template = templated(verdicts)
    for index, verdict in enumerate(verdicts):
        if verdict.question_kind == "answer-key":
            continue
        for check in verdict.claim_checks:
            if check.outcome == "weakened":
                add(
                    0,
                    verdict,
                    check.claim,
                    f"not backed when asked: {check.reasons[0]}",
                    check.probe,
                )
            else:
                ask = f"Can you show the run, sheet or dashboard that produced the {check.figure}?"
                add(3, verdict, check.claim, "backed by the follow-up; worth seeing", ask)
        asked = {" ".join(c.claim.split()) for c in verdict.claim_checks}
        for claim in verdict.claims:
            if " ".join(claim.split()) in asked:
                continue
            probe = claim_to_probe(claim)
            if index in template:
                ask = probe.prompt if probe else "How was this measured, and on what?"
                why = "the same claim, numbers changed, is given for another question"
                add(1, verdict, claim, why, ask)
            elif probe is not None:
                why = "no " + " or ".join(x for x in probe.lacks if x != "baseline") + " given"
                add(2, verdict, claim, why, probe.prompt)
            else:
                ask = "Can you show the run or the sheet behind this figure?"
                add(4, verdict, claim, "the answer's measured claim", ask)
    out: list[ClaimToVerify] = []
    for _, item in sorted(ranked, key=lambda pair: pair[0]):
        if all(" ".join(item.claim.split()) != " ".join(o.claim.split()) for o in out):
            out.append(item)
    return out[:limit]
