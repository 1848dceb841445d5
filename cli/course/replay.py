"""
Replaying a lesson: what a student who follows week N from checkpoint N-1 ends up with.

Starting from a copy of the previous checkpoint (an empty folder for week 1), the replay
walks the lesson's steps in order and
- writes each whole-file listing, and applies each diff listing (cli/course/patch.py);
- runs the shell commands that change files or can be checked offline: `django-admin
  startproject` (or `python -m django …`), `python manage.py startapp | makemigrations |
  migrate | check | showmigrations | collectstatic | sqlmigrate | test | shell -c`, `rm`, and
  `export` / `unset` for the commands that follow; what each prints is compared with the
  output the lesson shows;
- runs each ```pycon session that follows `python manage.py shell` as a doctest in Django's
  shell, so the ORM examples print what the lesson says.

Commands that install, serve, talk to a service or to Heroku (pip, runserver, daphne, git,
heroku, curl, retro, …) are shown to the student but not replayed, and neither are blocks
marked `needs="…"` or blocks outside the numbered steps (such as "If it broke").
"""

from __future__ import annotations

import doctest
import hashlib
import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cli.course.lesson import Block, Command, Lesson
from cli.course.model import Course, Week
from cli.course.patch import PatchError, apply

MANAGE_COMMANDS = {
    "startapp",
    "makemigrations",
    "migrate",
    "check",
    "showmigrations",
    "collectstatic",
    "sqlmigrate",
    "test",
}
PYTHONS = {"python", "python3", "py"}
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "TZ")
COMMAND_TIMEOUT = 120
OUTPUT_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass
class CommandRun:
    command: Command
    step: int | None
    ran: bool
    reason: str = ""  # why it was not run
    returncode: int | None = None
    output: str = ""  # what it printed
    matches: bool | None = None  # None: the lesson shows no output to compare
    touched: list[str] = field(default_factory=list)


@dataclass
class SessionRun:
    block: Block
    failures: list[dict]
    error: str = ""


@dataclass
class ReplayResult:
    week: Week
    folder: Path
    listing_paths: set[str] = field(default_factory=set)
    command_paths: set[str] = field(default_factory=set)
    runs: list[CommandRun] = field(default_factory=list)
    sessions: list[SessionRun] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def covered(self) -> set[str]:
        return self.listing_paths | self.command_paths


def inside(folder: Path, rel: str) -> Path:
    """`folder / rel`, refused (PatchError) when it would lead outside `folder`."""
    path = (folder / rel).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise PatchError(f"{rel} is outside the project")
    return path


class Terminal:
    """The student's terminal in the replay's folder: its environment (which `export` and
    `unset` change), the commands it replays, and which of the project's files each changed."""

    def __init__(self, course: Course, folder: Path, python: str):
        self.course = course
        self.folder = folder
        self.python = python
        self.env = {key: os.environ[key] for key in KEEP_ENV if key in os.environ}
        self.env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        self.env["PATH"] = str(Path(python).parent) + os.pathsep + self.env.get("PATH", "")
        self.last_command: str = ""  # "shell" after `python manage.py shell`

    def run(self, command: Command, step: int | None) -> CommandRun:
        run = CommandRun(command=command, step=step, ran=False)
        try:
            words = shlex.split(command.text)
        except ValueError as error:
            run.reason = f"cannot parse: {error}"
            return run
        env = dict(self.env)
        while words and "=" in words[0] and not words[0].startswith("="):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        if not words:
            run.reason = "nothing to run"
            return run
        name = words[0]
        self.last_command = ""
        if name == "export":
            for word in words[1:]:
                key, _, value = word.partition("=")
                self.env[key] = value
            run.ran, run.returncode = True, 0
            return run
        if name == "unset":
            for key in words[1:]:
                self.env.pop(key, None)
            run.ran, run.returncode = True, 0
            return run
        if name == "rm":
            return self.file_command(run, words)
        argv = self.python_argv(words)
        if argv is None:
            run.reason = f"not replayed: {name}"
            if name in PYTHONS and words[1:3] == ["manage.py", "shell"]:
                self.last_command = "shell"
            return run
        before = self.snapshot()
        try:
            completed = subprocess.run(
                argv,
                cwd=self.folder,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=COMMAND_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            run.ran, run.returncode = True, -1
            run.output = f"timed out after {COMMAND_TIMEOUT} s"
            return run
        run.ran, run.returncode, run.output = True, completed.returncode, completed.stdout
        run.touched = self.changed(before)
        if command.output.strip():
            run.matches = output_matches(command.output, run.output)
        return run

    def python_argv(self, words: list[str]) -> list[str] | None:
        if words[0] == "django-admin":
            return [self.python, "-m", "django", *words[1:]]
        if words[0] in PYTHONS and words[1:3] == ["-m", "django"]:
            return [self.python, *words[1:]]
        if words[0] in PYTHONS and len(words) >= 3 and words[1] == "manage.py":
            sub = words[2]
        elif words[0] == "./manage.py" and len(words) >= 2:
            words = ["python", *words]
            sub = words[2]
        else:
            return None
        if sub in MANAGE_COMMANDS or (sub == "shell" and ("-c" in words or "--command" in words)):
            return [self.python, *words[1:]]
        return None

    def file_command(self, run: CommandRun, words: list[str]) -> CommandRun:
        flags = [word for word in words[1:] if word.startswith("-")]
        paths = [word for word in words[1:] if not word.startswith("-")]
        before = self.snapshot()
        try:
            for rel in paths:
                path = inside(self.folder, rel)
                if path.is_dir():
                    if not any(flag in flags for flag in ("-r", "-rf", "-fr", "-R")):
                        raise OSError(f"rm: {rel} is a folder")
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
                elif "-f" not in flags and "-rf" not in flags:
                    raise OSError(f"rm: {rel}: no such file")
        except (OSError, PatchError) as error:
            run.ran, run.returncode, run.output = True, 1, str(error)
            return run
        run.ran, run.returncode = True, 0
        run.touched = self.changed(before)
        return run

    def snapshot(self) -> dict[str, str]:
        return {
            rel: hashlib.sha1((self.folder / rel).read_bytes()).hexdigest()
            for rel in self.course.project.files(self.folder)
        }

    def changed(self, before: dict[str, str]) -> list[str]:
        after = self.snapshot()
        return sorted(rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel))


