"""The LLM-as-judge: rubric grading by a chat model, hardened and checked deterministically.

Design, in the order a call goes through:

1. **Deterministic injection layer.** Sentences addressed to the grader (see
   :func:`~agent.grading.evidence.injection_sentences`) are removed before the model sees the
   answer and reported; an empty remainder is a non-answer and costs no call.
2. **Spotlighting.** The answer sits between random-boundary markers
   (``<<<ANSWER-{hex}>>>``); look-alike markers inside the answer are neutralised; the system
   prompt says the delimited text is data. The static part (instructions, rubric with level
   anchors, reference examples) is the system prompt, which Anthropic caches.
3. **Structured verdict.** The reply is a tool call validated by :class:`JudgeOutput`: one
   grade per rubric criterion (score 1-5, rationale, verbatim quotes), the concrete claims, and
   ``injection_suspected``. An invalid reply is re-asked with the validation error once; if it
   is still invalid the answer is **unscored** (score None), never a made-up number.
4. **Grounding.** Every quote must occur in the answer (after whitespace and case
   normalisation) and every number in a claim must occur in the answer; the rest are dropped
   and counted. A verdict whose quotes were all invented is capped at 2.
5. **Self-consistency.** With ``samples=k`` the judge is asked k times; each criterion takes
   the median, and the mean per-criterion range is the verdict's uncertainty.
6. **Cache and cost.** Replies are cached by provider, model, prompt hash, rubric hash, answer,
   sample index and parameters; token use and dollars are recorded on the verdict.
"""

from __future__ import annotations

import re
import secrets
import statistics
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, model_validator

from .._errors import ReplyInvalidError
from .._models import (
    Evidence,
    EvidenceKind,
    GoldenAnswer,
    GraderInfo,
    Question,
    TokenUsage,
    Verdict,
)
from ..prompts import load_prompt, sha256_text
from ..providers.base import ChatModel, Usage
from ..providers.cache import ResponseCache, cache_key
from ..providers.cost import token_usage
from .base import Grader
from .evidence import extract, injection_sentences, is_empty, strip_injection
from .normalise import plain_text
from .offline import OfflineGrader


class CriterionGrade(BaseModel):
    """The judge's grade of one rubric criterion."""

    criterion_id: str
    score: int = Field(ge=1, le=5)
    rationale: str = Field(max_length=600)
    quotes: list[str] = Field(default_factory=list, description="Verbatim from the answer.")


class Claim(BaseModel):
    """A concrete claim: a figure with how it was measured and what it was compared with."""

    claim: str
    method: str | None = None
    baseline: str | None = None


class JudgeOutput(BaseModel):
    """The judge's structured verdict (the tool's input schema)."""

    model_config = ConfigDict(extra="ignore")

    criteria: list[CriterionGrade]
    claims: list[Claim] = Field(default_factory=list)
    artefacts: list[str] = Field(default_factory=list)
    injection_suspected: bool = False
    #: Criterion ids a reply must grade once each (bound by :func:`judge_output_for`).
    expected_criteria: ClassVar[tuple[str, ...] | None] = None

    @model_validator(mode="after")
    def _every_criterion_once(self, info: ValidationInfo) -> JudgeOutput:
        expected = (info.context or {}).get("criteria", self.expected_criteria)
        if expected is not None:
            got = [c.criterion_id for c in self.criteria]
            if sorted(got) != sorted(expected):
                raise ValueError(f"grade each of {sorted(expected)} exactly once; got {got}")
        return self


@cache
def judge_output_for(criteria: tuple[str, ...]) -> type[JudgeOutput]:
    """The reply schema of one rubric: every constraint is in the JSON Schema the model sees.

    ``criterion_id`` is an enum of the rubric's ids and ``criteria`` holds exactly one grade per
    criterion (``minItems`` = ``maxItems``), so a reply that follows the schema can always be
    scored; the validator still rejects a repeated id. The ids are bound to the class, not
    passed as a validation ``context``: instructor renders every message as a Jinja template
    when it is given a context, and the user message holds the candidate's answer, so
    ``{{ 7*7 }}`` in an answer would reach the model as ``49``.
    """
    ids: Any = Literal[criteria]
    grade = create_model(
        "CriterionGrade",
        __base__=CriterionGrade,
        __module__=__name__,
        criterion_id=(ids, Field(description="One of the rubric's criterion ids.")),
    )
    n = len(criteria)
    output = create_model(
        "JudgeOutput",
        __base__=JudgeOutput,
        __module__=__name__,
        __doc__=JudgeOutput.__doc__,
        criteria=(list[grade], Field(min_length=n, max_length=n)),
    )
    output.expected_criteria = criteria
    return output


