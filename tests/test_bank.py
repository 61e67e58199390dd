"""The question bank: the real bank loads, bad files are rejected with file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent import BankError, QuestionBank, UnknownQuestionError, load_bank
from agent._models import COMPETENCIES
from agent.bank import CORE_QUESTION_IDS, write_schemas

CORE_TEXTS = {
    "regression-suite": "Show me a regression suite you wrote.",
    "hallucination-debug": "Walk me through a hallucination you debugged.",
    "before-after": "What did you measure before vs after?",
}

# --- the real bank ---------------------------------------------------------------------------


def test_real_bank_loads(bank: QuestionBank) -> None:
    assert len(bank) >= 18
    assert {q.track for q in bank} == {"ai-engineer", "ml-engineer"}
    ids = [q.id for q in bank]
    assert len(ids) == len(set(ids)), "question ids repeat"


@pytest.mark.parametrize(("question_id", "text"), sorted(CORE_TEXTS.items()))
def test_core_questions_are_worded_as_in_the_hiring_guide(
    bank: QuestionBank, question_id: str, text: str
) -> None:
    question = bank.get(question_id)
    assert question.text == text
    assert question.track == "ai-engineer"
    assert question_id in bank


@pytest.mark.parametrize("track", sorted(COMPETENCIES))
def test_every_competency_is_covered(bank: QuestionBank, track: str) -> None:
    covered = {q.competency for q in bank.for_track(track)}
    assert covered == set(COMPETENCIES[track])


def test_every_question_is_consistent(bank: QuestionBank) -> None:
    for question in bank:
        criteria = {c.id for c in question.rubric}
        assert 3 <= len(question.rubric) <= 5, question.id
        for probe in question.probes:
            assert set(probe.criteria) <= criteria, question.id
        for criterion in question.rubric:
            assert sorted(criterion.levels) == [1, 2, 3, 4, 5], (question.id, criterion.id)
        assert question.reference_answer, f"{question.id} has no reference answer"


def test_get_unknown_question_raises(bank: QuestionBank) -> None:
    with pytest.raises(UnknownQuestionError) as info:
        bank.get("no-such-question")
    assert info.value.question_id == "no-such-question"
    assert "no-such-question" in str(info.value)
    assert "no-such-question" not in bank


# --- choose ----------------------------------------------------------------------------------


@pytest.mark.parametrize("track", sorted(COMPETENCIES))
def test_choose_is_deterministic_and_never_repeats(bank: QuestionBank, track: str) -> None:
    pool = {q.id for q in bank.for_track(track)}
    for count in (1, 3, 5, len(pool), len(pool) + 10):
        first = bank.choose(track, count)
        assert first == bank.choose(track, count), "choose is not deterministic"
        assert first == load_bank().choose(track, count)
        assert len(first) == len(set(first)), f"choose repeated a question: {first}"
        assert len(first) == min(count, len(pool))
        assert set(first) <= pool, "choose picked a question of another track"
    # A shorter pick is a prefix of a longer one: the order does not depend on the count.
    longest = bank.choose(track, len(pool))
    assert bank.choose(track, 4) == longest[:4]


def test_choose_puts_core_questions_first_for_ai_engineer(bank: QuestionBank) -> None:
    assert bank.choose("ai-engineer", 3) == list(CORE_QUESTION_IDS)
    chosen = bank.choose("ai-engineer", 8)
    assert chosen[:3] == list(CORE_QUESTION_IDS)
    # After the core three, competencies rotate: the next picks cover distinct competencies.
    rest = [bank.get(qid).competency for qid in chosen[3:7]]
    assert len(set(rest)) == len(rest)


def test_choose_rejects_a_count_below_one(bank: QuestionBank) -> None:
    with pytest.raises(BankError):
        bank.choose("ai-engineer", 0)


# --- bad files -------------------------------------------------------------------------------


def _criterion(cid: str) -> dict[str, Any]:
    return {
        "id": cid,
        "name": f"Criterion {cid}",
        "description": f"What the {cid} criterion looks for in an answer.",
        "evidence": ["artefact", "quantity"],
        "keywords": ["golden", "cases", "suite"],
        "levels": {n: f"Level {n} description for {cid}." for n in range(1, 6)},
    }


def _question(qid: str = "sample-question", **changes: Any) -> dict[str, Any]:
    question: dict[str, Any] = {
        "id": qid,
        "track": "ai-engineer",
        "competency": "evals",
        "text": "Tell me about an eval suite you built.",
        "probes": [{"text": "How many cases did it have?", "criteria": ["alpha"]}],
        "rubric": [_criterion("alpha"), _criterion("beta"), _criterion("gamma")],
    }
    question.update(changes)
    return question


def _write(path: Path, *questions: dict[str, Any]) -> str:
    text = yaml.safe_dump({"questions": list(questions)}, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")
    return text


def _line_of(text: str, pattern: str, start: int = 1) -> int:
    """The 1-based number of the first line at or after ``start`` matching ``pattern``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and re.search(pattern, line):
            return number
    raise AssertionError(f"no line matches {pattern!r}")


