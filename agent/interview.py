"""The interview as a LangGraph ``StateGraph``, checkpointed in SQLite or PostgreSQL.

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

Changes to a session (answer, end, delete) hold that session's lock: a lock per session in this
process for SQLite, a PostgreSQL advisory lock shared by every process for PostgreSQL, so two
servers on one database never resume the same checkpoint twice. A run that stopped between two
steps (the process was killed mid-answer, or grading raised) is finished, under the lock, by the
next call that reads the session; its answer is not lost.

An answer may carry an id chosen by the client (one per answer, the same when it is sent again).
The id is saved in the same checkpoint as the answer, so a repeat, after a reply that never
arrived or a restart, or through another process on the same database, returns where the
session stands instead of recording the answer twice.

A full disk, a read-only path, a locked or damaged database raise one
:class:`agent._errors.DatabaseError` line naming the file (nothing is lost).
"""

from __future__ import annotations

import functools
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypedDict, TypeVar

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt

from ._constants import MAX_ANSWER_CHARS
from ._database import (
    SQLITE_BUSY_TIMEOUT,
    advisory_lock,
    connection_pool,
    database_errors,
    parse_database_url,
    redact_url,
    require_postgres,
)
from ._errors import AnswerTooLongError, SessionNotFoundError, UserError
from ._models import ClaimCheck, EvidenceKind, Report, Turn, Verdict
from .bank import QuestionBank, load_bank
from .grading.base import Grader, get_grader, grade_blocking, run_blocking
from .grading.claim_probes import (
    ClaimProbe,
    apply_checks,
    check_reply,
    claim_to_probe,
    size_probe,
)
from .grading.evidence import is_empty
from .grading.normalise import plain_text
from .grading.tourist import last_answer_clashes
from .report import build_report

#: Resume value that ends the session early (end of input, or the candidate leaves).
END_SESSION = {"end": True}

#: Makes a context manager that holds one session's lock: ``lock(session_id)``.
SessionLock = Callable[[str], AbstractContextManager[None]]

_P = ParamSpec("_P")
_R = TypeVar("_R")


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
    claim_probes: dict[str, dict[str, Any]]
    claim_checks: dict[str, list[dict[str, Any]]]
    verdicts: dict[str, dict[str, Any]]
    spent: list[dict[str, Any]]
    ended_early: bool
    report: dict[str, Any] | None
    answer_ids: dict[str, int]  # client answer id -> its turn's index in the transcript


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


