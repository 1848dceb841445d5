"""
`heroku local` with the real Heroku CLI (from npm, installed on first use by tests/node.py), on
a fresh copy of the project with a production `.env`: the README's commands, exactly as it
shows them, make every page answer. `heroku local` runs the Procfile offline; nothing here
talks to Heroku's servers.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from cli.course import model
from cli.net import NotAnswering, free_port, wait_until_answering
from tests.conftest import require
from tests.live import ROOT
from tests.node import NodeMissing, npm_package
from tests.services import POSTGRES_TEST_URL, postgres_reachable

pytestmark = [pytest.mark.postgres, pytest.mark.live]

HEROKU_CLI = ("heroku", "11.10.0")
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


def readme_block() -> str:
    """The shell listing of the README's `heroku local` section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### `heroku local`", 1)[1].split("\n### ", 1)[0]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def heroku() -> Path:
    """The real Heroku CLI. Without npm this test skips; npm failing to install it fails."""
    try:
        package = npm_package(*HEROKU_CLI)
    except NodeMissing as error:
        pytest.skip(str(error))
    return package.parent / ".bin" / "heroku"


@pytest.fixture
def fresh_copy(tmp_path):
    """The project's files as a clone has them, a .env with the README's lines and a database
    of this test's own, and a PATH on which `python` is this virtual environment's."""
    folder = tmp_path / "retrosocial"
    for rel in model.load(ROOT).project.files(ROOT):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, folder / rel)

    postgres_url = POSTGRES_TEST_URL  # the server's `postgres` database, whatever DATABASE_URL is
    require("postgres", postgres_reachable(postgres_url), f"no PostgreSQL at {postgres_url}")
    name = f"retro_heroku_local_{uuid.uuid4().hex[:10]}"
    admin = urlsplit(postgres_url)
    database_url = urlunsplit(admin._replace(path=f"/{name}"))
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    env_lines = readme_block().split("cat > .env <<'END'\n", 1)[1].split("END\n", 1)[0]
    env_lines = re.sub(r"^DATABASE_URL=.*$", f"DATABASE_URL={database_url}", env_lines, flags=re.M)
    (folder / ".env").write_text(env_lines + f"SECRET_KEY={uuid.uuid4().hex * 2}\n")

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "STATIC_ROOT",
                       "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "PORT"}
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["DISABLE_TELEMETRY"] = "true"  # the CLI would try to report to Heroku otherwise
    yield folder, env
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_readmes_commands_make_heroku_local_serve_every_page(heroku, fresh_copy):
    folder, env = fresh_copy
    commands = [line for line in readme_block().splitlines() if line.startswith("heroku ")]
    assert commands == [
        "heroku local:run -- python manage.py collectstatic --noinput",
        "heroku local release",
        "heroku local web",
    ]
    for command in commands[:-1]:
        result = subprocess.run(
            [str(heroku), *shlex.split(command)[1:]],
            cwd=folder, env=env, capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    assert (folder / "staticfiles" / "staticfiles.json").exists()

    port = free_port()
    log = folder.parent / "heroku-local-web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(
            [str(heroku), *shlex.split(commands[-1])[1:], "-p", str(port)],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(f"{url}/healthz", timeout=60, process=web, interval=0.2)
        except NotAnswering as error:
            assert error.exit_status is None, f"heroku local web exited:\n{log.read_text()}"
            raise AssertionError("heroku local web did not answer in 60 s") from None

        for path in ("/", "/login", "/signup", "/api/docs/"):
            page = httpx.get(url + path, timeout=10)
            assert page.status_code == 200, f"{path}: {page.status_code}\n{log.read_text()}"
        stylesheet = STYLESHEET.search(httpx.get(url + "/", timeout=10).text).group(1)
        assert re.search(r"site\.[0-9a-f]{12}\.css$", stylesheet), stylesheet  # hashed
        assert httpx.get(url + stylesheet, timeout=10).status_code == 200
    finally:
        os.killpg(web.pid, signal.SIGINT)
        try:
            web.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
            web.wait()
