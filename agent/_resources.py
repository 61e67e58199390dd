"""Where the files the commands read live: the source checkout, or the data shipped in the wheel.

Run from a checkout (an editable install, or ``python -m`` in the tree), the commands read the
files being edited: ``golden/``, ``prompts/`` and ``evals/`` beside the package. Installed from a
wheel there is no checkout: the same files ship inside the package under ``agent/_data/`` (see
``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``) and are found with
:mod:`importlib.resources`. An environment variable or a command-line option names another
place explicitly; a path that does not exist is a one-line error naming it.

Files the commands write (calibration maps) go under ``evals/`` in a checkout and under the
user's data directory when installed, never into the installed package.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from platformdirs import user_data_dir

from ._errors import UserError

#: The directory holding the ``agent`` package: a checkout's root, or ``site-packages``.
PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def in_checkout() -> bool:
    """True when the package runs from a source checkout (its ``golden/questions`` is beside it)."""
    return (PACKAGE_PARENT / "pyproject.toml").is_file() and (
        PACKAGE_PARENT / "golden" / "questions"
    ).is_dir()


def packaged(*parts: str) -> Path:
    """A path under the data shipped in the wheel, ``agent/_data/...``."""
    root = files("agent").joinpath("_data")
    if not isinstance(root, Path):  # pragma: no cover - a zipped install is not supported
        raise UserError("the screener package must be installed as files, not zipped")
    return root.joinpath(*parts)


def located(variable: str, checkout: str, installed: Path) -> Path:
    """``$variable`` if set, else ``checkout`` (relative to the checkout's root) when running from
    a checkout, else ``installed``."""
    env = os.environ.get(variable)
    if env:
        return Path(env)
    return PACKAGE_PARENT / checkout if in_checkout() else installed


def golden_dir() -> Path:
    """``$SCREENER_GOLDEN_DIR``, else the checkout's ``golden/``, else the wheel's copy (the same
    layout: ``questions/``, ``answers/``, ``sessions/``)."""
    return located("SCREENER_GOLDEN_DIR", "golden", packaged())


def prompts_dir() -> Path:
    """``$SCREENER_PROMPTS_DIR``, else the checkout's ``prompts/``, else the wheel's copy."""
    return located("SCREENER_PROMPTS_DIR", "prompts", packaged("prompts"))


def evals_file(name: str) -> Path:
    """A file of the regression suite (``suite.yaml``, ``baseline.json``,
    ``injection/payloads.yaml``): the checkout's ``evals/``, else the wheel's copy."""
    return PACKAGE_PARENT / "evals" / name if in_checkout() else packaged("evals", name)


def calibration_dir() -> Path:
    """``$SCREENER_CALIBRATION_DIR``, else the checkout's ``evals/calibration``, else
    ``calibration/`` under the user's data directory (maps written by ``screener calibrate``)."""
    installed = Path(user_data_dir("screener")) / "calibration"
    return located("SCREENER_CALIBRATION_DIR", "evals/calibration", installed)


def existing(path: Path, what: str, option: str) -> Path:
    """``path`` if it exists, else a one-line error naming it and the option to point elsewhere."""
    if not path.exists():
        raise UserError(f"{what} not found: {path} (name another with {option})")
    return path
