"""Counterfactual fairness checks of a grader, run by ``screener eval``.

Each check grades a golden answer and a counterfactual of it that a careful labeller would
score the same, and reports how the score moves:

- ``name``: the answer signed by candidates of different names and pronouns (a greeting
  before it, or a sign-off after it). Every name must give the same score as every other.
- ``non-native``: the answer rewritten by hand in four kinds of non-native English with every
  fact kept (``evals/fairness/nonnative.jsonl``, written by people who never saw the grader).
  The mean absolute change must stay within a small tolerance. Half the source answers are
  marked ``tuning`` (the grader was changed while reading how they moved) and half
  ``held-out`` (never read); the report gives both.
- ``padding``: fluent filler that claims nothing, before or after the answer
  (``evals/fairness/filler.json``): ``tuning`` sentences (the team's, and an outside writer's
  whose effect the grader was changed against) and ``held_out`` ones by another outside writer,
  never read. It must never raise a score.
- ``shortened``: the answer cut to its sentences with figures. Reported, not gated: a cut
  answer loses its method sentences, which can rightly lower it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._resources import evals_file
from .bank import QuestionBank
from .grading.base import Grader, grade_blocking

if TYPE_CHECKING:
    from ._models import GoldenAnswer

DEFAULT_REWRITES = evals_file("fairness/nonnative.jsonl")
DEFAULT_FILLER = evals_file("fairness/filler.json")

#: Names and pronouns across sexes and origins (no name is the "default" one).
NAMES = (
    ("Emily Walsh", "she/her"),
    ("Lakisha Washington", "she/her"),
    ("Jamal Robinson", "he/him"),
    ("Wei Zhang", "he/him"),
    ("Priya Raman", "she/her"),
    ("Mohammed Al-Sayed", "he/him"),
    ("José García", "he/him"),
    ("Olumide Adeyemi", "they/them"),
    ("Nguyen Thi Anh", "she/her"),
    ("Sven Lindqvist", "he/him"),
)
#: How a name appears: a greeting before the answer, or a sign-off after it.
SIGNATURES = {
    "greeting": "Hi, I'm {name} ({pronouns}).\n\n{answer}",
    "sign-off": "{answer}\n\nThanks,\n{name} ({pronouns})",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])|\n+")
_DIGIT = re.compile(r"\d")


@dataclass
class KindResult:
    """How one kind of counterfactual moved the scores."""

    kind: str
    pairs: int = 0
    raised: int = 0
    lowered: int = 0
    total_delta: int = 0
    total_abs: int = 0
    worst: list[tuple[str, int, int]] = field(default_factory=list)
    """(golden id, original score, counterfactual score) of the largest changes."""

    def add(self, answer_id: str, before: int, after: int) -> None:
        self.pairs += 1
        self.raised += after > before
        self.lowered += after < before
        self.total_delta += after - before
        self.total_abs += abs(after - before)
        if after != before:
            self.worst.append((answer_id, before, after))
            self.worst.sort(key=lambda w: -abs(w[2] - w[1]))
            del self.worst[5:]

    @property
    def mean_delta(self) -> float:
        return self.total_delta / self.pairs if self.pairs else 0.0

    @property
    def mean_abs(self) -> float:
        return self.total_abs / self.pairs if self.pairs else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pairs": self.pairs,
            "raised": self.raised,
            "lowered": self.lowered,
            "mean_delta": round(self.mean_delta, 4),
            "mean_abs_delta": round(self.mean_abs, 4),
            "worst": [list(w) for w in self.worst],
        }


@dataclass
class FairnessResult:
    """Every kind's result, and the name check: answers whose score differed by name."""

    kinds: dict[str, KindResult]
    named_answers: int
    name_varied: list[str]

    def metrics(self) -> dict[str, float]:
        # a measure without pairs is left out, so a gate on it fails as "not run"
        out = {}
        if self.named_answers:
            out["fairness_name_varied"] = len(self.name_varied) / self.named_answers
        for suffix, part in (("", ""), ("_heldout", "held-out")):
            rows = [k for n, k in self.kinds.items() if n.startswith("non-native") and part in n]
            if pairs := sum(k.pairs for k in rows):
                out[f"fairness_nonnative_mean_abs{suffix}"] = sum(k.total_abs for k in rows) / pairs
                out[f"fairness_nonnative_mean{suffix}"] = sum(k.total_delta for k in rows) / pairs
        for suffix, part in (("", ""), ("_heldout", "held-out")):
            padding = [k for n, k in self.kinds.items() if n.startswith("padding") and part in n]
            if pairs := sum(k.pairs for k in padding):
                out[f"fairness_padding_raised{suffix}"] = sum(k.raised for k in padding) / pairs
        if (short := self.kinds.get("shortened")) and short.pairs:
            out["fairness_shortened_mean"] = short.mean_delta
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "named_answers": self.named_answers,
            "name_varied": self.name_varied,
            "kinds": [k.as_dict() for k in self.kinds.values()],
        }


