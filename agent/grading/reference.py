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
import json
import re
from functools import lru_cache
from typing import Literal

from .._models import (
    Criterion,
    Evidence,
    EvidenceKind,
    GraderInfo,
    KeyPointResult,
    Question,
    QuestionKind,
    TakeHomeQuestion,
    Verdict,
)
from ..providers.base import ChatModel
from ..providers.cache import ResponseCache
from .base import FallbackGrader, Grader
from .evidence import extract, injection_sentences, is_empty, strip_injection
from .examples import MIN_OWN, ExampleModel, macro_f1
from .judge import LLMJudge, _evidence, render_rubric
from .keypoints import PointMatch, key_points, match_points, terms
from .normalise import plain_text
from .offline import OfflineGrader

VERSION = "reference-1.0"


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


_EXPERIENCE_ASK = re.compile(
    r"\b(?:how did you|what did you|why did you|when did you|have you (?:ever )?\w+ed|"
    r"tell (?:me|us) about|walk (?:me|us) through|a time (?:when|you)|"
    r"describe (?:a|an|one|the)\b[^.?]{0,60}\byou(?:'ve| have)?\b|"
    r"your (?:own )?(?:experience|project|team|work|last|previous|current))\b",
    re.I,
)


def question_kind(question: Question) -> QuestionKind:
    """``experience`` (about the candidate's own work) or ``answer-key`` (a technical question
    with a correct answer): the question's ``kind:`` when given, else detected. A rubric without
    a reference, a first-person reference ("I built...", "our bot...") or a question about the
    candidate's own work ("how did you...", "tell me about a time...") is experience; so is a
    question with a rubric of its own, unless its ``kind:`` says otherwise."""
    if isinstance(question, TakeHomeQuestion) and question.kind:
        return question.kind
    if not isinstance(question, TakeHomeQuestion):
        return "experience"
    reference = question.reference_answer or ""
    if question.rubric:  # graded on its own rubric, as the bank's questions are
        return "experience"
    if _FIRST_PERSON.search(reference) or _EXPERIENCE_ASK.search(question.text):
        return "experience"
    return "answer-key"


