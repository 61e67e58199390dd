"""What ``screener --help`` shows besides the commands: ``--version``, and flags without a type.

Typer's help panels give every option a type column; a flag takes no value, so ``<bool>`` there
reads as if ``--quiet`` wanted an argument. The group below blanks the column for flags (the
help flag included) of itself and of every command it hands out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup, TyperOption

if TYPE_CHECKING:
    from typer._click import Command, Context, Parameter

DISTRIBUTION = "screening-agent"


def _untyped_flags(params: Iterable[Parameter]) -> None:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""


class Group(TyperGroup):
    """The ``screener`` group: its flags and its commands' flags show no type in help."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        params = super().get_params(ctx)
        _untyped_flags(params)
        return params

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _untyped_flags(command.get_params(ctx))
        return command


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"screener {version(DISTRIBUTION)}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print the installed version and exit.",
        ),
    ] = False,
) -> None:
    """The options before the command."""
