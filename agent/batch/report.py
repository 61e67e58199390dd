"""Per-candidate reports of a grades file: a CSV summary and a ranked HTML report.

Both read the grades file written by :mod:`.runner` (so they can be rebuilt without grading).
A candidate's ``overall`` is the mean of their scored answers on the 1-5 scale; ``overall_pct``
places every answer on its own question's scale (0% the bottom, 100% the top) and averages
those, so take-home questions scored 0-10 and bank questions scored 1-5 weigh the same. The
tourist flag and its reasons are :func:`~agent.grading.tourist.tourist_flag` over the candidate's
verdicts. Candidates are ranked by ``overall_pct``, then ``overall``.

The HTML report escapes every piece of candidate text (ids, answers, quotes, flags) and
every other string too; it has no scripts and loads nothing. No cell of the CSV starts like a
spreadsheet formula (:func:`~agent._escape.csv_cell`). Both files replace the old ones only once
complete, so a full disk leaves the previous report in place.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from .._constants import MAX_ANSWER_CHARS
from .._escape import csv_cell
from .._models import COMPETENCIES, TouristFlag, Verdict
from ..bank import QuestionBank
from ..grading.tourist import tourist_flag
from .inputs import AnswerRow, read_answers
from .output import read_rows, replace_text


@dataclass
class Graded:
    """One graded answer of a candidate."""

    question_id: str
    competency: str
    score: int | None  # on the question's scale
    scale: tuple[int, int]
    verdict: Verdict

    @property
    def position(self) -> float | None:
        """Where the score sits on the question's scale, 0..1."""
        if self.score is None:
            return None
        low, high = self.scale
        return (self.score - low) / (high - low)


@dataclass
class Candidate:
    """Everything the reports say about one candidate."""

    candidate_id: str
    answers: list[Graded] = field(default_factory=list)

    @property
    def scored(self) -> list[Graded]:
        return [a for a in self.answers if a.verdict.score is not None]

    @property
    def overall(self) -> float | None:
        """Mean 1-5 score of the scored answers."""
        scores = [a.verdict.score for a in self.answers if a.verdict.score is not None]
        return round(mean(scores), 2) if scores else None

    @property
    def overall_pct(self) -> float | None:
        """Mean position on each question's own scale, in percent."""
        places = [a.position for a in self.answers if a.position is not None]
        return round(100 * mean(places), 1) if places else None

    @property
    def unscored(self) -> int:
        return sum(a.verdict.score is None for a in self.answers)

    def competencies(self) -> dict[str, float]:
        """Mean 1-5 score per competency."""
        by: dict[str, list[int]] = defaultdict(list)
        for a in self.answers:
            if a.verdict.score is not None:
                by[a.competency].append(a.verdict.score)
        return {c: round(mean(s), 2) for c, s in sorted(by.items())}

    def kinds(self) -> str:
        """How the answers were graded: "experience 2; answer-key 3"."""
        counts = Counter(a.verdict.question_kind or "experience" for a in self.answers)
        return "; ".join(f"{kind} {n}" for kind, n in sorted(counts.items(), reverse=True))

    def flag(self) -> TouristFlag:
        tracks = {a.question_id: _TRACK_OF.get(a.competency, "") for a in self.answers}
        return tourist_flag([a.verdict for a in self.answers], tracks=tracks)


_HOW = {
    "answer-key": "an answer-key question: agreement with the reference (no tourist flag)",
    "experience": "an experience question: evidence rules and the tourist flag",
}
_TRACK_OF = {c: track for track, competencies in COMPETENCIES.items() for c in competencies}


def load_candidates(grades: Path) -> list[Candidate]:
    """The candidates of a grades file, ranked best first."""
    by_id: dict[str, Candidate] = {}
    for row in read_rows(grades):
        verdict = Verdict.model_validate(row["verdict"])
        scale = row.get("scale") or {"min": 1, "max": 5}
        graded = Graded(
            question_id=row["question_id"],
            competency=str(row.get("competency") or "other"),
            score=row.get("score"),
            scale=(int(scale["min"]), int(scale["max"])),
            verdict=verdict,
        )
        candidate = by_id.setdefault(row["candidate_id"], Candidate(row["candidate_id"]))
        candidate.answers.append(graded)
    for candidate in by_id.values():
        candidate.answers.sort(key=lambda a: a.question_id)
    return sorted(by_id.values(), key=_rank_key)


