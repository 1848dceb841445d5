"""
The `retro` program. Each module of commands has a `typer.Typer()` of its own, joined here with
`app.add_typer`: with a name for a group (`retro server …`), without one for top-level commands
(Typer adds them to `retro` itself). Modules import anything heavy (httpx, websocket, Django)
inside the commands, so `retro --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli import account, deploy, messages, password, posts, servers, tail, users
from cli.course import check, checkpoints, classroom, doctor, new, student, watch
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


# `retro --help` lists the top-level commands first, in this order, then the groups.
app.add_typer(account.app)  # signup, login, logout, whoami, email
app.add_typer(posts.app)  # post, feed
app.add_typer(tail.app)
app.add_typer(messages.app)  # message, inbox, conversation
app.add_typer(users.app)
app.add_typer(check.app)
app.add_typer(doctor.app)
app.add_typer(watch.app)
app.add_typer(new.app)
app.add_typer(password.app, name="password")
app.add_typer(servers.app, name="server")
app.add_typer(deploy.app, name="deploy")
app.add_typer(student.app, name="lesson")
app.add_typer(checkpoints.app, name="checkpoint")
app.add_typer(classroom.app, name="class")


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
