"""`retro message`, `retro inbox`, `retro conversation`: direct messages between two people."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import JsonOption, examples
from cli.posts import text_argument

User = Annotated[str, typer.Argument(help="The other person's username.", show_default=False)]


app = typer.Typer()


@app.command(
    epilog=examples('retro message bob "Lunch at noon?"', "git log -1 | retro message bob -")
)
def message(
    ctx: typer.Context,
    user: User,
    text: Annotated[
        str,
        typer.Argument(help="The message (1 to 2000 characters), or - to read standard input."),
    ],
    json: JsonOption = False,
) -> None:
    """Send a direct message to USER."""
    from cli import api, output
    from cli.client import Client

    body = text_argument(text)
    with Client.for_server(ctx.obj.get("server"), login=True) as client:
        sent = api.send_message(client, user, body)
    if json:
        output.print_json(sent)
    else:
        output.result(f"Sent #{sent['id']} to {sent['recipient']}.")


@app.command(epilog=examples("retro inbox", "retro inbox --json"))
def inbox(ctx: typer.Context, json: JsonOption = False) -> None:
    """Your conversations, the most recent first, with how many messages are unread."""
    from cli import api, output
    from cli.client import Client

    with Client.for_server(ctx.obj.get("server"), login=True) as client:
        conversations = list(api.conversations(client))
    if json:
        output.print_json(conversations)
        return
    rows = []
    for talk in conversations:
        last = talk.get("last_message") or {}
        arrow = "→" if last.get("sender") != talk["username"] else "←"
        rows.append(
            [
                talk["username"],
                talk.get("unread", 0) or "",
                output.when(last.get("created")),
                f"{arrow} {output.one_line(last.get('text', ''))}",
            ]
        )
    output.table(["with", "unread", "when", "last message"], rows, empty="No messages yet.")


@app.command(epilog=examples("retro conversation bob", "retro conversation bob -n 50 --json"))
def conversation(
    ctx: typer.Context,
    user: User,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=1, max=1000, help="How many of the latest to show."),
    ] = 20,
    json: JsonOption = False,
) -> None:
    """The latest messages between you and USER, oldest first, as a chat reads."""
    from cli import api, output
    from cli.client import Client

    with Client.for_server(ctx.obj.get("server"), login=True) as client:
        latest = list(api.conversation(client, user, limit))  # newest first
    latest.reverse()
    if json:
        output.print_json(latest)
        return
    output.table(
        ["#", "when", "from", "message"],
        [[m["id"], output.when(m["created"]), m["sender"], m["text"]] for m in latest],
        empty=f"No messages with {user} yet.",
    )
