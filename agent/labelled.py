"""Measuring a grader on anyone's labelled answers: ``screener eval FOLDER...``.

A labelled set is a folder holding

- ``answers.jsonl``: one ``{"candidate_id", "question_id", "answer"}`` object per line (or
  ``answers.csv`` with those columns), read like any answers file (:mod:`.batch.inputs`);
- ``labels.json``: per candidate ``{"tourist": bool, "borderline": bool, "injection": bool,
  "scores": {question_id: 1-5}}`` (``borderline`` and ``injection`` may be left out, and
  ``tourist`` may be ``null``: not called, as in a manager's export of reviewed answers);
- optionally ``injection_twins.jsonl``: each injected answer with its payload removed, same
  candidate and question, so an injection that raised a score shows as a pair;
- optionally ``criteria_labels.json``: ``{"candidate/question": {"criteria": {id: 1-5}}}``.

The answers are graded with the batch runner (resumable when ``work_dir`` is kept) and compared
with the labels: QWK with a percentile bootstrap interval that resamples *candidates* (a
candidate's answers share an author's habits, so they are not independent draws), exact and
within-one agreement, tourist precision and recall on the candidates not labelled borderline,
and injected answers scored above their clean twin.
"""

from __future__ import annotations

import difflib
import json
import random
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import BankError, UserError
from .bank import QuestionBank
from .batch.inputs import AnswerFileError
from .batch.report import Candidate, load_candidates
from .batch.runner import BatchOptions, grade_file
from .evaluation import quadratic_weighted_kappa
from .grading.base import Grader, grade_blocking

Level = Annotated[int, Field(ge=1, le=5)]


class CandidateLabels(BaseModel):
    """A labeller's verdicts on one candidate."""

    model_config = ConfigDict(extra="ignore")

    tourist: bool | None
    borderline: bool = False
    injection: bool = False
    scores: dict[str, Level]


class _CriteriaLabel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    criteria: dict[str, Level]


@dataclass
class Pair:
    """One labelled answer and the grader's score of it."""

    candidate_id: str
    question_id: str
    human: int
    model: int


@dataclass
class SetFigures:
    """How a grader agrees with the labels of one set (or several pooled)."""

    name: str
    pairs: list[Pair]
    unscored: list[str] = field(default_factory=list)  # "candidate/question" graded without score
    not_graded: list[str] = field(default_factory=list)  # labelled, but no answer row graded
    unlabelled: list[str] = field(default_factory=list)  # graded, but no label
    bad_rows: list[str] = field(default_factory=list)
    #: (candidate id, labelled tourist, flagged) for candidates not labelled borderline.
    tourists: list[tuple[str, bool, bool]] = field(default_factory=list)
    #: (candidate/question, injected score, twin score, injection flagged)
    twins: list[tuple[str, int | None, int | None, bool]] = field(default_factory=list)
    criteria: list[tuple[int, int]] = field(default_factory=list)
    #: candidate/question of injected answers the obeying stand-in judge scored above their twin
    judge_above_twin: list[str] = field(default_factory=list)
    qwk_interval: tuple[float, float] = (0.0, 0.0)

    @property
    def qwk(self) -> float:
        return _qwk(self.pairs)

    @property
    def exact(self) -> float:
        return _share(self.pairs, 0)

    @property
    def within_one(self) -> float:
        return _share(self.pairs, 1)

    @property
    def criteria_qwk(self) -> float | None:
        if not self.criteria:
            return None
        return quadratic_weighted_kappa(
            [h for h, _ in self.criteria], [m for _, m in self.criteria]
        )

    @property
    def tourist_right(self) -> int:
        return sum(label == flag for _, label, flag in self.tourists)

    @property
    def tourist_precision(self) -> float | None:
        flagged = [label for _, label, flag in self.tourists if flag]
        return sum(flagged) / len(flagged) if flagged else None

    @property
    def tourist_recall(self) -> float | None:
        flags = [flag for _, label, flag in self.tourists if label]
        return sum(flags) / len(flags) if flags else None

    @property
    def tourist_wrong(self) -> list[str]:
        return [
            f"{cid} ({'missed' if label else 'false flag'})"
            for cid, label, flag in self.tourists
            if label != flag
        ]

    @property
    def above_twin(self) -> list[str]:
        return [key for key, hit, clean, _ in self.twins if (hit or 0) > (clean or 0)]

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-able values."""
        return {
            "set": self.name,
            "answers": len(self.pairs),
            "qwk": self.qwk,
            "qwk_interval": list(self.qwk_interval),
            "exact": self.exact,
            "within_one": self.within_one,
            "criteria_qwk": self.criteria_qwk,
            "tourists_judged": len(self.tourists),
            "tourists_right": self.tourist_right,
            "tourist_precision": self.tourist_precision,
            "tourist_recall": self.tourist_recall,
            "tourist_wrong": self.tourist_wrong,
            "injection_pairs": len(self.twins),
            "injected_above_twin": self.above_twin,
            "injection_flagged": sum(flag for *_, flag in self.twins),
            "stand_in_judge_above_twin": self.judge_above_twin,
            "unscored": self.unscored,
            "not_graded": self.not_graded,
            "unlabelled": self.unlabelled,
            "bad_rows": self.bad_rows,
        }


def _qwk(pairs: Sequence[Pair]) -> float:
    if not pairs:
        return 0.0
    return quadratic_weighted_kappa([p.human for p in pairs], [p.model for p in pairs])


def _share(pairs: Sequence[Pair], within: int) -> float:
    return sum(abs(p.human - p.model) <= within for p in pairs) / len(pairs) if pairs else 0.0


def bootstrap_qwk(
    pairs: Sequence[Pair], *, samples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile interval of QWK, resampling whole candidates with replacement."""
    by_candidate: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_candidate.setdefault(pair.candidate_id, []).append(pair)
    groups = list(by_candidate.values())
    if len(groups) < 2:
        value = _qwk(pairs)
        return value, value
    rng = random.Random(seed)
    draws = []
    for _ in range(samples):
        drawn = [p for _ in groups for p in groups[rng.randrange(len(groups))]]
        if len({p.human for p in drawn}) > 1:  # kappa is undefined on one label
            draws.append(_qwk(drawn))
    if not draws:
        value = _qwk(pairs)
        return value, value
    draws.sort()
    tail = (1 - confidence) / 2
    return draws[int(tail * (len(draws) - 1))], draws[int((1 - tail) * (len(draws) - 1))]


