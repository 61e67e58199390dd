"""Fair and lawful use: self-reported demographics, the impact-ratio report, the candidate's
notice and explanation.

The figures follow New York City's Local Law 144 rules for automated employment decision
tools (6 RCNY 5-300 ff.): per sex, race/ethnicity and their intersections, the number
assessed, the *scoring rate* (share scoring above the median overall score of everyone
assessed) and the *selection rate* (share advanced by the human decision, of those decided),
each category's *impact ratio* (its rate over the highest category's), categories under 2% of
the data left out of the ratios (their counts still shown), and the number whose category is
unknown. A ratio under 0.8 is flagged: the EEOC's four-fifths rule reads it as evidence of
adverse impact. The report supplies an independent auditor with data; it is not the audit.

Demographics are given by the candidate after the last answer, or not at all. They live in
their own table, keyed by session, and are read only here, in aggregate: no grader, report or
per-candidate export sees them.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from statistics import median
from typing import TYPE_CHECKING

from ._constants import track_title
from ._errors import UserError
from ._escape import csv_cell

if TYPE_CHECKING:
    from ._models import Report
    from .web.store import AppStore

#: Sex categories (LL144 uses the EEO-1 component 1 categories), id -> label.
SEX = {"male": "Male", "female": "Female"}
#: Race/ethnicity categories (EEO-1), id -> label.
RACE = {
    "hispanic-latino": "Hispanic or Latino",
    "white": "White",
    "black": "Black or African American",
    "pacific-islander": "Native Hawaiian or Other Pacific Islander",
    "asian": "Asian",
    "native-american": "Native American or Alaska Native",
    "two-or-more": "Two or More Races",
}
UNKNOWN = "Unknown"
#: A category under this share of the data may be left out of the impact ratios.
MIN_SHARE = 0.02
#: Impact ratios below this are flagged (the four-fifths rule).
FOUR_FIFTHS = Fraction(4, 5)
#: Below this many candidates assessed, the report warns that the ratios move with one person.
SMALL = 50
#: The human decision that counts as selected, and the final ones (a candidate on hold is not
#: decided yet, and is in no selection rate).
SELECTED = "advance"
FINAL = frozenset({"advance", "reject"})
STATEMENT = (
    "This report supplies data for an independent bias audit of the screening tool. It is "
    "not itself a bias audit: an independent auditor must review the data, the method and "
    "the results."
)


@dataclass(frozen=True)
class Demographics:
    """What a candidate chose to say; None where they did not say."""

    sex: str | None = None
    race: str | None = None

    def __post_init__(self) -> None:
        if self.sex is not None and self.sex not in SEX:
            raise UserError(f"sex: expected one of {', '.join(SEX)} or nothing, got {self.sex!r}")
        if self.race is not None and self.race not in RACE:
            raise UserError(
                f"race: expected one of {', '.join(RACE)} or nothing, got {self.race!r}"
            )

    @property
    def empty(self) -> bool:
        """Declined on both: nothing is recorded."""
        return self.sex is None and self.race is None


@dataclass(frozen=True)
class Assessed:
    """One assessed candidate as the report counts them."""

    session_id: str
    overall: float
    decision: str | None
    demographics: Demographics = field(default_factory=Demographics)


@dataclass(frozen=True)
class Rate:
    """One rate of one category: the count in its numerator and denominator, and its ratio
    against the highest category (None when left out or when no category has a rate)."""

    hits: int
    of: int
    top: Fraction | None = None
    """The highest category's rate, exactly; None when this one is left out of the ratios."""

    @property
    def value(self) -> float | None:
        return self.hits / self.of if self.of else None

    @property
    def exact(self) -> Fraction | None:
        return Fraction(self.hits, self.of) if self.of else None

    @property
    def ratio(self) -> float | None:
        exact = self.exact
        return float(exact / self.top) if exact is not None and self.top else None

    @property
    def flagged(self) -> bool:
        """Under four-fifths of the highest rate, compared exactly (1/3 against 5/12 is 0.8)."""
        exact, top = self.exact, self.top
        return exact is not None and top is not None and top > 0 and exact / top < FOUR_FIFTHS


