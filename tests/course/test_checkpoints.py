"""
Every checkpoint runs (check, migrate on an empty database, a server) and passes its week's
checks; the checks of week N fail on checkpoint N-1, so each tests something the week adds.
"""

from __future__ import annotations

import subprocess

import pytest

from cli import checks
from cli.course import model
from tests.live import ROOT

COURSE = model.load(ROOT)
WEEKS = [week.number for week in COURSE.weeks]


def describe(results) -> str:
    return "\n".join(
        f"{r.status:7} {r.check.id}: expected {r.expected!r}, seen {r.seen!r}"
        for r in results
        if not r.passed
    )


@pytest.mark.parametrize("number", WEEKS, ids=lambda n: f"week-{n}")
def test_the_checkpoint_passes_its_weeks_checks(number, checkpoint_results):
    results = [r for r in checkpoint_results[number].values() if r.check.week == number]
    assert results
    assert all(r.passed for r in results), describe(results)


def test_the_final_site_passes_every_weeks_checks(checkpoint_results):
    """The site at the top of the repository is what a student has after the last week: it
    passes the checks of every week, as `retro check 8` runs them."""
    results = list(checkpoint_results[WEEKS[-1]].values())
    assert {r.check.week for r in results} == set(WEEKS)
    assert all(r.passed for r in results), describe(results)


# What a check says when the session gave up on it, not when the project lacked something.
SESSION_ENDED = ("the time limit for the checks ran out", "the checks were stopped")


@pytest.mark.parametrize("number", WEEKS[1:], ids=lambda n: f"week-{n}")
def test_the_weeks_checks_fail_on_the_previous_checkpoint(number, checkpoint_results):
    """In one session on checkpoint N-1, its own week's checks pass (it migrated, its servers
    started and answered) and one of week N's checks ran and found what week N adds missing:
    a failure, not only checks blocked behind one, nor the session running out of time."""
    previous = WEEKS[WEEKS.index(number) - 1]
    session = checkpoint_results[previous].values()
    own = [r for r in session if r.check.week == previous]
    assert own and all(r.passed for r in own), describe(own)
    results = [r for r in session if r.check.week == number]
    assert results
    found = [r for r in results if r.status == "fail" and not r.seen.startswith(SESSION_ENDED)]
    assert found, describe(results)


@pytest.mark.parametrize("number", WEEKS, ids=lambda n: f"week-{n}")
def test_every_week_has_checks_of_its_own(number):
    assert len(checks.checks_for([number])) >= 4


def test_the_checks_name_lesson_steps_that_exist(lessons_by_week):
    for check in checks.load():
        week, words = check.step
        assert week <= check.week, check.id
        lessons_by_week[week].find_step(words)  # raises unless exactly one step matches


def test_the_checks_run_only_after_what_they_need(course):
    seen = set()
    for check in checks.load():
        assert set(check.needs) <= seen, check.id
        seen.add(check.id)


@pytest.mark.parametrize("number", WEEKS, ids=lambda n: f"week-{n}")
def test_a_checkpoint_is_lean(number, course):
    """Only the project's files and its README: no database, caches or collected static. The
    site at the top shares its folder with the toolkit: there, the project's own paths alone
    are looked at, and the repository's README is not a checkpoint's."""
    folder = course.checkpoint_dir(course.week(number))
    at_the_top = folder == ROOT
    paths = list(course.project.include) if at_the_top else ["."]
    tracked = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "the checkpoint is not committed"
    stray = [
        rel
        for rel in tracked
        if not course.project.included(rel) and rel not in course.project.checkpoint_only
    ]
    assert stray == []
    if not at_the_top:
        readme = (folder / "README.md").read_text()
        assert f"END of week {number}" in readme


def test_the_checks_use_a_real_postgresql_and_redis_when_given(
    checkpoint_results, postgres_url, redis_url
):
    """With PostgreSQL and Redis (--postgres, --redis), week 3 migrates a PostgreSQL database
    of its own, and drops it, and week 4 sends a post between two server processes through
    Redis. (The checkpoints are checked with them whenever this machine has them.)"""
    import psycopg

    results = checkpoint_results[WEEKS[-1]]  # the final site, checked for every week
    note = results["w3.database-url"].notes[0]
    assert note.startswith("migrated a fresh PostgreSQL database retro_check_")
    assert "through Redis" in results["w4.redis"].notes[0]
    name = note.split()[5]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        rows = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        assert rows.fetchall() == []
