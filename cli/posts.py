"""`retro post` and `retro feed`: write to and read the public feed."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.errors import CLIError, ExitCode
from cli.output import JsonOption, examples

Limit = Annotated[
    int, typer.Option("--limit", "-n", min=1, max=1000, help="How many to show, newest first.")
]


app = typer.Typer()


def text_argument(text: str) -> str:
    """TEXT itself, or all of standard input when TEXT is `-`."""
    if text != "-":
        return text
    if sys.stdin.isatty():
        raise CLIError(
            "TEXT is '-' but nothing is piped into standard input",
            ExitCode.USAGE,
            hint="echo 'hello' | retro post -",
        )
    return sys.stdin.read()


@app.command(
    epilog=examples(
        'retro post "Hello from the terminal"',
        "fortune | retro post -",
    )
)
def post(
    ctx: typer.Context,
    text: Annotated[
        str, typer.Argument(help="What to post (1 to 500 characters), or - to read standard input.")
    ],
    json: JsonOption = False,
) -> None:
    """Post to the public feed."""
    from cli import api, output
    from cli.client import Client

    body = text_argument(text)
    with Client.for_server(ctx.obj.get("server"), login=True) as client:
        created = api.post(client, body)
    if json:
        output.print_json(created)
    else:
        output.result(f"Posted #{created['id']} as {created['author']}.")


@app.command(epilog=examples("retro feed", "retro feed --limit 5 --json | jq -r '.[].text'"))
def feed(ctx: typer.Context, limit: Limit = 20, json: JsonOption = False) -> None:
    """Show the newest posts of the public feed."""
    from cli import api, output
    from cli.client import Client

    with Client.for_server(ctx.obj.get("server")) as client:
        posts = list(api.feed(client, limit))
    if json:
        output.print_json(posts)
        return
    output.table(
        ["#", "when", "who", "post"],
        [[p["id"], output.when(p["created"]), p["author"], p["text"]] for p in posts],
        empty="No posts yet.",
    )
