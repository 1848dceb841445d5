"""
`retro watch`, run as a student runs it, against copies of the checkpoints: the current week's
quick checks once (--once), or again on every save until Ctrl-C.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cli import checks
from cli.course import lesson as lessons
from cli.course.watch import is_slow
from tests.checkpoints import COURSE, copy_checkpoint
from tests.cli.helpers import Background, Retro


class Student(Retro):
    """`retro` in a wide terminal's environment (report lines are not wrapped), its temporary
    folders in `tmp` when given."""

    def __init__(self, config_dir: Path, tmp: Path | None = None):
        super().__init__(config_dir, None)
        self.tmp = tmp

    def env(self, **extra: str) -> dict[str, str]:
        if self.tmp:
            extra.setdefault("TMPDIR", str(self.tmp))
        return super().env(COLUMNS="200", **extra)


@pytest.fixture
def retro(tmp_path) -> Student:
    folder = tmp_path / "config"
    folder.mkdir()
    return Student(folder)


def quick(number: int) -> list[checks.Check]:
    return [item for item in checks.checks_for([number]) if not is_slow(item)]


def step_of(number: int, words: str) -> tuple[int, int]:
    """The number of the lesson step that `words` names in week `number`, and its step count."""
    parsed = lessons.parse(COURSE.lesson_path(COURSE.week(number)))
    return parsed.find_step(words).number, len(parsed.steps)


def lines_until(watcher: Background, text: str, timeout: float) -> list[str]:
    """Output lines up to the first that contains `text`; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = watcher.next_line(timeout=max(0.1, deadline - time.monotonic()))
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"no {text!r} within {timeout} s:\n{''.join(seen)}")


class TestOnce:
    def test_a_checkpoint_passes_its_week_and_names_the_next_step(
        self, retro, student_python, tmp_path
    ):
        project = copy_checkpoint(1, tmp_path / "ada")
        before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
        run = retro("watch", "--once", "--path", str(project), "--python", student_python)
        assert run.returncode == 0, str(run)
        count = len(quick(1))
        assert f"week 1: {count}/{count} checks pass" in run.stdout, str(run)
        assert all(f"✓ {item.title}" in run.stdout for item in quick(1))
        assert (
            "week 1 passes: run `retro check 1` for the full check, "
            "then read week 2 with `retro lesson show 2`." in run.stdout
        )
        assert "✗" not in run.stdout
        # The project is only read, and a quick round is not recorded as `retro check`'s.
        assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
        weeks = retro.ok("lesson", "list", "--path", str(project), "--json").json()
        assert weeks[0]["passed"] is None

    def test_a_removed_template_fails_with_the_first_check_and_its_lesson_step(
        self, retro, student_python, tmp_path
    ):
        project = copy_checkpoint(2, tmp_path / "ada")
        (project / "users" / "templates" / "registration" / "login.html").unlink()
        run = retro(
            "watch", "--once", "--week", "2", "--path", str(project), "--python", student_python
        )
        assert run.returncode == 8, str(run)
        step, steps = step_of(2, "Log in")
        total = len(quick(2))
        passed = run.stdout.count("  ✓ ")
        assert 0 < passed < total
        assert f"week 2: {passed}/{total} checks pass · step {step} of {steps}" in run.stdout
        # Only the first check that failed is explained: the log-in page, with its lesson step.
        failures = [line for line in run.stdout.splitlines() if line.startswith("✗ week")]
        assert failures == ["✗ week 2 · you can log in with the site's own form"], str(run)
        assert "expected: a log-in page" in run.stdout and "seen:" in run.stdout
        assert f"lesson:   week 2, step {step} “" in run.stdout
        assert f"retro lesson show 2 --step {step}" in run.stdout
        assert "Next: fix it and run this again" in run.stdout
        assert f"week 2: {total - passed} of {total} checks did not pass" in run.stderr

    def test_the_week_is_the_first_one_retro_check_has_not_seen_pass(
        self, retro, student_python, tmp_path
    ):
        project = copy_checkpoint(3, tmp_path / "grace")
        checked = retro("check", "2", "--path", str(project), "--python", student_python)
        assert checked.returncode == 0, str(checked)
        run = retro("watch", "--once", "--path", str(project), "--python", student_python)
        assert run.returncode == 0, str(run)
        assert "week 3 · " in run.stdout.splitlines()[0]
        count = len(quick(3))
        assert f"week 3: {count}/{count} checks pass" in run.stdout
        assert "then read week 4 with `retro lesson show 4`" in run.stdout
        # The checks that are slow by nature are named, and left to `retro check`.
        slow = [item for item in checks.checks_for([3]) if is_slow(item)]
        assert slow, "week 3 has a check that starts the site as Heroku runs it"
        for item in slow:
            assert not any(f"  {mark} {item.title}" in run.stdout for mark in "✓✗·")
            assert item.title in run.stdout.split("Left to `retro check 3` (slow): ")[1]

    def test_bad_input_is_a_clear_error(self, retro, tmp_path):
        run = retro("watch", "--once", "--path", str(tmp_path))
        assert run.returncode == 10 and "no manage.py" in run.stderr
        project = copy_checkpoint(1, tmp_path / "ada")
        run = retro("watch", "--once", "--week", "99", "--path", str(project))
        assert run.returncode == 6 and "unknown week '99'" in run.stderr
        run = retro("watch", "--path", str(project), "--interval", "0")
        assert run.returncode == 2 and "--interval" in run.stderr

    def test_help_lists_it_with_examples(self, retro):
        assert "\n  watch " in retro.ok("--help").stdout
        help = retro.ok("watch", "--help").stdout
        assert "Examples:" in help and "$ retro watch --once" in help and "--week" in help


