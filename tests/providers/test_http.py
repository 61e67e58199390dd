"""HTTP-level tests: the real anthropic and openai SDKs against respx routes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
import respx

from agent import MissingKeyError, Question, QuestionBank
from agent.grading.base import FallbackGrader, GraderOptions, get_grader, grade_blocking

from .conftest import GradeFn, anthropic_tool_reply, direct_grade, judge_input, openai_tool_reply

ANTHROPIC = "https://api.anthropic.com/v1/messages"
OPENAI = "https://api.openai.com/v1/chat/completions"
ANSWER = (
    "I built a 240-case golden set from production failures; an LLM judge calibrated on 100 "
    "human labels (kappa 0.78) scores it in CI and it caught accuracy falling from 91% to 76%."
)
QUOTE = "it caught accuracy falling from 91% to 76%"  # a measured figure the rules also find


@pytest.fixture
def question(bank: QuestionBank) -> Question:
    return bank.get("regression-suite")


@pytest.fixture
def ids(question: Question) -> list[str]:
    return [c.id for c in question.rubric]


def ok(payload: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json=anthropic_tool_reply(payload))


def test_anthropic_success_sends_a_cached_system_prompt_and_a_tool(
    grade: GradeFn, router: respx.Router, options: GraderOptions, question: Question, ids: list[str]
) -> None:
    route = router.post(ANTHROPIC).mock(return_value=ok(judge_input(ids, 4, "240-case golden set")))
    verdict = grade(get_grader("anthropic:claude-sonnet-4-6", options), question, ANSWER)
    assert route.call_count == 1
    body = json.loads(route.calls[0].request.content)
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "Show me a regression suite you wrote." in body["system"][0]["text"]
    assert body["tools"][0]["name"] == "JudgeOutput"
    assert body["tool_choice"]["type"] == "tool"
    assert route.calls[0].request.headers["authorization"] == "Bearer sk-ant-test"
    user = body["messages"][0]["content"]
    assert "<<<ANSWER-" in user and ANSWER in user
    assert ANSWER not in body["system"][0]["text"], "the answer never enters the cached part"
    assert verdict.score == 4 and set(verdict.criteria.values()) == {4}
    assert verdict.grader.name == "anthropic:claude-sonnet-4-6" and not verdict.degraded
    assert [e.quote for e in verdict.evidence] == ["240-case golden set"]
    assert verdict.prompt_hashes["judge"] and verdict.rubric_hash
    usage = verdict.usage
    assert usage is not None and usage.cache_read_tokens == 1200 and usage.input_tokens == 900
    # 900 x $3 + 150 x $15 + 1200 cached x $0.30, per million tokens
    assert usage.cost_usd == pytest.approx((900 * 3 + 150 * 15 + 1200 * 0.3) / 1e6)


def test_429_retry_after_is_honoured(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
    sleeps: list[float],
) -> None:
    limited = httpx.Response(429, headers={"retry-after": "7"}, json={"type": "error"})
    route = router.post(ANTHROPIC).mock(side_effect=[limited, ok(judge_input(ids, 3))])
    verdict = grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert route.call_count == 2
    assert sleeps == [7.0], "the SDK waits exactly what retry-after asks"
    assert verdict.score == 3 and not verdict.degraded


def test_500_then_success_retries_with_backoff(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
    sleeps: list[float],
) -> None:
    route = router.post(ANTHROPIC).mock(
        side_effect=[httpx.Response(500, json={}), ok(judge_input(ids, 2))]
    )
    verdict = grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert route.call_count == 2
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 8, "exponential back-off with jitter"
    assert verdict.score == 2


def test_timeouts_exhaust_retries_then_offline_takes_over(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    sleeps: list[float],
) -> None:
    route = router.post(ANTHROPIC).mock(side_effect=httpx.ReadTimeout("slow"))
    grader = get_grader("anthropic:claude-x", options)
    assert isinstance(grader, FallbackGrader)
    verdict = grade(grader, question, ANSWER)
    assert route.call_count == 3, "first try plus max_retries=2"
    assert verdict.degraded and verdict.fallback_from == ["anthropic:claude-x"]
    assert verdict.grader.name == "offline" and verdict.score is not None
    assert any(f.startswith("degraded") for f in verdict.flags)


def test_malformed_tool_output_is_repaired_by_reasking(
    grade: GradeFn, router: respx.Router, options: GraderOptions, question: Question, ids: list[str]
) -> None:
    broken = judge_input([ids[0], *ids[:-1]], 4)  # the first criterion twice, the last missing
    route = router.post(ANTHROPIC).mock(side_effect=[ok(broken), ok(judge_input(ids, 4, QUOTE))])
    verdict = grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert route.call_count == 2
    second = json.loads(route.calls[1].request.content)
    assert "exactly once" in json.dumps(second["messages"]), "the re-ask carries the error"
    assert verdict.score == 4


def test_the_reply_schema_carries_every_constraint(
    grade: GradeFn, router: respx.Router, options: GraderOptions, question: Question, ids: list[str]
) -> None:
    route = router.post(ANTHROPIC).mock(return_value=ok(judge_input(ids, 4, QUOTE)))
    grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert route.called
    body = json.loads(route.calls[0].request.content)
    schema = json.dumps(body["tools"][0]["input_schema"])
    criteria = body["tools"][0]["input_schema"]["properties"]["criteria"]
    assert criteria["minItems"] == criteria["maxItems"] == len(ids)
    assert all(f'"{i}"' in schema for i in ids) and '"enum"' in schema
    # a reply with no criteria breaks the schema, so it is re-asked rather than left unscored
    route.side_effect = [ok({"criteria": [], "claims": []}), ok(judge_input(ids, 3))]
    verdict = grade(get_grader("anthropic:claude-x", options), question, ANSWER + " Later.")
    assert route.call_count == 3 and verdict.score == 3


def test_validation_failure_twice_leaves_the_answer_unscored(
    grade: GradeFn, router: respx.Router, options: GraderOptions, question: Question, ids: list[str]
) -> None:
    bad = {"criteria": [{"criterion_id": ids[0], "score": 9, "rationale": "x"}]}
    route = router.post(ANTHROPIC).mock(return_value=ok(bad))
    verdict = grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert route.call_count == 2
    assert verdict.score is None and verdict.criteria == {}
    assert verdict.unscored_reason and "validation" in verdict.unscored_reason
    assert not verdict.degraded, "an invalid reply is not a provider failure: no fallback"


def test_fallback_to_the_second_provider(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
    sleeps: list[float],
) -> None:
    down = router.post(ANTHROPIC).mock(return_value=httpx.Response(503, json={}))
    up = router.post(OPENAI).mock(
        return_value=httpx.Response(200, json=openai_tool_reply(judge_input(ids, 5, "240-case")))
    )
    chain = replace(options, fallbacks=("openai:gpt-5",))
    verdict = grade(get_grader("anthropic:claude-x", chain), question, ANSWER)
    assert down.call_count == 3 and up.call_count == 1
    assert verdict.grader.name == "openai:gpt-5" and verdict.degraded
    assert verdict.fallback_from == ["anthropic:claude-x"]
    assert verdict.score == 5


def test_every_provider_down_continues_offline(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    sleeps: list[float],
) -> None:
    router.post(ANTHROPIC).mock(side_effect=httpx.ConnectError("refused"))
    router.post(OPENAI).mock(return_value=httpx.Response(502, json={}))
    chain = replace(options, fallbacks=("openai:gpt-5",))
    verdict = grade(get_grader("anthropic:claude-x", chain), question, ANSWER)
    assert verdict.grader.name == "offline" and verdict.degraded
    assert verdict.fallback_from == ["anthropic:claude-x", "openai:gpt-5"]
    # the answer is graded as the offline grader grades it, not given a placeholder score
    offline = grade(get_grader("offline"), question, ANSWER)
    assert verdict.score is not None and verdict.score == offline.score
    assert verdict.criteria == offline.criteria and verdict.evidence == offline.evidence


def test_cache_hit_makes_no_second_call(
    grade: GradeFn, router: respx.Router, options: GraderOptions, question: Question, ids: list[str]
) -> None:
    route = router.post(ANTHROPIC).mock(return_value=ok(judge_input(ids, 4, QUOTE)))
    grader = get_grader("anthropic:claude-x", options)
    first = grade(grader, question, ANSWER)
    again = grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert route.call_count == 1
    assert first.criteria == again.criteria
    assert again.usage is not None and again.usage.cache_hits == 1 and again.usage.calls == 0
    other = grade(grader, question, ANSWER + " More.")
    assert route.call_count == 2 and other.usage is not None and other.usage.cache_hits == 0


def test_errors_are_never_cached(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
    sleeps: list[float],
) -> None:
    route = router.post(ANTHROPIC).mock(return_value=httpx.Response(500, json={}))
    grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    route.mock(return_value=ok(judge_input(ids, 4, QUOTE)))
    verdict = grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert verdict.grader.name == "anthropic:claude-x" and verdict.score == 4


def test_no_cache_calls_every_time(
    grade: GradeFn, router: respx.Router, options: GraderOptions, question: Question, ids: list[str]
) -> None:
    route = router.post(ANTHROPIC).mock(return_value=ok(judge_input(ids, 4, QUOTE)))
    grader = get_grader("anthropic:claude-x", replace(options, cache=False))
    grade(grader, question, ANSWER)
    grade(grader, question, ANSWER)
    assert route.call_count == 2


def test_openai_compatible_server_needs_no_key(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    local = "http://127.0.0.1:8080/v1"
    reply = openai_tool_reply(judge_input(ids, 3))
    message = reply["choices"][0]["message"]
    message["content"], message["tool_calls"] = json.dumps(judge_input(ids, 3)), None
    route = router.post(f"{local}/chat/completions").mock(
        return_value=httpx.Response(200, json=reply)
    )
    grader = get_grader("openai:llama-3", replace(options, base_url=local))
    verdict = grade(grader, question, ANSWER)
    assert route.call_count == 1 and verdict.score == 3
    body = json.loads(route.calls[0].request.content)
    assert body["model"] == "llama-3"
    assert "response_format" in body, "local servers get JSON-schema mode"


def test_missing_key_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, options: GraderOptions
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(MissingKeyError) as info:
        get_grader("anthropic:claude-x", options)
    assert "ANTHROPIC_API_KEY" in str(info.value) and "\n" not in str(info.value)


def test_key_from_the_config_file(
    grade: GradeFn,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: pytest.TempPathFactory,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
) -> None:
    config = tmp_path / "config.toml"  # type: ignore[operator]
    config.write_text('[keys]\nanthropic = "sk-from-file"\n')
    monkeypatch.setenv("SCREENER_CONFIG", str(config))
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    route = router.post(ANTHROPIC).mock(return_value=ok(judge_input(ids, 4, QUOTE)))
    grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    assert route.calls[0].request.headers["authorization"] == "Bearer sk-from-file"


LOCAL = "http://127.0.0.1:8080/v1"


def json_reply(payload: dict[str, object]) -> dict[str, object]:
    """An OpenAI chat completion whose message content is the JSON payload."""
    reply = openai_tool_reply(payload)
    message = reply["choices"][0]["message"]
    message["content"], message["tool_calls"] = json.dumps(payload), None
    return reply


@pytest.mark.parametrize(
    ("spec", "url", "base_url", "reply"),
    [
        ("anthropic:claude-x", ANTHROPIC, None, anthropic_tool_reply),
        ("openai:gpt-5", OPENAI, None, openai_tool_reply),
        ("openai:llama-3", f"{LOCAL}/chat/completions", LOCAL, json_reply),
    ],
    ids=["anthropic-tool", "openai-tool", "openai-compatible-json-schema"],
)
def test_the_direct_path_sends_what_instructor_sends(
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
    spec: str,
    url: str,
    base_url: str | None,
    reply: Callable[[dict[str, object]], dict[str, object]],
) -> None:
    route = router.post(url).mock(return_value=httpx.Response(200, json=reply(judge_input(ids))))
    settings = replace(options, base_url=base_url, cache=False)
    verdicts = []
    for grade in (grade_blocking, direct_grade):
        verdicts.append(grade(get_grader(spec, settings), question, ANSWER))
    assert route.call_count == 2
    sent = [
        re.sub(r"ANSWER-[0-9a-f]{16}", "ANSWER-X", route.calls[i].request.content.decode())
        for i in (0, 1)
    ]
    assert json.loads(sent[0]) == json.loads(sent[1]), "same body, tool and schema"
    one, two = (v.model_dump(exclude={"seconds"}) for v in verdicts)
    assert one == two and verdicts[0].usage is not None and verdicts[0].usage.input_tokens > 0


@pytest.mark.parametrize("json_mode", [False, True], ids=["tool", "json-schema"])
def test_openai_replies_that_fail_validation_are_reasked_with_the_error(
    grade: GradeFn,
    router: respx.Router,
    options: GraderOptions,
    question: Question,
    ids: list[str],
    json_mode: bool,
) -> None:
    build, url = (
        (json_reply, f"{LOCAL}/chat/completions") if json_mode else (openai_tool_reply, OPENAI)
    )
    broken = httpx.Response(200, json=build(judge_input([ids[0], *ids[:-1]], 4)))
    route = router.post(url).mock(
        side_effect=[broken, httpx.Response(200, json=build(judge_input(ids, 4, QUOTE)))]
    )
    grader = get_grader("openai:gpt-x", replace(options, base_url=LOCAL if json_mode else None))
    verdict = grade(grader, question, ANSWER)
    assert route.call_count == 2 and verdict.score == 4
    messages = json.loads(route.calls[1].request.content)["messages"]
    assert messages[2]["role"] == "assistant"
    assert "exactly once" in json.dumps(messages[3:]), "the re-ask carries the error"
    assert messages[3]["role"] == ("user" if json_mode else "tool")
    assert verdict.usage is not None and verdict.usage.input_tokens == 1600, "both calls counted"


@pytest.mark.parametrize("body", [["not", "an", "object"], "<html>", {"content": "no tool"}])
def test_a_malformed_provider_reply_on_the_direct_path_is_a_provider_failure_or_a_reask(
    router: respx.Router, options: GraderOptions, question: Question, ids: list[str], body: object
) -> None:
    if isinstance(body, str):
        reply = httpx.Response(200, text=body, headers={"content-type": "text/html"})
    else:
        reply = httpx.Response(200, json=body)
    route = router.post(ANTHROPIC).mock(side_effect=[reply, ok(judge_input(ids, 4, QUOTE))])
    verdict = direct_grade(get_grader("anthropic:claude-x", options), question, ANSWER)
    if isinstance(body, dict):  # a message without a tool call: re-asked, then graded
        assert route.call_count == 2 and verdict.score == 4 and not verdict.degraded
    else:  # not a message at all: the provider failed, the fallback chain grades
        assert route.call_count == 1 and verdict.degraded and verdict.grader.name == "offline"
