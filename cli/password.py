"""`retro password reset`: a forgotten password. The site mails a link to the account's email
address; the new password is chosen on the site's page the link opens."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import JsonOption, examples

app = typer.Typer(
    help="A forgotten password: have a link to choose a new one mailed to you.",
    no_args_is_help=True,
)

SENT = (
    "If an account on {server} has that address, a mail with a link to choose a new password "
    "is on its way."
)


@app.command(
    "reset",
    epilog=examples(
        "retro password reset alice@example.com",
        "retro --server https://myapp.herokuapp.com password reset alice@example.com",
    ),
)
def reset(
    ctx: typer.Context,
    email: Annotated[
        str,
        typer.Argument(
            help="The email address of your account (set with `retro signup --email` or "
            "`retro email`).",
            show_default=False,
        ),
    ],
    json: JsonOption = False,
) -> None:
    """Mail a link to choose a new password to EMAIL, if an account on the site has that
    address. The answer is the same if none has: the site does not say which addresses have
    accounts. Open the link in a browser, choose the password there, then `retro login`."""
    from cli import api, output
    from cli.client import Client

    with Client.for_server(ctx.obj.get("server")) as client:
        answer = api.password_reset(client, email)
        if json:
            output.print_json({**answer, "email": email, "server": client.server})
            return
        output.result(SENT.format(server=client.server))
        output.status("Open the link in a browser to choose a new password, then: retro login.")
