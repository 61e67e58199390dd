"""screener: screening interviews that tell real AI/ML engineers from prompt tourists.

The public API; everything else is implementation. Front ends (``screener`` CLI, web) use only
these names.
"""

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
from .interview import MAX_ANSWER_CHARS, Interview, Step
from .prompts import PromptTemplate, load_prompt
from .providers.base import ChatModel, get_model
from .providers.fake import ScriptedModel
from .report import build_report, render_markdown

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
