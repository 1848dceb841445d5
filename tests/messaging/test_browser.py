"""Direct messages in a real browser: headless Chromium (Debian's) driven by Playwright."""

import time

import pytest

from tests.live import sign_up_in as sign_up
from tests.live import unique

pytestmark = [pytest.mark.browser, pytest.mark.live]

def open_live(page, url):
    """Open a page and wait until its inbox socket is open; returns a list of later loads."""
    page.goto(url)
    page.wait_for_selector("html[data-socket=open]", state="attached")
    loads = []
    page.on("load", lambda: loads.append(page.url))
    return loads


def unread_from(page, username, timeout=10):
    """What the API tells the page's user about their conversation with `username`, once it
    settles (the page marks messages read with a request of its own)."""
    deadline = time.monotonic() + timeout
    while True:
        conversations = page.evaluate(
            "async () => (await (await fetch('/api/messages')).json()).results"
        )
        unread = {c["username"]: c["unread"] for c in conversations}.get(username)
        if unread == 0 or time.monotonic() > deadline:
            return unread
        time.sleep(0.1)


def test_a_message_appears_on_the_recipients_open_pages_without_reloading(live_server, people):
    ada_name, bob_name = unique("ada"), unique("bob")
    ada, bob = people[0].new_page(), people[1].new_page()
    sign_up(ada, live_server.url, ada_name)
    sign_up(bob, live_server.url, bob_name)
    bob_list = people[1].new_page()  # bob's second tab: his list of conversations

    bob_loads = open_live(bob, f"{live_server.url}/messages/{ada_name}")
    list_loads = open_live(bob_list, f"{live_server.url}/messages")
    assert bob.is_visible("#thread-empty")

    ada.goto(f"{live_server.url}/messages/{bob_name}")
    ada.fill("#id_text", "hello bob, live")
    assert ada.inner_text("#message-counter") == "1985 characters left"
    ada.click("#message-form button[type=submit]")
    ada.wait_for_url(f"{live_server.url}/messages/{bob_name}")
    assert "mine" in ada.locator("#thread li.message").last.get_attribute("class")

    item = bob.locator("#thread li.message", has_text="hello bob, live")
    item.wait_for()
    assert item.locator(".author").inner_text() == ada_name
    assert "mine" not in item.get_attribute("class")
    assert bob.locator("#thread-empty").count() == 0
    # The other tab lists the conversation, one unread, and the header counts it.
    entry = bob_list.locator(f'#conversations li[data-with="{ada_name}"]')
    entry.wait_for()
    assert "hello bob, live" in entry.inner_text()
    assert entry.locator(".unread-count").inner_text() == "1"
    assert bob_list.inner_text("#unread-count") == "1"
    # Bob has the conversation open, so the message counts as read.
    assert unread_from(bob, ada_name) == 0

    # Text is shown literally, and nothing in it runs.
    dialogs = []
    bob.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    payload = "<img src=x onerror=alert(1)>"
    ada.fill("#id_text", payload)
    ada.click("#message-form button[type=submit]")
    ada.wait_for_url(f"{live_server.url}/messages/{bob_name}")
    bob.wait_for_function(
        "text => Array.from(document.querySelectorAll('#thread .text'))"
        ".some(el => el.textContent === text)",
        arg=payload,
    )
    assert bob.locator("#thread img").count() == 0
    assert dialogs == []
    assert [m.inner_text() for m in bob.locator("#thread li.message .text").all()] == [
        "hello bob, live",
        payload,
    ]
    assert bob_loads == [] and list_loads == []  # all of it arrived without a reload


def test_a_third_persons_open_pages_get_nothing(live_server, people):
    ada_name, eve_name = unique("ada"), unique("eve")
    ada, eve = people[0].new_page(), people[1].new_page()
    sign_up(ada, live_server.url, ada_name)
    sign_up(eve, live_server.url, eve_name)
    bob_name = unique("bob")
    bob_context_page = ada.context.browser.new_context().new_page()
    try:
        sign_up(bob_context_page, live_server.url, bob_name)
        open_live(eve, f"{live_server.url}/messages/{ada_name}")
        ada.goto(f"{live_server.url}/messages/{bob_name}")
        ada.fill("#id_text", "for bob only")
        ada.click("#message-form button[type=submit]")
        ada.wait_for_url(f"{live_server.url}/messages/{bob_name}")
        # Then one for eve: when it shows, the earlier one would have shown already.
        ada.goto(f"{live_server.url}/messages/{eve_name}")
        ada.fill("#id_text", "hi eve")
        ada.click("#message-form button[type=submit]")
        eve.locator("#thread li.message", has_text="hi eve").wait_for()
        assert "for bob only" not in eve.content()
        assert eve.inner_text("#unread-count") in ("", "0")
    finally:
        bob_context_page.context.close()
