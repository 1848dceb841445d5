"""
The `retro` program. Each group of commands lives in a module of its own that registers
itself on `app`; modules import anything heavy (httpx, websocket, Django) inside the
commands, so `retro --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Annotated

import typer

from cli.errors import EXIT_CODES_HELP, CLIError, ExitCode
from cli.lazy import RetroGroup, RetroTyper

app = RetroTyper(
    cls=RetroGroup,
    name="retro",
    help=(
        "RetroSocial from the terminal: post, read and message on a RetroSocial site; "
        "follow the course; deploy it.\n\n" + EXIT_CODES_HELP + "."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: Typer's rich help imports rich and markdown-it, which more than doubles the
    # time `retro --help` takes (0.15 s against 0.06 s here; see bench/cli_startup.py).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def global_options(
    ctx: typer.Context,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            envvar="RETRO_SERVER",
            metavar="URL|NAME",
            help="The RetroSocial site to talk to: a URL, or a name from `retro server list`. "
            "Default: the server chosen with `retro server use`, else http://127.0.0.1:8000.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Options for every command; they are kept in `ctx.obj` (a dict) for the commands."""
    ctx.ensure_object(dict)
    ctx.obj["server"] = server


# Each module defines `register(app)`.
COMMAND_MODULES: list[str] = [
    "cli.account",
    "cli.posts",
    "cli.tail",
    "cli.messages",
    "cli.users",
    "cli.servers",
    "cli.deploy",
    "cli.course",
]

for _name in COMMAND_MODULES:
    import_module(_name).register(app)


def main() -> None:
    """Entry point: run the app, turning every failure into one line and an exit status."""
    try:
        app()
    except CLIError as error:
        _report(error.message, error.hint)
        sys.exit(int(error.code))
    except KeyboardInterrupt:
        sys.exit(int(ExitCode.CANCELLED))
    except Exception as error:  # a bug: still no traceback unless asked for
        if os.environ.get("RETRO_DEBUG"):
            raise
        _report(f"unexpected {type(error).__name__}: {error}", "run with RETRO_DEBUG=1 for details")
        sys.exit(int(ExitCode.ERROR))


def _report(message: str, hint: str | None) -> None:
    line = f"retro: error: {message}"
    if hint:
        line += f" ({hint})"
    print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
