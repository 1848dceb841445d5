"""
The course's pictures, taken from the checkpoints themselves.

For each week this copies that week's checkpoint to a temporary folder, migrates a fresh SQLite
database (DEBUG=1, the in-memory channel layer), seeds the same people, posts and messages
through the project's own models and services (`manage.py shell -c`), serves it with
`manage.py runserver` on a free port, and takes the week's pages with Debian's Chromium
(Playwright). Where the week uses the terminal it runs the real `retro` commands (against the
real server, or `retro check N` against the checkpoint) and renders what they print to SVG
with rich's own export. The pictures go to lessons/pictures/week-N-*.png|svg.

Same viewport, same data, animations finished: running it again gives the same pictures, so
`--check` (and tests/course/test_pictures.py) can tell when a checkpoint's page changed and
its picture was not taken again. PNGs are compared by pixels with a tolerance for font
antialiasing; SVGs by their text, with the clock times `retro tail` prints left out.

    python course/pictures.py                  # every week, into lessons/pictures/
    python course/pictures.py --week 4         # one week (repeat --week for more)
    python course/pictures.py --check          # take them into a temporary folder and compare
    python course/pictures.py --browser-only   # pages only, not the terminal
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cli.checks.session import SCRUBBED_ENV as CHECK_SCRUBBED_ENV  # noqa: E402
from cli.course import model  # noqa: E402  (after the path above, when run as a script)
from cli.net import NotAnswering, free_port, wait_until_answering  # noqa: E402

PICTURES_DIR = ROOT / "lessons" / "pictures"
CHROMIUM = os.environ.get("RETRO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1000, "height": 660}
# Each of the two windows of week 4, shown side by side in one picture.
HALF_VIEWPORT = {"width": 620, "height": 660}
TERMINAL_COLUMNS = 92
PASSWORD = "a-long-pass-phrase-42"
PEOPLE = ("ada", "grace", "linus")
# A pixel "differs" when a channel moves by more than this (antialiasing moves less) …
PIXEL_THRESHOLD = 48
# … and a picture has changed when more than this fraction of its pixels differ.
CHANGED_FRACTION = 0.005
# Variables that would point the copy at another database, Redis, settings or Python: those
# `retro check` scrubs, and retro's own.
SCRUBBED_ENV = CHECK_SCRUBBED_ENV | {
    "RETRO_SERVER",
    "RETRO_CHECK_POSTGRES_URL",
    "RETRO_CHECK_REDIS_URL",
}


@dataclass(frozen=True)
class Picture:
    week: int
    name: str  # the file name in lessons/pictures/
    shows: str  # what it shows, in a few words

    @property
    def browser(self) -> bool:
        return self.name.endswith(".png")


PICTURES: tuple[Picture, ...] = (
    Picture(1, "week-1-home.png", "the home page listing ada, grace and linus under People"),
    Picture(1, "week-1-check.svg", "retro check 1: every check of week 1 passed"),
    Picture(2, "week-2-post-form.png", "the home page logged in as ada: the post form, the feed"),
    Picture(2, "week-2-check.svg", "retro check 2: weeks 1 and 2 passed"),
    Picture(3, "week-3-signup.png", "the sign-up page: username, password, password again"),
    Picture(3, "week-3-check.svg", "retro check 3: weeks 1 to 3 passed"),
    Picture(4, "week-4-live-feed.png", "two windows side by side: ada's post arrives in both"),
    Picture(4, "week-4-check.svg", "retro check 4: weeks 1 to 4 passed"),
    Picture(5, "week-5-conversation.png", "ada's conversation with grace"),
    Picture(5, "week-5-inbox.png", "the inbox: linus's unread messages, the badge in the header"),
    Picture(5, "week-5-check.svg", "retro check 5: weeks 1 to 5 passed"),
    Picture(6, "week-6-api-docs.png", "/api/docs/: the API described, its operations listed"),
    Picture(6, "week-6-tail.svg", "retro tail printing the latest posts, then one as it arrives"),
    Picture(6, "week-6-check.svg", "retro check 6: weeks 1 to 6 passed"),
    Picture(7, "week-7-password-reset.png", "the page the reset mail's link opens, for ada"),
    Picture(7, "week-7-check.svg", "retro check 7: weeks 1 to 7 passed, next week 8"),
    Picture(8, "week-8-toolbar.png", "the debug toolbar's SQL panel on /people: two queries"),
    Picture(8, "week-8-frontend.png", "the static frontend beside the site: one post in both"),
    Picture(8, "week-8-check.svg", "retro check 8: every week passed"),
)


def pictures_of(week: int, *, browser_only: bool = False) -> list[Picture]:
    return [p for p in PICTURES if p.week == week and (p.browser or not browser_only)]


class PictureError(Exception):
    """A checkpoint could not be started or a page could not be taken: said in one line."""


# The data every week starts from, in the project's own terms. `{offsets}` are minutes before
# now, so the pages say "2 hours ago", "25 minutes ago", … whatever the day.
SEED_PEOPLE = f"""
from django.contrib.auth import get_user_model
User = get_user_model()
from django.contrib.auth.hashers import make_password
hashed = make_password({PASSWORD!r})  # once: hashing a password takes a while on purpose
people = {{name: User.objects.create_user(name) for name in {PEOPLE!r}}}
User.objects.update(password=hashed)
"""

SEED_POSTS = """
from datetime import timedelta
from django.utils import timezone
from posts.models import Post
try:
    from posts.services import post_create
