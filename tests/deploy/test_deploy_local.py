"""
`retro deploy local --check`: PostgreSQL, Redis and the port checked before anything starts,
with a clear message, how to start what is missing, and exit status 9 (deploy_failed).
A service "down" is a URL pointing at a port nobody listens on.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from cli.errors import ExitCode
from tests.conftest import require
from tests.deploy.conftest import run_retro
from tests.live import ROOT, free_port
from tests.services import POSTGRES_TEST_URL, postgres_reachable


def database_url(name: str, port: int | None = None) -> str:
    """The test server's URL for database `name`; with `port`, a closed port on this machine."""
    parts = urlsplit(POSTGRES_TEST_URL)
    if port:
        parts = parts._replace(netloc=f"postgres@127.0.0.1:{port}")
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def postgres():
    require("postgres", postgres_reachable(), f"no PostgreSQL at {POSTGRES_TEST_URL}")


def check(tmp_path, *, database: str, redis: str, port: int | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETRO_")}
    env.update(DATABASE_URL=database, REDIS_URL=redis, RETRO_CONFIG_DIR=str(tmp_path / "config"))
    return run_retro("deploy", "local", "--check", "--port", str(port or free_port()),
                     cwd=ROOT, env=env)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(POSTGRES_TEST_URL, connect_timeout=5) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


class TestCheck:
    def test_all_reachable_passes_and_changes_nothing(self, tmp_path, postgres, redis_url):
        name = f"retro_check_{uuid.uuid4().hex[:12]}"

        run = check(tmp_path, database=database_url(name), redis=redis_url)

        assert run.returncode == 0, str(run)
        assert "✓ PostgreSQL is reachable" in run.stdout
        assert "the database does not exist yet; it will be created" in run.stdout
        assert "✓ Redis is reachable" in run.stdout
        assert "All checks passed" in run.stdout
        assert not database_exists(name)  # --check only checks
        assert not (tmp_path / "config").exists()  # and makes no secret key either

    def test_redis_down(self, tmp_path, postgres):
        port = free_port()

        run = check(tmp_path, database=database_url("retrosocial"),
                    redis=f"redis://127.0.0.1:{port}/0")

        assert run.returncode == ExitCode.DEPLOY_FAILED == 9
        assert "✓ PostgreSQL is reachable" in run.stdout
        assert "✗ Redis is reachable" in run.stdout
        assert run.stderr.startswith(
            f"retro: error: Redis is not reachable at 127.0.0.1:{port}: "
        ), run.stderr
        assert "Connection refused" in run.stderr
        assert "start Redis: `sudo service redis-server start`" in run.stderr
        assert "or point REDIS_URL at a running server" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1

    def test_postgres_down(self, tmp_path):
        port = free_port()

        run = check(tmp_path, database=database_url("retrosocial", port=port),
                    redis="redis://127.0.0.1:6379/0")

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "✗ PostgreSQL is reachable" in run.stdout
        assert "Redis" not in run.stdout  # it stops at the first failure
        assert run.stderr.startswith(
            f"retro: error: PostgreSQL is not reachable at 127.0.0.1:{port}: Connection refused "
            "(start PostgreSQL: `sudo service postgresql start`"
        ), run.stderr
        assert "or point DATABASE_URL at a running server" in run.stderr

    def test_the_port_in_use(self, tmp_path, postgres, redis_url):
        with socket.socket() as taken:
            taken.bind(("0.0.0.0", 0))
            taken.listen()
            port = taken.getsockname()[1]

            run = check(tmp_path, database=database_url("retrosocial"), redis=redis_url,
                        port=port)

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert f"✗ Port {port} is free" in run.stdout
        assert f"retro: error: port {port} is in use" in run.stderr
        assert f"retro deploy local --port {port + 1}" in run.stderr

    def test_a_database_url_that_is_not_postgres(self, tmp_path):
        run = check(tmp_path, database="sqlite:///db.sqlite3", redis="redis://127.0.0.1:6379/0")

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "DATABASE_URL is not a PostgreSQL URL: sqlite:///db.sqlite3" in run.stderr
