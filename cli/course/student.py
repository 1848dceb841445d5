"""`retro lesson list|show|diff|get|open`: reading the course's lessons (`open` is in
cli/course/browse.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from cli.course import browse
from cli.course.options import PathOption, WeekArgument
from cli.output import JsonOption, examples

app = typer.Typer(
    help="Read the course's lessons and see what each week changes.", no_args_is_help=True
)
app.add_typer(browse.app)  # `retro lesson open`


@app.command("list", epilog=examples("retro lesson list", "retro lesson list --path ~/retrosocial"))
def lesson_list(path: PathOption = None, json: JsonOption = False) -> None:
    """The weeks, their titles, and which of them your project passed at its last check."""
    from rich.text import Text

    from cli import output
    from cli.course import lesson as lessons
    from cli.course import model
    from cli.course.project import read_progress

    course = model.load()
    root = (path or Path.cwd()).expanduser().resolve()
    progress = read_progress(root) if (root / "manage.py").is_file() else {}
    rows, data = [], []
    for week in course.weeks:
        parsed = lessons.parse(course.lesson_path(week))
        seen = progress.get(str(week.number))
        if seen is None:
            mark = Text("not checked yet", style="dim")
        elif seen.get("passed"):
            mark = Text(f"✓ passed ({seen.get('at', '')[:10]})", style="green")
        else:
            mark = Text(f"✗ not yet ({seen.get('at', '')[:10]})", style="red")
        rows.append([str(week.number), week.title, str(len(parsed.steps)), mark])
        data.append(
            {
                "week": week.number,
                "title": week.title,
                "summary": week.summary,
                "steps": len(parsed.steps),
                "listings": len(parsed.listings),
                "lines_to_type": parsed.typed_lines,
                "files_to_get": parsed.given_files,
                "passed": None if seen is None else bool(seen.get("passed")),
            }
        )
    if json:
        output.print_json(data)
        return
    output.stdout().print(Text(f"{course.title}: {course.subtitle}", style="bold"))
    output.table(["week", "title", "steps", "your project"], rows)
    output.status(
        "Read a week with `retro lesson show N`; check your project with `retro check N`."
    )


@app.command(
    "show",
    epilog=examples(
        "retro lesson show 1", "retro lesson show 2 --step 4", "retro lesson show 3 --no-pager"
    ),
)
def lesson_show(
    week: WeekArgument,
    step: Annotated[
        int | None, typer.Option("--step", "-s", min=1, help="Only this step.", show_default=False)
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="The lesson's Markdown source, as it is.")
    ] = False,
    pager: Annotated[
        bool,
        typer.Option(
            "--pager/--no-pager",
            help="Page the lesson through $PAGER (else less) when the output is a terminal.",
        ),
    ] = True,
) -> None:
    """Show a week's lesson in the terminal, its code highlighted.

    In a terminal a long lesson is paged: $PAGER if set, else less (with LESS=-FRX unless LESS
    is set: colours kept, and short text printed without paging). Piped, it is printed as is.
    A picture is named where it stands, with what it shows: `retro lesson open` shows it.
    """
    from cli import output
    from cli.course import lesson as lessons
    from cli.course import model
    from cli.course.render import render_markdown

    course = model.load()
    chosen = course.week(week)
    parsed = lessons.parse(course.lesson_path(chosen))
    text = parsed.step(step).markdown if step else parsed.markdown
    if plain:
        typer.echo(text, nl=False)
        return
    console = output.stdout()
    if pager and console.is_terminal:
        import os

        os.environ.setdefault("LESS", "-FRX")
        with console.pager(styles=True):
            console.print(render_markdown(text))
    else:
        console.print(render_markdown(text))
    code = [b for b in parsed.blocks if b.kind != "code" and (not step or b.step == step)]
    if any(len(line) + 4 > console.width for b in code for line in b.body.splitlines()):
        output.status(
            f"Some code is wider than this terminal ({console.width} columns) and was wrapped: "
            f"to copy code exactly, use `retro lesson show {chosen.number}"
            f"{f' --step {step}' if step else ''} --plain` (or `retro lesson get` for the "
            "files a lesson gives)."
        )
    if step:
        last = len(parsed.steps)
        following = (
            f"retro lesson show {chosen.number} --step {step + 1}"
            if step < last
            else (f"retro check {chosen.number}")
        )
        output.status(f"Step {step} of {last}. Next: {following}")


@app.command("diff", epilog=examples("retro lesson diff 2", "retro lesson diff 4 --stat"))
def lesson_diff(
    week: WeekArgument,
    stat: Annotated[
        bool, typer.Option("--stat", help="Only the files and their line counts.")
    ] = False,
) -> None:
    """What a week changes: the previous week's checkpoint against this week's."""
    from cli import output
    from cli.course import model
    from cli.course.compare import compare_trees, read, unified

    course = model.load()
    chosen = course.week(week)
    previous = course.previous(chosen)
    before = course.checkpoint_files(previous) if previous else {}
    after = course.checkpoint_files(chosen)
    differences = compare_trees(before, after)
    origin = f"week-{previous.number}" if previous else "empty folder"
    target = chosen.branch
    rows = []
    patches = []
    for rel, change in differences:
        old = read(before[rel]) if rel in before else ""
        new = read(after[rel]) if rel in after else ""
        patch = unified(old, new, f"{origin}/{rel}", f"{target}/{rel}")
        added = sum(
            1 for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++")
        )
        removed = sum(
            1 for line in patch.splitlines() if line.startswith("-") and not line.startswith("---")
        )
        rows.append([change, rel, f"+{added}", f"-{removed}"])
        patches.append(patch)
    if stat or not patches:
        output.table(["change", "file", "added", "removed"], rows, empty="No differences.")
        return
    from rich.syntax import Syntax

    console = output.stdout()
    for patch in patches:
        console.print(Syntax(patch, "diff", theme="ansi_dark", background_color="default"))
    output.status(f"{len(rows)} files change from the {origin} to the end of week {chosen.number}.")


def kept_copy(root: Path, rel: str) -> Path:
    """Where `retro lesson get` keeps a student's file it replaces: retro's own folder, one
    folder per project and per second, never an existing file."""
    import hashlib
    from datetime import datetime

    from cli.config import config_dir

    project = f"{root.name}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}"
    folder = config_dir() / "kept" / project / datetime.now().strftime("%Y%m%d-%H%M%S")
    path, number = folder / rel, 2
    while path.exists():
        path = folder.with_name(f"{folder.name}-{number}") / rel
        number += 1
    return path


@app.command(
    "get",
    epilog=examples(
        "retro lesson get 6 retrosocial/live.py",
        "retro lesson get 6 api/errors.py api/parsers.py --path ~/retrosocial",
        "retro lesson get 6 api/throttles.py --step 2",
    ),
)
def lesson_get(
    week: WeekArgument,
    files: Annotated[
        list[str],
        typer.Argument(metavar="FILE...", help="Files the lesson gives, as it names them."),
    ],
    step: Annotated[
        int | None,
        typer.Option(
            "--step",
            "-s",
            min=1,
            help="The step whose copy to write, when the lesson gives a file in two steps.",
            show_default=False,
        ),
    ] = None,
    path: PathOption = None,
) -> None:
    """Write into your project the files a lesson gives you to read rather than type.

    Some steps give a whole file (infrastructure rather than the week's idea) and a tour of
    it; this writes that file exactly as the lesson shows it. A file of yours that it replaces,
    and that differs, is kept first outside the project, in retro's own folder (the path is
    printed), so nothing of yours is lost and nothing extra lands in your project or in git.
    A file that is already the same is left alone.
    """
    from cli import output
    from cli.course import lesson as lessons
    from cli.course import model
    from cli.course.project import project_dir
    from cli.errors import CLIError, ExitCode

    course = model.load()
    chosen = course.week(week)
    root = project_dir(path)
    if root == course.root.resolve() or course.root.resolve() in root.parents:
        raise CLIError(
            f"{root} is the course itself, not a student's project",
            code=ExitCode.PROJECT,
            hint="run it in your own project folder, or pass --path DIR",
        )
    parsed = lessons.parse(course.lesson_path(chosen))
    given: dict[str, list] = {}
    for block in parsed.blocks:
        if block.given and (step is None or block.step == step):
            given.setdefault(block.path, []).append(block)
    wanted = []
    for name in files:
        rel = Path(name).as_posix().removeprefix("./")
        if rel in given and len(given[rel]) > 1:
            steps = " and ".join(str(block.step) for block in given[rel])
            raise CLIError(
                f"week {chosen.number}'s lesson gives {rel} in steps {steps}",
                code=ExitCode.USAGE,
                hint=f"say which: retro lesson get {chosen.number} {rel} "
                f"--step {given[rel][0].step}",
            )
        if rel not in given:
            near = sorted(r for r in given if Path(r).name == Path(rel).name)
            offered = ", ".join(sorted(given)) or "none"
            where = f" in step {step}" if step else ""
            raise CLIError(
                f"week {chosen.number}'s lesson gives no file {rel}",
                code=ExitCode.NOT_FOUND,
                hint=f"did you mean {', '.join(near)}?"
                if near
                else f"the files it gives{where}: {offered}",
            )
        wanted.append(given[rel][0])
    for block in wanted:
        target = root / block.path
        new = block.body.encode("utf-8")
        if target.is_file() and target.read_bytes() == new:
            output.status(f"  = {block.path} (already the same)")
            continue
        kept = ""
        if target.exists():
            backup = kept_copy(root, block.path)
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup)
            kept = f" (yours is kept as {backup})"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(new)
        output.status(f"  + {block.path}, step {block.step}{kept}")
    count = f"{len(wanted)} file{'s' if len(wanted) != 1 else ''}"
    output.status(f"Wrote {count} of week {chosen.number}: read the lesson's tour of each one.")
