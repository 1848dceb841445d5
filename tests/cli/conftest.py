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
def cli_server(live_server):
    """The session's daphne (tests/live.py raises its rate limits for the many sign-ups)."""
    return live_server


@pytest.fixture
def person(cli_server, retro_for):
    """person(name) → a `retro` signed up (and so logged in) as a new user on cli_server."""

    def make(name: str = "user") -> Retro:
        retro = retro_for(cli_server.url)
        retro.username = unique(name)
        retro.signup(retro.username)
        return retro

    return make
