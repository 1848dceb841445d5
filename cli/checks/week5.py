"""Week 5, the capstone: direct messages (pages, live inbox, privacy), the REST API, retro."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx

from cli.checks import CheckFailed, check
from cli.checks.page import Page
from cli.checks.session import PASSWORD, Session, tail
from cli.checks.web import Visitor, describe, login
from cli.checks.week4 import open_socket, receive_text, socket_url

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


def api(session: Session, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"Authorization": f"Token {token}"} if token else {}
    try:
        return httpx.request(
            method, session.dev_server().base_url + path, headers=headers, timeout=15, **kwargs
        )
    except httpx.HTTPError as error:
        raise CheckFailed(
            f"an answer from {method} {path}", f"{type(error).__name__}: {error}"
        ) from None


def token_for(session: Session, username: str) -> str:
    tokens = session.cache.setdefault("tokens", {})
    if username not in tokens:
        response = api(
            session, "POST", "/api/auth/token", json={"username": username, "password": PASSWORD}
        )
        if response.status_code != 200 or "token" not in response.text:
            raise CheckFailed(
                'POST /api/auth/token {username, password} → 200 {"token": …}',
                shown(response),
            )
        tokens[username] = response.json()["token"]
    return tokens[username]


def shown(response) -> str:
    if "json" in response.headers.get("content-type", ""):
        return f"HTTP {response.status_code}: {response.text[:200]}"
    return describe(response)


def results(response) -> list:
    try:
        body = response.json()
    except ValueError:
        return []
    return body.get("results", []) if isinstance(body, dict) else body


@check(5, "login-required", "the messages pages need a login", (5, "pages"), needs=["w2.login"])
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
    (5, "pages"),
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
    5, "private-pages", "nobody else sees a message on any page", (5, "pages"), needs=["w5.send"]
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
        try:
            return websocket.create_connection(
                socket_url(server, INBOX_SOCKET), timeout=5, origin=server.base_url, cookie=cookie
            )
        except (OSError, websocket.WebSocketException) as error:
            raise CheckFailed(
                "a logged-in page's socket to /ws/inbox accepted",
                f"{type(error).__name__}: {error}",
            ) from None

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


@check(
    5,
    "api-token",
    "the API gives a token for a username and password, and knows who it is",
    (5, "REST API"),
    needs=["w2.login"],
)
def api_token(session: Session):
    username = people(session)["ada"][0]
    token = token_for(session, username)
    response = api(session, "GET", "/api/me", token)
    if response.status_code != 200 or response.json().get("username") != username:
        raise CheckFailed(
            f'GET /api/me with the token → {{"username": "{username}", …}}',
            shown(response),
        )
    anonymous = api(session, "GET", "/api/me")
    if anonymous.status_code not in (401, 403):
        raise CheckFailed("GET /api/me without a token → 401", describe(anonymous))


@check(
    5,
    "api-posts",
    "a post made through the API is in the feed and on /ws/feed",
    (5, "REST API"),
    needs=["w5.api-token", "w4.broadcast"],
)
def api_posts(session: Session):
    ada = people(session)["ada"][0]
    token = token_for(session, ada)
    listener = open_socket(session.dev_server())
    try:
        text = f"posted through the API {uuid.uuid4().hex[:8]}"
        response = api(session, "POST", "/api/posts", token, json={"text": text})
        if response.status_code != 201:
            raise CheckFailed('POST /api/posts {"text": …} → 201', describe(response))
        if receive_text(listener, text) is None:
            raise CheckFailed("the API's post on /ws/feed too", "nothing arrived")
    finally:
        listener.close()
    newest = results(api(session, "GET", "/api/posts"))
    if not newest or newest[0].get("text") != text:
        raise CheckFailed(
            "GET /api/posts, newest first, to start with it", json.dumps(newest[:1])[:200]
        )
    empty = api(session, "POST", "/api/posts", token, json={"text": ""})
    if empty.status_code != 400:
        raise CheckFailed("an empty post refused with 400 and the field's message", describe(empty))


@check(
    5,
    "api-messages",
    "messages through the API reach their two people and nobody else",
    (5, "REST API"),
    needs=["w5.api-token", "w5.send"],
)
def api_messages(session: Session):
    crowd = people(session)
    ada, bob, eve = crowd["ada"][0], crowd["bob"][0], crowd["eve"][0]
    text = f"through the API {uuid.uuid4().hex[:8]}"
    sent = api(
        session, "POST", f"/api/messages/{bob}", token_for(session, ada), json={"text": text}
    )
    if sent.status_code != 201:
        raise CheckFailed(f'POST /api/messages/{bob} {{"text": …}} → 201', describe(sent))
    got = results(api(session, "GET", f"/api/messages/{ada}", token_for(session, bob)))
    if text not in json.dumps(got):
        raise CheckFailed(f"GET /api/messages/{ada} as {bob} to include it", json.dumps(got)[:200])
    leaks = [
        path
        for path in ("/api/messages", f"/api/messages/{ada}", f"/api/messages/{bob}")
        if text in api(session, "GET", path, token_for(session, eve)).text
    ]
    if leaks:
        raise CheckFailed(
            "a third person to get none of it from the API", f"{', '.join(leaks)} shows it to them"
        )


@check(
    5,
    "schema",
    "the API describes itself: an OpenAPI schema at /api/schema/",
    (5, "REST API"),
    needs=["w1.home"],
)
def schema(session: Session):
    response = api(session, "GET", "/api/schema/")
    if response.status_code != 200 or "openapi" not in response.text[:200]:
        raise CheckFailed("GET /api/schema/ → an OpenAPI 3 document", describe(response))
    missing = [
        p
        for p in ("/api/posts", "/api/messages/{username}", "/api/auth/token")
        if p not in response.text
    ]
    if missing:
        raise CheckFailed("the schema to list every endpoint", f"missing: {', '.join(missing)}")


@check(
    5,
    "retro",
    "retro, the course's command line, works against your site",
    (5, "retro"),
    needs=["w5.api-posts"],
)
def retro_cli(session: Session):
    """`retro login`, `retro post` and `retro feed` against the development server."""
    username = people(session)["bob"][0]
    server = session.dev_server().base_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETRO_")}
    env["RETRO_CONFIG_DIR"] = str(session.tmp / "retro-config")

    def retro(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                [sys.executable, "-m", "cli.main", "--server", server, *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=env,
                cwd=session.tmp,
                timeout=session.remaining(60),
            )
        except subprocess.TimeoutExpired:
            raise CheckFailed(
                f"retro {' '.join(args)} to finish", "it did not, within 60 s"
            ) from None

    steps = [
        (("login", username, "--password-stdin"), PASSWORD + "\n"),
        (("post", text := f"from retro {uuid.uuid4().hex[:8]}"), ""),
        (("feed", "--limit", "5", "--json"), ""),
    ]
    for args, stdin in steps:
        result = retro(*args, stdin=stdin)
        if result.returncode != 0:
            raise CheckFailed(f"`retro {' '.join(args)}` to succeed", tail(result.stderr, 4))
    if text not in result.stdout:
        raise CheckFailed("`retro feed` to show the post `retro post` made", result.stdout[:200])
