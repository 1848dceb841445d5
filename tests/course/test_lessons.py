"""
The lessons keep their format: numbered steps, each with a why; listings that name a file of
the project; a checkpoint box that says which `retro check` to run; an "If it broke" section
with the errors students really hit; and the versions they install are the pinned ones.
"""

from __future__ import annotations

import re

import pytest

from cli.course import lesson as lessons
from cli.course import model
from cli.course.lesson import parse_text
from cli.course.patch import PatchError, apply
from cli.course.render import listing_titles
from tests.live import ROOT

COURSE = model.load(ROOT)
WEEKS = [week.number for week in COURSE.weeks]


@pytest.fixture(params=WEEKS, ids=lambda n: f"week-{n}")
def lesson(request) -> lessons.Lesson:
    return lessons.parse(COURSE.lesson_path(COURSE.week(request.param)))


def test_the_course_has_eight_weeks_ending_at_the_site_at_the_top():
    assert WEEKS == [1, 2, 3, 4, 5, 6, 7, 8]
    assert COURSE.checkpoint_dir(COURSE.weeks[-1]) == ROOT.resolve()
    assert [week.branch for week in COURSE.weeks] == [
        "week-1",
        "week-2",
        "week-3",
        "week-4",
        "week-5",
        "week-6",
        "week-7",
        "final",
    ]


def test_the_project_is_the_site_and_not_the_toolkit():
    rule = COURSE.project
    for rel in (
        "manage.py",
        "Procfile",
        ".python-version",
        "requirements.txt",
        "requirements-local.txt",
        "frontend/index.html",
        "frontend/app.js",
        "posts/models.py",
        "messaging/models.py",
        "api/views.py",
        "static/js/feed.js",
        "templates/base.html",
        "retrosocial/settings.py",
    ):
        assert rule.included(rel), rel
    for rel in (
        "cli/main.py",
        "lessons/week-1.md",
        "checkpoints/week-1/manage.py",
        "tests/conftest.py",
        "bench/run.py",
        "Makefile",
        "README.md",
        "pyproject.toml",
        "requirements-dev.txt",
        "posts/__pycache__/x.pyc",
        "db.sqlite3",
        "staticfiles/css/site.css",
        ".env",
    ):
        assert not rule.included(rel), rel


def test_steps_are_numbered_in_order_and_each_says_why(lesson):
    assert [step.number for step in lesson.steps] == list(range(1, len(lesson.steps) + 1))
    assert len(lesson.steps) >= 8
    for step in lesson.steps:
        assert "**Why:**" in step.markdown, f"step {step.number} has no why"


def test_every_listing_names_a_file_of_the_project(lesson):
    assert len(lesson.listings) >= 3
    for block in lesson.listings:
        assert block.step is not None, f"line {block.line}: a listing outside the steps"
        assert COURSE.project.included(block.path), f"line {block.line}: {block.path}"


def test_the_checkpoint_box_names_the_weeks_check(lesson):
    number = int(re.search(r"week-(\d)", lesson.path.name).group(1))
    assert f"> **Checkpoint — week {number}.** Run `retro check {number}`" in lesson.markdown


def test_if_it_broke_comes_last_and_lists_several_errors(lesson):
    section = lesson.markdown.split("\n## If it broke\n")
    assert len(section) == 2, "no “If it broke” section"
    assert "\n## " not in section[1]
    assert section[1].count("\n- **") >= 4


def test_the_errors_students_really_hit_are_covered():
    text = {n: COURSE.lesson_path(COURSE.week(n)).read_text() for n in WEEKS}
    assert "TemplateDoesNotExist" in text[1]
    assert "makemigrations --check" in text[2] and "no such table" in text[2]
    assert "404" in text[4] and '"daphne"' in text[4]
    assert "ws://" in text[4] and "Mixed Content" in text[4]


def test_week_3_says_what_heroku_costs_and_shows_the_free_path():
    text = COURSE.lesson_path(COURSE.week(3)).read_text()
    assert "no free plans" in text and "28 November 2022" in text
    assert "retro deploy local" in text and "honcho start" in text
    assert "daphne retrosocial.asgi:application" in text


def test_what_the_lessons_install_is_what_the_checkpoints_pin(lesson):
    """In the steps, `pip install` is always of requirements.txt, or of requirements-local.txt
    (which includes it with `-r`; the replay checks both files' pins against the checkpoint),
    and each week's checkpoint pins Django 5.2."""
    number = int(re.search(r"week-(\d)", lesson.path.name).group(1))
    for block in lesson.blocks:
        if block.kind != "console" or block.step is None:
            continue
        for command in block.commands():
            # Tools beside the site (a websocket client, a debugging SMTP server) are not pinned
            # in requirements.txt: Heroku would install them for nothing.
            tools = ("websocket-client", "aiosmtpd")
            if "pip install" in command.text and not any(tool in command.text for tool in tools):
                assert any(f"-r {name}" in command.text for name in requirements_files(number)), (
                    command.text
                )
    pinned = (COURSE.checkpoint_dir(COURSE.week(number)) / "requirements.txt").read_text()
    assert "Django==5.2." in pinned


