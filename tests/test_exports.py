"""The public API: ``agent.__all__`` is pinned and every name in it imports."""

from __future__ import annotations

import importlib

import pytest

import agent

EXPECTED_ALL = [
    "AnswerTooLongError",
    "BankError",
    "ChatModel",
    "Criterion",
    "Evidence",
    "EvidenceKind",
    "FallbackGrader",
    "GoldenAnswer",
    "GoldenSession",
    "Grader",
    "GraderError",
    "GraderOptions",
    "InputError",
    "Interview",
    "LLMJudge",
    "MAX_ANSWER_CHARS",
    "MissingDependencyError",
    "MissingKeyError",
    "OfflineGrader",
    "Probe",
    "PromptTemplate",
    "ProviderError",
    "Question",
    "QuestionBank",
    "ReplyInvalidError",
    "Report",
    "ScreenerError",
    "ScriptedModel",
    "SessionNotFoundError",
    "Step",
    "TouristFlag",
    "Turn",
    "UnknownQuestionError",
    "UserError",
    "Verdict",
    "build_report",
    "get_grader",
    "get_model",
    "grade_blocking",
    "load_bank",
    "load_golden_answers",
    "load_golden_sessions",
    "load_prompt",
    "render_markdown",
    "tourist_flag",
]


def test_all_is_pinned() -> None:
    assert sorted(agent.__all__) == sorted(EXPECTED_ALL)
    assert len(agent.__all__) == len(set(agent.__all__)), "__all__ has duplicates"


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_each_name_imports(name: str) -> None:
    module = importlib.import_module("agent")
    obj = getattr(module, name)
    assert obj is not None
    namespace: dict[str, object] = {}
    exec(f"from agent import {name}", namespace)
    assert namespace[name] is obj


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from agent import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(EXPECTED_ALL)


def test_error_hierarchy() -> None:
    for name in (
        "BankError",
        "InputError",
        "UnknownQuestionError",
        "SessionNotFoundError",
        "AnswerTooLongError",
    ):
        assert issubclass(getattr(agent, name), agent.UserError), name
    assert issubclass(agent.UserError, agent.ScreenerError)
    assert issubclass(agent.GraderError, agent.ScreenerError)
    assert not issubclass(agent.GraderError, agent.UserError)


def test_max_answer_chars_is_a_positive_int() -> None:
    assert isinstance(agent.MAX_ANSWER_CHARS, int)
    assert agent.MAX_ANSWER_CHARS > 1000
