"""The prompt-tourist flag: can the candidate back their answers with concrete evidence?

A candidate is flagged when, after the follow-up probes, fewer than
``min(2, ceil(n / 2))`` of their ``n`` answers are *backed* (see :func:`is_backed`): measured,
coherent evidence, whatever kind of system it was measured on. Figures that cannot be true, and
one claim pasted figure for figure into answers to different questions, never back an answer.
The reasons name what was missing and quote what stood in its place (unsupported precision,
buzzwords, non-answers), and say when the measured work fits the other track better.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from .._models import EvidenceKind, Question, TouristFlag, Verdict
from .claim_probes import SET_NAME, reconciled, templated
from .claims import normalise_numbers

_MEASURED = {EvidenceKind.BEFORE_AFTER, EvidenceKind.QUANTITY}

#: An interview that ended early with fewer answers than this is not judged: one answer is too
#: little to call anyone a tourist, and the questions never reached say nothing about them.
MIN_ANSWERS_TO_JUDGE = 2

#: An answer with this many figures and none tied to a method, a set or a baseline is a dump of
#: numbers ("p50 18 ms, p90 27 ms, ... GPU util 71%"), not a measured claim, even where the
#: trained grader holds it at 3 (chosen on golden calibration sessions, the dev set and outside
#: sets n49, n51 and n52).
NUMBER_DUMP = 4


def is_backed(verdict: Verdict) -> bool:
    """True when an answer is backed by measured, coherent evidence (LABELLING section 7).

    That is an answer scored 3+ that quotes a measured figure (not one that only lists
    :data:`NUMBER_DUMP` or more figures with nothing behind them), or one held at 2 that still
    carries a claim tied to a set or a method with a before -> after pair: an honest beginner's
    small real example. Figures that cannot be true never back an answer.
    """
    if verdict.score is None or verdict.score < 2 or _impossible(verdict):
        return False
    pair = any(e.kind is EvidenceKind.BEFORE_AFTER for e in verdict.evidence)
    if verdict.score >= 3:  # a grounded claim in words ("from the mid-90s to the mid-80s") too
        if not verdict.claims and not pair and verdict.unbacked_figures >= NUMBER_DUMP:
            return False  # figures dumped from a dashboard, none tied to how it was measured
        return bool(verdict.claims) or any(e.kind in _MEASURED for e in verdict.evidence)
    return bool(verdict.claims) and pair


def _probe_backed(verdict: Verdict) -> bool:
    return any(c.outcome == "supported" for c in verdict.claim_checks)


def _probe_weakened(verdict: Verdict) -> bool:
    """The figure the answer rested on was probed, and the reply did not back it."""
    return bool(verdict.claim_checks) and not _probe_backed(verdict)


def _impossible(verdict: Verdict) -> bool:
    return any(f.startswith("figures that cannot be true") for f in verdict.flags)


#: Classical-ML work and LLM-application work, told apart by the words of the measured claims.
_ML_WORDS = re.compile(
    r"\b(?:xgboost|lightgbm|catboost|random forest|logistic regression|gradient[- ]boost\w*|gbm|"
    r"auc|auroc|roc|churn|fraud|credit|default rate|forecast\w*|mape|mase|mae|rmse|"
    r"feature (?:store|importance|drift|pipeline)|cross[- ]validat\w*|k-?fold|propensity|"
    r"recommend\w*|ranking model|ctr|psi|scorecard|tabular|regression model|classifiers?|eta|"
    r"etas|time[- ]series|glm|arima|prophet|uplift|click-through|two-tower|dcn|wmape|"
    r"backtest\w*|holdout)\b",
    re.I,
)
_AI_WORDS = re.compile(
    r"\b(?:llms?|gpt[\w.-]*|claude|prompts?|prompting|rag|retriev\w*|embeddings?|vector|chunks?|"
    r"chunking|agents?|agentic|tool[- ]calls?|judge|hallucinat\w*|tokens?|context window|"
    r"rerank\w*|guardrails?|injection|chatbot|assistant|copilot)\b",
    re.I,
)


#: "I have not built one for an LLM", "we don't have an LLM in production": a mention that says
#: the answer is not about such a system.
_DENIED = re.compile(
    r"(?:\b(?:not|no|never|without|instead of|rather than)\b|n[’']t\b)[^.;\n]{0,40}$", re.I
)


def about_other_system(question: Question, text: str) -> bool:
    """An answer to a question about LLM systems (an AI-engineer question whose rubric speaks of
    them: not "What did you measure before vs after?") that is about classical-ML work only: ML
    words, and no LLM-system word except in a sentence saying there is none. LABELLING section 4
    scores it as off-topic (at most 2); section 7 still counts its measured work as backing."""
    return _about_llm_systems(question) and _classical_only(text)


@functools.lru_cache(maxsize=512)  # the rules and the trained grader ask of the same text
def _classical_only(text: str) -> bool:
    """ML words, and no LLM-system word except where a sentence says there is none (one stray
    word is allowed beside several kinds of ML word: "a two-tower retrieval stage")."""
    if not _ML_WORDS.search(text):
        return False
    said = [
        m
        for m in _AI_WORDS.finditer(text)
        if not _DENIED.search(text[max(0, m.start() - 60) : m.start()])
    ]
    if not said:
        return True
    return len(said) == 1 and len({m.group(0).lower() for m in _ML_WORDS.finditer(text)}) >= 3


def _about_llm_systems(question: Question) -> bool:
    key = (question.id, question.rubric_hash)
    if key not in _LLM_QUESTIONS:
        _LLM_QUESTIONS[key] = question.track.startswith("ai") and _rubric_speaks_of_llms(question)
    return _LLM_QUESTIONS[key]


_LLM_QUESTIONS: dict[tuple[str, str], bool] = {}


def _rubric_speaks_of_llms(question: Question) -> bool:
    rubric = " ".join(
        [question.text]
        + [
            f"{c.description} {' '.join(c.levels.values())} {' '.join(c.keywords)}"
            for c in question.rubric
        ]
    )
    return bool(_AI_WORDS.search(rubric))


def other_track_work(verdict: Verdict, track: str | None) -> bool:
    """An answer to an AI-engineer question backed by measured classical-ML work instead."""
    if track is None or not track.startswith("ai") or not verdict.claims or _impossible(verdict):
        return False
    return _classical_only(" ".join([*verdict.claims, *(e.quote for e in verdict.evidence)]))


def _recycled(verdicts: Sequence[Verdict]) -> set[int]:
    """Answers whose only backing is a claim whose figures repeat, figure for figure, the
    claim given for another question: one rehearsed figure pasted into every answer."""
    signatures: dict[tuple[str, ...], set[int]] = {}
    only: dict[int, tuple[str, ...]] = {}
    for index, verdict in enumerate(verdicts):
        mine = {tuple(_DIGITS.findall(claim)) for claim in verdict.claims}
        mine = {sig for sig in mine if len(sig) >= 3}
        for sig in mine:
            signatures.setdefault(sig, set()).add(index)
        if len(mine) == 1 and len(verdict.claims) == 1:
            only[index] = next(iter(mine))
    return {i for i, sig in only.items() if len(signatures[sig]) >= 2}


_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")


#: "only one came back wrong", "one of 50": a count text2num leaves in words.
_LONE_ONE = re.compile(r"\b(?:only|just) one\b|\bone(?= of \d)", re.I)


#: Evidence whose figures a retold story repeats, beside its quoted claims.
_RETOLD = (EvidenceKind.BEFORE_AFTER, EvidenceKind.QUANTITY)


def _retold(verdicts: Sequence[Verdict]) -> set[int]:
    """Answers to other questions that retell an earlier backed answer's story: the figures of
    one answer's claims and measured evidence (three or more, figures in words read as digits)
    are all figures of the other's. One rehearsed story counts once (LABELLING section 7: it
    does not show the candidate can back claims in general)."""
    figures = [
        sorted(
            f
            for c in dict.fromkeys([*v.claims, *(e.quote for e in v.evidence if e.kind in _RETOLD)])
            for f in _DIGITS.findall(_LONE_ONE.sub("1", normalise_numbers(c)))
        )
        for v in verdicts
    ]
    out: set[int] = set()
    for j, later in enumerate(figures):
        for i in range(j):
            if i in out or verdicts[i].question_id == verdicts[j].question_id:
                continue
            if not is_backed(verdicts[i]):  # the story counts once: where it is backed
                continue
            small, large = sorted((figures[i], later), key=len)
            if len(small) >= 3 and not (Counter(small) - Counter(large)):
                out.add(j)
                break
    return out


#: A named set and its size: "our golden set of 450 cases", "the 1,200-case golden set", "the
#: same regression set - 450 questions", "Golden dataset has 500 test cases".
def _named_set() -> re.Pattern[str]:
    def name(k: str) -> str:
        return rf"(?P<name{k}>{SET_NAME})"

    def size(k: str) -> str:
        return rf"(?P<size{k}>\d{{1,3}}(?:,\d{{3}})+|\d+)"

    items = r"(?:cases?|questions?|examples?|items?|prompts?|queries|conversations|tickets)"
    return re.compile(
        rf"\b{size('a')}[- ](?:[a-z-]+[- ])?{items}\s+(?:[a-z-]+\s+)?{name('a')}\b|"
        rf"\b{name('b')}\b[^.;\d]{{0,40}}?\b{size('b')}\s*(?:[a-z-]+\s+)?{items}\b|"
        rf"\b{size('c')}-(?:case|question|example|item|prompt|query)\s+(?:[a-z-]+\s+)?"
        rf"{name('c')}\b",
        re.I,
    )


_NAMED_SET = _named_set()
#: Words that say a set grew, or that another set is meant: sizes that may differ.
_GREW = re.compile(
    r"\b(?:grew|grown|growing|added|adding|started|starting|now|expanded|extended|another|"
    r"second|separate|different|new|v\d|version)\b|\bfrom\s+\d[\d,]*\s+to\b",
    re.I,
)
_SAME = re.compile(r"\bsame\b|\bI mentioned\b|\bthat (?:set|suite)\b", re.I)


@dataclass(frozen=True)
class _Mention:
    """A named set's size as one answer gives it."""

    answer: int
    words: str  # how the answer names it: "golden set", "eval suite"
    size: int
    same: bool  # the sentence says it is the set mentioned before
    sentence: str

    @property
    def kind(self) -> str:
        """ "gold", "eval", "test", "regr", "benc": "evaluation set" and "eval suite" are one."""
        return self.words[:4]


