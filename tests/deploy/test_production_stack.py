"""
The production configuration started for real on this machine by `retro deploy local`: daphne
from the Procfile through honcho, on a PostgreSQL database of this run's own (created by the
command, dropped after) and the real Redis (a channel-layer prefix of this run's own), DEBUG
off. Then what Heroku would serve: /healthz, hashed and compressed static files, a post made
through the API arriving on a websocket; and `check --deploy` clean with production values.
"""

from __future__ import annotations

import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from cli.errors import ExitCode
from tests.checkpoints import COURSE, copy_checkpoint
from tests.conftest import require
from tests.live import PASSWORD, ROOT, feed_socket, free_port, receive_json, unique
from tests.services import POSTGRES_TEST_URL, postgres_reachable


class LocalDeploy:
    """`retro deploy local` running in the background, its output kept line by line."""

    def __init__(self, env: dict[str, str], port: int, cwd: Path = ROOT):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "deploy", "local", "--port", str(port)],
            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            bufsize=1,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} from retro deploy local:\n" + self.output())

    def output(self) -> str:
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C, as a person at the terminal stops it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            output = self.output()
            raise AssertionError(f"retro deploy local did not stop on Ctrl-C:\n{output}") from None


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def database_url():
    """A database name of this run's own, which `retro deploy local` creates; dropped after."""
    require("postgres", postgres_reachable(), f"no PostgreSQL at {POSTGRES_TEST_URL}")
    name = f"retro_deploy_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(POSTGRES_TEST_URL)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    admin(POSTGRES_TEST_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def deploy_env(database_url: str, redis_url: str, folder: Path) -> dict[str, str]:
    """The environment of a `retro deploy local` of the test's own: its database, channel
    prefix, config folder and static folder; none of the suite's settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RETRO_", "SECURE_", "API_THROTTLE"))
           and k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_LAYER_PREFIX=f"retro-deploy-{uuid.uuid4().hex[:8]}",
        RETRO_CONFIG_DIR=str(folder / "config"),
        STATIC_ROOT=str(folder / "static"),
        RETRO_DEPLOY_LOCAL_TIMEOUT="60",
    )
    return env


@pytest.fixture(scope="module")
def stack(database_url, redis_url, tmp_path_factory):
    """`retro deploy local` serving, with its own database, channel prefix, config folder and
    static folder; stopped with Ctrl-C afterwards, which must end it cleanly (exit 0)."""
    env = deploy_env(database_url, redis_url, tmp_path_factory.mktemp("deploy-local"))
    running = LocalDeploy(env, free_port())
    running.wait_for("RetroSocial is running at")
    yield running
    code = running.interrupt()
    output = running.output()
    assert code == 0, output
    assert "Stopped." in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{running.url}/healthz", timeout=2)  # daphne is gone too


class TestDeployLocal:
    def test_each_step_is_shown_done(self, stack):
        output = stack.output()
        for title in (
            "The Procfile declares release and web",
            "PostgreSQL is reachable",
            "Redis is reachable",
            "SECRET_KEY",
            "Static files collected",
            "Release process: python manage.py migrate --noinput",
            "Web process: daphne --proxy-headers --bind 0.0.0.0 --port $PORT",
        ):
            assert f"✓ {title}" in output, output
        assert re.search(r"✓ PostgreSQL is reachable .*\(database retro_deploy_\w+ created\)",
                         output), output
        assert re.search(r"✓ Release process: .* — \d+ migrations applied", output), output
        # daphne runs under honcho, as the Procfile's web process
        assert re.search(r"web\.1\s+\| .*Listening on TCP address 0\.0\.0\.0:" + str(stack.port),
                         output), output

    def test_the_procfiles_task_worker_runs_beside_web(self, stack):
        output = stack.output()
        assert "✓ Worker process: python manage.py db_worker" in output, output
        if not re.search(r"worker\.1\s+\| .*Starting worker", output):
            stack.wait_for("Starting worker", timeout=30)
        assert re.search(r"worker\.1\s+\| .*Starting worker", stack.output())

    def test_healthz_answers_with_the_database_and_redis(self, stack):
        response = httpx.get(f"{stack.url}/healthz", timeout=5)

        assert response.status_code == 200
        assert response.json() == {
            "database": "ok",
            "channel_layer": "ok",
            "tasks_waiting": 0,
            "oldest_task_seconds": 0,
            "status": "ok",
        }

    def test_debug_is_off(self, stack):
        response = httpx.get(f"{stack.url}/no-such-page", timeout=5)

        assert response.status_code == 404
        assert "URLconf" not in response.text  # Django's debug page would list the URLconf

    def test_static_files_are_hashed_and_served_compressed(self, stack):
        page = httpx.get(f"{stack.url}/", timeout=5)
        match = re.search(r'/static/css/site\.[0-9a-f]{12}\.css', page.text)
        assert match, page.text

        compressed = httpx.get(f"{stack.url}{match.group(0)}",
                               headers={"Accept-Encoding": "gzip"}, timeout=5)
        plain = httpx.get(f"{stack.url}{match.group(0)}",
                          headers={"Accept-Encoding": "identity"}, timeout=5)

        assert compressed.status_code == 200
        assert compressed.headers["content-encoding"] in {"gzip", "br"}
        assert "immutable" in compressed.headers["cache-control"]  # hashed: cached forever
        assert "content-encoding" not in plain.headers
        assert compressed.text == plain.text  # the same stylesheet, once decompressed

    def test_a_websocket_client_receives_a_post_made_through_the_api(self, stack):
        api = httpx.Client(base_url=stack.url, timeout=10)
        signup = api.post("/api/auth/signup",
                          json={"username": unique("deployer"), "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        token = signup.json()["token"]
        server = SimpleNamespace(url=stack.url, ws_url=stack.ws_url)
        ws = feed_socket(server)
        try:
            text = f"through the production stack {secrets.token_hex(4)}"
            created = api.post("/api/posts", json={"text": text},
                               headers={"Authorization": f"Token {token}"})
            assert created.status_code == 201, created.text

            assert receive_json(ws) == created.json()
        finally:
            ws.close()


class TestWorker:
    def test_the_procfiles_worker_runs_beside_web_and_stops_with_it(
        self, database_url, redis_url, tmp_path
    ):
        """A project whose Procfile has a worker (here a small stand-in that says it started
        and writes its pid): it runs under honcho with web, and Ctrl-C stops both."""
        project = copy_checkpoint(COURSE.weeks[-1].number, tmp_path / "project")
        pid_file = tmp_path / "worker.pid"
        worker = (
            'python -u -c "import os, pathlib, time; '
            f"pathlib.Path('{pid_file}').write_text(str(os.getpid())); "
            "print('worker ready'); time.sleep(600)\""
        )
        with_worker(project, worker)

        running = LocalDeploy(deploy_env(database_url, redis_url, tmp_path), free_port(), project)
        try:
            running.wait_for("RetroSocial is running at")
            output = running.output()
            assert "✓ Worker process: python -u -c" in output, output
            assert "running beside web (its lines start with worker.1)" in output
            if "worker ready" not in running.output():
                running.wait_for("worker ready", timeout=30)
            assert re.search(r"worker\.1\s+\| worker ready", running.output())
            worker_pid = int(pid_file.read_text())
            os.kill(worker_pid, 0)  # running now
        finally:
            code = running.interrupt()
        assert code == 0, running.output()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and pid_alive(worker_pid):
            time.sleep(0.2)
        assert not pid_alive(worker_pid), "Ctrl-C left the worker running"

    def test_a_worker_that_stops_stops_the_deploy_with_its_name(
        self, database_url, redis_url, tmp_path
    ):
        project = copy_checkpoint(COURSE.weeks[-1].number, tmp_path / "project")
        with_worker(project, 'python -c "raise SystemExit(\'no queue\')"')
        running = LocalDeploy(deploy_env(database_url, redis_url, tmp_path), free_port(), project)
        error = running.wait_for("retro: error:", timeout=120)
        code = running.process.wait(timeout=30)
        output = running.output()
        assert code == ExitCode.DEPLOY_FAILED, output
        assert "the web and worker processes (honcho stops all when one stops) stopped" in error
        assert "Traceback" not in output


def with_worker(project, command: str) -> None:
    """The project's Procfile with `command` as its worker, in place of the site's db_worker."""
    procfile = project / "Procfile"
    lines = procfile.read_text().splitlines()
    assert "worker: python manage.py db_worker" in lines
    kept = [line for line in lines if not line.startswith("worker:")]
    procfile.write_text("\n".join([*kept, f"worker: {command}"]) + "\n")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class TestCheckDeploy:
    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SECURE_", "RETRO_"))
               and k not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "STATIC_ROOT"}}
        host = "retro-demo-0123456789ab.herokuapp.com"
        env.update(
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=host,
            CSRF_TRUSTED_ORIGINS=f"https://{host}",
            DATABASE_URL=urlunsplit(urlsplit(POSTGRES_TEST_URL)._replace(path="/retrosocial")),
            REDIS_URL="rediss://:secret@127.0.0.1:6379",
        )
        env.update(extra)
        return env

    def check_deploy(self, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy"],
            cwd=ROOT, env=self.env(**extra), capture_output=True, text=True, timeout=120,
        )

    def test_production_values_report_no_issues(self):
        result = self.check_deploy()

        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout

    def test_it_would_notice_plain_http(self):
        result = self.check_deploy(SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0")

        assert "security.W008" in result.stdout + result.stderr  # SECURE_SSL_REDIRECT
        assert "security.W012" in result.stdout + result.stderr  # SESSION_COOKIE_SECURE


def test_the_procfile_is_what_heroku_runs():
    """The release phase migrates; the web process binds $PORT on every interface and trusts
    the router's X-Forwarded-* headers."""
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert procfile["release"].split() == ["python", "manage.py", "migrate", "--noinput"]
    web = procfile["web"].split()
    assert web[0] == "daphne" and web[-1] == "retrosocial.asgi:application"
    assert {"--proxy-headers", "--bind", "0.0.0.0", "--port", "$PORT"} <= set(web)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert (ROOT / ".python-version").read_text().strip() == version  # the one we test on
    assert not (ROOT / "runtime.txt").exists()  # deprecated by Heroku