def on_scale(question: Question, verdict: Verdict, five: float | None = None) -> Verdict:
    """A take-home verdict with its score on the question's scale and its kind; bank verdicts
    as they are.

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
        update={
            "scale_min": scale.min,
            "scale_max": scale.max,
            "scaled_score": scaled,
            "question_kind": question_kind(question),
        }
    )


_RULES = OfflineGrader()
# "I" only as a capital and not in "i.e." (an answer key's "i.e." is not the author's own work).
_FIRST_PERSON = re.compile(r"\bI\b(?!\.e\.)|\b(?i:we|our|my|me)\b|\b[Uu]s\b")


class ReferenceGrader(Grader):
    """Offline grading of reference-only questions; deterministic, no network.

    An *answer-key* question is scored on agreement with its reference: the key points made
    (a contradicted point earns nothing and caps the answer at the middle of the scale) and the
    reference's words recalled, with no evidence cap. An *experience* question is scored by the
    evidence rules on the derived rubric, as the bank's questions are. With ``examples``
    (:class:`~agent.grading.examples.ExampleModel`), a question with graded examples of its own,
    or an answer-key question when the examples include some, is scored as the examples teach.
    """

    def __init__(self, examples: ExampleModel | None = None) -> None:
        self.examples = examples
        self._answer_key_examples = examples is not None and any(
            question_kind(examples.questions[q]) == "answer-key" for q in examples.by_question
        )
        version = VERSION if examples is None else f"{VERSION}+examples-{examples.digest[:12]}"
        self.info = GraderInfo(name="offline", version=version)

    async def grade(self, question: Question, answer: str) -> Verdict:
        return self.grade_now(question, answer)

    def grade_now(self, question: Question, answer: str) -> Verdict:
        """Grade synchronously."""
        graded = reference_question(question)
        answer = plain_text(answer)  # as every grader reads it (normalise.py)
        injected = injection_sentences(answer)
        kind = question_kind(question)  # of the question as given (``graded`` has a rubric)
        verdict, five = self._grade_clean(graded, kind, strip_injection(answer), injected)
        if injected:
            raw, raw_five = self._grade_clean(graded, kind, answer, injected)
            if raw_five < five:  # never above the verdict on the raw text
                verdict, five = raw.model_copy(update={"evidence": verdict.evidence}), raw_five
        return on_scale(question, verdict, five)

    def _learned(self, question: Question, kind: QuestionKind) -> bool:
        """Whether the examples score ``question``: its own, or, for an answer-key question,
        those of other answer-key questions."""
        if self.examples is None or not self.examples.enough:
            return False
        if len(self.examples.by_question.get(question.id, [])) >= MIN_OWN:
            return True
        return kind == "answer-key" and self._answer_key_examples

    def _grade_clean(
        self, question: Question, kind: QuestionKind, text: str, injected: list[str]
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
        found = extract(text)
        rules = _RULES.grade_found(question, found, injected)
        matches: list[PointMatch] = []
        evidence: list[Evidence] = []
        if kind == "experience":
            # The overall is the evidence rules' score on the derived rubric (keywords from the
            # reference): a strong candidate describes their own incident, not the reference's,
            # so key-point coverage alone measures experience answers badly (calibration split:
            # QWK 0.744 for the rules vs 0.027 for coverage; evals/reference_only.py). The
            # reference is one example of experience: its figures and points count for nothing.
            five = float(rules.score or 1)
            if found.unsupported:
                flags.append(
                    "unsupported precision: " + "; ".join(repr(s) for s in found.unsupported[:3])
                )
            flags += [f for f in rules.flags if f not in flags]
            explanation = list(rules.explanation)
            criteria = {c: rules.criteria.get(c, 1) for c in ids}
            claims = rules.claims
            for item in rules.evidence:
                if all(e.quote != item.quote for e in evidence):
                    evidence.append(item)
        else:
            matches = match_points(key_points(question.reference_answer or ""), text)
            coverage = sum(m.credit for m in matches) / len(matches) if matches else 0.0
            contradicted = [m for m in matches if m.contradiction]
            # Words of a contradicted point are not credit: the opposite in the right words.
            wrong = frozenset().union(*(m.point.terms.words for m in contradicted))
            recall = reference_recall(
                question.reference_answer or "", text, without=wrong, given=question.text
            )
            five = 1.0 + 4.0 * (0.5 * coverage + 0.5 * min(1.0, recall / FULL_RECALL))
            if contradicted:  # a wrong claim is not outweighed by right ones
                five = max(1.0, min(five, 3.0) - (len(contradicted) - 1))
            explanation = _explain(matches) + [
                f"scored on agreement with the reference ({recall:.0%} of its terms used); "
                "an answer-key question has no evidence cap and no tourist flag"
            ]
            concrete = 0.5 * found.measured + 0.25 * bool(found.of(EvidenceKind.METHOD))
            concrete += 0.25 * bool(
                found.of(EvidenceKind.ARTEFACT) or found.of(EvidenceKind.BEFORE_AFTER)
            )
            on_topic = min(1.0, coverage / 0.5)
            criteria = {
                "coverage": _level(coverage),
                "accuracy": max(1, 5 - 2 * len(contradicted)) if coverage >= 0.2 else 1,
                "evidence": max(rules.criteria.get("evidence", 1), _level(concrete * on_topic)),
            }
            if coverage < 0.1:
                flags.append("the answer makes none of the reference's key points")
            if contradicted:
                flags.append(f"contradicts {len(contradicted)} key point(s) of the reference")
            claims = []
            for m in matches:
                if m.credit >= 0.5 and m.sentence and all(e.quote != m.sentence for e in evidence):
                    note = f"makes the point: {m.point.text[:80]}"
                    evidence.append(_evidence(m.sentence, note=note))
        if self.examples is not None and self._learned(question, kind):
            predicted = self.examples.predict(question, text)
            low, high = _scale_of(question)
            five = 1.0 + 4.0 * (predicted.score - low) / (high - low)
            explanation.append(
                f"scored as {predicted.neighbours} graded examples of this question score "
                "answers like it"
                if predicted.neighbours
                else "scored as the graded examples of other questions use the scale"
            )
        verdict = Verdict(
            **common,
            score=int(five + 0.5),
            criteria=criteria,
            evidence=evidence[:8],
            missing=[c for c, s in criteria.items() if s <= 2],
            flags=flags,
            explanation=explanation,
            claims=claims,
            key_points=point_results(matches),
        )
        return verdict, five


#: The share of the reference's content words at which an answer counts as having used them all:
#: a correct short answer in the candidate's own words repeats about half of them (chosen on two
#: outside authors' answer-key sets and Beetle's training split, where 0.4-0.5 did best and 0.7,
#: the value before, held strong short answers near the bottom of the scale).
FULL_RECALL = 0.5


def reference_recall(
    reference: str, answer: str, without: frozenset[str] = frozenset(), given: str = ""
) -> float:
    """The share of the reference's content words (stemmed) that the answer uses. Words of the
    question ``given`` are left out when the reference has others ("question demoting": an
    answer that repeats the question shows nothing), and those in ``without`` count as not
    used."""
    want = terms(reference).words
    want = (want - terms(given).words) or want
    used = (want & terms(answer).words) - without
    return len(used) / len(want) if want else 0.0


def reference_alone_f1(model: ExampleModel) -> float:
    """Macro-F1 of "top of the scale" on the examples, graded from their references alone
    (what :meth:`~agent.grading.examples.ExampleModel.cross_validate` is compared with)."""
    grader = ReferenceGrader()
    gold, predicted = [], []
    for e in model.examples:
        question = model.questions[e.question_id]
        gold.append(e.level >= 1.0)
        predicted.append(
            grader.grade_now(question, e.answer).scaled_score == _scale_of(question)[1]
        )
    return macro_f1(gold, predicted)


def _scale_of(question: Question) -> tuple[int, int]:
    if isinstance(question, TakeHomeQuestion):
        return question.scale.min, question.scale.max
    return 1, 5


def _level(share: float) -> int:
    return int(1 + 4 * min(1.0, max(0.0, share)) + 0.5)


def _state(m: PointMatch) -> Literal["made", "partly made", "missing", "contradicted"]:
    if m.contradiction:
        return "contradicted"
    if m.credit >= 0.5:
        return "made"
    return "partly made" if m.credit > 0 else "missing"


def point_results(matches: list[PointMatch]) -> list[KeyPointResult]:
    """The key points as the verdict reports them."""
    return [
        KeyPointResult(
            point=m.point.text,
            state=_state(m),
            quote=m.sentence if _state(m) != "missing" else None,
            reason=m.contradiction,
        )
        for m in matches
    ]


def _explain(matches: list[PointMatch]) -> list[str]:
    made = sum(m.credit >= 0.5 for m in matches)
    lines = [f"makes {made} of {len(matches)} key points of the reference"]
    for i, m in enumerate(matches, 1):
        state = f"contradicted: {m.contradiction}" if m.contradiction else _state(m)
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
        examples: ExampleModel | None = None,
    ) -> None:
        super().__init__(model, samples=samples, cache=cache, max_retries=max_retries)
        self.graded = examples
        version = f"reference-judge-v{self.prompt.version}"
        if examples is not None:
            version += f"+examples-{examples.digest[:12]}"
        self.info = GraderInfo(name=self.model.spec, version=version)

    async def grade(self, question: Question, answer: str) -> Verdict:
        return on_scale(question, await super().grade(reference_question(question), answer))

    def system_prompt(self, question: Question) -> str:
        return self.prompt.render_system(
            question=question.text,
            reference=question.reference_answer or "",
            key_points=render_key_points(question),
            examples=self.render_examples(question),
            rubric=render_rubric(question),
        )

    def render_examples(self, question: Question, per_score: int = 2, chars: int = 600) -> str:
        """Up to ``per_score`` graded examples of each score given (the shortest), quoted as data.

        The same for every answer to the question, so the system prompt stays cacheable."""
        graded = self.graded.by_question.get(question.id, []) if self.graded else []
        if not graded:
            return "(none)"
        low, high = _scale_of(question)
        chosen = []
        for score in sorted({e.score for e in graded}, reverse=True):
            same = sorted((e for e in graded if e.score == score), key=lambda e: len(e.answer))
            chosen += same[:per_score]
        lines = []
        for e in chosen:  # other candidates' text: what addresses a grader goes first
            text = strip_injection(plain_text(e.answer))[:chars]
            lines.append(
                f"- score {e.score:g} on {low}-{high}: {json.dumps(text, ensure_ascii=False)}"
            )
        return "\n".join(lines)


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


def reference_grader_for(grader: Grader, examples: ExampleModel | None = None) -> Grader:
    """The reference-only counterpart of ``grader``: the same models and fallback order.

    Each LLM judge becomes a :class:`ReferenceJudge` on the same model, and the chain ends with
    the offline :class:`ReferenceGrader`. Calibration maps (fitted on rubric grading) and
    offline rubric models do not carry over. ``examples`` go to every grader of the chain (the
    judges see a question's graded examples in their prompt).
    """
    judges = [
        ReferenceJudge(
            j.model, samples=j.samples, cache=j.cache, max_retries=j.max_retries, examples=examples
        )
        for j in judges_in(grader)
    ]
    if not judges:
        return ReferenceGrader(examples)
    return FallbackGrader([*judges, ReferenceGrader(examples)])


class TakeHomeGrader(Grader):
    """Routes each question to its grader and reports take-home scores on the question's scale."""

    def __init__(
        self,
        grader: Grader,
        reference: Grader | None = None,
        examples: ExampleModel | None = None,
    ) -> None:
        self.rubric_grader = grader
        self.reference_grader = reference or reference_grader_for(grader, examples)
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
