"""The regression suite: thresholds, the committed baseline, the prompt-change gate, reports."""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from agent import (
    GraderOptions,
    OfflineGrader,
    Question,
    QuestionBank,
    ScriptedModel,
    Verdict,
    get_grader,
    grade_blocking,
)
from agent._models import Evidence, EvidenceKind
from agent.calibration import CalibratedGrader, CalibrationMap, calibrated, calibration_error, fit
from agent.eval_reports import to_html, to_json, to_junit, to_markdown, write_reports
from agent.evaluation import quadratic_weighted_kappa, spearman
from agent.grading.base import Grader
from agent.grading.judge import LLMJudge
from agent.simulate import PERSONAS, simulate
from agent.suite import (
    DEFAULT_BASELINE,
    GATE_MESSAGE,
    ROOT,
    SuiteResult,
    compare,
    load_suite,
    read_baseline,
    run_suite,
    stale_files,
)

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def offline_run() -> SuiteResult:
    """One run of the committed suite with the default offline grader (about 10 s)."""
    from agent import load_bank
    from agent.grading.base import get_grader

    return run_suite(
        load_suite(), get_grader("offline"), load_bank(), regrade=get_grader("offline")
    )


def test_the_offline_grader_meets_every_committed_threshold(offline_run: SuiteResult) -> None:
    failed = [
        f"{c.name}={c.value:.3f} ({c.expected}) {c.detail}"
        for c in offline_run.checks
        if not c.passed
    ]
    assert not failed, failed
    names = {c.name for c in offline_run.checks}
    assert {"qwk", "tourist_f1", "injection_not_higher", "simulated_pass"} <= names


def test_the_offline_grader_does_not_regress_against_the_baseline(offline_run: SuiteResult) -> None:
    checks = compare(replace(offline_run), read_baseline(), load_suite())
    assert checks and all(c.passed for c in checks), [c.detail for c in checks if not c.passed]


def test_prompts_rubrics_and_goldens_match_the_baseline() -> None:
    """The prompt-change gate: no prompt, rubric or golden change lands without its eval."""
    stale = stale_files(read_baseline())
    assert not stale, GATE_MESSAGE.format(files=", ".join(stale))


def test_the_gate_fails_when_a_prompt_is_edited_without_rerunning(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "prompts", tmp_path / "prompts")
    shutil.copytree(ROOT / "golden", tmp_path / "golden")
    baseline = read_baseline()
    assert stale_files(baseline, tmp_path) == []
    judge = tmp_path / "prompts" / "judge.yaml"
    judge.write_text(judge.read_text().replace("You grade", "You kindly grade"))
    rubric = tmp_path / "golden" / "questions" / "ai-evals.yaml"
    rubric.write_text(rubric.read_text() + "\n# a comment is a change too\n")
    stale = stale_files(baseline, tmp_path)
    assert stale == ["golden/questions/ai-evals.yaml", "prompts/judge.yaml"]
    message = GATE_MESSAGE.format(files=", ".join(stale))
    assert "screener eval --update-baseline" in message and "prompts/judge.yaml" in message


def test_the_baseline_records_metrics_hashes_and_versions() -> None:
    baseline = json.loads(DEFAULT_BASELINE.read_text())
    assert {"qwk", "tourist_f1", "simulated_pass"} <= set(baseline["metrics"])
    assert any(name.startswith("prompts/") for name in baseline["hashes"])
    assert any(name.startswith("golden/questions/") for name in baseline["hashes"])
    assert baseline["grader_versions"]["offline"].startswith("offline-")


def test_compare_fails_only_on_a_regression_beyond_the_interval(offline_run: SuiteResult) -> None:
    suite = load_suite()
    same = {"metrics": dict(offline_run.metrics)}
    assert all(c.passed for c in compare(replace(offline_run), same, suite))
    slightly_better = {"metrics": {**offline_run.metrics, "qwk": offline_run.metrics["qwk"] + 0.04}}
    check = {c.name: c for c in compare(replace(offline_run), slightly_better, suite)}[
        "baseline qwk"
    ]
    assert check.passed, "within the bootstrap interval plus tolerance: no flapping"
    far_better = {"metrics": {**offline_run.metrics, "qwk": 0.999, "tourist_f1": 1.0}}
    failed = {c.name for c in compare(replace(offline_run), far_better, suite) if not c.passed}
    assert "baseline qwk" in failed


