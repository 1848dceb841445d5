"""
`retro check`: black-box checks of a student's project, week by week.

Each check runs the project in a separate process on a copy (cli/checks/session.py) and looks
at what it does: what `manage.py` prints, what its pages serve, what its websocket sends. Any
correct solution passes: view names, function or class-based views and extra apps do not
matter. A failure says what was expected, what was seen, and which lesson step covers it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

WEEK_MODULES = ("week1", "week2", "week3", "week4", "week5", "week6", "week7", "week8")


class CheckFailed(Exception):
    def __init__(self, expected: str, seen: str, hint: str = ""):
        super().__init__(expected)
        self.expected = expected
        self.seen = seen
        self.hint = hint


@dataclass(frozen=True)
class Check:
    id: str
    week: int
    title: str
    func: Callable
    step: tuple[int, str]  # (week, words from the title of the lesson step that covers it)
    needs: tuple[str, ...] = ()


@dataclass
class Result:
    check: Check
    status: str  # "pass", "fail" or "blocked"
    expected: str = ""
    seen: str = ""
    hint: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "pass"


REGISTRY: list[Check] = []


def check(week: int, id: str, title: str, step: tuple[int, str], needs: Iterable[str] = ()):
    def register(func: Callable) -> Callable:
        REGISTRY.append(Check(f"w{week}.{id}", week, title, func, step, tuple(needs)))
        return func

    return register


def load() -> list[Check]:
    from importlib import import_module

    for name in WEEK_MODULES:
        import_module(f"cli.checks.{name}")
    return list(REGISTRY)


def checks_for(weeks: Iterable[int]) -> list[Check]:
    wanted = set(weeks)
    return [item for item in load() if item.week in wanted]


def start_ahead(session, weeks: set[int]) -> None:
    """Start the slow work the chosen weeks' checks will need and that depends only on the
    project (each week module's `ahead(session)`), in the order the checks need it."""
    from importlib import import_module

    for number, name in enumerate(WEEK_MODULES, start=1):
        if number in weeks:
            ahead = getattr(import_module(f"cli.checks.{name}"), "ahead", None)
            if ahead is not None:
                ahead(session)


def run(
    project: Path,
    weeks: Iterable[int],
    python: str,
    timeout: float = 300,
    on_result: Callable[[Result], None] | None = None,
    services: dict[str, str] | None = None,
    session=None,
    select: Callable[[Check], bool] | None = None,
) -> list[Result]:
    """Run the checks of `weeks` against `project`; every check runs, in order (only those
    `select` keeps, when given). A `session` made by the caller (cli/checks/session.py) is
    used, and closed, instead of a new one."""
    from cli.checks.session import Session, SessionError

    deadline = time.monotonic() + timeout
    session = session or Session(project, python, deadline, services)
    results: dict[str, Result] = {}
    try:
        chosen = [item for item in checks_for(weeks) if select is None or select(item)]
        start_ahead(session, {item.week for item in chosen})
        for item in chosen:
            started = time.monotonic()
            # A check runs unless something it needs ran and failed (with --only, the earlier
            # weeks' checks do not run at all: then the check finds out for itself).
            failed_needs = [
                need for need in item.needs if need in results and not results[need].passed
            ]
            if failed_needs:
                names = ", ".join(
                    results[need].check.title if need in results else need for need in failed_needs
                )
                result = Result(item, "blocked", expected=f"needs: {names}", seen="not run")
            else:
                try:
                    notes = item.func(session) or []
                    result = Result(item, "pass", notes=list(notes))
                except CheckFailed as failure:
                    result = Result(item, "fail", failure.expected, failure.seen, failure.hint)
                except SessionError as error:
                    seen = str(error) + (f"\n{error.seen}" if error.seen else "")
                    result = Result(item, "fail", item.title, seen)
            result.seconds = time.monotonic() - started
            results[item.id] = result
            if on_result:
                on_result(result)
    finally:
        session.close()
    return list(results.values())
