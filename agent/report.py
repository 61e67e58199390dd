"""The hiring manager's report: building it from a session, and rendering it as Markdown.

The report recommends; the human decides. Every score comes with the evidence quoted from the
transcript, the follow-ups asked, and the reasons behind the prompt-tourist flag.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Mapping, Sequence
from statistics import mean
from typing import TYPE_CHECKING, Any, Protocol

from ._escape import markdown_text as _md
from ._models import GraderInfo, QuestionResult, Report, TokenUsage, TouristFlag, Turn, Verdict
from .bank import QuestionBank
from .grading.claim_probes import claims_to_verify

if TYPE_CHECKING:
    from .review import ReviewEntry, SessionReview
from .grading.tourist import tourist_flag


def build_report(
    bank: QuestionBank,
    *,
    session_id: str,
    track: str,
    transcript: Sequence[Mapping[str, Any]],
    verdicts: Mapping[str, Mapping[str, Any]],
    ended_early: bool,
    grader: GraderInfo,
    planned: int | None = None,
    spent: Sequence[Mapping[str, Any]] | None = None,
) -> Report:
    """Assemble the report of one session from its transcript and per-question verdicts."""
    turns = [Turn.model_validate(t) for t in transcript]
    results: list[QuestionResult] = []
    for qid, data in verdicts.items():
        question = bank.get(qid)
        results.append(
            QuestionResult(
                question_id=qid,
                competency=question.competency,
                text=question.text,
                verdict=Verdict.model_validate(data),
                followups=[t.prompt for t in turns if t.question_id == qid and t.kind == "probe"],
            )
        )
    scored = [r for r in results if r.verdict.score is not None]
    by_competency: dict[str, list[int]] = defaultdict(list)
    for r in scored:
        assert r.verdict.score is not None
        by_competency[r.competency].append(r.verdict.score)
    overall = round(mean(r.verdict.score for r in scored if r.verdict.score), 2) if scored else None
    tracks = {r.question_id: bank.get(r.question_id).track for r in results}
    flag = tourist_flag([r.verdict for r in results], planned, tracks)
    injections = [q for r in results for q in r.verdict.injection_quotes]
    return Report(
        unscored=[r.question_id for r in results if r.verdict.score is None],
        degraded=any(r.verdict.degraded for r in results),
        usage=total_usage([TokenUsage.model_validate(u) for u in spent])
        if spent is not None
        else total_usage([r.verdict.usage for r in results if r.verdict.usage is not None]),
        session_id=session_id,
        track=track,
        status="ended-early" if ended_early else "complete",
        planned=planned,
        overall=overall,
        competencies={c: round(mean(s), 2) for c, s in by_competency.items()},
        questions=results,
        tourist=flag,
        injection_attempts=injections,
        recommendation=_recommend(
            overall,
            flag.flagged,
            bool(injections),
            len(results),
            ended_early and not flag.applicable,
        ),
        transcript=turns,
        grader=grader,
        to_verify=claims_to_verify([r.verdict for r in results]),
    )


def total_usage(used: Sequence[TokenUsage]) -> TokenUsage:
    """Tokens, calls, cache hits and dollars summed (cost None if any part is unknown)."""
    costs = [u.cost_usd for u in used]
    return TokenUsage(
        input_tokens=sum(u.input_tokens for u in used),
        output_tokens=sum(u.output_tokens for u in used),
        cache_read_tokens=sum(u.cache_read_tokens for u in used),
        cache_write_tokens=sum(u.cache_write_tokens for u in used),
        cost_usd=None if any(c is None for c in costs) else round(sum(c or 0 for c in costs), 6),
        calls=sum(u.calls for u in used),
        cache_hits=sum(u.cache_hits for u in used),
    )


def _recommend(
    overall: float | None, tourist: bool, injection: bool, answered: int, too_short: bool
) -> str:
    if answered == 0 or overall is None:
        text = "No answers to assess; reschedule or decline."
    elif too_short:
        text = (
            f"The interview ended after {answered} answer(s), too few to judge; invite the "
            "candidate to finish before deciding."
        )
    elif tourist:
        text = "Do not advance on this evidence: answers were not backed by concrete figures."
    elif overall >= 3.5:
        text = "Advance to a technical interview: answers were backed by measured evidence."
    else:
        text = "Borderline: read the quoted evidence before deciding."
    if injection:
        text += " The candidate's text addressed the grader; review the flagged passages."
    return text + " This report recommends; the hiring manager decides."


def flag_word(flag: TouristFlag) -> str:
    """YES, no, or not judged (the reasons say why)."""
    return "not judged" if not flag.applicable else "YES" if flag.flagged else "no"


def _dollars(cost: float | None) -> str:
    return "unknown (model not in the price table)" if cost is None else f"${cost:.4f}"


class WritingSignals(Protocol):
    """How an answer was written, as the candidate's page measured it (never graded)."""

    @property
    def first_key_ms(self) -> int | None: ...
    @property
    def submit_ms(self) -> int | None: ...
    @property
    def pasted_chars(self) -> int: ...
    @property
    def answer_chars(self) -> int: ...
    @property
    def focus_changes(self) -> int: ...
    @property
    def pasted_whole(self) -> bool: ...