def _reported_line(message: str, path: Path) -> int:
    match = re.match(rf"{re.escape(str(path))}:(\d+): ", message)
    assert match, f"message does not start with '{path}:<line>: ': {message!r}"
    return int(match.group(1))


def _load_error(directory: Path) -> BankError:
    with pytest.raises(BankError) as info:
        load_bank(directory)
    return info.value


def test_a_valid_sample_file_loads(tmp_path: Path) -> None:
    """The fixture question is valid, so each bad-file test below fails for its one change."""
    _write(tmp_path / "one.yaml", _question())
    loaded = load_bank(tmp_path)
    assert [q.id for q in loaded] == ["sample-question"]


def test_missing_level_5(tmp_path: Path) -> None:
    question = _question()
    del question["rubric"][1]["levels"][5]
    path = tmp_path / "bank.yaml"
    text = _write(path, question)
    error = _load_error(tmp_path)
    message = str(error)
    field = "questions.0.rubric.1.levels"
    assert f": {field}: " in message
    assert "5" in message.split(field, 1)[1], "the reason should name the missing level"
    # The line points into the levels of the second criterion (beta), not elsewhere.
    beta = _line_of(text, r"- id: beta")
    levels = _line_of(text, r"^\s+levels:", beta)
    last = _line_of(text, r"^\s+4: ", levels)
    assert levels <= _reported_line(message, path) <= last
    assert error.field == field and error.path == str(path)