except ImportError:  # before week 4 the page saves posts itself
    def post_create(*, author, text):
        return Post.objects.create(author=author, text=text)
for name, minutes, text in [
    ("linus", 125, "Release early, release often."),
    ("grace", 25, "The most dangerous phrase is: we've always done it this way."),
    ("ada", 4, "Hello, RetroSocial! My first post."),
]:
    post = post_create(author=people[name], text=text)
    Post.objects.filter(pk=post.pk).update(created=timezone.now() - timedelta(minutes=minutes))
"""

SEED_MESSAGES = """
from datetime import timedelta
from django.utils import timezone
from messaging.models import Message
from messaging.services import message_create
for sender, recipient, minutes, text in [
    ("grace", "ada", 50, "Lunch on Friday?"),
    ("ada", "grace", 48, "Yes! The usual place, at noon?"),
    ("grace", "ada", 45, "Perfect, see you there."),
    ("linus", "ada", 12, "Could you look at my patch?"),
    ("linus", "ada", 11, "It is only a few lines."),
]:
    message = message_create(sender=people[sender], recipient=people[recipient], text=text)
    moment = timezone.now() - timedelta(minutes=minutes)
    Message.objects.filter(pk=message.pk).update(created=moment)
"""

# Week 6's posts have fixed times: `retro tail` prints clock times, not "2 hours ago".
SEED_FIXED_POSTS = """
from datetime import datetime, timezone
from posts.models import Post
from posts.services import post_create
for name, minute, text in [
    ("linus", 5, "Release early, release often."),
    ("grace", 17, "The most dangerous phrase is: we've always done it this way."),
    ("ada", 42, "Hello, RetroSocial! My first post."),
]:
    post = post_create(author=people[name], text=text)
    moment = datetime(2026, 1, 12, 9, minute, tzinfo=timezone.utc)
    Post.objects.filter(pk=post.pk).update(created=moment)
"""

# Week 8's pages are taken a while after the seeding (a second server, two log-ins): its
# posts are 25 seconds younger than the minutes say, so "4 min ago" (rounded by the pages'
# scripts) still says 4 when the picture is taken up to 55 seconds later.
SEED_POSTS_LATER = SEED_POSTS.replace(
    "timedelta(minutes=minutes)", "timedelta(minutes=minutes, seconds=-25)"
)
assert SEED_POSTS_LATER != SEED_POSTS

# From week 7 every account has an email address: the password reset mails a link to it.
SEED_EMAILS = """
from users.services import user_set_email
for name, person in people.items():
    user_set_email(user=person, email=f"{name}@example.com")
