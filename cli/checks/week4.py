"""Week 4, real time: Daphne and Channels, the feed socket, broadcasting new posts, Redis."""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid

from cli.checks import CheckFailed, check
from cli.checks.session import Session, SessionError, free_port, tail
from cli.checks.web import Visitor, describe, login, open_websocket
from cli.checks.web import socket_url as web_socket_url
from cli.checks.week2 import author, post, post_count

FEED_PATH = "/ws/feed"
UNREACHABLE_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there


def socket_url(server, path: str = FEED_PATH) -> str:
    return web_socket_url(server, path)


def open_socket(server, origin: str | None = None, path: str = FEED_PATH):
    """A websocket client connected to `path`, as a page of `origin` would connect."""
    return open_websocket(
        server,
        path,
        f"a websocket at {path} that accepts connections from the site's own pages",
        origin=origin,
    )


def receive_text(socket, wanted: str, seconds: float = 6) -> str | None:
    """The first message that contains `wanted`, or None after `seconds`."""
    import websocket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        socket.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            message = socket.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except (OSError, websocket.WebSocketException):
            return None
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        if wanted in message:
            return message
    return None


@check(
    4,
    "daphne",
    "daphne is first in INSTALLED_APPS, so runserver speaks websockets",
    (4, "Daphne"),
    needs=["w1.system-check"],
)
def daphne_installed(session: Session):
    apps = session.facts()["installed_apps"]
    if "daphne" not in apps:
        raise CheckFailed(
            '"daphne" in INSTALLED_APPS, before django.contrib.staticfiles',
            "no daphne: runserver is Django's own, which answers every websocket with a 404",
        )
    if "django.contrib.staticfiles" in apps and apps.index("daphne") > apps.index(
        "django.contrib.staticfiles"
    ):
        raise CheckFailed(
            '"daphne" before django.contrib.staticfiles (the first runserver wins)',
            f"daphne is at position {apps.index('daphne') + 1}",
        )


@check(4, "asgi", "ASGI_APPLICATION routes websockets", (4, "routing"), needs=["w1.system-check"])
def asgi_application(session: Session):
    facts = session.facts()
    if not facts["asgi_application"]:
        raise CheckFailed('ASGI_APPLICATION = "retrosocial.asgi.application"', "not set")
    if not facts["asgi_type"] or str(facts["asgi_type"]).startswith("error"):
        raise CheckFailed(f"{facts['asgi_application']} to import", str(facts["asgi_type"]))
    return [f"{facts['asgi_application']} is a {facts['asgi_type'].rsplit('.', 1)[-1]}"]


@check(
    4,
    "socket",
    f"the feed socket at {FEED_PATH} accepts connections",
    (4, "consumer"),
    needs=["w1.home"],
)
def feed_socket(session: Session):
    socket = open_socket(session.dev_server())
    socket.close()


@check(
    4,
    "origin",
    "a socket opened by another site's page is refused",
    (4, "routing"),
    needs=["w4.socket"],
)
def other_origins_refused(session: Session):
    server = session.dev_server()
    expected = "the handshake refused with 403"
    try:
        socket = open_websocket(server, FEED_PATH, expected, origin="https://evil.example.com")
    except CheckFailed as failure:
        if "refused with HTTP 403" in failure.seen:
            return
        raise
    socket.close()
    raise CheckFailed(
        "a socket from https://evil.example.com refused (AllowedHostsOriginValidator)",
        "it was accepted: any website could read your visitors' live feed with their cookies",
    )


@check(
    4,
    "broadcast",
    "a new post arrives at once on every open feed socket",
    (4, "Broadcast"),
    needs=["w4.socket", "w2.post"],
)
def broadcast(session: Session):
    server = session.dev_server()
    listeners = [open_socket(server), open_socket(server)]
    try:
        visitor, home, username = author(session)
        text = f"live {uuid.uuid4().hex[:10]}"
        response = post(visitor, home, text)
        if not response.is_redirect:
            raise CheckFailed("the post saved (and a redirect)", describe(response))
        for socket in listeners:
            message = receive_text(socket, text)
            if message is None:
                raise CheckFailed(
                    "the new post's text on the feed socket within 6 s",
                    "nothing arrived",
                    "send it with the channel layer's group_send, in transaction.on_commit",
                )
    finally:
        for socket in listeners:
            socket.close()
    try:
        data = json.loads(message)
    except ValueError:
        return ["the message is not JSON (the page's script must parse it as it is)"]
    return [f"the message has {', '.join(sorted(data)) if isinstance(data, dict) else 'a list'}"]


