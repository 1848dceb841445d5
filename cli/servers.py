"""`retro server add/use/list/remove`: the RetroSocial sites you use, by name."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import JsonOption, examples

app = typer.Typer(
    help="Name the RetroSocial sites you use (your own machine, a deployed app) and pick one.",
    no_args_is_help=True,
)

Name = Annotated[
    str, typer.Argument(help="A short name, e.g. local or heroku.", show_default=False)
]


@app.command(
    "add",
    epilog=examples(
        "retro server add heroku https://myapp.herokuapp.com --use",
        "retro server add local http://127.0.0.1:8000",
    ),
)
def add(
    name: Name,
    url: Annotated[str, typer.Argument(help="The site's address.", show_default=False)],
    use: Annotated[bool, typer.Option("--use", help="Also make it the server in use.")] = False,
) -> None:
    """Remember a site under NAME (replacing what NAME pointed to before)."""
    from cli import config, output

    url = config.add_server(name, url, use=use)
    output.result(f"Added {name} = {url}" + (" (in use)." if use else "."))


@app.command("use", epilog=examples("retro server use heroku"))
def use(name: Name) -> None:
    """Talk to NAME from now on (--server still overrides it for one command)."""
    from cli import config, output

    url = config.use_server(name)
    output.result(f"Using {name} = {url}.")


@app.command("list", epilog=examples("retro server list", "retro server list --json"))
def list_(ctx: typer.Context, json: JsonOption = False) -> None:
    """The named sites, which one is in use, and who you are logged in as on each."""
    from cli import config, output

    in_use = config.resolve_server((ctx.obj or {}).get("server"))
    rows = []
    for name, url in sorted(config.servers().items()):
        saved = config.credentials(url)
        rows.append(
            {"name": name, "url": url, "in_use": url == in_use, "user": saved[0] if saved else None}
        )
    if json:
        output.print_json(rows)
        return
    output.table(
        ["", "name", "url", "logged in as"],
        [["*" if r["in_use"] else "", r["name"], r["url"], r["user"] or ""] for r in rows],
        empty="No servers saved; commands talk to " + in_use + ".",
    )


@app.command("remove", epilog=examples("retro server remove heroku"))
def remove(name: Name) -> None:
    """Forget NAME and the token saved for it."""
    from cli import config, output

    url = config.remove_server(name)
    output.result(f"Removed {name} ({url}).")