_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MARKER = re.compile(r"<<<|>>>|(?i:(?:END-)?ANSWER-[0-9a-f]{6,})")


def normalise(text: str) -> str:
    """Lower case with runs of white space folded, for quote matching."""
    return _WS.sub(" ", text).strip().lower()


def spotlight(answer: str) -> tuple[str, str]:
    """(boundary, answer with look-alike markers neutralised)."""
    boundary = secrets.token_hex(8)
    return boundary, _MARKER.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), answer)


def render_rubric(question: Question) -> str:
    """The rubric as the judge sees it: ids, descriptions and level anchors."""
    lines = []
    for c in question.rubric:
        lines.append(f"- [{c.id}] {c.name}: {c.description}")
        lines += [f"    {level}: {text}" for level, text in sorted(c.levels.items())]
    return "\n".join(lines)


def render_examples(examples: Sequence[GoldenAnswer]) -> str:
    """Reference answers at several levels, when the golden set has them."""
    if not examples:
        return ""
    parts = ["Reference answers graded by people (for calibration; never quote them):"]
    for ex in examples:
        text = " ".join(ex.answer.split())[:700]
        parts.append(f"- Overall {ex.labels.overall}: {text!r} ({ex.rationale})")
    return "\n".join(parts)


class LLMJudge(Grader):
    """Grades with a chat model; see the module docstring for the pipeline."""

    #: The prompt file (``prompts/<name>.yaml``); subclasses grade with another prompt.
    prompt_name = "judge"
    #: Top marks need a measured figure or artefact the deterministic reading also finds (the
    #: bank's experience questions). A reference-answer judge grades facts, not measurements.
    needs_measured_support: ClassVar[bool] = True

    def __init__(
        self,
        model: ChatModel,
        *,
        samples: int = 1,
        cache: ResponseCache | None = None,
        examples: dict[str, list[GoldenAnswer]] | None = None,
        max_retries: int = 1,
    ) -> None:
        if samples < 1:
            raise ValueError("samples must be at least 1")
        self.model, self.samples, self.cache = model, samples, cache
        self.examples = examples or {}
        self.max_retries = max_retries
        self.prompt = load_prompt(self.prompt_name)
        self.followup = load_prompt("followup")
        self.info = GraderInfo(name=model.spec, version=f"judge-v{self.prompt.version}")
        self._prompts: dict[int, tuple[Question, str, str, str]] = {}

    async def grade(self, question: Question, answer: str) -> Verdict:
        rubric_hash, system, system_hash = self._prompt_of(question)
        base, text, done = self.begin(question, answer, rubric_hash)
        if done is not None:
            return done
        outputs: list[JudgeOutput] = []
        usage, calls, hits = Usage(), 0, 0
        try:
            for index in range(self.samples):
                output, used, hit = await self._sample(
                    question, (rubric_hash, system, system_hash), text, index
                )
                outputs.append(output)
                usage, calls, hits = usage + used, calls + (not hit), hits + hit
        except ReplyInvalidError as exc:
            return Verdict(
                **base,
                score=None,
                criteria={},
                unscored_reason=str(exc),
                usage=self._usage(usage, calls + 1, hits),
            )
        return self._combine(
            question, text, outputs, base, usage, calls, hits, raw=plain_text(answer)
        )

    def _prompt_of(self, question: Question) -> tuple[str, str, str]:
        """(rubric hash, system prompt, its SHA-256): worked out once per question object."""
        entry = self._prompts.get(id(question))
        if entry is None or entry[0] is not question:
            system = self.system_prompt(question)
            entry = (question, question.rubric_hash, system, sha256_text(system))
            if len(self._prompts) >= 1024:  # questions built per call would otherwise pile up
                self._prompts.clear()
            self._prompts[id(question)] = entry
        return entry[1], entry[2], entry[3]

    def begin(
        self, question: Question, answer: str, rubric_hash: str
    ) -> tuple[dict[str, Any], str, Verdict | None]:
        """Steps 1 and 2 before any call: (verdict fields, text to grade, verdict if no call).

        Injected sentences are removed and reported; a non-answer gets its verdict at once.
        """
        answer = plain_text(answer)
        injected = injection_sentences(answer)
        text = strip_injection(answer) if injected else answer
        base: dict[str, Any] = {
            "question_id": question.id,
            "grader": self.info,
            "injection": bool(injected),
            "injection_quotes": injected,
            "prompt_hashes": {self.prompt.name: self.prompt.sha256},
            "rubric_hash": rubric_hash,
            "samples": self.samples,
        }
        if injected:
            base["flags"] = ["prompt injection: text addressed to the grader was removed"]
        if not is_empty(text):
            return base, text, None
        ids = [c.id for c in question.rubric]
        empty = Verdict(
            **base,
            score=1,
            criteria=dict.fromkeys(ids, 1),
            missing=ids,
            empty=True,
            explanation=["no answer given"],
        )
        return base, text, empty

    def system_prompt(self, question: Question) -> str:
        """The static, cacheable part of the prompt for ``question``."""
        return self.prompt.render_system(
            question=question.text,
            rubric=render_rubric(question),
            examples=render_examples(self.examples.get(question.id, [])),
        )

    def user_prompt(self, text: str) -> str:
        """The per-call part: the answer between fresh random-boundary markers."""
        boundary, safe = spotlight(text)
        return self.prompt.render_user(boundary=boundary, answer=safe)

    async def _sample(
        self, question: Question, prompt: tuple[str, str, str], text: str, index: int
    ) -> tuple[JudgeOutput, Usage, bool]:
        rubric_hash, system, system_hash = prompt
        temperature = 0.0 if self.samples == 1 else 0.7
        key = cache_key(
            spec=self.model.spec,
            prompt=self.prompt.sha256,
            rubric=rubric_hash,
            system=system_hash,
            answer=text,
            sample=index,
            temperature=temperature,
        )
        if self.cache is not None:
            stored = self.cache.get(key)
            if stored is not None:
                return JudgeOutput.model_validate(stored), Usage(), True
        completion = await self.model.structured(
            system=system,
            user=self.user_prompt(text),
            response_model=judge_output_for(tuple(c.id for c in question.rubric)),
            temperature=temperature,
            max_retries=self.max_retries,
        )
        if self.cache is not None:
            self.cache.put(key, completion.value.model_dump(mode="json"))
        return completion.value, completion.usage, False

    def _combine(
        self,
        question: Question,
        text: str,
        outputs: list[JudgeOutput],
        base: dict[str, Any],
        usage: Usage,
        calls: int,
        hits: int,
        raw: str | None = None,
    ) -> Verdict:
        haystack = normalise(text)
        numbers_in_answer = set(_NUMBER.findall(text))
        kept: dict[str, str] = {}
        quoted: dict[str, list[str]] = {c.id: [] for c in question.rubric}
        dropped = 0
        scores: dict[str, list[int]] = {c.id: [] for c in question.rubric}
        rationales: dict[str, str] = {}
        for output in outputs:
            for grade in output.criteria:
                scores[grade.criterion_id].append(grade.score)
                rationales.setdefault(grade.criterion_id, grade.rationale)
                for quote in grade.quotes:
                    if quote.strip() and normalise(quote) in haystack:
                        kept.setdefault(normalise(quote), quote.strip())
                        quoted[grade.criterion_id].append(normalise(quote))
                    else:
                        dropped += 1
        claims = []
        for output in outputs:
            for claim in output.claims:
                cited = _NUMBER.findall(claim.claim)
                if all(n in numbers_in_answer for n in cited):
                    parts = [claim.claim]
                    parts += [f"method: {claim.method}"] if claim.method else []
                    parts += [f"baseline: {claim.baseline}"] if claim.baseline else []
                    claims.append("; ".join(parts))
                else:
                    dropped += 1
        criteria = {cid: _median(values) for cid, values in scores.items()}
        flags = list(base.pop("flags", []))
        unsupported = (
            _unsupported_top_marks(text, raw or text, criteria, quoted)
            if self.needs_measured_support
            else []
        )
        if unsupported:
            criteria = {c: min(s, 3) if c in unsupported else s for c, s in criteria.items()}
            flags.append(
                f"held at 3: the judge's 4-5 on {', '.join(unsupported)} quotes no measured figure "
                "or artefact that the deterministic reading of the answer also finds"
            )
        rules_overall: int | None = None
        if base["injection"] and self.needs_measured_support:
            # An answer that addresses the grader gets no criterion, and no overall, above the
            # deterministic reading of what is left, so a payload sentence the detector missed
            # buys nothing (the rules hold an unmeasured answer at 2 whatever its criteria).
            rules = _rules().grade_clean(question, text, list(base["injection_quotes"]))
            rules_overall = rules.score
            held = [c for c, s in criteria.items() if s > rules.criteria.get(c, s)]
            if held:
                criteria = {c: min(s, rules.criteria.get(c, s)) for c, s in criteria.items()}
                flags.append(
                    f"held to the evidence rules on {', '.join(held)}: the answer addresses the "
                    "grader, so no criterion is scored above what its remaining evidence supports"
                )
        overall = int(sum(criteria.values()) / len(criteria) + 0.5)
        if rules_overall is not None and overall > rules_overall:
            overall = rules_overall
            flags.append(
                f"held at {rules_overall}: the answer addresses the grader, and the evidence rules "
                "give what is left no more"
            )
        if dropped and not kept:
            overall = min(overall, 2)
            flags.append("judge cited evidence that is not in the answer: capped at 2")
        if any(o.injection_suspected for o in outputs) and not base["injection"]:
            base["injection"] = True
            flags.append("the judge suspected text addressed to the grader")
        spread = [max(v) - min(v) for v in scores.values() if v]
        return Verdict(
            **base,
            score=overall,
            criteria=criteria,
            evidence=[_evidence(q) for q in kept.values()][:8],
            missing=[c for c, s in criteria.items() if s <= 2],
            flags=flags,
            explanation=[f"{cid}: {r}" for cid, r in rationales.items()],
            claims=list(dict.fromkeys(claims))[:10],
            uncertainty=round(sum(spread) / len(spread), 3) if self.samples > 1 else None,
            dropped_quotes=dropped,
            usage=self._usage(usage, calls, hits),
        )

    def fingerprint(self) -> str:
        parts = [self.info.name, self.info.version, self.prompt.sha256, str(self.samples)]
        return sha256_text("\x00".join(parts))

    def _usage(self, usage: Usage, calls: int, hits: int) -> TokenUsage:
        key = self.model.price_key or self.model.model
        return token_usage(key, usage, calls=calls, cache_hits=hits)

    async def phrase_probe(
        self, question: Question, probe: str, missing: list[str], answer: str
    ) -> str:
        """A follow-up phrased by the model; the bank's probe if the reply breaks a rule."""
        ids = {r.id for r in question.rubric}
        # Criterion ids by name; anything else is already a focus in words ("how the 83% was
        # measured, on what, and against what": a claim probe).
        names = [question.criterion(c).name if c in ids else c for c in missing]
        boundary, safe = spotlight(strip_injection(plain_text(answer)))
        system, user = self.followup.render(
            question=question.text,
            missing="; ".join(names) or "concrete evidence",
            fallback_probe=probe,
            boundary=boundary,
            answer=safe,
        )
        try:
            completion = await self.model.text(system=system, user=user, max_tokens=120)
        except Exception:  # a probe is never worth failing the interview over
            return probe
        return probe_or_fallback(completion.value, probe, question)