def _rank_key(c: Candidate) -> tuple[float, float, str]:
    pct = c.overall_pct if c.overall_pct is not None else -1.0
    overall = c.overall if c.overall is not None else -1.0
    return (-pct, -overall, c.candidate_id)


#: What re-running does after a report could not be written.
REWRITE = "run the same command again: every answer graded so far is kept, none is graded twice"


def write_summary(path: Path, grades: Path) -> list[Candidate]:
    """One CSV row per candidate, ranked: overall, per-competency means, tourist flag, reasons.

    Every cell goes through :func:`~agent._escape.csv_cell`, so a candidate id or a competency
    that starts like a formula is text in a spreadsheet. The file replaces the old one only once
    it is complete; a failure is one :class:`~agent._errors.OutputError`.
    """
    candidates = load_candidates(grades)
    competencies = sorted({c for cand in candidates for c in cand.competencies()})
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)

    def write(cells: list[object]) -> None:
        writer.writerow([csv_cell(cell) for cell in cells])

    head = ["rank", "candidate_id", "overall", "overall_pct", "answered", "unscored"]
    write([*head, *competencies, "graded_as", "tourist", "reasons"])
    for rank, cand in enumerate(candidates, 1):
        comps = cand.competencies()
        flag = cand.flag()
        write(
            [
                rank,
                cand.candidate_id,
                "" if cand.overall is None else f"{cand.overall:.2f}",
                "" if cand.overall_pct is None else f"{cand.overall_pct:.1f}",
                len(cand.answers),
                cand.unscored,
                *("" if c not in comps else f"{comps[c]:.2f}" for c in competencies),
                cand.kinds(),
                "n/a" if not flag.applicable else "true" if flag.flagged else "false",
                " | ".join(flag.reasons),
            ]
        )
    replace_text(path, buffer.getvalue(), "--summary", REWRITE)
    return candidates


def _answers_of(
    answers: Path | None, bank: QuestionBank, max_chars: int
) -> dict[tuple[str, str], str]:
    if answers is None:
        return {}
    return {
        (row.candidate_id, row.question_id): row.answer
        for row in read_answers(answers, bank, max_chars=max_chars)
        if isinstance(row, AnswerRow)
    }


_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#f4f4f4}.num{text-align:right}
.flag{color:#a40000;font-weight:600}.ok{color:#2a6b2a}section{border-top:2px solid #333;
margin-top:2rem}blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid #9bc}
.answer{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.5rem}
.muted{color:#666}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_html(
    candidates: Iterable[Candidate],
    bank: QuestionBank,
    answers: dict[tuple[str, str], str],
    *,
    title: str = "Candidate report",
) -> str:
    """The HTML report: a ranked table, then one section per candidate."""
    ranked = list(candidates)
    comps = sorted({c for cand in ranked for c in cand.competencies()})
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{len(ranked)} candidates, ranked by the mean position of their scores '
        "on each question's scale. The report recommends; the human decides.</p>",
        "<table><thead><tr><th>#</th><th>candidate</th><th class=num>overall (1-5)</th>"
        "<th class=num>% of scale</th>"
        + "".join(f"<th class=num>{_e(c)}</th>" for c in comps)
        + "<th>tourist</th><th class=num>unscored</th><th class=num>injection</th></tr></thead>"
        "<tbody>",
    ]
    for rank, cand in enumerate(ranked, 1):
        flag = cand.flag()
        competencies = cand.competencies()
        injections = sum(a.verdict.injection for a in cand.answers)
        out.append(
            f'<tr><td>{rank}</td><td><a href="#c{rank}">{_e(cand.candidate_id)}</a></td>'
            f"<td class=num>{_e(_fmt(cand.overall))}</td>"
            f"<td class=num>{_e(_fmt(cand.overall_pct))}</td>"
            + "".join(f"<td class=num>{_e(_fmt(competencies.get(c)))}</td>" for c in comps)
            + f"<td>{_flag_cell(flag)}</td><td class=num>{cand.unscored}</td>"
            f"<td class=num>{injections}</td></tr>"
        )
    out.append("</tbody></table>")
    for rank, cand in enumerate(ranked, 1):
        out += _candidate_section(rank, cand, bank, answers)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _flag_cell(flag: TouristFlag) -> str:
    if not flag.applicable:
        return '<span class="muted">n/a</span>'
    if flag.flagged:
        return '<span class="flag">flagged</span>'
    return '<span class="ok">no</span>'


