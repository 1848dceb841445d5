"""`retro check`: check a project against a week, the way a reviewer would."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.course.options import OnlyOption, PathOption, WeekArgument, python_option, service_option
from cli.output import JsonOption, examples

app = typer.Typer()

PostgresOption = service_option(
    "postgres", "A PostgreSQL server the week 3 checks may create (and drop) a database on."
)
RedisOption = service_option(
    "redis", "A Redis the week 4 checks may send posts through, between two servers."
)


PythonOption = python_option(
    "The Python that runs your project (default: your active virtual environment, "
    "else .venv/ or venv/ in the project, else retro's own, with a warning)."
)


@app.command(
    "check",
    epilog=examples("retro check 1", "retro check 3 --path ~/retrosocial", "retro check 4 --json"),
)
def check(
    week: WeekArgument,
    path: PathOption = None,
    python: PythonOption = None,
    only: OnlyOption = False,
    # Eight weeks of checks take about three minutes on a 2-core machine; twice that on a busy
    # or slower one.
    timeout: Annotated[
        float, typer.Option("--timeout", min=10, help="Time limit for all the checks, in seconds.")
    ] = 600,
    postgres: PostgresOption = None,
    redis: RedisOption = None,
    json: JsonOption = False,
) -> None:
    """Check your project against a week, the way a reviewer would.

    Your project is copied to a temporary folder and run there, in processes of its own, on a
    fresh database: your files and your data are never touched. The earlier weeks' checks run
    too. PostgreSQL and Redis are only used when you name them (--postgres, --redis); without
    them the checks of weeks 3 and 4 check what they can offline. Exit status 0 when every
    check passes, 8 when one fails.
    """
    from cli import checks, output
    from cli.course import model
    from cli.course.project import NO_VENV_FIX, RETRO_OWN, find_python, project_dir, record_progress
    from cli.course.render import print_results
    from cli.errors import CLIError, ExitCode

    course = model.load()
    chosen = course.week(week)
    root = project_dir(path)
    interpreter, whose = find_python(root, python)
    weeks = (
        [chosen.number] if only else [w.number for w in course.weeks if w.number <= chosen.number]
    )
    label = f"week {chosen.number}" if only or chosen.number == 1 else f"weeks 1–{chosen.number}"
    if not json:
        output.status(f"Checking {root} against {label}, on a copy …")
    output.status(f"  Python: {interpreter} ({whose})")  # on standard error, --json or not
    if whose == RETRO_OWN:
        output.status(f"  {NO_VENV_FIX}", style="yellow")

    def progress(result: checks.Result) -> None:
        if json:
            return
        mark = {"pass": "✓", "fail": "✗", "blocked": "·"}[result.status]
        output.status(
            f"  {mark} week {result.check.week} · {result.check.title} ({result.seconds:.1f} s)"
        )

    services = {"postgres": postgres or "", "redis": redis or ""}
    results = checks.run(
        root, weeks, interpreter, timeout=timeout, on_result=progress, services=services
    )
    per_week = {
        number: all(r.passed for r in results if r.check.week == number) for number in weeks
    }
    warning = record_progress(root, per_week)
    if warning and not json:
        output.status(warning, style="yellow")
    print_results(course, results, per_week, chosen.number, as_json=json, root=root)
    if not all(per_week.values()):
        failed = sum(1 for r in results if not r.passed)
        raise CLIError(
            f"{failed} of {len(results)} checks did not pass", code=ExitCode.CHECK_FAILED
        )
