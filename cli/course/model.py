"""
The course as data: lessons/course.toml (the weeks, their lessons and checkpoints) and the
rule that says which files are "the student's project".
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cli.errors import CLIError, ExitCode

MANIFEST = Path("lessons") / "course.toml"
# Folders that are never copied, compared or archived as part of a project: local tooling.
HEAVY_DIRS = frozenset(
    {".git", ".venv", "venv", "env", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
)


def course_root() -> Path:
    """The folder holding lessons/ and checkpoints/: RETRO_COURSE_DIR, else this checkout."""
    configured = os.environ.get("RETRO_COURSE_DIR")
    root = Path(configured).expanduser() if configured else Path(__file__).resolve().parents[2]
    if not (root / MANIFEST).is_file():
        raise CLIError(
            f"the course is not at {root} (no {MANIFEST})",
            code=ExitCode.PROJECT,
            hint="set RETRO_COURSE_DIR to the folder of the RetroSocial course",
        )
    return root


@dataclass(frozen=True)
class Week:
    number: int
    title: str
    summary: str
    lesson: Path
    checkpoint: Path
    branch: str
    readme: str = ""

    @property
    def label(self) -> str:
        return f"week {self.number}"

    @property
    def is_final(self) -> bool:
        return self.branch == "final"


@dataclass(frozen=True)
class ProjectRule:
    """Which relative paths belong to the student's project."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]
    checkpoint_only: tuple[str, ...] = ()

    def excluded(self, rel: str) -> bool:
        parts = rel.split("/")
        for pattern in self.exclude:
            if pattern.endswith("/"):
                if pattern[:-1] in parts[:-1]:
                    return True
            elif fnmatch.fnmatch(parts[-1], pattern):
                return True
        return False

    def included(self, rel: str) -> bool:
        if self.excluded(rel):
            return False
        return any(
            rel.startswith(item) if item.endswith("/") else rel == item for item in self.include
        )

    def files(self, root: Path) -> list[str]:
        """The project's files under `root`, as sorted relative POSIX paths."""
        found = []
        for item in self.include:
            path = root / item.rstrip("/")
            if item.endswith("/"):
                if path.is_dir():
                    found.extend(_walk(path, root))
            elif path.is_file():
                found.append(item)
        return sorted(rel for rel in found if not self.excluded(rel))


def _walk(folder: Path, root: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(name for name in dirnames if name not in HEAVY_DIRS)
        for name in filenames:
            found.append(Path(dirpath, name).relative_to(root).as_posix())
    return found


@dataclass(frozen=True)
class Course:
    root: Path
    title: str
    subtitle: str
    project: ProjectRule
    weeks: tuple[Week, ...] = field(default_factory=tuple)

    def week(self, value: str | int) -> Week:
        """A week from "3", 3, "week-3" or "final"."""
        text = str(value).strip().lower()
        for week in self.weeks:
            if text in {str(week.number), f"week-{week.number}", f"week{week.number}", week.branch}:
                return week
        known = ", ".join(str(week.number) for week in self.weeks)
        raise CLIError(
            f"unknown week {value!r}", code=ExitCode.NOT_FOUND, hint=f"the weeks are {known}"
        )

    def previous(self, week: Week) -> Week | None:
        earlier = [w for w in self.weeks if w.number < week.number]
        return earlier[-1] if earlier else None

    def checkpoint_dir(self, week: Week) -> Path:
        return (self.root / week.checkpoint).resolve()

    def lesson_path(self, week: Week) -> Path:
        return self.root / week.lesson

    def checkpoint_files(self, week: Week) -> dict[str, Path]:
        """The project files of a week's checkpoint: relative path → absolute path."""
        folder = self.checkpoint_dir(week)
        return {rel: folder / rel for rel in self.project.files(folder)}


def load(root: Path | None = None) -> Course:
    root = root or course_root()
    try:
        data = tomllib.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CLIError(f"cannot read {root / MANIFEST}: {error}", code=ExitCode.PROJECT) from None
    project = data["project"]
    weeks = tuple(
        Week(
            number=int(item["number"]),
            title=item["title"],
            summary=item.get("summary", ""),
            lesson=Path(item["lesson"]),
            checkpoint=Path(item["checkpoint"]),
            branch=item["branch"],
            readme=item.get("readme", "").lstrip("\n"),
        )
        for item in data["week"]
    )
    return Course(
        root=root,
        title=data["course"]["title"],
        subtitle=data["course"].get("subtitle", ""),
        project=ProjectRule(
            include=tuple(project["include"]),
            exclude=tuple(project.get("exclude", ())),
            checkpoint_only=tuple(project.get("checkpoint_only", ())),
        ),
        weeks=tuple(sorted(weeks, key=lambda week: week.number)),
    )
