"""The static frontend (frontend/) in a real Chromium, served by `python -m http.server` from an
origin of its own, against a real daphne on another port whose CORS_ALLOWED_ORIGINS lists it:
logging in, the feed and posting, a post arriving live, a conversation with messages sent and
received live (two people side by side, two browser contexts); a wrong password said; and the
same folder served from an origin the server does not list, which the browser keeps from
logging in."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli.net import free_port, wait_until_answering
from tests.live import PASSWORD, ROOT
from tests.live_clients import ApiPerson
from tests.site.test_accessibility import assert_accessible, axe  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.live]

FRONTEND = ROOT / "frontend"


class StaticServer:
    """frontend/ served as files by Python's http.server: any static host would do."""

    def __init__(self):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(self.port),
             "--directory", str(FRONTEND)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_answering(f"{self.origin}/index.html", timeout=30, process=self.process)

    def page_url(self, server) -> str:
        """The frontend pointed at `server` with ?api=."""
        return f"{self.origin}/?api={server.url}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def frontend():
    server = StaticServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def elsewhere():
    """The same folder from another origin, which the site does not list."""
    server = StaticServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(live_database, frontend):
    """A daphne that lets exactly the frontend's origin use its API."""
    from tests.live import LiveServer

    server = LiveServer(live_database, CORS_ALLOWED_ORIGINS=frontend.origin).start()
    yield server
    server.stop()


@pytest.fixture
def people(chromium):
    """Two people at two computers: two browser contexts (their own localStorage each)."""
    contexts = [chromium.new_context(), chromium.new_context()]
    for context in contexts:
        context.set_default_timeout(15_000)  # ms
    yield contexts
    for context in contexts:
        context.close()


