"""
Printing for `retro`: results on standard output (rich tables, or JSON with `--json`), status
and progress on standard error. Text that came from users is always printed literally: never
read as rich markup or emoji codes.

rich is imported on first use, so `retro --help` does not pay for it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON instead of a table (for scripts and jq).")
]


def examples(*lines: str) -> str:
    """An epilog for a command's --help: the example command lines, kept as they are."""
    return "\b\nExamples:\n" + "\n".join(f"  $ {line}" for line in lines)


@cache
def stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, emoji=False)


@cache
def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, emoji=False)


def status(message: str, style: str = "dim") -> None:
    """A line about what is going on, on standard error."""
    from rich.text import Text

    stderr().print(Text(message, style=style), soft_wrap=True)


def result(message: str) -> None:
    """A one-line result (e.g. "Posted #12.") on standard output."""
    from rich.text import Text

    stdout().print(Text(message), soft_wrap=True)


def print_json(data: Any) -> None:
    """`data` as indented JSON on standard output."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_json_line(data: Any) -> None:
    """`data` as one line of JSON (JSON Lines), flushed at once: for streams such as `tail`."""
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def live_item(kind: str, item: dict, *, as_json: bool = False) -> None:
    """A post or a direct message as `retro tail` shows it, on one line however wide:
    `#12 2026-05-01 14:03:07 ada: hello`, or `✉ ada → bob: hi` for a message; with `as_json`,
    a line of JSON Lines."""
    from rich.text import Text

    if as_json:
        print_json_line(item)
        return
    line = Text()
    line.append(f"#{item['id']} ", style="dim")
    line.append(when(item.get("created"), seconds=True) + " ", style="dim")
    if kind == "message":
        line.append(f"✉ {item['sender']} → {item['recipient']}", style="bold magenta")
    else:
        line.append(item["author"], style="bold cyan")
    line.append(": " + item["text"])
    stdout().print(line, soft_wrap=True)


def table(columns: list[str], rows: list[list[Any]], *, empty: str = "Nothing yet.") -> None:
    """A rich table on standard output; every cell is shown literally."""
    from rich.table import Table
    from rich.text import Text

    if not rows:
        status(empty)
        return
    grid = Table(*columns, show_lines=False, header_style="bold", expand=False)
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, Text) else Text(str(cell)) for cell in row))
    stdout().print(grid)


def when(iso: str | None, *, seconds: bool = False) -> str:
    """An ISO-8601 time from the API, in local time: `2026-05-01 14:03`."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def one_line(text: str, width: int = 60) -> str:
    """`text` on one line, shortened to `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
