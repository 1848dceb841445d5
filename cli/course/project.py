"""The student's project on disk: finding it, the Python that runs it, and what it has passed."""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from cli.errors import CLIError, ExitCode

PROGRESS_FILE = "course-progress.json"


def project_dir(path: Path | None, *, must_exist: bool = True) -> Path:
    """The project folder (default: the current one); a CLIError when it is not a project."""
    root = (path or Path.cwd()).expanduser().resolve()
    if not root.is_dir():
        raise CLIError(f"{root} is not a folder", code=ExitCode.PROJECT)
    if must_exist and not (root / "manage.py").is_file():
        raise CLIError(
            f"{root} is not a Django project folder (there is no manage.py)",
            code=ExitCode.PROJECT,
            hint="run it in your project folder, or pass --path DIR",
        )
    return root


def project_python(root: Path, explicit: str | None = None) -> str:
    """The interpreter that runs the project (see find_python)."""
    return find_python(root, explicit)[0]


RETRO_OWN = "retro's own Python: the project has no virtual environment"


def find_python(
    root: Path, explicit: str | None = None, *, project_first: bool = False
) -> tuple[str, str]:
    """The interpreter that runs the project, and whose it is, in words: --python, else the
    active virtual environment, else the project's .venv/ or venv/, else the one running retro
    (RETRO_OWN; an active environment that is retro's own counts as that too). With
    `project_first` (a class: many projects), the project's own comes before the active one."""
    if explicit:
        found = shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
        if not found:
            raise CLIError(f"no Python at {explicit}", code=ExitCode.USAGE)
        return str(Path(found).absolute()), "given with --python"
    own = Path(sys.prefix).resolve()
    active = []
    if os.environ.get("VIRTUAL_ENV"):
        folder = Path(os.environ["VIRTUAL_ENV"])
        if folder.resolve() != own:
            active.append((folder / "bin" / "python", "the active virtual environment"))
    projects = [
        (root / ".venv" / "bin" / "python", "the project's .venv/"),
        (root / "venv" / "bin" / "python", "the project's venv/"),
    ]
    candidates = projects + active if project_first else active + projects
    for candidate, whose in candidates:
        if candidate.is_file():
            return str(candidate), whose
    return sys.executable, RETRO_OWN


NO_VENV_FIX = (
    "make the project's own: python3 -m venv .venv && . .venv/bin/activate && "
    "pip install -r requirements.txt (or pass --python)"
)


# -- progress: which weeks a project passed, as `retro check` last saw it ---------------------


def _progress_path() -> Path:
    from cli.config import config_dir

    return config_dir() / PROGRESS_FILE


def read_progress(root: Path) -> dict[str, dict]:
    try:
        data = json.loads(_progress_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entry = data.get(str(root), {}) if isinstance(data, dict) else {}
    return entry if isinstance(entry, dict) else {}


def record_progress(root: Path, weeks: dict[int, bool]) -> str | None:
    """Remember, per project folder, whether each week's checks passed. Returns a warning
    when it cannot be saved: progress is a convenience, it never fails a check."""
    path = _progress_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    entry = data.setdefault(str(root), {})
    for week, passed in weeks.items():
        entry[str(week)] = {"passed": passed, "at": now}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        return f"could not save your progress in {path}: {error.strerror or error}"
    return None
