"""
What both deploys share: the project folder they deploy, and a list of steps shown one by one,
each with a spinner while it runs and ✓ or ✗ when it ends.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cli.errors import CLIError, ExitCode

TOOLKIT_ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def project_root(start: Path | None = None) -> Path:
    """The folder holding the Procfile and manage.py: this folder or one above it, else the
    RetroSocial repository this `retro` comes from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents, TOOLKIT_ROOT):
        if (folder / "Procfile").is_file() and (folder / "manage.py").is_file():
            return folder
    raise CLIError(
        "no Procfile and manage.py in this folder or above it",
        ExitCode.PROJECT,
        hint="run retro deploy from the project folder",
    )


def procfile_processes(root: Path) -> dict[str, str]:
    """The Procfile's process types and commands, read the way honcho reads them."""
    from honcho.environ import parse_procfile

    try:
        return dict(parse_procfile((root / "Procfile").read_text(encoding="utf-8")).processes)
    except (OSError, ValueError, AssertionError) as error:
        # honcho asserts, for instance, that no process type is named twice.
        raise CLIError(f"cannot read {root / 'Procfile'}: {error}", ExitCode.PROJECT) from None


def plain(text: str) -> str:
    """`text` without terminal colours and without surrounding blank space."""
    return ANSI.sub("", text).strip()


def make_console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


@dataclass
class Step:
    """The step running now: set `detail` for its ✓ line, `done_before` when it had nothing to
    do (it is shown as already done), and call `log` for output worth showing as it comes."""

    title: str
    steps: Steps
    detail: str = ""
    done_before: bool = False
    output: list[str] = field(default_factory=list)

    def log(self, line: str) -> None:
        line = plain(line)
        if line:
            self.output.append(line)
            if self.steps.show_output:
                self.steps.print_dim(f"      {line}")

    def update(self, text: str) -> None:
        """Change the text next to the spinner (e.g. "waiting for the release phase… 12 s")."""
        if self.steps.status is not None:
            self.steps.status.update(f"{self.title} — {text}")


class Steps:
    """Runs titled steps in order: a spinner while each runs, then ✓ (with a detail) or ✗."""

    def __init__(self, console=None, *, show_output: bool = True):
        self.console = console or make_console()
        self.show_output = show_output
        self.status = None
        self.count = 0

    def print_dim(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(text, style="dim"))

    def say(self, text: str, style: str | None = None) -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style or ""))

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        from rich.text import Text

        self.count += 1
        current = Step(title=title, steps=self)
        self.status = self.console.status(title, spinner="dots")
        self.status.start()
        try:
            yield current
        except BaseException as error:
            self.status.stop()
            self.status = None
            reason = error.message if isinstance(error, CLIError) else type(error).__name__
            if isinstance(error, KeyboardInterrupt):
                reason = "interrupted"
            self.console.print(Text.assemble(("  ✗ ", "bold red"), title, (f" — {reason}", "red")))
            raise
        self.status.stop()
        self.status = None
        mark = ("  ✓ ", "bold green")
        detail = current.detail or ("already done" if current.done_before else "")
        if current.done_before and current.detail:
            detail = f"already done: {current.detail}"
        self.console.print(Text.assemble(mark, title, (f" — {detail}" if detail else "", "dim")))


def user_environment(**extra: str) -> dict[str, str]:
    """This process's environment plus `extra`, with the Python running `retro` first on PATH
    so the Procfile's `python` and `daphne` are the ones installed next to it."""
    import sys

    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env.update(extra)
    return env
