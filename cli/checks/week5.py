"""Week 5: direct messages (the pages, the live inbox, privacy)."""

from __future__ import annotations

import re
import uuid

from cli.checks import CheckFailed, check
from cli.checks.page import Page
from cli.checks.session import Session, tail
from cli.checks.web import Visitor, describe, login, open_websocket
from cli.checks.week4 import receive_text, socket_url

MESSAGE_WORDS = r"\bmessages?\b|\binbox\b"
INBOX_PATHS = ("/messages", "/messages/", "/inbox", "/inbox/")
INBOX_SOCKET = "/ws/inbox"


def people(session: Session) -> dict[str, tuple[str, Visitor]]:
    """Ada, Bob and Eve, each logged in through the site's form in a browser of their own."""
    if "people" not in session.cache:
        found = {}
        for role in ("ada", "bob", "eve"):
            username = session.create_user("user")
            visitor = Visitor(session.dev_server())
            login(session, visitor, username)
            found[role] = (username, visitor)
        session.cache["people"] = found
    return session.cache["people"]  # type: ignore[return-value]


def inbox_path(session: Session, visitor: Visitor) -> str:
    if "inbox-path" in session.cache:
        return session.cache["inbox-path"]  # type: ignore[return-value]
    home = visitor.page("/", "the home page")
    candidates = [link.href for link in home.links_like(MESSAGE_WORDS)] + list(INBOX_PATHS)
    for path in candidates:
        if path.startswith("/") and visitor.get(path).status_code == 200:
            session.cache["inbox-path"] = path
            return path
    raise CheckFailed(
        "a page of your conversations, linked from the header (such as /messages)",
        f"none at {', '.join(dict.fromkeys(candidates))}",
    )


def conversation_page(session: Session, visitor: Visitor, other: str) -> tuple[str, Page]:
    """The page of the conversation with `other`: through the inbox's "write to" form, else
    at <inbox>/<username>."""
    inbox = inbox_path(session, visitor)
    page = visitor.page(inbox, "your conversations")
    for form in page.forms:
        if len(form.text_fields) == 1 and not form.passwords:
            values = {form.text_fields[0].name: other}
            if form.method == "get":
                target = visitor.local(form.action or inbox)
                response = visitor.client.get(target, params={**form.hidden, **values})
            else:
                response = visitor.submit(form, inbox, values)
            response = visitor.follow(response)
            if response.status_code == 200 and Page(response.text).post_form():
                return visitor.local(str(response.url)), Page(response.text)
    path = inbox.rstrip("/") + f"/{other}"
    return path, visitor.page(path, f"the conversation with {other}")


def send_on_page(session: Session, visitor: Visitor, other: str, text: str) -> str:
    path, page = conversation_page(session, visitor, other)
    form = page.post_form()
    if form is None:
        raise CheckFailed(f"a form to write to {other} on {path}", "no form with a text field")
    response = visitor.submit(form, path, {form.text_fields[0].name: text})
    if not response.is_redirect:
        raise CheckFailed("a redirect after sending a message", describe(response))
    return path


@check(
    5,
    "login-required",
    "the messages pages need a login",
    (5, "per conversation"),
    needs=["w2.login"],
)
def messages_need_login(session: Session):
    stranger = Visitor(session.dev_server())
    for path in INBOX_PATHS[:1]:
        response = stranger.get(path)
        if response.status_code == 200:
            raise CheckFailed(
                f"{path} to send a visitor who is not logged in to log in", "it answered 200"
            )
        if response.status_code == 404:
            raise CheckFailed(f"your conversations at {path}", describe(response))


@check(
    5,
    "send",
    "a message sent on the site reaches its recipient's pages",
    (5, "count in the header"),
    needs=["w5.login-required"],
)
def send_message(session: Session):
    crowd = people(session)
    (ada, ada_browser), (bob, bob_browser) = crowd["ada"], crowd["bob"]
    text = f"Lunch at noon? {uuid.uuid4().hex[:8]}"
    send_on_page(session, ada_browser, bob, text)
    session.cache["secret"] = text
    _, page = conversation_page(session, bob_browser, ada)
    if text not in page.text:
        raise CheckFailed(f"{bob} to read {ada}'s message in their conversation", "not there")
    inbox = bob_browser.page(inbox_path(session, bob_browser), "your conversations")
    if ada not in inbox.text:
        raise CheckFailed(f"{ada} in {bob}'s list of conversations", "not there")