@dataclass(frozen=True)
class SessionSummary:
    """One line of the session list: where a session stands, and its headline figures."""

    session_id: str
    track: str
    status: Literal["in progress", "complete", "ended-early"]
    answered: int
    total_questions: int
    last_activity: str  # ISO 8601, UTC: the session's newest checkpoint
    overall: float | None = None
    tourist: bool | None = None  # None while in progress, or when the flag was not judged


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
            "claim_probes": {},
            "claim_checks": {},
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
        update: dict[str, Any] = {"transcript": [*state["transcript"], turn]}
        answer_id = reply.get("answer_id") if isinstance(reply, dict) else None
        if answer_id:  # saved with the answer, in the same checkpoint
            ids = dict(state.get("answer_ids") or {})
            ids[str(answer_id)] = len(state["transcript"])
            update["answer_ids"] = ids
        return update

    def after_ask(state: InterviewState) -> str:
        return "report" if state.get("ended_early") else "grade"

    def grade(state: InterviewState) -> dict[str, Any]:
        pending = state["pending"]
        assert pending is not None
        qid = pending["question_id"]
        answers = [t["answer"] for t in state["transcript"] if t["question_id"] == qid]
        combined = "\n\n".join(a for a in answers if a.strip())
        verdict = grade_blocking(graders(state["provider"]), bank.get(qid), combined)
        checks = state.get("claim_checks", {})
        mine = list(checks.get(qid, []))
        if pending.get("claim"):  # the reply to a claim probe, read against the claim
            check = check_reply(ClaimProbe.from_state(pending["claim"]), answers[-1])
            mine.append({"check": check.model_dump(mode="json"), "reply": answers[-1]})
        if pending["kind"] == "probe" and qid in state["verdicts"]:
            before = Verdict.model_validate(state["verdicts"][qid])
            weakened = pending.get("claim") and mine[-1]["check"]["outcome"] == "weakened"
            # A reply that did not back the claim adds nothing, whatever figures it gives.
            verdict = hold_without_new_evidence(before, verdict, "" if weakened else answers[-1])
        verdict = apply_checks(
            verdict,
            [ClaimCheck.model_validate(c["check"]) for c in mine],
            [c["reply"] for c in mine],
        )
        spent = state.get("spent", [])
        if verdict.usage is not None:  # every grading call counts, even when a probe regrades
            spent = [*spent, verdict.usage.model_dump(mode="json")]
        return {
            "verdicts": {**state["verdicts"], qid: verdict.model_dump(mode="json")},
            "claim_checks": {**checks, qid: mine},
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
        claim_probes = state.get("claim_probes", {})
        used = len(asked) + (qid in claim_probes)
        question = bank.get(qid)
        answers = "\n\n".join(t["answer"] for t in state["transcript"] if t["question_id"] == qid)
        if used < state["max_followups"] and not declined and pending["kind"] == "question":
            # A figure with no method or set behind it: ask how it was measured first. Once a
            # figure fell apart when asked about, the candidate's other figures are asked about.
            doubted = any(
                c["check"]["outcome"] == "weakened"
                for mine in state.get("claim_checks", {}).values()
                for c in mine
            )
            earlier = [
                Verdict.model_validate(state["verdicts"][q])
                for q in state["question_ids"][: state["position"]]
                if q in state["verdicts"]
            ]
            # the same two sizes are never asked about twice, in either order
            asked_sizes = [frozenset(p["sizes"]) for p in claim_probes.values() if p.get("sizes")]
            clash = last_answer_clashes([*earlier, verdict], asked_sizes)
            # one set, two sizes: ask which, before any other figure
            claim = (
                size_probe(clash.sentence, clash.set_words, clash.earlier, clash.now)
                if clash is not None
                else claim_to_probe(last_answer, doubted=doubted)
            )
            if claim is not None:
                focus = (
                    f"why the {clash.set_words} was {clash.earlier:,} items in the answer to "
                    f'"{bank.get(clash.earlier_question).text}" and {clash.now:,} here'
                    if clash is not None
                    else f"how the {claim.figure} was measured, on what, and against what"
                )
                text = run_blocking(
                    graders(state["provider"]).phrase_probe(
                        question, claim.prompt, [focus], answers
                    )
                )
                return {
                    "pending": {
                        "question_id": qid,
                        "kind": "probe",
                        "probe": None,
                        "claim": claim.as_state(),
                        "prompt": text,
                    },
                    "claim_probes": {**claim_probes, qid: claim.as_state()},
                }
        if used < state["max_followups"] and not declined and verdict.missing:
            probe = _choose_probe(bank, qid, verdict.missing, asked)
            if probe is not None:
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


_MEASURED_KINDS = frozenset({EvidenceKind.QUANTITY, EvidenceKind.BEFORE_AFTER})


def _folded(text: str) -> str:
    return " ".join(text.split())


def hold_without_new_evidence(before: Verdict, after: Verdict, probe_answer: str) -> Verdict:
    """The regraded verdict, held at the earlier score unless the probe's answer added evidence.

    A follow-up answer ("yes, it was carefully measured and the results were significant") adds
    words the rubric looks for without adding a figure; it must not lift an answer held below
    the bar. New evidence is a measured figure or a claim the verdict quotes from the follow-up.
    """
    if before.score is None or after.score is None or after.score <= before.score:
        return after
    quotes = [e.quote for e in after.evidence if e.kind in _MEASURED_KINDS] + after.claims
    said = _folded(plain_text(probe_answer))  # the verdict quotes the text as graders read it
    if any(quote and _folded(quote) in said for quote in quotes):
        return after
    criteria = {c: min(s, before.criteria.get(c, s)) for c, s in after.criteria.items()}
    held = f"the follow-up answer added no measured evidence, so the score stays at {before.score}"
    return after.model_copy(
        update={
            "score": before.score,
            "criteria": criteria,
            "missing": [c for c, s in criteria.items() if s <= 2],
            "explanation": [*after.explanation, held],
        }
    )


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


class _ThreadLocks:
    """One lock per session id, for the threads of this process (the SQLite default)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, list[int]]] = {}

    @contextmanager
    def __call__(self, session_id: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.setdefault(session_id, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if not users[0]:
                    del self._locks[session_id]


def _settled(snapshot: Any) -> bool:
    """Whether a checkpoint is at rest: waiting at the interrupt, or finished with a report."""
    return bool(snapshot.values.get("report")) or any(t.interrupts for t in snapshot.tasks)


def _database_failures(
    method: Callable[Concatenate[Interview, _P], _R],
) -> Callable[Concatenate[Interview, _P], _R]:
    """Make a database failure inside ``method`` one :class:`DatabaseError` naming the file."""

    @functools.wraps(method)
    def translated(self: Interview, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with database_errors(self.location):
            return method(self, *args, **kwargs)

    return translated


class Interview:
    """Runs screening sessions: start one, answer it turn by turn, read its report.

    Front ends (terminal chat, web) only call these methods. ``session_lock`` serialises changes
    to one session (default: a lock per session in this process; :meth:`open_url` passes a
    PostgreSQL advisory lock shared by every process on the database). ``location`` (the SQLite
    file or database URL) names the database in :class:`agent._errors.DatabaseError` messages.
    """

    def __init__(
        self,
        checkpointer: BaseCheckpointSaver[Any],
        bank: QuestionBank | None = None,
        graders: Callable[[str], Grader] | None = None,
        *,
        session_lock: SessionLock | None = None,
        location: Path | str = "the session database",
    ) -> None:
        self.location = location
        self.bank = bank or load_bank()
        self._graders: dict[str, Grader] = {}
        self._make_grader = graders or get_grader
        self.graph = build_graph(self.bank, self._grader).compile(checkpointer=checkpointer)
        self._session_lock: SessionLock = session_lock or _ThreadLocks()
        self._held = threading.local()

    def _grader(self, spec: str) -> Grader:
        if spec not in self._graders:
            self._graders[spec] = self._make_grader(spec)
        return self._graders[spec]

    @classmethod
    @contextmanager
    def open(cls, db_path: Path | str, **kwargs: Any) -> Iterator[Interview]:
        """An interview runner whose sessions live in the SQLite file ``db_path``.

        A file that cannot be created, opened or written raises
        :class:`agent._errors.DatabaseError`.
        """
        path = Path(db_path)
        with database_errors(path, os_errors=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT)
            try:
                saver = SqliteSaver(conn)
                saver.setup()
            except BaseException:
                conn.close()
                raise
        try:
            yield cls(saver, location=path, **kwargs)
        finally:
            conn.close()

    @classmethod
    @contextmanager
    def open_url(cls, url: str, **kwargs: Any) -> Iterator[Interview]:
        """An interview runner on a database URL: ``sqlite:///PATH`` (as :meth:`open`) or
        ``postgresql://USER:PASS@HOST:PORT/DB``, which several processes can share.

        PostgreSQL needs the ``postgres`` extra (:class:`agent.MissingDependencyError` names
        it); its tables are created on first use.
        """
        target = parse_database_url(url)
        if isinstance(target, Path):
            with cls.open(target, **kwargs) as interview:
                yield interview
            return
        feature = "PostgreSQL (postgresql:// URLs)"
        require_postgres(feature)
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row

        # The saver uses one connection at a time; each session lock held holds one more.
        pool = connection_pool(target, feature=feature, max_size=8, row_factory=dict_row)
        try:
            saver = PostgresSaver(pool)
            with (
                database_errors(target),
                advisory_lock(pool, "checkpoint-schema", poll=0.1),  # instances starting at once
            ):
                saver.setup()
            lock = functools.partial(advisory_lock, pool)
            yield cls(saver, session_lock=lock, location=redact_url(target), **kwargs)
        finally:
            pool.close()

    @_database_failures
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
        with self._locked(session_id):
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

    @_database_failures
    def current(self, session_id: str) -> Step:
        """The session's pending prompt, or its report if it has ended.

        If the session is between two steps, this waits for whoever is answering it (another
        thread or process); if nobody is (that run was killed, or grading raised), it finishes
        that run first, so the answer it was given is kept.
        """
        snapshot = self.graph.get_state(self._config(session_id))
        if snapshot.values and not _settled(snapshot):
            with self._locked(session_id):
                snapshot = self._settle(session_id)
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

    @_database_failures
    def answer(self, session_id: str, text: str, *, answer_id: str | None = None) -> Step:
        """Submit the candidate's answer to the pending prompt; return the next step.

        An answer over :data:`MAX_ANSWER_CHARS` raises :class:`AnswerTooLongError` and changes
        nothing, so the candidate can answer again.

        ``answer_id`` (chosen by the client, one per answer) is saved with the answer: sending
        the same id again returns where the session stands now and records nothing, even after
        a restart or through another process on the same database.
        """
        if len(text) > MAX_ANSWER_CHARS:
            raise AnswerTooLongError(len(text), MAX_ANSWER_CHARS)
        with self._locked(session_id):
            step = self.current(session_id)  # also finishes a run cut off after its save
            if answer_id is not None and answer_id in self.answer_ids(session_id):
                return step
            if step.done:
                raise UserError(f"session {session_id} has ended")
            reply: dict[str, str] = {"answer": text}
            if answer_id is not None:
                reply["answer_id"] = answer_id
            self.graph.invoke(Command(resume=reply), self._config(session_id), durability="sync")
            return self.current(session_id)

    @_database_failures
    def answer_ids(self, session_id: str) -> dict[str, int]:
        """The client answer ids recorded in this session, each with its turn's index."""
        return dict(self._values(session_id).get("answer_ids") or {})

    @_database_failures
    def end(self, session_id: str) -> Step:
        """End the session now (the candidate left, or input ended) and build the report."""
        with self._locked(session_id):
            if not self.current(session_id).done:
                self.graph.invoke(
                    Command(resume=END_SESSION), self._config(session_id), durability="sync"
                )
            return self.current(session_id)

    @_database_failures
    def sessions(self) -> list[SessionSummary]:
        """Every session in the database, the most recently active first."""
        checkpointer = self.graph.checkpointer
        assert isinstance(checkpointer, BaseCheckpointSaver)
        latest: dict[str, str] = {}
        for saved in checkpointer.list(None):
            thread = saved.config["configurable"]["thread_id"]
            ts = saved.checkpoint["ts"]
            if ts > latest.get(thread, ""):
                latest[thread] = ts
        summaries = []
        for thread, ts in sorted(latest.items(), key=lambda item: item[1], reverse=True):
            values = self._values(thread)
            if not values.get("question_ids"):
                continue  # a session that never finished starting
            report = Report.model_validate(values["report"]) if values.get("report") else None
            summaries.append(
                SessionSummary(
                    session_id=thread,
                    track=values.get("track", ""),
                    status=report.status if report else "in progress",
                    answered=len({t["question_id"] for t in values.get("transcript", [])}),
                    total_questions=len(values["question_ids"]),
                    last_activity=ts,
                    overall=report.overall if report else None,
                    tourist=report.tourist.flagged
                    if report and report.tourist.applicable
                    else None,
                )
            )
        return summaries

    @_database_failures
    def delete(self, session_id: str) -> None:
        """Erase a session and its transcript from the checkpoint database (data retention)."""
        with self._locked(session_id):
            self.current(session_id)  # SessionNotFoundError for an unknown id
            checkpointer = self.graph.checkpointer
            assert isinstance(checkpointer, BaseCheckpointSaver)
            checkpointer.delete_thread(session_id)

    @_database_failures
    def transcript(self, session_id: str) -> list[Turn]:
        """The exchanges so far (prompt and answer, oldest first), in progress or finished.

        Raises :class:`agent.SessionNotFoundError` for an unknown session.
        """
        values = self._values(session_id)
        if not values:
            raise SessionNotFoundError(f"no session {session_id!r} in this database")
        return [Turn.model_validate(turn) for turn in values.get("transcript") or []]

    @contextmanager
    def _locked(self, session_id: str) -> Iterator[None]:
        """Hold the session's lock (reentrant within a thread)."""
        held: set[str] | None = getattr(self._held, "ids", None)
        if held is None:
            held = self._held.ids = set()
        if session_id in held:
            yield
            return
        with self._session_lock(session_id):
            held.add(session_id)
            try:
                yield
            finally:
                held.discard(session_id)

    def _settle(self, session_id: str) -> Any:
        """The session's state at rest, finishing a run that stopped between steps (held lock)."""
        config = self._config(session_id)
        snapshot = self.graph.get_state(config)
        if snapshot.values and not _settled(snapshot):
            self.graph.invoke(None, config, durability="sync")
            snapshot = self.graph.get_state(config)
            if not _settled(snapshot):  # pragma: no cover - the graph always reaches ask or END
                raise RuntimeError(f"session {session_id} did not reach a prompt or a report")
        return snapshot

    def _values(self, session_id: str) -> dict[str, Any]:
        values: dict[str, Any] = self.graph.get_state(self._config(session_id)).values
        return values

    @staticmethod
    def _config(session_id: str) -> Any:
        return {"configurable": {"thread_id": session_id}}
