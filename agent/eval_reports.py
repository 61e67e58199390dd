"""Reports of a suite run: JSON (machines), JUnit XML (CI), Markdown (a PR comment) and one
self-contained HTML file with plots (opens in a browser without a server).

Plots are small SVG charts drawn by :mod:`agent._charts` and inlined, so the HTML file has no
external references and the reports need nothing beyond the base install.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from ._charts import BarSeries, LineSeries, bar_chart, heatmap, line_chart, nice_range
from .evaluation import LENGTH_BIAS
from .fairness import NAMES
from .suite import LOWER_IS_BETTER, Check, SuiteResult, interview_check_name

BLUE, ORANGE, GREEN, RED, GREY = "#4c78a8", "#f58518", "#54a24b", "#e45756", "#999999"


def to_dict(result: SuiteResult) -> dict[str, Any]:
    """The machine-readable report."""
    ev = result.eval
    return {
        "grader": result.grader,
        "fingerprint": result.fingerprint,
        "split": result.split,
        "created": result.created,
        "passed": result.passed,
        "metrics": result.metrics,
        "checks": [c.__dict__ for c in result.checks],
        "comparison": [c.__dict__ for c in result.comparison],
        "confusion": ev.confusion,
        "per_question": ev.per_question,
        "per_competency": ev.per_competency,
        "answers": ev.answers,
        "sessions": ev.sessions,
        "length_bias": ev.length_bias,
        "length_bias_definition": LENGTH_BIAS,
        "unscored": ev.unscored,
        "usage": ev.usage,
        "misses": ev.misses,
        "personas": [
            {
                "persona": r.persona,
                "track": r.track,
                "passed": r.passed,
                "checks": r.checks,
                "turns": r.turns,
                "probes": r.probes,
                "flagged": r.flagged,
            }
            for r in result.personas
        ],
        "adversarial": result.adversarial.as_dict() if result.adversarial else None,
        "fairness": result.fairness.as_dict() if result.fairness else None,
    }


def adversarial_lines(result: SuiteResult) -> list[str]:
    """The adversarial suite per family: pairs, flagged, injected answers above their twin."""
    adv = result.adversarial
    if adv is None:
        return []
    shares = ", ".join(f"{g} {adv.not_higher(g):.1%}" for g in adv.graders)
    lines = [
        "",
        f"Adversarial payloads: {adv.pairs} injected answers, {adv.flagged:.1%} flagged; "
        f"not above their clean twin: {shares}.",
        "",
        "| family | pairs | flagged | "
        + " | ".join(f"above twin ({g})" for g in adv.graders)
        + " |",
        "|---|---|---|" + "---|" * len(adv.graders),
    ]
    for name, fam in sorted(adv.families.items()):
        cells = " | ".join(str(fam.leaks.get(g, 0)) for g in adv.graders)
        lines.append(f"| {name} | {fam.pairs} | {fam.flagged} | {cells} |")
    return lines


def fairness_lines(result: SuiteResult) -> list[str]:
    """The counterfactual checks: how far each kind moved the scores."""
    fair = result.fairness
    if fair is None:
        return []
    varied = ", ".join(fair.name_varied) or "none"
    lines = [
        "",
        f"Fairness: {fair.named_answers} answers signed by {len(NAMES)} names each; scores "
        f"that changed with the name: {varied}.",
        "",
        "| counterfactual | pairs | raised | lowered | mean change | mean abs. change |",
        "|---|---|---|---|---|---|",
    ]
    for kind in fair.kinds.values():
        lines.append(
            f"| {kind.kind} | {kind.pairs} | {kind.raised} | {kind.lowered} | "
            f"{kind.mean_delta:+.3f} | {kind.mean_abs:.3f} |"
        )
    return lines


def to_json(result: SuiteResult) -> str:
    """JSON text of :func:`to_dict`."""
    return json.dumps(to_dict(result), indent=2) + "\n"


def to_junit(result: SuiteResult) -> str:
    """JUnit XML: one test case per threshold, persona and baseline comparison."""
    checks = [*result.checks, *result.comparison]
    suite = ET.Element(
        "testsuite",
        name="screener-eval",
        tests=str(len(checks)),
        failures=str(sum(not c.passed for c in checks)),
    )
    for check in checks:
        case = ET.SubElement(suite, "testcase", classname=result.grader, name=check.name)
        if not check.passed:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{check.name} = {check.value:.4f}, expected {check.expected}",
            )
            failure.text = check.detail
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _row(check: Check) -> str:
    mark = "pass" if check.passed else "**FAIL**"
    detail = f" {check.detail}" if check.detail else ""
    return f"| {check.name} | {check.value:.3f} | {check.expected} | {mark}{detail} |"


def interview_checks(result: SuiteResult) -> list[Check]:
    """The checks of the simulated interviews, one per track and persona (the ``simulated_pass``
    threshold over them is not one of them)."""
    names = {interview_check_name(run.track, run.persona) for run in result.personas}
    return [c for c in result.checks if c.name in names]


def length_bias_line(result: SuiteResult) -> str:
    """The signed length bias and what it is (the checks hold its absolute value)."""
    return f"Length bias {result.eval.length_bias:+.3f}: {LENGTH_BIAS}."


def to_markdown(result: SuiteResult) -> str:
    """A pull-request comment."""
    verdict = "passed" if result.passed else "FAILED"
    sims = interview_checks(result)
    lines = [
        f"## screener eval: {verdict}",
        "",
        f"Grader `{result.grader}` on the `{result.split}` split "
        f"({result.eval.answers} answers, {result.eval.sessions} sessions).",
        "",
        "| check | value | expected | result |",
        "|---|---|---|---|",
        *[_row(c) for c in result.checks if c not in sims],
    ]
    lines += ["", length_bias_line(result)]
    if result.comparison:
        lines += ["", "### Against the baseline", "", "| metric | value | expected | result |"]
        lines += ["|---|---|---|---|", *[_row(c) for c in result.comparison]]
    passed = sum(c.passed for c in sims)
    lines += ["", f"Simulated interviews: {passed} of {len(sims)} passed."]
    lines += [f"- {c.name}: {c.detail}" for c in sims if not c.passed]
    lines += adversarial_lines(result)
    lines += fairness_lines(result)
    cost = result.eval.usage.get("cost_usd")
    lines += ["", f"Model calls: {result.eval.usage.get('calls', 0)}, cost: {cost}"]
    return "\n".join(lines) + "\n"


def _calibration_points(
    pairs: list[tuple[int, int, float]], index: int
) -> list[tuple[float, float]]:
    """Mean human label per rounded grader score, for the score in column ``index`` of each
    (human, reported, raw) pair."""
    bins: dict[int, list[int]] = {}
    for pair in pairs:
        bins.setdefault(int(float(pair[index]) + 0.5), []).append(pair[0])
    return [(float(x), sum(bins[x]) / len(bins[x])) for x in sorted(bins)]


def plots(result: SuiteResult) -> dict[str, str]:
    """Inline SVG charts: confusion heatmap, calibration curve, per-question bars, baseline
    deltas (when compared with a baseline)."""
    ev = result.eval
    levels = [str(k) for k in range(1, 6)]
    out = {
        "confusion": heatmap(
            "plot-confusion-chart",
            "Confusion matrix",
            ev.confusion,
            row_labels=levels,
            column_labels=levels,
            x_label="grader score",
            y_label="human label",
            description="Answers by human label (rows) and grader score (columns); the "
            "diagonal is agreement.",
        ),
        "calibration": line_chart(
            "plot-calibration-chart",
            "Calibration",
            [
                LineSeries("perfect", [(1, 1), (5, 5)], GREY, dashed=True, markers=False),
                LineSeries("raw (before)", _calibration_points(ev.pairs, 2), ORANGE),
                LineSeries("reported (after)", _calibration_points(ev.pairs, 1), BLUE),
            ],
            x_label="grader score",
            y_label="mean human label",
            x_range=(1, 5),
            y_range=(1, 5),
            description="Mean human label for each grader score, before and after "
            "calibration; the dashed diagonal is a perfectly calibrated grader.",
        ),
    }
    names = list(ev.per_question)
    out["per_question"] = bar_chart(
        "plot-per-question-chart",
        "Per question",
        names,
        [
            BarSeries("within one level", [ev.per_question[n]["within_one"] for n in names], BLUE),
            BarSeries("exact", [ev.per_question[n]["exact"] for n in names], ORANGE),
        ],
        value_label="share of answers the grader agrees with the human label on",
        value_range=(0.0, 1.0),
        description=f"Agreement with the human labels on each of {len(names)} questions.",
    )
    if result.baseline:
        out["baseline"] = _baseline_chart(result.metrics, result.baseline.get("metrics", {}))
    return out


def _baseline_chart(metrics: dict[str, float], base: dict[str, Any]) -> str:
    """Each metric's change against the baseline, green when better and red when worse.

    The axis spans at least +-0.05 so that rounding noise (the baseline keeps six decimals)
    draws as nothing rather than filling the chart."""
    keys = [k for k in metrics if k in base and k != "cost_usd"]
    deltas = [round(metrics[k] - float(base[k]), 4) + 0.0 for k in keys]  # + 0.0: no -0
    colours = [
        GREY if d == 0 else GREEN if (d < 0) == (k in LOWER_IS_BETTER) else RED
        for k, d in zip(keys, deltas, strict=True)
    ]
    span = max([0.05, *map(abs, deltas)])
    return bar_chart(
        "plot-baseline-chart",
        "Change against the baseline",
        keys,
        [BarSeries("change", deltas, GREY, colours=colours)],
        value_label="metric now minus baseline",
        value_range=nice_range(-span, span),
        value_format="{:+.3f}",
        description=f"Change of {len(keys)} metrics against the baseline: green is better, "
        "red is worse (lower is better for errors and biases).",
    )


def to_html(result: SuiteResult) -> str:
    """One self-contained HTML page with the figures and the plots."""
    figures = plots(result)
    rows = "".join(
        f"<tr class={'ok' if c.passed else 'bad'}><td>{html.escape(c.name)}</td>"
        f"<td>{c.value:.3f}</td><td>{html.escape(c.expected)}</td>"
        f"<td>{'pass' if c.passed else 'FAIL'} {html.escape(c.detail)}</td></tr>"
        for c in [*result.checks, *result.comparison]
    )
    sections = "".join(f'<figure id="plot-{name}">{svg}</figure>' for name, svg in figures.items())
    fairness = ""
    if result.fairness is not None:
        cells = "".join(
            f"<tr><td>{html.escape(k.kind)}</td><td>{k.pairs}</td><td>{k.raised}</td>"
            f"<td>{k.lowered}</td><td>{k.mean_delta:+.3f}</td><td>{k.mean_abs:.3f}</td></tr>"
            for k in result.fairness.kinds.values()
        )
        fairness = (
            '<h2>Fairness</h2><table id="fairness"><tr><th>counterfactual</th><th>pairs</th>'
            "<th>raised</th><th>lowered</th><th>mean change</th><th>mean abs. change</th></tr>"
            f"{cells}</table>"
        )
    status = "passed" if result.passed else "FAILED"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>screener eval: {status}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #ddd; padding: 4px 8px; font-size: 14px; }}
tr.bad td {{ background: #fde8e8; }}
.plots {{ display: flex; flex-wrap: wrap; gap: 1rem; }}
figure {{ margin: 0; }}
figure svg {{ max-width: 100%; height: auto; }}
</style></head>
<body>
<h1>screener eval: <span id="status">{status}</span></h1>
<p>Grader <code>{html.escape(result.grader)}</code> on the <b>{html.escape(result.split)}</b> split:
{result.eval.answers} answers, {result.eval.sessions} sessions. {html.escape(result.created)}</p>
<div class="plots">{sections}</div>
<h2>Checks</h2>
<table><tr><th>check</th><th>value</th><th>expected</th><th>result</th></tr>{rows}</table>
<p id="length-bias">{html.escape(length_bias_line(result))}</p>
{fairness}
</body></html>
"""


def write_reports(result: SuiteResult, directory: Path) -> dict[str, Path]:
    """Write report.json, junit.xml, report.md and report.html into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    outputs = {
        "json": (directory / "report.json", to_json(result)),
        "junit": (directory / "junit.xml", to_junit(result)),
        "markdown": (directory / "report.md", to_markdown(result)),
        "html": (directory / "report.html", to_html(result)),
    }
    for path, text in outputs.values():
        path.write_text(text, encoding="utf-8")
    return {kind: path for kind, (path, _) in outputs.items()}