def render_markdown(
    report: Report,
    review: SessionReview | None = None,
    signals: Mapping[int, WritingSignals] | None = None,
) -> str:
    """The report as Markdown; every string from the session, the bank or a model is plain text.

    Candidate answers and quotes, model-phrased follow-ups and notes, ids and question texts
    all go through :func:`~agent._escape.markdown_text`: HTML escaped, Markdown inert. With
    ``review`` (see :mod:`agent.review`), people's scores and decision show beside the grader's,
    with who gave them, when and why; the grader's verdict is unchanged.
    """
    if review is not None and review.empty:
        review = None  # nothing reviewed: the report as the grader wrote it
    lines = [
        f"# Screening report: session {_md(report.session_id)}",
        "",
        f"- Track: {_md(report.track)}",
        f"- Status: {report.status}"
        + (
            f" ({len(report.questions)} of {report.planned} questions answered)"
            if report.planned and report.planned > len(report.questions)
            else ""
        ),
        f"- Overall: {report.overall if report.overall is not None else 'unscored'} / 5",
        f"- Prompt-tourist flag: **{flag_word(report.tourist)}**",
        f"- Grader: {_md(report.grader.name)} {_md(report.grader.version)}"
        + (" (degraded: a fallback grader took over for some answers)" if report.degraded else ""),
        *([f"- Unscored answers: {_md(', '.join(report.unscored))}"] if report.unscored else []),
        *(
            [
                f"- Model calls: {report.usage.calls} ({report.usage.cache_hits} from cache), "
                f"cost: {_dollars(report.usage.cost_usd)}"
            ]
            if report.usage.calls or report.usage.cache_hits
            else []
        ),
        "",
        f"**Recommendation.** {report.recommendation}",
        "",
        *_decision_lines(review),
        "## Prompt-tourist flag",
        "",
        *[f"- {_md(r)}" for r in report.tourist.reasons],
        *[f"  > {_md(q)}" for q in report.tourist.quotes],
        *_reviewed_line(review.tourist if review else None, tourist=True),
        "",
        "## Competencies",
        "",
        "| competency | score |",
        "|---|---|",
        *[f"| {_md(c)} | {s} |" for c, s in report.competencies.items()],
        "",
    ]
    if report.injection_attempts:
        lines += ["## Injection attempts (ignored by the grader)", ""]
        lines += [line for q in report.injection_attempts for line in (f"> {_md(q)}", "")]
    for r in report.questions:
        v = r.verdict
        lines += [
            f"## {_md(r.question_id)}: {_md(r.text)}",
            "",
            f"Score: **{v.score if v.score is not None else 'unscored'}** / 5 "
            f"({_md(r.competency)})",
            *_reviewed_line(review.score(r.question_id) if review else None),
            "",
            *_criteria_table(v.criteria, r.question_id, review),
            "",
        ]
        if r.followups:
            lines += ["Follow-ups asked:", *[f"- {_md(f)}" for f in r.followups], ""]
        for check in v.claim_checks:
            lines += [
                f"Claim probed ({_md(check.outcome)}): {_md(check.figure)}",
                f"> {_md(check.claim)}",
                f"- Asked: {_md(check.probe)}",
                *[f"- {_md(reason)}" for reason in check.reasons],
                "",
            ]
        if v.claims:
            lines += ["Measured claims (tied to a set or a method; worth probing):", ""]
            lines += [line for c in v.claims for line in (f"> {_md(c)}", "")]  # one quote each
        if v.evidence:
            lines.append("Evidence:")
            lines += [f"- {_md(e.note)}\n  > {_md(e.quote)}" for e in v.evidence]
            lines.append("")
        if v.flags:
            lines += ["Flags:", *[f"- {_md(f)}" for f in v.flags], ""]
        if v.explanation:
            lines += ["Why:", *[f"- {_md(x)}" for x in v.explanation], ""]
    if report.to_verify:
        lines += ["## Claims to verify in the next round", ""]
        for item in report.to_verify:
            lines += [
                f"- **{_md(item.question_id)}**: {_md(item.why)}",
                f"  > {_md(item.claim)}",
                f"  Ask: {_md(item.ask)}",
            ]
        lines.append("")
    if review is not None and (review.history or review.decisions):
        lines += ["## Review history", ""]
        for e in review.history:
            what = "tourist flag" if not e.question_id else f"{e.question_id} {e.item}"
            change = "accepted" if not e.changed else f"{e.grader} -> {e.human}"
            if not e.question_id:
                change = "accepted" if not e.changed else f"{bool(e.grader)} -> {bool(e.human)}"
            why = f": {_md(e.reason)}" if e.reason else ""
            lines.append(f"- {_md(e.at)} {_md(e.reviewer)}, {_md(what)} {change}{why}")
        for d in review.decisions:
            notes = f": {_md(d.notes)}" if d.notes else ""
            lines.append(f"- {_md(d.at)} {_md(d.reviewer)} decided **{_md(d.decision)}**{notes}")
        lines.append("")
    lines += ["## Transcript", ""]
    if signals:
        lines += [
            "Under each answer, how it was written, as the candidate's page measured it: signals "
            "to read beside the answer. They never change a score, and many have innocent causes.",
            "",
        ]
    for turn, t in enumerate(report.transcript):
        label = "Question" if t.kind == "question" else "Follow-up"
        lines += [f"**{label}:** {_md(t.prompt)}", "", f"> {_md(t.answer) or '(no answer)'}", ""]
        if signals and (sig := signals.get(turn)) is not None:
            lines += [f"*{signal_line(sig)}*", ""]
    return "\n".join(lines)