@dataclass(frozen=True)
class CategoryRow:
    """One category of one breakdown (sex, race/ethnicity, or sex x race/ethnicity)."""

    breakdown: str
    category: str
    assessed: int
    share: float
    scoring: Rate
    selection: Rate
    excluded: bool
    """Under :data:`MIN_SHARE` of the data: shown, but left out of the ratios."""
    unknown: bool = False


@dataclass(frozen=True)
class ImpactReport:
    assessed: int
    median: float | None
    decided: int
    rows: list[CategoryRow]
    min_share: float = MIN_SHARE

    def breakdown(self, name: str) -> list[CategoryRow]:
        return [r for r in self.rows if r.breakdown == name]

    @property
    def flagged(self) -> list[CategoryRow]:
        return [r for r in self.rows if r.scoring.flagged or r.selection.flagged]


BREAKDOWNS = ("sex", "race/ethnicity", "sex x race/ethnicity")


def impact_report(people: Sequence[Assessed], min_share: float = MIN_SHARE) -> ImpactReport:
    """The impact-ratio report over ``people`` (every assessed candidate)."""
    total = len(people)
    mid = median(p.overall for p in people) if people else None
    decided = sum(p.decision in FINAL for p in people)
    rows: list[CategoryRow] = []
    for name in BREAKDOWNS:
        groups: dict[str, list[Assessed]] = {label: [] for label in _labels(name)}
        groups[UNKNOWN] = []
        for person in people:
            groups[_category(name, person.demographics)].append(person)
        counted = []
        for label, members in groups.items():
            share = len(members) / total if total else 0.0
            scoring = Rate(
                sum(p.overall > mid for p in members) if mid is not None else 0, len(members)
            )
            chosen = [p for p in members if p.decision in FINAL]
            selection = Rate(sum(p.decision == SELECTED for p in chosen), len(chosen))
            unknown = label == UNKNOWN
            excluded = not unknown and share < min_share
            counted.append(
                CategoryRow(name, label, len(members), share, scoring, selection, excluded, unknown)
            )
        rows.extend(_with_ratios(counted))
    return ImpactReport(total, mid, decided, rows, min_share)


def _labels(breakdown: str) -> list[str]:
    if breakdown == "sex":
        return list(SEX.values())
    if breakdown == "race/ethnicity":
        return list(RACE.values())
    return [f"{s} x {r}" for s in SEX.values() for r in RACE.values()]


def _category(breakdown: str, who: Demographics) -> str:
    sex = SEX[who.sex] if who.sex else None
    race = RACE[who.race] if who.race else None
    if breakdown == "sex":
        return sex or UNKNOWN
    if breakdown == "race/ethnicity":
        return race or UNKNOWN
    return f"{sex} x {race}" if sex and race else UNKNOWN


def _with_ratios(rows: list[CategoryRow]) -> list[CategoryRow]:
    """Each rate's ratio against the highest rate among the categories in the ratios."""
    counted = [r for r in rows if not r.excluded and not r.unknown and r.assessed]
    out = []
    best = {
        kind: max((v for r in counted if (v := getattr(r, kind).exact) is not None), default=None)
        for kind in ("scoring", "selection")
    }
    for row in rows:
        rates = {}
        for kind in ("scoring", "selection"):
            rate: Rate = getattr(row, kind)
            top = best[kind] if row in counted else None
            rates[kind] = Rate(rate.hits, rate.of, top)
        out.append(
            CategoryRow(
                row.breakdown,
                row.category,
                row.assessed,
                row.share,
                rates["scoring"],
                rates["selection"],
                row.excluded,
                row.unknown,
            )
        )
    return out


def assessed_people(
    scores: Iterable[tuple[str, float | None]],
    decisions: Mapping[str, str],
    demographics: Mapping[str, Demographics],
) -> list[Assessed]:
    """Everyone assessed: (session id, overall score) of every finished session (unscored ones
    left out), with the current human decisions and the self-reported demographics."""
    return [
        Assessed(sid, overall, decisions.get(sid), demographics.get(sid, Demographics()))
        for sid, overall in scores
        if overall is not None
    ]


def store_impact(store: AppStore, reports: Iterable[Report]) -> ImpactReport:
    """The impact-ratio report over ``reports`` (every finished session, from the web or the
    terminal), with the decisions and demographics of the web database ``store``."""
    from .review import decisions

    people = assessed_people(
        ((r.session_id, r.overall) for r in reports),
        decisions(store),
        {str(sid): _stored(sex, race) for sid, sex, race in store.demographic_rows()},
    )
    return impact_report(people)


