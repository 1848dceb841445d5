"""Showing the course in the terminal: lessons as rich Markdown, check results as a table."""

from __future__ import annotations

import re
from pathlib import Path

from cli.course.lesson import FENCE, parse_info

IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def picture_names(line: str) -> str:
    """A Markdown image as a line a terminal can show: the picture's file and its alt text
    (`retro lesson open` shows the picture itself)."""
    return IMAGE.sub(
        lambda image: f"\\[picture: {Path(image.group(2)).name} — {image.group(1)}\\]", line
    )


def listing_titles(markdown: str) -> str:
    """Put each listing's file name above its code block, where a terminal reader sees it, and
    name each picture where it stands."""
    lines, out, fence = markdown.split("\n"), [], None
    for line in lines:
        if fence is None:
            line = picture_names(line)
            opening = FENCE.match(line)
            if opening:
                fence = opening.group(1)
                lang, attrs = parse_info(opening.group(2))
                if attrs.get("title"):
                    kind = "change to" if lang == "diff" else "file"
                    out.append(f"*{kind}* **`{attrs['title']}`**")
                    out.append("")
                out.append(f"{fence}{lang}")
                continue
        elif line.strip() == fence:
            fence = None
        out.append(line)
    return "\n".join(out)


def render_markdown(text: str):
    from rich.markdown import Markdown

    return Markdown(listing_titles(text), code_theme="monokai", hyperlinks=True)


def step_reference(course, week_number: int, words: str) -> dict | None:
    from cli.course import lesson as lessons
    from cli.errors import CLIError

    try:
        week = course.week(week_number)
        step = lessons.parse(course.lesson_path(week)).find_step(words)
    except (LookupError, CLIError):  # tests/course keep every reference resolvable
        return None
    return {"week": week.number, "step": step.number, "title": step.title}


def print_results(
    course, results, per_week: dict[int, bool], week: int, *, as_json: bool, root: Path
) -> None:
    from rich.table import Table
    from rich.text import Text

    from cli import output

    references = {r.check.id: step_reference(course, *r.check.step) for r in results}
    if as_json:
        output.print_json(
            {
                "project": str(root),
                "weeks": {str(number): passed for number, passed in per_week.items()},
                "passed": all(per_week.values()),
                "checks": [
                    {
                        "id": r.check.id,
                        "week": r.check.week,
                        "title": r.check.title,
                        "status": r.status,
                        "expected": r.expected,
                        "seen": r.seen,
                        "hint": r.hint,
                        "lesson": references[r.check.id],
                        "seconds": round(r.seconds, 2),
                    }
                    for r in results
                ],
            }
        )
        return
    console = output.stdout()
    grid = Table("", "week", "check", header_style="bold")
    for r in results:
        mark = {"pass": Text("✓", "green"), "fail": Text("✗", "red"), "blocked": Text("✗", "red")}
        grid.add_row(mark[r.status], str(r.check.week), Text(r.check.title))
    console.print(grid)
    for r in results:
        if not r.passed:
            print_failure(console, r, references[r.check.id])
    summary = " · ".join(
        f"week {number} {'✓' if passed else '✗'}" for number, passed in per_week.items()
    )
    console.print(Text(summary, style="bold"))
    if all(per_week.values()):
        following = [w for w in course.weeks if w.number == week + 1]
        if following:
            console.print(
                Text(
                    f"Well done: your project is where week {week} ends. "
                    f"Next: retro lesson show {week + 1} ({following[0].title}).",
                    style="green",
                )
            )
        else:
            console.print(Text("Well done: your project is where the course ends.", style="green"))


def print_failure(console, r, ref: dict | None) -> None:
    """A check that did not pass: what was expected, what was seen, the hint, the lesson step
    (`ref`, from step_reference)."""
    from rich.text import Text

    console.print(Text(f"✗ week {r.check.week} · {r.check.title}", style="bold red"))
    if r.status == "blocked":
        console.print(Text(f"    not run: it {r.expected}, which did not pass"))
        return
    _field(console, "expected", r.expected)
    _field(console, "seen", r.seen)
    if r.hint:
        _field(console, "hint", r.hint)
    if ref:
        _field(
            console,
            "lesson",
            f"week {ref['week']}, step {ref['step']} “{ref['title']}”: "
            f"retro lesson show {ref['week']} --step {ref['step']}",
        )


def _field(console, name: str, value: str) -> None:
    from rich.text import Text

    lines = (value or "—").splitlines() or ["—"]
    console.print(Text(f"    {name + ':':<9} {lines[0]}"))
    for line in lines[1:]:
        console.print(Text(f"    {'':<9} {line}", style="dim"))
