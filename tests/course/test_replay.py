"""
The lessons and the checkpoints cannot drift apart: replaying week N's listings and commands
onto checkpoint N-1 gives checkpoint N, file for file, and every file that changes between the
two is written by the lesson. (The final week replays onto the site at the top of the repo.)
"""

from __future__ import annotations

import pytest

from cli.course import model
from cli.course.compare import compare_trees, read, unified
from cli.course.replay import output_matches
from tests.live import ROOT

WEEKS = [week.number for week in model.load(ROOT).weeks]


@pytest.fixture(params=WEEKS, ids=lambda n: f"week-{n}")
def week(request, course):
    return course.week(request.param)


def replayed_files(course, result):
    return {rel: result.folder / rel for rel in course.project.files(result.folder)}


def test_the_listings_apply_cleanly(week, replays):
    assert replays[week.number].errors == []


def test_replaying_the_lesson_gives_the_checkpoint_file_for_file(week, course, replays):
    result = replays[week.number]
    expected = course.checkpoint_files(week)
    got = replayed_files(course, result)
    differences = compare_trees(got, expected)
    report = "\n".join(
        unified(read(got[rel]), read(expected[rel]), f"replayed/{rel}", f"checkpoint/{rel}")
        if change == "changed"
        else f"{rel}: {'only in the checkpoint' if change == 'added' else 'only in the replay'}"
        for rel, change in differences
    )
    assert not differences, f"lessons/week-{week.number}.md drifted from its checkpoint:\n{report}"


def test_every_file_that_changes_is_written_by_the_lesson(week, course, replays):
    previous = course.previous(week)
    before = course.checkpoint_files(previous) if previous else {}
    changed = [rel for rel, _ in compare_trees(before, course.checkpoint_files(week))]
    assert changed, "a week that changes nothing"
    uncovered = [rel for rel in changed if rel not in replays[week.number].covered]
    assert uncovered == [], f"changed by week {week.number} but shown in no listing or command"


def test_each_listing_changes_its_file(week, course, replays, lessons_by_week):
    """No listing repeats a file unchanged from the previous checkpoint (a stale copy)."""
    previous = course.previous(week)
    before = course.checkpoint_files(previous) if previous else {}
    after = course.checkpoint_files(week)
    changed = {rel for rel, _ in compare_trees(before, after)}
    listed = {block.path for block in lessons_by_week[week.number].listings}
    assert listed - changed == set()


def test_the_commands_the_lesson_runs_succeed_and_print_what_it_shows(week, replays):
    failures = []
    for run in replays[week.number].runs:
        if not run.ran:
            continue
        if run.returncode != 0:
            failures.append(f"$ {run.command.text} → exit {run.returncode}\n{run.output}")
        elif run.matches is False:
            failures.append(
                f"$ {run.command.text} (line {run.command.line}) printed:\n{run.output}\n"
                f"but the lesson shows:\n{run.command.output}"
            )
    assert failures == [], "\n\n".join(failures)


def test_the_offline_commands_are_really_run(week, replays):
    """At least check, and migrate or makemigrations --check, run against the replay."""
    ran = [run.command.text for run in replays[week.number].runs if run.ran]
    assert any("manage.py check" in text for text in ran)
    assert any("manage.py migrate" in text or "makemigrations --check" in text for text in ran)
    shown = [run for run in replays[week.number].runs if run.ran and run.command.output.strip()]
    assert shown and all(run.matches for run in shown)


def test_the_shell_sessions_print_what_the_lesson_shows(week, replays, lessons_by_week):
    sessions = replays[week.number].sessions
    expected = [b for b in lessons_by_week[week.number].blocks if b.kind == "pycon" and b.step]
    assert len(sessions) == len(expected)
    for session in sessions:
        assert session.error == "", session.error
        assert session.failures == [], session.failures


def test_output_matching_allows_ellipses_and_spacing():
    assert output_matches("Applying x... OK\n...\ndone", "Applying x... OK\na\nb\ndone")
    assert output_matches("a   b", "a b\n")
    assert not output_matches("No changes detected", "Migrations for 'posts':")