def log_in(page, frontend, site, person: ApiPerson, password: str = PASSWORD):
    page.goto(frontend.page_url(site))
    page.get_by_label("Username").fill(person.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("html[data-ready=yes]", state="attached")
    page.wait_for_selector("html[data-feed=open]", state="attached")
    page.wait_for_selector("html[data-inbox=open]", state="attached")


class TestTheFeed:
    def test_log_in_read_post_and_see_anothers_post_arrive_live(self, people, frontend, site):
        ada, bob = ApiPerson(site, "ada"), ApiPerson(site, "bob")
        earlier = bob.post("posted before ada came")
        page = people[0].new_page()
        loads = []
        log_in(page, frontend, site, ada)
        page.on("load", lambda: loads.append(True))

        assert page.locator("#me").text_content() == ada.username
        assert page.locator("#server").text_content() == site.url
        page.locator(f'#feed li.post[data-id="{earlier["id"]}"]').wait_for()
        # The token is kept for this server only.
        stored = page.evaluate(f"localStorage.getItem('retrosocial.token {site.url}')")
        assert stored and len(stored) == 40

        page.get_by_label("What's happening?").fill("hello from the frontend")
        page.get_by_role("button", name="Post").click()
        mine = page.locator("#feed li.post.mine", has_text="hello from the frontend")
        mine.wait_for()
        newest = ada.http.get("/api/posts?page_size=1").json()["results"][0]
        assert (newest["author"], newest["text"]) == (ada.username, "hello from the frontend")

        live = bob.post("bob, live")
        page.locator(f'#feed li.post[data-id="{live["id"]}"]').wait_for()
        # Newest at the top, each once (the socket and the post's own answer both brought ada's).
        ids = [int(i) for i in page.locator("#feed li.post").evaluate_all(
            "items => items.map(item => item.dataset.id)")]
        assert ids[:3] == [live["id"], newest["id"], earlier["id"]]
        assert len(ids) == len(set(ids))
        assert bob.username in page.locator("#announce").text_content()
        assert loads == []

    def test_load_more_follows_the_cursor(self, people, frontend, site):
        ada = ApiPerson(site, "ada")
        posts = [ada.post(f"post number {n}") for n in range(25)]  # a page shows 20
        page = people[0].new_page()
        log_in(page, frontend, site, ada)
        assert page.locator(f'#feed li.post[data-id="{posts[4]["id"]}"]').count() == 0
        page.get_by_role("button", name="Load more").click()
        page.locator(f'#feed li.post[data-id="{posts[0]["id"]}"]').wait_for()

    def test_a_post_missed_while_the_server_was_down_is_caught_up_once(
        self, people, frontend, make_live_server
    ):
        """Process A restarts; a post made through process B (same database, another
        in-memory hub: A's sockets never hear of it) comes to the page through the catch-up
        after it reconnects, once, without a reload."""
        a = make_live_server(CORS_ALLOWED_ORIGINS=frontend.origin)
        b = make_live_server()
        ada, bob = ApiPerson(a, "ada"), ApiPerson(b, "bob")
        page = people[0].new_page()
        log_in(page, frontend, a, ada)
        loads = []
        page.on("load", lambda: loads.append(True))
        missed = bob.post("while ada's server was restarting")
        a.stop()
        page.wait_for_function("document.documentElement.dataset.feed === 'reconnecting'")
        assert page.locator(f'#feed li.post[data-id="{missed["id"]}"]').count() == 0
        a.start()
        page.locator(f'#feed li.post[data-id="{missed["id"]}"]').wait_for(timeout=60_000)
        page.wait_for_function("document.documentElement.dataset.feed === 'open'")
        assert page.locator("#feed li.post", has_text="while ada's server").count() == 1
        assert loads == []

    def test_log_out_revokes_the_token(self, people, frontend, site):
        ada = ApiPerson(site, "ada")
        page = people[0].new_page()
        log_in(page, frontend, site, ada)
        token = page.evaluate(f"localStorage.getItem('retrosocial.token {site.url}')")
        page.get_by_role("button", name="Log out").click()
        page.get_by_role("heading", name="Log in").wait_for()
        assert page.evaluate(f"localStorage.getItem('retrosocial.token {site.url}')") is None
        gone = ada.http.get("/api/me", headers={"Authorization": f"Token {token}"})
        assert gone.status_code == 401


class TestMessages:
    def test_two_people_write_to_each_other_live(self, people, frontend, site):
        ada, bob = ApiPerson(site, "ada"), ApiPerson(site, "bob")
        ada_page, bob_page = people[0].new_page(), people[1].new_page()
        log_in(ada_page, frontend, site, ada)
        log_in(bob_page, frontend, site, bob)

        # ada opens a conversation with bob by name, with the keyboard only.
        ada_page.get_by_role("link", name="Messages").focus()
        ada_page.keyboard.press("Enter")
        ada_page.get_by_label("Write to").fill(bob.username)
        ada_page.keyboard.press("Enter")
        ada_page.get_by_role("heading", name=f"Conversation with {bob.username}").wait_for()
        ada_page.get_by_label("Message", exact=True).fill("hi bob")
        ada_page.keyboard.press("Control+Enter")
        ada_page.locator("#thread li.message.mine", has_text="hi bob").wait_for()

        # bob is on the feed: the unread count goes up live, and the conversation is listed.
        bob_page.wait_for_function("document.getElementById('unread-count').textContent === '1'")
        bob_page.get_by_role("link", name="Messages").click()
        entry = bob_page.locator("#conversations li.conversation", has_text=ada.username)
        assert "hi bob" in entry.text_content()
        entry.get_by_role("link", name=ada.username).click()
        bob_page.locator("#thread li.message", has_text="hi bob").wait_for()
        assert bob_page.locator("#unread-count").is_hidden()  # reading it marked it read

        # bob answers in the page; ada's open conversation shows it without a reload.
        bob_page.get_by_label("Message", exact=True).fill("hello ada")
        bob_page.get_by_role("button", name="Send").click()
        ada_page.locator("#thread li.message:not(.mine)", has_text="hello ada").wait_for()
        # A message sent through the API (bob's other client) arrives live too.
        sent = bob.message(ada.username, "and one from my terminal")
        ada_page.locator(f'#thread li.message[data-id="{sent["id"]}"]').wait_for()
        texts = ada_page.locator("#thread li.message .text").all_text_contents()
        assert texts == ["hi bob", "hello ada", "and one from my terminal"]
        # Screen readers hear it: the polite live region says what arrived.
        announced = ada_page.locator("#announce").text_content()
        assert announced == f"New message from {bob.username}: and one from my terminal"

    def test_an_unknown_user_is_said(self, people, frontend, site):
        ada = ApiPerson(site, "ada")
        page = people[0].new_page()
        log_in(page, frontend, site, ada)
        page.goto(frontend.page_url(site) + "#messages/nobody-by-that-name")
        page.get_by_role("alert").filter(has_text="There is no user named").wait_for()


class TestErrors:
    def test_a_wrong_password_is_said_and_nothing_is_kept(self, people, frontend, site):
        ada = ApiPerson(site, "ada")
        page = people[0].new_page()
        page.goto(frontend.page_url(site))
        page.get_by_label("Username").fill(ada.username)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        alert = page.get_by_role("alert")
        alert.filter(has_text="Wrong username or password.").wait_for()
        assert page.evaluate(f"localStorage.getItem('retrosocial.token {site.url}')") is None
        assert page.locator("#feed-view").is_hidden()

    def test_an_origin_the_site_does_not_list_cannot_log_in(self, people, elsewhere, site):
        ada = ApiPerson(site, "ada")
        page = people[0].new_page()
        refused = []
        page.on("console", lambda message: refused.append(message.text))
        page.goto(elsewhere.page_url(site))
        page.get_by_label("Username").fill(ada.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        alert = page.get_by_role("alert").filter(has_text="Cannot reach the server")
        alert.wait_for()
        assert f"does not allow pages from {elsewhere.origin}" in alert.text_content()
        assert page.locator("#feed-view").is_hidden()
        # It was the browser's CORS check: the server itself answers.
        assert any("CORS" in text for text in refused), refused
        assert ada.http.get("/api/me").status_code == 200

    def test_too_many_logins_say_when_to_try_again(self, people, frontend, live_database):
        from tests.live import LiveServer

        strict = LiveServer(
            live_database, CORS_ALLOWED_ORIGINS=frontend.origin, API_THROTTLE_AUTH="2/minute"
        ).start()
        try:
            ada = ApiPerson(strict, "ada")  # the sign-up counts too
            page = people[0].new_page()
            page.goto(frontend.page_url(strict))
            page.get_by_label("Username").fill(ada.username)
            page.get_by_label("Password").fill("not the password")
            button = page.get_by_role("button", name="Log in")
            statuses = []
            # Two a minute (the window may turn between two of them): the third is refused.
            while 429 not in statuses and len(statuses) < 4:
                with page.expect_response(lambda r: r.request.method == "POST") as got:
                    button.click()
                statuses.append(got.value.status)
            assert statuses[-1] == 429 and set(statuses[:-1]) == {400}, statuses
            alert = page.get_by_role("alert").filter(has_text="Too many requests")
            alert.wait_for()
            assert "Try again in" in alert.text_content()
            assert "seconds" in alert.text_content()
            assert button.is_disabled()
        finally:
            strict.stop()


class TestAccessibility:
    def test_axe_finds_nothing_serious_logged_out_and_in(
        self, chromium, axe, frontend, site  # noqa: F811
    ):
        ada, bob = ApiPerson(site, "ada"), ApiPerson(site, "bob")
        bob.post("something to read")
        bob.message(ada.username, "something to answer")
        context = chromium.new_context()
        context.set_default_timeout(15_000)
        context.add_init_script(script=axe)
        try:
            page = context.new_page()
            page.goto(frontend.page_url(site))
            page.get_by_role("heading", name="Log in").wait_for()
            assert_accessible(page, "the login form")
            log_in(page, frontend, site, ada)
            assert_accessible(page, "the feed")
            page.goto(frontend.page_url(site) + f"#messages/{bob.username}")
            page.locator("#thread li.message").first.wait_for()
            assert_accessible(page, "a conversation")
        finally:
            context.close()
