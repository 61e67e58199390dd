"""The impact-ratio report's arithmetic on a constructed population, against figures worked out
by hand (in the comments), and the candidate's explanation."""

from __future__ import annotations

import csv
import io

import pytest

from agent._errors import UserError
from agent.compliance import (
    STATEMENT,
    Assessed,
    Demographics,
    impact_csv,
    impact_html,
    impact_report,
    impact_tables_html,
    notice_paragraphs,
    notice_version,
)


def _people() -> list[Assessed]:
    """100 candidates. Overall scores: 41 at 4.0, 19 at 3.0, 40 at 2.0, so the median is 3.0
    and "above the median" is exactly the 41 at 4.0."""
    out: list[Assessed] = []

    def add(
        n: int, overall: float, decision: str | None, sex: str | None, race: str | None
    ) -> None:
        for _ in range(n):
            who = Demographics(sex, race)
            out.append(Assessed(f"s{len(out)}", overall, decision, who))

    # Male x White, 30: 20 at 4.0 (15 advanced, 5 undecided), 10 at 2.0 (rejected)
    add(15, 4.0, "advance", "male", "white")
    add(5, 4.0, None, "male", "white")
    add(10, 2.0, "reject", "male", "white")
    # Female x White, 30: 10 at 4.0 (6 advanced, 4 undecided), 20 at 2.0 (rejected)
    add(6, 4.0, "advance", "female", "white")
    add(4, 4.0, None, "female", "white")
    add(20, 2.0, "reject", "female", "white")
    # Female x Asian, 20: 10 at 4.0 (advanced), 10 at 2.0 (rejected)
    add(10, 4.0, "advance", "female", "asian")
    add(10, 2.0, "reject", "female", "asian")
    # Male x Black, 1 (1% of the data: under the 2% line): 4.0, advanced
    add(1, 4.0, "advance", "male", "black")
    # Male, race not given, 9: 3.0, undecided
    add(9, 3.0, None, "male", None)
    # Nothing given, 10: 3.0; 3 rejected, 2 on hold (not decided yet: in no selection rate),
    # 5 undecided
    add(3, 3.0, "reject", None, None)
    add(2, 3.0, "hold", None, None)
    add(5, 3.0, None, None, None)
    return out


def _row(report, breakdown: str, category: str):  # type: ignore[no-untyped-def]
    (row,) = [r for r in report.breakdown(breakdown) if r.category == category]
    return row


def test_the_figures_by_sex_match_the_hand_computed_ones() -> None:
    report = impact_report(_people())
    assert (report.assessed, report.median, report.decided) == (100, 3.0, 75)
    male, female, unknown = (_row(report, "sex", c) for c in ("Male", "Female", "Unknown"))
    assert (male.assessed, female.assessed, unknown.assessed) == (40, 50, 10)
    # scoring: male 21/40 = 0.525 (20 + 1 at 4.0), female 20/50 = 0.4; ratio 0.4 / 0.525
    assert (male.scoring.hits, male.scoring.of, female.scoring.hits) == (21, 40, 20)
    assert male.scoring.ratio == pytest.approx(1.0)
    assert female.scoring.ratio == pytest.approx(0.4 / 0.525)  # 0.762: flagged
    assert female.scoring.flagged and not male.scoring.flagged
    # selection (of those decided): male 16/26, female 16/46
    assert (male.selection.hits, male.selection.of) == (16, 26)
    assert (female.selection.hits, female.selection.of) == (16, 46)
    assert female.selection.ratio == pytest.approx((16 / 46) / (16 / 26))  # 0.565
    # the unknowns are counted and shown, never in the ratios
    assert unknown.unknown and unknown.scoring.ratio is None and unknown.selection.ratio is None
    assert (unknown.selection.hits, unknown.selection.of) == (0, 3)  # the 2 on hold are not in it


def test_a_category_under_two_percent_is_shown_but_left_out_of_the_ratios() -> None:
    report = impact_report(_people())
    black = _row(report, "race/ethnicity", "Black or African American")
    assert (black.assessed, black.share, black.excluded) == (1, 0.01, True)
    assert black.scoring.value == 1.0 and black.scoring.ratio is None  # 100%, but left out
    white, asian = (_row(report, "race/ethnicity", c) for c in ("White", "Asian"))
    # scoring: White 30/60 = 0.5 and Asian 10/20 = 0.5: the highest is 0.5 without Black's 1.0
    assert white.scoring.ratio == pytest.approx(1.0) and asian.scoring.ratio == pytest.approx(1.0)
    # selection: White 21/51, Asian 10/20 = 0.5 -> White's ratio 0.8235, not flagged
    assert (white.selection.hits, white.selection.of) == (21, 51)
    assert white.selection.ratio == pytest.approx((21 / 51) / 0.5)
    assert not white.selection.flagged
    assert _row(report, "race/ethnicity", "Unknown").assessed == 19
    # with no 2% rule the one candidate sets the bar and every other ratio halves
    everyone = impact_report(_people(), min_share=0.0)
    assert _row(everyone, "race/ethnicity", "White").scoring.ratio == pytest.approx(0.5)


