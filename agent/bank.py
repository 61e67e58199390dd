"""Loading and validating the question bank and the goldens under ``golden/``.

Every file is YAML validated by the pydantic models in :mod:`agent._models`. A bad file raises
:class:`~agent._errors.BankError` naming the file, the line, the field and the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from ._errors import BankError, UnknownQuestionError
from ._models import (
    COMPETENCIES,
    GoldenAnswer,
    GoldenAnswerFile,
    GoldenSession,
    GoldenSessionFile,
    Question,
    QuestionFile,
)
from ._resources import existing, golden_dir

ModelT = TypeVar("ModelT", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The 1-based line of the YAML node at pydantic location ``loc``, as deep as it resolves."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and str(k.value) == str(key):
                    child = v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if 0 <= key < len(node.value):
                child = node.value[key]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


def line_in_file(path: Path, loc: Sequence[int | str]) -> int | None:
    """The line of the YAML node at ``loc`` in ``path`` (for errors found after validation)."""
    try:
        return _line_of(yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader), loc)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def load_yaml_model(path: Path, model: type[ModelT]) -> ModelT:
    """Parse ``path`` as YAML and validate it as ``model``; errors name file, line and field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BankError(path, None, "", exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BankError(path, line, "", f"not UTF-8 text ({exc.reason})") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # the node tree is built only for an error's line
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        mark_line: int | None = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise BankError(path, mark_line, "", f"malformed YAML: {problem}") from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = [p for p in err["loc"] if isinstance(p, int | str)]
        field = ".".join(str(p) for p in loc) or "(top level)"
        more = f" (and {exc.error_count() - 1} more errors)" if exc.error_count() > 1 else ""
        where = _line_of(yaml.compose(text, Loader=_Loader), loc)
        raise BankError(path, where, field, err["msg"] + more) from None


class QuestionBank:
    """The validated question bank, in file order."""

    def __init__(self, questions: Iterable[Question]) -> None:
        self.questions = tuple(questions)
        self._by_id = {q.id: q for q in self.questions}

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._by_id

    def get(self, question_id: str) -> Question:
        """The question with this id; :class:`UnknownQuestionError` if there is none."""
        try:
            return self._by_id[question_id]
        except KeyError:
            raise UnknownQuestionError(question_id) from None

    def for_track(self, track: str) -> list[Question]:
        """Questions of one track, in bank order."""
        return [q for q in self.questions if q.track == track]

    def choose(self, track: str, count: int) -> list[str]:
        """Pick ``count`` question ids for a track: core questions first, then one per competency.

        Deterministic, so a session can be re-created and compared. Core questions are the ones
        in the track's first file (for ai-engineer, the three seed questions); the rest rotate
        through competencies in the order of :data:`COMPETENCIES`.
        """
        pool = self.for_track(track)
        if not pool:
            raise BankError(golden_dir() / "questions", None, "track", f"no questions for {track}")
        if count < 1:
            raise BankError("--questions", None, "", "must be at least 1")
        core = [q for q in pool if q.id in CORE_QUESTION_IDS]
        rest = [q for q in pool if q.id not in CORE_QUESTION_IDS]
        by_comp = {c: [q for q in rest if q.competency == c] for c in COMPETENCIES[track]}
        rotation: list[Question] = []
        while any(by_comp.values()):
            for comp in COMPETENCIES[track]:
                if by_comp[comp]:
                    rotation.append(by_comp[comp].pop(0))
        return [q.id for q in (core + rotation)[:count]]


#: The three questions of the hiring guide, asked as they are worded there.
CORE_QUESTION_IDS = ("regression-suite", "hallucination-debug", "before-after")


def load_bank(directory: Path | None = None) -> QuestionBank:
    """Load and validate every ``*.yaml`` file under ``golden/questions`` (or ``directory``)."""
    return _load_bank_cached(str(directory or golden_dir() / "questions"))


@cache
def _load_bank_cached(directory: str) -> QuestionBank:
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise BankError(directory, None, "", "no question files (*.yaml) found")
    questions: list[Question] = []
    seen: dict[str, Path] = {}
    for path in files:
        for index, question in enumerate(load_yaml_model(path, QuestionFile).questions):
            if question.id in seen:
                line = line_in_file(path, ["questions", index, "id"])
                reason = f"question id {question.id!r} is also in {seen[question.id]}"
                raise BankError(path, line, "id", reason)
            seen[question.id] = path
            questions.append(question)
    return QuestionBank(tuple(questions))


def load_golden_answers(directory: Path | None = None) -> list[GoldenAnswer]:
    """Every labelled golden answer under ``golden/answers``, checked against the bank."""
    root = directory or golden_dir()
    bank = load_bank(root / "questions")
    existing(root / "answers", "golden answers", "--golden-dir or $SCREENER_GOLDEN_DIR")
    answers: list[GoldenAnswer] = []
    ids: set[str] = set()
    for path in sorted((root / "answers").glob("*.yaml")):
        for index, item in enumerate(load_yaml_model(path, GoldenAnswerFile).answers):
            where: list[int | str] = ["answers", index]
            if item.id in ids:
                line = line_in_file(path, [*where, "id"])
                raise BankError(path, line, "id", f"duplicate golden id {item.id!r}")
            if item.question_id not in bank:
                line = line_in_file(path, [*where, "question_id"])
                raise BankError(path, line, "question_id", f"unknown question {item.question_id!r}")
            expected = {c.id for c in bank.get(item.question_id).rubric}
            if set(item.labels.criteria) != expected:
                line = line_in_file(path, [*where, "labels", "criteria"])
                raise BankError(path, line, "labels.criteria", f"must be {sorted(expected)}")
            ids.add(item.id)
            answers.append(item)
    return answers


def load_golden_sessions(
    directory: Path | None = None, answers: Iterable[GoldenAnswer] | None = None
) -> list[GoldenSession]:
    """Every labelled golden session; each must name known answers of its own split."""
    root = directory or golden_dir()
    existing(root / "sessions", "golden sessions", "--golden-dir or $SCREENER_GOLDEN_DIR")
    by_id = {a.id: a for a in (answers if answers is not None else load_golden_answers(root))}
    sessions: list[GoldenSession] = []
    for path in sorted((root / "sessions").glob("*.yaml")):
        for index, session in enumerate(load_yaml_model(path, GoldenSessionFile).sessions):
            for answer_id in session.answers:
                answer = by_id.get(answer_id)
                if answer is None:
                    line = line_in_file(path, ["sessions", index])  # parsed again on error only
                    raise BankError(path, line, "answers", f"unknown answer {answer_id!r}")
                if answer.split != session.split:
                    line = line_in_file(path, ["sessions", index])
                    reason = f"{answer_id} is in the {answer.split} split, the session is not"
                    raise BankError(path, line, "split", reason)
            sessions.append(session)
    return sessions


def question_schema() -> dict[str, Any]:
    """The JSON Schema of a question-bank file, for editors (``golden/schema/``)."""
    schema = QuestionFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "screener question bank file"
    return schema


def write_schemas(directory: Path) -> list[Path]:
    """Write the JSON Schemas of the golden file formats into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in (
        ("questions.schema.json", question_schema()),
        ("answers.schema.json", GoldenAnswerFile.model_json_schema()),
        ("sessions.schema.json", GoldenSessionFile.model_json_schema()),
    ):
        path = directory / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
