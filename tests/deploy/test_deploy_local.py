"""
`retro deploy local --check`: PostgreSQL, Redis and the port checked before anything starts,
with a clear message, how to start what is missing, and exit status 9 (deploy_failed).
A service "down" is a URL pointing at a port nobody listens on.

The settings are the lesson's: DATABASE_URL in every form dj-database-url reads (the site reads
it that way), from the environment or from the project's .env (the environment wins); a port
held by a `runserver` left running is named as such, with a free port to use instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from cli.errors import ExitCode
from cli.net import NotAnswering, free_port, wait_until_answering
from tests.conftest import require
from tests.deploy.conftest import run_retro
from tests.live import ROOT
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


# What the lesson's .env sets: the test's own environment must not set them instead; nor the
# suite's STATIC_ROOT (tests/conftest.py), which a project's collectstatic would overwrite.
SETTINGS = {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "STATIC_ROOT"}


def check(tmp_path, *, database: str | None, redis: str | None, port: int | None = None,
          cwd: Path = ROOT, **extra: str):
    """`retro deploy local --check` in `cwd`; DATABASE_URL and REDIS_URL unset when None."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RETRO_", "PG", "SECURE_")) and k not in SETTINGS}
    env.update(RETRO_CONFIG_DIR=str(tmp_path / "config"), **extra)
    if database is not None:
        env["DATABASE_URL"] = database
    if redis is not None:
        env["REDIS_URL"] = redis
    return run_retro("deploy", "local", "--check", "--port", str(port or free_port()),
                     cwd=cwd, env=env)


def test_a_procfile_naming_a_process_twice_is_refused_with_its_reason(tmp_path):
    folder = project_folder(tmp_path)
    procfile = folder / "Procfile"
    procfile.write_text(procfile.read_text() + "worker: python manage.py db_worker\n")

    run = check(tmp_path, database=None, redis=None, cwd=folder)

    assert run.returncode == ExitCode.PROJECT, str(run)
    assert f"cannot read {procfile}: process names must be unique" in run.stderr
    assert "unexpected" not in run.stderr and "Traceback" not in run.stderr


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
        assert f"retro: error: port {port} is in use by `" in run.stderr
        assert f"(pid {os.getpid()})" in run.stderr  # this test holds it
        assert "stop it with Ctrl-C in its terminal" in run.stderr
        assert_free_port_offered(run.stderr)

    def test_a_database_url_that_is_not_postgres(self, tmp_path):
        run = check(tmp_path, database="sqlite:///db.sqlite3", redis="redis://127.0.0.1:6379/0")

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "DATABASE_URL is not a PostgreSQL URL: sqlite:///db.sqlite3" in run.stderr


def assert_free_port_offered(stderr: str) -> int:
    """The port the message offers instead is one the web process could bind."""
    import re

    found = re.search(r"use a free port: retro deploy local --port (\d+)\)", stderr)
    assert found, stderr
    offered = int(found.group(1))
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", offered))
    return offered


def socket_folder() -> str:
    """Where the test server's Unix socket is (the `host` of a socket URL)."""
    import psycopg

    with psycopg.connect(POSTGRES_TEST_URL, connect_timeout=5) as conn:
        folders = conn.execute("SHOW unix_socket_directories").fetchone()[0]
    folder = folders.split(",")[0].strip()
    if not folder or not Path(folder).is_dir():
        pytest.skip(f"the PostgreSQL server at {POSTGRES_TEST_URL} has no local socket here")
    return folder


