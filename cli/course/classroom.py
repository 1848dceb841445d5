"""
`retro class check`: the checks of a week on a whole class of projects at once.

Each project is checked as `retro check` checks it (a copy, processes of its own, a time
limit), several at a time: a check spends most of its time waiting for the servers it starts,
so the default is one project per core (os.cpu_count()), `--jobs N` to choose. The result is a
row per student: passed or not, the first check that did not pass with its hint, the time;
shown as a table, printed as JSON (`--json`), written for sharing (`--report class.html` or
`.csv`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from cli.course.options import OnlyOption, python_option, service_option
from cli.output import JsonOption, examples

app = typer.Typer(
    help="Instructors: check a whole class of projects at once.", no_args_is_help=True
)

PostgresOption = service_option(
    "postgres", "A PostgreSQL server the week 3 checks may create (and drop) databases on."
)
RedisOption = service_option("redis", "A Redis the week 4 checks may send posts through.")
REPORT_KINDS = (".html", ".csv", ".json")
TIME_RAN_OUT = "the time limit for the checks ran out"  # cli/checks/session.py


@dataclass
class Outcome:
    """One student's project, checked."""

    project: Path
    status: str = "pending"  # "passed", "failed" or "error" (could not be checked)
    weeks: dict[int, bool] = field(default_factory=dict)
    checks: int = 0
    passed_checks: int = 0
    first_failure: str = ""  # "week 2 · Posting from the home page"
    hint: str = ""
    lesson: str = ""  # "retro lesson show 2 --step 9"
    timed_out: bool = False  # the time limit ran out: the result says little about the project
    python: str = ""
    whose: str = ""  # whose Python it is: given with --python, the project's .venv/, retro's own
    seconds: float = 0.0

    @property
    def student(self) -> str:
        return self.project.name

    def as_json(self) -> dict:
        return {
            "student": self.student,
            "project": str(self.project),
            "status": self.status,
            "passed": self.status == "passed",
            "weeks": {str(number): ok for number, ok in self.weeks.items()},
            "checks": self.checks,
            "passed_checks": self.passed_checks,
            "first_failure": self.first_failure or None,
            "hint": self.hint or None,
            "lesson": self.lesson or None,
            "timed_out": self.timed_out,
            "python": self.python,
            "python_whose": self.whose,
            "seconds": round(self.seconds, 1),
        }


def read_class_file(path: Path) -> list[Path]:
    """The projects a class file lists: one path per line, relative to the file's folder;
    blank lines and `#` comments are skipped."""
    from cli.errors import CLIError, ExitCode

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CLIError(
            f"cannot read the class file {path}: {reason}", code=ExitCode.USAGE
        ) from None
    projects = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if entry:
            folder = Path(entry).expanduser()
            projects.append(folder if folder.is_absolute() else path.parent / folder)
    return projects


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def check_one(course, chosen, weeks: list[int], root: Path, options: dict) -> Outcome:
    """Check one project; never raises: a project that cannot be checked is an "error" row."""
    from cli import checks
    from cli.course.project import find_python
    from cli.course.render import step_reference
    from cli.errors import CLIError

    outcome = Outcome(root)
    started = time.monotonic()
    try:
        if not root.is_dir():
            raise CLIError(f"{root} is not a folder")
        if not (root / "manage.py").is_file():
            raise CLIError(f"not a project folder (no manage.py in {root})")
        outcome.python, outcome.whose = find_python(root, options["python"], project_first=True)
        results = checks.run(
            root,
            weeks,
            outcome.python,
            timeout=options["timeout"],
            services=options["services"],
        )
    except CLIError as error:
        outcome.status, outcome.first_failure = "error", error.message
        outcome.seconds = time.monotonic() - started
        return outcome
    except Exception as error:  # a project that breaks the checker is reported, not fatal
        outcome.status = "error"
        outcome.first_failure = f"the checks could not run: {type(error).__name__}: {error}"
        outcome.seconds = time.monotonic() - started
        return outcome
    outcome.seconds = time.monotonic() - started
    outcome.weeks = {n: all(r.passed for r in results if r.check.week == n) for n in weeks}
    outcome.checks = len(results)
    outcome.passed_checks = sum(1 for r in results if r.passed)
    failed = [r for r in results if not r.passed]
    outcome.status = "passed" if not failed else "failed"
    if failed:
        first = failed[0]
        outcome.first_failure = f"week {first.check.week} · {first.check.title}"
        detail = first.hint or (f"expected {first.expected}" if first.expected else "")
        if first.expected == first.check.title and not first.hint:
            # the project could not be run for it (cli.checks.run: a SessionError): say why
            seen = (first.seen or "").strip().splitlines()
            detail = f"could not run it: {seen[0] if seen else 'no output'}"
        if first.status == "blocked":
            detail = f"not run: it {first.expected}, which did not pass"
        outcome.timed_out = outcome.seconds >= options["timeout"] - 1 or any(
            TIME_RAN_OUT in r.seen for r in results
        )
        if outcome.timed_out:
            detail = (
                f"the time limit ({options['timeout']:.0f} s) ran out, so this may not be the "
                "project's fault: check it again with a longer --timeout or fewer --jobs. " + detail
            )
        outcome.hint = " ".join(detail.split())
        reference = step_reference(course, *first.check.step)
        if reference:
            outcome.lesson = f"retro lesson show {reference['week']} --step {reference['step']}"
    return outcome


