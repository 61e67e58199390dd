"""``screener eval`` as a subprocess: exit codes follow the thresholds; reports are written."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from agent.suite import DEFAULT_BASELINE, DEFAULT_SUITE


def _suite(tmp_path: Path, qwk_min: float) -> Path:
    config = yaml.safe_load(DEFAULT_SUITE.read_text())
    config["thresholds"]["qwk"] = {"min": qwk_min}
    config["simulation"] = {"personas": ["strong", "tourist"], "tracks": ["ai-engineer"]}
    for gate in ("scripted_tourist_flagged", "consistent_engineer_cleared"):
        del config["thresholds"][gate]  # those personas are not in this quick simulation
    config["stability"] = {"answers": 0}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_eval_exit_codes_and_reports(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    passing = subprocess.run(
        [
            screener_exe,
            "eval",
            "--suite",
            str(_suite(tmp_path, 0.5)),
            "--out-dir",
            str(out),
            "--compare",
            str(DEFAULT_BASELINE),
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=480,  # the golden test split and the whole adversarial suite
    )
    assert passing.returncode == 0, passing.stdout[-2000:] + passing.stderr[-2000:]
    assert {p.name for p in out.iterdir()} == {
        "report.json",
        "junit.xml",
        "report.md",
        "report.html",
    }
    report = json.loads((out / "report.json").read_text())
    assert report["passed"] and report["comparison"], "the baseline comparison ran"
    shown = re.search(r"length bias ([+-]\d\.\d{3})", passing.stdout)
    assert shown, passing.stdout[-2000:]
    signed = f"{report['length_bias']:+.3f}"
    assert shown.group(1) == signed, "the terminal and the reports give one sign"
    assert f"Length bias {signed}: " in (out / "report.md").read_text()

    failing = subprocess.run(
        [screener_exe, "eval", "--suite", str(_suite(tmp_path, 0.99))],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=480,  # the golden test split and the whole adversarial suite
    )
    assert failing.returncode == 1
    assert "FAILED" in failing.stdout
