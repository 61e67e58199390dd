"""The ``screener`` command line. Front end only: every command calls the library."""

from __future__ import annotations

import logging
import sys

import typer

from .._errors import UserError
from . import _help, bank_cmds, chat, eval_cmd, grade, review_cmd, serve, sessions_cmd, train_cmd

app = typer.Typer(
    name="screener",
    help="Screening interviews that tell real AI/ML engineers from prompt tourists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_help.Group,
)
app.callback()(_help.root)
app.command("chat")(chat.chat)
app.command("grade")(grade.grade)
app.command("eval")(eval_cmd.eval_command)
app.command("calibrate")(eval_cmd.calibrate_command)
app.command("train")(train_cmd.train_command)
app.command("questions")(bank_cmds.questions)
app.command("validate")(bank_cmds.validate)
app.command("schema")(bank_cmds.schema)
app.command("serve")(serve.serve)
app.command("sessions")(sessions_cmd.sessions)
app.command("report")(sessions_cmd.report)
app.command("compare")(sessions_cmd.compare)
app.command("review")(review_cmd.review)
app.command("decide")(review_cmd.decide_command)
app.command("explain")(review_cmd.explain)
app.add_typer(review_cmd.audit_app, name="audit")
app.add_typer(review_cmd.labels_app, name="labels")


def main() -> None:
    """Console entry point: user errors become one line on stderr and exit code 2."""
    logging.basicConfig(format="screener: warning: %(message)s", level=logging.WARNING)
    try:
        app()
    except UserError as exc:
        print(f"screener: error: {exc}", file=sys.stderr)
        sys.exit(2)
