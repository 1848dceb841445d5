"""Week 6: the REST API (tokens, posts, messages, the schema) and retro against the site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import httpx

from cli.checks import CheckFailed, check
from cli.checks.session import PASSWORD, Session, tail
from cli.checks.web import (
    SIGNUP_PATHS,
    SIGNUP_WORDS,
    Visitor,
    describe,
    find_form_page,
    handshake_hint,
    server_error_hint,
    socket_url,
    user_field,
)
from cli.checks.week2 import author, post, post_count
from cli.checks.week4 import FEED_PATH, open_socket, receive_text
from cli.checks.week5 import INBOX_SOCKET, people, tests_pass
from cli.checks.week5 import ahead as week5_ahead


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


@check(
    6,
    "api-token",
    "the API gives a token for a username and password, and knows who it is",
    (6, "REST API"),
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
    6,
    "api-posts",
    "a post made through the API is in the feed and on /ws/feed",
    (6, "REST API"),
    needs=["w6.api-token", "w4.broadcast"],
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
    6,
    "api-messages",
    "messages through the API reach their two people and nobody else",
    (6, "REST API"),
    needs=["w6.api-token", "w5.send"],
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
    6,
    "schema",
    "the API describes itself: an OpenAPI schema at /api/schema/",
    (6, "REST API"),
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


def token_socket(session: Session, path: str, token: str, expected: str):
    """A websocket to `path` as a program opens one: its token in an `Authorization: Token`
    header, no Origin, no cookie. A refused handshake fails the check with its status."""
    import websocket

    server = session.dev_server()
    mark = server.mark()
    try:
        return websocket.create_connection(
            socket_url(server, path),
            timeout=5,
            header=[f"Authorization: Token {token}"],
            suppress_origin=True,
        )
    except websocket.WebSocketBadStatusException as error:
        status = error.status_code
        seen = f"the handshake was refused with HTTP {status}"
        hint = handshake_hint(status)
        if status >= 500:
            errors = server.errors_since(mark)
            seen += f"\nthe server's log says:\n{errors}" if errors else ""
        elif status == 403:
            hint = TOKEN_SOCKET_HINT
        raise CheckFailed(expected, seen, hint) from None
    except (OSError, websocket.WebSocketException) as error:
        errors = server.errors_since(mark, wait=0.5)
        log = f"\nthe server's log says:\n{errors}" if errors else ""
        raise CheckFailed(expected, f"{type(error).__name__}: {error}{log}") from None


TOKEN_SOCKET_HINT = (
    "a 403 means the socket was refused before it was accepted: a program sends no Origin, so "
    "an origin check in front of every socket (AllowedHostsOriginValidator) refuses it. With "
    "an Authorization: Token header, the middleware in front of the consumers puts the token's "
    "user in scope['user'] and checks no Origin"
)


def refused_socket(session: Session, path: str, header: list[str]) -> bool:
    """Is a socket to `path` with these handshake headers (and no Origin) refused: its
    handshake answered with an error, or the socket closed before anything else came?"""
    import websocket

    try:
        socket = websocket.create_connection(
            socket_url(session.dev_server(), path),
            timeout=5,
            header=header,
            suppress_origin=True,
        )
    except (websocket.WebSocketBadStatusException, ConnectionError):
        return True
    try:
        return close_code(socket, seconds=2) is not None
    finally:
        socket.close()


def close_code(socket, seconds: float) -> int | None:
    """The code the server closes `socket` with within `seconds` (1005 if it gave none), or
    None if it stays open; what arrives before the close (items, control frames) is passed
    over. The close frame is read, not answered: the server may already have dropped the
    connection after sending it, and answering would then fail as if no frame had come."""
    import websocket

    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        socket.settimeout(left)
        try:
            frame = socket.recv_frame()
            if frame.opcode == websocket.ABNF.OPCODE_PING:
                socket.pong(frame.data)
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return 1006  # ended without a close frame
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            data = frame.data
            return int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
    return None


@check(
    6,
    "token-socket",
    "a program's token opens /ws/inbox as its user; a bad token is refused",
    (6, "Tokens on websockets"),
    needs=["w6.api-messages", "w5.inbox-socket"],
)
def token_socket_check(session: Session):
    crowd = people(session)
    ada, bob = crowd["ada"][0], crowd["bob"][0]
    socket = token_socket(
        session,
        INBOX_SOCKET,
        token_for(session, ada),
        f"a socket to {INBOX_SOCKET} with `Authorization: Token <{ada}'s key>` and no Origin "
        "(as a program opens it) accepted",
    )
    try:
        text = f"for your token's socket {uuid.uuid4().hex[:8]}"
        sent = api(
            session, "POST", f"/api/messages/{ada}", token_for(session, bob), json={"text": text}
        )
        if sent.status_code != 201:
            raise CheckFailed(f'POST /api/messages/{ada} {{"text": …}} → 201', shown(sent))
        if receive_text(socket, text) is None:
            raise CheckFailed(
                f"{bob}'s message on {ada}'s token socket to {INBOX_SOCKET} within 6 s",
                "nothing came",
                "the socket belongs to the token's user: the middleware puts that user in "
                "scope['user'], where the consumer reads whose inbox to follow",
            )
    finally:
        socket.close()
    bad = f"Authorization: Token not-a-key-{uuid.uuid4().hex}"
    if not refused_socket(session, FEED_PATH, [bad]):
        raise CheckFailed(
            f"a socket to {FEED_PATH} with an unknown token refused",
            "it was accepted",
            "a bad or revoked token is refused (WebsocketDenier), not let in as anonymous: "
            "a program whose token ended must find out",
        )


def catch_up(session: Session, path: str, token: str, after: int, wanted: list[str]) -> str:
    """What is wrong with `GET path?after=…` ("" if nothing): it must answer the texts
    `wanted`, oldest first, and nothing else."""
    response = api(session, "GET", f"{path}?after={after}", token)
    if response.status_code != 200:
        return f"GET {path}?after={after}: {shown(response)}"
    got = [item.get("text") if isinstance(item, dict) else item for item in results(response)]
    if got != wanted:
        return (
            f"GET {path}?after={after} answered the texts {json.dumps(got)[:300]}; "
            f"expected {json.dumps(wanted)}"
        )
    return ""


def item_id(response, what: str) -> int:
    """The id of the post or message a 201 answer describes."""
    if response.status_code != 201:
        raise CheckFailed(f"{what} → 201", shown(response))
    try:
        found = response.json().get("id")
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, int):
        raise CheckFailed(
            f"{what} to answer the new item as JSON, with its id", response.text[:200]
        )
    return found


@check(
    6,
    "catch-up",
    "clients catch up with ?after=ID, and logging out ends a token's socket (4401)",
    (6, "keeps up"),
    needs=["w6.token-socket", "w6.api-posts"],
)
def catch_up_check(session: Session):
    crowd = people(session)
    ada, bob, eve = crowd["ada"][0], crowd["bob"][0], crowd["eve"][0]
    tokens = {name: token_for(session, name) for name in (ada, bob, eve)}
    mark = uuid.uuid4().hex[:8]

    def message(sender: str, recipient: str, text: str) -> int:
        return item_id(
            api(
                session,
                "POST",
                f"/api/messages/{recipient}",
                tokens[sender],
                json={"text": f"{text} {mark}"},
            ),
            f"POST /api/messages/{recipient}",
        )

    def posted(text: str) -> int:
        response = api(session, "POST", "/api/posts", tokens[ada], json={"text": f"{text} {mark}"})
        return item_id(response, "POST /api/posts")

    problems = []
    # Ada's messages, sent and received, with someone else's in between.
    first = message(bob, ada, "first")
    message(eve, bob, "not ada's")
    message(ada, bob, "second")
    message(bob, ada, "third")
    wanted = [f"second {mark}", f"third {mark}"]
    problems.append(catch_up(session, "/api/inbox", tokens[ada], first, wanted))
    start = posted("first")
    posted("second")
    posted("third")
    problems.append(catch_up(session, "/api/posts", tokens[ada], start, wanted))
    problems.append(logging_out_ends_socket(session))
    problems = [problem for problem in problems if problem]
    if problems:
        raise CheckFailed(
            f"GET /api/inbox?after=ID ({ada}'s messages sent or received) and "
            "GET /api/posts?after=ID to answer what came after ID, oldest first; "
            "DELETE /api/auth/token to close that token's open sockets with 4401",
            "\n".join(problems),
            "the catch-up lists are the API's lists with ?after=ID (the rows with a greater "
            "id, ordered by id); a socket ends with its credentials when the token's deletion "
            "(a post_delete signal) closes the sockets opened with it",
        )


def logging_out_ends_socket(session: Session) -> str:
    """What is wrong ("" if nothing) when someone logs out through the API with a token
    socket open: it must close with 4401 within a few seconds."""
    username = session.create_user("user")  # of their own: logging out ends their token
    token = token_for(session, username)
    socket = token_socket(
        session,
        INBOX_SOCKET,
        token,
        f"a socket to {INBOX_SOCKET} with `Authorization: Token <key>` and no Origin accepted",
    )
    try:
        response = api(session, "DELETE", "/api/auth/token", token)
        session.cache["tokens"].pop(username)
        if response.status_code not in (200, 204):
            return f"DELETE /api/auth/token: {shown(response)}"
        code = close_code(socket, seconds=5)
    finally:
        socket.close()
    if code is None:
        return "after DELETE /api/auth/token, the token's socket stayed open for 5 s"
    if code != 4401:
        return f"after DELETE /api/auth/token, the token's socket closed with {code}, not 4401"
    return ""


def ahead(session: Session) -> None:
    """The project's tests (as week 5 runs them: one run serves both weeks)."""
    week5_ahead(session)


