"""`retro lesson open`: a lesson in the browser, on the course site that `make course` builds."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.course.options import WeekArgument
from cli.output import examples

SITE_ENV = "RETRO_COURSE_SITE"


app = typer.Typer()


def site_dir(root: Path) -> Path:
    """The built course site: RETRO_COURSE_SITE, else build/course/ in the course's folder."""
    configured = os.environ.get(SITE_ENV)
    return Path(configured).expanduser() if configured else root / "build" / "course"


def has_display() -> bool:
    """Whether a browser window can be opened here (on Linux and BSD that needs X or Wayland)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def build_site(root: Path) -> None:
    """Build the site with the course's own builder (course/site.py, what `make course` runs)."""
    import importlib.util
    import subprocess

    from cli import output
    from cli.errors import CLIError, ExitCode

    builder = root / "course" / "site.py"
    if not builder.is_file() or importlib.util.find_spec("mkdocs") is None:
        raise CLIError(
            f"the course site is not built yet (no {site_dir(root)})",
            code=ExitCode.NOT_FOUND,
            hint=f"build it with `make course` in {root}",
        )
    output.status("Building the course site first (what `make course` does) …")
    result = subprocess.run(
        [sys.executable, str(builder)], cwd=root, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise CLIError(
            "the course site did not build: " + (result.stderr.strip().splitlines() or ["?"])[-1],
            code=ExitCode.ERROR,
            hint=f"run `make course` in {root} to see the whole error",
        )


@app.command(
    "open",
    epilog=examples(
        "retro lesson open 1", "retro lesson open 4 --step 8", "retro lesson open 6 --print"
    ),
)
def lesson_open(
    week: WeekArgument,
    step: Annotated[
        int | None,
        typer.Option("--step", "-s", min=1, help="Open at this step.", show_default=False),
    ] = None,
    build: Annotated[
        bool,
        typer.Option("--build/--no-build", help="Build the site first when it is not built yet."),
    ] = True,
    print_only: Annotated[
        bool, typer.Option("--print", help="Only print the page's address; open nothing.")
    ] = False,
) -> None:
    """Open a week's lesson in your browser, with its pictures, at a step if you name one.

    It opens the course site built by `make course` (build/course/ in the course's folder, or
    RETRO_COURSE_SITE), building it first if needed. Without a display (an SSH session, a
    container) it prints the page's address to open elsewhere.
    """
    import webbrowser

    from cli import output
    from cli.course import lesson as lessons
    from cli.course import model
    from cli.errors import CLIError, ExitCode

    course = model.load()
    chosen = course.week(week)
    if step is not None:
        lessons.parse(course.lesson_path(chosen)).step(step)  # an unknown step is an error
    page = site_dir(course.root) / f"week-{chosen.number}.html"
    if not page.is_file():
        if not build or os.environ.get(SITE_ENV):
            raise CLIError(
                f"the course site is not built (no {page})",
                code=ExitCode.NOT_FOUND,
                hint=f"build it with `make course` in {course.root}",
            )
        build_site(course.root)
        if not page.is_file():
            raise CLIError(f"the course site has no page {page.name}", code=ExitCode.NOT_FOUND)
    url = page.resolve().as_uri() + (f"#step-{step}" if step else "")
    where = f"week {chosen.number}" + (f", step {step}" if step else "")
    if print_only:
        output.result(url)
        return
    if has_display() and webbrowser.open(url):
        output.status(f"Opened {where} in your browser:")
        output.result(url)
        return
    output.status(f"No browser to open here: open {where} at this address, or this file:")
    output.result(url)
    output.result(str(page.resolve()))
