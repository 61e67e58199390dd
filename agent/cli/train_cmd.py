"""``screener train``: train the offline grader on the calibration split of the goldens."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .._errors import UserError
from .._resources import in_checkout
from ._options import GoldenDir, golden_bank, golden_root


def train_command(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the model artefact (default: the grader's own, "
            "agent/grading/offline_model.json, in a source checkout).",
            show_default=False,
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            help="Do not write: exit 1 if the --out file differs from a fresh training run."
        ),
    ] = False,
    golden_dir: GoldenDir = None,
) -> None:
    """Train the offline grader (reproducible; the test split is never read)."""
    from ..bank import load_golden_answers
    from ..grading.trained import ARTIFACT
    from ..grading.training import artifact_json, same_artifact, train

    if out is None and not check and not in_checkout():
        raise UserError(
            "screener train replaces the grader's model only in a source checkout; "
            "name another file with --out"
        )
    out = out or ARTIFACT
    golden = golden_root(golden_dir)
    artifact = train(load_golden_answers(golden), golden_bank(golden))
    text = artifact_json(artifact)
    summary = (
        f"trained on {artifact.rows['answers']} calibration answers "
        f"(data {artifact.training_data_sha256[:12]}); CV QWK (one fold per author): overall "
        f"{artifact.cross_validation['overall_qwk']:.3f}, criteria "
        f"{artifact.cross_validation['criterion_qwk']:.3f} (levels spread x"
        f"{artifact.overall_stretch:g} / x{artifact.criterion_stretch:g}); cascade threshold "
        f"{artifact.cascade['confidence_threshold']:.3f} keeps "
        f"{artifact.cascade['accepted_share']:.0%} of answers at "
        f"{artifact.cascade['accepted_exact']:.0%} exact agreement"
    )
    if check:
        same = out.is_file() and same_artifact(out.read_text(encoding="utf-8"), text)
        print(
            ("up to date: " if same else f"STALE: {out} differs; run `screener train`. ") + summary,
            file=sys.stderr,
        )
        if not same:
            raise typer.Exit(1)
        return
    out.write_text(text, encoding="utf-8")
    print(f"{summary}; written to {out}", file=sys.stderr)
