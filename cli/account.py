"""`retro signup`, `retro login`, `retro logout`, `retro whoami`, `retro email`: an account on a
RetroSocial site.

The API token is saved per server in the user's config folder, in a file only they can read.
A forgotten password is `retro password reset` (cli/password.py).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.errors import CLIError, ExitCode
from cli.output import JsonOption, examples

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input (for scripts) "
        "instead of prompting for it.",
    ),
]
Username = Annotated[str, typer.Argument(help="Your username on the site.", show_default=False)]
EmailOption = Annotated[
    str | None,
    typer.Option(
        "--email",
        metavar="ADDRESS",
        help="An email address for the account: where a link to choose a new password is sent "
        "if you forget it (retro password reset). Optional; `retro email` changes it later.",
        show_default=False,
    ),
]


app = typer.Typer()


def read_password(from_stdin: bool, *, confirm: bool) -> str:
    """The password: the first line of standard input, or typed at a prompt without echo."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CLIError("no password on standard input", ExitCode.USAGE)
        return password
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    if not password:
        raise CLIError("the password is empty", ExitCode.USAGE)
    return password


@app.command(
    epilog=examples(
        "retro signup alice",
        "retro signup alice --email alice@example.com",
        "printf '%s\\n' \"$PASSWORD\" | retro signup alice --password-stdin",
    )
)
def signup(
    ctx: typer.Context,
    username: Username,
    password_stdin: PasswordStdin = False,
    email: EmailOption = None,
) -> None:
    """Create an account on the site and log in to it."""
    from cli import api, config, output
    from cli.client import Client

    password = read_password(password_stdin, confirm=True)
    with Client.for_server(ctx.obj.get("server")) as client:
        answer = api.signup(client, username, password, email)
        config.save_token(client.server, answer["username"], answer["token"])
        output.result(f"Signed up as {answer['username']} on {client.server}; you are logged in.")


@app.command(
    epilog=examples(
        "retro login alice",
        "retro --server https://myapp.herokuapp.com login alice",
    )
)
def login(ctx: typer.Context, username: Username, password_stdin: PasswordStdin = False) -> None:
    """Log in and save an API token for this server."""
    from cli import api, config, output
    from cli.client import Client

    password = read_password(password_stdin, confirm=False)
    with Client.for_server(ctx.obj.get("server")) as client:
        try:
            answer = api.token(client, username, password)
        except CLIError as error:
            if error.server_code == "wrong_credentials":
                raise CLIError(
                    f"wrong username or password for {client.server}", ExitCode.AUTH
                ) from None
            raise
        config.save_token(client.server, username, answer["token"])
        output.result(f"Logged in to {client.server} as {username}.")


@app.command(epilog=examples("retro logout"))
def logout(ctx: typer.Context) -> None:
    """Log out: revoke the token on the server and forget it here."""
    from cli import api, config, output
    from cli.client import Client

    with Client.for_server(ctx.obj.get("server")) as client:
        if not client.token:
            output.status(f"Not logged in to {client.server}; nothing to do.")
            return
        try:
            api.revoke_token(client)
        except CLIError as error:
            if error.code != ExitCode.AUTH:
                raise  # keep the token so that logging out can be tried again
            output.status("The server had already revoked the token.")
        config.forget_token(client.server)
        output.result(f"Logged out of {client.server}.")


@app.command(epilog=examples("retro whoami", "retro whoami --json"))
def whoami(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show who you are logged in as, on which server."""
    from cli import api, output
    from cli.client import Client

    with Client.for_server(ctx.obj.get("server"), login=True) as client:
        me = api.me(client)
        if json:
            output.print_json({**me, "server": client.server})
            return
        joined = f"joined {output.when(me.get('date_joined'))}"
        address = f", email {me['email']}" if me.get("email") else ""
        output.result(f"{me['username']} on {client.server} ({joined}{address})")


@app.command(
    epilog=examples(
        "retro email alice@example.com",
        "retro email --remove",
    )
)
def email(
    ctx: typer.Context,
    address: Annotated[
        str | None,
        typer.Argument(help="The new email address.", show_default=False),
    ] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Remove the account's email address.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Set the email address of your account: where a link to choose a new password is sent
    if you forget it (retro password reset). `retro whoami` shows it."""
    from cli import api, output
    from cli.client import Client

    if (address is None) == (not remove):
        raise CLIError("give an email address, or --remove (not both)", ExitCode.USAGE)
    with Client.for_server(ctx.obj.get("server"), login=True) as client:
        me = api.set_email(client, None if remove else address)
        if json:
            output.print_json({**me, "server": client.server})
        elif me.get("email"):
            output.result(
                f"The email address of {me['username']} on {client.server} is now {me['email']}."
            )
        else:
            output.result(f"{me['username']} on {client.server} has no email address now.")
