"""Grading take-home answers against a reference answer, and putting scores on a question's scale.

A take-home question (:class:`~agent._models.TakeHomeQuestion`) has a rubric as in the bank, or
only a ``reference_answer``. Rubric questions go to the ordinary graders. Reference-only questions
are graded against three derived criteria (:func:`reference_rubric`):

``coverage``
    how many of the reference's key points the answer makes;
``accuracy``
    whether it contradicts any of them (another figure where the reference gives one, the
    opposite claim, the opposite direction of a change);
``evidence``
    how concrete it is (figures tied to a method or a baseline, artefacts, methods), from the same
    extractor the offline grader uses.

**Offline** (:class:`ReferenceGrader`): the reference is split into key points (sentences and
clauses). A point's coverage is the share of its content words (lower-cased, crudely stemmed,
stop words dropped) found in the best-matching answer sentence (or, discounted, anywhere in the
answer), blended with the share of its numbers the answer repeats. A point is contradicted when
the best-matching sentence gives other numbers, flips a negation, or reverses a direction word.
Text addressed to the grader is removed first, and the verdict is never higher than the verdict
on the raw text, so an injection cannot raise a score.

**LLM** (:class:`ReferenceJudge`): the :class:`~agent.grading.judge.LLMJudge` pipeline
(injection layer, spotlighting, structured verdict, grounding, samples, cache) with the prompt
``prompts/reference_judge.yaml``, which carries the reference, its key points and the derived
criteria.

:class:`TakeHomeGrader` sends each question to the right grader and reports take-home scores on
the question's scale (``scale_min``, ``scale_max``, ``scaled_score`` on the verdict); bank
questions keep 1-5 and no scale fields.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .._models import (
    Criterion,
    Evidence,
    EvidenceKind,
    GraderInfo,
    Question,
    TakeHomeQuestion,
    Verdict,
)
from ..providers.base import ChatModel
from ..providers.cache import ResponseCache
from .base import FallbackGrader, Grader
from .evidence import extract, injection_sentences, is_empty, strip_injection
from .judge import LLMJudge, _evidence, render_rubric
from .normalise import plain_text
from .offline import OfflineGrader

VERSION = "reference-1.0"

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z][a-z'-]*")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")
_NOT_NEGATION = re.compile(r"\b(?:not only|not just|not least|no (?:more|less|fewer) than)\b", re.I)
_CLAUSE = re.compile(r",\s+(?:and|but|so|while|whereas|which)\s+|\s+because\s+", re.I)
_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    me more most my no nor not of off on once only or other our ours out over own same she should
    so some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you
    your yours one ones thing things way ways get got make made use used using uses like really
    lot lots well much many every via per etc e g i e""".split()
)
_NEGATIONS = frozenset(
    "not no never without cannot can't don't doesn't didn't isn't wasn't aren't weren't won't "
    "shouldn't neither nor none".split()
)
_UP = frozenset(
    "increase increased increases increasing rose rise rises higher more up grew".split()
)
_DOWN = frozenset(
    "decrease decreased decreases decreasing fell fall falls lower less fewer down shrank".split()
)


def _stem(word: str) -> str:
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


@dataclass(frozen=True)
class Terms:
    """What a sentence says, for matching: content-word stems, numbers, negation, direction."""

    words: frozenset[str]
    numbers: frozenset[str]
    negated: bool
    directions: frozenset[str]


@lru_cache(maxsize=4096)
def terms(text: str) -> Terms:
    """The :class:`Terms` of ``text``."""
    tokens = _TOKEN.findall(text.lower())
    words = frozenset(
        _stem(t)
        for t in tokens
        if t[0].isalpha() and len(t) > 2 and t not in _STOP and t not in _NEGATIONS
    )
    numbers = frozenset(_number(t) for t in tokens if t[0].isdigit())
    directions = frozenset(
        d for d, vocab in (("up", _UP), ("down", _DOWN)) if any(t in vocab for t in tokens)
    )
    negated = any(
        t in _NEGATIONS or t.endswith("n't")
        for t in _TOKEN.findall(_NOT_NEGATION.sub(" ", text.lower()))
    )
    return Terms(words, numbers, negated, directions)


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
            coverage = 0.6 * words + 0.4 * _share(want.numbers, whole.numbers)
        contradiction = None
        if best_terms is not None and best_share >= 0.34:
            contradiction = _contradiction(want, best_terms, whole, best_share)
        matches.append(PointMatch(point, round(coverage, 3), best, contradiction))
    return matches


