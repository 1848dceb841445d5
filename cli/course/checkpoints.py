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
from pathlib import Path
from typing import Annotated

import typer

from cli.output import JsonOption, examples

app = typer.Typer(
    help="Instructors: list the checkpoints, reset students' projects to one, publish them as "
    "git branches.",
    no_args_is_help=True,
)


@dataclass
class Plan:
    root: Path
    written: list[str] = field(default_factory=list)  # added or changed
    removed: list[str] = field(default_factory=list)
    create: bool = False  # the folder does not exist yet
    backup: str = ""

    @property
    def changes(self) -> int:
        return len(self.written) + len(self.removed)

    def saved_as(self) -> str:
        """Where the reset will save the project first, in words (for --dry-run)."""
        from cli.course import gitops

        if self.create or not any(entry.name != ".git" for entry in self.root.iterdir()):
            return "nothing to save: the folder is empty"
        top = gitops.toplevel(self.root)
        if top is not None:
            return f"a new branch backup/<date>-week-N in {top}"
        return f"an archive {self.root.parent}/{self.root.name}-backup-<date>-week-N.tar.gz"

    def as_json(self) -> dict:
        return {
            "project": str(self.root),
            "write": self.written,
            "remove": self.removed,
            "backup": self.backup or None,
        }


def checkpoint_files(course, week) -> dict[str, Path]:
    return course.checkpoint_files(week)


def plan_reset(course, week, root: Path, *, create: bool = False) -> Plan:
    files = checkpoint_files(course, week)
    plan = Plan(root, create=not root.exists())
    current = set(course.project.files(root)) if root.is_dir() else set()
    for rel, source in files.items():
        target = root / rel
        if (
            target.is_symlink()
            or not target.is_file()
            or target.read_bytes() != source.read_bytes()
        ):
            plan.written.append(rel)
    plan.removed = sorted(current - set(files))
    return plan


# A folder holding only these is a new project: `git init`, a hosting service's first commit,
# a virtual environment made first.
NEW_FOLDER_ENTRIES = frozenset(
    {".gitignore", "README.md", "README", "LICENSE", ".env", ".git", ".venv", "venv", "env"}
)


def check_target(course, root: Path, *, create: bool = False) -> None:
    from cli.errors import CLIError, ExitCode

    protected = [course.root, *(course.checkpoint_dir(w) for w in course.weeks)]
    if any(root == folder or folder.is_relative_to(root) for folder in protected) or (
        root.is_relative_to(course.root / "checkpoints")
    ):
        raise CLIError(
            f"{root} holds the course itself; reset a student's project folder instead",
            code=ExitCode.USAGE,
        )
    if not root.exists():
        if create:
            return
        raise CLIError(
            f"{root} does not exist: nothing was changed",
            code=ExitCode.PROJECT,
            hint="check the path, or pass --create to make a new project there",
        )
    if not root.is_dir():
        raise CLIError(f"{root} is not a folder", code=ExitCode.PROJECT)
    names = {entry.name for entry in root.iterdir()}
    if names - NEW_FOLDER_ENTRIES and not (root / "manage.py").is_file():
        raise CLIError(
            f"{root} is not a project folder (no manage.py) and not empty: nothing was changed",
            code=ExitCode.PROJECT,
            hint="pass the folder that holds the student's manage.py",
        )


def apply(course, week, plan: Plan) -> None:
    from cli.course.backups import remove

    files = checkpoint_files(course, week)
    plan.root.mkdir(parents=True, exist_ok=True)
    for rel in plan.written:
        target = plan.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        shutil.copy2(files[rel], target)
    for rel in plan.removed:
        remove(plan.root, rel)


def confirm(question: str) -> None:
    """Ask before changing anything: no terminal and no --yes is a usage error (2), a "no" is
    a cancel (130). Either way nothing was changed."""
    from cli.errors import CLIError, ExitCode

    if not sys.stdin.isatty():
        raise CLIError(
            "not overwriting without confirmation",
            code=ExitCode.USAGE,
            hint="run it in a terminal, or pass --yes",
        )
    try:
        answer = typer.confirm(question, default=False)
    except typer.Abort:
        answer = False
    if not answer:
        raise CLIError("cancelled: nothing was changed", code=ExitCode.CANCELLED)