"""

SEEDS = {
    1: SEED_PEOPLE,
    2: SEED_PEOPLE + SEED_POSTS,
    3: SEED_PEOPLE + SEED_POSTS,
    4: SEED_PEOPLE + SEED_POSTS,
    5: SEED_PEOPLE + SEED_POSTS + SEED_MESSAGES,
    6: SEED_PEOPLE + SEED_FIXED_POSTS,
    7: SEED_PEOPLE + SEED_POSTS + SEED_MESSAGES + SEED_EMAILS,
    8: SEED_PEOPLE + SEED_POSTS_LATER + SEED_MESSAGES + SEED_EMAILS,
}


def clean_env(**extra: str) -> dict[str, str]:
    # PYTEST_VERSION too: under pytest, week 8's settings leave the development tools out.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SCRUBBED_ENV and key != "PYTEST_VERSION"
    }
    env.update(PYTHONUNBUFFERED="1", TZ="UTC", **extra)
    return env


class Site:
    """A week's checkpoint, copied, migrated, seeded and served by runserver on a free port."""

    def __init__(self, course: model.Course, week: model.Week, folder: Path):
        self.week = week
        self.folder = folder / "project"
        for rel, source in course.checkpoint_files(week).items():
            target = self.folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = clean_env(
            DEBUG="1",
            API_THROTTLE_AUTH="100000/minute",
            API_THROTTLE_WRITE="100000/minute",
            LOGIN_FAILURE_LIMIT="100000/minute",
        )
        # From week 8 the project has a static frontend, served from an origin of its own (a
        # second port) that the site lets use its API.
        self.frontend: Path | None = self.folder / "frontend"
        if (self.frontend / "index.html").is_file():
            self.frontend_port = free_port()
            self.frontend_origin = f"http://127.0.0.1:{self.frontend_port}"
            self.env["CORS_ALLOWED_ORIGINS"] = self.frontend_origin
        else:
            self.frontend = None
        self.process: subprocess.Popen | None = None
        self.log = folder / "runserver.log"

    def manage(self, *args: str, timeout: float = 120) -> str:
        try:
            result = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=self.folder,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise PictureError(
                f"week {self.week.number}: manage.py {args[0]} took over {timeout:.0f} s"
            ) from None
        if result.returncode != 0:
            raise PictureError(
                f"week {self.week.number}: manage.py {args[0]} failed:\n"
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result.stdout

    def start(self) -> Site:
        self.manage("migrate", "--noinput")
        self.manage("shell", "-c", SEEDS[self.week.number])
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
                cwd=self.folder,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:  # any answer: runserver is up
            wait_until_answering(
                self.url, timeout=60, process=self.process, ready=lambda _: True, interval=0.2
            )
        except NotAnswering as error:
            if error.exit_status is not None:
                raise PictureError(
                    f"week {self.week.number}: runserver exited:\n{self.log.read_text()[-2000:]}"
                ) from None
            self.stop()
            raise PictureError(
                f"week {self.week.number}: runserver did not answer within 60 s"
            ) from None
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@contextmanager
def served(course: model.Course, week: model.Week) -> Iterator[Site]:
    with tempfile.TemporaryDirectory(prefix=f"retro-pictures-{week.number}-") as folder:
        site = Site(course, week, Path(folder))
        try:
            yield site.start()
        finally:
            site.stop()


@contextmanager
def chromium() -> Iterator:
    if not Path(CHROMIUM).exists():
        raise PictureError(
            f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium) "
            "or set RETRO_CHROMIUM"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, site: Site, viewport: dict | None = None):
    context = browser.new_context(
        viewport=viewport or VIEWPORT,
        device_scale_factor=1,
        locale="en-GB",
        timezone_id="UTC",
        reduced_motion="reduce",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    return page


def log_in(page, site: Site, username: str) -> None:
    page.goto(site.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    if "/login" in page.url:
        raise PictureError(f"week {site.week.number}: logging in as {username} failed")


def shoot(page, target: Path, *, close: bool = True, full_page: bool = False) -> None:
    # Caret and animations would make two runs differ: hide the one, finish the others.
    page.screenshot(path=str(target), animations="disabled", caret="hide", full_page=full_page)
    if close:
        page.context.close()


def unfocus(page) -> None:
    """No focus ring on the field typed in last: the picture is about the page."""
    page.evaluate("document.activeElement && document.activeElement.blur()")


def week_1(browser, site: Site, out: Path) -> None:
    page = new_page(browser, site)
    page.goto(site.url + "/")
    page.get_by_text("linus").wait_for()
    shoot(page, out / "week-1-home.png")


def week_2(browser, site: Site, out: Path) -> None:
    page = new_page(browser, site)
    log_in(page, site, "ada")
    page.goto(site.url + "/")
    page.fill("#id_text", "Posting from the form on the home page.")
    shoot(page, out / "week-2-post-form.png")


def week_3(browser, site: Site, out: Path) -> None:
    page = new_page(browser, site)
    page.goto(site.url + "/signup")
    page.locator("input[name=username]").wait_for()
    shoot(page, out / "week-3-signup.png", full_page=True)


LIVE_TEXT = "This one arrives live, in both windows."


def week_4(browser, site: Site, out: Path) -> None:
    windows = []
    for name in ("ada", "grace"):
        page = new_page(browser, site, HALF_VIEWPORT)
        log_in(page, site, name)
        # Connected means the page has asked for what it missed (its script's onOpen).
        with page.expect_response(lambda response: "after=" in response.url):
            page.goto(site.url + "/")
        windows.append(page)
    ada, grace = windows
    ada.fill("#id_text", LIVE_TEXT)
    ada.click("#post-form button[type=submit]")
    for page in windows:
        page.locator("#feed .post", has_text=LIVE_TEXT).wait_for()
        page.mouse.move(0, 0)
    names = []
    for index, page in enumerate(windows):
        target = out / f".week-4-window-{index}.png"
        shoot(page, target)
        names.append(target)
    side_by_side(names, out / "week-4-live-feed.png")


def week_5(browser, site: Site, out: Path) -> None:
    page = new_page(browser, site)
    log_in(page, site, "ada")
    page.goto(site.url + "/messages/grace")
    page.get_by_text("Perfect, see you there.").wait_for()
    shoot(page, out / "week-5-conversation.png", close=False)
    page.goto(site.url + "/messages")
    page.locator("#conversations .conversation.unread").wait_for()
    shoot(page, out / "week-5-inbox.png")


def week_6(browser, site: Site, out: Path) -> None:
    page = new_page(browser, site)
    page.goto(site.url + "/api/docs/")
    # The operations, listed by the server itself (Swagger UI loads on a click only).
    page.locator("#api-operations .operations li").first.wait_for()
    shoot(page, out / "week-6-api-docs.png")


# The mail's link, in what the worker prints (the console backend when EMAIL_HOST is unset).
RESET_LINK = re.compile(r"http://127\.0\.0\.1:\d+/reset/[^/\s]+/[^/\s]+/")


def week_7(browser, site: Site, out: Path) -> None:
    """The whole reset, as the lesson tries it: "Forgot your password?" on the log-in page,
    ada's address, the mail sent by the worker, and the page its link opens."""
    page = new_page(browser, site)
    page.goto(site.url + "/login")
    with page.expect_navigation():
        page.click("text=Forgot your password?")
    page.fill("input[name=email]", "ada@example.com")
    with page.expect_navigation():
        page.press("input[name=email]", "Enter")
    page.get_by_role("heading", name="Check your mail").wait_for()
    mail = site.manage("db_worker", "--batch", "--no-startup-delay", timeout=60)
    link = RESET_LINK.search(mail)
    if not link:
        raise PictureError(f"week 7: no reset link in the mail the worker sent:\n{mail[-1500:]}")
    page.goto(link.group(0))  # Django keeps the token and redirects to .../set-password/
    page.get_by_role("heading", name="Choose a new password").wait_for()
    page.fill("input[name=new_password1]", "a-new-long-pass-phrase-7")
    page.fill("input[name=new_password2]", "a-new-long-pass-phrase-7")
    unfocus(page)
    # The whole page, down to its "Change my password" button.
    shoot(page, out / "week-7-password-reset.png", full_page=True)


FRONTEND_TEXT = "Posted from the static frontend, on another origin."


@contextmanager
def frontend_served(site: Site) -> Iterator[str]:
    """The checkpoint's frontend/ served as plain files by Python's http.server on the port the
    site's CORS_ALLOWED_ORIGINS lists; yields its page pointed at the site with ?api=."""
    if site.frontend is None:
        raise PictureError(f"week {site.week.number}: the checkpoint has no frontend/index.html")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            str(site.frontend_port),
            "--directory",
            str(site.frontend),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        try:
            wait_until_answering(
                f"{site.frontend_origin}/index.html", timeout=30, process=process, interval=0.2
            )
        except NotAnswering:
            raise PictureError(
                f"week {site.week.number}: http.server did not serve frontend/"
            ) from None
        yield f"{site.frontend_origin}/?api={site.url}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def week_8(browser, site: Site, out: Path) -> None:
    from playwright.sync_api import expect

    # Two windows: ada in the static frontend (another origin, allowed by CORS), grace on the
    # site's own home page; ada posts from the frontend and the post arrives in both.
    with frontend_served(site) as frontend_url:
        ada = new_page(browser, site, HALF_VIEWPORT)
        ada.goto(frontend_url)
        ada.get_by_label("Username").fill("ada")
        ada.get_by_label("Password").fill(PASSWORD)
        ada.get_by_role("button", name="Log in").click()
        for ready in ("data-ready=yes", "data-feed=open"):
            ada.wait_for_selector(f"html[{ready}]", state="attached")
        grace = new_page(browser, site, HALF_VIEWPORT)
        log_in(grace, site, "grace")
        with grace.expect_response(lambda response: "after=" in response.url):
            grace.goto(site.url + "/")
        # The toolbar (DEBUG=1) shows on the site's pages too: hidden, it leaves its handle.
        grace.click("#djHideToolBarButton")
        grace.locator("#djDebugToolbarHandle").wait_for()
        # Dragged up beside the page's heading, where it covers nothing.
        handle = grace.locator("#djShowToolBarButton").bounding_box()
        x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
        grace.mouse.move(x, y)
        grace.mouse.down()
        grace.mouse.move(x, y - (handle["y"] - 112), steps=5)
        grace.mouse.up()
        ada.get_by_label("What's happening?").fill(FRONTEND_TEXT)
        ada.get_by_role("button", name="Post").click()
        ada.locator("#feed li.post", has_text=FRONTEND_TEXT).wait_for()
        # Sent: the frontend has its answer, emptied the box and enabled the button again.
        # (Locators, not wait_for_function: the frontend's CSP allows no eval.)
        expect(ada.locator("#post-text")).to_have_value("")
        expect(ada.locator("#post-form button[type=submit]")).to_be_enabled()
        grace.locator("#feed .post", has_text=FRONTEND_TEXT).wait_for()
        names = []
        for index, window in enumerate((ada, grace)):
            window.mouse.move(0, 0)
            unfocus(window)
            target = out / f".week-8-window-{index}.png"
            shoot(window, target)
            names.append(target)
        side_by_side(names, out / "week-8-frontend.png")

    # The debug toolbar (DEBUG=1, a visit from 127.0.0.1) on the people page, its SQL panel
    # open: the fixed page's two queries, the count and the people with their posts.
    page = new_page(browser, site)
    page.goto(site.url + "/people")
    page.locator("#djDebugToolbar").wait_for()
    page.click("#djdt-SQLPanel a.SQLPanel")
    page.locator("#SQLPanel .djDebugSql").first.wait_for()
    page.mouse.move(0, 0)
    shoot(page, out / "week-8-toolbar.png")


PAGES: dict[int, Callable] = {
    1: week_1,
    2: week_2,
    3: week_3,
    4: week_4,
    5: week_5,
    6: week_6,
    7: week_7,
    8: week_8,
}


def side_by_side(parts: list[Path], target: Path, gap: int = 16) -> None:
    """Two windows next to each other on a grey desk, as a student sees them."""
    from PIL import Image

    images = [Image.open(part).convert("RGB") for part in parts]
    width = sum(image.width for image in images) + gap * (len(images) + 1)
    height = max(image.height for image in images) + 2 * gap
    desk = Image.new("RGB", (width, height), (88, 94, 110))
    left = gap
    for image in images:
        desk.paste(image, (left, gap))
        left += image.width + gap
    desk.save(target, optimize=True)
    for part in parts:
        part.unlink()


# The terminal: real commands, their standard output rendered by rich.


def retro_env(config_dir: Path) -> dict[str, str]:
    return clean_env(
        RETRO_CONFIG_DIR=str(config_dir),
        FORCE_COLOR="1",
        COLUMNS=str(TERMINAL_COLUMNS),
        TERM="xterm-256color",
        NO_COLOR="",
    )


RETRO = [sys.executable, "-c", "from cli.main import main; main()"]


def retro(args: list[str], env: dict[str, str], *, timeout: float = 60, stdin: str = "") -> str:
    result = subprocess.run(
        [*RETRO, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise PictureError(
            f"retro {' '.join(args)} exited {result.returncode}:\n{result.stderr.strip()}"
        )
    return result.stdout


def save_terminal(target: Path, command: str, output: str) -> None:
    """`command` after a prompt and what it printed (ANSI colours kept), as rich's SVG."""
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    console = Console(
        record=True,
        width=TERMINAL_COLUMNS,
        file=StringIO(),
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
        emoji=False,
    )
    prompt = Text("$ ", style="bold green")
    prompt.append(command, style="bold")
    console.print(prompt)
    console.print(Text.from_ansi(output.rstrip("\n")))
    console.save_svg(str(target), title=command, unique_id=target.stem, code_format=svg_format())


def svg_format() -> str:
    """rich's SVG template without its web fonts: the pictures load nothing from the network
    (the reader's monospace font draws them, which rich's layout is measured for)."""
    from rich._export_format import CONSOLE_SVG_FORMAT

    fonts = re.compile(r"\n *@font-face \{\{.*?\}\}", re.DOTALL)
    template = fonts.sub("", CONSOLE_SVG_FORMAT)
    if "woff" in template or "@font-face" in template:
        raise PictureError("rich's SVG template changed: it still loads fonts from the network")
    return template.replace("font-family: Fira Code, monospace;", _MONOSPACE)


_MONOSPACE = 'font-family: "Fira Code", "DejaVu Sans Mono", monospace;'


def check_picture(week: model.Week, out: Path, config_dir: Path) -> None:
    course = model.load(ROOT)
    output = retro(
        [
            "check",
            str(week.number),
            "--path",
            str(course.checkpoint_dir(week)),
            "--python",
            sys.executable,
        ],
        retro_env(config_dir),
        timeout=600,
    )
    save_terminal(out / f"week-{week.number}-check.svg", f"retro check {week.number}", output)


TAIL_TEXT = "Hello from the terminal"


def tail_picture(site: Site, out: Path, config_dir: Path) -> None:
    env = retro_env(config_dir)
    server = ["--server", site.url]
    retro([*server, "login", "grace", "--password-stdin"], env, stdin=PASSWORD + "\n")
    tail = subprocess.Popen(
        [*RETRO, *server, "tail", "--last", "3"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        following = tail.stderr.readline()
        if "Following" not in following:
            raise PictureError(f"retro tail did not start: {following}{tail.stderr.read()}")
        retro([*server, "post", TAIL_TEXT], env)
        lines = [tail.stdout.readline() for _ in range(4)]
    finally:
        os.killpg(tail.pid, signal.SIGINT)
        tail.wait(timeout=10)
    if TAIL_TEXT not in lines[-1]:
        raise PictureError(f"retro tail printed {lines!r}, not the post {TAIL_TEXT!r}")
    save_terminal(out / "week-6-tail.svg", "retro tail --last 3", "".join(lines))


def take(weeks: list[int], out: Path, *, browser_only: bool = False, say=print) -> list[Path]:
    """Take the pictures of `weeks` into `out`; returns the files written."""
    from playwright.sync_api import Error as PlaywrightError

    course = model.load(ROOT)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="retro-pictures-config-") as config:
        config_dir = Path(config)
        with chromium() as browser:
            for number in weeks:
                week = course.week(number)
                started = time.monotonic()
                with served(course, week) as site:
                    try:
                        PAGES[number](browser, site, out)
                    except PlaywrightError as error:
                        raise PictureError(
                            f"week {number}: {str(error).splitlines()[0]}\n"
                            f"(the server's log: {site.log.read_text()[-1500:]})"
                        ) from None
                    if number == 6 and not browser_only:
                        tail_picture(site, out, config_dir)
                if not browser_only:
                    check_picture(week, out, config_dir)
                names = [p.name for p in pictures_of(number, browser_only=browser_only)]
                missing = [name for name in names if not (out / name).is_file()]
                if missing:
                    raise PictureError(f"week {number}: not taken: {', '.join(missing)}")
                written += [out / name for name in names]
                say(f"week {number}: {', '.join(names)} ({time.monotonic() - started:.1f} s)")
    return written


# Comparing a picture taken now with the one in the lessons.

# rich writes a space between two words of a line as &#160;.
CLOCK = re.compile(r"\d{4}-\d\d-\d\d(?: |&#160;)\d\d:\d\d(:\d\d)?")


def changed_fraction(old: Path, new: Path) -> float:
    """The fraction of pixels that differ by more than PIXEL_THRESHOLD in a channel (1.0 when
    the sizes differ)."""
    from PIL import Image, ImageChops

    before = Image.open(old).convert("RGB")
    after = Image.open(new).convert("RGB")
    if before.size != after.size:
        return 1.0
    # A pixel's change is the largest change of its three channels.
    channels = ImageChops.difference(before, after).split()
    strongest = reduce(ImageChops.lighter, channels)
    changed = strongest.point(lambda value: 255 if value > PIXEL_THRESHOLD else 0).histogram()[255]
    return changed / (before.width * before.height)


def svg_text(path: Path) -> str:
    return CLOCK.sub("YYYY-MM-DD HH:MM:SS", path.read_text(encoding="utf-8"))


def compare(picture: Picture, committed: Path, taken: Path) -> str | None:
    """None when the picture taken now matches the committed one; else what differs."""
    label = f"week {picture.week}, {picture.name}"
    if not committed.is_file():
        return f"{label}: not in {committed.parent} (run `make pictures`)"
    if picture.browser:
        fraction = changed_fraction(committed, taken)
        if fraction > CHANGED_FRACTION:
            return (
                f"{label}: {fraction:.2%} of its pixels changed (more than "
                f"{CHANGED_FRACTION:.1%}): the page changed; run `make pictures` and look at it"
            )
        return None
    if svg_text(committed) != svg_text(taken):
        return f"{label}: the terminal output changed; run `make pictures` and look at it"
    return None


def keep_unchanged(taken: list[Path], out: Path) -> list[Path]:
    """Copy the pictures just taken into `out`, except those that look the same as the ones
    there already (no pixel changed, or the same terminal text): a picture's file changes only
    when what it shows does. Returns the pictures written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in taken:
        target = out / path.name
        if target.is_file():
            same = (
                changed_fraction(target, path) == 0
                if path.suffix == ".png"
                else svg_text(target) == svg_text(path)
            )
            if same:
                continue
        shutil.copyfile(path, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Take the course's pictures from the checkpoints (lessons/pictures/)."
    )
    parser.add_argument("--week", type=int, action="append", help="Only this week (repeatable).")
    parser.add_argument("--out", type=Path, default=None, help="Write here, not lessons/pictures.")
    parser.add_argument(
        "--check", action="store_true", help="Take them into a temporary folder and compare."
    )
    parser.add_argument("--browser-only", action="store_true", help="Pages only (no terminal).")
    options = parser.parse_args(argv)
    course = model.load(ROOT)
    weeks = options.week or [week.number for week in course.weeks]
    unknown = [n for n in weeks if n not in PAGES]
    if unknown:
        parser.error(f"unknown week {unknown[0]}: the weeks are 1 to {max(PAGES)}")
    started = time.monotonic()
    try:
        if not options.check:
            out = options.out or PICTURES_DIR
            with tempfile.TemporaryDirectory(prefix="retro-pictures-") as folder:
                taken = take(weeks, Path(folder), browser_only=options.browser_only)
                changed = keep_unchanged(taken, out)
            print(
                f"{len(taken)} pictures in {out}, {len(changed)} of them changed "
                f"({time.monotonic() - started:.0f} s)"
            )
            return 0
        with tempfile.TemporaryDirectory(prefix="retro-pictures-check-") as folder:
            take(weeks, Path(folder), browser_only=options.browser_only)
            problems = [
                problem
                for number in weeks
                for picture in pictures_of(number, browser_only=options.browser_only)
                if (
                    problem := compare(
                        picture, PICTURES_DIR / picture.name, Path(folder) / picture.name
                    )
                )
            ]
    except PictureError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"The pictures match their checkpoints ({time.monotonic() - started:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