def test_simulated_checks_catch_a_bad_grader(bank: QuestionBank) -> None:
    class Gullible(Grader):
        """Gives everyone a backed 5: the tourist personas must then fail their flag check."""

        info = OfflineGrader().info.model_copy(update={"name": "gullible"})

        async def grade(self, question: Question, answer: str) -> Verdict:
            return Verdict(
                question_id=question.id,
                score=5,
                criteria={c.id: 5 for c in question.rubric},
                evidence=[Evidence(kind=EvidenceKind.QUANTITY, quote=answer[:20] or "x")],
                grader=self.info,
            )

    runs = simulate(bank, Gullible(), personas=["strong", "tourist"], tracks=["ai-engineer"])
    by_persona = {r.persona: r for r in runs}
    assert by_persona["strong"].passed
    assert not by_persona["tourist"].checks["correct tourist flag"]


def test_every_persona_runs_with_the_offline_grader(offline_run: SuiteResult) -> None:
    assert {r.persona for r in offline_run.personas} == set(PERSONAS)
    assert all(r.passed for r in offline_run.personas)
    tourist = next(r for r in offline_run.personas if r.persona == "tourist")
    assert tourist.probes >= 1 and tourist.flagged


def test_metrics_on_known_values() -> None:
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == pytest.approx(1.0)
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert calibration_error([1, 2, 3], [1, 2, 3]) == 0.0
    assert calibration_error([3, 3], [1, 5]) == 0.0  # right on average
    assert calibration_error([4, 4], [2, 2]) == pytest.approx(2.0)


def test_isotonic_fit_is_monotone_and_applies_by_interpolation() -> None:
    xs, ys = fit([1.0, 2.0, 2.5, 3.0, 4.0, 5.0], [1, 1, 3, 2, 4, 5])
    assert ys == sorted(ys) and 1.0 <= ys[0] and ys[-1] <= 5.0
    cmap = CalibrationMap(grader="g", fingerprint="f", x=xs, y=ys, items=6, before={}, after={})
    assert cmap.apply(0.0) == ys[0] and cmap.apply(9.0) == ys[-1]
    assert cmap.apply(1.5) <= cmap.apply(3.5)


def test_a_calibrated_grader_says_so_and_keeps_the_raw_score(
    bank: QuestionBank, tmp_path: Path
) -> None:
    question = bank.get("regression-suite")
    ids = [c.id for c in question.rubric]
    judge = LLMJudge(ScriptedModel(lambda s, u: _all(ids, 4)))
    cmap = CalibrationMap(
        grader=judge.info.name,
        fingerprint=judge.fingerprint(),
        x=[1.0, 5.0],
        y=[1.0, 3.0],
        items=2,
        before={},
        after={},
    )
    verdict = grade_blocking(CalibratedGrader(judge, cmap), question, "I wrote 40 cases by hand.")
    assert verdict.calibrated and verdict.raw_score == 4.0 and verdict.score == 3
    plain = grade_blocking(judge, question, "I wrote 40 cases by hand.")
    assert not plain.calibrated and plain.score == 4


def test_a_judge_without_a_calibration_gets_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    judge = get_grader("fake:echo", GraderOptions(cache=False, calibration=False))
    with caplog.at_level(logging.WARNING, logger="screener"):
        same = calibrated(judge, tmp_path)
    assert same is judge
    assert "no calibration for fake:echo" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="screener"):
        calibrated(OfflineGrader(), tmp_path)
    assert caplog.text == "", "the offline grader is measured by the suite; no nagging"


def _all(ids: list[str], score: int) -> dict[str, object]:
    return {
        "criteria": [
            {"criterion_id": i, "score": score, "rationale": "r", "quotes": ["40 cases by hand"]}
            for i in ids
        ],
    }


