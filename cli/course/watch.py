"""
`retro watch`: the current week's quick checks, again on every save (as rustlings does).

The current week is the first one `retro check` has not seen pass (what `retro lesson list`
shows), or --week. Its checks run as `retro check N --only` runs them, with the same runner
(on a copy of the project, in processes of their own, without PostgreSQL or Redis), except
those that are slow by nature (SLOW): `retro check N` stays the full check. The project's files
(the course's project rule: no virtual environment, database or caches) are polled for a
change; once they have been still for a moment, the checks run again.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.course.options import PathOption, python_option
from cli.output import examples

if TYPE_CHECKING:
    from cli.checks import Check, Result
    from cli.course.model import Course, Week

# Checks that take seconds by their nature, not because of the project: `retro check` runs
# them, `retro watch` names them and leaves them out. By the name after their week ("w3."),
# which stays the same when a check moves to another week.
SLOW = {
    "production": "collects the static files and starts daphne, as Heroku does",
    "redis-down": "starts a second server, with Redis unreachable",
    "retro": "runs the retro command line three times against your site",
}
PROGRESS_KEY = "\0progress"  # the snapshot's entry for the file `retro check` records in


app = typer.Typer()


@dataclass
class Round:
    """One run of a week's quick checks."""

    week: Week
    results: list[Result]
    left_out: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def first_failure(self) -> Result | None:
        return next((result for result in self.results if not result.passed), None)


def current_week(course: Course, root: Path) -> Week:
    """The first week whose checks `retro check` has not seen all pass (as `retro lesson list`
    shows it); the last week when it saw them all pass."""
    from cli.course.project import read_progress

    progress = read_progress(root)
    for week in course.weeks:
        seen = progress.get(str(week.number))
        if not (isinstance(seen, dict) and seen.get("passed")):
            return week
    return course.weeks[-1]


def is_slow(item: Check) -> bool:
    return item.id.partition(".")[2] in SLOW


def quick_checks(week: Week) -> tuple[list[Check], list[Check]]:
    """The week's checks `retro watch` runs, and those it leaves to `retro check` (SLOW)."""
    from cli import checks
    from cli.errors import CLIError, ExitCode

    every = checks.checks_for([week.number])
    if not every:
        raise CLIError(f"week {week.number} has no checks yet", code=ExitCode.NOT_FOUND)
    quick = [item for item in every if not is_slow(item)]
    if not quick:
        raise CLIError(
            f"week {week.number} has only slow checks: nothing to watch",
            code=ExitCode.NOT_FOUND,
            hint=f"run retro check {week.number}",
        )
    return quick, [item for item in every if is_slow(item)]


def run_round(root: Path, week: Week, python: str, timeout: float) -> Round:
    """Run the week's quick checks with `retro check`'s runner, printing each as it ends."""
    from rich.text import Text

    from cli import checks, output

    console = output.stdout()
    quick, left_out = quick_checks(week)
    chosen = {item.id for item in quick}

    def shown(result: Result) -> None:
        mark = {"pass": ("✓", "green"), "fail": ("✗", "red"), "blocked": ("·", "dim")}
        sign, style = mark[result.status]
        console.print(
            Text.assemble("  ", (sign, style), f" {result.check.title} ({result.seconds:.1f} s)"),
            soft_wrap=True,
        )

    results = checks.run(
        root,
        [week.number],
        python,
        timeout=timeout,
        on_result=shown,
        select=lambda item: item.id in chosen,
    )
    return Round(week, results, left_out)


def print_round(course: Course, done: Round, *, once: bool) -> None:
    """Where the week stands: checks passed, the lesson step, the first failure, what next."""
    from rich.text import Text

    from cli import output
    from cli.course import lesson as lessons
    from cli.course.render import print_failure, step_reference

    console = output.stdout()
    week = done.week
    steps = len(lessons.parse(course.lesson_path(week)).steps)
    passed = sum(1 for result in done.results if result.passed)
    total = len(done.results)
    first = done.first_failure
    reference = step_reference(course, *first.check.step) if first else None
    if first is None:
        where = f"step {steps} of {steps}"
    elif reference and reference["week"] == week.number:
        where = f"step {reference['step']} of {steps}"
    elif reference:
        where = f"week {reference['week']}, step {reference['step']}"
    else:
        where = f"{steps} steps"
    width = 20
    filled = round(width * passed / total) if total else width
    console.print(
        Text.assemble(
            (f"week {week.number}: {passed}/{total} checks pass · {where}", "bold"),
            "  ",
            ("━" * filled, "green"),
            ("─" * (width - filled), "dim"),
        ),
        soft_wrap=True,
    )
    if first is not None:
        print_failure(console, first, reference)
    if done.left_out:
        names = "; ".join(
            f"{item.title} (it {SLOW[item.id.partition('.')[2]]})" for item in done.left_out
        )
        console.print(
            Text(f"Left to `retro check {week.number}` (slow): {names}.", style="dim"),
            soft_wrap=True,
        )
    if first is not None:
        following = (
            "Next: fix it and save: I'll run the checks again. (Ctrl-C to stop)"
            if not once
            else "Next: fix it and run this again (or `retro watch`: it checks on every save)."
        )
        console.print(Text(following, style="yellow"), soft_wrap=True)
        return
    later = [w for w in course.weeks if w.number > week.number]
    if later:
        following = (
            f"week {week.number} passes: run `retro check {week.number}` for the full check, "
            f"then read week {later[0].number} with `retro lesson show {later[0].number}`."
        )
    else:
        following = (
            f"week {week.number} passes: run `retro check {week.number}` for the full check; "
            "it is the last week of the course."
        )
    console.print(Text(following, style="green"), soft_wrap=True)