def _mentions(verdicts: Sequence[Verdict]) -> list[_Mention]:
    found: list[_Mention] = []
    for index, verdict in enumerate(verdicts):
        for sentence in dict.fromkeys([*verdict.claims, *(e.quote for e in verdict.evidence)]):
            if _GREW.search(sentence):
                continue
            for m in _NAMED_SET.finditer(sentence):
                parts = {k[:4]: v for k, v in m.groupdict().items() if v}  # nameb -> name
                size = int(parts["size"].replace(",", ""))
                same = bool(_SAME.search(sentence))
                found.append(_Mention(index, parts["name"].lower(), size, same, sentence))
    return found


def _clash(a: _Mention, b: _Mention) -> bool:
    return (
        a.answer != b.answer
        and a.kind == b.kind
        and abs(a.size - b.size) > 0.1 * max(a.size, b.size)
    )


@dataclass(frozen=True)
class SizeClash:
    """The last answer gives a set a size an earlier answer contradicts."""

    earlier_question: str
    set_words: str  # how the last answer names it: "golden set"
    earlier: int
    now: int
    sentence: str  # the last answer's sentence that sizes it


def last_answer_clashes(
    verdicts: Sequence[Verdict], asked: Collection[frozenset[int]] = ()
) -> SizeClash | None:
    """Whether the last of ``verdicts`` sizes a named set differently from an earlier answer
    (see :func:`_sizes_disagree`): what the interviewer asks about before moving on. ``asked``:
    pairs of sizes already asked about, in either order, which are not asked about again."""
    if len(verdicts) < 2:
        return None
    mentions = _mentions(verdicts)
    last = len(verdicts) - 1
    for now in (m for m in mentions if m.answer == last):
        for before in (m for m in mentions if m.answer < last):
            if _clash(before, now) and frozenset({before.size, now.size}) not in asked:
                return SizeClash(
                    earlier_question=verdicts[before.answer].question_id,
                    set_words=now.words,
                    earlier=before.size,
                    now=now.size,
                    sentence=now.sentence,
                )
    return None


