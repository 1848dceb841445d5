"""
Fixtures shared by every part of the suite.

Parts that need a service this machine may not have (PostgreSQL, Redis, Chromium) skip
without it, unless RETRO_REQUIRE_POSTGRES / RETRO_REQUIRE_REDIS / RETRO_REQUIRE_BROWSER
is set to 1, as CI does: then a missing service fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.live import Browser, LiveDatabase, LiveServer, ctrl_c_as_at_a_terminal

# ada, bob and eve, the API client, the live hub's listeners; every test starts with empty
# rate-limit counters and a fast password hasher.
from tests.people import (  # noqa: F401
    ada,
    api,
    bob,
    eve,
    fast_password_hashing,
    fresh_rate_limits,
    listen,
)
from tests.services import (
    POSTGRES_TEST_URL,
    REDIS_TEST_URL,
    postgres_reachable,
    redis_reachable,
)

CHROMIUM = os.environ.get("RETRO_CHROMIUM", "/usr/bin/chromium")


def pytest_configure(config):
    ctrl_c_as_at_a_terminal()  # the tests stop `retro tail` with Ctrl-C, as a person would


def require(what: str, available: bool, reason: str) -> None:
    """Skip when `what` is missing, or fail when RETRO_REQUIRE_<WHAT>=1 says it must be there."""
    if available:
        return
    if os.environ.get(f"RETRO_REQUIRE_{what.upper()}") == "1":
        pytest.fail(f"{reason} (RETRO_REQUIRE_{what.upper()}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_test_environment, tmp_path_factory):
    """Production storage (hashed, compressed) needs collectstatic, as on Heroku: into a folder
    of this run's own, which live servers started by the tests serve too."""
    root = str(tmp_path_factory.mktemp("static"))
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", "--noinput", verbosity=0)
        os.environ["STATIC_ROOT"] = root
        yield root


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """A PostgreSQL test database of this run's own, so parallel runs never share one."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        db.setdefault("TEST", {})["NAME"] = f"test_retro_{os.getpid()}_{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    require("redis", redis_reachable(REDIS_TEST_URL), f"no Redis at {REDIS_TEST_URL}")
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL server URL (its `postgres` database): the suite's own DATABASE_URL when the
    suite runs on PostgreSQL, otherwise RETRO_TEST_POSTGRES_URL. Create databases of your own
    on it (and drop them) rather than using this one."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        # The suite's database itself need not exist (the test runner makes test_<name>).
        url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    else:
        url = POSTGRES_TEST_URL
    require("postgres", postgres_reachable(url), f"no PostgreSQL at {url}")
    return url


@pytest.fixture(scope="session")
def channel_prefix() -> str:
    """A channel-layer prefix of this run's own: parallel runs on one Redis never cross."""
    return f"retro-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def live_database():
    database = LiveDatabase(os.environ.get("DATABASE_URL"))
    yield database
    database.drop()


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replaces pytest-django's helper for its own thread-based `live_server` fixture, which
    the one below (a real daphne process) takes the place of."""
    yield


@pytest.fixture(scope="session")
def live_server(live_database):
    """One daphne process for the session (in-memory channel layer)."""
    server = LiveServer(live_database).start()
    yield server
    server.stop()


@pytest.fixture
def make_live_server(live_database):
    """Start more daphne processes on the shared live database; all are stopped after the test."""
    servers: list[LiveServer] = []

    def make(**kwargs) -> LiveServer:
        server = LiveServer(live_database, **kwargs)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def browser_factory(live_server):
    return lambda: Browser(live_server)


@pytest.fixture
def people(chromium):
    """Two separate browser sessions (contexts), as two people at two computers."""
    contexts = [chromium.new_context(), chromium.new_context()]
    for context in contexts:
        context.set_default_timeout(10_000)  # ms
    yield contexts
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian Chromium driven by Playwright.

    Module-scoped: Playwright's sync API keeps an event loop running in the main thread while
    it is open, and Django refuses ORM calls there (SynchronousOnlyOperation). Keep browser
    tests in modules of their own that talk to a live server only."""
    require("browser", shutil.which(CHROMIUM) is not None, f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