def test_reports_in_every_format(offline_run: SuiteResult, tmp_path: Path) -> None:
    paths = write_reports(offline_run, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["passed"] and data["metrics"]["qwk"] == offline_run.metrics["qwk"]
    assert len(data["per_question"]) == 19 and data["confusion"]
    junit = ET.parse(paths["junit"]).getroot()
    assert junit.tag == "testsuite" and int(junit.get("tests", "0")) == len(offline_run.checks)
    assert junit.get("failures") == "0"
    assert "## screener eval: passed" in paths["markdown"].read_text()
    page = paths["html"].read_text()
    assert page.count("<svg") >= 3 and 'id="plot-confusion"' in page
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "self-contained: no external refs"


SVG = "{http://www.w3.org/2000/svg}"


def _charts(page: str) -> dict[str, ET.Element]:
    """The inline SVG charts of an HTML report, by figure id, parsed as XML."""
    found = re.findall(r'<figure id="plot-([a-z_]+)">(<svg.*?</svg>)</figure>', page, re.S)
    return {name: ET.fromstring(svg) for name, svg in found}


def test_the_html_report_draws_its_charts_from_the_figures(offline_run: SuiteResult) -> None:
    per_question = {
        "q-one": {"exact": 0.5, "within_one": 1.0},
        "q-two": {"exact": 0.25, "within_one": 0.75},
        "q-three": {"exact": 1.0, "within_one": 1.0},
    }
    confusion = [[k + 5 * j for k in range(5)] for j in range(5)]
    pairs = [(1, 1, 1.2), (2, 2, 2.4), (2, 3, 2.6), (4, 4, 3.9), (5, 5, 4.8)]
    known = replace(
        offline_run,
        eval=replace(offline_run.eval, per_question=per_question, confusion=confusion, pairs=pairs),
        metrics={"qwk": 0.9, "calibration_error": 0.3, "cost_usd": 0.0},
        baseline={"metrics": {"qwk": 0.8, "calibration_error": 0.2, "cost_usd": 1.0}},
    )
    charts = _charts(to_html(known))
    assert set(charts) == {"confusion", "calibration", "per_question", "baseline"}
    for chart in charts.values():
        assert chart.get("role") == "img" and chart.find(f"{SVG}title") is not None
        assert chart.get("viewBox") and chart.find(f"{SVG}desc") is not None

    cells = charts["confusion"].findall(f".//{SVG}rect[@class='cell']")
    assert [int(c.get("data-count", -1)) for c in cells] == list(range(25))

    bars = charts["per_question"].findall(f".//{SVG}rect[@class='bar']")
    assert len(bars) == 2 * len(per_question)
    assert [(b.get("data-label"), b.get("data-series"), b.get("data-value")) for b in bars[:2]] == [
        ("q-one", "within one level", "1.0000"),
        ("q-one", "exact", "0.5000"),
    ]
    labels = [t.text for t in charts["per_question"].iter(f"{SVG}text")]
    assert {"q-one", "q-two", "q-three"} <= set(labels)

    lines = {
        g.get("data-series"): g
        for g in charts["calibration"].iter(f"{SVG}g")
        if g.get("data-series")
    }
    # raw scores round to 1, 2, 3, 4, 5; reported scores are 1, 2, 3, 4, 5 too.
    assert len(lines["raw (before)"].findall(f"{SVG}circle")) == 5
    assert len(lines["reported (after)"].findall(f"{SVG}circle")) == 5
    assert lines["perfect"].findall(f"{SVG}circle") == []

    qwk, error = charts["baseline"].findall(f".//{SVG}rect[@class='bar']")
    assert (qwk.get("data-label"), qwk.get("data-value")) == ("qwk", "0.1000")
    assert qwk.get("fill") != error.get("fill"), "a higher error is drawn as worse"
    assert {"+0.100"} <= {t.text for t in charts["baseline"].iter(f"{SVG}text")}


def test_the_html_report_escapes_text_from_files(offline_run: SuiteResult) -> None:
    hostile = '<script>alert("x")</script>'
    known = replace(
        offline_run,
        grader=hostile,
        eval=replace(offline_run.eval, per_question={hostile: {"exact": 0.5, "within_one": 1.0}}),
    )
    page = to_html(known)
    assert "<script>" not in page and "&lt;script&gt;" in page
    bars = _charts(page)["per_question"].findall(f".//{SVG}rect[@class='bar']")
    assert [b.get("data-label") for b in bars] == [hostile, hostile], "read back as written"


def test_a_failed_check_shows_in_junit_and_markdown(offline_run: SuiteResult) -> None:
    from agent.suite import Check

    failing = replace(offline_run, checks=[*offline_run.checks, Check("qwk", 0.1, False, ">= 0.8")])
    junit = ET.fromstring(to_junit(failing).split("?>", 1)[1])
    assert junit.get("failures") == "1" and junit.find(".//failure") is not None
    assert "**FAIL**" in to_markdown(failing) and "FAILED" in to_html(failing)


def test_markdown_counts_each_simulated_interview_once(offline_run: SuiteResult) -> None:
    simulation = load_suite().simulation
    interviews = len(simulation.personas) * len(simulation.tracks)
    text = to_markdown(offline_run)
    assert f"Simulated interviews: {interviews} of {interviews} passed." in text
    assert "| simulated_pass | 1.000 | >= 1.0 | pass |" in text, "a threshold, in the table"
    failing = replace(
        offline_run,
        checks=[
            replace(c, passed=False, detail="failed: x")
            if c.name.endswith("ml-engineer silent")
            else c
            for c in offline_run.checks
        ],
    )
    text = to_markdown(failing)
    assert f"Simulated interviews: {interviews - 1} of {interviews} passed." in text
    assert "- simulated ml-engineer silent: failed: x" in text


def _length_leaning(longer_gets_more: bool) -> Grader:
    """A grader one level off the human label: up (or down) on long answers, the other way on
    short ones."""
    from agent import load_golden_answers

    labels = {a.answer: a.labels.overall for a in load_golden_answers()}
    step = 1 if longer_gets_more else -1

    class Leaning(Grader):
        info = OfflineGrader().info.model_copy(update={"name": "leaning"})

        async def grade(self, question: Question, answer: str) -> Verdict:
            shift = step if len(answer.split()) > 80 else -step
            score = min(5, max(1, labels[answer] + shift))
            return Verdict(
                question_id=question.id,
                score=score,
                criteria={c.id: score for c in question.rubric},
                evidence=[Evidence(kind=EvidenceKind.QUANTITY, quote=answer[:20] or "x")],
                grader=self.info,
            )

    return Leaning()


@pytest.mark.parametrize("longer_gets_more", [True, False])
def test_length_bias_is_positive_when_longer_answers_get_more(
    offline_run: SuiteResult, bank: QuestionBank, longer_gets_more: bool
) -> None:
    from agent import load_golden_answers
    from agent.evaluation import LENGTH_BIAS, evaluate

    # labels 2-4 only, so the leaning grader's level up or down is never clipped at 1 or 5
    # (length bias is over answers; sessions play no part in it)
    answers = [a for a in load_golden_answers() if 2 <= a.labels.overall <= 4]
    result = evaluate(_length_leaning(longer_gets_more), bank, answers, [])
    assert (result.length_bias > 0.5) if longer_gets_more else (result.length_bias < -0.5)
    run = replace(offline_run, eval=result)
    shown = f"Length bias {result.length_bias:+.3f}: {LENGTH_BIAS}."
    assert shown in to_markdown(run)
    assert html.escape(shown) in to_html(run)
    report = json.loads(to_json(run))
    assert report["length_bias"] == result.length_bias
    assert report["length_bias_definition"] == LENGTH_BIAS


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_the_html_report_renders_its_plots_in_chromium(
    offline_run: SuiteResult, tmp_path: Path
) -> None:
    from PIL import Image

    page = write_reports(offline_run, tmp_path)["html"]
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1300,1400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1300, 1400)
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200, "a rendered page with plots, not a blank or error page"
    blues = sum(count for count, (r, g, b) in colours if b > 150 and r < 120)
    assert blues > 2000, "the confusion heatmap and bars are drawn in blue"
