"""
`retro lesson get`: the files a lesson gives to read rather than type land in the student's
project exactly as the lesson shows them, and nothing of the student's is lost on the way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli.course import lesson as lessons
from tests.checkpoints import COURSE, copy_checkpoint
from tests.cli.helpers import Retro

WEEK = COURSE.week(6)
LESSON = lessons.parse(COURSE.lesson_path(WEEK))


@pytest.fixture
def retro(tmp_path) -> Retro:
    (tmp_path / "config").mkdir()
    return Retro(tmp_path / "config", None)


def given(path: str, step: int | None = None) -> str:
    (block,) = [b for b in LESSON.blocks if b.given and b.path == path and step in (None, b.step)]
    return block.body


def test_it_writes_the_lessons_file_and_keeps_the_students_own(retro: Retro, tmp_path):
    project = copy_checkpoint(5, tmp_path / "project")
    mine = (project / "posts" / "services.py").read_text()
    assert "retrosocial/live.py" in LESSON.given_files
    run = retro("lesson", "get", "6", "retrosocial/live.py", "--path", str(project))
    assert run.returncode == 0, run
    assert (project / "retrosocial" / "live.py").read_text() == given("retrosocial/live.py")
    assert "+ retrosocial/live.py" in run.stderr
    # The same again changes nothing and says so.
    again = retro("lesson", "get", "6", "retrosocial/live.py", "--path", str(project))
    assert again.returncode == 0 and "already the same" in again.stderr
    # A file of the student's that differs is kept outside the project, twice over if need be.
    (project / "api").mkdir()
    (project / "api" / "throttles.py").write_text("# mine, first try\n")
    first = retro("lesson", "get", "6", "api/throttles.py", "--step", "2", "--path", str(project))
    (project / "api" / "throttles.py").write_text("# mine, second try\n")
    run = retro("lesson", "get", "6", "api/throttles.py", "--step", "8", "--path", str(project))
    assert run.returncode == 0, run
    kept = [kept_path(first.stderr), kept_path(run.stderr)]
    assert [path.read_text() for path in kept] == ["# mine, first try\n", "# mine, second try\n"]
    assert all(retro.config_dir in path.parents for path in kept)
    assert (project / "api" / "throttles.py").read_text() == given("api/throttles.py", 8)
    assert (project / "posts" / "services.py").read_text() == mine
    # Nothing but the lesson's files was added to the project.
    assert sorted(p.name for p in (project / "api").iterdir()) == ["throttles.py"]


def kept_path(stderr: str) -> Path:
    return Path(re.search(r"yours is kept as (\S+)\)", stderr).group(1))


def test_bad_requests_say_what_to_do_and_touch_nothing(retro: Retro, tmp_path):
    project = copy_checkpoint(5, tmp_path / "project")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))

    unknown = retro("lesson", "get", "6", "live.py", "--path", str(project))
    assert unknown.returncode == 6 and "did you mean retrosocial/live.py" in unknown.stderr
    not_given = retro("lesson", "get", "6", "posts/models.py", "--path", str(project))
    assert not_given.returncode == 6 and "the files it gives" in not_given.stderr
    twice = retro("lesson", "get", "6", "api/throttles.py", "--path", str(project))
    assert twice.returncode == 2 and "--step 2" in twice.stderr
    no_week = retro("lesson", "get", "9", "retrosocial/live.py", "--path", str(project))
    assert no_week.returncode == 6
    not_a_project = retro("lesson", "get", "6", "retrosocial/live.py", "--path", str(tmp_path))
    assert not_a_project.returncode == 10

    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_it_refuses_to_write_into_the_course_itself(retro: Retro):
    checkpoint = COURSE.checkpoint_dir(COURSE.week(5))
    run = retro("lesson", "get", "6", "retrosocial/live.py", "--path", str(checkpoint))
    assert run.returncode == 10 and "the course itself" in run.stderr
    assert not (checkpoint / "retrosocial" / "live.py").exists()


def test_a_reset_project_starts_at_the_week_after_its_checkpoint(retro: Retro, tmp_path):
    """After `retro checkpoint reset 4`, the project passes weeks 1-4 by construction: the
    course commands start from week 5 instead of checking week 1 again."""
    project = tmp_path / "project"
    run = retro("checkpoint", "reset", "4", "--path", str(project), "--create", "--yes")
    assert run.returncode == 0, run
    weeks = {
        row["week"]: row["passed"]
        for row in retro("lesson", "list", "--json", "--path", str(project)).json()
    }
    assert weeks == {1: True, 2: True, 3: True, 4: True, 5: False, 6: False, 7: False, 8: False}