def run_class(course, chosen, weeks, roots, options, jobs, on_done) -> list[Outcome]:
    import threading
    from concurrent.futures import ThreadPoolExecutor, as_completed

    outcomes: dict[Path, Outcome] = {}
    lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {
            pool.submit(check_one, course, chosen, weeks, root, options): root for root in roots
        }
        for future in as_completed(futures):
            outcome = future.result()
            with lock:
                outcomes[futures[future]] = outcome
                on_done(outcome, len(outcomes), len(roots))
    except KeyboardInterrupt:
        # Ctrl-C: start no other project, let those running end and stop their servers and
        # temporary databases, then exit as cancelled (130).
        from cli import output

        output.status(
            "Cancelled: no other project starts; waiting for those being checked to stop "
            "their servers and remove their temporary folders …",
            style="yellow",
        )
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [outcomes[root] for root in roots]


# -- the shareable report ----------------------------------------------------------------------

COLUMNS = ["student", "result", "checks passed", "first check not passed", "hint", "lesson", "time"]


def _cells(outcome: Outcome) -> list[str]:
    mark = {"passed": "passed", "failed": "not yet", "error": "could not check"}[outcome.status]
    return [
        outcome.student,
        mark,
        f"{outcome.passed_checks}/{outcome.checks}" if outcome.checks else "",
        outcome.first_failure,
        outcome.hint,
        outcome.lesson,
        f"{outcome.seconds:.0f} s",
    ]


def write_report(path: Path, summary: dict, outcomes: list[Outcome]) -> None:
    import csv
    import io
    import json

    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(
            {**summary, "students": [o.as_json() for o in outcomes]}, indent=2, ensure_ascii=False
        )
    elif suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([*COLUMNS[:-1], "seconds", "project"])
        for outcome in outcomes:
            cells = _cells(outcome)
            writer.writerow([*cells[:-1], f"{outcome.seconds:.1f}", str(outcome.project)])
        text = buffer.getvalue()
    else:
        text = _html(summary, outcomes)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _html(summary: dict, outcomes: list[Outcome]) -> str:
    import html

    escape = html.escape
    rows = []
    for outcome in outcomes:
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in _cells(outcome))
        rows.append(f'<tr class="{escape(outcome.status)}">{cells}</tr>')
    head = "".join(f"<th>{escape(column)}</th>" for column in COLUMNS)
    title = f"{summary['course']}: week {summary['week']} checks"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