def test_intersections_and_their_flags() -> None:
    report = impact_report(_people())
    mw, fw, fa = (
        _row(report, "sex x race/ethnicity", c)
        for c in ("Male x White", "Female x White", "Female x Asian")
    )
    assert (mw.assessed, fw.assessed, fa.assessed) == (30, 30, 20)
    # scoring: 20/30, 10/30, 10/20 -> ratios 1, 0.5, 0.75 (both flagged)
    assert fw.scoring.ratio == pytest.approx(0.5) and fa.scoring.ratio == pytest.approx(0.75)
    # selection: 15/25 = 0.6, 6/26, 10/20 -> ratios 1, 0.385 (flagged), 0.833
    assert fw.selection.ratio == pytest.approx((6 / 26) / 0.6)
    assert fa.selection.ratio == pytest.approx(0.5 / 0.6) and not fa.selection.flagged
    assert _row(report, "sex x race/ethnicity", "Male x Black or African American").excluded
    # a sex without a race (or neither) is an unknown intersection: 9 + 10
    assert _row(report, "sex x race/ethnicity", "Unknown").assessed == 19
    flagged = {(r.breakdown, r.category) for r in report.flagged}
    assert flagged == {
        ("sex", "Female"),
        ("sex x race/ethnicity", "Female x White"),
        ("sex x race/ethnicity", "Female x Asian"),
    }


def test_the_csv_and_html_carry_the_same_figures_and_say_what_they_are() -> None:
    report = impact_report(_people())
    rows = list(csv.DictReader(io.StringIO(impact_csv(report))))
    female = next(r for r in rows if r["breakdown"] == "sex" and r["category"] == "Female")
    assert female["assessed"] == "50" and female["scored_above_median"] == "20"
    assert female["scoring_rate"] == "0.4000"
    assert female["scoring_impact_ratio"] == f"{0.4 / 0.525:.4f}"
    assert female["below_four_fifths"] == "yes"
    black = next(r for r in rows if r["category"] == "Black or African American")
    assert black["excluded_under_2_percent"] == "yes" and black["scoring_impact_ratio"] == ""
    page = impact_html(report)
    assert STATEMENT in page and "not itself a bias audit" in page
    assert "Female x White" in page and "below 0.8" in page


def test_exactly_four_fifths_is_not_flagged() -> None:
    # 1/3 against 5/12 is 0.8 exactly (0.7999... in floating point)
    people = [
        Assessed(f"a{k}", 4.0, "advance" if k < 5 else "reject", Demographics("male"))
        for k in range(12)
    ]
    people += [
        Assessed(f"b{k}", 4.0, "advance" if k < 1 else "reject", Demographics("female"))
        for k in range(3)
    ]
    female = _row(impact_report(people, min_share=0.0), "sex", "Female")
    assert female.selection.ratio == pytest.approx(0.8) and not female.selection.flagged


def test_small_categories_show_no_rates_on_the_page_but_all_in_the_export() -> None:
    report = impact_report(_people())
    page = impact_tables_html(report, min_cell=5)
    assert "Male x Black or African American (under 2%: not in the ratios)</th>" in page
    assert "fewer than 5: not shown here" in page
    assert "fewer than 5" not in impact_html(report)


def test_an_empty_population_has_no_rates() -> None:
    report = impact_report([])
    assert report.assessed == 0 and report.median is None and not report.flagged
    assert all(r.scoring.value is None for r in report.rows)


def test_demographics_take_only_the_listed_categories() -> None:
    assert Demographics().empty and not Demographics("female").empty
    with pytest.raises(UserError, match="sex: expected one of male, female"):
        Demographics("woman")
    with pytest.raises(UserError, match="race: expected one of"):
        Demographics(None, "martian")


def test_a_notice_version_names_its_text() -> None:
    assert notice_version("a") == notice_version("a") != notice_version("b")
    assert notice_paragraphs("one\n\n two \r\n\r\nthree\n") == ["one", "two", "three"]
