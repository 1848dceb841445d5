"""Every page checked by axe-core in a real Chromium: logged out and in, the forms with their
errors shown, the conversation, and pages after posts and messages arrived live. Any violation
axe rates serious or critical fails. Then the keyboard: every action can be done with it, with
a focus that can be seen, and what arrives live is in a polite live region for screen readers.

axe-core comes from npm, installed on first use (tests/node.py)."""

from __future__ import annotations

import pytest

from tests.conftest import require
from tests.live import PASSWORD, Browser, unique
from tests.node import NodeMissing, axe_script

pytestmark = [pytest.mark.browser, pytest.mark.live]

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's script: these are browser tests, so a machine without npm skips them unless
    RETRO_REQUIRE_BROWSER=1; npm failing to install it fails them."""
    try:
        return axe_script()
    except NodeMissing as error:
        require("browser", False, str(error))


@pytest.fixture(scope="module")
def cast(live_server):
    """ada and bob, who have posted and written to each other, through the real forms."""
    ada, bob = unique("ada"), unique("bob")
    ada_http = Browser(live_server).signup(ada)
    bob_http = Browser(live_server).signup(bob)
    ada_http.post("hello from ada")
    bob_http.post("hello from bob")
    response = ada_http.form_post(f"/messages/{bob}", {"text": "hi bob, how are you?"})
    assert response.status_code == 302, response.text
    response = bob_http.form_post(f"/messages/{ada}", {"text": "fine, thanks ada"})
    assert response.status_code == 302, response.text
    return {"ada": ada, "bob": bob, "bob_http": bob_http}


def new_context(chromium, axe, live_server, username: str | None = None):
    """A browser context with axe-core loaded into every page (as an init script, so no
    Content-Security-Policy of the site's has to make room for it), logged in when asked."""
    context = chromium.new_context()
    context.set_default_timeout(15_000)  # ms
    context.add_init_script(script=axe)
    if username:
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.close()
    return context


def violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA and best practices)."""
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')),
            }));
        }"""
    )


def assert_accessible(page, where: str) -> None:
    found = violations(page)
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert not blocking, f"{where}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'][:5])}" for v in blocking
    )


# Each page as someone gets to it: (name, who is logged in, what they do there).
def home(page, url, cast):
    page.goto(f"{url}/")


def login(page, url, cast):
    page.goto(f"{url}/login")


def login_with_errors(page, url, cast):
    page.goto(f"{url}/login")
    page.fill("#id_username", cast["ada"])
    page.fill("#id_password", "not-the-password")
    page.click("main button[type=submit]")
    page.wait_for_selector(".errorlist")


def signup(page, url, cast):
    page.goto(f"{url}/signup")


def signup_with_errors(page, url, cast):
    page.goto(f"{url}/signup")
    page.fill("#id_username", cast["ada"])  # taken
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "different")
    page.click("main button[type=submit]")
    page.wait_for_selector(".errorlist")


def post_with_errors(page, url, cast):
    page.goto(f"{url}/")
    page.fill("#id_text", "   ")  # only spaces: the server refuses it and says why
    page.click("#post-form button[type=submit]")
    page.wait_for_selector("#post-form .errorlist")


def inbox(page, url, cast):
    page.goto(f"{url}/messages")
    page.wait_for_selector("#conversations li.conversation")


def inbox_with_errors(page, url, cast):
    page.goto(f"{url}/messages")
    page.fill("#id_to", unique("nobody"))
    page.click("#write-to button[type=submit]")
    page.wait_for_selector("#write-to .errorlist")


def conversation(page, url, cast):
    page.goto(f"{url}/messages/{cast['bob']}")
    page.wait_for_selector("#thread li.message")


def conversation_with_errors(page, url, cast):
    page.goto(f"{url}/messages/{cast['bob']}")
    page.fill("#id_text", "   ")
    page.click("#message-form button[type=submit]")
    page.wait_for_selector("#message-form .errorlist")


def conversation_with_yourself(page, url, cast):
    page.goto(f"{url}/messages/{cast['ada']}")
    page.wait_for_selector("#thread-empty")


def live_arrivals(page, url, cast):
    """The home page after a post arrived live, and the conversation after a message did."""
    page.goto(f"{url}/")
    page.wait_for_selector("html[data-socket=open]", state="attached")
    text = unique("arrived live ")
    cast["bob_http"].post(text)
    page.locator("#feed li.post", has_text=text).wait_for()


def live_message(page, url, cast):
    page.goto(f"{url}/messages/{cast['bob']}")
    page.wait_for_selector("html[data-socket=open]", state="attached")
    text = unique("a live message ")
    response = cast["bob_http"].form_post(f"/messages/{cast['ada']}", {"text": text})
    assert response.status_code == 302
    page.locator("#thread li.message", has_text=text).wait_for()


