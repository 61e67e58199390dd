"""The interview as a LangGraph ``StateGraph``, checkpointed in SQLite.

Flow::

    plan -> ask -> grade -> decide -+-> ask      (a follow-up probe, or the next question)
             |                      +-> report -> END
             +-- (candidate ends) --> report

``ask`` holds the graph's only ``interrupt()``: it shows the pending prompt and waits for the
candidate. Everything before the interrupt is a pure function of the state, so re-running the
node on resume is harmless. ``decide`` probes when the verdict leaves rubric criteria without
evidence, at most ``max_followups`` times per question, never with a probe already asked and
never after a non-answer (a declined question is not asked again); then it moves on, so the
graph always ends after at most ``questions x (1 + max_followups)`` answers.

The state holds only plain JSON-able data, so checkpoints are portable and need no custom
serialiser. Checkpoints are written synchronously: once :meth:`Interview.answer` returns, that
answer is on disk and survives ``kill -9``.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from ._errors import AnswerTooLongError, SessionNotFoundError, UserError
from ._models import Report, Verdict
from .bank import QuestionBank, load_bank
from .grading.base import Grader, get_grader, grade_blocking, run_blocking
from .grading.evidence import is_empty
from .report import build_report

#: The longest answer accepted, in characters (about 1,500 words). Longer answers are refused
#: and the candidate is asked to answer again; nothing already answered is lost.
MAX_ANSWER_CHARS = 8000

#: Resume value that ends the session early (end of input, or the candidate leaves).
END_SESSION = {"end": True}


class InterviewState(TypedDict, total=False):
    session_id: str
    track: str
    question_ids: list[str]
    provider: str
    max_followups: int
    position: int
    pending: dict[str, Any] | None
    transcript: list[dict[str, Any]]
    asked_probes: dict[str, list[int]]
    verdicts: dict[str, dict[str, Any]]
    spent: list[dict[str, Any]]
    ended_early: bool
    report: dict[str, Any] | None


@dataclass(frozen=True)
class Step:
    """Where a session stands: the prompt the candidate must answer, or the final report."""

    session_id: str
    done: bool
    prompt: str | None = None
    question_id: str | None = None
    kind: Literal["question", "probe"] | None = None
    question_number: int = 0
    total_questions: int = 0
    answered: int = 0
    report: Report | None = None


def _question_prompt(bank: QuestionBank, question_id: str) -> dict[str, Any]:
    question = bank.get(question_id)
    return {"question_id": question_id, "kind": "question", "probe": None, "prompt": question.text}


def build_graph(bank: QuestionBank, graders: Callable[[str], Grader]) -> StateGraph[InterviewState]:
    """The interview graph (uncompiled). ``graders`` maps a provider spec to a grader."""

    def plan(state: InterviewState) -> dict[str, Any]:
        ids = state["question_ids"]
        return {
            "position": 0,
            "pending": _question_prompt(bank, ids[0]),
            "transcript": [],
            "asked_probes": {qid: [] for qid in ids},
            "verdicts": {},
            "spent": [],
            "ended_early": False,
        }

    def ask(state: InterviewState) -> dict[str, Any]:
        pending = state["pending"]
        assert pending is not None
        reply = interrupt(
            {
                **pending,
                "question_number": state["position"] + 1,
                "total_questions": len(state["question_ids"]),
            }
        )
        if isinstance(reply, dict) and reply.get("end"):
            return {"ended_early": True, "pending": None}
        answer = reply["answer"] if isinstance(reply, dict) else str(reply)
        turn = {
            "question_id": pending["question_id"],
            "kind": pending["kind"],
            "prompt": pending["prompt"],
            "answer": answer,
        }
        return {"transcript": [*state["transcript"], turn]}

    def after_ask(state: InterviewState) -> str:
        return "report" if state.get("ended_early") else "grade"

    def grade(state: InterviewState) -> dict[str, Any]:
        pending = state["pending"]
        assert pending is not None
        qid = pending["question_id"]
        answers = [t["answer"] for t in state["transcript"] if t["question_id"] == qid]
        combined = "\n\n".join(a for a in answers if a.strip())
        verdict = grade_blocking(graders(state["provider"]), bank.get(qid), combined)
        spent = state.get("spent", [])
        if verdict.usage is not None:  # every grading call counts, even when a probe regrades
            spent = [*spent, verdict.usage.model_dump(mode="json")]
        return {
            "verdicts": {**state["verdicts"], qid: verdict.model_dump(mode="json")},
            "spent": spent,
        }

    def decide(state: InterviewState) -> dict[str, Any]:
        pending = state["pending"]
        assert pending is not None
        qid = pending["question_id"]
        verdict = Verdict.model_validate(state["verdicts"][qid])
        asked = state["asked_probes"][qid]
        last_answer = state["transcript"][-1]["answer"]
        # A non-answer ("", "I don't know") is a declined question: never probe it again.
        declined = is_empty(last_answer)
        if len(asked) < state["max_followups"] and not declined and verdict.missing:
            probe = _choose_probe(bank, qid, verdict.missing, asked)
            if probe is not None:
                question = bank.get(qid)
                answers = "\n\n".join(
                    t["answer"] for t in state["transcript"] if t["question_id"] == qid
                )
                # An LLM interviewer rephrases the probe around what is missing; offline graders
                # return the bank's probe unchanged. This node has no interrupt, so it runs once.
                text = run_blocking(
                    graders(state["provider"]).phrase_probe(
                        question, question.probes[probe].text, verdict.missing, answers
                    )
                )
                return {
                    "pending": {
                        "question_id": qid,
                        "kind": "probe",
                        "probe": probe,
                        "prompt": text,
                    },
                    "asked_probes": {**state["asked_probes"], qid: [*asked, probe]},
                }
        position = state["position"] + 1
        ids = state["question_ids"]
        nxt = _question_prompt(bank, ids[position]) if position < len(ids) else None
        return {"position": position, "pending": nxt}

    def after_decide(state: InterviewState) -> str:
        return "ask" if state.get("pending") else "report"

    def report(state: InterviewState) -> dict[str, Any]:
        built = build_report(
            bank,
            session_id=state["session_id"],
            track=state["track"],
            transcript=state["transcript"],
            verdicts=state["verdicts"],
            ended_early=bool(state.get("ended_early")),
            grader=graders(state["provider"]).info,
            planned=len(state["question_ids"]),
            spent=state.get("spent", []),
        )
        return {"report": built.model_dump(mode="json"), "pending": None}

    graph = StateGraph(InterviewState)
    graph.add_node("plan", plan)
    graph.add_node("ask", ask)
    graph.add_node("grade", grade)
    graph.add_node("decide", decide)
    graph.add_node("report", report)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "ask")
    graph.add_conditional_edges("ask", after_ask, ["grade", "report"])
    graph.add_edge("grade", "decide")
    graph.add_conditional_edges("decide", after_decide, ["ask", "report"])
    graph.add_edge("report", END)
    return graph


def _choose_probe(bank: QuestionBank, qid: str, missing: list[str], asked: list[int]) -> int | None:
    """The unasked probe that covers the most criteria still missing evidence."""
    best, best_overlap = None, 0
    for index, probe in enumerate(bank.get(qid).probes):
        if index in asked:
            continue
        overlap = len(set(probe.criteria) & set(missing))
        if overlap > best_overlap:
            best, best_overlap = index, overlap
    return best


class Interview:
    """Runs screening sessions: start one, answer it turn by turn, read its report.

    Front ends (terminal chat, web) only call these methods.
    """

    def __init__(
        self,
        checkpointer: BaseCheckpointSaver[Any],
        bank: QuestionBank | None = None,
        graders: Callable[[str], Grader] | None = None,
    ) -> None:
        self.bank = bank or load_bank()
        self._graders: dict[str, Grader] = {}
        self._make_grader = graders or get_grader
        self.graph = build_graph(self.bank, self._grader).compile(checkpointer=checkpointer)

    def _grader(self, spec: str) -> Grader:
        if spec not in self._graders:
            self._graders[spec] = self._make_grader(spec)
        return self._graders[spec]

    @classmethod
    @contextmanager
    def open(cls, db_path: Path | str, **kwargs: Any) -> Iterator[Interview]:
        """An interview runner whose sessions live in the SQLite file ``db_path``."""
        path = Path(db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False)
        try:
            saver = SqliteSaver(conn)
            saver.setup()
            yield cls(saver, **kwargs)
        finally:
            conn.close()

    def start(
        self,
        *,
        track: str = "ai-engineer",
        question_ids: list[str] | None = None,
        questions: int = 3,
        provider: str = "offline",
        max_followups: int = 1,
        session_id: str | None = None,
    ) -> Step:
        """Create a session and return its first question."""
        if max_followups < 0:
            raise UserError("max_followups must be 0 or more")
        ids = list(question_ids) if question_ids else self.bank.choose(track, questions)
        tracks = {self.bank.get(qid).track for qid in ids}  # also rejects unknown ids
        if question_ids and len(tracks) == 1:
            track = tracks.pop()
        if len(set(ids)) != len(ids):
            raise UserError("question ids must not repeat")
        self._grader(provider)  # fail now on an unknown provider, not mid-interview
        session_id = session_id or secrets.token_hex(6)
        if self._values(session_id):
            raise UserError(f"session {session_id} already exists")
        initial: InterviewState = {
            "session_id": session_id,
            "track": track,
            "question_ids": ids,
            "provider": provider,
            "max_followups": max_followups,
        }
        self.graph.invoke(initial, self._config(session_id), durability="sync")
        return self.current(session_id)

    def current(self, session_id: str) -> Step:
        """The session's pending prompt, or its report if it has ended."""
        snapshot = self.graph.get_state(self._config(session_id))
        values = snapshot.values
        if not values:
            raise SessionNotFoundError(f"no session {session_id!r} in this database")
        answered = len({t["question_id"] for t in values.get("transcript", [])})
        if values.get("report"):
            return Step(
                session_id=session_id,
                done=True,
                total_questions=len(values["question_ids"]),
                answered=answered,
                report=Report.model_validate(values["report"]),
            )
        payload = snapshot.tasks[0].interrupts[0].value
        return Step(
            session_id=session_id,
            done=False,
            prompt=payload["prompt"],
            question_id=payload["question_id"],
            kind=payload["kind"],
            question_number=payload["question_number"],
            total_questions=payload["total_questions"],
            answered=answered,
        )

    def answer(self, session_id: str, text: str) -> Step:
        """Submit the candidate's answer to the pending prompt; return the next step.

        An answer over :data:`MAX_ANSWER_CHARS` raises :class:`AnswerTooLongError` and changes
        nothing, so the candidate can answer again.
        """
        if len(text) > MAX_ANSWER_CHARS:
            raise AnswerTooLongError(len(text), MAX_ANSWER_CHARS)
        if self.current(session_id).done:
            raise UserError(f"session {session_id} has ended")
        self.graph.invoke(
            Command(resume={"answer": text}), self._config(session_id), durability="sync"
        )
        return self.current(session_id)

    def end(self, session_id: str) -> Step:
        """End the session now (the candidate left, or input ended) and build the report."""
        if not self.current(session_id).done:
            self.graph.invoke(
                Command(resume=END_SESSION), self._config(session_id), durability="sync"
            )
        return self.current(session_id)

    def delete(self, session_id: str) -> None:
        """Erase a session and its transcript from the checkpoint database (data retention)."""
        self.current(session_id)  # SessionNotFoundError for an unknown id
        checkpointer = self.graph.checkpointer
        assert isinstance(checkpointer, BaseCheckpointSaver)
        checkpointer.delete_thread(session_id)

    def _values(self, session_id: str) -> dict[str, Any]:
        values: dict[str, Any] = self.graph.get_state(self._config(session_id)).values
        return values

    @staticmethod
    def _config(session_id: str) -> Any:
        return {"configurable": {"thread_id": session_id}}
