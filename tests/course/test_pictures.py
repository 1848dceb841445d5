"""
The lessons' pictures cannot drift from the checkpoints: week 1's page is taken again from
its checkpoint and compared with the committed picture by pixels, with a tolerance that lets
font antialiasing through and catches a page that changed. `make pictures
PICTURES_ARGS=--check` does the same for every week and the terminal's pictures too.
"""

from __future__ import annotations

import re
import shutil

import pytest
from PIL import Image, ImageDraw

from cli.course import model
from course import pictures
from tests.conftest import CHROMIUM, require
from tests.live import ROOT

COURSE = model.load(ROOT)
# One week is enough to catch drift in the tooling; week 1 is the quickest to start.
WEEKS = [1]


@pytest.mark.browser
@pytest.mark.parametrize("week", WEEKS, ids=lambda n: f"week-{n}")
def test_the_pages_of_the_checkpoint_look_like_the_lessons_pictures(week, tmp_path):
    require("browser", shutil.which(CHROMIUM) is not None, f"no Chromium at {CHROMIUM}")
    taken = pictures.take([week], tmp_path, browser_only=True, say=lambda line: None)
    assert [path.name for path in taken] == [
        p.name for p in pictures.pictures_of(week, browser_only=True)
    ]
    problems = [
        problem
        for picture in pictures.pictures_of(week, browser_only=True)
        if (
            problem := pictures.compare(
                picture, pictures.PICTURES_DIR / picture.name, tmp_path / picture.name
            )
        )
    ]
    assert problems == [], "\n".join(problems)


class TestCompare:
    """The comparison itself, on pictures made here: what it lets through, what it reports."""

    @pytest.fixture
    def committed(self, tmp_path):
        image = Image.new("RGB", (200, 100), (250, 246, 240))
        ImageDraw.Draw(image).text((10, 40), "ada grace linus", fill=(30, 30, 40))
        path = tmp_path / "committed.png"
        image.save(path)
        return path

    def test_antialiasing_is_let_through(self, committed, tmp_path):
        image = Image.open(committed)
        pixels = image.load()
        for x in range(0, 200, 3):  # every third pixel a little lighter, as a font's edges
            for y in range(100):
                r, g, b = pixels[x, y]
                pixels[x, y] = (min(r + 20, 255), min(g + 20, 255), min(b + 20, 255))
        image.save(tmp_path / "taken.png")
        assert pictures.changed_fraction(committed, tmp_path / "taken.png") == 0
        picture = pictures.Picture(1, "week-1-home.png", "")
        assert pictures.compare(picture, committed, tmp_path / "taken.png") is None

    def test_a_changed_page_is_reported_with_its_week_file_and_fraction(self, committed, tmp_path):
        image = Image.open(committed)
        ImageDraw.Draw(image).rectangle((0, 0, 19, 9), fill=(200, 40, 20))  # 200 of 20,000 px
        image.save(tmp_path / "taken.png")
        assert pictures.changed_fraction(committed, tmp_path / "taken.png") == pytest.approx(0.01)
        problem = pictures.compare(
            pictures.Picture(4, "week-4-live-feed.png", ""), committed, tmp_path / "taken.png"
        )
        assert problem and problem.startswith("week 4, week-4-live-feed.png: 1.00% of its pixels")

    def test_another_size_is_a_change(self, committed, tmp_path):
        Image.new("RGB", (200, 120), (250, 246, 240)).save(tmp_path / "taken.png")
        assert pictures.changed_fraction(committed, tmp_path / "taken.png") == 1.0

    def test_terminal_pictures_differ_by_their_text_not_the_clock(self, tmp_path):
        old, new = tmp_path / "old.svg", tmp_path / "new.svg"
        old.write_text("<text>#4 2026-11-26&#160;17:25:16 grace: hi</text>")
        new.write_text("<text>#4 2026-12-01&#160;08:00:01 grace: hi</text>")
        picture = pictures.Picture(6, "week-6-tail.svg", "")
        assert pictures.compare(picture, old, new) is None
        new.write_text("<text>#4 2026-12-01&#160;08:00:01 grace: hello</text>")
        assert "week 6, week-6-tail.svg: the terminal output changed" in pictures.compare(
            picture, old, new
        )


def test_every_picture_is_in_the_lessons_with_words_that_say_what_it_shows():
    for picture in pictures.PICTURES:
        assert (pictures.PICTURES_DIR / picture.name).is_file(), f"{picture.name}: make pictures"
        lesson = COURSE.lesson_path(COURSE.week(picture.week)).read_text(encoding="utf-8")
        found = re.search(rf"!\[([^\]]+)\]\(pictures/{re.escape(picture.name)}\)", lesson)
        assert found, f"week {picture.week}'s lesson does not show {picture.name}"
        assert len(found.group(1).split()) >= 5, f"{picture.name}: say what matters in it"
    on_disk = {path.name for path in pictures.PICTURES_DIR.iterdir()}
    assert on_disk == {picture.name for picture in pictures.PICTURES}, "pictures nobody shows"