def _json_file(path: Path) -> tuple[Any, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BankError(path, None, "", exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        raise BankError(path, None, "", f"not UTF-8 text ({exc.reason})") from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise BankError(path, exc.lineno, "", f"invalid JSON: {exc.msg}") from None


def _line_of(text: str, key: str) -> int | None:
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def load_labels(path: Path, bank: QuestionBank) -> dict[str, CandidateLabels]:
    """``labels.json``: one :class:`CandidateLabels` per candidate; errors name line and field."""
    data, text = _json_file(path)
    if not isinstance(data, dict):
        raise BankError(path, 1, "", "expected an object of candidate id -> labels")
    labels: dict[str, CandidateLabels] = {}
    for candidate_id, raw in data.items():
        try:
            labels[candidate_id] = CandidateLabels.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in (candidate_id, *error["loc"]))
            raise BankError(path, _line_of(text, candidate_id), where, error["msg"]) from None
        for question_id in labels[candidate_id].scores:
            if question_id not in bank:
                raise BankError(
                    path,
                    _line_of(text, candidate_id),
                    f"{candidate_id}.scores.{question_id}",
                    "unknown question (see `screener questions`)",
                )
    return labels


def load_criteria_labels(path: Path) -> dict[str, dict[str, int]]:
    """``criteria_labels.json``: ``candidate/question`` -> criterion -> 1-5."""
    data, text = _json_file(path)
    if not isinstance(data, dict):
        raise BankError(path, 1, "", "expected an object of 'candidate/question' -> labels")
    out: dict[str, dict[str, int]] = {}
    for key, raw in data.items():
        try:
            out[key] = _CriteriaLabel.model_validate(raw).criteria
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in (key, *error["loc"]))
            raise BankError(path, _line_of(text, key), where, error["msg"]) from None
    return out


def labelled_answers(folder: Path, bank: QuestionBank) -> list[tuple[str, str, str, int]]:
    """(candidate id, question id, answer, labelled overall) for every answer of a labelled-set
    folder that has a label; a bad row or label raises its one-line error."""
    from .batch.inputs import read_answers

    labels = load_labels(folder / "labels.json", bank)
    out = []
    for row in read_answers(_answers_file(folder), bank):
        if isinstance(row, AnswerFileError):
            raise row
        candidate = labels.get(row.candidate_id)
        if candidate is not None and row.question_id in candidate.scores:
            out.append(
                (row.candidate_id, row.question_id, row.answer, candidate.scores[row.question_id])
            )
    if not out:
        raise UserError(f"{folder}: no answer has a label in labels.json")
    return out


def _answers_file(folder: Path) -> Path:
    for name in ("answers.jsonl", "answers.csv"):
        if (folder / name).is_file():
            return folder / name
    raise UserError(f"{folder}: no answers.jsonl or answers.csv; expected a labelled-set folder")


def _graded(
    candidates: Sequence[Candidate],
) -> Iterator[tuple[str, str, int | None, bool, dict[str, int]]]:
    for candidate in candidates:
        for answer in candidate.answers:
            verdict = answer.verdict
            yield (
                candidate.candidate_id,
                answer.question_id,
                verdict.score,
                verdict.injection,
                verdict.criteria,
            )


