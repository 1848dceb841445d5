"""The debug toolbar in a real Chromium, as a student sees it: a daphne with DEBUG on (and the
toolbar installed), visited from 127.0.0.1, under the site's Content-Security-Policy."""

import os

import pytest

from tests.live import Browser, LiveDatabase, LiveServer, unique

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture(scope="module")
def development_server():
    """A daphne with the settings of `DEBUG=1` on your own machine, without pytest's
    PYTEST_VERSION (which keeps the development tools out of the test suite), on a database of
    its own: the people page shows only this module's people."""
    database = LiveDatabase(os.environ.get("DATABASE_URL"))
    server = LiveServer(database, DEBUG="1")
    server.env.pop("PYTEST_VERSION", None)
    server.start()
    yield server
    server.stop()
    database.drop()


@pytest.fixture
def page(chromium, development_server):
    context = chromium.new_context()
    context.set_default_timeout(10_000)  # ms
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    yield page
    context.close()


def test_the_toolbar_shows_and_its_sql_panel_lists_the_pages_queries(development_server, page):
    names = sorted(unique(name) for name in ("ada", "bob", "cy"))
    for name in names:
        Browser(development_server).signup(name).post(f"hello from {name}")

    response = page.goto(f"{development_server.url}/people")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("tr[data-username]").evaluate_all(
        "rows => rows.map(row => row.dataset.username)"
    ) == names

    # The toolbar, drawn by its own script (a static file), shows the page's two queries.
    toolbar = page.locator("#djDebugToolbar")
    toolbar.wait_for()
    assert "2 queries" in page.locator("#djdt-SQLPanel").inner_text()

    # Its SQL panel, fetched from /__debug__/, lists them: the count for the pager, then the
    # people with their posts counted and dated in one query.
    page.click("#djdt-SQLPanel a.SQLPanel")
    panel = page.locator("#SQLPanel")
    queries = panel.locator(".djDebugSql")
    queries.first.wait_for()
    assert queries.count() == 2
    count, people = queries.all_inner_texts()
    assert count.startswith("SELECT COUNT(*)") and 'FROM "auth_user"' in count
    assert 'FROM "auth_user" LEFT OUTER JOIN "posts_post"' in people and "GROUP BY" in people
    assert "similar" not in panel.inner_text()  # no query repeated once per person

    # Hidden, it leaves its handle on the side of the page.
    page.click("#djHideToolBarButton")
    page.locator("#djDebugToolbarHandle").wait_for()
    assert toolbar.is_hidden()
    assert page.problems == []  # nothing refused by the Content-Security-Policy, no error
