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
    address_out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the model of text addressed to the grader (default: "
            "agent/grading/address_model.json, in a source checkout).",
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
    """Train the offline grader and the reader of text addressed to the grader (reproducible;
    the test split is never read)."""
    from ..adversarial import load_payloads
    from ..bank import load_golden_answers
    from ..grading import address
    from ..grading.trained import ARTIFACT
    from ..grading.training import artifact_json, same_artifact, train

    if out is None and not check and not in_checkout():
        raise UserError(
            "screener train replaces the grader's model only in a source checkout; "
            "name another file with --out"
        )
    out = out or ARTIFACT
    address_out = address_out or address.ARTIFACT
    golden = golden_root(golden_dir)
    answers = load_golden_answers(golden)
    artifact = train(answers, golden_bank(golden))
    text = artifact_json(artifact)
    reader = address.train(answers, [p.text for p in load_payloads()])
    reader_text = address.model_json(reader)
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
    summary += (
        f"; addressed-text reader on {reader.rows['sentences']} sentences "
        f"({reader.rows['addressed']} addressed to the grader)"
    )
    if check:
        stale = [
            path
            for path, fresh in ((out, text), (address_out, reader_text))
            if not (path.is_file() and same_artifact(path.read_text(encoding="utf-8"), fresh))
        ]
        print(
            (
                f"STALE: {', '.join(map(str, stale))} differs; run `screener train`. "
                if stale
                else "up to date: "
            )
            + summary,
            file=sys.stderr,
        )
        if stale:
            raise typer.Exit(1)
        return
    out.write_text(text, encoding="utf-8")
    address_out.write_text(reader_text, encoding="utf-8")
    print(f"{summary}; written to {out} and {address_out}", file=sys.stderr)