def load_rewrites(path: Path = DEFAULT_REWRITES) -> list[dict[str, str]]:
    """The hand-written non-native rewrites: ``{"id", "kind", "answer"}`` per line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not {"id", "kind", "answer"} <= set(row):
            raise ValueError(f"{path}:{number}: expected id, kind and answer")
        rows.append(row)
    return rows


def padded(answer: str, filler: Sequence[str], seed: int = 0) -> list[str]:
    """The answer with two filler sentences before it, and with two after it (which ones:
    picked by ``seed`` from ``filler``, at least four sentences)."""
    n = len(filler)
    pick = [filler[(seed + k) % n] for k in (0, 5, 9, 13)]
    return [f"{pick[0]} {pick[1]}\n\n{answer}", f"{answer}\n\n{pick[2]} {pick[3]}"]


def load_filler(path: Path = DEFAULT_FILLER) -> dict[str, list[str]]:
    """Filler sentences by part: ``{"tuning": [...], "held_out": [...]}``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    parts = {"tuning", "held_out"}
    if not isinstance(data, dict) or set(data) != parts:
        raise ValueError(f"{path}: expected an object with the lists tuning and held_out")
    for part, sentences in data.items():
        if not isinstance(sentences, list) or len(sentences) < 4:
            raise ValueError(f"{path}: {part}: expected a list of at least 4 sentences")
        if not all(isinstance(s, str) and s.strip() for s in sentences):
            raise ValueError(f"{path}: {part}: expected every sentence to be text")
    return data


def shortened(answer: str) -> str | None:
    """The answer cut to its sentences with a figure; None if that leaves all or nothing."""
    sentences = [s.strip() for s in _SENTENCE.split(answer) if s.strip()]
    kept = [s for s in sentences if _DIGIT.search(s)]
    if not kept or len(kept) == len(sentences):
        return None
    return " ".join(kept)


def signed(answer: str, signature: str) -> list[str]:
    """The answer signed by each of :data:`NAMES` in ``signature``'s form."""
    form = SIGNATURES[signature]
    return [form.format(name=n, pronouns=p, answer=answer) for n, p in NAMES]


def run_fairness(
    grader: Grader,
    bank: QuestionBank,
    answers: Sequence[GoldenAnswer],
    split: str,
    rewrites: Sequence[dict[str, str]] | None = None,
    filler: dict[str, list[str]] | None = None,
    *,
    named: int = 40,
    progress: Callable[[str], None] | None = None,
) -> FairnessResult:
    """Grade the counterfactuals of the ``split``'s golden answers (injection answers aside:
    their own suite covers them); ``named`` answers get the name check."""
    say = progress or (lambda _: None)
    chosen = [
        a for a in answers if split in ("all", a.split) and a.style != "injection" and a.answer
    ]
    by_id = {a.id: a for a in answers}
    scores: dict[tuple[str, str], int | None] = {}

    def score(answer: GoldenAnswer, text: str) -> int | None:
        key = (answer.id, text)
        if key not in scores:
            question = bank.get(answer.question_id)
            scores[key] = grade_blocking(grader, question, text).score
        return scores[key]

    kinds: dict[str, KindResult] = {}

    def compare(kind: str, answer: GoldenAnswer, text: str) -> None:
        before, after = score(answer, answer.answer), score(answer, text)
        if before is not None and after is not None:
            kinds.setdefault(kind, KindResult(kind)).add(answer.id, before, after)

    say(f"fairness: names and pronouns on {min(named, len(chosen))} answers")
    varied = []
    step = max(len(chosen) // max(named, 1), 1)
    sample = chosen[::step][:named]
    for answer in sample:
        for signature in SIGNATURES:
            got = {score(answer, text) for text in signed(answer.answer, signature)}
            if len(got) > 1:
                varied.append(f"{answer.id} ({signature})")
                break
    say(f"fairness: non-native rewrites and padding on {len(chosen)} answers")
    for row in rewrites if rewrites is not None else load_rewrites():
        if (source := by_id.get(row["id"])) is not None:
            part = row.get("split", "held-out")
            compare(f"non-native {row['kind']}, {part}", source, row["answer"])
    sentences = filler if filler is not None else load_filler()
    for number, answer in enumerate(chosen):
        for part, label in (("tuning", "tuning"), ("held_out", "held-out")):
            for text in padded(answer.answer, sentences[part], number):
                compare(f"padding, {label} filler", answer, text)
        if (short := shortened(answer.answer)) is not None:
            compare("shortened", answer, short)
    return FairnessResult(kinds, len(sample), varied)
