"""``screener eval`` (the regression suite) and ``screener calibrate``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from .._errors import UserError
from .._resources import existing, in_checkout
from ._options import (
    BaseUrl,
    EscalateTo,
    Fallback,
    GoldenDir,
    NoCache,
    Provider,
    Samples,
    golden_bank,
    golden_root,
    grader_options,
)

if TYPE_CHECKING:
    from ..bank import QuestionBank
    from ..grading.base import Grader
    from ..labelled import SetFigures


def eval_command(
    sets: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Labelled-set folders (answers.jsonl, labels.json, optional "
            "injection_twins.jsonl and criteria_labels.json) to measure instead of the suite.",
            show_default=False,
        ),
    ] = None,
    provider: Provider = "offline",
    fallback: Fallback = None,
    base_url: BaseUrl = None,
    samples: Samples = 1,
    no_cache: NoCache = False,
    escalate_to: EscalateTo = None,
    suite: Annotated[
        Path | None,
        typer.Option(
            help="The suite file (default: evals/suite.yaml of the checkout, or the installed "
            "copy).",
            show_default=False,
        ),
    ] = None,
    golden_dir: GoldenDir = None,
    split: Annotated[
        Literal["calibration", "test", "all"] | None,
        typer.Option(help="Override the suite's split (test is held out from tuning)."),
    ] = None,
    compare_to: Annotated[
        Path | None,
        typer.Option("--compare", help="Fail on a regression against this baseline JSON."),
    ] = None,
    update_baseline: Annotated[
        bool,
        typer.Option(
            help="Record this run as the grader's baseline (evals/baseline.json for offline, "
            "evals/baselines/PROVIDER.json for an LLM judge)."
        ),
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option(help="Write report.json, junit.xml, report.md, report.html.")
    ] = None,
    show_misses: Annotated[bool, typer.Option(help="List answers off by 2+ levels.")] = False,
    min_qwk: Annotated[
        float | None, typer.Option(help="With labelled sets: exit 1 when a set's QWK is lower.")
    ] = None,
    min_tourist: Annotated[
        float | None,
        typer.Option(
            help="With labelled sets: exit 1 when a set's share of tourists right is lower."
        ),
    ] = None,
) -> None:
    """Run the regression suite, or measure the grader on labelled-set folders.

    Exit 1 when a threshold or the baseline comparison fails. Length bias is the Spearman
    correlation of answer length in words with the grader's signed error, grader score minus
    human label: positive when longer answers get more than the human gave, negative when they
    get less. The threshold length_bias_abs is on its absolute value.
    """
    from rich.console import Console

    from ..eval_reports import write_reports
    from ..grading.base import get_grader
    from ..suite import (
        DEFAULT_SUITE,
        baseline_path,
        compare,
        load_suite,
        read_baseline,
        run_suite,
        write_baseline,
    )

    if sets:
        options = grader_options(fallback, base_url, samples, no_cache, escalate_to)
        _labelled(sets, lambda: get_grader(provider, options), out_dir, min_qwk, min_tourist)
        return
    if update_baseline and not in_checkout():
        raise UserError("--update-baseline records evals/ of a source checkout; run it from one")
    config = load_suite(existing(suite or DEFAULT_SUITE, "suite file", "--suite"))
    golden = golden_root(golden_dir)
    if split:
        config = config.model_copy(update={"split": split})
    options = grader_options(fallback, base_url, samples, no_cache, escalate_to)
    grader = get_grader(provider, options)
    regrade = get_grader(provider, replace(options, cache=False))
    console = Console(stderr=True)
    result = run_suite(
        config,
        grader,
        golden_bank(golden),
        regrade=regrade,
        progress=lambda m: console.log(m),
        golden=golden,
    )
    if compare_to is not None:
        compare(result, read_baseline(compare_to), config)
    _print(result, show_misses)
    if out_dir is not None:
        for kind, path in write_reports(result, out_dir).items():
            console.print(f"{kind} report: {path}")
    if update_baseline:
        path = write_baseline(result, baseline_path(grader.info.name))
        console.print(f"baseline written to {path}")
    if not result.passed:
        raise typer.Exit(1)


def _labelled(
    folders: list[Path],
    grader_factory: Callable[[], Grader],
    out_dir: Path | None,
    min_qwk: float | None,
    min_tourist: float | None,
) -> None:
    from rich.console import Console

    from ..bank import load_bank
    from ..labelled import measure_set, pool

    names = [folder.name for folder in folders]
    if len(set(names)) < len(names):
        raise UserError(f"labelled sets need distinct folder names, got {', '.join(names)}")
    bank = load_bank()
    stderr = Console(stderr=True)
    figures = []
    for folder in folders:
        stderr.log(f"grading {folder}")
        figures.append(
            measure_set(
                folder,
                grader_factory,
                bank,
                work_dir=out_dir,
                on_error=lambda e: print(f"screener: error: {e}", file=sys.stderr, flush=True),
            )
        )
    shown = [*figures, pool(figures)] if len(figures) > 1 else figures
    console = Console()
    console.print(f"{grader_factory().info.name} on labelled sets", markup=False)
    for f in shown:
        console.print(_line(f), markup=False, soft_wrap=True)
    if out_dir is not None:
        path = out_dir / "labelled.json"
        path.write_text(json.dumps([f.as_dict() for f in shown], indent=2) + "\n", "utf-8")
        stderr.print(f"figures written to {path}")
    failed = [
        f.name
        for f in figures
        if (min_qwk is not None and f.qwk < min_qwk)
        or (min_tourist is not None and f.tourist_right < min_tourist * len(f.tourists))
    ]
    if failed:
        console.print(f"[bold red]below threshold:[/] {', '.join(failed)}")
        raise typer.Exit(1)


def _line(f: SetFigures) -> str:
    low, high = f.qwk_interval
    criteria = "" if f.criteria_qwk is None else f", criteria QWK {f.criteria_qwk:.3f}"
    parts = [
        f"{f.name}: {len(f.pairs)} answers, QWK {f.qwk:.3f} (95% CI {low:.3f}-{high:.3f}, "
        f"resampling candidates), exact {f.exact:.0%}, within one {f.within_one:.0%}{criteria}",
        f"tourists right {f.tourist_right}/{len(f.tourists)} not borderline (precision "
        f"{_pct(f.tourist_precision)}, recall {_pct(f.tourist_recall)})"
        + (f", wrong: {', '.join(f.tourist_wrong)}" if f.tourist_wrong else ""),
    ]
    if f.twins:
        flagged = sum(flag for *_, flag in f.twins)
        parts.append(
            f"injected above clean twin {len(f.above_twin)}/{len(f.twins)}"
            + (f" ({', '.join(f.above_twin)})" if f.above_twin else "")
            + f", injection flagged {flagged}/{len(f.twins)}; through an obeying stand-in judge "
            f"above twin {len(f.judge_above_twin)}/{len(f.twins)}"
        )
    for label, items in (
        ("unscored", f.unscored),
        ("labelled but not graded", f.not_graded),
        ("graded but not labelled", f.unlabelled),
        ("bad rows", f.bad_rows),
    ):
        if items:
            parts.append(f"{label}: {len(items)}")
    return "; ".join(parts)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _print(result: object, show_misses: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..eval_reports import adversarial_lines
    from ..suite import SuiteResult

    assert isinstance(result, SuiteResult)
    table = Table("check", "value", "expected", "result", title=f"{result.grader}, {result.split}")
    for check in [*result.checks, *result.comparison]:
        mark = "pass" if check.passed else "[bold red]FAIL[/]"
        table.add_row(check.name, f"{check.value:.3f}", check.expected, f"{mark} {check.detail}")
    console = Console()
    console.print(table)
    ev = result.eval
    console.print(
        f"answers {ev.answers}, sessions {ev.sessions}; exact {ev.exact:.1%}; criteria QWK "
        f"{ev.criteria_qwk:.3f}; tourist precision {ev.tourist_precision:.1%}, recall "
        f"{ev.tourist_recall:.1%}; length bias {ev.length_bias:+.3f}; calls "
        f"{ev.usage.get('calls', 0)}, cache hits {ev.usage.get('cache_hits', 0)}, cost "
        f"{ev.usage.get('cost_usd')}"
    )
    console.print("confusion (rows human 1-5, columns grader 1-5):")
    for row in ev.confusion:
        console.print("  " + " ".join(f"{c:3d}" for c in row))
    if result.adversarial is not None:
        for line in adversarial_lines(result)[1:]:
            console.print(line, markup=False, soft_wrap=True)
    if show_misses:
        for miss in ev.misses:
            console.print(f"  miss {miss}", markup=False)
    console.print(f"[bold]{'passed' if result.passed else 'FAILED'}[/bold]")


def calibrate_command(
    provider: Provider = "offline",
    fallback: Fallback = None,
    base_url: BaseUrl = None,
    samples: Samples = 1,
    no_cache: NoCache = False,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory for the map (default evals/calibration in a checkout, else "
            "calibration/ under the user's data directory; $SCREENER_CALIBRATION_DIR)."
        ),
    ] = None,
    golden_dir: GoldenDir = None,
    folders: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Labelled-set folders to fit on instead (answers.jsonl + labels.json, e.g. from "
            "`screener labels export`); the figures are then cross-validated by candidate.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fit an isotonic map from the grader's raw scores to human labels (calibration split)."""
    from ..bank import load_golden_answers, load_golden_sessions
    from ..calibration import CalibrationMap, fit, raw_score, save_map
    from ..evaluation import evaluate
    from ..grading.base import get_grader, grade_blocking

    golden = golden_root(golden_dir)
    options = replace(grader_options(fallback, base_url, samples, no_cache), calibration=False)
    grader = get_grader(provider, options)
    bank = golden_bank(golden)
    if folders:
        _calibrate_on_folders(grader, bank, folders, out_dir)
        return
    answers = load_golden_answers(golden)
    sessions = load_golden_sessions(golden, answers)
    fit_set = [a for a in answers if a.split == "calibration"]
    raw, human = [], []
    for answer in fit_set:
        verdict = grade_blocking(grader, bank.get(answer.question_id), answer.answer)
        value = raw_score(verdict)
        if value is not None and not verdict.degraded:
            raw.append(value)
            human.append(answer.labels.overall)
    xs, ys = fit(raw, human)
    before = evaluate(grader, bank, answers, sessions, "test")
    calibration = CalibrationMap(
        grader=grader.info.name,
        fingerprint=grader.fingerprint(),
        x=xs,
        y=ys,
        items=len(raw),
        before={"qwk": before.qwk, "calibration_error": before.calibration_error},
        after={},
    )
    humans = [h for h, _, _ in before.pairs]
    mapped = [calibration.level(r) for _, _, r in before.pairs]
    calibration = calibration.model_copy(update={"after": _map_figures(humans, mapped)})
    path = save_map(calibration, grader, out_dir)
    print(
        f"fitted on {len(raw)} calibration answers; test split: QWK "
        f"{calibration.before['qwk']:.3f} -> {calibration.after['qwk']:.3f}, calibration error "
        f"{calibration.before['calibration_error']:.3f} -> "
        f"{calibration.after['calibration_error']:.3f}; written to {path}",
        file=sys.stderr,
    )