def _contradiction(want: Terms, found: Terms, whole: Terms, share: float) -> str | None:
    other = found.numbers - want.numbers
    if want.numbers and other and not want.numbers <= whole.numbers:
        missing = ", ".join(sorted(want.numbers - whole.numbers))
        return f"gives {', '.join(sorted(other))} where the reference has {missing}"
    if share >= 0.6 and want.negated != found.negated:
        return "states the opposite (a negation the reference does not have, or drops one)"
    if (
        len(want.directions) == 1
        and len(found.directions) == 1
        and want.directions != found.directions
    ):
        said, wanted = next(iter(found.directions)), next(iter(want.directions))
        return f"says {said} where the reference says {wanted}"
    return None


def reference_rubric(question: Question) -> list[Criterion]:
    """The criteria a reference-only question is graded on (coverage, accuracy, evidence)."""
    reference = question.reference_answer or ""
    return list(_reference_rubric(reference))


@lru_cache(maxsize=256)
def _reference_rubric(reference: str) -> tuple[Criterion, ...]:
    stems = sorted({w for p in key_points(reference) for w in p.terms.words})
    # At least three keywords are required; pad with generic evidence words, never with words
    # an answer could carry by accident ("answer" would match a stray <answer> tag).
    keywords = (stems + ["measured", "baseline", "evidence"])[:8]
    return (
        Criterion(
            id="coverage",
            name="Covers the key points",
            description="How many of the reference answer's key points the answer makes.",
            evidence=[EvidenceKind.METHOD],
            keywords=keywords,
            levels={
                1: "Makes none of the reference's key points, or is off-topic.",
                2: "Makes one key point, or touches several only in passing.",
                3: "Makes about half of the key points.",
                4: "Makes most of the key points.",
                5: "Makes every key point, in its own words.",
            },
        ),
        Criterion(
            id="accuracy",
            name="Agrees with the reference",
            description="Whether the answer contradicts the reference on any key point.",
            evidence=[EvidenceKind.QUANTITY, EvidenceKind.BEFORE_AFTER],
            keywords=keywords,
            levels={
                1: "Contradicts several key points or gives wrong figures throughout.",
                2: "Contradicts a key point (another figure, the opposite claim).",
                3: "No outright contradiction, but vague where the reference is precise.",
                4: "Consistent with the reference; a minor imprecision at most.",
                5: "Consistent with the reference on every point it makes.",
            },
        ),
        Criterion(
            id="evidence",
            name="Concrete and specific",
            description="Figures tied to a method or a baseline, artefacts, and methods.",
            evidence=[EvidenceKind.QUANTITY, EvidenceKind.METHOD, EvidenceKind.ARTEFACT],
            keywords=keywords,
            levels={
                1: "Only generalities or buzzwords.",
                2: "Names methods or tools but gives no figure or artefact.",
                3: "Some concrete detail: a figure or a named method.",
                4: "Figures tied to how they were measured, or artefacts of stated size.",
                5: "Specific throughout: measured figures, methods and baselines.",
            },
        ),
    )


def reference_question(question: Question) -> Question:
    """``question`` with the derived reference criteria as its rubric (what the judges grade)."""
    return question.model_copy(update={"rubric": reference_rubric(question)})


def render_key_points(question: Question) -> str:
    """The reference's key points as a numbered list, for the reference judge's prompt."""
    points = key_points(question.reference_answer or "")
    return "\n".join(f"{i}. {p.text}" for i, p in enumerate(points, 1))


def on_scale(question: Question, verdict: Verdict, five: float | None = None) -> Verdict:
    """A take-home verdict with its score on the question's scale; bank verdicts as they are.

    ``five`` is a finer 1-5 value than the integer score, when the grader has one.
    """
    if not isinstance(question, TakeHomeQuestion):
        return verdict
    scale = question.scale
    if verdict.score is None:
        scaled = None
    elif five is not None:
        scaled = scale.from_five(five)
    elif verdict.scaled_score is not None:
        scaled = verdict.scaled_score  # placed by the grader from a finer value
    else:
        scaled = scale.from_five(verdict.score)
    return verdict.model_copy(
        update={"scale_min": scale.min, "scale_max": scale.max, "scaled_score": scaled}
    )


