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


def describe(response: httpx.Response) -> str:
    """A response in a few words: its status, where it redirects, or its page title."""
    text = f"HTTP {response.status_code}"
    if response.is_redirect:
        return f"{text} redirecting to {response.headers.get('location', '?')}"
    if "html" in response.headers.get("content-type", ""):
        title = re.sub(r"\s+", " ", Page(response.text).title).strip()
        if title:
            text += f" “{title}”"
        exception = re.search(r'<pre class="exception_value">(.*?)</pre>', response.text, re.S)
        if exception:
            words = re.sub(r"<[^>]+>|\s+", " ", exception.group(1)).strip()
            text += f": {words[:200]}"
    return text


class Visitor:
    def __init__(self, server: Server, headers: dict[str, str] | None = None):
        self.server = server
        self.client = httpx.Client(
            base_url=server.base_url, follow_redirects=False, timeout=15, headers=headers or {}
        )

    def close(self) -> None:
        self.client.close()

    def get(self, path: str) -> httpx.Response:
        try:
            return self.client.get(path)
        except httpx.HTTPError as error:
            raise CheckFailed(
                f"an answer from GET {path}", f"{type(error).__name__}: {error}"
            ) from None

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
            raise CheckFailed(f"{what} at {path} to answer 200", describe(response))
        return Page(response.text)

    def submit(self, form: Form, page_path: str, values: dict[str, str]) -> httpx.Response:
        data = dict(form.hidden)
        data.update(values)
        target = self.local(urljoin(self.server.base_url + page_path, form.action or page_path))
        try:
            return self.client.post(
                target, data=data, headers={"Referer": self.server.base_url + page_path}
            )
        except httpx.HTTPError as error:
            raise CheckFailed(
                f"an answer from POST {target}", f"{type(error).__name__}: {error}"
            ) from None


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
