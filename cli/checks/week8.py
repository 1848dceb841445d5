"""Week 8, the tools of the trade: the development tools of requirements-local.txt loaded with
DEBUG on only; a /people page whose queries do not grow with the people on it; CORS for the
API from the origins of CORS_ALLOWED_ORIGINS only; a token on a websocket as the subprotocols a
browser can send; and the static frontend's files."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx

from cli.checks import CheckFailed, check
from cli.checks.session import Server, Session, free_port
from cli.checks.web import socket_url
from cli.checks.week4 import FEED_PATH
from cli.checks.week6 import token_for

LOCAL_REQUIREMENTS = "requirements-local.txt"
INSTALL_LOCAL = f"python -m pip install -r {LOCAL_REQUIREMENTS}"
TOOL_APPS = ("debug_toolbar", "django_extensions")
TOOLBAR_MIDDLEWARE = "debug_toolbar.middleware.DebugToolbarMiddleware"

# What the settings load, and which of the tools this Python has.
DEV_SETTINGS = """
import json
from importlib.util import find_spec
from django.conf import settings
print("RETRO:" + json.dumps({
    "apps": list(settings.INSTALLED_APPS),
    "middleware": list(settings.MIDDLEWARE),
    "installed": {
        name: find_spec(name) is not None for name in ("debug_toolbar", "django_extensions")
    },
}))
"""

# GET /people as a visitor with `count` active people (and no others), counting its queries;
# in a transaction that is rolled back, so the session's database is left as it was.
PEOPLE_QUERIES = """
import json
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
User = get_user_model()
seen = []
with transaction.atomic():
    User.objects.update(is_active=False)
    made = []
    for count in (3, 20):
        while len(made) < count:
            person = User.objects.create_user(f"{prefix}{{len(made):02d}}")
            person.posts.create(text=f"Hello from {{person.username}}")
            made.append(person.username)
        with CaptureQueriesContext(connection) as queries:
            response = Client(HTTP_HOST="localhost").get("/people")
        text = response.content.decode("utf-8", "replace")
        seen.append({{
            "status": response.status_code,
            "queries": len(queries.captured_queries),
            "missing": [name for name in made if name not in text],
        }})
    transaction.set_rollback(True)
