"""A visitor of the project's pages: follows links, fills forms, logs in, as a person would."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx

from cli.checks import CheckFailed
from cli.checks.page import Form, Page
from cli.checks.session import PASSWORD, Server, Session

LOGIN_WORDS = r"\blog ?in\b|\bsign ?in\b"
SIGNUP_WORDS = r"sign ?up|register|join|create (an |your )?account"
LOGIN_PATHS = ("/login", "/login/", "/accounts/login/", "/users/login/")
SIGNUP_PATHS = (
    "/signup",
    "/signup/",
    "/accounts/signup/",
    "/register",
    "/register/",
    "/users/signup/",
)


def describe(response: httpx.Response, also: str = "") -> str:
    """A response in a few words: its status, where it redirects, or its page title (then
    `also`, words of the caller's). After a server error (5xx), the server's own error lines
    from its log follow on lines of their own: what the student needs to fix it."""
    text = f"HTTP {response.status_code}"
    if response.is_redirect:
        return f"{text} redirecting to {response.headers.get('location', '?')}{also}"
    if "html" in response.headers.get("content-type", ""):
        title = re.sub(r"\s+", " ", Page(response.text).title).strip()
        if title:
            text += f" “{title}”"
        exception = re.search(r'<pre class="exception_value">(.*?)</pre>', response.text, re.S)
        if exception:
            words = re.sub(r"<[^>]+>|\s+", " ", exception.group(1)).strip()
            text += f": {words[:200]}"
    text += also
    errors = getattr(response, SERVER_ERRORS, "")
    if errors:
        text += f"\nthe server's log says:\n{errors}"
    return text


SERVER_ERRORS = "retro_server_errors"  # set on a 5xx response by Visitor: what the log said


def with_server_errors(server: Server, mark: int, response: httpx.Response) -> httpx.Response:
    """`response`, carrying the server's error lines written since `mark` if it is a 5xx."""
    if response.status_code >= 500:
        setattr(response, SERVER_ERRORS, server.errors_since(mark))
    return response


def server_error_hint(response: httpx.Response) -> str:
    """A hint for a failed page: after a 5xx, read the server's error rather than guess."""
    if response.status_code >= 500:
        return (
            "the server failed: its error is shown above (the last line names it, the lines "
            "above it say where in your code)"
        )
    return ""


class Visitor:
    def __init__(self, server: Server, headers: dict[str, str] | None = None):
        self.server = server
        self.client = httpx.Client(
            base_url=server.base_url, follow_redirects=False, timeout=15, headers=headers or {}
        )

    def close(self) -> None:
        self.client.close()

    def get(self, path: str) -> httpx.Response:
        mark = self.server.mark()
        try:
            return with_server_errors(self.server, mark, self.client.get(path))
        except httpx.HTTPError as error:
            raise CheckFailed(
                f"an answer from GET {path}",
                f"{type(error).__name__}: {error}" + self.log_since(mark),
            ) from None

    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> httpx.Response:
        """A POST of the check's own making (not through a form on a page)."""
        mark = self.server.mark()
        try:
            response = self.client.post(path, data=data, headers=headers)
        except httpx.HTTPError as error:
            raise CheckFailed(
                f"an answer from POST {path}",
                f"{type(error).__name__}: {error}" + self.log_since(mark),
            ) from None
        return with_server_errors(self.server, mark, response)

    def home_path(self) -> str:
        """Where the home page is for this visitor: / after any redirects it makes."""
        return path_of(self.follow(self.get("/")))

    def log_since(self, mark: int) -> str:
        """The server's error lines since `mark`, on lines of their own ("" if none)."""
        errors = self.server.errors_since(mark, wait=0.5)
        return f"\nthe server's log says:\n{errors}" if errors else ""

    def follow(self, response: httpx.Response, limit: int = 5) -> httpx.Response:
        while response.is_redirect and limit > 0:
            location = response.headers.get("location", "/")
            response = self.get(self.local(urljoin(str(response.url), location)))
            limit -= 1
        return response

    def local(self, url: str) -> str:
        """A path on this server (an absolute URL to another host stays as it is)."""
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != urlsplit(self.server.base_url).netloc:
            return url
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def page(self, path: str, what: str = "the page") -> Page:
        response = self.follow(self.get(path))
        if response.status_code != 200:
            raise CheckFailed(
                f"{what} at {path} to answer 200", describe(response), server_error_hint(response)
            )
        return Page(response.text)

    def submit(self, form: Form, page_path: str, values: dict[str, str]) -> httpx.Response:
        data = dict(form.hidden)
        data.update(values)
        target = self.local(urljoin(self.server.base_url + page_path, form.action or page_path))
        mark = self.server.mark()
        try:
            response = self.client.post(
                target, data=data, headers={"Referer": self.server.base_url + page_path}
            )
        except httpx.HTTPError as error:
            raise CheckFailed(
                f"an answer from POST {target}",
                f"{type(error).__name__}: {error}" + self.log_since(mark),
            ) from None
        return with_server_errors(self.server, mark, response)


def path_of(response: httpx.Response) -> str:
    """The path a response was served from (after following redirects: where one landed)."""
    return urlsplit(str(response.url)).path or "/"


def is_login_form(page: Page) -> bool:
    return any(form.method == "post" and len(form.passwords) == 1 for form in page.forms)


def logged_in(page: Page) -> bool:
    return page.logout_form() is not None or page.logout_link() is not None


def _candidates(page: Page, words: str, paths: tuple[str, ...], extra: list[str]) -> list[str]:
    found: list[str] = []
    for url in [*(link.href for link in page.links_like(words)), *extra, *paths]:
        if url and url.startswith("/") and url not in found:
            found.append(url.split("#")[0])
    return found


def find_form_page(
    visitor: Visitor,
    start: Page,
    words: str,
    paths: tuple[str, ...],
    extra: list[str],
    passwords: int,
) -> tuple[str, Page, Form] | None:
    for url in _candidates(start, words, paths, extra):
        response = visitor.get(url)
        if response.status_code != 200:
            continue
        page = Page(response.text)
        for form in page.forms:
            if form.method == "post" and len(form.passwords) == passwords:
                return url, page, form
    return None


def user_field(form: Form) -> str:
    fields = form.text_fields
    for f in fields:
        if "user" in f.name.lower() or "login" in f.name.lower():
            return f.name
    if not fields:
        raise CheckFailed("a username field in the form", "the form has no text field")
    return fields[0].name


def find_login(session: Session, visitor: Visitor) -> tuple[str, Page, Form]:
    home = visitor.page("/", "the home page")
    login_url = session.facts().get("login_url") or ""
    found = find_form_page(visitor, home, LOGIN_WORDS, LOGIN_PATHS, [str(login_url)], passwords=1)
    if not found:
        raise CheckFailed(
            "a log-in page: a form with one password field, linked from the home page "
            "(or at settings.LOGIN_URL)",
            f"none at {', '.join(_candidates(home, LOGIN_WORDS, LOGIN_PATHS, [str(login_url)]))}",
        )
    return found


def login(session: Session, visitor: Visitor, username: str, password: str = PASSWORD) -> Page:
    """Log in through the site's own form; returns the home page as the user sees it."""
    url, _, form = find_login(session, visitor)
    response = visitor.submit(
        form, url, {user_field(form): username, form.passwords[0].name: password}
    )
    if not response.is_redirect:
        raise CheckFailed(
            f"logging in as {username} to redirect (to the home page)", describe(response)
        )
    visitor.follow(response)
    home = visitor.page("/", "the home page")
    if not logged_in(home):
        raise CheckFailed(
            "the home page, once logged in, to offer a way to log out",
            "no log-out button or link on the home page after logging in",
        )
    return home


def socket_url(server: Server, path: str) -> str:
    return server.base_url.replace("http://", "ws://", 1) + path


def handshake_hint(status: int) -> str:
    """What a refused websocket handshake most likely means, by its HTTP status."""
    if status == 404:
        return (
            'a 404 means nothing answers websockets there: is "daphne" first in '
            "INSTALLED_APPS, and is the route in websocket_urlpatterns with .as_asgi()?"
        )
    if status == 403:
        return (
            "a 403 means the socket was refused before it was accepted: by the origin check "
            "(AllowedHostsOriginValidator reads ALLOWED_HOSTS), or by the consumer's connect()"
        )
    if status >= 500:
        return (
            "the server failed while opening the socket: its error is shown above (the last "
            "line names it, the lines above it say where in your code)"
        )
    return ""


def open_websocket(
    server: Server,
    path: str,
    expected: str,
    origin: str | None = None,
    cookie: str | None = None,
    timeout: float = 5,
):
    """A websocket client connected to `path`, as a page of `origin` (the site's own, unless
    given) would connect. A refused handshake fails the check with its status, a hint for that
    status and, after a server error, the server's own error lines from its log."""
    import websocket

    mark = server.mark()
    options = {"cookie": cookie} if cookie else {}
    try:
        return websocket.create_connection(
            socket_url(server, path), timeout=timeout, origin=origin or server.base_url, **options
        )
    except websocket.WebSocketBadStatusException as error:
        status = error.status_code
        seen = f"the handshake was refused with HTTP {status}"
        if status >= 500:
            errors = server.errors_since(mark)
            seen += f"\nthe server's log says:\n{errors}" if errors else ""
        raise CheckFailed(expected, seen, handshake_hint(status)) from None
    except (OSError, websocket.WebSocketException) as error:
        errors = server.errors_since(mark, wait=0.5)
        log = f"\nthe server's log says:\n{errors}" if errors else ""
        raise CheckFailed(expected, f"{type(error).__name__}: {error}{log}") from None
