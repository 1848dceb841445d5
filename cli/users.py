"""`retro users`: who is on the site."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import JsonOption, examples

app = typer.Typer()


@app.command(epilog=examples("retro users", "retro users --json | jq -r '.[].username'"))
def users(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=10000, help="How many to show at most.")
    ] = 100,
    json: JsonOption = False,
) -> None:
    """List the people on the site, by username."""
    from cli import api, output
    from cli.client import Client

    with Client.for_server(ctx.obj.get("server")) as client:
        people = list(api.users(client, limit))
    if json:
        output.print_json(people)
        return
    output.table(
        ["username", "joined"],
        [[person["username"], output.when(person.get("date_joined"))] for person in people],
        empty="No one has signed up yet.",
    )
