"""The commands installed from a built wheel, run far from the checkout.

The wheel is built from this checkout and installed with its dependencies (from the package
registry) into a fresh virtual environment under a temporary directory, without the system's or
the checkout's site-packages. Every command then runs from a working directory outside the
checkout with a home of its own, so a file read from the checkout instead of the wheel fails
here. Building and installing take about half of the time (some 40 s of 80-100 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent.grading.trained import VERSION as TRAINED_VERSION

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 600  # an installed `screener eval` grades the test split and the whole adversarial suite


@dataclass(frozen=True)
class Installed:
    """A venv holding the installed wheel, and where its commands run."""

    bin: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=self.cwd,
            env=self.env,
            timeout=TIMEOUT,
        )


def _build_wheel(dist: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    (wheel,) = dist.glob("screening_agent-*.whl")
    return wheel


def _clean_env() -> dict[str, str]:
    """The test's environment without anything that points Python or screener at the checkout."""
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "ANTHROPIC_API_KEY", "OPENAI_API_KEY")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("SCREENER_")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT), "the venv must live outside the checkout"
    wheel = _build_wheel(base / "dist")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(base / "venv")
    bin_dir = base / "venv" / "bin"
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[train]"],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=TIMEOUT,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    home = base / "home"
    env = {
        **_clean_env(),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "NO_COLOR": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    cwd = base / "elsewhere"
    cwd.mkdir()
    return Installed(bin_dir, cwd, env)


def test_the_package_is_imported_from_the_venv(installed: Installed) -> None:
    proc = installed.run("python", "-c", "import agent, sys; print(agent.__file__, sys.prefix)")
    assert proc.returncode == 0, proc.stderr
    module, prefix = (Path(p) for p in proc.stdout.split())
    assert module.is_relative_to(installed.bin.parent), module
    assert not module.is_relative_to(ROOT) and Path(prefix) == installed.bin.parent


def test_a_scripted_chat(installed: Installed) -> None:
    answers = [STRONG_ANSWERS[k] for k in ("regression-suite", "hallucination-debug")]
    proc = installed.run(
        "screener",
        "chat",
        "--questions",
        "2",
        "--max-followups",
        "0",
        "--report-out",
        "report",
        stdin="\n".join(answers) + "\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "[Question - question 1 of 2] Show me a regression suite you wrote."
    assert lines[1].startswith("[Question - question 2 of 2] Walk me through a hallucination")
    report = json.loads((installed.cwd / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "complete"
    assert [t["answer"] for t in report["transcript"]] == answers
    assert (installed.cwd / "report.md").read_text(encoding="utf-8").startswith("# Screening")


def _grade(installed: Installed, out: str) -> list[dict[str, object]]:
    answers = installed.cwd / "answers.csv"
    answers.write_text(
        "candidate_id,question_id,answer\n"
        f'alice,regression-suite,"{STRONG_ANSWERS["regression-suite"]}"\n'
        f'bob,regression-suite,"{TOURIST_ANSWER}"\n',
        encoding="utf-8",
    )
    proc = installed.run("screener", "grade", "answers.csv", "--out", out)
    assert proc.returncode == 0, proc.stderr
    lines = (installed.cwd / out).read_text().splitlines()
    rows = sorted((json.loads(line) for line in lines), key=lambda r: str(r["candidate_id"]))
    assert [r["candidate_id"] for r in rows] == ["alice", "bob"], "in the order workers finish"
    return rows


def test_grade_a_small_csv(installed: Installed) -> None:
    alice, bob = _grade(installed, "grades.jsonl")
    assert isinstance(alice["score"], int) and isinstance(bob["score"], int)
    assert alice["score"] > bob["score"], (alice["score"], bob["score"])
    assert alice["evidence"] and alice["grader"] == {"name": "offline", "version": TRAINED_VERSION}
    assert alice["verdict"]["calibrated"] is False, "no map yet"  # type: ignore[index]


def test_questions_lists_the_packaged_bank(installed: Installed) -> None:
    proc = installed.run("screener", "questions")
    assert proc.returncode == 0, proc.stderr
    assert "regression-suite" in proc.stdout and "hallucination-debug" in proc.stdout


def test_train_and_update_baseline_need_a_checkout_or_a_named_file(installed: Installed) -> None:
    train = installed.run("screener", "train")
    assert train.returncode == 2
    assert train.stderr.strip() == (
        "screener: error: screener train replaces the grader's model only in a source checkout; "
        "name another file with --out"
    )
    baseline = installed.run("screener", "eval", "--update-baseline")
    assert baseline.returncode == 2 and "run it from one" in baseline.stderr


def test_eval_runs_the_packaged_suite_and_writes_every_report(installed: Installed) -> None:
    proc = installed.run("screener", "eval", "--out-dir", "reports")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout
    out = installed.cwd / "reports"
    assert {p.name for p in out.iterdir()} == {
        "report.json",
        "junit.xml",
        "report.md",
        "report.html",
    }
    report = json.loads((out / "report.json").read_text())
    assert report["passed"] and report["answers"] > 300 and report["sessions"] > 50
    assert report["metrics"]["qwk"] > 0.8 and len(report["per_question"]) == 19
    assert report["adversarial"]["pairs"] > 0, "the packaged payloads were read"
    assert ET.parse(out / "junit.xml").getroot().get("failures") == "0"
    page = (out / "report.html").read_text()
    assert page.count("<svg") == 3 and 'class="bar"' in page

    missing = installed.run("screener", "eval", "--suite", "nowhere/suite.yaml")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "screener: error: suite file not found: nowhere/suite.yaml (name another with --suite)"
    )


def test_calibrate_writes_a_map_that_grading_then_loads(installed: Installed) -> None:
    proc = installed.run("screener", "calibrate")
    assert proc.returncode == 0, proc.stderr
    maps = list((Path(installed.env["XDG_DATA_HOME"]) / "screener" / "calibration").glob("*.json"))
    assert len(maps) == 1 and f"written to {maps[0]}" in proc.stderr
    stored = json.loads(maps[0].read_text())
    assert stored["grader"] == "offline" and stored["items"] > 300
    assert "QWK" in proc.stderr and "fitted on" in proc.stderr
    try:
        rows = _grade(installed, "calibrated.jsonl")
        assert all(row["verdict"]["calibrated"] for row in rows)  # type: ignore[index]
    finally:
        maps[0].unlink()  # the other tests grade uncalibrated