def test_saving_runs_the_checks_again_and_ctrl_c_stops(retro, student_python, tmp_path):
    project = copy_checkpoint(1, tmp_path / "ada")
    home = project / "posts" / "templates" / "posts" / "home.html"
    good = home.read_text()
    count = len(quick(1))
    args = ["watch", "--week", "1", "--interval", "0.1", "--path", str(project)]
    with retro.spawn(*args, "--python", student_python) as watcher:
        lines_until(watcher, f"week 1: {count}/{count} checks pass", timeout=90)
        lines_until(watcher, "week 1 passes", timeout=5)
        # What is not the project's (a database, caches, a virtual environment) is not watched.
        (project / "db.sqlite3").write_bytes(b"data")
        (project / "posts" / "__pycache__").mkdir(exist_ok=True)
        (project / "posts" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"x")
        (project / ".venv").mkdir()
        (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")

        home.write_text("<p>only a fragment</p>\n")  # saved: broken
        seen = lines_until(watcher, "✗ week 1 · the home page is a whole HTML page", timeout=90)
        # The first change it reports is this one, and this file alone.
        changes = [line.strip() for line in seen if "Changed:" in line]
        assert changes == ["Changed: posts/templates/posts/home.html."], "".join(seen)
        step, steps = step_of(1, "template")
        assert any(f"· step {step} of {steps}" in line for line in seen), "".join(seen)
        lines_until(watcher, f"retro lesson show 1 --step {step}", timeout=5)
        lines_until(watcher, "fix it and save", timeout=5)

        home.write_text(good)  # saved: fixed
        seen = lines_until(watcher, f"week 1: {count}/{count} checks pass", timeout=90)
        assert "Changed: posts/templates/posts/home.html." in "".join(seen)
        lines_until(watcher, "week 1 passes", timeout=5)

        assert watcher.interrupt(timeout=30) == 130
        printed = "".join(watcher.stdout_lines) + "".join(watcher.all_stderr())
        assert "Stopped watching." in printed
        assert "Traceback" not in printed


def test_ctrl_c_while_checking_stops_the_servers_and_removes_the_copy(student_python, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    (tmp_path / "config").mkdir()
    retro = Student(tmp_path / "config", temporary)
    project = copy_checkpoint(1, tmp_path / "ada")
    args = ["watch", "--week", "1", "--interval", "0.1", "--path", str(project)]
    with retro.spawn(*args, "--python", student_python) as watcher:
        lines_until(watcher, "the home page answers", timeout=90)  # its server is running
        assert [p.name for p in temporary.iterdir()][0].startswith("retro-check-")
        assert processes_in(temporary), "the project's server runs in the copy"
        assert watcher.interrupt(timeout=30) == 130
        assert "Traceback" not in "".join(watcher.all_stderr())
    assert processes_in(temporary) == []
    assert list(temporary.iterdir()) == []


def processes_in(folder: Path) -> list[int]:
    """The processes whose working folder is under `folder` (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd").startswith(str(folder)):
                    found.append(int(entry.name))
            except OSError:
                continue  # ended meanwhile, or not ours to read
    return found
