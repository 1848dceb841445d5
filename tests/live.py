"""
Real servers for end-to-end tests: daphne processes serving the site, each on a free port,
against a database of their own (a SQLite file, or a fresh PostgreSQL database when the suite
runs on PostgreSQL), with the production settings (DEBUG off) apart from HTTPS.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import websocket

from cli.net import NotAnswering, free_port, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = secrets.token_urlsafe(50)
PASSWORD = "a-long-pass-phrase-42"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def unique(name: str) -> str:
    """A username no other test (or earlier run against the same database) has taken."""
    return f"{name}{uuid.uuid4().hex[:6]}"


def production_env(database_url: str, redis_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of a production process, minus HTTPS (these servers speak plain HTTP)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="retrosocial.settings",
        PYTHONUNBUFFERED="1",
        # Every test talks to a live server from 127.0.0.1: one address, far more sign-ups
        # and posts a minute than a person makes. A test of throttling passes its own rates.
        API_THROTTLE_AUTH="100000/minute",
        API_THROTTLE_WRITE="100000/minute",
        LOGIN_FAILURE_LIMIT="100000/minute",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def ctrl_c_as_at_a_terminal() -> None:
    """Ctrl-C (SIGINT) for this process and the programs it starts as at a terminal. A suite
    started in the background by a shell without job control (`make test &` in a script)
    inherits SIGINT ignored, and so does every program it starts: Python then raises no
    KeyboardInterrupt at all, and a Ctrl-C sent to `retro tail` is lost. With a handler here,
    programs started from now on begin with SIGINT at its default (exec resets handlers)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class LiveDatabase:
    """An empty, migrated database for live servers, removed again by `drop()`."""

    def __init__(self, like_url: str | None):
        self.postgres = bool(like_url) and like_url.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            self.name = f"retro_live_{uuid.uuid4().hex[:12]}"
            parts = urlsplit(like_url)
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self._folder = tempfile.mkdtemp(prefix="retro-live-db-")
            self.url = f"sqlite:///{self._folder}/db.sqlite3"
        manage("migrate", "--noinput", env=production_env(self.url))

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def stop_process(process: subprocess.Popen | None) -> None:
    """End a process the suite started: TERM, and KILL if it is still there 10 s later."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LiveServer:
    """One daphne process. `stop()` and `start()` again keep the same port and database."""

    def __init__(
        self,
        database: LiveDatabase,
        redis_url: str = "",
        application: str = "retrosocial.asgi:application",
        daphne_args: tuple[str, ...] = (),
        **extra_env: str,
    ):
        self.database = database
        self.application = application
        self.daphne_args = tuple(daphne_args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = production_env(database.url, redis_url, **extra_env)
        self.log = Path(tempfile.mkstemp(prefix="retro-daphne-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> LiveServer:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    *self.daphne_args,
                    self.application,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_answering(f"{self.url}/healthz", timeout=timeout, process=self.process)
        except NotAnswering as error:
            if error.exit_status is not None:
                code = error.exit_status
                raise RuntimeError(f"daphne exited with {code}:\n{self.output()}") from None
            self.stop()
            raise RuntimeError(
                f"daphne did not become healthy in {timeout}s:\n{self.output()}"
            ) from None
        return self

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def kill(self) -> None:
        """End the process at once (SIGKILL), as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Browser:
    """A person at a web browser without JavaScript: httpx with cookies and CSRF tokens."""

    def __init__(self, server: LiveServer):
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=10, follow_redirects=False)

    def form_post(self, path: str, data: dict[str, str]) -> httpx.Response:
        page = self.http.get(path)
        match = CSRF_INPUT.search(page.text)
        assert match, f"no CSRF token on {path}"
        return self.http.post(path, data={"csrfmiddlewaretoken": match.group(1), **data})

    def signup(self, username: str, password: str = PASSWORD) -> Browser:
        response = self.form_post(
            "/signup", {"username": username, "password1": password, "password2": password}
        )
        assert response.status_code == 302, response.text
        return self

    def post(self, text: str) -> httpx.Response:
        return self.form_post("/", {"text": text})

    def session_cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())


def sign_up_in(page, base_url: str, username: str) -> None:
    """Sign up through the real form in a Playwright page; it lands on the home page."""
    page.goto(f"{base_url}/signup")
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def feed_socket(server: LiveServer, timeout: float = 10, **options) -> websocket.WebSocket:
    ws = websocket.create_connection(
        f"{server.ws_url}/ws/feed", timeout=timeout, origin=server.url, **options
    )
    return ws


def receive_json(ws: websocket.WebSocket) -> dict:
    return json.loads(ws.recv())
