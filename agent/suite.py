"""The regression suite behind ``screener eval``: thresholds, a committed baseline, the gate.

``evals/suite.yaml`` names the split, the thresholds every run must meet, the tolerated drop
against the baseline and the simulated interviews. A run measures the grader on the goldens
(:mod:`agent.evaluation`) and the interviewer on scripted personas (:mod:`agent.simulate`).

``evals/baseline.json`` records the metrics, the hashes of every prompt, question (rubric) and
golden file, and the grader versions. ``--compare`` fails on a regression: a metric whose
bootstrap confidence interval lies wholly below the baseline minus its tolerance, so small
sets do not flap. :func:`stale_files` is the prompt-change gate: the project's own tests fail
when a prompt or rubric file no longer matches the baseline's hash.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._resources import PACKAGE_PARENT, evals_file, golden_dir, prompts_dir
from .adversarial import (
    DEFAULT_PAYLOADS,
    STAND_IN,
    AdversarialResult,
    choose_hosts,
    load_payloads,
    run_adversarial,
)
from .bank import QuestionBank, load_golden_answers, load_golden_sessions
from .evaluation import EvalResult, evaluate, quadratic_weighted_kappa, spearman
from .fairness import FairnessResult, load_rewrites, run_fairness
from .grading.base import Grader, grade_blocking
from .simulate import PERSONAS, PersonaRun, simulate

#: The checkout's root when running from one (else the directory holding the package).
ROOT = PACKAGE_PARENT
DEFAULT_SUITE = evals_file("suite.yaml")
DEFAULT_BASELINE = evals_file("baseline.json")
GATE_MESSAGE = (
    "prompt, rubric or golden files changed since evals/baseline.json was written: {files}. "
    "Run the suite (`screener eval`) and, if the figures are acceptable, record them with "
    "`screener eval --update-baseline`; commit the new baseline with the change."
)


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = None
    max: float | None = None


class Bootstrap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    samples: int = Field(default=1000, ge=100)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    seed: int = 7


class Simulation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    personas: list[str] = Field(default_factory=lambda: list(PERSONAS))
    tracks: list[Literal["ai-engineer", "ml-engineer"]] = ["ai-engineer", "ml-engineer"]
    questions: int = Field(default=3, ge=1)
    max_followups: int = Field(default=1, ge=0)
    variants: int = Field(
        default=10,
        ge=1,
        description="Scripted variants of the personas that have them (the learned-the-script "
        "tourist and the consistent engineer); a persona passes when 90% of them do.",
    )


class Adversarial(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    payloads: Path | None = Field(
        default=None, description="Payload file (default evals/injection/payloads.yaml)."
    )
    hosts_per_payload: int = Field(default=4, ge=0, description="0 turns the suite off.")
    stand_in_judge: bool = True


class Stability(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    answers: int = Field(default=40, ge=0, description="Graded twice, without the cache.")


class Fairness(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    named_answers: int = Field(
        default=40, ge=0, description="Answers signed by each of the names (0 turns it off)."
    )
    rewrites: Path | None = Field(
        default=None, description="Non-native rewrites (default evals/fairness/nonnative.jsonl)."
    )


class SuiteConfig(BaseModel):
    """``evals/suite.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    split: Literal["calibration", "test", "all"] = "test"
    thresholds: dict[str, Threshold]
    tolerances: dict[str, float] = Field(default_factory=dict)
    bootstrap: Bootstrap = Field(default_factory=Bootstrap)
    simulation: Simulation = Field(default_factory=Simulation)
    stability: Stability = Field(default_factory=Stability)
    adversarial: Adversarial = Field(default_factory=Adversarial)
    fairness: Fairness = Field(default_factory=Fairness)


def load_suite(path: Path = DEFAULT_SUITE) -> SuiteConfig:
    """Load and validate a suite file (errors name file, line and field)."""
    from .bank import load_yaml_model

    return load_yaml_model(path, SuiteConfig)


@dataclass
class Check:
    """One threshold or baseline comparison."""

    name: str
    value: float
    passed: bool
    expected: str
    detail: str = ""