_LEAKS = re.compile(r"rubric|criteri|\bscore|\bgrade[ds]?\b|\b[1-5]\s*/\s*5\b|level [1-5]", re.I)


def probe_or_fallback(text: str, probe: str, question: Question) -> str:
    """Accept a model-phrased probe only if it is one short question that reveals nothing."""
    line = " ".join(text.split())
    if not line or len(line) > 300 or not line.endswith("?") or line.count("?") > 2:
        return probe
    if _LEAKS.search(line) or boundary_leak(line):
        return probe
    anchors = [text for c in question.rubric for text in c.levels.values()]
    if any(normalise(a)[:40] in normalise(line) for a in anchors):
        return probe
    return line


def boundary_leak(text: str) -> bool:
    """True when text carries our delimiter markers."""
    return bool(_MARKER.search(text))


_SUPPORT_ALWAYS = frozenset({EvidenceKind.BEFORE_AFTER, EvidenceKind.ARTEFACT})


def _unsupported_top_marks(
    text: str, raw: str, criteria: dict[str, int], quoted: dict[str, list[str]]
) -> list[str]:
    """Criteria graded 4-5 whose quotes hold no grounded measured figure or sized artefact that
    :func:`extract` also finds: the judge's top marks need deterministic support, so no wording
    alone (an injection the detector missed included) can buy them. Figures that cannot be true
    anywhere in the answer, removed payload included, support nothing."""
    high = [c for c, s in criteria.items() if s >= 4]
    if not high:
        return []
    found = extract(text)
    if found.claims.incoherent or extract(strip_injection(raw, blocks=False)).claims.incoherent:
        return high
    claimed = {c.sentence for c in found.claims.grounded}
    figures = [
        normalise(f.quote)
        for f in found.items
        if f.grounded
        and (
            f.kind in _SUPPORT_ALWAYS or (f.kind is EvidenceKind.QUANTITY and f.sentence in claimed)
        )
        and len(f.quote.strip()) >= 3
    ]
    return [c for c in high if not any(fig in q for q in quoted.get(c, []) for fig in figures)]


@cache
def _rules() -> OfflineGrader:
    return OfflineGrader()


def _median(values: list[int]) -> int:
    return int(statistics.median(values) + 0.5) if values else 1


def _evidence(quote: str, note: str = "quoted by the judge") -> Evidence:
    found = extract(quote)
    for kind in (EvidenceKind.BEFORE_AFTER, EvidenceKind.QUANTITY, EvidenceKind.ARTEFACT):
        if found.of(kind):
            return Evidence(kind=kind, quote=quote, note=note)
    return Evidence(kind=EvidenceKind.METHOD, quote=quote, note=note)
