from __future__ import annotations

import pytest

from tests.cli.helpers import Retro
from tests.live import unique


@pytest.fixture
def retro_for(tmp_path):
    """retro_for(server_url) → a `retro` with a config folder of its own (one per person)."""
    count = 0

    def make(server: str | None) -> Retro:
        nonlocal count
        count += 1
        folder = tmp_path / f"person{count}" / "config"
        folder.parent.mkdir(parents=True)
        return Retro(folder, server)

    return make


@pytest.fixture(scope="session")
def cli_server(live_database):
    """A daphne of the CLI tests' own, with rate limits raised so that the many sign-ups and
    logins here neither get throttled nor use up the shared live server's allowance."""
    from tests.live import LiveServer

    server = LiveServer(
        live_database, API_THROTTLE_AUTH="10000/minute", API_THROTTLE_WRITE="10000/minute"
    ).start()
    yield server
    server.stop()


@pytest.fixture
def person(cli_server, retro_for):
    """person(name) → a `retro` signed up (and so logged in) as a new user on cli_server."""

    def make(name: str = "user") -> Retro:
        retro = retro_for(cli_server.url)
        retro.username = unique(name)
        retro.signup(retro.username)
        return retro

    return make
