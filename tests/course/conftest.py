"""
Fixtures of the course tests: a student's Python, and the lessons replayed and the checkpoints
checked once per session (in parallel), shared by every test that looks at them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cli import checks
from cli.course import lesson as lessons
from cli.course import model
from cli.course.replay import replay
from tests.live import ROOT

# Console scripts a student's virtual environment has and the checks may run (a Procfile's).
SCRIPTS = ("daphne", "honcho", "django-admin")


def make_student_python(folder: Path) -> str:
    """A virtual environment like a student's: the packages pinned in requirements.txt (those of
    this checkout's .venv, shared through a .pth line) but not the toolkit itself, whose
    editable install puts this repository's own `posts`, `users`, … on every import path."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = folder / "lib" / version / "site-packages"
    (site / "toolkit-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = folder / "bin" / "python"
    for name in SCRIPTS:
        source = Path(sys.executable).parent / name
        if source.is_file():
            lines = source.read_text().splitlines(keepends=True)
            lines[0] = f"#!{python}\n"
            target = folder / "bin" / name
            target.write_text("".join(lines))
            target.chmod(0o755)
    return str(python)


@pytest.fixture(scope="session")
def student_python(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("student")
    python = make_student_python(folder / "venv")
    probe = subprocess.run(
        [python, "-c", "import django, sys; import posts"],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    assert "No module named 'posts'" in probe.stderr, "the student's Python sees the toolkit"
    return python


@pytest.fixture(scope="session")
def course() -> model.Course:
    return model.load(ROOT)


@pytest.fixture(scope="session")
def lessons_by_week(course) -> dict[int, lessons.Lesson]:
    return {week.number: lessons.parse(course.lesson_path(week)) for week in course.weeks}


@pytest.fixture(scope="session")
def replays(course, lessons_by_week, student_python, tmp_path_factory):
    """Every week's lesson replayed onto the previous checkpoint, in parallel."""
    root = tmp_path_factory.mktemp("replays")

    def run(week):
        return week.number, replay(
            course, week, lessons_by_week[week.number], root / week.branch, student_python
        )

    with ThreadPoolExecutor(max_workers=len(course.weeks)) as pool:
        return dict(pool.map(run, course.weeks))


@pytest.fixture(scope="session")
def services() -> dict[str, str]:
    """PostgreSQL and Redis for the checks of weeks 3 and 4, when this machine has them."""
    from tests.services import (
        POSTGRES_TEST_URL,
        REDIS_TEST_URL,
        postgres_reachable,
        redis_reachable,
    )

    return {
        "postgres": POSTGRES_TEST_URL if postgres_reachable() else "",
        "redis": REDIS_TEST_URL if redis_reachable() else "",
    }


@pytest.fixture(scope="session")
def checkpoint_results(course, student_python, services):
    """The checks of weeks 1 to N+1 run against checkpoint N (one session per checkpoint, two
    at a time), with PostgreSQL and Redis when reachable: {N: {check id: Result}}."""
    numbers = [week.number for week in course.weeks]

    def run(week):
        weeks = [number for number in numbers if number <= week.number + 1]
        results = checks.run(
            course.checkpoint_dir(week), weeks, student_python, timeout=240, services=services
        )
        return week.number, {result.check.id: result for result in results}

    workers = int(os.environ.get("RETRO_COURSE_WORKERS", "2"))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(run, course.weeks))


@pytest.fixture
def scratch():
    with tempfile.TemporaryDirectory(prefix="retro-course-") as folder:
        yield Path(folder)
