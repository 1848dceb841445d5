"""
`retro class check`: a class of real projects (copies of checkpoints, one of them broken)
checked with one command, several at a time, into a table, JSON and a report to share; class
files and bad input.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.errors import ExitCode
from tests.checkpoints import copy_checkpoint
from tests.live import ROOT


def retro_class(tmp_path: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETRO_")}
    env["RETRO_CONFIG_DIR"] = str(tmp_path / "config")
    env["COLUMNS"] = "200"
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "class", "check", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
    assert "Traceback" not in run.stdout + run.stderr, run.stdout + run.stderr
    return run


def test_a_class_of_two_real_projects_one_broken(tmp_path, student_python):
    ada = copy_checkpoint(1, tmp_path / "class" / "ada")
    grace = copy_checkpoint(1, tmp_path / "class" / "grace")
    views = grace / "posts" / "views.py"
    views.write_text(views.read_text().replace(".order_by(", ".none().order_by("))
    before = {p: p.read_bytes() for p in grace.rglob("*") if p.is_file()}
    report = tmp_path / "week-1.html"

    run = retro_class(
        tmp_path, "1", str(ada), str(grace), "--python", student_python, "--jobs", "2",
        "--report", str(report), "--json",
    )  # fmt: skip

    assert run.returncode == ExitCode.CHECK_FAILED, run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["projects"] == 2 and result["passed"] == 1 and result["jobs"] == 2
    rows = {row["student"]: row for row in result["students"]}
    assert rows["ada"]["status"] == "passed" and rows["ada"]["first_failure"] is None
    assert rows["ada"]["checks"] == rows["ada"]["passed_checks"] > 0
    broken = rows["grace"]
    assert broken["status"] == "failed" and broken["passed"] is False
    assert broken["first_failure"] == "week 1 · the home page lists the site's users"
    assert broken["hint"] and broken["lesson"].startswith("retro lesson show 1 --step ")
    assert 0 < broken["seconds"] and broken["python"] == student_python
    assert "[2/2]" in run.stderr and "1 of 2 projects did not pass" in run.stderr
    page = report.read_text()
    assert page.startswith("<!doctype html>")
    assert "the home page lists the site&#x27;s users" in page
    assert '<tr class="passed"><td>ada</td>' in page and '<tr class="failed"><td>grace</td>' in page
    assert "1 of 2 projects passed week 1" in page
    assert {p: p.read_bytes() for p in grace.rglob("*") if p.is_file()} == before


def test_a_class_file_with_comments_and_projects_that_cannot_be_checked(tmp_path):
    (tmp_path / "class" / "notes").mkdir(parents=True)
    (tmp_path / "class" / "notes" / "todo.txt").write_text("x")
    listing = tmp_path / "class" / "students.txt"
    listing.write_text(
        "# autumn class\n\nnotes        # not a project\n"
        f"{tmp_path / 'class' / 'gone'}\n   # indented comment\n"
    )
    report = tmp_path / "class.csv"

    run = retro_class(tmp_path, "1", "--class-file", str(listing), "--report", str(report))

    assert run.returncode == ExitCode.CHECK_FAILED, run.stdout + run.stderr
    assert "could not check" in run.stdout and "0 of 2 projects passed" in run.stdout
    rows = list(csv.DictReader(report.open()))
    assert [row["student"] for row in rows] == ["notes", "gone"]
    assert rows[0]["result"] == "could not check"
    assert "no manage.py" in rows[0]["first check not passed"]
    assert "is not a folder" in rows[1]["first check not passed"]
    assert rows[0]["project"] == str(tmp_path / "class" / "notes")


def test_a_project_cut_short_by_the_time_limit_says_so(tmp_path, student_python):
    slow = copy_checkpoint(1, tmp_path / "slow")
    manage = slow / "manage.py"
    manage.write_text("import time\ntime.sleep(120)\n" + manage.read_text())
    run = retro_class(
        tmp_path, "1", str(slow), "--python", student_python, "--timeout", "10", "--json"
    )
    assert run.returncode == ExitCode.CHECK_FAILED, run.stderr
    (row,) = json.loads(run.stdout)["students"]
    assert row["status"] == "failed" and row["timed_out"] is True
    assert row["hint"].startswith("the time limit (10 s) ran out")
    assert "--timeout" in run.stderr and "slow" in run.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["1"], "no projects to check"),
        (["1", "--class-file", "/nonexistent/students.txt"], "cannot read the class file"),
        (["1", ".", "--report", "class.pdf"], "cannot write a report as class.pdf"),
        (["1", ".", "--report", "/nonexistent/folder/class.html"], "does not exist"),
        (["1", ".", "--jobs", "0"], "--jobs"),
    ],
)
def test_bad_usage_is_one_line_and_status_2(tmp_path, args, message):
    run = retro_class(tmp_path, *args, timeout=120)
    assert run.returncode == ExitCode.USAGE, run.stderr
    assert message in run.stderr


def test_an_unknown_week(tmp_path):
    run = retro_class(tmp_path, "9", ".", timeout=120)
    assert run.returncode == ExitCode.NOT_FOUND and "unknown week '9'" in run.stderr
