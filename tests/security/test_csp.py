"""
Content-Security-Policy on every page, /api/docs/ and the admin included: no inline script
and no 'unsafe-inline' for scripts. In a real Chromium the pages, the live feed, the messages
and Swagger UI still work under it, and nothing is reported as a violation.
"""

from __future__ import annotations

import httpx
import pytest

from tests.live import PASSWORD, manage, unique
from tests.live import sign_up_in as sign_up

PAGES = ["/", "/signup", "/login", "/password-reset", "/account", "/api/docs/",
         "/api/docs/?script=", "/admin/login/", "/healthz", "/api/posts", "/posts/since?after=0"]


def directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.live
@pytest.mark.parametrize("path", PAGES)
def test_every_answer_carries_a_policy_without_inline_script(live_server, path):
    response = httpx.get(f"{live_server.url}{path}", timeout=30)
    assert response.status_code in (200, 302), response.text
    policy = directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.live
def test_the_docs_page_has_no_inline_script(live_server):
    html = httpx.get(f"{live_server.url}/api/docs/", timeout=30).text
    assert "<script>" not in html
    # Swagger UI's start-up script is a file of its own, loaded by static/js/docs.js.
    assert 'data-script="/api/docs/?script="' in html
    assert '<script src="/static/js/docs' in html
    script = httpx.get(f"{live_server.url}/api/docs/?script=", timeout=30)
    assert script.headers["content-type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.text


class Violations:
    """Every console message and page error of a page: CSP violations show up there."""

    def __init__(self):
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda message: self.messages.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))

    def csp(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "CSP" in m]


@pytest.fixture
def pages(people):
    return [context.new_page() for context in people]


@pytest.mark.browser
@pytest.mark.live
def test_the_site_works_in_chromium_under_the_policy(live_server, pages):
    author, reader = pages
    violations = Violations()
    for page in pages:
        violations.watch(page)
    name, other = unique("ada"), unique("bob")
    sign_up(reader, live_server.url, other)
    sign_up(author, live_server.url, name)

    # The live feed: the page's scripts run and its websocket connects.
    reader.goto(live_server.url)
    reader.wait_for_selector("html[data-socket=open]", state="attached")
    author.fill("#id_text", "hello under a strict policy")
    assert author.inner_text("#post-counter") == "473 characters left"
    author.click("#post-form button[type=submit]")
    reader.locator("#feed li.post", has_text="hello under a strict policy").wait_for()

    # Messages: the conversation page's script delivers live too.
    reader.goto(f"{live_server.url}/messages/{name}")
    reader.wait_for_selector("html[data-socket=open]", state="attached")
    author.goto(f"{live_server.url}/messages/{other}")
    author.fill("#id_text", "a private hello")
    author.click("#message-form button[type=submit]")
    reader.locator("#thread li.message", has_text="a private hello").wait_for()

    # Swagger UI renders the API's operations from the schema.
    author.goto(f"{live_server.url}/api/docs/")
    author.click("#swagger-load")
    author.locator(".opblock-summary-path", has_text="/api/posts").first.wait_for()
    assert author.locator(".opblock").count() >= 10

    assert violations.csp() == [], violations.messages


@pytest.mark.browser
@pytest.mark.live
def test_the_admin_works_in_chromium_under_the_policy(live_server, people):
    page = people[0].new_page()
    violations = Violations()
    violations.watch(page)
    name = unique("staff")
    manage(
        "shell", "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_superuser({name!r}, password={PASSWORD!r})",
        env=live_server.env,
    )
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"{live_server.url}/admin/auth/user/")
    page.locator("#result_list", has_text=name).wait_for()
    # The admin's own scripts run: the "select all" checkbox ticks every row.
    page.click("#action-toggle")
    assert page.locator("input.action-select:checked").count() >= 1
    assert violations.csp() == [], violations.messages
