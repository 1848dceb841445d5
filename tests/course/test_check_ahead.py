"""
`retro check` starts the slow steps that depend only on the project ahead, in the background,
and each check that needs one takes its result instead of running it again. The keys must match
exactly (the same command, the same environment): a step started ahead and never taken would be
work done twice.
"""

from __future__ import annotations

import time

from cli import checks
from cli.checks.session import Session
from cli.course import model
from tests.live import ROOT

COURSE = model.load(ROOT)


def test_every_step_started_ahead_is_taken_by_a_check(student_python, services):
    week = COURSE.week(3)
    folder = COURSE.checkpoint_dir(week)
    session = Session(folder, student_python, time.monotonic() + 240, services)
    results = checks.run(folder, [1, 2, 3], student_python, session=session)
    assert [r.check.id for r in results if not r.passed] == []
    assert session.untaken == []