def _candidate_section(
    rank: int, cand: Candidate, bank: QuestionBank, answers: dict[tuple[str, str], str]
) -> list[str]:
    flag = cand.flag()
    out = [
        f'<section id="c{rank}"><h2>{rank}. {_e(cand.candidate_id)}</h2>',
        f"<p>overall {_e(_fmt(cand.overall))} on 1-5, {_e(_fmt(cand.overall_pct))}% of scale; "
        f"tourist: {_flag_cell(flag)}; unscored: {cand.unscored}</p>",
        "<ul>" + "".join(f"<li>{_e(r)}</li>" for r in flag.reasons) + "</ul>",
    ]
    for graded in cand.answers:
        verdict = graded.verdict
        question = bank.get(graded.question_id) if graded.question_id in bank else None
        low, high = graded.scale
        score = "unscored" if graded.score is None else f"{graded.score} on {low}-{high}"
        out.append(f"<h3>{_e(graded.question_id)}: {_e(score)}</h3>")
        if question is not None:
            out.append(f'<p class="muted">{_e(question.text)}</p>')
        if verdict.question_kind:
            out.append(f'<p class="muted">graded as {_e(_HOW[verdict.question_kind])}</p>')
        if verdict.unscored_reason:
            out.append(f'<p class="flag">unscored: {_e(verdict.unscored_reason)}</p>')
        answer = answers.get((cand.candidate_id, graded.question_id))
        if answer is not None:
            out.append(f'<div class="answer">{_e(answer)}</div>')
        if verdict.criteria:
            crits = ", ".join(f"{k} {v}" for k, v in verdict.criteria.items())
            out.append(f"<p>criteria (1-5): {_e(crits)}</p>")
        if verdict.key_points:
            out.append(
                "<table><thead><tr><th>key point of the reference</th><th>state</th>"
                "<th>where the answer makes it</th></tr></thead><tbody>"
            )
            for point in verdict.key_points:
                state = point.state + (f": {point.reason}" if point.reason else "")
                css = ' class="flag"' if point.state == "contradicted" else ""
                out.append(
                    f"<tr><td>{_e(point.point)}</td><td{css}>{_e(state)}</td>"
                    f"<td>{_e(point.quote or '-')}</td></tr>"
                )
            out.append("</tbody></table>")
        if verdict.claims:
            out.append("<p>measured claims (tied to a set or a method):</p>")
            out += [f"<blockquote>{_e(c)}</blockquote>" for c in verdict.claims]
        other = [e for e in verdict.evidence if e.quote not in verdict.claims]
        if other:
            out.append("<p>other evidence quoted from the answer:</p>")
            out += [f"<blockquote>{_e(e.quote)}</blockquote>" for e in other]
        notes = list(verdict.flags)
        notes += [f"injection attempt: {q}" for q in verdict.injection_quotes]
        if notes:
            out.append("<ul>" + "".join(f'<li class="flag">{_e(n)}</li>' for n in notes) + "</ul>")
        if verdict.explanation:
            items = "".join(f"<li>{_e(x)}</li>" for x in verdict.explanation)
            out.append(f'<details><summary>why</summary><ul class="muted">{items}</ul></details>')
    out.append("</section>")
    return out


def write_html(
    path: Path,
    grades: Path,
    bank: QuestionBank,
    answers: Path | None = None,
    *,
    max_chars: int = MAX_ANSWER_CHARS,
) -> list[Candidate]:
    """Write the HTML report of ``grades`` (with the answers of ``answers`` when given)."""
    candidates = load_candidates(grades)
    text = render_html(candidates, bank, _answers_of(answers, bank, max_chars))
    replace_text(path, text, "--html", REWRITE)
    return candidates
