"""
`retro checkpoint list|reset|publish`: the instructor's commands.

`reset` puts a week's checkpoint into one or many students' projects. It first saves each
project as it is, untracked files included: a commit on a branch `backup/<date>-week-N` in a
git repository (the student's branch, index and files stay as they were until the reset
itself), or a .tar.gz archive beside the folder otherwise. Nothing outside the project's files
(lessons/course.toml) is touched: not the virtual environment, not the database, not .git.

`publish` makes one branch per checkpoint (week-1 … week-4, final) in a git repository, each a
single commit whose tree is the checkpoint, with a fixed author and date: publishing twice
changes nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.output import JsonOption, examples

if TYPE_CHECKING:
    import tarfile

checkpoint_app = typer.Typer(
    help="Instructors: list the checkpoints, reset students' projects to one, publish them as "
    "git branches.",
    no_args_is_help=True,
)


@dataclass
class Plan:
    root: Path
    written: list[str] = field(default_factory=list)  # added or changed
    removed: list[str] = field(default_factory=list)
    backup: str = ""

    @property
    def changes(self) -> int:
        return len(self.written) + len(self.removed)


def checkpoint_files(course, week) -> dict[str, Path]:
    return course.checkpoint_files(week)


def plan_reset(course, week, root: Path) -> Plan:
    files = checkpoint_files(course, week)
    plan = Plan(root)
    current = set(course.project.files(root)) if root.is_dir() else set()
    for rel, source in files.items():
        target = root / rel
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            plan.written.append(rel)
    plan.removed = sorted(current - set(files))
    return plan


def check_target(course, root: Path) -> None:
    from cli.errors import CLIError, ExitCode

    protected = [course.root, *(course.checkpoint_dir(w) for w in course.weeks)]
    if any(root == folder or folder.is_relative_to(root) for folder in protected) or (
        root.is_relative_to(course.root / "checkpoints")
    ):
        raise CLIError(
            f"{root} holds the course itself; reset a student's project folder instead",
            code=ExitCode.USAGE,
        )
    if root.exists() and not root.is_dir():
        raise CLIError(f"{root} is not a folder", code=ExitCode.PROJECT)
    if root.is_dir() and any(root.iterdir()) and not (root / "manage.py").is_file():
        raise CLIError(
            f"{root} is not a project folder (no manage.py) and not empty: nothing was changed",
            code=ExitCode.PROJECT,
            hint="pass the folder that holds the student's manage.py",
        )


def backup(course, week, plan: Plan, stamp: str) -> str:
    """Save the project as it is; returns where (said to the user)."""
    import tarfile

    from cli.course import gitops

    root = plan.root
    if not root.exists() or not any(root.iterdir()):
        return "nothing to save: the folder was empty"
    label = f"{stamp}-week-{week.number}"
    top = gitops.toplevel(root)
    if top is not None:
        inside = root.relative_to(top)
        also = [(inside / rel).as_posix() for rel in plan.written + plan.removed]
        tree = gitops.snapshot_worktree(top, also)
        parent = gitops.head(top)
        branch = gitops.unique_branch(top, f"backup/{label}")
        message = (
            f"Backup before resetting {inside.as_posix() if str(inside) != '.' else 'the project'}"
            f" to week {week.number}\n\nMade by `retro checkpoint reset`: the work tree as it was,"
            " untracked files included."
        )
        args = ["commit-tree", tree, "-m", message] + (["-p", parent] if parent else [])
        commit = gitops.git(top, *args, env=gitops.identity(top))
        gitops.git(top, "update-ref", f"refs/heads/{branch}", commit)
        return f"branch {branch} (commit {commit[:10]}) in {top}"
    archive = _unique(root.parent / f"{root.name}-backup-{label}.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname=root.name, filter=_archive_filter)
    return f"archive {archive}"


def _archive_filter(info: tarfile.TarInfo):
    from cli.course.model import HEAVY_DIRS

    parts = Path(info.name).parts
    # Virtual environments and caches are never touched by a reset, and can be rebuilt.
    if any(part in HEAVY_DIRS - {".git"} for part in parts[1:]):
        return None
    return info


def _unique(path: Path) -> Path:
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(path.name.replace(".tar.gz", f"-{number}.tar.gz"))
        number += 1
    return candidate


def apply(course, week, plan: Plan) -> None:
    files = checkpoint_files(course, week)
    plan.root.mkdir(parents=True, exist_ok=True)
    for rel in plan.written:
        target = plan.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        shutil.copy2(files[rel], target)
    for rel in plan.removed:
        (plan.root / rel).unlink()
        folder = (plan.root / rel).parent
        while folder != plan.root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


@checkpoint_app.command("list", epilog=examples("retro checkpoint list"))
def checkpoint_list(json: JsonOption = False) -> None:
    """The checkpoints: the whole project at the end of each week."""
    from cli import output
    from cli.course import model

    course = model.load()
    rows, data = [], []
    for week in course.weeks:
        folder = course.checkpoint_dir(week)
        count = len(course.project.files(folder))
        shown = os.path.relpath(folder, Path.cwd()) if folder.is_relative_to(Path.cwd()) else folder
        rows.append([str(week.number), week.branch, week.title, str(count), str(shown)])
        data.append(
            {
                "week": week.number,
                "branch": week.branch,
                "title": week.title,
                "files": count,
                "folder": str(folder),
            }
        )
    if json:
        output.print_json(data)
        return
    output.table(["week", "branch", "title", "files", "folder"], rows)


@checkpoint_app.command(
    "reset",
    epilog=examples(
        "retro checkpoint reset 3",
        "retro checkpoint reset 3 --path ~/class/ada --path ~/class/grace --yes",
    ),
)
def checkpoint_reset(
    week: Annotated[str, typer.Argument(metavar="WEEK", help="The checkpoint: 1 to 5.")],
    paths: Annotated[
        list[Path] | None,
        typer.Option(
            "--path",
            help="A project folder to reset (repeat for a class); default: the current folder.",
            show_default=False,
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before overwriting.")
    ] = False,
) -> None:
    """Put a week's checkpoint into one or many projects, after saving each as it is.

    In a git repository the project is first committed, untracked files included, on a new
    branch backup/<date>-week-N (your current branch and staged changes are left alone);
    otherwise it is archived as <folder>-backup-<date>-week-N.tar.gz beside the folder.
    """
    import tarfile

    from cli import output
    from cli.course import model
    from cli.errors import CLIError, ExitCode

    course = model.load()
    chosen = course.week(week)
    roots = []
    for path in paths or [Path.cwd()]:
        root = path.expanduser().resolve()
        check_target(course, root)
        if root not in roots:
            roots.append(root)
    plans = [plan_reset(course, chosen, root) for root in roots]
    for plan in plans:
        if plan.changes:
            output.status(
                f"{plan.root}: {len(plan.written)} files to write, {len(plan.removed)} to remove"
            )
        else:
            output.status(f"{plan.root}: already the week {chosen.number} checkpoint")
    todo = [plan for plan in plans if plan.changes]
    if not todo:
        output.result(f"Nothing to do: every project is already at week {chosen.number}.")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise CLIError(
                "not overwriting without confirmation",
                code=ExitCode.USAGE,
                hint="run it in a terminal, or pass --yes",
            )
        count = f"{len(todo)} projects" if len(todo) > 1 else str(todo[0].root)
        if not typer.confirm(
            f"Reset {count} to week {chosen.number}? Each is saved first.", default=False
        ):
            raise CLIError("nothing was changed", code=ExitCode.USAGE)
    stamp = datetime.now().strftime("%Y-%m-%d")
    failed = 0
    for plan in todo:
        try:
            plan.backup = backup(course, chosen, plan, stamp)
        except (CLIError, OSError, tarfile.TarError) as error:
            failed += 1
            message = error.message if isinstance(error, CLIError) else str(error)
            output.status(
                f"✗ {plan.root}: could not save it, so it was left as it was: {message}",
                style="red",
            )
            continue
        apply(course, chosen, plan)
        output.result(
            f"✓ {plan.root}: now the week {chosen.number} checkpoint "
            f"({len(plan.written)} files written, {len(plan.removed)} removed)"
        )
        output.result(f"  your previous work is saved: {plan.backup}")
    if failed:
        raise CLIError(f"{failed} of {len(todo)} projects were not reset", code=ExitCode.ERROR)
    output.status(
        "Databases were left as they were: if migrate complains, move db.sqlite3 away and "
        "migrate again."
    )


@checkpoint_app.command(
    "publish",
    epilog=examples("retro checkpoint publish --repo ~/course-site", "git checkout week-3"),
)
def checkpoint_publish(
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            help="The git repository (default: the current folder). Created if it does not exist.",
            show_default=False,
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Make the branches week-1 … week-4 and final, each one commit whose tree is a checkpoint.

    The commits have a fixed author and date, so publishing again changes nothing; a branch
    whose checkpoint changed moves to the new commit. A class can then `git checkout week-3`.
    """
    from cli import output
    from cli.course import gitops, model
    from cli.errors import CLIError, ExitCode

    course = model.load()
    root = (repo or Path.cwd()).expanduser().resolve()
    if not root.exists() or (root.is_dir() and not any(root.iterdir())):
        root.mkdir(parents=True, exist_ok=True)
        gitops.git(root, "init", "-q")
    elif not root.is_dir() or gitops.toplevel(root) != root:
        raise CLIError(
            f"{root} is not the top of a git repository",
            code=ExitCode.PROJECT,
            hint="pass --repo with a git repository, or a new folder to create one",
        )
    checked_out = gitops.current_branch(root)
    rows, data = [], []
    for week in course.weeks:
        files: dict[str, Path | bytes] = dict(course.checkpoint_files(week))
        folder = course.checkpoint_dir(week)
        for extra in course.project.checkpoint_only:
            if week.readme and extra == "README.md":
                files[extra] = week.readme.encode()
            elif (folder / extra).is_file() and not week.is_final:
                files[extra] = folder / extra
        tree = gitops.tree_from_files(root, files)
        message = (
            f"Week {week.number} checkpoint: {week.title}\n\n"
            f"The whole RetroSocial project as a student has it at the end of week "
            f"{week.number} ({week.lesson.as_posix()})."
        )
        commit = gitops.git(root, "commit-tree", tree, "-m", message, env=gitops.COURSE_AUTHOR)
        before = gitops.branch_commit(root, week.branch)
        if before == commit:
            status = "unchanged"
        elif week.branch == checked_out:
            raise CLIError(
                f"branch {week.branch} is checked out in {root}, and its checkpoint changed",
                code=ExitCode.USAGE,
                hint="switch to another branch there, then publish again",
            )
        else:
            gitops.git(root, "update-ref", f"refs/heads/{week.branch}", commit)
            status = "updated" if before else "created"
        rows.append([week.branch, commit[:10], status, str(len(files))])
        data.append(
            {"branch": week.branch, "commit": commit, "status": status, "files": len(files)}
        )
    if json:
        output.print_json({"repo": str(root), "branches": data})
        return
    output.table(["branch", "commit", "status", "files"], rows)
    output.status(f"In {root}: `git checkout week-3` (for example) gives that week's project.")


def register(app: typer.Typer) -> None:
    app.add_typer(checkpoint_app, name="checkpoint")
