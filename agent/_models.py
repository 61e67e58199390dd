"""Typed data of the screener: questions and rubrics, goldens, verdicts and reports.

Files on disk (the question bank, goldens) are validated by these models with
``extra="forbid"``, so a misspelt field is an error rather than silently ignored.
"""

from __future__ import annotations

import functools
import hashlib
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._constants import Track

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=2, max_length=64)]
Score = Annotated[int, Field(ge=1, le=5)]


COMPETENCIES: dict[str, tuple[str, ...]] = {
    "ai-engineer": (
        "evals",
        "retrieval-and-grounding",
        "agents-and-tools",
        "production-cost-latency",
        "guardrails-and-injection",
    ),
    "ml-engineer": (
        "data-and-features",
        "training-and-validation",
        "deployment-and-drift",
        "serving-and-latency",
    ),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvidenceKind(StrEnum):
    """Kinds of concrete evidence the graders look for in an answer."""

    ARTEFACT = "artefact"  # something the candidate built: an eval set of N cases, a CI gate
    QUANTITY = "quantity"  # a number with a unit or a percentage, tied to a method or baseline
    BEFORE_AFTER = "before_after"  # a measured change: from X to Y
    METHOD = "method"  # how something was measured or diagnosed
    BASELINE = "baseline"  # what a figure was compared against
    OWNERSHIP = "ownership"  # first-person account of work done


class Criterion(_Strict):
    """One rubric criterion with behaviourally anchored descriptions for levels 1-5."""

    id: Slug
    name: str = Field(min_length=3)
    description: str = Field(min_length=10)
    evidence: list[EvidenceKind] = Field(
        min_length=1, description="Kinds of evidence that support this criterion."
    )
    keywords: list[str] = Field(
        min_length=3,
        description="Domain terms that show an answer addresses this criterion (lower case).",
    )
    levels: dict[Literal[1, 2, 3, 4, 5], str] = Field(
        description="Anchored description of each level, 1 (weakest) to 5 (strongest)."
    )

    @field_validator("levels")
    @classmethod
    def _all_levels(cls, levels: dict[int, str]) -> dict[int, str]:
        missing = sorted({1, 2, 3, 4, 5} - set(levels))
        if missing:
            raise ValueError(f"levels must describe 1, 2, 3, 4 and 5; missing {missing}")
        if any(len(text.strip()) < 10 for text in levels.values()):
            raise ValueError("every level needs a description of at least 10 characters")
        return levels

    @field_validator("keywords")
    @classmethod
    def _lower_keywords(cls, keywords: list[str]) -> list[str]:
        if any(k != k.lower() or not k.strip() for k in keywords):
            raise ValueError("keywords must be non-empty and lower case")
        return keywords


class Probe(_Strict):
    """A follow-up question asked when the criteria it probes lack evidence."""

    text: str = Field(min_length=10)
    criteria: list[Slug] = Field(min_length=1, description="Ids of the rubric criteria it probes.")


class Question(_Strict):
    """A screening question with its follow-up probes and its rubric."""

    id: Slug
    track: Track
    competency: Slug
    text: str = Field(min_length=10)
    probes: list[Probe] = Field(min_length=1, max_length=3)
    rubric: list[Criterion] = Field(min_length=3, max_length=5)
    reference_answer: str | None = Field(
        default=None, description="A strong answer, never shown to the candidate."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        allowed = COMPETENCIES[self.track]
        if self.competency not in allowed:
            raise ValueError(
                f"competency {self.competency!r} is not one of the {self.track} "
                f"competencies: {', '.join(allowed)}"
            )
        ids = [c.id for c in self.rubric]
        if len(set(ids)) != len(ids):
            raise ValueError("rubric criterion ids must be unique")
        for probe in self.probes:
            unknown = [c for c in probe.criteria if c not in ids]
            if unknown:
                raise ValueError(f"probe refers to unknown criteria {unknown}; rubric has {ids}")
        return self

    @functools.cached_property
    def rubric_hash(self) -> str:
        """SHA-256 of the question with its rubric, recorded on every verdict (the model is
        frozen, so it is worked out once)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    @functools.cached_property
    def vocabulary(self) -> tuple[str, ...]:
        """Every rubric keyword, once, sorted."""
        return tuple(sorted({k for c in self.rubric for k in c.keywords}))

    def criterion(self, criterion_id: str) -> Criterion:
        """The rubric criterion with this id."""
        for criterion in self.rubric:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)


class QuestionFile(_Strict):
    """A YAML file of the question bank: ``questions: [...]``."""

    questions: list[Question] = Field(min_length=1)


class Scale(_Strict):
    """The range a take-home question is scored on; bank questions are always 1-5."""

    min: int = 1
    max: int = 5

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        return self

    def from_five(self, score: float) -> int:
        """A 1-5 score (fractions allowed) placed linearly on this scale, rounded half up."""
        position = (min(5.0, max(1.0, score)) - 1.0) / 4.0
        return int(self.min + position * (self.max - self.min) + 0.5)


DEFAULT_SCALE = Scale()


QuestionKind = Literal["experience", "answer-key"]


class TakeHomeQuestion(Question):
    """A take-home question from a ``--questions`` file, graded like a bank question.

    It has a rubric as in the bank (3-5 criteria) or only a ``reference_answer``, and an optional
    ``scale`` (default 1-5) that its scores are reported on. ``track`` and ``probes`` are not used;
    ``competency`` is free text (default ``take-home``) and groups scores in candidate summaries.
    """

    track: Track = "ai-engineer"
    competency: Slug = "take-home"
    probes: list[Probe] = Field(default_factory=list, max_length=3)
    rubric: list[Criterion] = Field(default_factory=list, max_length=5)
    scale: Scale = Field(default_factory=lambda: DEFAULT_SCALE)
    kind: QuestionKind | None = Field(
        default=None,
        description="experience (about the candidate's own work: evidence rules, tourist flag) "
        "or answer-key (a technical question with a correct answer: agreement with the "
        "reference); detected when absent.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> TakeHomeQuestion:  # replaces Question's track/competency check
        if not self.rubric and not (self.reference_answer or "").strip():
            raise ValueError("give a rubric (3-5 criteria, as in the bank) or a reference_answer")
        if self.rubric and len(self.rubric) < 3:
            raise ValueError("a rubric needs 3-5 criteria")
        ids = [c.id for c in self.rubric]
        if len(set(ids)) != len(ids):
            raise ValueError("rubric criterion ids must be unique")
        return self

    @property
    def reference_only(self) -> bool:
        """True when the question has no rubric and is graded against its reference answer."""
        return not self.rubric


class TakeHomeFile(_Strict):
    """A ``--questions`` YAML file: ``questions: [...]`` of take-home questions."""

    questions: list[TakeHomeQuestion] = Field(min_length=1)


# --- goldens ---------------------------------------------------------------------------------

Split = Literal["calibration", "test"]

AnswerStyle = Literal[
    "concrete-long",
    "concrete-terse",
    "buzzword-essay",
    "fabricated-precision",
    "honest-beginner",
    "off-topic",
    "non-native-concrete",
    "empty",
    "injection",
    "partial",
    "team-level",
    "textbook",
    "restated-question",
]


class GoldenLabels(_Strict):
    overall: Score
    criteria: dict[Slug, Score]


class GoldenAnswer(_Strict):
    """A candidate answer labelled by a person following golden/LABELLING.md."""

    id: Slug
    question_id: Slug
    style: AnswerStyle
    answer: str
    labels: GoldenLabels
    rationale: str = Field(min_length=10)
    split: Split
    author: Slug = Field(
        default="team",
        description="Who wrote and labelled the answer; a whole author belongs to one split.",
    )
    twin_of: Slug | None = Field(
        default=None, description="For an injection attempt: the id of its clean twin."
    )


class GoldenAnswerFile(_Strict):
    answers: list[GoldenAnswer] = Field(min_length=1)


class GoldenSession(_Strict):
    """A whole candidate session (answers by golden id) labelled tourist or not."""

    id: Slug
    answers: list[Slug] = Field(min_length=1, max_length=6)
    tourist: bool
    rationale: str = Field(min_length=10)
    split: Split
    author: Slug = "team"


class GoldenSessionFile(_Strict):
    sessions: list[GoldenSession] = Field(min_length=1)


# --- grading results -------------------------------------------------------------------------


class Evidence(_Strict):
    """A piece of concrete evidence quoted verbatim from the answer."""

    kind: EvidenceKind
    quote: str
    note: str = ""


class GraderInfo(_Strict):
    name: str
    version: str


class TokenUsage(_Strict):
    """Tokens and cost of the model calls behind a verdict."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = Field(default=None, description="None when the price is unknown.")
    calls: int = 0
    cache_hits: int = 0


class KeyPointResult(_Strict):
    """How an answer fares on one key point of a reference answer."""

    point: str
    state: Literal["made", "partly made", "missing", "contradicted"]
    quote: str | None = Field(default=None, description="The answer's best-matching sentence.")
    reason: str | None = Field(default=None, description="What contradicts the point.")


class ClaimCheck(_Strict):
    """A figure the candidate gave, the follow-up that asked about it, and what the reply added."""

    claim: str = Field(
        description="The sentence that carries the figure, as the candidate wrote it."
    )
    figure: str = Field(description='The figure asked about, as written ("83%").')
    probe: str = Field(description="The follow-up asked about it.")
    outcome: Literal["supported", "weakened"]
    reasons: list[str] = Field(
        default_factory=list, description="What the reply added or changed, in plain words."
    )


class ClaimToVerify(_Strict):
    """A claim a human interviewer should check in the next round, with the question to ask."""

    question_id: str
    claim: str
    why: str
    ask: str


class Verdict(_Strict):
    """The grade of one answer (main answer plus any follow-up answers) to one question."""

    question_id: str
    score: Score | None = Field(description="Overall 1-5; None when the answer is unscored.")
    criteria: dict[str, Score]
    evidence: list[Evidence] = Field(default_factory=list)
    missing: list[str] = Field(
        default_factory=list, description="Criterion ids with too little evidence."
    )
    injection: bool = False
    injection_quotes: list[str] = Field(default_factory=list)
    flags: list[str] = Field(
        default_factory=list,
        description="Warnings such as unsupported claims or buzzword padding, in plain words.",
    )
    explanation: list[str] = Field(default_factory=list)
    empty: bool = False
    grader: GraderInfo
    unscored_reason: str | None = Field(
        default=None, description="Why the answer is unscored (score is None), e.g. bad replies."
    )
    unbacked_figures: int = Field(
        default=0,
        description="Figures the answer states with no method or baseline (offline graders).",
    )
    claims: list[str] = Field(
        default_factory=list, description="Concrete claims the judge found, with method/baseline."
    )
    degraded: bool = Field(default=False, description="A fallback grader produced this verdict.")
    fallback_from: list[str] = Field(
        default_factory=list, description="Graders that failed before this one."
    )
    samples: int = 1
    uncertainty: float | None = Field(
        default=None, description="Mean per-criterion range (max - min) across samples."
    )
    dropped_quotes: int = Field(default=0, description="Judge quotes not found in the answer.")
    prompt_hashes: dict[str, str] = Field(default_factory=dict)
    rubric_hash: str | None = None
    usage: TokenUsage | None = None
    scale_min: int | None = Field(
        default=None, description="Bottom of a take-home question's scale (None: the 1-5 scale)."
    )
    scale_max: int | None = Field(default=None, description="Top of a take-home question's scale.")
    scaled_score: int | None = Field(
        default=None, description="The score on the question's scale (take-home questions only)."
    )
    question_kind: QuestionKind | None = Field(
        default=None, description="How a take-home question was graded: experience or answer-key."
    )
    key_points: list[KeyPointResult] = Field(
        default_factory=list,
        description="A reference-only question's key points: made, partly made, missing or "
        "contradicted, with the answer's sentence that matches best.",
    )
    calibrated: bool = Field(
        default=False, description="The overall score went through a calibration map."
    )
    raw_score: float | None = Field(
        default=None, description="The score before calibration (mean of criterion scores)."
    )
    confidence: float | None = Field(
        default=None, description="The trained grader's probability of its overall level."
    )
    level_probabilities: list[float] = Field(
        default_factory=list, description="The trained grader's P(level = 1..5)."
    )
    escalated: bool = Field(default=False, description="The cascade sent this answer to an LLM.")
    claim_checks: list[ClaimCheck] = Field(
        default_factory=list,
        description="Figures the interviewer asked about, and whether the reply backed them.",
    )

    @property
    def quotes(self) -> list[str]:
        """The evidence as quoted strings."""
        return [e.quote for e in self.evidence]


class TouristFlag(_Strict):
    flagged: bool
    reasons: list[str]
    quotes: list[str] = Field(default_factory=list)
    applicable: bool = Field(
        default=True,
        description="False when the flag cannot be judged: no answer was about the "
        "candidate's own work (answer-key take-home questions only), or the interview ended "
        "early with too few answers. The reasons say which.",
    )


class Turn(_Strict):
    """One exchange of an interview transcript."""

    question_id: str
    kind: Literal["question", "probe"]
    prompt: str
    answer: str


class QuestionResult(_Strict):
    question_id: str
    competency: str
    text: str
    verdict: Verdict
    followups: list[str]


class Report(_Strict):
    """What the hiring manager reads at the end of a session. The human decides."""

    session_id: str
    track: str
    status: Literal["complete", "ended-early"]
    overall: float | None
    competencies: dict[str, float]
    questions: list[QuestionResult]
    tourist: TouristFlag
    injection_attempts: list[str]
    recommendation: str
    transcript: list[Turn]
    grader: GraderInfo
    unscored: list[str] = Field(default_factory=list, description="Question ids left unscored.")
    planned: int | None = Field(
        default=None,
        description="Questions the session meant to ask (more than answered when it ended early).",
    )
    degraded: bool = Field(default=False, description="A fallback grader graded some answer.")
    usage: TokenUsage = Field(default_factory=TokenUsage)
    to_verify: list[ClaimToVerify] = Field(
        default_factory=list,
        description="Up to three claims to check in the next round, each with the question to ask.",
    )