class Replay:
    """The lesson's steps in order: listings written, diffs applied, commands run in the
    `Terminal`, ```pycon sessions run as doctests in Django's shell."""

    def __init__(self, course: Course, week: Week, lesson: Lesson, folder: Path, python: str):
        self.course = course
        self.week = week
        self.lesson = lesson
        self.folder = folder
        self.python = python
        self.terminal = Terminal(course, folder, python)
        self.result = ReplayResult(week=week, folder=folder)

    def run(self) -> ReplayResult:
        if self.course.previous(self.week) is not None:
            self.migrate_previous()
        for block in self.lesson.blocks:
            if block.step is None:
                continue
            kind = block.kind
            if kind in {"listing", "diff"}:
                self.write(block)
            elif kind == "console" and not block.needs:
                for command in block.commands():
                    run = self.terminal.run(command, block.step)
                    self.result.runs.append(run)
                    self.result.command_paths.update(run.touched)
            elif kind == "pycon" and self.terminal.last_command == "shell" and not block.needs:
                self.session(block)
        return self.result

    def migrate_previous(self) -> None:
        """A student starting week N has the database of week N-1: migrate it first (quietly;
        with DEBUG on, as the student runs it locally)."""
        completed = subprocess.run(
            [self.python, "manage.py", "migrate", "--noinput"],
            cwd=self.folder,
            env={**self.terminal.env, "DEBUG": "1"},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        if completed.returncode != 0:
            self.result.errors.append(
                f"the previous checkpoint does not migrate: {completed.stderr[-1000:]}"
            )

    def write(self, block: Block) -> None:
        rel = block.path or ""
        try:
            path = inside(self.folder, rel)
            if block.kind == "diff":
                if not path.is_file():
                    raise PatchError(f"{rel} does not exist yet")
                path.write_text(apply(path.read_text(encoding="utf-8"), block.body), "utf-8")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(block.body, encoding="utf-8")
        except (PatchError, OSError) as error:
            self.result.errors.append(f"line {block.line} ({rel}): {error}")
            return
        self.result.listing_paths.add(rel)

    def session(self, block: Block) -> None:
        code = SESSION_RUNNER.format(text=block.body)
        completed = subprocess.run(
            [self.python, "manage.py", "shell", "-c", code],
            cwd=self.folder,
            env=self.terminal.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )
        for line in completed.stdout.splitlines():
            if line.startswith("RETRO-DOCTEST:"):
                failures = json.loads(line.removeprefix("RETRO-DOCTEST:"))
                self.result.sessions.append(SessionRun(block=block, failures=failures))
                return
        self.result.sessions.append(
            SessionRun(
                block=block, failures=[], error=(completed.stderr or completed.stdout)[-2000:]
            )
        )


SESSION_RUNNER = """
import doctest as _doctest, json as _json, traceback as _traceback
_failures = []
class _Runner(_doctest.DocTestRunner):
    def report_failure(self, out, test, example, got):
        _failures.append({{"source": example.source, "want": example.want, "got": got}})
    def report_unexpected_exception(self, out, test, example, exc_info):
        got = "".join(_traceback.format_exception_only(*exc_info[:2]))
        _failures.append({{"source": example.source, "want": example.want, "got": got}})
_test = _doctest.DocTestParser().get_doctest({text!r}, globals(), "lesson", None, 0)
_Runner(optionflags=_doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE).run(
    _test, out=lambda text: None
)
print("RETRO-DOCTEST:" + _json.dumps(_failures))
"""


def output_matches(want: str, got: str) -> bool:
    """Does the printed output match what the lesson shows? `...` in the lesson stands for any
    text, and runs of whitespace count as one space."""
    return doctest.OutputChecker().check_output(
        want.strip() + "\n", got.strip() + "\n", OUTPUT_FLAGS
    )


def prepare(course: Course, week: Week, folder: Path) -> None:
    """Put the previous week's checkpoint (nothing, for week 1) into an empty `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    previous = course.previous(week)
    if previous is None:
        return
    for rel, source in course.checkpoint_files(previous).items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def replay(course: Course, week: Week, lesson: Lesson, folder: Path, python: str) -> ReplayResult:
    prepare(course, week, folder)
    return Replay(course, week, lesson, folder, python).run()