def _sizes_disagree(verdicts: Sequence[Verdict]) -> tuple[set[int], list[str]]:
    """Answers that give the candidate's one golden (eval, test, regression) set a size another
    answer contradicts: 312 cases in one answer, "the same one, 180 cases" in the next. The
    answer that calls it the same set is the one not trusted; when neither does, neither is.
    A set that grew ("started with 120, now 180") or a second set is left alone, and so is an
    answer whose follow-up about the clash was answered by a reply that reconciles the sizes."""
    mentions = _mentions(verdicts)
    untrusted: set[int] = set()
    said: list[str] = []
    for i, first in enumerate(mentions):
        for second in mentions[i + 1 :]:
            if not _clash(first, second) or reconciled(verdicts[second.answer]):
                continue  # asked about the clash, the candidate reconciled the sizes
            a, b, size_a, size_b = first.answer, second.answer, first.size, second.size
            untrusted |= {b} if second.same else {a, b}
            said.append(
                f"{verdicts[a].question_id} gives the set {size_a:,} items, "
                f"{verdicts[b].question_id} {size_b:,}"
            )
    return untrusted, list(dict.fromkeys(said))


def tourist_flag(
    verdicts: Sequence[Verdict],
    planned: int | None = None,
    tracks: Mapping[str, str] | None = None,
) -> TouristFlag:
    """Decide the flag for a whole session and say why.

    ``planned`` is the number of questions the session meant to ask. A session that ended early
    is judged on the questions answered, and not judged at all (``applicable`` False, the early
    end named as the reason) with fewer than :data:`MIN_ANSWERS_TO_JUDGE` of them. ``tracks``
    maps question ids to their track: with it, AI-engineer answers backed by measured
    classical-ML work count as backed (the hiring guide's test is concrete numbers, not the kind
    of system) and the reasons say the candidate fits the ML-engineer track better. Answers to
    answer-key take-home questions (a technical question with a correct answer) do not count
    either way.
    """
    keyed = [v for v in verdicts if v.question_kind == "answer-key"]
    verdicts = [v for v in verdicts if v.question_kind != "answer-key"]  # a right answer, not work
    if keyed and not verdicts:
        return TouristFlag(
            flagged=False,
            applicable=False,
            reasons=[
                f"{len(keyed)} answer-key question(s) only: the flag is about the candidate's "
                "own measured work, which these questions do not ask for"
            ],
        )
    # Judged on what was answered: questions an early end left unreached say nothing either way.
    n = len(verdicts)
    planned_here = max(n, (planned or 0) - len(keyed))
    if not verdicts:
        return TouristFlag(
            flagged=False,
            applicable=False,
            reasons=[
                f"the interview ended before any of its {planned_here} question(s) was answered; "
                "nothing to assess"
                if planned_here
                else "no questions were answered; nothing to assess"
            ],
        )
    early = planned_here > n
    if early and n < MIN_ANSWERS_TO_JUDGE:
        return TouristFlag(
            flagged=False,
            applicable=False,
            reasons=[
                f"the interview ended early: {n} of {planned_here} questions answered, too few "
                f"to judge (the flag needs at least {MIN_ANSWERS_TO_JUDGE} answers); read the "
                "answer given, or invite the candidate to finish"
            ],
        )
    recycled = _recycled(verdicts)
    retold = _retold(verdicts) - recycled
    disagree, sizes_said = _sizes_disagree(verdicts)
    # One claim template across answers backs nothing until a follow-up's reply backs it.
    template = {i for i in templated(verdicts) if not _probe_backed(verdicts[i])}
    # The claim a probe asked about was the one the answer's score rested on: if the reply did
    # not back it, the answer's other figures do not back it for this test either.
    weakened_answers = {i for i, v in enumerate(verdicts) if _probe_weakened(v)}
    # And when every figure a follow-up checked fell apart, the figures nobody checked do not
    # back an answer either: a careful interviewer stops taking the rest on trust.
    checked_none_held = bool(weakened_answers) and not any(map(_probe_backed, verdicts))
    if checked_none_held:
        weakened_answers = set(range(len(verdicts)))
    other = [v for v in verdicts if other_track_work(v, (tracks or {}).get(v.question_id))]
    backed = [
        v
        for i, v in enumerate(verdicts)
        if (is_backed(v) or any(v is o for o in other))
        and i not in recycled | retold | template | weakened_answers | disagree
    ]
    needed = min(2, math.ceil(n / 2))
    flagged = len(backed) < needed
    reasons: list[str] = []
    quotes: list[str] = []
    empty = [v for v in verdicts if v.empty]
    unbacked = [v for v in verdicts if all(v is not b for b in backed) and not v.empty]
    if flagged:
        reasons.append(
            f"{len(backed)} of {n} answers backed by a figure tied to a method or baseline "
            f"(at least {needed} expected)"
        )
    else:
        reasons.append(f"{len(backed)} of {n} answers backed by measured evidence")
        quotes.extend(v.evidence[0].quote for v in backed[:2] if v.evidence)
    if len(other) >= 2:
        reasons.append(
            f"{len(other)} answers to AI-engineer questions are backed by measured classical-ML "
            "work rather than LLM systems: the candidate fits the ML-engineer track better"
        )
    if retold:
        ids = ", ".join(verdicts[i].question_id for i in sorted(retold))
        reasons.append(
            f"the same story, figure for figure, is told again for {ids}: one rehearsed story "
            "counts once"
        )
    if recycled:
        ids = ", ".join(verdicts[i].question_id for i in sorted(recycled))
        reasons.append(f"the same figures are given as the evidence for different questions: {ids}")
    if sizes_said:
        reasons.append(
            "one set is given different sizes in different answers, so the figures measured on "
            "it are not taken on trust: " + "; ".join(sizes_said[:3])
        )
    if template - recycled:
        ids = ", ".join(verdicts[i].question_id for i in sorted(template))
        reasons.append(
            "the same claim is given for different questions with only the numbers changed "
            f"(or the same set size and jump), and no follow-up backed it: {ids}"
        )
    weakened = [c for v in verdicts for c in v.claim_checks if c.outcome == "weakened"]
    if weakened:
        reasons.append(
            f"{len(weakened)} figure(s) not backed when the interviewer asked how they were "
            f"measured: " + "; ".join(f"{c.figure} ({c.reasons[0]})" for c in weakened[:3])
        )
    if checked_none_held and len(verdicts) > len(weakened):
        reasons.append(
            "no figure a follow-up asked about was backed, so the figures no follow-up asked "
            "about are not taken on trust either (see the claims to verify)"
        )
    if early:
        reasons.append(
            f"the interview ended early: {n} of {planned_here} questions answered; the flag is "
            "judged on those"
        )
    if empty:
        ids = ", ".join(v.question_id for v in empty)
        reasons.append(f"no answer to {len(empty)} question(s): {ids}")
    for verdict in unbacked:
        for flag in verdict.flags:
            if flag.startswith(("unsupported precision", "buzzwords")):
                reasons.append(f"{verdict.question_id}: {flag}")
    if flagged:
        for verdict in unbacked:
            quotes.extend(e.quote for e in verdict.evidence[:1])
    return TouristFlag(flagged=flagged, reasons=reasons, quotes=quotes[:6])
