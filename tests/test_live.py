"""Live calls to the real provider APIs: marked ``live``, skipped without keys.

Run them with keys set: ``ANTHROPIC_API_KEY=... OPENAI_API_KEY=... pytest -m live``. Models can
be chosen with ``SCREENER_LIVE_ANTHROPIC_MODEL`` and ``SCREENER_LIVE_OPENAI_MODEL``.
"""

from __future__ import annotations

import os

import pytest

from agent import QuestionBank, get_grader, grade_blocking
from agent.grading.base import GraderOptions

pytestmark = pytest.mark.live

STRONG = (
    "I built a 240-case golden set from production failures, labelled by two support leads. An "
    "LLM judge calibrated against 100 human labels (kappa 0.78) scores it in GitHub Actions on "
    "every prompt change and blocks the merge if the pass rate drops 2 points below baseline. "
    "It caught a prompt edit that dropped refund accuracy from 91% to 76% on 40 refund cases."
)
TOURIST = "We leverage cutting-edge evals with robust best practices; quality went up 10x."


@pytest.mark.parametrize(
    "spec, key",
    [
        (
            f"anthropic:{os.environ.get('SCREENER_LIVE_ANTHROPIC_MODEL', 'claude-sonnet-4-6')}",
            "ANTHROPIC_API_KEY",
        ),
        (f"openai:{os.environ.get('SCREENER_LIVE_OPENAI_MODEL', 'gpt-5-mini')}", "OPENAI_API_KEY"),
    ],
)
def test_live_judge_separates_strong_from_tourist(spec: str, key: str, bank: QuestionBank) -> None:
    if not os.environ.get(key):
        pytest.skip(f"{key} is not set")
    grader = get_grader(spec, GraderOptions(cache=False, fallbacks=()))
    question = bank.get("regression-suite")
    strong = grade_blocking(grader, question, STRONG)
    tourist = grade_blocking(grader, question, TOURIST)
    assert not strong.degraded and strong.grader.name == spec
    assert strong.score is not None and tourist.score is not None
    assert strong.score >= 4 > tourist.score
    assert strong.usage is not None and strong.usage.calls == 1