# -- watching the project's files --------------------------------------------------------------


def snapshot(course: Course, root: Path, progress: Path | None) -> dict[str, tuple[int, int]]:
    """The modification time and size of each of the project's files (and of the file
    `retro check` records progress in, when the week follows it)."""
    state = {}
    paths = [(rel, root / rel) for rel in course.project.files(root)]
    if progress is not None:
        paths.append((PROGRESS_KEY, progress))
    for key, path in paths:
        try:
            info = path.stat()
        except OSError:
            continue  # removed while we looked: the next look says so
        state[key] = (info.st_mtime_ns, info.st_size)
    return state


def changes(before: dict, after: dict) -> list[str]:
    return sorted(
        {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    )


def settled(course: Course, root: Path, progress: Path | None, state: dict, pause: float):
    """The snapshot once the files have stopped changing for `pause` seconds (an editor may
    write a file in several steps, and a save may touch several files)."""
    while True:
        time.sleep(pause)
        later = snapshot(course, root, progress)
        if later == state:
            return state
        state = later


def said(changed: list[str]) -> str:
    names = [
        "retro check's record of your progress" if key == PROGRESS_KEY else key for key in changed
    ]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"Changed: {shown}."


def _interrupted(signum, frame) -> None:
    # A second Ctrl-C must not cut short the stopping of the servers the checks started.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


PythonOption = python_option(
    "The Python that runs your project (default: as `retro check` chooses it)."
)


@app.command(
    "watch",
    epilog=examples(
        "retro watch",
        "retro watch --week 2 --path ~/retrosocial",
        "retro watch --once",
    ),
)
def watch(
    path: PathOption = None,
    week: Annotated[
        str | None,
        typer.Option(
            "--week",
            metavar="WEEK",
            help="The week to check (default: the first week `retro check` has not seen pass, "
            "as `retro lesson list` shows).",
            show_default=False,
        ),
    ] = None,
    python: PythonOption = None,
    once: Annotated[
        bool,
        typer.Option("--once", help="Check once and exit: 0 when the week passes, 8 when not."),
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.05, help="How often to look for saved files, in seconds."),
    ] = 0.5,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=10, help="Time limit for one round of checks, in seconds."),
    ] = 120,
) -> None:
    """Check the week you are working on again each time you save a file.

    The week is the first one `retro check` has not seen pass, or --week. Its quick checks run
    as `retro check` runs them, on a copy of your project; the few that are slow by nature
    (starting the site as Heroku does, a second server) are left to `retro check`, which stays
    the full check. You see how many pass, where you are in the lesson, and the first check
    that does not pass: what it expected, what it saw, a hint and the lesson step. Saving a
    file of your project (not .venv/, the database or caches) runs the checks again. Ctrl-C
    stops (exit status 130). With --once: exit status 0 when the week passes, 8 when not.
    """
    from rich.text import Text

    from cli import output
    from cli.config import config_dir
    from cli.course import model
    from cli.course.project import (
        NO_VENV_FIX,
        PROGRESS_FILE,
        RETRO_OWN,
        find_python,
        project_dir,
    )
    from cli.errors import CLIError, ExitCode

    course = model.load()
    chosen = course.week(week) if week is not None else None
    root = project_dir(path)
    interpreter, whose = find_python(root, python)
    quick_checks(chosen or current_week(course, root))  # no checks to run: say so now
    output.status(f"Python: {interpreter} ({whose})")
    if whose == RETRO_OWN:
        output.status(NO_VENV_FIX, style="yellow")
    # Without --week, the week follows what `retro check` records: watch that file too.
    progress = None if chosen else config_dir() / PROGRESS_FILE
    console = output.stdout()
    previous = signal.signal(signal.SIGINT, _interrupted)
    try:
        shown_week = None
        state = snapshot(course, root, progress)
        while True:
            target = chosen or current_week(course, root)
            if console.is_terminal and not once:
                console.clear()
            why = "--week" if chosen else "the first week `retro check` has not seen pass"
            if shown_week is not None and target.number != shown_week:
                why = f"`retro check` saw week {shown_week} pass"
            shown_week = target.number
            console.print(
                Text(
                    f"[{time.strftime('%H:%M:%S')}] week {target.number} · {target.title} "
                    f"({why}): checking {root} on a copy …",
                    style="bold",
                ),
                soft_wrap=True,
            )
            done = run_round(root, target, interpreter, timeout)
            print_round(course, done, once=once)
            if once:
                if not done.passed:
                    failed = sum(1 for result in done.results if not result.passed)
                    raise CLIError(
                        f"week {target.number}: {failed} of {len(done.results)} checks did not "
                        "pass",
                        code=ExitCode.CHECK_FAILED,
                    )
                return
            while True:
                time.sleep(interval)
                latest = snapshot(course, root, progress)
                if latest != state:
                    latest = settled(course, root, progress, latest, interval)
                    console.print(Text(said(changes(state, latest)), style="dim"), soft_wrap=True)
                    state = latest
                    break
    except KeyboardInterrupt:
        output.status("Stopped watching.")
        raise typer.Exit(int(ExitCode.CANCELLED)) from None
    finally:
        signal.signal(signal.SIGINT, previous)
