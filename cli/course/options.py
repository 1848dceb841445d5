"""The arguments and options several course commands share, with the same help everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

WeekArgument = Annotated[
    str,
    typer.Argument(
        metavar="WEEK",
        help="The week: its number (or week-3, final); retro lesson list shows them.",
    ),
]
PathOption = Annotated[
    Path | None,
    typer.Option(
        "--path", help="Your project folder (default: the current folder).", show_default=False
    ),
]
OnlyOption = Annotated[
    bool, typer.Option("--only", help="Only this week's checks, not the earlier weeks' too.")
]


def python_option(help: str) -> Any:
    """--python: the Python that runs the project, as the command says it is chosen."""
    return Annotated[str | None, typer.Option("--python", help=help, show_default=False)]


def service_option(name: str, help: str) -> Any:
    """--postgres or --redis: the URL of a server the checks may use (RETRO_CHECK_…_URL)."""
    return Annotated[
        str | None,
        typer.Option(
            f"--{name}",
            envvar=f"RETRO_CHECK_{name.upper()}_URL",
            metavar="URL",
            help=help,
            show_default=False,
        ),
    ]