tr.passed td:nth-child(2) {{ color: #17702a; font-weight: bold; }}
tr.failed td:nth-child(2), tr.error td:nth-child(2) {{ color: #a11; font-weight: bold; }}
</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p>{escape(summary["line"])}</p>
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


# -- the command -------------------------------------------------------------------------------


PythonOption = python_option(
    "The Python that runs every project (default: each project's own .venv/ or "
    "venv/, else the active virtual environment, else retro's own)."
)


@app.command(
    "check",
    epilog=examples(
        "retro class check 2 ~/class/*/",
        "retro class check 3 --class-file ~/class/students.txt --report week-3.html",
        "retro class check 1 ~/class/ada ~/class/grace --jobs 4 --json",
    ),
)
def class_check(
    week: Annotated[
        str, typer.Argument(metavar="WEEK", help="The week: 1 to 5 (or week-3, final).")
    ],
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PROJECT]...", help="The students' project folders.", show_default=False
        ),
    ] = None,
    class_file: Annotated[
        Path | None,
        typer.Option(
            "--class-file",
            "-f",
            help="A file listing the project folders, one a line (# starts a comment; "
            "relative paths are from the file's folder).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Projects checked at the same time (default: one per core).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the results to this file, to share: .html, .csv or .json.",
            show_default=False,
        ),
    ] = None,
    python: PythonOption = None,
    only: OnlyOption = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=10,
            help="Time limit for one project's checks, in seconds (projects checked side by "
            "side slow each other down).",
        ),
    ] = 600,
    postgres: PostgresOption = None,
    redis: RedisOption = None,
    json: JsonOption = False,
) -> None:
    """Check every project of a class against a week, several at a time.

    Each project is checked as `retro check` does it, on a copy: the students' files are never
    touched. Prints a row per student (passed or not, the first check not passed with its
    hint, the time taken); --report writes the same to share. Exit status 0 when every
    project passed, 8 when one did not or could not be checked, 2 for bad usage.
    """
    from rich.text import Text

    from cli import output
    from cli.course import model
    from cli.errors import CLIError, ExitCode

    if report is not None and report.suffix.lower() not in REPORT_KINDS:
        raise CLIError(
            f"cannot write a report as {report.name}",
            code=ExitCode.USAGE,
            hint="name it .html, .csv or .json",
        )
    if report is not None and not report.expanduser().resolve().parent.is_dir():
        raise CLIError(
            f"cannot write the report: {report.expanduser().resolve().parent} does not exist",
            code=ExitCode.USAGE,
        )
    course = model.load()
    chosen = course.week(week)
    listed = list(paths or [])
    if class_file is not None:
        listed += read_class_file(class_file.expanduser())
    if not listed:
        raise CLIError(
            "no projects to check",
            code=ExitCode.USAGE,
            hint="name the project folders, or pass --class-file FILE",
        )
    roots: list[Path] = []
    for path in listed:
        root = path.expanduser().resolve()
        if root not in roots:
            roots.append(root)
    weeks = (
        [chosen.number] if only else [w.number for w in course.weeks if w.number <= chosen.number]
    )
    workers = min(jobs or default_jobs(), len(roots))
    options = {
        "python": python,
        "timeout": timeout,
        "services": {"postgres": postgres or "", "redis": redis or ""},
    }
    label = f"week {chosen.number}" if only or chosen.number == 1 else f"weeks 1–{chosen.number}"
    output.status(
        f"Checking {len(roots)} projects against {label}, {workers} at a time, on copies …"
    )
    started = time.monotonic()

    def done(outcome: Outcome, count: int, total: int) -> None:
        mark = {"passed": ("✓", "green"), "failed": ("✗", "red"), "error": ("✗", "red")}
        symbol, style = mark[outcome.status]
        detail = f" — {outcome.first_failure}" if outcome.first_failure else ""
        output.status(
            f"  [{count}/{total}] {symbol} {outcome.student} ({outcome.seconds:.0f} s){detail}",
            style=style,
        )

    outcomes = run_class(course, chosen, weeks, roots, options, workers, done)
    elapsed = time.monotonic() - started
    passed = sum(1 for outcome in outcomes if outcome.status == "passed")
    line = (
        f"{passed} of {len(outcomes)} projects passed {label}; checked {workers} at a time "
        f"in {elapsed:.0f} s ({datetime.now().astimezone():%Y-%m-%d %H:%M})."
    )
    summary = {
        "course": course.title,
        "week": chosen.number,
        "weeks": weeks,
        "projects": len(outcomes),
        "passed": passed,
        "jobs": workers,
        "seconds": round(elapsed, 1),
        "line": line,
    }
    if report is not None:
        target = report.expanduser().resolve()
        try:
            write_report(target, summary, outcomes)
        except OSError as error:
            raise CLIError(
                f"cannot write the report {target}: {error.strerror or error}",
                code=ExitCode.ERROR,
            ) from None
    if json:
        output.print_json({**summary, "students": [o.as_json() for o in outcomes]})
    else:
        styles = {"passed": "green", "failed": "red", "error": "red"}
        rows = []
        for outcome in outcomes:
            cells = _cells(outcome)
            cells[1] = Text(("✓ " if outcome.status == "passed" else "✗ ") + cells[1],
                            style=styles[outcome.status])  # fmt: skip
            hint = " ".join(part for part in (cells[4], cells[5]) if part)
            rows.append([cells[0], cells[1], cells[2], cells[3], hint, cells[6]])
        output.table(
            ["student", "result", "checks", "first check not passed", "hint", "time"], rows
        )
        output.stdout().print(Text(line, style="bold"))
    if report is not None:
        output.status(f"Report written to {report.expanduser().resolve()}")
    from cli.course.project import RETRO_OWN

    timed_out = [outcome.student for outcome in outcomes if outcome.timed_out]
    if timed_out:
        output.status(
            f"The time limit ran out for {len(timed_out)} projects ({', '.join(timed_out[:5])}"
            f"{' …' if len(timed_out) > 5 else ''}): check them again with a longer --timeout "
            "or fewer --jobs",
            style="yellow",
        )
    without = [outcome.student for outcome in outcomes if outcome.whose == RETRO_OWN]
    if without:
        shown = ", ".join(without[:5]) + (" …" if len(without) > 5 else "")
        output.status(
            f"{len(without)} projects have no virtual environment of their own and ran with "
            f"retro's own Python ({shown}): pass --python with one that has the course's "
            "packages",
            style="yellow",
        )
    if passed != len(outcomes):
        raise CLIError(
            f"{len(outcomes) - passed} of {len(outcomes)} projects did not pass",
            code=ExitCode.CHECK_FAILED,
        )