def _stored(sex: object, race: object) -> Demographics:
    """A stored answer; a value no longer among the categories counts as not given."""
    return Demographics(
        str(sex) if sex in SEX else None,
        str(race) if race in RACE else None,
    )


# --- output -----------------------------------------------------------------------------------

CSV_FIELDS = (
    "breakdown",
    "category",
    "assessed",
    "share_of_data",
    "scored_above_median",
    "scoring_rate",
    "scoring_impact_ratio",
    "decided",
    "advanced",
    "selection_rate",
    "selection_impact_ratio",
    "excluded_under_2_percent",
    "below_four_fifths",
)


def impact_csv(report: ImpactReport) -> str:
    """The report as CSV: a row per category of each breakdown (blank where undefined)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in report.rows:
        writer.writerow(
            [
                r.breakdown,
                csv_cell(r.category),
                r.assessed,
                f"{r.share:.4f}",
                r.scoring.hits,
                _num(r.scoring.value),
                _num(r.scoring.ratio),
                r.selection.of,
                r.selection.hits,
                _num(r.selection.value),
                _num(r.selection.ratio),
                "yes" if r.excluded else "no",
                "yes" if r.scoring.flagged or r.selection.flagged else "no",
            ]
        )
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def impact_tables_html(report: ImpactReport, min_cell: int = 0) -> str:
    """The report's tables as an HTML fragment (every value escaped), for the dashboard page
    and the standalone file; a category of fewer than ``min_cell`` candidates shows no rates."""
    mid = "none" if report.median is None else f"{report.median:.2f}"
    parts = [
        f'<p class="statement">{html.escape(STATEMENT)}</p>',
        "<p>",
        f"{report.assessed} candidates assessed (finished interviews with a score); median "
        f"overall score {mid}; {report.decided} advanced or rejected by a person. The scoring "
        "rate is the share scoring above that median; the selection rate is the share "
        "advanced, of those advanced or rejected (a candidate on hold is in neither). "
        f"Categories under {report.min_share:.0%} of the data are shown but left out of the "
        f"impact ratios; ratios under {float(FOUR_FIFTHS)} are flagged.",
        "</p>",
    ]
    if min_cell:
        parts.append(
            f'<p class="small-sample">Categories of fewer than {min_cell} candidates show no '
            "rates here, so that no one's answers can be told from the counts; the CSV and HTML "
            "downloads, for the auditor, have them all.</p>"
        )
    if report.assessed < SMALL:
        parts.append(
            f'<p class="small-sample">Fewer than {SMALL} candidates: one person more or less in '
            "a category moves its rates and ratios a lot; read the counts beside them.</p>"
        )
    for name in BREAKDOWNS:
        parts.append(f"<h2>By {html.escape(name)}</h2>")
        parts.append(
            '<table class="impact"><thead><tr><th scope="col">Category</th>'
            '<th scope="col">Assessed</th><th scope="col">Share</th>'
            '<th scope="col">Scoring rate</th><th scope="col">Impact ratio</th>'
            '<th scope="col">Decided</th><th scope="col">Selection rate</th>'
            '<th scope="col">Impact ratio</th></tr></thead><tbody>'
        )
        for r in report.breakdown(name):
            if not r.assessed and not r.unknown:
                continue
            note = f" (under {report.min_share:.0%}: not in the ratios)" if r.excluded else ""
            if r.assessed < min_cell:
                parts.append(
                    f'<tr><th scope="row">{html.escape(r.category)}{note}</th>'
                    f'<td colspan="7">fewer than {min_cell}: not shown here</td></tr>'
                )
                continue
            parts.append(
                f'<tr><th scope="row">{html.escape(r.category)}{note}</th>'
                f"<td>{r.assessed}</td><td>{r.share:.1%}</td>"
                f"<td>{_pct(r.scoring)}</td>{_ratio_cell(r.scoring)}"
                f"<td>{r.selection.of}</td><td>{_pct(r.selection)}</td>"
                f"{_ratio_cell(r.selection)}</tr>"
            )
        parts.append("</tbody></table>")
    return "\n".join(parts)


def _pct(rate: Rate) -> str:
    return "—" if rate.value is None else f"{rate.value:.1%} ({rate.hits}/{rate.of})"


def _ratio_cell(rate: Rate) -> str:
    if rate.ratio is None:
        return "<td>—</td>"
    if rate.flagged:
        return f'<td class="flag">{rate.ratio:.2f} <strong>below 0.8</strong></td>'
    return f"<td>{rate.ratio:.2f}</td>"


def impact_html(report: ImpactReport) -> str:
    """A standalone HTML page of the report."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Impact ratios</title><style>"
        "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
        "th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}"
        "td.flag{background:#fde8e8}.statement{font-weight:600}"
        "</style></head><body><h1>Impact ratios</h1>\n"
        + impact_tables_html(report)
        + "\n</body></html>\n"
    )


