"""screener: screening interviews that tell real AI/ML engineers from prompt tourists.

The public API; everything else is implementation. Front ends (``screener`` CLI, web) use only
these names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._constants import MAX_ANSWER_CHARS
    from ._errors import (
        AnswerTooLongError,
        BankError,
        GraderError,
        InputError,
        MissingDependencyError,
        MissingKeyError,
        ProviderError,
        ReplyInvalidError,
        ScreenerError,
        SessionNotFoundError,
        UnknownQuestionError,
        UserError,
    )
    from ._models import (
        Criterion,
        Evidence,
        EvidenceKind,
        GoldenAnswer,
        GoldenSession,
        Probe,
        Question,
        Report,
        TouristFlag,
        Turn,
        Verdict,
    )
    from .bank import QuestionBank, load_bank, load_golden_answers, load_golden_sessions
    from .grading.base import FallbackGrader, Grader, GraderOptions, get_grader, grade_blocking
    from .grading.judge import LLMJudge
    from .grading.offline import OfflineGrader
    from .grading.tourist import tourist_flag
    from .interview import Interview, Step
    from .prompts import PromptTemplate, load_prompt
    from .providers.base import ChatModel, get_model
    from .providers.fake import ScriptedModel
    from .report import build_report, render_markdown

# Where each public name lives. Names load on first use, so ``screener --help`` and the light
# commands do not pay for LangGraph and the provider SDKs they never touch.
_HOMES = {
    "AnswerTooLongError": "._errors",
    "BankError": "._errors",
    "GraderError": "._errors",
    "InputError": "._errors",
    "MissingDependencyError": "._errors",
    "MissingKeyError": "._errors",
    "ProviderError": "._errors",
    "ReplyInvalidError": "._errors",
    "ScreenerError": "._errors",
    "SessionNotFoundError": "._errors",
    "UnknownQuestionError": "._errors",
    "UserError": "._errors",
    "Criterion": "._models",
    "Evidence": "._models",
    "EvidenceKind": "._models",
    "GoldenAnswer": "._models",
    "GoldenSession": "._models",
    "Probe": "._models",
    "Question": "._models",
    "Report": "._models",
    "TouristFlag": "._models",
    "Turn": "._models",
    "Verdict": "._models",
    "QuestionBank": ".bank",
    "load_bank": ".bank",
    "load_golden_answers": ".bank",
    "load_golden_sessions": ".bank",
    "FallbackGrader": ".grading.base",
    "Grader": ".grading.base",
    "GraderOptions": ".grading.base",
    "get_grader": ".grading.base",
    "grade_blocking": ".grading.base",
    "LLMJudge": ".grading.judge",
    "OfflineGrader": ".grading.offline",
    "tourist_flag": ".grading.tourist",
    "Interview": ".interview",
    "MAX_ANSWER_CHARS": "._constants",
    "Step": ".interview",
    "PromptTemplate": ".prompts",
    "load_prompt": ".prompts",
    "ChatModel": ".providers.base",
    "get_model": ".providers.base",
    "ScriptedModel": ".providers.fake",
    "build_report": ".report",
    "render_markdown": ".report",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'agent' has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "MAX_ANSWER_CHARS",
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
