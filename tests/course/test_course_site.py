"""
The course site (`make course`): every week a page, every step an anchor, the pictures in
the checkpoint boxes, copy buttons that copy commands only, nothing from the network, a strict
build that fails on a missing picture; and `retro lesson open` / `retro lesson show` around it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from cli.course import lesson as lessons
from cli.course import model
from course import pictures
from course import site as course_site
from tests.cli.helpers import Retro
from tests.live import ROOT

COURSE = model.load(ROOT)
NO_DISPLAY = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}
DATA_COPY = re.compile(r'<div class="commands" data-copy="([^"]*)">')


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course-site")
    index = course_site.build(folder / "site", folder / "src")
    assert index == folder / "site" / "index.html"
    return folder / "site"


def page(built: Path, name: str) -> str:
    return (built / name).read_text(encoding="utf-8")


@pytest.fixture
def retro(tmp_path) -> Retro:
    folder = tmp_path / "config"
    folder.mkdir()
    return Retro(folder, None)


def test_every_week_has_a_page_with_an_anchor_per_step_and_its_branch(built):
    index = page(built, "index.html")
    for week in COURSE.weeks:
        assert f'href="week-{week.number}.html"' in index
        text = page(built, f"week-{week.number}.html")
        assert week.title in text
        steps = lessons.parse(COURSE.lesson_path(week)).steps
        for step in steps:
            assert f'id="step-{step.number}"' in text, (week.number, step.number)
            # … and listed in the navigation under the week.
            assert f'href="#step-{step.number}"' in text, (week.number, step.number)
        assert '<div class="admonition branch">' in text
        assert f"<code>{week.branch}</code>" in text


def test_the_checkpoint_box_is_an_admonition_with_its_pictures(built):
    for week in COURSE.weeks:
        text = page(built, f"week-{week.number}.html")
        box = text.split('<div class="admonition checkpoint">', 1)
        assert len(box) == 2, f"week {week.number}: no checkpoint box"
        box = box[1].split("</div>", 1)[0]
        assert f"Checkpoint — week {week.number}" in box
        assert f"<code>retro check {week.number}</code>" in box
        for picture in pictures.pictures_of(week.number):
            found = re.search(rf'<img alt="([^"]+)" src="pictures/{re.escape(picture.name)}"', box)
            assert found, f"week {week.number}: {picture.name} is not in the checkpoint box"
            assert len(found.group(1)) > 20, f"{picture.name}: its alt text says too little"


def test_every_picture_a_page_shows_is_in_the_build(built):
    shown = 0
    for path in built.glob("*.html"):
        for source in re.findall(r'<img [^>]*src="([^"]+)"', path.read_text(encoding="utf-8")):
            assert not source.startswith(("http:", "https:", "//")), (path.name, source)
            assert (built / source).is_file(), (path.name, source)
            shown += 1
    assert shown >= len(pictures.PICTURES)


def test_copy_buttons_copy_commands_without_prompts_or_output(built):
    """Material's copy button copies the data-copy of the block around it (see
    course/site.py); it holds each block's commands and nothing they print."""
    text = page(built, "week-1.html")
    copies = [html.unescape(value) for value in DATA_COPY.findall(text)]
    assert "python -m pip install -r requirements.txt\npython -m django --version" in copies
    for week in COURSE.weeks:
        text = page(built, f"week-{week.number}.html")
        copies = [html.unescape(value) for value in DATA_COPY.findall(text)]
        blocks = [b for b in lessons.parse(COURSE.lesson_path(week)).blocks if b.kind == "console"]
        assert len(copies) >= len(blocks) > 0
        copied = {line for value in copies for line in value.split("\n")}
        assert not any(line.startswith(("$ ", ">>> ")) for line in copied), week.number
        typed = {
            line
            for block in blocks
            for line in course_site.copy_text("console", block.body).split("\n")
        }
        printed = {
            line
            for block in blocks
            for command in block.commands()
            for line in command.output.split("\n")
            if line.strip()
        }
        assert printed - typed, f"week {week.number} shows no output to leave out"
        assert not (printed - typed) & copied, week.number


def test_the_site_loads_nothing_from_the_network(built):
    for path in built.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', text), path.name
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
    for svg in (built / "pictures").glob("*.svg"):
        assert "url(http" not in svg.read_text(encoding="utf-8"), svg.name


def test_a_missing_picture_fails_the_strict_build(tmp_path):
    import yaml

    source = tmp_path / "src"
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "index.md").write_text("# A page\n\n![Nothing](pictures/not-taken.png)\n")
    config = {**course_site.config(COURSE), "nav": ["index.md"], "extra_css": [], "extra": {}}
    (source / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(course_site.BuildError, match="not-taken.png"):
        course_site.run_mkdocs(source, tmp_path / "site")


class TestLessonOpen:
    def test_without_a_display_it_prints_the_page_at_the_step(self, built, retro):
        run = retro(
            "lesson", "open", "4", "--step", "2", RETRO_COURSE_SITE=str(built), **NO_DISPLAY
        )
        assert run.returncode == 0, str(run)
        assert (built / "week-4.html").resolve().as_uri() + "#step-2" in run.stdout
        assert "No browser" in run.stderr

    def test_print_gives_the_address_only(self, built, retro):
        run = retro("lesson", "open", "final", "--print", RETRO_COURSE_SITE=str(built))
        assert run.returncode == 0, str(run)
        assert run.stdout.strip() == (built / "week-8.html").resolve().as_uri()

    def test_an_unknown_week_or_step_is_an_error(self, built, retro):
        run = retro("lesson", "open", "9", RETRO_COURSE_SITE=str(built))
        assert run.returncode == 6 and "unknown week" in run.stderr
        run = retro("lesson", "open", "1", "--step", "99", RETRO_COURSE_SITE=str(built))
        assert run.returncode == 6 and "no step 99" in run.stderr

    def test_a_site_not_built_says_make_course(self, tmp_path, retro):
        run = retro("lesson", "open", "1", RETRO_COURSE_SITE=str(tmp_path / "nothing"))
        assert run.returncode == 6, str(run)
        assert "make course" in run.stderr


def test_lesson_show_names_each_picture(retro):
    run = retro.ok("lesson", "show", "4", "--no-pager")
    shown = " ".join(run.stdout.split())
    assert "[picture: week-4-live-feed.png — " in shown
    assert "](pictures/" not in shown
