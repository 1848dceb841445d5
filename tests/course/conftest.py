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
def course_jobs(course, lessons_by_week, student_python, services, tmp_path_factory):
    """Everything slow the course tests look at, started together on first use, three at a
    time (it is mostly waiting for servers and subprocesses), the longest first:

    - ("checkpoint", N): `retro check` of weeks N and N+1 on checkpoint N, and of every week on
      the final site, with PostgreSQL and Redis when this machine has them;
    - ("variant", name): `retro check` of the variant solutions of test_check_variants.py;
    - ("replay", N): week N's lesson replayed onto checkpoint N-1.

    Returns {job: Future}."""
    from tests.course.test_check_variants import VARIANTS, build_variant

    numbers = [week.number for week in course.weeks]
    root = tmp_path_factory.mktemp("course")

    def run(kind, key):
        if kind == "replay":
            week = course.week(key)
            return replay(course, week, lessons_by_week[key], root / week.branch, student_python)
        if kind == "checkpoint":
            week = course.week(key)
            weeks = numbers if week.is_final else [key, key + 1]
            folder, extra = course.checkpoint_dir(week), services
        else:
            folder, weeks = build_variant(key, root, student_python)
            extra = {}
        # Every week's checks on the final site take longer than two weeks' on a checkpoint.
        timeout = 360 if kind == "checkpoint" and course.week(key).is_final else 240
        results = checks.run(folder, weeks, student_python, timeout=timeout, services=extra)
        return {result.check.id: result for result in results}

    jobs = (
        [("checkpoint", n) for n in reversed(numbers)]
        + [("variant", v) for v in VARIANTS]
        + [("replay", n) for n in reversed(numbers)]
    )
    pool = ThreadPoolExecutor(max_workers=int(os.environ.get("RETRO_COURSE_WORKERS", "3")))
    futures = {job: pool.submit(run, *job) for job in jobs}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def replays(course_jobs) -> dict:
    """{N: ReplayResult} of every week."""
    return {key: future.result() for (kind, key), future in course_jobs.items() if kind == "replay"}


@pytest.fixture(scope="session")
def check_runs(course_jobs) -> dict:
    """{job: {check id: Result}} of every `retro check` session (checkpoints and variants)."""
    return {job: future.result() for job, future in course_jobs.items() if job[0] != "replay"}


@pytest.fixture(scope="session")
def checkpoint_results(check_runs) -> dict[int, dict]:
    return {key: results for (kind, key), results in check_runs.items() if kind == "checkpoint"}


@pytest.fixture
def scratch():
    with tempfile.TemporaryDirectory(prefix="retro-course-") as folder:
        yield Path(folder)


# The first test that needs the shared course jobs waits for all of them (every checkpoint's
# checks and every week's replay, three at a time): more than pytest's default limit on a busy
# machine. Each job has limits of its own (the checks' timeout, each command's).
COURSE_JOBS_TIMEOUT = 1500


def pytest_collection_modifyitems(items):
    for item in items:
        if {"course_jobs", "replays", "check_runs"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.timeout(COURSE_JOBS_TIMEOUT))