_RULES = OfflineGrader()
_FIRST_PERSON = re.compile(r"\b(?:I|we|our|my|me|us)\b", re.I)


class ReferenceGrader(Grader):
    """Offline grading of reference-only questions; deterministic, no network."""

    def __init__(self) -> None:
        self.info = GraderInfo(name="offline", version=VERSION)

    async def grade(self, question: Question, answer: str) -> Verdict:
        return self.grade_now(question, answer)

    def grade_now(self, question: Question, answer: str) -> Verdict:
        """Grade synchronously."""
        graded = reference_question(question)
        answer = plain_text(answer)  # as every grader reads it (normalise.py)
        injected = injection_sentences(answer)
        verdict, five = self._grade_clean(graded, strip_injection(answer), injected)
        if injected:
            raw, raw_five = self._grade_clean(graded, answer, injected)
            if raw_five < five:  # never above the verdict on the raw text
                verdict, five = raw.model_copy(update={"evidence": verdict.evidence}), raw_five
        return on_scale(question, verdict, five)

    def _grade_clean(
        self, question: Question, text: str, injected: list[str]
    ) -> tuple[Verdict, float]:
        ids = [c.id for c in question.rubric]
        flags = ["prompt injection: text addressed to the grader was ignored"] if injected else []
        common = {
            "question_id": question.id,
            "injection": bool(injected),
            "injection_quotes": injected,
            "grader": self.info,
            "rubric_hash": question.rubric_hash,
        }
        if is_empty(text):
            verdict = Verdict(
                **common,
                score=1,
                criteria=dict.fromkeys(ids, 1),
                missing=ids,
                flags=flags,
                explanation=["no answer given"],
                empty=True,
            )
            return verdict, 1.0
        points = key_points(question.reference_answer or "")
        matches = match_points(points, text)
        coverage = sum(m.credit for m in matches) / len(matches) if matches else 0.0
        contradicted = [m for m in matches if m.contradiction]
        found = extract(text)
        concrete = 0.5 * found.measured + 0.25 * bool(found.of(EvidenceKind.METHOD))
        concrete += 0.25 * bool(
            found.of(EvidenceKind.ARTEFACT) or found.of(EvidenceKind.BEFORE_AFTER)
        )
        if found.unsupported:
            concrete *= 0.5
            flags.append(
                "unsupported precision: " + "; ".join(repr(s) for s in found.unsupported[:3])
            )
        on_topic = min(1.0, coverage / 0.5)
        if coverage < 0.1:
            flags.append("the answer makes none of the reference's key points")
        # The overall score is the evidence rules' score on the derived rubric (keywords from the
        # reference). Key-point coverage alone measured screening answers badly: a strong
        # candidate describes their own incident, not the reference's (calibration split:
        # QWK 0.744 for the rules vs 0.027 for coverage; evals/reference_only.py). Coverage and
        # contradictions stay as criteria and flags for the hiring manager.
        rules = _RULES.grade_clean(question, text, injected)
        # A contradiction costs a level, but only when the answer is about what the reference is
        # about: on an experience question another figure is usually another incident.
        addressed = coverage + (len(contradicted) / len(matches) if matches else 0.0)
        five = float(rules.score or 1)
        # An impersonal reference is an answer key: contradicting it is an error. A first-person
        # reference ("I built...", "our bot...") is an example of experience: another figure
        # there is usually another incident, so it is reported but costs nothing.
        answer_key = not _FIRST_PERSON.search(question.reference_answer or "")
        if contradicted and answer_key and addressed >= 0.5:
            five = float(max(1, min(five, 3) - len(contradicted)))
        criteria = {
            "coverage": _level(coverage),
            "accuracy": max(1, 5 - 2 * len(contradicted)) if coverage >= 0.2 else 1,
            "evidence": max(rules.criteria.get("evidence", 1), _level(concrete * on_topic)),
        }
        if contradicted:
            flags.append(f"contradicts {len(contradicted)} key point(s) of the reference")
        covered = [m for m in matches if m.credit >= 0.5 and m.sentence]
        evidence: list[Evidence] = []
        for m in covered:
            if m.sentence and all(e.quote != m.sentence for e in evidence):
                evidence.append(_evidence(m.sentence, note=f"makes the point: {m.point.text[:80]}"))
        for item in rules.evidence:
            if all(e.quote != item.quote for e in evidence):
                evidence.append(item)
        verdict = Verdict(
            **common,
            score=int(five + 0.5),
            criteria=criteria,
            evidence=evidence[:8],
            missing=[c for c, s in criteria.items() if s <= 2],
            flags=flags + [f for f in rules.flags if f not in flags],
            explanation=_explain(matches) + rules.explanation,
        )
        return verdict, five


