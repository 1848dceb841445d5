"""The pages' live scripts in a real browser (Debian's Chromium): catching up after a resync
frame without a reload, and the header's unread count live on every page."""

import pytest

from tests.live import sign_up_in, unique
from tests.live_clients import ApiPerson
from tests.own_redis import own_redis  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def page(people):
    return people[0].new_page()


def test_the_feed_shows_every_post_once_after_a_resync_without_a_reload(
    make_live_server, own_redis, page  # noqa: F811
):
    """Redis stops while the page follows process A; posts made through process B meanwhile
    cannot reach A. When Redis is back A sends its sockets a resync frame, and the page fetches
    what it missed: each post once, no reload, the socket never dropped."""
    prefix = unique("page")
    a = make_live_server(redis_url=own_redis.url, CHANNEL_LAYER_PREFIX=prefix)
    b = make_live_server(redis_url=own_redis.url, CHANNEL_LAYER_PREFIX=prefix)
    writer = ApiPerson(b, "writer")

    page.goto(a.url)
    loads = []
    page.on("load", lambda: loads.append(True))
    page.wait_for_selector("html[data-socket=open]", state="attached")
    before = writer.post("before the outage")
    page.locator("#feed li.post", has_text=before["text"]).wait_for()

    own_redis.stop()
    during = [writer.post(f"during the outage {n}") for n in range(3)]
    own_redis.start()
    after = writer.on(a).post("after the outage")

    for post in (*during, after):
        page.locator(f'#feed li.post[data-id="{post["id"]}"]').wait_for(timeout=60_000)
    for post in (before, *during, after):
        assert page.locator("#feed li.post", has_text=post["text"]).count() == 1
    assert loads == []
    assert page.evaluate("document.documentElement.dataset.socket") == "open"


def test_the_unread_count_goes_up_live_on_the_home_page(live_server, page):
    name = unique("ada")
    sign_up_in(page, live_server.url, name)
    loads = []
    page.on("load", lambda: loads.append(True))
    page.wait_for_selector("html[data-socket=open]", state="attached")
    badge = page.locator("#unread-count")
    assert badge.is_hidden()

    bob = ApiPerson(live_server, "bob")
    bob.message(name, "are you there?")
    page.wait_for_function("document.getElementById('unread-count').textContent === '1'")
    assert badge.is_visible()
    bob.message(name, "hello?")
    page.wait_for_function("document.getElementById('unread-count').textContent === '2'")
    assert loads == []