def _calibrate_on_folders(
    grader: Grader, bank: QuestionBank, folders: list[Path], out_dir: Path | None
) -> None:
    """Fit the map on labelled-set folders (a team's own reviewed answers). The figures before
    and after are out of fold: five folds of candidates, each mapped by a fit on the others."""
    from ..calibration import CalibrationMap, fit, raw_score, save_map
    from ..grading.base import grade_blocking
    from ..labelled import labelled_answers

    rows = []  # (candidate key, raw score, grader's score, human label)
    for folder in folders:
        for candidate, question_id, answer, human in labelled_answers(folder, bank):
            verdict = grade_blocking(grader, bank.get(question_id), answer)
            value = raw_score(verdict)
            if value is not None and verdict.score is not None and not verdict.degraded:
                rows.append((f"{folder}/{candidate}", value, verdict.score, human))
    if len(rows) < 10:
        raise UserError(f"only {len(rows)} graded, labelled answers; calibration needs 10 or more")
    keys = sorted({key for key, *_ in rows})
    fold_of = {key: i % 5 for i, key in enumerate(keys)}
    mapped = []
    for fold in range(5):
        train = [(r, h) for key, r, _, h in rows if fold_of[key] != fold]
        if not train:
            continue
        xs, ys = fit([r for r, _ in train], [h for _, h in train])
        part = CalibrationMap(
            grader="", fingerprint="", x=xs, y=ys, items=len(train), before={}, after={}
        )
        mapped += [(h, g, part.level(r)) for key, r, g, h in rows if fold_of[key] == fold]
    humans = [h for h, _, _ in mapped]
    before = [g for _, g, _ in mapped]
    after = [m for _, _, m in mapped]
    xs, ys = fit([r for _, r, _, _ in rows], [h for *_, h in rows])
    calibration = CalibrationMap(
        grader=grader.info.name,
        fingerprint=grader.fingerprint(),
        x=xs,
        y=ys,
        fitted_on=", ".join(str(f) for f in folders),
        items=len(rows),
        before=_map_figures(humans, before),
        after=_map_figures(humans, after),
    )
    path = save_map(calibration, grader, out_dir)
    print(
        f"fitted on {len(rows)} labelled answers of {len(keys)} candidates; out of fold (5 folds "
        f"of candidates): QWK {calibration.before['qwk']:.3f} -> {calibration.after['qwk']:.3f}, "
        f"calibration error {calibration.before['calibration_error']:.3f} -> "
        f"{calibration.after['calibration_error']:.3f}; written to {path}",
        file=sys.stderr,
    )


def _map_figures(human: list[int], given: list[int]) -> dict[str, float]:
    """QWK and calibration error of scores ``given`` against ``human`` labels."""
    from ..calibration import calibration_error
    from ..evaluation import quadratic_weighted_kappa

    return {
        "qwk": quadratic_weighted_kappa(human, given),
        "calibration_error": calibration_error(given, human),
    }