def requirements_files(number: int) -> list[str]:
    """requirements.txt, and requirements-local.txt where week `number`'s checkpoint has one
    that installs requirements.txt itself (its `-r requirements.txt` line)."""
    names = ["requirements.txt"]
    local = COURSE.checkpoint_dir(COURSE.week(number)) / "requirements-local.txt"
    if local.is_file() and "-r requirements.txt" in local.read_text().splitlines():
        names.append("requirements-local.txt")
    return names


def test_listing_titles_are_shown_in_the_terminal():
    shown = listing_titles('```python title="posts/models.py"\nx = 1\n```\n')
    assert "**`posts/models.py`**" in shown and "```python\n" in shown


class TestDiffListings:
    def test_a_hunk_is_placed_by_its_context(self):
        text = "a\nb\nc\nd\n"
        assert apply(text, "@@\n b\n-c\n+C\n d\n") == "a\nb\nC\nd\n"

    def test_a_hunk_that_matches_twice_is_refused(self):
        with pytest.raises(PatchError, match="matches 2 places"):
            apply("x\ny\nx\ny\n", "@@\n x\n+z\n y\n")

    def test_a_hunk_that_does_not_match_is_refused(self):
        with pytest.raises(PatchError, match="does not match"):
            apply("a\nb\n", "@@\n q\n+z\n")

    def test_a_hunk_without_context_is_refused(self):
        with pytest.raises(PatchError, match="no context"):
            apply("a\n", "@@\n+z\n")


def test_console_blocks_split_commands_and_their_output():
    lesson = parse_text(
        "## 1. A step\n\n```console\n$ python manage.py check\nSystem check identified no "
        "issues (0 silenced).\n$ export DEBUG=1\n```\n",
        ROOT / "lessons" / "example.md",
    )
    commands = lesson.blocks[0].commands()
    assert [c.text for c in commands] == ["python manage.py check", "export DEBUG=1"]
    assert commands[0].output.startswith("System check identified")


# A week asks a beginner to type about 600 lines at most; what is over that is given to read.
MOST_LINES_TO_TYPE = 650
# A listing longer than this says, in a list beside it, what each part does.
LONG_LISTING = 40


def test_no_week_asks_for_more_than_about_600_typed_lines(lesson):
    assert 0 < lesson.typed_lines <= MOST_LINES_TO_TYPE, lesson.typed_lines


def test_a_file_the_lesson_gives_is_fetched_in_its_step(lesson):
    """`retro lesson get N FILE` comes before the listing it writes, in the same step."""
    number = int(re.search(r"week-(\d)", lesson.path.name).group(1))
    fetched: dict[str, int] = {}
    for block in lesson.blocks:
        if block.kind == "console":
            for command in block.commands():
                words = command.text.split()
                if words[:3] == ["retro", "lesson", "get"]:
                    assert words[3] == str(number), command.text
                    step = words[words.index("--step") + 1] if "--step" in words else None
                    assert step in (None, str(block.step)), command.text
                    for rel in words[4:]:
                        if not rel.startswith("-") and rel != step:
                            fetched[rel] = block.step
        if block.given:
            assert fetched.get(block.path) == block.step, (
                f"line {block.line}: {block.path} is given but no `retro lesson get {number} "
                f"{block.path}` comes before it in step {block.step}"
            )


def long_listings_without_a_tour(lesson) -> list[str]:
    """Listings over LONG_LISTING lines (a diff counts its added lines) that have no list beside
    them of at least two items, each naming in `code` something the listing holds."""
    lines = lesson.markdown.split("\n")
    blocks = lesson.blocks

    def end(block) -> int:  # the index of the closing fence
        return block.line - 1 + len(block.body.rstrip("\n").split("\n")) + 1

    missing = []
    for index, block in enumerate(blocks):
        if block.kind not in {"listing", "diff"} or block.step is None:
            continue
        size = block.typed_lines or len(block.body.rstrip("\n").split("\n"))
        if size <= LONG_LISTING:
            continue
        before_start = end(blocks[index - 1]) + 1 if index else 0
        after_end = blocks[index + 1].line - 1 if index + 1 < len(blocks) else len(lines)
        prose = lines[before_start : block.line - 1] + lines[end(block) + 1 : after_end]
        items = [
            line
            for line in prose
            if line.startswith("- ")
            and any(
                name.split("(")[0].split(".")[-1].strip() in block.body
                for name in re.findall(r"`([^`]+)`", line)
            )
        ]
        if len(items) < 2:
            missing.append(f"line {block.line}: {block.path} ({size} lines)")
    return missing


def test_every_long_listing_says_what_each_part_does(lesson):
    assert long_listings_without_a_tour(lesson) == []


def test_the_site_installs_none_of_the_command_lines_packages():
    """Heroku installs requirements.txt: the retro command line's own packages, which the site
    never imports, stay out of it in every checkpoint (they are in requirements-dev.txt)."""
    cli_only = {"typer", "rich", "httpx", "websocket-client", "platformdirs"}
    dev = (ROOT / "requirements-dev.txt").read_text()
    assert all(f"{name}==" in dev for name in cli_only)
    for week in COURSE.weeks:
        pinned = (COURSE.checkpoint_dir(week) / "requirements.txt").read_text().lower()
        names = {line.split("==")[0].split("[")[0].strip() for line in pinned.splitlines()}
        assert names & cli_only == set(), f"week {week.number}: {names & cli_only}"