@check(
    5,
    "private-pages",
    "nobody else sees a message on any page",
    (5, "count in the header"),
    needs=["w5.send"],
)
def private_pages(session: Session):
    crowd = people(session)
    (ada, _), (bob, _), (_, eve_browser) = crowd["ada"], crowd["bob"], crowd["eve"]
    secret = session.cache["secret"]
    inbox = inbox_path(session, eve_browser)
    seen = []
    for path in (inbox, inbox.rstrip("/") + f"/{ada}", inbox.rstrip("/") + f"/{bob}", "/"):
        response = eve_browser.follow(eve_browser.get(path))
        if secret in response.text:
            seen.append(path)
    if seen:
        raise CheckFailed(
            "a third person to see none of Ada and Bob's messages",
            f"the message is on {', '.join(seen)} for them",
        )


@check(
    5,
    "inbox-socket",
    "new messages arrive live on /ws/inbox, for their two people only",
    (5, "inbox, live"),
    needs=["w5.send", "w4.socket"],
)
def inbox_socket(session: Session):
    import websocket

    server = session.dev_server()
    crowd = people(session)
    (ada, ada_browser), (bob, bob_browser), (_, eve_browser) = (
        crowd["ada"],
        crowd["bob"],
        crowd["eve"],
    )

    def socket_of(browser: Visitor):
        cookie = "; ".join(f"{name}={value}" for name, value in browser.client.cookies.items())
        return open_websocket(
            server, INBOX_SOCKET, "a logged-in page's socket to /ws/inbox accepted", cookie=cookie
        )

    try:
        anonymous = websocket.create_connection(
            socket_url(server, INBOX_SOCKET), timeout=5, origin=server.base_url
        )
        anonymous.settimeout(2)
        try:
            anonymous.recv()
            still_open = True
        except websocket.WebSocketConnectionClosedException:
            still_open = False
        except websocket.WebSocketTimeoutException:
            still_open = True
        anonymous.close()
        if still_open:
            raise CheckFailed("an anonymous socket to /ws/inbox refused", "it was kept open")
    except (websocket.WebSocketBadStatusException, ConnectionError):
        pass
    bob_socket, eve_socket = socket_of(bob_browser), socket_of(eve_browser)
    try:
        text = f"Are you there? {uuid.uuid4().hex[:8]}"
        send_on_page(session, ada_browser, bob, text)
        if receive_text(bob_socket, text) is None:
            raise CheckFailed(f"{ada}'s message on {bob}'s /ws/inbox within 6 s", "nothing came")
        if receive_text(eve_socket, text, seconds=1) is not None:
            raise CheckFailed(
                "a third person's /ws/inbox to receive nothing of it", "it arrived there too"
            )
    finally:
        bob_socket.close()
        eve_socket.close()


TEST_TIMEOUT = 180


def ahead(session: Session) -> None:
    """The project's own tests: they need nothing the checks before them do."""
    session.manage_ahead("test", timeout=TEST_TIMEOUT)


def test_run(session: Session) -> tuple[int, int | None, str]:
    """`python manage.py test` in the copy, run once a session (weeks 5 and 6 both read it):
    (its exit status, how many tests ran, what it printed, naming the student's files)."""
    if "tests" not in session.cache:
        result = session.manage("test", timeout=TEST_TIMEOUT)
        printed = (result.stdout + result.stderr).replace(str(session.dir), str(session.source))
        ran = re.findall(r"^Ran (\d+) tests? in", printed, re.M)
        session.cache["tests"] = (result.returncode, int(ran[-1]) if ran else None, printed)
    return session.cache["tests"]  # type: ignore[return-value]


def tests_pass(session: Session, at_least: int, hint: str) -> list[str]:
    """The project's tests run, at least `at_least` of them, and pass."""
    status, ran, printed = test_run(session)
    expected = f"`python manage.py test` to run at least {at_least} tests, and pass"
    shown = tail(printed, 15) or f"nothing printed (exit status {status})"
    if ran is None:
        raise CheckFailed(expected, f"it ran no tests (exit status {status}):\n{shown}", hint)
    if ran < at_least:
        raise CheckFailed(expected, f"it ran {ran} test{'s' * (ran != 1)}:\n{shown}", hint)
    if status != 0:
        raise CheckFailed(
            expected,
            f"{ran} tests ran, and not all passed (exit status {status}):\n{shown}",
            "each FAIL or ERROR above names a test and, under it, the line that failed: fix "
            "the code (or the test, if it expects the wrong thing) and run the tests again",
        )
    return [f"{ran} tests ran and passed"]


@check(
    5,
    "tests",
    "the project's tests run, and pass",
    (5, "Tests"),
    needs=["w1.system-check"],
)
def project_tests(session: Session):
    return tests_pass(
        session,
        5,
        "Django's test runner finds the classes that extend django.test.TestCase in a file "
        "named test*.py in each app (messaging/tests.py, posts/tests.py), and runs their "
        "methods whose names start with test",
    )
