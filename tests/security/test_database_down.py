"""
The database unreachable: every answer under /api/ is a JSON 503 with Retry-After, and
/healthz says the database is down without the error's text. On a PostgreSQL of this test's
own (initdb on a free port), stopped halfway through; never the shared one.
"""

from __future__ import annotations

import httpx
import pytest

from tests.live import PASSWORD, LiveDatabase, LiveServer, unique
from tests.security.servers import OwnPostgres

pytestmark = [pytest.mark.live, pytest.mark.postgres]


@pytest.fixture(scope="module")
def stopped_database():
    """A daphne whose PostgreSQL has been stopped, and a token it issued while it was up."""
    postgres = OwnPostgres().start()
    server = None
    try:
        server = LiveServer(LiveDatabase(postgres.url)).start()
        response = httpx.post(
            f"{server.url}/api/auth/signup",
            json={"username": unique("ada"), "password": PASSWORD},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        postgres.stop()
        yield server, response.json()["token"], postgres
    finally:
        if server is not None:
            server.stop()
        postgres.remove()


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/posts", None),
        ("GET", "/api/users", None),
        ("POST", "/api/auth/token", {"username": "ada", "password": "whatever-it-is"}),
        ("POST", "/api/auth/signup", {"username": "bob", "password": PASSWORD}),
        ("POST", "/api/posts", {"text": "into the void"}),
        ("GET", "/api/me", None),
    ],
)
def test_the_api_answers_a_json_503_with_retry_after(stopped_database, method, path, body):
    server, token, _ = stopped_database
    logged_in = (method, path) in {("POST", "/api/posts"), ("GET", "/api/me")}
    headers = {"Authorization": f"Token {token}"} if logged_in else {}
    response = httpx.request(
        method, f"{server.url}{path}", json=body, headers=headers, timeout=30
    )
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "code": "unavailable",
        "detail": "The database is unreachable; try again shortly.",
    }
    assert int(response.headers["retry-after"]) > 0


def test_healthz_names_the_database_without_the_error_text(stopped_database):
    server, _, postgres = stopped_database
    response = httpx.get(f"{server.url}/healthz", timeout=30)
    assert response.status_code == 503
    assert response.json() == {"database": "down", "channel_layer": "ok", "status": "error"}
    assert str(postgres.port) not in response.text
    # The reason goes to the server's log, for its operators.
    assert "healthz: database is down" in server.output()