@dataclass
class SuiteResult:
    """Everything a suite run measured, and whether it passed."""

    grader: str
    fingerprint: str
    split: str
    created: str
    metrics: dict[str, float]
    eval: EvalResult
    personas: list[PersonaRun]
    adversarial: AdversarialResult | None = None
    fairness: FairnessResult | None = None
    checks: list[Check] = field(default_factory=list)
    comparison: list[Check] = field(default_factory=list)
    baseline: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        """True when every threshold and every baseline comparison passed."""
        return all(c.passed for c in [*self.checks, *self.comparison])


#: Metrics where a lower value is better (errors, biases): tolerances apply the other way.
LOWER_IS_BETTER = {"length_bias_abs", "calibration_error", "mae"}


def run_suite(
    suite: SuiteConfig,
    grader: Grader,
    bank: QuestionBank,
    *,
    regrade: Grader | None = None,
    progress: Callable[[str], None] | None = None,
    golden: Path | None = None,
) -> SuiteResult:
    """Measure ``grader`` on the goldens (of ``golden``, default :func:`golden_dir`) and the
    personas; check the thresholds."""
    say = progress or (lambda _: None)
    answers = load_golden_answers(golden)
    sessions = load_golden_sessions(golden, answers)
    say(f"grading the {suite.split} split of {len(answers)} golden answers")
    result = evaluate(grader, bank, answers, sessions, suite.split)
    say("running simulated interviews")
    sim = suite.simulation
    runs = simulate(
        bank,
        grader,
        personas=sim.personas,
        tracks=list(sim.tracks),
        questions=sim.questions,
        max_followups=sim.max_followups,
        variants=sim.variants,
    )
    groups = _persona_groups(runs)
    adversarial = None
    if suite.adversarial.hosts_per_payload:
        config = suite.adversarial
        payloads = load_payloads(config.payloads or DEFAULT_PAYLOADS)
        say(f"adversarial suite: {len(payloads)} payloads x {config.hosts_per_payload} hosts")
        adversarial = run_adversarial(
            payloads,
            choose_hosts(answers),
            bank,
            {grader.info.name: grader},
            hosts_per_payload=config.hosts_per_payload,
            stand_in_judge=config.stand_in_judge,
        )
    fairness = None
    if suite.fairness.named_answers:
        config_f = suite.fairness
        fairness = run_fairness(
            grader,
            bank,
            answers,
            suite.split,
            load_rewrites(config_f.rewrites) if config_f.rewrites else None,
            named=config_f.named_answers,
            progress=say,
        )
    stability = 1.0
    if regrade is not None and suite.stability.answers:
        say(f"regrading {suite.stability.answers} answers for stability")
        stability = _stability(grader, regrade, bank, answers, suite)
    metrics = {
        "qwk": result.qwk,
        "spearman": result.spearman,
        "exact": result.exact,
        "within_one": result.within_one,
        "criteria_qwk": result.criteria_qwk,
        "tourist_precision": result.tourist_precision,
        "tourist_recall": result.tourist_recall,
        "tourist_f1": result.tourist_f1,
        "injection_not_higher": result.injection_not_higher,
        "injection_flagged": result.injection_flagged,
        "length_bias_abs": abs(result.length_bias),
        "calibration_error": result.calibration_error,
        "unscored_share": len(result.unscored) / max(result.answers, 1),
        "stability": stability,
        "simulated_pass": sum(ok for _, ok in groups.values()) / max(len(groups), 1),
        **_flag_rates(runs),
        "cost_usd": float(result.usage.get("cost_usd") or 0.0),
    }
    for name, value in result.cascade.items():
        metrics[f"cascade_{name}"] = value
    if fairness is not None:
        metrics.update(fairness.metrics())
    if adversarial is not None:
        metrics["adversarial_not_higher"] = adversarial.not_higher(grader.info.name)
        metrics["adversarial_flagged"] = adversarial.flagged
        if STAND_IN in adversarial.graders:
            metrics["adversarial_judge_not_higher"] = adversarial.not_higher(STAND_IN)
    checks = []
    for name, bound in suite.thresholds.items():
        if name not in metrics:  # a part of the suite that this configuration does not run
            checks.append(Check(name, float("nan"), False, "measured", "not run"))
            continue
        value = metrics[name]
        ok = (bound.min is None or value >= bound.min) and (bound.max is None or value <= bound.max)
        want = " and ".join(
            part
            for part in (
                f">= {bound.min}" if bound.min is not None else "",
                f"<= {bound.max}" if bound.max is not None else "",
            )
            if part
        )
        checks.append(Check(name, value, ok, want))
    for (track, persona), (share, ok) in groups.items():
        mine = [r for r in runs if (r.track, r.persona) == (track, persona)]
        failed = sorted({k for r in mine for k, v in r.checks.items() if not v})
        want = "all behaviour checks pass" + (
            f" in 90% of {len(mine)} variants" if len(mine) > 1 else ""
        )
        checks.append(
            Check(
                interview_check_name(track, persona),
                share,
                ok,
                want,
                "failed: " + ", ".join(failed) if failed else "",
            )
        )
    return SuiteResult(
        grader=f"{grader.info.name} {grader.info.version}",
        fingerprint=grader.fingerprint(),
        split=suite.split,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        metrics=metrics,
        eval=result,
        personas=runs,
        adversarial=adversarial,
        fairness=fairness,
        checks=checks,
    )