@check(
    4,
    "redis-down",
    "a post is saved even while Redis is down",
    (4, "Broadcast"),
    needs=["w4.broadcast"],
)
def saved_without_redis(session: Session):
    port = free_port()
    env = session.dev_env(REDIS_URL=UNREACHABLE_REDIS)
    argv = [session.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = session.start("redis-down", argv, env, port)
    visitor = Visitor(server)
    username = session.create_user("user")
    home = login(session, visitor, username)
    count = post_count(session)
    started = time.monotonic()
    response = post(visitor, home, f"while redis is down {secrets.token_hex(4)}")
    took = time.monotonic() - started
    server.stop()
    if post_count(session) != count + 1 or response.status_code >= 500:
        seen = describe(response, also=f"; {post_count(session) - count} post(s) saved")
        if "\nthe server's log says:" not in seen:
            seen += "\n" + tail(server.output(), 6)
        raise CheckFailed(
            "the post saved and the page answered, with Redis unreachable (the live update is "
            "what fails, not the post)",
            seen,
            "catch and log the error of group_send: the post is already in the database",
        )
    return [f"posting took {took:.1f} s with Redis unreachable"]


REDIS_EXAMPLE = "redis://127.0.0.1:6379/0"


def ahead(session: Session) -> None:
    """What the project says about its channel layer when REDIS_URL is set."""
    session.facts_ahead(session.dev_env(REDIS_URL=REDIS_EXAMPLE))


@check(
    4,
    "redis",
    "the channel layer is Redis when REDIS_URL is set",
    (4, "channel layer"),
    needs=["w1.system-check"],
)
def redis_layer(session: Session):
    facts = session.facts(env=session.dev_env(REDIS_URL=REDIS_EXAMPLE), key="redis")
    backend = facts["channel_layer"]
    if not backend.startswith("channels_redis."):
        raise CheckFailed(
            "CHANNEL_LAYERS to use channels_redis when REDIS_URL is set",
            f"BACKEND {backend or 'not set'!r}",
        )
    redis = session.services.get("redis")
    if not redis:
        return [f"{backend}; Redis itself not tried: pass --redis URL to test delivery through it"]
    return [fan_out(session, redis)]


def fan_out(session: Session, redis: str) -> str:
    """Two server processes on one Redis: a post made through one reaches a socket on the
    other, as two Heroku dynos would."""
    prefix = f"retro-check-{secrets.token_hex(4)}"
    servers = []
    for name in ("redis-a", "redis-b"):
        port = free_port()
        env = session.dev_env(REDIS_URL=redis, CHANNEL_LAYER_PREFIX=prefix)
        argv = [session.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        try:
            servers.append(session.start(name, argv, env, port))
        except SessionError as error:
            raise CheckFailed(
                f"a server using Redis at {redis}", f"{error}\n{error.seen}"
            ) from None
    socket = open_socket(servers[1])
    try:
        visitor = Visitor(servers[0])
        home = login(session, visitor, session.create_user("user"))
        text = f"across processes {uuid.uuid4().hex[:10]}"
        post(visitor, home, text)
        if receive_text(socket, text) is None:
            raise CheckFailed(
                "a post made through one server process to reach a socket on another one",
                "nothing arrived: is the channel layer's Redis the one in REDIS_URL?",
            )
    finally:
        socket.close()
        for server in servers:
            server.stop()
    return "a post made on one server process reached a socket on another, through Redis"


@check(
    4,
    "script",
    "the page's script connects (wss on https) and reconnects",
    (4, "script"),
    needs=["w1.home"],
)
def page_script(session: Session):
    visitor = Visitor(session.dev_server())
    page = visitor.page("/", "the home page")
    code = "\n".join(page.inline_scripts)
    for src in page.scripts:
        path = visitor.local(src)
        if path.startswith("/"):
            response = visitor.get(path)
            if response.status_code == 200:
                code += "\n" + response.text
    missing = []
    if "WebSocket" not in code:
        missing.append("no `new WebSocket(…)`")
    if not re.search(r"wss", code):
        missing.append("no wss:// (browsers refuse ws:// from an https page)")
    if not re.search(r"onclose|[\"']close[\"']", code) or "setTimeout" not in code:
        missing.append("no reconnect: a close handler that tries again with setTimeout")
    if missing:
        raise CheckFailed(
            "a script on the home page that opens the feed socket, with wss:// on https pages, "
            "and opens it again when it closes",
            "; ".join(missing),
        )