# --- the notice -------------------------------------------------------------------------------


def default_notice(retention_days: int | None) -> str:
    """The notice a candidate reads before the first question, until the manager edits it."""
    kept = (
        f"Your answers and the assessment are kept for {retention_days} days, then erased."
        if retention_days
        else "Your answers and the assessment are kept until the hiring team deletes them."
    )
    return (
        "The hiring team that sent you this link uses an automated tool, screener, to assess "
        "your written answers in this interview.\n\n"
        "It assesses how concretely you describe your own work in AI/ML engineering: what you "
        "built, how you measured it and what changed. Your name and how fluent your English is "
        "should make no difference to it, and it is tested for that.\n\n"
        "A person on the hiring team reads your answers and the tool's assessment and makes "
        "every decision.\n\n"
        "You may ask for an alternative assessment (a conversation with a person instead), or "
        "for an explanation of the assessment, by replying to the person who sent you this "
        "link.\n\n" + kept
    )


def notice_version(text: str) -> str:
    """A notice's version: the first 12 hex digits of its SHA-256 (so a version names one text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def notice_paragraphs(text: str) -> list[str]:
    """The notice as paragraphs (blank lines separate them)."""
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


# --- the candidate's explanation ----------------------------------------------------------------

_DECISIONS = {
    "advance": "The hiring team decided to move your application forward to the next stage.",
    "hold": "The hiring team has put your application on hold and has not made a final "
    "decision yet.",
    "reject": "The hiring team decided not to move your application forward at this stage.",
}


def candidate_explanation(report: Report, decision: str | None) -> str:
    """What the manager sends a candidate who asks: what was assessed, the competencies, how
    their answers read on each in plain words, and the human decision. No scores of other
    people, no rubric text, no grader weights or internals."""
    lines = [
        "# Your screening interview: an explanation",
        "",
        "## What was assessed",
        "",
        f"You answered {len(report.questions)} question"
        f"{'s' if len(report.questions) != 1 else ''} for the "
        f"{track_title(report.track)} role. An automated tool read each written answer for "
        "how concretely it describes your own work: what you built, how you measured it, and "
        "what changed as a result. Your name and how fluent your English is should make no "
        "difference to it, and it is tested for that.",
        "",
        "## The competencies, and how your answers read",
        "",
    ]
    by_competency: dict[str, list[int]] = {}
    for q in report.questions:
        scores = by_competency.setdefault(q.competency, [])
        if q.verdict.score is not None:
            scores.append(q.verdict.score)
    for competency, scores in by_competency.items():
        reading = _reading(sum(scores) / len(scores)) if scores else _UNREAD
        lines.append(f"- **{_words(competency)}**: {reading}")
    lines += ["", "## The decision", ""]
    lines.append(_DECISIONS.get(decision or "", "The hiring team has not made a decision yet."))
    lines += [
        "",
        "A person on the hiring team "
        + ("made this decision" if decision in _DECISIONS else "makes the decision")
        + " after reading your answers; the tool's assessment is one input to it, not the "
        "decision.",
        "",
        "## Questions, or another way to be assessed",
        "",
        "You may ask for a conversation with a person instead of this assessment, or ask "
        "questions about this explanation, by replying to the person who sent it.",
        "",
    ]
    return "\n".join(lines)


_UNREAD = "no answer to this could be assessed."


def _words(slug: str) -> str:
    text = slug.replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def _reading(level: float) -> str:
    if level >= 4:
        return "your answers described your own work concretely, with how it was measured."
    if level >= 3:
        return (
            "your answers described real work, with some gaps in how it was measured or what "
            "changed."
        )
    return (
        "your answers gave little concrete detail about your own work, how it was measured "
        "or what changed."
    )