def interview_check_name(track: str, persona: str) -> str:
    """The name of the check of one simulated interview persona on one track."""
    return f"simulated {track} {persona}"


def _persona_groups(runs: list[PersonaRun]) -> dict[tuple[str, str], tuple[float, bool]]:
    """(track, persona) -> (share of its runs that passed, whether that meets its bar): every
    run of a single-run persona, 90% of a scripted persona's variants."""
    groups: dict[tuple[str, str], list[PersonaRun]] = {}
    for run in runs:
        groups.setdefault((run.track, run.persona), []).append(run)
    out = {}
    for key, mine in groups.items():
        share = sum(r.passed for r in mine) / len(mine)
        out[key] = (share, share >= (0.9 if len(mine) > 1 else 1.0))
    return out


def _flag_rates(runs: list[PersonaRun]) -> dict[str, float]:
    """How often the claim personas are classified right (over tracks and variants)."""
    out = {}
    for persona, name in (
        ("scripted-tourist", "scripted_tourist_flagged"),
        ("consistent-engineer", "consistent_engineer_cleared"),
    ):
        mine = [r for r in runs if r.persona == persona]
        if mine:
            out[name] = sum(r.checks["correct tourist flag"] for r in mine) / len(mine)
    return out


def _stability(
    grader: Grader, regrade: Grader, bank: QuestionBank, answers: Sequence[Any], suite: SuiteConfig
) -> float:
    """Share of answers given the same overall score by two independent runs."""
    chosen = [a for a in answers if suite.split in ("all", a.split)][: suite.stability.answers]
    same = 0
    for answer in chosen:
        question = bank.get(answer.question_id)
        first = grade_blocking(grader, question, answer.answer).score
        second = grade_blocking(regrade, question, answer.answer).score
        same += first == second
    return same / len(chosen) if chosen else 1.0


# --- baseline ---------------------------------------------------------------------------------


def tracked_files(root: Path | None = None) -> dict[str, Path]:
    """Every prompt, question (rubric) and golden file the baseline pins, by relative name."""
    golden = golden_dir() if root is None else root / "golden"
    prompts = prompts_dir() if root is None else root / "prompts"
    files = {f"prompts/{p.name}": p for p in sorted(prompts.glob("*.yaml"))}
    for sub in ("questions", "answers", "sessions"):
        files.update({f"golden/{sub}/{p.name}": p for p in sorted((golden / sub).glob("*.yaml"))})
    return files


def file_hashes(root: Path | None = None) -> dict[str, str]:
    """SHA-256 of every tracked file."""
    return {
        name: hashlib.sha256(path.read_bytes()).hexdigest()
        for name, path in tracked_files(root).items()
    }


def stale_files(baseline: dict[str, Any], root: Path | None = None) -> list[str]:
    """Tracked files added, removed or changed since the baseline was recorded."""
    pinned: dict[str, str] = baseline.get("hashes", {})
    current = file_hashes(root)
    return sorted(
        name for name in set(pinned) | set(current) if pinned.get(name) != current.get(name)
    )


def baseline_record(result: SuiteResult) -> dict[str, Any]:
    """What ``--update-baseline`` writes."""
    from .grading.offline import VERSION as OFFLINE_VERSION

    return {
        "created": result.created,
        "grader": result.grader,
        "fingerprint": result.fingerprint,
        "split": result.split,
        "metrics": {k: round(v, 6) for k, v in result.metrics.items()},
        "hashes": file_hashes(),
        "grader_versions": {"offline": OFFLINE_VERSION, "package": _package_version()},
    }


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("screening-agent")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown"