print("RETRO:" + json.dumps(seen))
"""

PREFLIGHT_HEADERS = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}
TOKEN_PROTOCOL = "retrosocial.token"
FRONTEND = "frontend"


def tools_env(env: dict[str, str]) -> dict[str, str]:
    """`env` without PYTEST_VERSION: the settings keep the tools out of test runs, and a check
    run from a test suite is still asking what `runserver` would load."""
    return {key: value for key, value in env.items() if key != "PYTEST_VERSION"}


def ahead(session: Session) -> None:
    """The settings with production's environment and with development's."""
    for env in (session.production_env(), session.dev_env()):
        session.manage_ahead("shell", "-c", DEV_SETTINGS, env=tools_env(env))


def requirement_names(path: Path) -> set[str]:
    """The packages a requirements file names (lower case, `_` as `-`), its `-r` lines aside."""
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name = re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0]
            names.add(name.lower().replace("_", "-"))
    return names


@check(
    8,
    "devtools-dev-only",
    "the debug toolbar and django-extensions in requirements-local.txt, loaded with DEBUG only",
    (8, "Loaded only while you develop"),
    needs=["w1.system-check"],
)
def devtools_dev_only(session: Session):
    local = session.dir / LOCAL_REQUIREMENTS
    if not local.is_file():
        raise CheckFailed(
            f"a {LOCAL_REQUIREMENTS} beside requirements.txt, with django-debug-toolbar and "
            "django-extensions",
            f"there is no {LOCAL_REQUIREMENTS}",
            "-r requirements.txt, then the two tools pinned (lesson step 1)",
        )
    names = requirement_names(local)
    wanted = {"django-debug-toolbar", "django-extensions"}
    if not wanted <= names:
        raise CheckFailed(
            f"{LOCAL_REQUIREMENTS} to name django-debug-toolbar and django-extensions",
            f"it names {', '.join(sorted(names)) or 'nothing'}",
        )
    in_production = wanted & requirement_names(session.dir / "requirements.txt")
    if in_production:
        raise CheckFailed(
            "the development tools in requirements-local.txt only (Heroku installs "
            "requirements.txt)",
            f"requirements.txt names {', '.join(sorted(in_production))}",
        )
    production = session.shell(DEV_SETTINGS, env=tools_env(session.production_env()))
    loaded = [app for app in TOOL_APPS if app in production["apps"]]
    if loaded or TOOLBAR_MIDDLEWARE in production["middleware"]:
        seen = [f"INSTALLED_APPS has {app}" for app in loaded]
        if TOOLBAR_MIDDLEWARE in production["middleware"]:
            seen.append(f"MIDDLEWARE has {TOOLBAR_MIDDLEWARE}")
        raise CheckFailed(
            "with DEBUG off (production's settings), neither tool loaded",
            "\n".join(seen),
            "add them to INSTALLED_APPS and MIDDLEWARE only `if DEBUG` (and when installed)",
        )
    development = session.shell(DEV_SETTINGS, env=tools_env(session.dev_env()))
    missing = [name for name in TOOL_APPS if not development["installed"][name]]
    if missing:
        raise CheckFailed(
            f"the packages of {LOCAL_REQUIREMENTS} installed in your project's Python",
            f"it has no {' and no '.join(missing)}",
            f"in the project's folder, with its virtual environment active: {INSTALL_LOCAL}",
        )
    absent = [app for app in TOOL_APPS if app not in development["apps"]]
    if TOOLBAR_MIDDLEWARE not in development["middleware"]:
        absent.append(TOOLBAR_MIDDLEWARE + " (MIDDLEWARE)")
    if absent:
        raise CheckFailed(
            "with DEBUG=1, both tools loaded: debug_toolbar and django_extensions in "
            "INSTALLED_APPS, and the toolbar's middleware",
            f"missing: {', '.join(absent)}",
            "settings.py as in the lesson: development_tool(...) appends them when DEBUG is on",
        )
    return ["with DEBUG off neither tool is loaded; with DEBUG=1 both are"]


@check(
    8,
    "people-queries",
    "/people lists the people in as many queries for 3 of them as for 20",
    (8, "Let the database count"),
    needs=["w1.home"],
)
def people_queries(session: Session):
    session.migrated()
    prefix = f"p{secrets.token_hex(3)}"
    few, many = session.shell(PEOPLE_QUERIES.format(prefix=prefix))
    if few["status"] != 200 or many["status"] != 200:
        raise CheckFailed(
            "GET /people to answer 200: the page of who's here",
            f"HTTP {few['status']}, then HTTP {many['status']}",
            "a view `people`, path('people', ...) in users/urls.py, and its template",
        )
    if few["missing"] or many["missing"]:
        missing = few["missing"] or many["missing"]
        raise CheckFailed(
            "/people to list every active person by name",
            f"it does not show {', '.join(missing[:3])}",
        )
    if many["queries"] != few["queries"]:
        raise CheckFailed(
            "the same number of database queries for /people with 3 people and with 20",
            f"{few['queries']} queries with 3 people, {many['queries']} with 20: more for every "
            "person (an N+1)",
            "let the database count: .annotate(post_count=Count('posts'), "
            "latest_post=Max('posts__created')) in the view, and those names in the template",
        )
    return [f"GET /people made {few['queries']} queries with 3 people, and with 20"]


def cors_server(session: Session) -> tuple[Server, str]:
    """A development server with one allowed origin (CORS_ALLOWED_ORIGINS), started once; the
    server and that origin."""
    if "cors" not in session.cache:
        session.migrated()
        origin = f"http://127.0.0.1:{free_port()}"
        port = free_port()
        argv = [session.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        server = session.start("cors", argv, session.dev_env(CORS_ALLOWED_ORIGINS=origin), port)
        session.cache["cors"] = (server, origin)
    return session.cache["cors"]  # type: ignore[return-value]


def other_origin(origin: str) -> str:
    port = int(origin.rsplit(":", 1)[1])
    return f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}"


def cors_answer(server: Server, method: str, origin: str) -> httpx.Response:
    headers = {"Origin": origin, **(PREFLIGHT_HEADERS if method == "OPTIONS" else {})}
    try:
        return httpx.request(method, server.base_url + "/api/posts", headers=headers, timeout=15)
    except httpx.HTTPError as error:
        raise CheckFailed(
            f"an answer from {method} /api/posts", f"{type(error).__name__}: {error}"
        ) from None


@check(
    8,
    "cors",
    "the API answers pages of the origins in CORS_ALLOWED_ORIGINS, and of no other",
    (8, "CORS for the API"),
    needs=["w6.api-posts"],
)
def cors(session: Session):
    server, origin = cors_server(session)
    stranger = other_origin(origin)
    problems = []
    for method, what in (("OPTIONS", "a preflight"), ("GET", "a GET")):
        allowed = cors_answer(server, method, origin)
        given = allowed.headers.get("access-control-allow-origin")
        if given not in (origin, "*"):  # a browser takes either when no credentials are sent
            problems.append(
                f"{what} ({method} /api/posts) from {origin}: HTTP {allowed.status_code}, "
                f"Access-Control-Allow-Origin {given or 'missing'}"
            )
        if allowed.headers.get("access-control-allow-credentials", "").lower() == "true":
            problems.append(f"{what} from {origin} allows credentials (cookies)")
        refused = cors_answer(server, method, stranger)
        if "access-control-allow-origin" in refused.headers:
            problems.append(
                f"{what} from {stranger}, which is not allowed, got Access-Control-Allow-Origin "
                f"{refused.headers['access-control-allow-origin']}"
            )
    if problems:
        raise CheckFailed(
            f"with CORS_ALLOWED_ORIGINS={origin}: a preflight and a GET to /api/posts from that "
            "origin allowed (Access-Control-Allow-Origin), from any other not, and no credentials",
            "\n".join(problems),
            "django-cors-headers: corsheaders in INSTALLED_APPS, its CorsMiddleware first in "
            "MIDDLEWARE, CORS_ALLOWED_ORIGINS from the environment, CORS_URLS_REGEX r'^/api/'",
        )
    return [f"{origin} allowed, {stranger} not"]


@check(
    8,
    "token-socket",
    "a token sent as the subprotocols retrosocial.token and the key opens /ws/feed",
    (8, "Tokens on websockets from a browser"),
    needs=["w6.token-socket"],
)
def token_subprotocol(session: Session):
    import websocket

    server, origin = cors_server(session)
    key = token_for(session, session.create_user("browser"))
    url = socket_url(server, FEED_PATH)
    expected = (
        f"a socket to {FEED_PATH} from a page on {origin} (allowed by CORS_ALLOWED_ORIGINS) with "
        f'the subprotocols ["{TOKEN_PROTOCOL}", <key>] accepted, with {TOKEN_PROTOCOL} chosen'
    )
    hint = (
        f"read the key after {TOKEN_PROTOCOL} in scope['subprotocols'] (retrosocial/websocket.py)"
        f", and accept with subprotocol={TOKEN_PROTOCOL!r} (retrosocial/live.py)"
    )
    # The offer as a browser sends it, in the handshake's header: websocket-client's own
    # `subprotocols` would refuse an answer that chose none before it could be looked at.
    offer = [f"Sec-WebSocket-Protocol: {TOKEN_PROTOCOL}, {key}"]
    mark = server.mark()
    try:
        socket = websocket.create_connection(url, timeout=5, header=offer, origin=origin)
    except websocket.WebSocketBadStatusException as error:
        seen = f"the handshake was refused with HTTP {error.status_code}"
        errors = server.errors_since(mark, wait=0.5) if error.status_code >= 500 else ""
        if errors:
            seen += f"\nthe server's log says:\n{errors}"
        raise CheckFailed(expected, seen, hint) from None
    except (OSError, websocket.WebSocketException) as error:
        raise CheckFailed(expected, f"{type(error).__name__}: {error}", hint) from None
    try:
        chosen = (socket.getheaders() or {}).get("sec-websocket-protocol")
    finally:
        socket.close()
    if chosen != TOKEN_PROTOCOL:
        raise CheckFailed(
            expected,
            (
                f"it was accepted with the subprotocol {chosen!r}"
                if chosen
                else "it was accepted without choosing a subprotocol (no Sec-WebSocket-Protocol "
                "in the answer)"
            )
            + ": a browser closes such a socket",
            hint,
        )
    stranger = other_origin(origin)
    try:
        socket = websocket.create_connection(url, timeout=5, header=offer, origin=stranger)
    except (websocket.WebSocketBadStatusException, ConnectionError):
        return [f"accepted from {origin} with {TOKEN_PROTOCOL}; refused from {stranger}"]
    socket.close()
    raise CheckFailed(
        f"the same socket from {stranger}, an origin that is not allowed, refused",
        "it was accepted",
        "a token subprotocol from a page whose Origin is neither the site's nor one of "
        "CORS_ALLOWED_ORIGINS is refused (WebsocketDenier)",
    )


MODULE_SCRIPT = re.compile(
    r"<script\b(?=[^>]*\btype=[\"']module[\"'])[^>]*\bsrc=[\"']([^\"']+)[\"']", re.IGNORECASE
)
IMPORT_FROM = re.compile(r"""^\s*import\b[^'"]*?from\s+["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


@check(
    8,
    "frontend",
    "frontend/index.html and the modules it loads",
    (8, "The static frontend"),
)
def frontend(session: Session):
    folder = session.dir / FRONTEND
    index = folder / "index.html"
    if not index.is_file():
        raise CheckFailed(
            f"{FRONTEND}/index.html: the static frontend's page",
            f"there is no {FRONTEND}/index.html",
            "retro lesson get 8 frontend/index.html frontend/style.css frontend/config.js "
            "frontend/api.js frontend/live.js frontend/app.js",
        )
    scripts = MODULE_SCRIPT.findall(index.read_text(encoding="utf-8", errors="replace"))
    if not scripts:
        raise CheckFailed(
            f'{FRONTEND}/index.html to load its code as a module (<script type="module" src=…>)',
            "it has no such script",
        )
    missing, seen, queue = [], [], [(index, src) for src in scripts]
    while queue:
        page, src = queue.pop(0)
        path = (page.parent / src.split("?")[0]).resolve()
        top = session.dir.resolve()
        rel = path.relative_to(top).as_posix() if path.is_relative_to(top) else src
        if rel in seen:
            continue
        seen.append(rel)
        if not path.is_file():
            missing.append(f"{rel} (loaded by {page.name})")
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        queue.extend((path, name) for name in IMPORT_FROM.findall(text))
    if missing:
        raise CheckFailed(
            f"every module {FRONTEND}/index.html loads, and every module they import",
            "missing: " + ", ".join(missing),
            "retro lesson get 8 " + " ".join(m.split(" ")[0] for m in missing),
        )
    return [f"{FRONTEND}/index.html loads {', '.join(seen)}"]