def _level(share: float) -> int:
    return int(1 + 4 * min(1.0, max(0.0, share)) + 0.5)


def _explain(matches: list[PointMatch]) -> list[str]:
    made = sum(m.credit >= 0.5 for m in matches)
    lines = [f"makes {made} of {len(matches)} key points of the reference"]
    for i, m in enumerate(matches, 1):
        if m.contradiction:
            state = f"contradicted: {m.contradiction}"
        elif m.credit >= 0.5:
            state = "made"
        elif m.credit > 0:
            state = "partly made"
        else:
            state = "missing"
        lines.append(f"key point {i} ({m.point.text[:70]}): {state}")
    return lines


class ReferenceJudge(LLMJudge):
    """The LLM judge with the reference-guided prompt and the derived reference criteria."""

    prompt_name = "reference_judge"
    needs_measured_support = False

    def __init__(
        self,
        model: ChatModel,
        *,
        samples: int = 1,
        cache: ResponseCache | None = None,
        max_retries: int = 1,
    ) -> None:
        super().__init__(model, samples=samples, cache=cache, max_retries=max_retries)
        self.info = GraderInfo(
            name=self.model.spec, version=f"reference-judge-v{self.prompt.version}"
        )

    async def grade(self, question: Question, answer: str) -> Verdict:
        return on_scale(question, await super().grade(reference_question(question), answer))

    def system_prompt(self, question: Question) -> str:
        return self.prompt.render_system(
            question=question.text,
            reference=question.reference_answer or "",
            key_points=render_key_points(question),
            rubric=render_rubric(question),
        )


def sub_graders(grader: Grader) -> list[Grader]:
    """The graders a grader delegates to (a fallback chain, a wrapped or routed grader)."""
    found: list[Grader] = []
    for value in vars(grader).values():
        items = value if isinstance(value, list | tuple) else [value]
        found += [item for item in items if isinstance(item, Grader)]
    return found


def judges_in(grader: Grader) -> list[LLMJudge]:
    """Every LLM judge in a grader tree, each once, in order."""
    if isinstance(grader, LLMJudge):
        return [grader]
    found: list[LLMJudge] = []
    for child in sub_graders(grader):
        found += [j for j in judges_in(child) if all(j is not k for k in found)]
    return found


def reference_grader_for(grader: Grader) -> Grader:
    """The reference-only counterpart of ``grader``: the same models and fallback order.

    Each LLM judge becomes a :class:`ReferenceJudge` on the same model, and the chain ends with
    the offline :class:`ReferenceGrader`. Calibration maps (fitted on rubric grading) and
    offline rubric models do not carry over.
    """
    judges = [
        ReferenceJudge(j.model, samples=j.samples, cache=j.cache, max_retries=j.max_retries)
        for j in judges_in(grader)
    ]
    if not judges:
        return ReferenceGrader()
    return FallbackGrader([*judges, ReferenceGrader()])


class TakeHomeGrader(Grader):
    """Routes each question to its grader and reports take-home scores on the question's scale."""

    def __init__(self, grader: Grader, reference: Grader | None = None) -> None:
        self.rubric_grader = grader
        self.reference_grader = reference or reference_grader_for(grader)
        self.info = grader.info

    def grader_for(self, question: Question) -> Grader:
        """The grader of ``question``: the reference grader for reference-only questions."""
        if isinstance(question, TakeHomeQuestion) and question.reference_only:
            return self.reference_grader
        return self.rubric_grader

    async def grade(self, question: Question, answer: str) -> Verdict:
        verdict = await self.grader_for(question).grade(question, answer)
        return on_scale(question, verdict)

    def fingerprint(self) -> str:
        parts = (self.rubric_grader.fingerprint(), self.reference_grader.fingerprint())
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
