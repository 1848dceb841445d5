"""
`retro deploy local` on a project as week 3 leaves it: the checkpoint, with the `.env` the lesson
has the student write (DATABASE_URL=postgres:///NAME, the local socket). Started for real: the
database named in .env is created through the socket and migrated by the release process, the
web process answers, and every process got the same settings — the environment's where it sets
one, .env's otherwise (honcho, left alone, would let .env win for the release and web processes).
"""

from __future__ import annotations

import os
import uuid

import httpx
import psycopg
import pytest

from tests.checkpoints import copy_checkpoint
from tests.conftest import require
from tests.deploy.test_production_stack import LocalDeploy
from tests.live import free_port
from tests.services import POSTGRES_TEST_URL, postgres_reachable

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.live]

LESSON_ENV = """DEBUG=0
SECRET_KEY=paste-a-long-random-key-here-0123456789abcdefghijklmnopqrstuv
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=postgres:///{name}
SECURE_SSL_REDIRECT=0
SECURE_COOKIES=0
SECURE_HSTS_SECONDS=0
"""
EXTRA_HOST = "retro-local.test"  # allowed by the environment's ALLOWED_HOSTS, not by .env's


def admin(sql: str):
    with psycopg.connect(POSTGRES_TEST_URL, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(sql).fetchall() if sql.startswith("SELECT") else None


@pytest.fixture(scope="module")
def week3(tmp_path_factory, redis_url):
    """The week 3 checkpoint with the lesson's .env, served by `retro deploy local`."""
    require("postgres", postgres_reachable(), f"no PostgreSQL at {POSTGRES_TEST_URL}")
    folder = copy_checkpoint(3, tmp_path_factory.mktemp("week-3") / "project")
    name = f"retro_lesson_{uuid.uuid4().hex[:12]}"
    (folder / ".env").write_text(LESSON_ENV.format(name=name))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RETRO_", "SECURE_", "PG"))
        # STATIC_ROOT: the suite's own collected files (tests/conftest.py), which this project's
        # collectstatic must not overwrite.
        and k
        not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "STATIC_ROOT"}
    }
    env.update(
        # The lesson's `postgres:///NAME` means "as me": here, as the server's postgres role.
        PGUSER="postgres",
        REDIS_URL=redis_url,
        ALLOWED_HOSTS=f"127.0.0.1,localhost,{EXTRA_HOST}",
        RETRO_CONFIG_DIR=str(folder.parent / "config"),
        RETRO_DEPLOY_LOCAL_TIMEOUT="60",
    )
    running = LocalDeploy(env, free_port(), cwd=folder)
    try:
        running.wait_for("RetroSocial is running at")
        running.database = name
        yield running
    finally:
        code = running.interrupt()
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert code == 0, running.output()


class TestTheLessonsDotEnv:
    def test_each_setting_is_shown_with_where_it_comes_from(self, week3):
        output = week3.output()

        assert ".env read (7 variables); the environment wins over it" in output
        assert f"DATABASE_URL=postgres:///{week3.database}  (.env)" in output
        assert "SECRET_KEY=***  (.env)" in output
        assert "paste-a-long-random-key" not in output
        assert (
            f"ALLOWED_HOSTS=127.0.0.1,localhost,{EXTRA_HOST}  (the environment, over .env's "
            "ALLOWED_HOSTS=127.0.0.1,localhost)"
        ) in output
        assert "✓ SECRET_KEY — from .env" in output

    def test_the_database_of_dotenv_is_created_through_the_socket_and_migrated(self, week3):
        output = week3.output()

        assert (
            f"✓ PostgreSQL is reachable (DATABASE_URL from .env) — postgres:///{week3.database}: "
            f"database {week3.database} on the local socket"
        ) in output
        assert f"(database {week3.database} created)" in output
        with psycopg.connect(
            POSTGRES_TEST_URL.rsplit("/", 1)[0] + f"/{week3.database}", connect_timeout=5
        ) as conn:
            applied = conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
        assert applied > 10  # the release process migrated the database .env names

    def test_the_web_process_serves_from_it(self, week3):
        health = httpx.get(f"{week3.url}/healthz", timeout=5)

        assert health.status_code == 200, health.text
        assert health.json()["database"] == "ok"

    def test_the_environment_wins_in_the_web_process_too(self, week3):
        """Only the environment's ALLOWED_HOSTS lists this host: had honcho read .env again,
        the web process would refuse it with a 400."""
        page = httpx.get(f"{week3.url}/", headers={"Host": EXTRA_HOST}, timeout=5)

        assert page.status_code == 200, page.text[:300]