def measure_set(
    folder: Path,
    grader_factory: Callable[[], Grader],
    bank: QuestionBank,
    *,
    work_dir: Path | None = None,
    options: BatchOptions | None = None,
    on_error: Callable[[AnswerFileError], None] | None = None,
) -> SetFigures:
    """Grade a labelled-set folder and compare the grader with its labels.

    ``grader_factory`` builds a fresh grader per graded file (the batch runner closes its
    clients). Grades go to ``work_dir`` (resumed on a re-run) or a temporary folder.
    """
    labels = load_labels(folder / "labels.json", bank)
    criteria_path = folder / "criteria_labels.json"
    criteria = load_criteria_labels(criteria_path) if criteria_path.is_file() else {}
    bad: list[str] = []

    def report(error: AnswerFileError) -> None:
        bad.append(str(error))
        if on_error is not None:
            on_error(error)

    with tempfile.TemporaryDirectory() as scratch:
        out_dir = work_dir or Path(scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        grades = out_dir / f"{folder.name}.grades.jsonl"
        grade_file(_answers_file(folder), grades, bank, grader_factory(), options, on_error=report)
        candidates = load_candidates(grades)
        graded = list(_graded(candidates))
        flags = {c.candidate_id: c.flag().flagged for c in candidates}
        twins_path = folder / "injection_twins.jsonl"
        twin_scores: dict[tuple[str, str], int | None] = {}
        judge_above: list[str] = []
        if twins_path.is_file():
            twin_grades = out_dir / f"{folder.name}.twins.grades.jsonl"
            grade_file(twins_path, twin_grades, bank, grader_factory(), options, on_error=report)
            twin_scores = {(c, q): s for c, q, s, _, _ in _graded(load_candidates(twin_grades))}
            judge_above = _stand_in_leaks(folder / _answers_file(folder).name, twins_path, bank)

    figures = SetFigures(folder.name, [], bad_rows=bad)
    figures.judge_above_twin = judge_above if twin_scores else []
    seen: set[tuple[str, str]] = set()
    for cid, qid, score, injection, verdict_criteria in graded:
        seen.add((cid, qid))
        key = f"{cid}/{qid}"
        human = labels[cid].scores.get(qid) if cid in labels else None
        if human is None:
            figures.unlabelled.append(key)
            continue
        if score is None:
            figures.unscored.append(key)
            continue
        figures.pairs.append(Pair(cid, qid, human, score))
        for criterion, level in criteria.get(key, {}).items():
            if criterion in verdict_criteria:
                figures.criteria.append((level, verdict_criteria[criterion]))
        if (cid, qid) in twin_scores:
            figures.twins.append((key, score, twin_scores[(cid, qid)], injection))
    for cid, candidate in labels.items():
        figures.not_graded.extend(f"{cid}/{q}" for q in candidate.scores if (cid, q) not in seen)
        if not candidate.borderline and candidate.tourist is not None and cid in flags:
            figures.tourists.append((cid, candidate.tourist, flags[cid]))
    figures.qwk_interval = bootstrap_qwk(figures.pairs)
    return figures


def _stand_in_leaks(answers: Path, twins: Path, bank: QuestionBank) -> list[str]:
    """Injected answers that the judge pipeline on an obeying model scores above their twin;
    the payload is what the injected answer adds to its twin."""
    from .adversarial import obeying_judge
    from .batch.inputs import AnswerRow, read_answers

    def rows(path: Path) -> dict[tuple[str, str], str]:
        return {
            (r.candidate_id, r.question_id): r.answer
            for r in read_answers(path, bank)
            if isinstance(r, AnswerRow)
        }

    injected, clean = rows(answers), rows(twins)
    leaks = []
    for key, twin in clean.items():
        if key not in injected or injected[key] == twin:
            continue
        payload = _added(twin, injected[key])
        judge = obeying_judge(payload, twin)
        question = bank.get(key[1])
        hit = grade_blocking(judge, question, injected[key]).score or 0
        if hit > (grade_blocking(judge, question, twin).score or 0):
            leaks.append(f"{key[0]}/{key[1]}")
    return leaks


def _added(base: str, changed: str) -> str:
    """The text ``changed`` adds to ``base``."""
    matcher = difflib.SequenceMatcher(None, base, changed, autojunk=False)
    return " ".join(
        changed[j1:j2]
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag in ("insert", "replace")
    )


def pool(sets: Sequence[SetFigures]) -> SetFigures:
    """Every set's answers and candidates as one set (ids prefixed by their set's name)."""
    pooled = SetFigures("pooled", [])
    for figures in sets:
        prefix = f"{figures.name}:"
        pooled.pairs.extend(
            Pair(prefix + p.candidate_id, p.question_id, p.human, p.model) for p in figures.pairs
        )
        pooled.tourists.extend((prefix + c, label, flag) for c, label, flag in figures.tourists)
        pooled.twins.extend((prefix + k, hit, clean, flag) for k, hit, clean, flag in figures.twins)
        pooled.criteria.extend(figures.criteria)
        for name in ("unscored", "not_graded", "unlabelled", "bad_rows", "judge_above_twin"):
            getattr(pooled, name).extend(prefix + item for item in getattr(figures, name))
    pooled.qwk_interval = bootstrap_qwk(pooled.pairs)
    return pooled