def signal_line(sig: WritingSignals) -> str:
    """One answer's signals in words: "Signals (never scored): first key after 4 s · ..."."""
    if sig.pasted_whole:
        pasted = f"pasted in one go ({sig.pasted_chars} of {sig.answer_chars} characters)"
    elif sig.pasted_chars:
        pasted = f"{sig.pasted_chars} of {sig.answer_chars} characters pasted"
    else:
        pasted = "typed"
    times = "time" if sig.focus_changes == 1 else "times"
    return (
        f"Signals (never scored): first key after {duration(sig.first_key_ms)} · sent after "
        f"{duration(sig.submit_ms)} · {pasted} · left the page {sig.focus_changes} {times}"
    )


def duration(ms: int | None) -> str:
    """Milliseconds as "45 s" or "3 min 4 s"; a dash when unknown."""
    if ms is None:
        return "\u2014"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _decision_lines(review: SessionReview | None) -> list[str]:
    if review is None:
        return []
    if review.decision is None:
        return ["**Decision.** None recorded yet.", ""]
    d = review.decision
    notes = f" Notes: {_md(d.notes)}" if d.notes else ""
    return [f"**Decision.** {_md(d.decision)}, by {_md(d.reviewer)} at {_md(d.at)}.{notes}", ""]


def _reviewed_line(entry: ReviewEntry | None, *, tourist: bool = False) -> list[str]:
    """A person's reading beside the grader's: "Reviewed by ...: 3 (grader 2): reason"."""
    if entry is None:
        return []
    if tourist:
        said = "a tourist" if entry.human else "not a tourist"
        verb = "agreed" if not entry.changed else "changed the flag"
        why = f": {_md(entry.reason)}" if entry.reason else ""
        return [f"- Reviewed by {_md(entry.reviewer)} ({verb}): {said}{why}"]
    grader = "unscored" if entry.grader is None else entry.grader
    why = f": {_md(entry.reason)}" if entry.reason else ""
    verb = "accepted" if not entry.changed else f"changed from {grader}"
    return ["", f"Reviewed by {_md(entry.reviewer)}: **{entry.human}** / 5 ({verb}){why}"]


def _criteria_table(
    criteria: dict[str, int], question_id: str, review: SessionReview | None
) -> list[str]:
    given = {c: review.score(question_id, c) for c in criteria} if review else {}
    if not any(given.values()):
        return [
            "| criterion | score |",
            "|---|---|",
            *[f"| {_md(c)} | {s} |" for c, s in criteria.items()],
        ]
    rows = []
    for c, s in criteria.items():
        entry = given.get(c)
        rows.append(f"| {_md(c)} | {s} | {'' if entry is None else entry.human} |")
    return ["| criterion | grader | reviewer |", "|---|---|---|", *rows]


_PAGE_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1f24}table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #c8ccd1;"
    "padding:.25rem .6rem;text-align:left}blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.8rem;"
    "border-left:3px solid #8a939c;color:#3d444d}h2{margin-top:2rem}"
)


def render_html(
    report: Report,
    review: SessionReview | None = None,
    signals: Mapping[int, WritingSignals] | None = None,
) -> str:
    """The report as one self-contained HTML page: :func:`render_markdown`, rendered.

    Every supplied string is already plain text in the Markdown (HTML escaped, Markdown inert),
    and the renderer passes no raw HTML through, so nothing a candidate wrote becomes markup.
    """
    from markdown_it import MarkdownIt

    body = (
        MarkdownIt("commonmark", {"html": False})
        .enable("table")
        .render(render_markdown(report, review))
    )
    title = html.escape(f"Screening report: session {report.session_id}")
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_PAGE_STYLE}</style></head><body>\n{body}</body></html>\n"
    )
