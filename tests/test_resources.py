"""Where the commands' files are found: the checkout here, the variables, missing paths.

Installed from a wheel (no checkout) is ``tests/cli/test_wheel.py``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from agent import UserError
from agent._resources import (
    PACKAGE_PARENT,
    calibration_dir,
    evals_file,
    existing,
    golden_dir,
    in_checkout,
    packaged,
    prompts_dir,
)
from agent.bank import load_golden_answers

ROOT = Path(__file__).resolve().parents[1]


def test_the_checkout_files_are_read_when_running_from_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SCREENER_GOLDEN_DIR", "SCREENER_PROMPTS_DIR", "SCREENER_CALIBRATION_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert in_checkout() and PACKAGE_PARENT == ROOT
    assert golden_dir() == ROOT / "golden" and prompts_dir() == ROOT / "prompts"
    assert evals_file("suite.yaml") == ROOT / "evals" / "suite.yaml"
    assert calibration_dir() == ROOT / "evals" / "calibration"
    assert packaged("evals", "suite.yaml") == ROOT / "agent" / "_data" / "evals" / "suite.yaml"


def test_variables_name_other_places(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCREENER_GOLDEN_DIR", str(tmp_path / "g"))
    monkeypatch.setenv("SCREENER_PROMPTS_DIR", str(tmp_path / "p"))
    monkeypatch.setenv("SCREENER_CALIBRATION_DIR", str(tmp_path / "c"))
    assert (golden_dir(), prompts_dir(), calibration_dir()) == (
        tmp_path / "g",
        tmp_path / "p",
        tmp_path / "c",
    )


def test_a_missing_path_is_one_line_naming_it(tmp_path: Path) -> None:
    assert existing(tmp_path, "a folder", "--folder") == tmp_path
    with pytest.raises(UserError) as caught:
        existing(tmp_path / "nope", "the suite", "--suite")
    assert (
        str(caught.value) == f"the suite not found: {tmp_path / 'nope'} (name another with --suite)"
    )


def test_a_golden_directory_without_answers_says_so(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "golden" / "questions", tmp_path / "questions")
    with pytest.raises(UserError, match=r"golden answers not found: .*answers \(name another"):
        load_golden_answers(tmp_path)


@pytest.mark.slow
def test_train_and_eval_take_a_golden_directory(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [screener_exe, *args], capture_output=True, text=True, env=cli_env, timeout=120
        )

    missing = run("train", "--check", "--golden-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"screener: error: golden directory not found: {tmp_path / 'nowhere'} "
        "(name another with --golden-dir)"
    )
    golden = tmp_path / "golden"
    shutil.copytree(ROOT / "golden", golden)
    # Two questions' answers by 28 authors are too few to cross-validate by author: one line.
    for answers in (golden / "answers").glob("*.yaml"):
        if answers.name not in {"latency-budget.yaml", "sub-100ms-serving.yaml"}:
            answers.unlink()
    too_few = run("train", "--check", "--golden-dir", str(golden))
    assert too_few.returncode == 2
    assert too_few.stderr.strip().startswith(
        "screener: error: training cross-validates by author: it needs two folds"
    ), too_few.stderr
    # Three authors' answers to every question train in seconds; the count shows which were read.
    shutil.rmtree(golden)
    shutil.copytree(ROOT / "golden", golden)
    authors = {"team", "outside-n01", "outside-n02"}
    for path in (golden / "answers").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["answers"] = [a for a in data["answers"] if a.get("author", "team") in authors]
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    trained = run("train", "--check", "--golden-dir", str(golden))
    kept = [a for a in load_golden_answers(golden) if a.split == "calibration"]
    assert {a.author for a in kept} == authors
    assert f"trained on {len(kept)} calibration answers" in trained.stderr, trained.stderr
    shutil.rmtree(golden / "sessions")
    no_sessions = run("eval", "--golden-dir", str(golden))
    assert no_sessions.returncode == 2
    assert no_sessions.stderr.strip().endswith(
        f"golden sessions not found: {golden / 'sessions'} "
        "(name another with --golden-dir or $SCREENER_GOLDEN_DIR)"
    )