def test_extra_unknown_field(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    text = _write(path, _question(), _question("second-question", difficulty="hard"))
    message = str(_load_error(tmp_path))
    assert _reported_line(message, path) == _line_of(text, r"^\s+difficulty: hard")
    assert ": questions.1.difficulty: " in message
    assert "extra" in message.lower() or "not permitted" in message.lower()


def test_probe_naming_an_unknown_criterion(tmp_path: Path) -> None:
    question = _question(probes=[{"text": "What did the judge score?", "criteria": ["nonsense"]}])
    path = tmp_path / "bank.yaml"
    text = _write(path, _question("first-question"), question)
    message = str(_load_error(tmp_path))
    start = _line_of(text, r"- id: sample-question")
    end = _line_of(text, r"^\s+rubric:", start)
    assert start <= _reported_line(message, path) <= end
    assert ": questions.1" in message
    assert "probe" in message and "nonsense" in message


def test_competency_not_of_the_track(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    text = _write(path, _question(track="ml-engineer", competency="evals"))
    message = str(_load_error(tmp_path))
    start = _line_of(text, r"- id: sample-question")
    assert start <= _reported_line(message, path) <= _line_of(text, r"competency: evals")
    assert ": questions.0" in message
    assert "competency" in message and "'evals'" in message and "ml-engineer" in message


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    good = _write(path, _question())
    lines = good.splitlines()
    bad_line = _line_of(good, r"^\s+text: Tell me about")
    lines[bad_line - 1] = '    text: "unterminated'
    lines.insert(bad_line, "    competency: [evals")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = _load_error(tmp_path)
    message = str(error)
    assert "malformed YAML" in message
    assert error.line is not None
    assert bad_line <= _reported_line(message, path) <= bad_line + 2


def test_malformed_yaml_tab_indent_line(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text("questions:\n  - id: x-y\n\ttrack: ai-engineer\n", encoding="utf-8")
    message = str(_load_error(tmp_path))
    assert "malformed YAML" in message
    assert _reported_line(message, path) == 3


def test_duplicate_question_id_across_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", _question("shared-id"))
    second = tmp_path / "b.yaml"
    text = _write(second, _question("unique-id"), _question("shared-id"))
    error = _load_error(tmp_path)
    message = str(error)
    assert str(second) in message
    assert "shared-id" in message and str(tmp_path / "a.yaml") in message
    assert error.field.endswith("id")
    # The error names the line of the duplicate in the second file.
    assert _reported_line(message, second) == _line_of(text, r"- id: shared-id")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    text = _write(path, _question())
    raw = text.encode("utf-8").replace(b"Tell me about", b"Tell me \xff\xfe about", 1)
    path.write_bytes(raw)
    error = _load_error(tmp_path)
    message = str(error)
    assert str(path) in message
    assert "UTF-8" in message
    # Like `screener grade`, the message says where the undecodable byte is.
    assert _reported_line(message, path) == _line_of(text, r"Tell me about")


def test_empty_directory(tmp_path: Path) -> None:
    message = str(_load_error(tmp_path))
    assert str(tmp_path) in message and "no question files" in message


def test_errors_are_not_hidden_by_an_earlier_good_file(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", _question("good-one"))
    bad = _question("bad-one")
    bad["rubric"] = bad["rubric"][:2]  # fewer than three criteria
    _write(tmp_path / "b.yaml", bad)
    error = _load_error(tmp_path)
    assert error.path == str(tmp_path / "b.yaml")
    assert error.field == "questions.0.rubric"


# --- schemas ---------------------------------------------------------------------------------


def _objects(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [("(top level)", schema)] if schema.get("type") == "object" else []
    for name, sub in schema.get("$defs", {}).items():
        if sub.get("type") == "object" and "properties" in sub:
            found.append((name, sub))
    return found


def test_write_schemas(tmp_path: Path) -> None:
    written = write_schemas(tmp_path / "schema")
    assert sorted(p.name for p in written) == [
        "answers.schema.json",
        "questions.schema.json",
        "sessions.schema.json",
    ]
    for path in written:
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["type"] == "object"
        assert schema["properties"] and schema["required"]
        objects = _objects(schema)
        assert len(objects) >= 2
        for name, sub in objects:
            assert sub.get("additionalProperties") is False, f"{path.name}: {name}"
    questions = json.loads((tmp_path / "schema" / "questions.schema.json").read_text())
    assert questions["$schema"].startswith("https://json-schema.org/")
    assert questions["required"] == ["questions"]
    question = questions["$defs"]["Question"]
    assert {"id", "track", "competency", "text", "probes", "rubric"} <= set(question["required"])
    criterion = questions["$defs"]["Criterion"]
    assert set(criterion["properties"]) == {
        "id",
        "name",
        "description",
        "evidence",
        "keywords",
        "levels",
    }


def test_committed_schemas_are_current(tmp_path: Path) -> None:
    committed = Path(__file__).resolve().parents[1] / "golden" / "schema"
    for path in write_schemas(tmp_path):
        assert path.read_text(encoding="utf-8") == (committed / path.name).read_text(
            encoding="utf-8"
        ), f"golden/schema/{path.name} is stale; run `screener schema`"


def test_real_bank_validates_against_its_own_schema_shape(bank: QuestionBank) -> None:
    """Every key in the real bank is a property the schema declares (no extras slip by)."""
    schema = json.loads(
        (
            Path(__file__).resolve().parents[1] / "golden" / "schema" / "questions.schema.json"
        ).read_text(encoding="utf-8")
    )
    declared = {
        name: set(sub["properties"]) for name, sub in schema["$defs"].items() if "properties" in sub
    }
    for question in bank:
        dumped = question.model_dump(exclude_none=True)
        assert set(dumped) <= declared["Question"]
        for criterion in dumped["rubric"]:
            assert set(criterion) <= declared["Criterion"]
        for probe in dumped["probes"]:
            assert set(probe) <= declared["Probe"]