def password_reset(page, url, cast):
    page.goto(f"{url}/password-reset")


def password_reset_sent(page, url, cast):
    page.goto(f"{url}/password-reset")
    page.fill("#id_email", "nobody@example.com")
    page.click("main button[type=submit]")
    page.wait_for_url("**/password-reset/sent")


def account(page, url, cast):
    page.goto(f"{url}/account")
    page.wait_for_selector("main form")


def account_with_errors(page, url, cast):
    page.goto(f"{url}/account")
    page.fill("#id_email", "ada@nodot")  # the browser lets it through; Django does not
    page.click("main button[type=submit]")
    page.wait_for_selector(".errorlist")


def api_docs(page, url, cast):
    page.goto(f"{url}/api/docs/")
    page.wait_for_selector("#api-operations li")


PAGES = [
    (home, None), (login, None), (login_with_errors, None), (signup, None),
    (signup_with_errors, None), (api_docs, None), (password_reset, None),
    (password_reset_sent, None), (account, "ada"), (account_with_errors, "ada"),
    (home, "ada"), (post_with_errors, "ada"), (inbox, "ada"), (inbox_with_errors, "ada"),
    (conversation, "ada"), (conversation_with_errors, "ada"), (conversation_with_yourself, "ada"),
    (live_arrivals, "ada"), (live_message, "ada"),
]


@pytest.mark.parametrize(
    "visit,who", PAGES, ids=[f"{visit.__name__}-{who or 'anonymous'}" for visit, who in PAGES]
)
def test_page_has_no_serious_or_critical_axe_violation(chromium, axe, live_server, cast, visit,
                                                         who):
    context = new_context(chromium, axe, live_server, cast[who] if who else None)
    try:
        page = context.new_page()
        visit(page, live_server.url, cast)
        assert_accessible(page, f"{visit.__name__} ({who or 'logged out'})")
    finally:
        context.close()


# The keyboard: Tab to each control (a bounded number of presses), see where focus is, act.
FOCUS_RING = """el => {
    const style = getComputedStyle(el);
    return {style: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until `selector` has the focus, and require a focus ring that can be seen."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            ring = target.evaluate(FOCUS_RING)
            assert ring["style"] == "solid" and ring["width"] >= 2, (
                f"{selector} has the focus but no visible focus ring: {ring}"
            )
            return
    raise AssertionError(f"{selector} cannot be reached with Tab ({limit} presses)")


def test_everything_can_be_done_with_the_keyboard_alone(chromium, axe, live_server, cast):
    url = live_server.url
    context = new_context(chromium, axe, live_server)
    try:
        page = context.new_page()
        page.goto(f"{url}/")
        tab_to(page, "header a[href='/login']")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/login")

        tab_to(page, "#id_username")
        page.keyboard.type(cast["ada"])
        tab_to(page, "#id_password")
        page.keyboard.type(PASSWORD)
        tab_to(page, "main button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/")

        text = unique("typed, never clicked ")
        tab_to(page, "#id_text")
        page.keyboard.type(text)
        tab_to(page, "#post-form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/")
        page.locator("#feed li.post", has_text=text).wait_for()

        tab_to(page, "#nav-messages")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/messages")
        tab_to(page, "#id_to")
        page.keyboard.type(cast["bob"])
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/messages/{cast['bob']}")

        message = unique("sent from the keyboard ")
        tab_to(page, "#id_text")
        page.keyboard.type(message)
        tab_to(page, "#message-form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/messages/{cast['bob']}")
        page.locator("#thread li.message", has_text=message).wait_for()

        tab_to(page, "header form.inline button")  # Log out
        page.keyboard.press("Enter")
        page.wait_for_selector("header a[href='/login']")
    finally:
        context.close()


def live_region(page, item_selector: str) -> dict:
    """The nearest live region around an element, as a screen reader sees it."""
    return page.locator(item_selector).first.evaluate(
        """el => {
            const region = el.closest('[aria-live]');
            return region ? {id: region.id, live: region.getAttribute('aria-live'),
                             relevant: region.getAttribute('aria-relevant')} : null;
        }"""
    )


def test_posts_and_messages_that_arrive_live_land_in_a_polite_live_region(
    chromium, axe, live_server, cast
):
    context = new_context(chromium, axe, live_server, cast["ada"])
    try:
        page = context.new_page()
        live_arrivals(page, live_server.url, cast)
        assert live_region(page, "#feed li.post.new") == {
            "id": "feed", "live": "polite", "relevant": "additions"
        }
        live_message(page, live_server.url, cast)
        newest = "#thread li.message:last-child"
        assert live_region(page, newest) == {
            "id": "thread", "live": "polite", "relevant": "additions"
        }
        # What the connection is doing is a status too: announced, never interrupting.
        assert page.get_attribute("#live-status", "role") == "status"
    finally:
        context.close()