def project_folder(tmp_path: Path, dotenv: str | None = None) -> Path:
    """A folder `retro deploy local` takes for a project (a Procfile and manage.py), with
    `dotenv` as its .env."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in ("Procfile", "manage.py"):
        shutil.copy(ROOT / name, folder / name)
    if dotenv is not None:
        (folder / ".env").write_text(dotenv)
    return folder


class TestDatabaseURLForms:
    """Every form dj-database-url (and so the site) reads is one retro reads: no host (the local
    socket, libpq's default user: PGUSER here, as a student's own account would be), a host
    with its port, user:password@, postgresql://, pgsql://, a percent-encoded socket folder."""

    @pytest.mark.parametrize(
        "form",
        [
            "postgres:///{name}",
            "postgres://postgres@127.0.0.1:5432/{name}",
            "postgres://postgres:s3cr%40t@127.0.0.1:5432/{name}",
            "postgresql://postgres@127.0.0.1/{name}",
            "pgsql://postgres@127.0.0.1:5432/{name}",
            "postgres://{socket}/{name}?connect_timeout=5",
        ],
        ids=["no host", "host and port", "password", "postgresql", "pgsql", "socket folder"],
    )
    def test_the_form_is_read_as_the_site_reads_it(self, tmp_path, postgres, redis_url, form):
        name = f"retro_check_{uuid.uuid4().hex[:12]}"
        url = form.format(name=name, socket=quote(socket_folder(), safe="") if "{socket}" in
                          form else "")

        run = check(tmp_path, database=url, redis=redis_url, PGUSER="postgres")

        assert run.returncode == 0, str(run)
        assert f"database {name} on " in run.stdout
        assert "the database does not exist yet; it will be created" in run.stdout
        assert "s3cr" not in run.stdout + run.stderr  # the password is never shown
        where = "the local socket" if "127.0.0.1" not in url else "127.0.0.1:5432"
        assert f"on {where}" in run.stdout, run.stdout

    def test_an_existing_database_on_the_socket_is_found(self, tmp_path, postgres, redis_url):
        import psycopg

        name = f"retro_check_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_TEST_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            run = check(tmp_path, database=f"postgres:///{name}", redis=redis_url,
                        PGUSER="postgres")
        finally:
            with psycopg.connect(POSTGRES_TEST_URL, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        assert run.returncode == 0, str(run)
        assert f"postgres:///{name}: database {name} on the local socket" in run.stdout
        assert "does not exist" not in run.stdout

    def test_a_url_with_a_bad_port_is_refused_in_words(self, tmp_path):
        run = check(tmp_path, database="postgres://127.0.0.1:nope/retrosocial", redis=None)

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert "DATABASE_URL cannot be read: postgres://127.0.0.1:nope/retrosocial" in run.stderr


LESSON_ENV = """# the lesson's .env (week 3, step 8)
DEBUG=0
SECRET_KEY=paste-a-long-random-key-here-0123456789abcdefghijklmnopqrstuv
ALLOWED_HOSTS=127.0.0.1,localhost
DATABASE_URL=postgres:///{name}
SECURE_SSL_REDIRECT=0
SECURE_COOKIES=0
SECURE_HSTS_SECONDS=0
"""


class TestDotEnv:
    def test_the_lessons_env_file_is_read(self, tmp_path, postgres, redis_url):
        name = f"retro_check_{uuid.uuid4().hex[:12]}"
        folder = project_folder(tmp_path, LESSON_ENV.format(name=name))

        run = check(tmp_path, database=None, redis=redis_url, cwd=folder, PGUSER="postgres")

        assert run.returncode == 0, str(run)
        assert f"{folder / '.env'} read (7 variables); the environment wins over it" in run.stdout
        assert f"DATABASE_URL=postgres:///{name}  (.env)" in run.stdout
        assert "SECRET_KEY=***  (.env)" in run.stdout
        assert "paste-a-long-random-key" not in run.stdout + run.stderr
        assert "✓ PostgreSQL is reachable (DATABASE_URL from .env)" in run.stdout
        assert f"database {name} on the local socket" in run.stdout
        assert "REDIS_URL=" in run.stdout and "(the environment)" in run.stdout

    def test_the_environment_wins_over_the_file(self, tmp_path, postgres, redis_url):
        folder = project_folder(
            tmp_path,
            "DATABASE_URL=postgres://postgres:hidden@127.0.0.1:9/nowhere\n"
            "REDIS_URL=redis://127.0.0.1:9/0\n",
        )
        name = f"retro_check_{uuid.uuid4().hex[:12]}"

        run = check(tmp_path, database=database_url(name), redis=redis_url, cwd=folder)

        assert run.returncode == 0, str(run)
        assert "✓ PostgreSQL is reachable (DATABASE_URL from the environment)" in run.stdout
        assert "over .env's DATABASE_URL=postgres://postgres:***@127.0.0.1:9/nowhere" in run.stdout
        assert "✓ Redis is reachable (REDIS_URL from the environment)" in run.stdout
        assert "hidden" not in run.stdout + run.stderr

    def test_quotes_export_and_comments(self, tmp_path, postgres, redis_url):
        name = f"retro_check_{uuid.uuid4().hex[:12]}"
        folder = project_folder(
            tmp_path,
            "# settings for the production run\n"
            "\n"
            f"export DATABASE_URL='postgres:///{name}'\n"
            f'REDIS_URL="{redis_url}"   # the local Redis\n'
            "ALLOWED_HOSTS=127.0.0.1,localhost # and nothing else\n"
            "DEBUG=1\n",
        )

        run = check(tmp_path, database=None, redis=None, cwd=folder, PGUSER="postgres")

        assert run.returncode == 0, str(run)
        assert f"DATABASE_URL=postgres:///{name}  (.env)" in run.stdout
        assert f"REDIS_URL={redis_url}  (.env)" in run.stdout
        assert "ALLOWED_HOSTS=127.0.0.1,localhost  (.env)" in run.stdout
        assert "DEBUG=1  (.env; run with DEBUG=0 (production settings))" in run.stdout
        assert "✓ Redis is reachable (REDIS_URL from .env)" in run.stdout

    def test_a_value_without_its_closing_quote_is_named_by_line(self, tmp_path):
        folder = project_folder(tmp_path, "DEBUG=0\nSECRET_KEY=\"abc\n")

        run = check(tmp_path, database=None, redis=None, cwd=folder)

        assert run.returncode == ExitCode.PROJECT
        assert f"retro: error: {folder / '.env'}, line 2: the value has no closing \"" in (
            run.stderr
        )
        assert "abc" not in run.stderr  # the value may be a secret

    def test_without_a_file_it_says_so(self, tmp_path, postgres, redis_url):
        folder = project_folder(tmp_path)

        run = check(tmp_path, database=database_url("postgres"), redis=redis_url, cwd=folder)

        assert run.returncode == 0, str(run)
        assert f"no .env in {folder}: the environment and retro's defaults" in run.stdout


class TestPortHeldByAnEarlierStep:
    def test_a_runserver_left_running_is_named_with_a_free_port(self, tmp_path, postgres,
                                                               redis_url):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'dev.sqlite3'}")
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            try:  # any answer: runserver is up
                wait_until_answering(
                    f"http://127.0.0.1:{port}/healthz",
                    timeout=60,
                    process=server,
                    ready=lambda response: True,
                    interval=0.2,
                )
            except NotAnswering as error:
                assert error.exit_status is None, "runserver stopped"
                raise AssertionError("runserver did not answer in 60 s") from None

            run = check(tmp_path, database=database_url("postgres"), redis=redis_url, port=port)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)

        assert run.returncode == ExitCode.DEPLOY_FAILED
        assert (
            f"retro: error: port {port} is in use by `python manage.py runserver --noreload "
            f"127.0.0.1:{port}` (pid {server.pid}): a development server left running from an "
            "earlier step (stop it with Ctrl-C in its terminal, or use a free port: "
            "retro deploy local --port "
        ) in run.stderr
        assert_free_port_offered(run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1
