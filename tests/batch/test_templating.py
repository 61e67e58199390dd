"""Candidate text reaches the model verbatim: it is never rendered as a template."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import httpx2
import pytest
import respx
from providers.conftest import (
    DirectModel,
    RespxTransport,
    anthropic_tool_reply,
    judge_input,
    openai_tool_reply,
)

from agent import QuestionBank, get_grader, grade_blocking
from agent.grading.base import GraderOptions
from agent.grading.judge import JudgeOutput, judge_output_for
from agent.grading.reference import judges_in

TEMPLATED = "I wrote {{ 7*7 }} cases, {% if true %}all green{% endif %} and {{ criteria }}."


@pytest.mark.parametrize("direct", [False, True], ids=["instructor", "direct"])
@pytest.mark.parametrize(
    ("spec", "url", "reply"),
    [
        ("anthropic:claude-x", "https://api.anthropic.com/v1/messages", anthropic_tool_reply),
        ("openai:gpt-x", "https://api.openai.com/v1/chat/completions", openai_tool_reply),
    ],
)
def test_jinja_syntax_in_an_answer_is_sent_as_written(
    bank: QuestionBank,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    spec: str,
    url: str,
    reply: object,
    direct: bool,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("SCREENER_CONFIG", str(tmp_path / "none.toml"))
    question = bank.get("regression-suite")
    ids = [c.id for c in question.rubric]
    router = respx.Router(assert_all_mocked=True)
    route = router.post(url).mock(
        return_value=httpx.Response(200, json=reply(judge_input(ids, 3)))  # type: ignore[operator]
    )
    options = GraderOptions(
        http_client=httpx2.AsyncClient(transport=RespxTransport(router)),
        cache=False,
        reference_examples=False,
        calibration=False,
    )
    grader = get_grader(spec, options)
    if direct:
        for judge in judges_in(grader):
            judge.model = DirectModel(judge.model)
    verdict = grade_blocking(grader, question, TEMPLATED)
    sent = json.dumps(json.loads(route.calls[0].request.content)["messages"])
    assert TEMPLATED.replace('"', '\\"') in sent
    assert "I wrote 49" not in sent and "cases, all green" not in sent
    assert verdict.score == 3 and not verdict.degraded


def test_bound_criteria_are_checked_without_a_validation_context() -> None:
    schema = judge_output_for(("a", "b"))
    good = {"criteria": [{"criterion_id": c, "score": 3, "rationale": "r"} for c in "ab"]}
    assert isinstance(schema.model_validate(good), JudgeOutput)
    twice = [{**good["criteria"][0]}, {**good["criteria"][0]}]
    with pytest.raises(ValueError, match="exactly once"):
        schema.model_validate({"criteria": twice})
    with pytest.raises(ValueError, match="at least 2 items"):
        schema.model_validate({"criteria": good["criteria"][:1]})
    assert judge_output_for(("a", "b")) is schema, "one class per rubric"
    criteria = schema.model_json_schema()["properties"]["criteria"]
    assert criteria["minItems"] == criteria["maxItems"] == 2