@app.command("list", epilog=examples("retro checkpoint list"))
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


PathsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--path",
        help="A project folder (repeat for a class); default: the current folder.",
        show_default=False,
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before overwriting.")]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", "-n", help="Only list what would be written and removed."),
]


@app.command(
    "reset",
    epilog=examples(
        "retro checkpoint reset 3",
        "retro checkpoint reset 3 --path ~/class/ada --path ~/class/grace --dry-run",
        "retro checkpoint reset 3 --path ~/class/ada --path ~/class/grace --yes",
        "retro checkpoint reset 1 --path ~/class/new-student --create --yes",
    ),
)
def checkpoint_reset(
    week: Annotated[str, typer.Argument(metavar="WEEK", help="The checkpoint: 1 to 5.")],
    paths: PathsOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    create: Annotated[
        bool, typer.Option("--create", help="Make a --path folder that does not exist yet.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Put a week's checkpoint into one or many projects, after saving each as it is.

    In a git repository the project is first committed on a new branch backup/<date>-week-N
    (your current branch, index and files are left alone until the reset); otherwise it is
    archived as <folder>-backup-<date>-week-N.tar.gz beside the folder. The backup holds what
    the reset overwrites or removes and your other work in the project, never virtual
    environments, caches or collected static files. `retro checkpoint backups` lists them,
    `retro checkpoint restore` brings one back. Declining the question exits with 130.
    """
    from cli import output
    from cli.course import backups, model
    from cli.course.project import record_progress
    from cli.errors import CLIError, ExitCode

    course = model.load()
    chosen = course.week(week)
    roots = []
    for path in paths or [Path.cwd()]:
        root = path.expanduser().resolve()
        check_target(course, root, create=create)
        if root not in roots:
            roots.append(root)
    plans = [plan_reset(course, chosen, root) for root in roots]
    for plan in plans:
        backups.refuse_links(plan.root, plan.written + plan.removed, "a reset")
    if dry_run:
        _print_plans(plans, chosen.number, as_json=json)
        return
    for plan in plans:
        if plan.changes:
            output.status(
                f"{plan.root}: {len(plan.written)} files to write, {len(plan.removed)} to remove"
            )
        else:
            output.status(f"{plan.root}: already the week {chosen.number} checkpoint")
    todo = [plan for plan in plans if plan.changes]
    if not todo:
        if json:
            output.print_json([plan.as_json() for plan in plans])
        else:
            output.result(f"Nothing to do: every project is already at week {chosen.number}.")
        return
    if not yes:
        count = f"{len(todo)} projects" if len(todo) > 1 else str(todo[0].root)
        confirm(f"Reset {count} to week {chosen.number}? Each is saved first.")
    import tarfile

    stamp = backups.now_stamp()
    failed = 0
    for plan in todo:
        try:
            plan.backup = backups.save(
                plan.root,
                plan.written + plan.removed,
                f"week-{chosen.number}",
                stamp,
                f"Backup before resetting the project to week {chosen.number}",
            )
        except (CLIError, OSError, tarfile.TarError) as error:
            failed += 1
            message = error.message if isinstance(error, CLIError) else str(error)
            output.status(
                f"✗ {plan.root}: could not save it, so it was left as it was: {message}",
                style="red",
            )
            continue
        apply(course, chosen, plan)
        # The checkpoint passes its week and the ones before by construction, and none after:
        # `retro lesson list` and `retro watch` start from the week that comes next.
        record_progress(plan.root, {w.number: w.number <= chosen.number for w in course.weeks})
        if not json:
            output.result(
                f"✓ {plan.root}: now the week {chosen.number} checkpoint "
                f"({len(plan.written)} files written, {len(plan.removed)} removed)"
            )
            output.result(f"  your previous work is saved: {plan.backup}")
    if json:
        output.print_json([plan.as_json() for plan in plans])
    if failed:
        raise CLIError(f"{failed} of {len(todo)} projects were not reset", code=ExitCode.ERROR)
    output.status(
        "Databases were left as they were: if migrate complains, move db.sqlite3 away and "
        "migrate again."
    )


def _print_plans(plans: list[Plan], week: int, *, as_json: bool) -> None:
    from rich.text import Text

    from cli import output

    if as_json:
        output.print_json(
            [{**plan.as_json(), "backup": plan.saved_as() if plan.changes else None}
             for plan in plans]
        )  # fmt: skip
        return
    console = output.stdout()
    for plan in plans:
        if not plan.changes:
            console.print(
                Text(f"{plan.root}: already the week {week} checkpoint", style="bold"),
                soft_wrap=True,
            )
            continue
        created = " (a new folder)" if plan.create else ""
        console.print(
            Text(
                f"{plan.root}{created}: {len(plan.written)} to write, "
                f"{len(plan.removed)} to remove",
                style="bold",
            ),
            soft_wrap=True,
        )
        for rel in plan.written:
            console.print(Text(f"  write   {rel}", style="green"), soft_wrap=True)
        for rel in plan.removed:
            console.print(Text(f"  remove  {rel}", style="red"), soft_wrap=True)
        console.print(Text(f"  saved first as: {plan.saved_as()}", style="dim"), soft_wrap=True)
    output.status("Dry run: nothing was changed.")


@app.command(
    "backups",
    epilog=examples(
        "retro checkpoint backups",
        "retro checkpoint backups --path ~/class/ada --path ~/class/grace --json",
    ),
)
def checkpoint_backups(paths: PathsOption = None, json: JsonOption = False) -> None:
    """List the backups `retro checkpoint reset` (and `restore`) saved, oldest first.

    A backup is a branch backup/<date>-… in the project's git repository, or an archive
    <folder>-backup-<date>-….tar.gz beside the folder.
    """
    from cli import output
    from cli.course import backups
    from cli.errors import CLIError, ExitCode

    found = []
    for path in paths or [Path.cwd()]:
        root = path.expanduser().resolve()
        if not root.is_dir():
            raise CLIError(f"{root} is not a folder", code=ExitCode.PROJECT)
        found += backups.find(root)
    if json:
        output.print_json([backup.as_json() for backup in found])
        return
    rows = [
        [
            backup.project.name,
            Path(backup.name).name if backup.kind == "archive" else backup.name,
            backup.made.strftime("%Y-%m-%d %H:%M"),
            backup.label,
            str(backup.files),
        ]
        for backup in found
    ]
    output.table(["project", "backup", "made", "saved", "files"], rows, empty="No backups.")
    if found:
        output.status("Bring one back with `retro checkpoint restore BACKUP --path PROJECT`.")


@app.command(
    "restore",
    epilog=examples(
        "retro checkpoint restore --dry-run",
        "retro checkpoint restore backup/2026-05-04-week-3 --path ~/class/ada --yes",
        "retro checkpoint restore ~/class/grace-backup-2026-05-04-week-3.tar.gz "
        "--path ~/class/grace",
    ),
)
def checkpoint_restore(
    backup_name: Annotated[
        str | None,
        typer.Argument(
            metavar="[BACKUP]",
            help="A branch or archive from `retro checkpoint backups` (default: the latest).",
            show_default=False,
        ),
    ] = None,
    path: Annotated[
        Path | None,
        typer.Option(
            "--path", help="The project folder (default: the current folder).", show_default=False
        ),
    ] = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    json: JsonOption = False,
) -> None:
    """Bring a project back to a backup, byte for byte, after saving it as it is now.

    Every file the backup holds is written back as it was; the project's files (lessons/
    course.toml says which) that the backup does not hold are removed. Other files, .git, the
    virtual environment and the database are left alone. Declining the question exits with 130.
    """
    from cli import output
    from cli.course import backups, model
    from cli.errors import CLIError, ExitCode

    course = model.load()
    root = (path or Path.cwd()).expanduser().resolve()
    if not root.is_dir():
        raise CLIError(f"{root} is not a folder", code=ExitCode.PROJECT)
    check_target(course, root)
    chosen = backups.choose(root, backup_name)
    saved = backups.contents(chosen)
    written = sorted(rel for rel, item in saved.items() if not backups.same(root, rel, item))
    removed = sorted(set(course.project.files(root)) - set(saved))
    backups.refuse_links(root, written + removed, "a restore")
    plan = Plan(root, written=written, removed=removed)
    shown = Path(chosen.name).name if chosen.kind == "archive" else chosen.name
    if dry_run or not plan.changes:
        if json:
            output.print_json({**plan.as_json(), "restore": chosen.as_json(), "done": False})
            return
        if not plan.changes:
            output.result(f"Nothing to do: {root} is already as {shown} holds it.")
            return
        _print_plans([plan], 0, as_json=False)
        return
    output.status(
        f"{root}: {len(written)} files to write, {len(removed)} to remove, from {shown} "
        f"({chosen.label}, {chosen.made:%Y-%m-%d %H:%M})"
    )
    if not yes:
        confirm(f"Restore {root} from {shown}? It is saved as it is first.")
    plan.backup = backups.save(
        root, written + removed, "before-restore", backups.now_stamp(),
        f"Backup before restoring the project from {shown}",
    )  # fmt: skip
    for rel in written:
        backups.write(root, rel, saved[rel])
    for rel in removed:
        backups.remove(root, rel)
    if json:
        output.print_json({**plan.as_json(), "restore": chosen.as_json(), "done": True})
        return
    output.result(
        f"✓ {root}: restored from {shown} ({len(written)} files written, {len(removed)} removed)"
    )
    output.result(f"  what it held just before is saved: {plan.backup}")


@app.command(
    "publish",
    epilog=examples(
        "retro checkpoint publish --repo ~/course-site",
        "retro checkpoint publish --repo /srv/git/class.git --bare",
        "git clone /srv/git/class.git && git -C class checkout week-3",
    ),
)
def checkpoint_publish(
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            help="The git repository, with a work tree or bare (default: the current folder). "
            "Created if it does not exist.",
            show_default=False,
        ),
    ] = None,
    bare: Annotated[
        bool,
        typer.Option("--bare", help="Create the repository bare (what a git host serves)."),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Make the branches week-1 … week-6 and final, each one commit whose tree is a checkpoint.

    The commits have a fixed author and date, so publishing again changes nothing; a branch
    whose checkpoint changed moves to the new commit. Each branch's README.md says how to run
    and check that week's project with only that branch. In a bare repository whose HEAD names
    no branch yet, HEAD becomes week-1, so a plain `git clone` checks out the first week.
    """
    from cli import output
    from cli.course import gitops, model
    from cli.errors import CLIError, ExitCode

    course = model.load()
    root = (repo or Path.cwd()).expanduser().resolve()
    if not root.exists() or (root.is_dir() and not any(root.iterdir())):
        root.mkdir(parents=True, exist_ok=True)
        gitops.git(root, "init", "-q", *(["--bare"] if bare else []))
    elif not root.is_dir() or (gitops.toplevel(root) != root and not gitops.is_bare(root)):
        raise CLIError(
            f"{root} is not the top of a git repository",
            code=ExitCode.PROJECT,
            hint="pass --repo with a git repository (bare or not), or a new folder to create one",
        )
    is_bare = gitops.is_bare(root)
    checked_out = None if is_bare else gitops.current_branch(root)
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
    head = gitops.git(root, "symbolic-ref", "-q", "HEAD", check=False)
    if is_bare and not gitops.git(root, "rev-parse", "--verify", "-q", head, check=False):
        # A clone checks out what HEAD names: make it a branch that exists.
        head = f"refs/heads/{course.weeks[0].branch}"
        gitops.git(root, "symbolic-ref", "HEAD", head)
    if json:
        output.print_json(
            {"repo": str(root), "bare": is_bare, "head": head.removeprefix("refs/heads/"),
             "branches": data}
        )  # fmt: skip
        return
    output.table(["branch", "commit", "status", "files"], rows)
    if is_bare:
        output.status(
            f"{root} is bare: `git clone {root}` checks out {head.removeprefix('refs/heads/')}; "
            "then `git checkout week-3` (for example) gives that week's project."
        )
    else:
        output.status(f"In {root}: `git checkout week-3` (for example) gives that week's project.")