@check(
    6,
    "retro",
    "retro, the course's command line, works against your site",
    (6, "retro"),
    needs=["w6.api-posts"],
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


@check(
    6,
    "tests",
    "the project's tests run, and pass, the API's with them",
    (6, "Tests for the API"),
    needs=["w1.system-check"],
)
def api_tests(session: Session):
    return tests_pass(
        session,
        13,
        "the API is a second door to the same messages: its tests (in messaging/tests.py) "
        "check, with a Token for each person, that a message sent through it arrives and that "
        "a third person's token reads none of it",
    )


INVISIBLE = "\u200b\u200b"  # two zero-width spaces: a post that shows nothing
OVERRIDE = "\u202e"  # reverses everything shown after it


@check(
    6,
    "doors",
    "the same rules hold at every door: the pages' forms and the API",
    (6, "Every door locked"),
    needs=["w6.api-posts", "w3.signup", "w2.empty-post"],
)
def doors(session: Session):
    problems = text_rules(session) + username_rules(session) + api_answers(session)
    if problems:
        raise CheckFailed(
            "posts of only invisible characters or with a bidirectional override refused by the "
            "home page's form and by POST /api/posts (400); a username that differs from one "
            "taken only in case refused by sign-up (form and API); JSON for an unknown /api/ "
            "URL; a Content-Security-Policy with script-src 'self'",
            "\n".join(problems),
            "one rule, one place that every door calls: the text rules in the service that "
            "saves a post (post_create), the username's in the one that creates an account "
            "(user_create); the API's JSON 404 for any other /api/ URL; a middleware "
            "(django-csp's CSPMiddleware) for the header",
        )
    return ["posts, usernames, the API's 404 and the Content-Security-Policy: every door holds"]


def text_rules(session: Session) -> list[str]:
    visitor, _, _ = author(session)
    token = token_for(session, people(session)["ada"][0])
    problems = []
    texts = {
        "only invisible characters": INVISIBLE,
        "a bidirectional override": f"check {OVERRIDE}{uuid.uuid4().hex[:8]}",
    }
    for what, text in texts.items():
        count = post_count(session)
        response = post(visitor, visitor.page("/", "the home page"), text)
        if response.status_code >= 500:
            raise CheckFailed(
                f"a post of {what} from the home page refused with the form's error",
                describe(response),
                server_error_hint(response),
            )
        if post_count(session) != count:
            problems.append(f"the home page's form saved a post of {what}")
        count = post_count(session)
        response = api(session, "POST", "/api/posts", token, json={"text": text})
        if response.status_code != 400 or post_count(session) != count:
            # Escaped: an override in the answer would reverse the rest of the line shown.
            answer = shown(response).encode("ascii", "backslashreplace").decode()
            problems.append(f"POST /api/posts of {what}: {answer}")
    return problems


def user_exists(session: Session, username: str) -> bool:
    code = (
        "import json\nfrom django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        f"found = User.objects.filter(**{{User.USERNAME_FIELD: {username!r}}}).exists()\n"
        "print('RETRO:' + json.dumps(found))\n"
    )
    return bool(session.shell(code))


def username_rules(session: Session) -> list[str]:
    taken = people(session)["eve"][0]
    problems = []
    visitor = Visitor(session.dev_server())
    home = visitor.page("/", "the home page")
    found = find_form_page(visitor, home, SIGNUP_WORDS, SIGNUP_PATHS, [], passwords=2)
    if found is None:
        raise CheckFailed("the sign-up page of week 3", "no sign-up form found")
    url, _, form = found
    shouting = taken.upper()
    values = {user_field(form): shouting}
    for field in form.passwords:
        values[field.name] = PASSWORD
    for field in form.text_fields:
        if field.name not in values:
            values[field.name] = f"{taken}@example.com" if "mail" in field.name else "x"
    response = visitor.submit(form, url, values)
    if response.status_code >= 500:
        raise CheckFailed(
            f"signing up as {shouting}, when {taken} exists, refused with the form's error",
            describe(response),
            server_error_hint(response),
        )
    if user_exists(session, shouting):
        problems.append(f"the sign-up form made an account {shouting} when {taken} exists")
    title = taken.capitalize()
    response = api(
        session, "POST", "/api/auth/signup", json={"username": title, "password": PASSWORD}
    )
    if response.status_code != 400 or user_exists(session, title):
        problems.append(f"POST /api/auth/signup as {title}, when {taken} exists: {shown(response)}")
    return problems


def api_answers(session: Session) -> list[str]:
    problems = []
    path = f"/api/no-such-thing-{uuid.uuid4().hex[:8]}"
    response = api(session, "GET", path)
    try:
        response.json()
        is_json = "json" in response.headers.get("content-type", "")
    except ValueError:
        is_json = False
    if response.status_code != 404 or not is_json:
        kind = response.headers.get("content-type", "no content type")
        problems.append(f"GET {path}: HTTP {response.status_code}, {kind}, not a JSON 404")
    policy = api(session, "GET", "/").headers.get("content-security-policy", "")
    if not script_src_self(policy):
        problems.append(
            f"the home page's Content-Security-Policy: {policy!r}"
            if policy
            else "the home page has no Content-Security-Policy header"
        )
    return problems


def script_src_self(policy: str) -> bool:
    """Does the policy let scripts come from the site's own files (script-src 'self')?"""
    for directive in policy.split(";"):
        words = directive.split()
        if words and words[0].lower() == "script-src":
            return "'self'" in (word.lower() for word in words[1:])
    return False
