"""Week 6: the REST API (tokens, posts, messages, the schema) and retro against the site."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import httpx

from cli.checks import CheckFailed, check
from cli.checks.session import PASSWORD, Session, tail
from cli.checks.web import describe
from cli.checks.week4 import open_socket, receive_text
from cli.checks.week5 import people


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