def baseline_path(grader_name: str) -> Path:
    """The committed baseline of a grader: ``evals/baseline.json`` for the offline grader,
    ``evals/baselines/<provider-model>.json`` for an LLM judge."""
    if grader_name == "offline":
        return DEFAULT_BASELINE
    slug = "".join(ch if ch.isalnum() else "-" for ch in grader_name).strip("-")
    return DEFAULT_BASELINE.parent / "baselines" / f"{slug}.json"


def write_baseline(result: SuiteResult, path: Path = DEFAULT_BASELINE) -> Path:
    """Record ``result`` as the baseline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline_record(result), indent=2) + "\n", encoding="utf-8")
    return path


def read_baseline(path: Path = DEFAULT_BASELINE) -> dict[str, Any]:
    """The committed baseline."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def compare(result: SuiteResult, baseline: dict[str, Any], suite: SuiteConfig) -> list[Check]:
    """A check per tolerated metric: fails only when the bootstrap CI is wholly worse."""
    checks = []
    for name, tolerance in suite.tolerances.items():
        if name not in baseline.get("metrics", {}):
            continue
        base = float(baseline["metrics"][name])
        low, high = bootstrap_interval(result, name, suite.bootstrap)
        value = result.metrics[name]
        if name in LOWER_IS_BETTER:
            ok = low <= base + tolerance
            want = f"CI low <= baseline {base:.3f} + {tolerance}"
        else:
            ok = high >= base - tolerance
            want = f"CI high >= baseline {base:.3f} - {tolerance}"
        detail = f"now {value:.3f} (CI {low:.3f}-{high:.3f}), delta {value - base:+.3f}"
        checks.append(Check(f"baseline {name}", value, ok, want, detail))
    result.comparison = checks
    result.baseline = baseline
    return checks


def bootstrap_interval(result: SuiteResult, name: str, config: Bootstrap) -> tuple[float, float]:
    """Percentile bootstrap interval of a metric over the suite's answers or sessions."""
    statistic = _STATISTICS.get(name)
    value = result.metrics[name]
    if statistic is None:
        return value, value  # not an item-level statistic (e.g. simulated_pass): exact
    items: list[Any] = (
        result.eval.session_pairs if name.startswith("tourist") else result.eval.pairs
    )
    if len(items) < 2:
        return value, value
    rng = random.Random(config.seed)
    draws = sorted(
        statistic([items[rng.randrange(len(items))] for _ in items]) for _ in range(config.samples)
    )
    tail = (1 - config.confidence) / 2
    return draws[int(tail * (len(draws) - 1))], draws[int((1 - tail) * (len(draws) - 1))]


def _qwk(pairs: list[tuple[int, int, float]]) -> float:
    return quadratic_weighted_kappa([h for h, _, _ in pairs], [m for _, m, _ in pairs])


def _spearman(pairs: list[tuple[int, int, float]]) -> float:
    return spearman([h for h, _, _ in pairs], [m for _, m, _ in pairs])


def _share(test: Callable[[int, int], bool]) -> Callable[[list[tuple[int, int, float]]], float]:
    return lambda pairs: sum(test(h, m) for h, m, _ in pairs) / len(pairs)


def _f1(pairs: list[tuple[bool, bool]]) -> float:
    tp = sum(label and flag for label, flag in pairs)
    fp = sum(flag and not label for label, flag in pairs)
    fn = sum(label and not flag for label, flag in pairs)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _precision(pairs: list[tuple[bool, bool]]) -> float:
    flagged = [label for label, flag in pairs if flag]
    return sum(flagged) / len(flagged) if flagged else 0.0


def _recall(pairs: list[tuple[bool, bool]]) -> float:
    flags = [flag for label, flag in pairs if label]
    return sum(flags) / len(flags) if flags else 0.0


_STATISTICS: dict[str, Callable[[list[Any]], float]] = {
    "qwk": _qwk,
    "spearman": _spearman,
    "exact": _share(lambda h, m: h == m),
    "within_one": _share(lambda h, m: abs(h - m) <= 1),
    "tourist_f1": _f1,
    "tourist_precision": _precision,
    "tourist_recall": _recall,
}
