"""
`retro deploy`: run the production configuration on this machine (`local`, free), or deploy it
to Heroku step by step (`heroku`), then follow it there (`logs`, `status`).

Exit status: 0 when done; 9 (deploy_failed) when a step fails — Postgres or Redis unreachable,
a port in use, a Heroku step refused; 4 (auth) when the Heroku CLI is not logged in; 10
(project) outside a project with a Procfile; 130 (cancelled) when a deploy is not confirmed.

The commands are here; `local` runs in local.py (its settings.py, services.py and ports.py),
`heroku` in heroku.py (its steps in heroku_app.py and heroku_release.py, the commands it runs
through heroku_cli.py); steps.py shows the steps of both.
"""

from __future__ import annotations

import os
import subprocess
from typing import Annotated

import typer

from cli.errors import CLIError, ExitCode

AppOption = Annotated[
    str | None,
    typer.Option(
        "--app",
        "-a",
        envvar="HEROKU_APP",
        help="The Heroku app. Default: the app of the `heroku` git remote.",
        show_default=False,
    ),
]


app = typer.Typer(
    help="Run the production configuration locally (free), or deploy it to Heroku.",
    no_args_is_help=True,
)


@app.command("local")
def local(
    port: Annotated[int, typer.Option("--port", "-p", help="The port to serve on.")] = 8000,
    check: Annotated[
        bool, typer.Option("--check", help="Only check PostgreSQL, Redis and the port.")
    ] = False,
) -> None:
    """Run the production stack here, like `heroku local`: settings from the environment
    and the project's .env (the environment wins); PostgreSQL (DATABASE_URL, default
    postgres://postgres@127.0.0.1:5432/retrosocial, created if missing), Redis (REDIS_URL,
    default redis://127.0.0.1:6379/0), DEBUG off; collectstatic, the Procfile's release
    process, then its web process through honcho, until Ctrl-C."""
    from cli.deploy.local import run

    if not 1 <= port <= 65535:
        raise CLIError(f"not a port: {port}", ExitCode.USAGE)
    run(port=port, check_only=check)


@app.command("heroku")
def heroku(
    app_name: AppOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print every command it would run; run none.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm.")] = False,
    server_name: Annotated[
        str, typer.Option("--server-name", help="The name `retro server list` gives it.")
    ] = "heroku",
    postgres_plan: Annotated[
        str, typer.Option("--postgres-plan", help="The Heroku Postgres plan.")
    ] = "heroku-postgresql:essential-0",
    redis_plan: Annotated[
        str, typer.Option("--redis-plan", help="The Heroku Key-Value Store (Redis) plan.")
    ] = "heroku-redis:mini",
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="Seconds to wait for a build, release or /healthz."),
    ] = 600,
    frontend_origins: Annotated[
        list[str] | None,
        typer.Option(
            "--frontend-origin",
            help="An origin that hosts the static frontend, e.g. https://example.github.io: "
            "added to the app's CORS_ALLOWED_ORIGINS. Repeat it for more.",
        ),
    ] = None,
) -> None:
    """Deploy to Heroku, step by step: CLI logged in, app, add-ons, config vars, git push,
    release phase, /healthz, one worker dyno if the Procfile has a worker process; then save
    the app as a server, and say how to host the static frontend. Each step skips what is
    done, so running it again resumes. Heroku is paid: see the README's Deploy section."""
    from cli.deploy.heroku import Deploy, frontend_help
    from cli.deploy.heroku_app import frontend_origin
    from cli.deploy.heroku_cli import Target
    from cli.deploy.steps import Steps

    origins = [frontend_origin(value) for value in frontend_origins or []]
    steps = Steps()
    target = Target(
        app=app_name,
        server_name=server_name,
        dry_run=dry_run,
        postgres_plan=postgres_plan,
        redis_plan=redis_plan,
        timeout=timeout,
        frontend_origins=origins,
    )
    work = Deploy(target, steps)
    if dry_run:
        steps.say(
            "Dry run: these are the commands a first deploy runs, in order. None is run now.",
            style="bold",
        )
        steps.say(
            "(xxxxxxxxxxxx stands for the random suffix Heroku gives the app's "
            "domain; the real commands use the app's own.)",
            style="dim",
        )
        work.deploy()
        steps.say("")
        steps.say("On a later run each step first checks what is there and skips what is done.")
        steps.say("")
        for line in frontend_help(target):
            steps.say(line)
        return
    work.prepare()
    if not yes:
        confirm(work.app, postgres_plan, redis_plan)
    work.deploy()
    steps.say("")
    steps.say(f"Deployed: {work.web_url}", style="bold")
    steps.say(f"  retro --server {server_name} feed    # read it from here")
    steps.say(f"  retro deploy logs --app {work.app}   # follow its logs")
    steps.say("")
    for line in frontend_help(target):
        steps.say(line)


@app.command("logs")
def logs(app_name: AppOption = None) -> None:
    """Follow the app's logs on Heroku (`heroku logs --tail`)."""
    passthrough(["logs", "--tail", *app_args(app_name)])


@app.command("status")
def status(app_name: AppOption = None) -> None:
    """Show the app's dynos on Heroku (`heroku ps`)."""
    passthrough(["ps", *app_args(app_name)])


def confirm(app_name: str | None, postgres_plan: str, redis_plan: str) -> None:
    target = f"the Heroku app {app_name}" if app_name else "a Heroku app"
    question = (
        f"Deploy the last commit to {target}? This creates what is missing and bills your "
        f"Heroku account: a web dyno, {postgres_plan} and {redis_plan}"
    )
    try:
        answer = typer.confirm(question, default=False)
    except typer.Abort:  # no answer: standard input closed
        typer.echo()
        answer = False
    if not answer:
        raise CLIError(
            "not confirmed; nothing was changed",
            ExitCode.CANCELLED,
            hint="pass --yes to deploy without being asked",
        )


def app_args(app_name: str | None) -> list[str]:
    """--app NAME: the one given, else the app of the `heroku` git remote."""
    if not app_name:
        from cli.deploy.heroku_cli import REMOTE, app_of_remote

        found = subprocess.run(["git", "remote", "get-url", REMOTE], capture_output=True, text=True)
        app_name = app_of_remote(found.stdout) if found.returncode == 0 else ""
        if not app_name:
            raise CLIError(
                "which Heroku app? There is no `heroku` git remote here",
                ExitCode.USAGE,
                hint="pass --app NAME",
            )
    return ["--app", app_name]


def passthrough(args: list[str]) -> None:
    """Run the Heroku CLI with the terminal, and exit with its status."""
    import shutil

    if shutil.which("heroku") is None:
        raise CLIError(
            "the Heroku CLI is not installed (no `heroku` on PATH)",
            ExitCode.DEPLOY_FAILED,
            hint="install it: npm install -g heroku",
        )
    try:
        code = subprocess.call(["heroku", *args], env=dict(os.environ))
    except KeyboardInterrupt:
        code = 0
    if code == 100:
        raise CLIError("the Heroku CLI is not logged in", ExitCode.AUTH, hint="heroku login")
    if code != 0:
        raise CLIError(f"heroku {args[0]} failed (exit {code})", ExitCode.DEPLOY_FAILED)
