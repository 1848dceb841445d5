"""The pages in a real browser: headless Chromium (Debian's) driven by Playwright."""

import pytest

from tests.live import PASSWORD, unique
from tests.live import sign_up_in as sign_up

pytestmark = [pytest.mark.browser, pytest.mark.live]

@pytest.fixture
def pages(people):
    return [context.new_page() for context in people]


def test_sign_up_log_in_and_post_appears_live_in_another_window(live_server, pages):
    author, reader = pages
    name = unique("ada")
    sign_up(author, live_server.url, name)
    author.click("text=Log out")
    author.wait_for_selector("text=Log in")
    author.goto(f"{live_server.url}/login")
    author.fill("#id_username", name)
    author.fill("#id_password", PASSWORD)
    author.click("button[type=submit]")
    author.wait_for_selector(f"text=Logged in as {name}")

    reader.goto(live_server.url)
    reader_loads = []
    reader.on("load", lambda: reader_loads.append(True))
    reader.wait_for_selector("html[data-socket=open]", state="attached")

    assert author.evaluate("document.activeElement.id") == "id_text"
    author.fill("#id_text", "hello from the browser")
    assert author.inner_text("#post-counter") == "478 characters left"
    author.click("#post-form button[type=submit]")
    author.wait_for_url(f"{live_server.url}/")

    item = reader.locator("#feed li.post", has_text="hello from the browser")
    item.wait_for()
    assert item.locator(".author").inner_text() == name
    assert reader_loads == []  # arrived without a reload
    # The author's own page marks the post as theirs.
    assert "mine" in author.locator("#feed li.post").first.get_attribute("class")


def test_post_text_is_shown_literally_and_runs_nothing(live_server, pages):
    author, reader = pages
    dialogs = []
    for page in pages:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_up(author, live_server.url, unique("mallory"))
    reader.goto(live_server.url)
    reader.wait_for_selector("html[data-socket=open]", state="attached")

    payload = "<img src=x onerror=alert(1)>"
    author.fill("#id_text", payload)
    author.click("#post-form button[type=submit]")
    author.wait_for_url(f"{live_server.url}/")

    live_item = reader.locator("#feed li.post").first
    live_item.wait_for()
    reader.wait_for_function(
        "text => document.querySelector('#feed li.post .text').textContent === text", arg=payload
    )
    assert live_item.locator(".text").inner_text() == payload
    assert reader.locator("#feed img").count() == 0
    # The server-rendered page escapes it too.
    assert author.locator("#feed li.post .text").first.inner_text() == payload
    assert author.locator("#feed img").count() == 0
    assert dialogs == []


def test_page_reconnects_and_fills_the_gap_after_the_server_restarts(make_live_server, pages):
    reader_server = make_live_server()
    other_server = make_live_server()  # same database, stays up while the first restarts
    author, reader = pages
    sign_up(author, other_server.url, unique("ada"))
    reader.goto(reader_server.url)
    reader.wait_for_selector("html[data-socket=open]", state="attached")

    reader_server.stop()
    reader.wait_for_selector("html[data-socket=closed]", state="attached")
    assert "Reconnecting" in reader.inner_text("#live-status")
    author.fill("#id_text", "posted while you were away")
    author.click("#post-form button[type=submit]")
    author.wait_for_url(f"{other_server.url}/")
    reader_server.start()

    reader.locator("#feed li.post", has_text="posted while you were away").wait_for()
    assert reader.locator("#feed li.post", has_text="posted while you were away").count() == 1
    assert reader.is_hidden("#live-status")
