"""screener: screening interviews that tell real AI/ML engineers from prompt tourists.

The public API; everything else is implementation. Front ends (``screener`` CLI, web) use only
these names.
"""

from ._errors import (
    AnswerTooLongError,
    BankError,
    GraderError,
    InputError,
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
    Verdict,
)
from .bank import QuestionBank, load_bank, load_golden_answers, load_golden_sessions
from .grading.base import Grader, get_grader, grade_blocking
from .grading.offline import OfflineGrader
from .grading.tourist import tourist_flag
from .interview import MAX_ANSWER_CHARS, Interview, Step
from .report import build_report, render_markdown

__all__ = [
    "MAX_ANSWER_CHARS",
    "AnswerTooLongError",
    "BankError",
    "Criterion",
    "Evidence",
    "EvidenceKind",
    "GoldenAnswer",
    "GoldenSession",
    "Grader",
    "GraderError",
    "InputError",
    "Interview",
    "OfflineGrader",
    "Probe",
    "Question",
    "QuestionBank",
    "Report",
    "ScreenerError",
    "SessionNotFoundError",
    "Step",
    "TouristFlag",
    "UnknownQuestionError",
    "UserError",
    "Verdict",
    "build_report",
    "get_grader",
    "grade_blocking",
    "load_bank",
    "load_golden_answers",
    "load_golden_sessions",
    "render_markdown",
    "tourist_flag",
]
