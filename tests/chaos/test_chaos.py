"""
Live means exactly once (DESIGN.md, "Properties that must hold"): a short case of the chaos
harness (bench/chaos.py, `make chaos` runs them all). Redis is stopped for a few seconds while
posts and direct messages keep coming through the API; the program that follows the README's
live-delivery protocol (bench/protocol_client.py) and `retro tail --json --messages` must each
end with every saved post and message exactly once, and every write must have been accepted
while Redis was down (writes never wait on Redis).
"""

from __future__ import annotations

import shutil

import pytest

from bench.chaos import options, run_case
from tests.conftest import require

pytestmark = [pytest.mark.live, pytest.mark.redis, pytest.mark.postgres, pytest.mark.chaos]


@pytest.fixture
def redis_server_binary() -> None:
    require("redis", shutil.which("redis-server") is not None, "no redis-server program")


@pytest.mark.timeout(240)
def test_redis_stopped_three_seconds_every_item_once(postgres_url, redis_server_binary):
    args = options([
        "--cases", "redis-stop", "--clients", "protocol,tail", "--outage", "3",
        "--before", "1", "--after", "2", "--interval", "0.3", "--settle", "45",
    ])
    rows, writes = run_case("redis-stop", args, postgres_url)

    assert {(row[1], row[2]) for row in rows} == {
        ("protocol", "posts"), ("protocol", "messages"), ("tail", "posts"), ("tail", "messages"),
    }, rows
    for _case, client, kind, sent, saved, once, duplicates, missing in rows:
        assert sent >= 3, (client, kind, sent)
        assert saved == sent, f"{kind}: {sent} sent but {saved} saved"
        assert (once, duplicates, missing) == (saved, 0, 0), (client, kind, rows)
    # Writes never wait on Redis: every one was accepted, none needed a second try.
    _case, sent, at_once, retried, not_accepted, _slowest, _error = writes
    assert (at_once, retried, not_accepted) == (sent, 0, 0), writes
