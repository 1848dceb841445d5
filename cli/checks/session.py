"""
A checking session: the student's project copied into a temporary folder, run the way a
reviewer would run it, in processes of its own, on databases of its own.

The student's folder is only read: everything runs in the copy (without their database,
virtual environment, .env or git folder), every process has a time limit, and every server
is stopped when the session closes.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from cli.course.model import HEAVY_DIRS

COPY_SKIP_FILES = {".env", "db.sqlite3"}
COPY_SKIP_DIRS = HEAVY_DIRS | {"staticfiles", "media", ".mypy_cache"}
# Variables that would point the copy at the student's own database, Redis or settings.
SCRUBBED_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DJANGO_SETTINGS_MODULE",
    "PORT",
    "STATIC_ROOT",
    "CHANNEL_LAYER_PREFIX",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
}
PASSWORD = "retro-check-Pa55word!"


class SessionError(Exception):
    """The project could not be run at all (reported against the check that needed it)."""

    def __init__(self, message: str, seen: str = ""):
        super().__init__(message)
        self.seen = seen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(text: str, lines: int = 12) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


TRACEBACK = "Traceback (most recent call last):"
CHAINED = ("The above exception", "During handling of the above exception")


def _before(lines: list[str], index: int) -> str:
    """The last line with something on it before `index`."""
    return next((line for line in reversed(lines[:index]) if line.strip()), "")


def server_errors(text: str, frames: int = 4, own: str = "") -> str:
    """What a server's log says went wrong, shortly: the line that introduces its last traceback
    (Django's "Internal Server Error: /", daphne's "Exception inside application"), the frames
    nearest the error, and the error; without a traceback, the log's last lines. The last frame
    in the folder `own` (the project's code) is kept even when it is further out."""
    lines = [line.rstrip() for line in text.splitlines()]
    starts = [index for index, line in enumerate(lines) if line.strip() == TRACEBACK]
    if not starts:
        return tail(text, 6)
    start = starts[-1]
    intro = _before(lines, start)
    while intro.startswith(CHAINED) and any(index < start for index in starts):
        # One error raised while handling another: what introduced the first one introduces all.
        start_of_chain = max(index for index in starts if index < start)
        intro, start = _before(lines, start_of_chain), start_of_chain
    if intro.startswith((" ", "\t", *CHAINED)):
        intro = ""  # the end of an earlier traceback, not this one's introduction
    start = starts[-1]
    body, error = [], ""
    for line in lines[start + 1 :]:
        if line.startswith((" ", "\t")) or not line:
            # Not the blank lines, nor the ^^^ lines pointing under the failing expression.
            if line.strip().strip("^~"):
                body.append(line)
        else:
            error = line  # the error itself: the first line back at the margin
            break
    # A frame is a `File "…", line N, in …` line and the code lines below it.
    heads = [index for index, line in enumerate(body) if line.lstrip().startswith("File ")]
    groups = [body[a:b] for a, b in zip(heads, [*heads[1:], len(body)], strict=True)]
    kept = set(range(max(0, len(groups) - frames), len(groups)))
    mine = [n for n, group in enumerate(groups) if own and f'"{own}' in group[0]]
    if mine:
        kept.add(mine[-1])
    shown = [intro] if intro else []
    skipped = 0
    for number, group in enumerate(groups):
        if number not in kept:
            skipped += 1
            continue
        if skipped:
            shown.append(f"  … {skipped} frame{'s' if skipped > 1 else ''} left out")
            skipped = 0
        shown += group
    return "\n".join([*shown, error])


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path
    base_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    # (the copy's folder, the student's folder): error lines name the student's own files.
    folders: tuple[str, str] = ("", "")

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def mark(self) -> int:
        """Where the server's log ends now: `errors_since(mark)` reads what it writes after."""
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def errors_since(self, mark: int, wait: float = 1.5) -> str:
        """The server's own account of a failure since `mark`: the end of the last traceback it
        logged (the frames nearest the error and the error itself), else its last lines. A
        server logs the traceback as it fails; this waits up to `wait` seconds for it."""
        deadline = time.monotonic() + wait
        size = -1
        while True:
            text = self._since(mark)
            settled = len(text) == size
            size = len(text)
            if ("Traceback (most recent call last)" in text and settled) or (
                time.monotonic() > deadline
            ):
                copy, source = self.folders
                errors = server_errors(text, own=copy)
                return errors.replace(copy, source) if copy and source else errors
            time.sleep(0.1)

    def _since(self, mark: int) -> str:
        try:
            with open(self.log, "rb") as log:
                log.seek(mark)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=5)


class Session:
    def __init__(
        self, project: Path, python: str, deadline: float, services: dict[str, str] | None = None
    ):
        self.source = project
        # PostgreSQL and Redis servers the checks may use (databases and prefixes of their own);
        # without them, the checks of weeks 3 and 4 check what they can offline.
        self.services = {key: value for key, value in (services or {}).items() if value}
        self.python = python
        self.deadline = deadline
        self.tmp = Path(tempfile.mkdtemp(prefix="retro-check-"))
        self.dir = self.tmp / "project"
        shutil.copytree(project, self.dir, ignore=_ignore, symlinks=True)
        self.database_url = f"sqlite:///{self.tmp / 'check.sqlite3'}"
        self.secret_key = secrets.token_urlsafe(50)
        self.servers: dict[str, Server] = {}
        self.cache: dict[str, object] = {}
        self.users: dict[str, str] = {}  # username -> password, created by the checks
        self._ports: dict[str, int] = {}
        self._tokens: dict[str, str] = {}
        # Work started ahead (see `ahead`): slow commands that depend only on the project,
        # run in the background while the checks before the one that needs them run.
        self._ahead: dict[tuple, Future] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._closing = False
        self.untaken: list[tuple] = []  # work started ahead that no check took (see close)

    def port_for(self, name: str) -> int:
        """A free port for the server called `name`, the same all session long."""
        if name not in self._ports:
            self._ports[name] = free_port()
        return self._ports[name]

    def token(self, name: str) -> str:
        """A random secret for `name`, the same all session long (so work can start ahead)."""
        if name not in self._tokens:
            self._tokens[name] = secrets.token_urlsafe(50)
        return self._tokens[name]

    # -- work started ahead -------------------------------------------------------------------

    def ahead(self, key: tuple, work: Callable[[], object]) -> Future:
        """Start `work` in the background (two at a time, in the order asked); the check that
        needs it gets its result, or its exception, from `take(key, …)` instead of running it
        again. Only for work that depends on nothing a check does first: commands that read the
        project, or write only files and databases of their own."""
        if key in self._ahead:
            return self._ahead[key]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="retro-check")
        future = self._pool.submit(work)
        self._ahead[key] = future
        return future

    def take(self, key: tuple, work: Callable[[], object]):
        """The result of the work started ahead under `key`, else of `work()` run now."""
        future = self._ahead.pop(key, None)
        return work() if future is None else future.result()

    def manage_ahead(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 90,
        after: Future | None = None,
    ) -> Future:
        """Start `python manage.py ARGS` now (once `after` is done, if given: work ahead keeps
        the order the checks have); `manage(ARGS, env=…)` takes its result."""
        env = env or self.dev_env()

        def work():
            if after is not None:
                wait([after])
            return self._manage(args, env, timeout, None)

        return self.ahead(_manage_key(args, env, None), work)

    def facts_ahead(self, env: dict[str, str] | None = None) -> Future:
        """Start `facts(env)` now (the `manage.py shell` it runs)."""
        return self.manage_ahead("shell", "-c", FACTS, env=env)

    def run_line_ahead(self, command: str, env: dict[str, str], timeout: float = 120):
        """Start a shell command line now; `run_line(command, env)` takes its result."""
        self.ahead(("line", command, _frozen(env)), lambda: self._line(command, env, timeout))

    def _run(self, argv, *, env, timeout, stdin=None, shell=False) -> subprocess.CompletedProcess:
        """A process in the copy, with a time limit; `close()` ends it if it is still running."""
        with self._lock:
            if self._closing:
                raise SessionError("the checks were stopped")
            process = subprocess.Popen(
                argv,
                cwd=self.dir,
                env=env,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                shell=shell,
                start_new_session=True,
            )
            self._running.add(process)
        try:
            out, err = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            raise
        finally:
            with self._lock:
                self._running.discard(process)
        return subprocess.CompletedProcess(argv, process.returncode, out, err)

    # -- environment and processes ----------------------------------------------------------

    def base_env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
        env["PATH"] = str(Path(self.python).parent) + os.pathsep + env.get("PATH", "")
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        # The checks sign up and log in many people from one address within a minute: a site
        # that reads the course's rate settings must not take them for an attack.
        env.update(API_THROTTLE_AUTH="10000/minute", API_THROTTLE_WRITE="10000/minute")
        return env

    def dev_env(self, **extra: str) -> dict[str, str]:
        """Development settings: DEBUG on, the session's own SQLite database."""
        env = self.base_env()
        env.update(DEBUG="1", DATABASE_URL=self.database_url)
        env.update(extra)
        return env

    def production_env(self, **extra: str) -> dict[str, str]:
        """Production settings as Heroku gives them: DEBUG unset, a secret key, the hosts."""
        env = self.base_env()
        env.update(
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=f"sqlite:///{self.tmp / 'production.sqlite3'}",
            STATIC_ROOT=str(self.tmp / "staticfiles"),
        )
        env.update(extra)
        return env

    def explain(self, output: str) -> str:
        """A command's failure in short (the end of its traceback, else its last lines), naming
        the student's files rather than the copy's."""
        return server_errors(output, own=str(self.dir)).replace(str(self.dir), str(self.source))

    def remaining(self, cap: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 1:
            raise SessionError("the time limit for the checks ran out")
        return min(cap, left)

    def manage(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 90,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess:
        env = env or self.dev_env()
        key = _manage_key(args, env, stdin)
        return self.take(key, lambda: self._manage(args, env, timeout, stdin))

    def _manage(self, args, env, timeout, stdin) -> subprocess.CompletedProcess:
        try:
            return self._run(
                [self.python, "manage.py", *args],
                env=env,
                stdin=stdin,
                timeout=self.remaining(timeout),
            )
        except subprocess.TimeoutExpired:
            raise SessionError(
                f"`python manage.py {' '.join(args)}` did not finish within {timeout:.0f} s"
            ) from None
        except OSError as error:
            raise SessionError(f"cannot run {self.python}: {error}") from None

    def shell(self, code: str, env: dict[str, str] | None = None, marker: str = "RETRO:"):
        """Run Python in `manage.py shell` and return the JSON it prints after `marker`. With the
        development settings, the code runs in one `manage.py shell` kept open for the session
        (each piece of code in fresh globals, the database connections closed after it, as a
        new process would have them): starting Django again for each costs a second or more."""
        key = _manage_key(("shell", "-c", code), env or self.dev_env(), None)
        if env is None and key not in self._ahead:
            printed = self._in_shell(code)
        else:
            printed = self.manage("shell", "-c", code, env=env).stdout
        for line in printed.splitlines():
            if line.startswith(marker):
                return json.loads(line[len(marker) :])
        raise SessionError("`python manage.py shell` failed", seen=tail(printed))

    def _in_shell(self, code: str, timeout: float = 90) -> str:
        """What `code` prints (or its traceback) in the session's open development shell."""
        import queue

        worker = self.cache.get("shell")
        if worker is None or worker.process.poll() is not None:
            log = self.tmp / f"shell-{len(self.servers)}.log"
            with self._lock, open(log, "w") as errors:
                if self._closing:
                    raise SessionError("the checks were stopped")
                process = subprocess.Popen(
                    [self.python, "manage.py", "shell", "-c", SHELL_WORKER],
                    cwd=self.dir,
                    env=self.dev_env(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    text=True,
                    start_new_session=True,
                )
            lines: queue.Queue = queue.Queue()

            def read() -> None:
                for line in process.stdout:
                    lines.put(line)
                lines.put(None)

            threading.Thread(target=read, daemon=True).start()
            worker = Server("shell", process, 0, log)
            worker.lines = lines  # type: ignore[attr-defined]
            self.cache["shell"] = worker
            self.servers["shell"] = worker  # stopped with the servers
        try:
            worker.process.stdin.write(json.dumps(code) + "\n")
            worker.process.stdin.flush()
        except OSError:
            pass  # it stopped: said below, with what it printed
        limit = time.monotonic() + self.remaining(timeout)
        while True:
            try:
                line = worker.lines.get(timeout=max(0.01, limit - time.monotonic()))
            except queue.Empty:
                worker.stop()
                raise SessionError(
                    f"`python manage.py shell` did not finish within {timeout:.0f} s"
                ) from None
            if line is None:
                return worker.output()  # the shell stopped: its errors say why
            try:
                answer = json.loads(line)
            except ValueError:
                continue  # something the project printed as Django started
            if isinstance(answer, dict) and "printed" in answer:
                return answer["printed"]

    def migrated(self) -> None:
        """Migrate the session's database once (raises if that fails)."""
        if "migrated" in self.cache:
            if self.cache["migrated"] is not True:
                raise SessionError("migrate failed", seen=str(self.cache["migrated"]))
            return
        result = self.manage("migrate", "--noinput")
        printed = result.stdout + result.stderr
        if result.returncode != 0 or not (
            "Operations to perform" in printed or "No migrations to apply" in printed
        ):
            self.cache["migrated"] = tail(result.stderr or result.stdout)
            raise SessionError("`python manage.py migrate` failed", seen=self.cache["migrated"])
        self.cache["migrated"] = True

    # -- what the project says about itself ------------------------------------------------

    def facts(self, env: dict[str, str] | None = None, key: str = "dev") -> dict:
        """Settings, apps, URLs and models, as the project's own Django sees them."""
        cache_key = f"facts:{key}"
        if cache_key not in self.cache:
            self.cache[cache_key] = self.shell(FACTS, env=env)
        return self.cache[cache_key]  # type: ignore[return-value]

    def create_user(self, prefix: str, superuser: bool = False) -> str:
        """A new user with the password PASSWORD. Ordinary users are made a few at a time, in
        one process: each password costs Django a deliberate fraction of a second to hash."""
        if superuser:
            return self._create_users(prefix, 1, superuser=True)[0]
        pool: list[str] = self.cache.setdefault("user-pool", [])  # type: ignore[assignment]
        if not pool:
            pool.extend(self._create_users("user", 6))
        username = pool.pop(0)
        self.users[username] = PASSWORD
        return username

    def superuser(self) -> str:
        """The session's one superuser, made on first use."""
        if "superuser" not in self.cache:
            self.cache["superuser"] = self._create_users("admin", 1, superuser=True)[0]
        return self.cache["superuser"]  # type: ignore[return-value]

    def _create_users(self, prefix: str, count: int, superuser: bool = False) -> list[str]:
        names = [f"{prefix}{uuid.uuid4().hex[:6]}" for _ in range(count)]
        self.migrated()
        # One password hash for all of them: hashing costs a deliberate fraction of a second.
        code = (
            "import json\n"
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.auth.hashers import make_password\n"
            "User = get_user_model()\n"
            f"hashed = make_password({PASSWORD!r})\n"
            f"make = User.objects.create_superuser if {superuser!r} else User.objects.create_user\n"
            f"for name in {names!r}:\n"
            "    user = make(username=name, email=name + '@example.com', password=None)\n"
            "    user.password = hashed\n"
            "    user.save(update_fields=['password'])\n"
            "print('RETRO:' + json.dumps(User.objects.count()))\n"
        )
        self.shell(code)
        for name in names:
            self.users[name] = PASSWORD
        return names

    # -- servers ------------------------------------------------------------------------------

    def start(
        self,
        name: str,
        argv: list[str] | str,
        env: dict[str, str],
        port: int,
        ready_path: str = "/",
        headers: dict[str, str] | None = None,
        timeout: float = 40,
    ) -> Server:
        """Start a server process and wait until it answers HTTP on `port`."""
        import httpx

        log = self.tmp / f"{name}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                argv,
                cwd=self.dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                shell=isinstance(argv, str),
                start_new_session=True,
            )
        server = Server(name, process, port, log, f"http://127.0.0.1:{port}", env)
        server.folders = (str(self.dir), str(self.source))
        self.servers[name] = server
        limit = time.monotonic() + self.remaining(timeout)
        while time.monotonic() < limit:
            if process.poll() is not None:
                raise SessionError(
                    f"the server stopped as it started (exit status {process.returncode})",
                    seen=server.errors_since(0, wait=0),
                )
            try:
                httpx.get(server.base_url + ready_path, timeout=2, headers=headers or {})
                return server
            except httpx.HTTPError:
                time.sleep(0.1)
        server.stop()
        raise SessionError(
            f"the server did not answer on port {port} within {timeout:.0f} s",
            seen=server.errors_since(0, wait=0),
        )

    def dev_server(self) -> Server:
        """`python manage.py runserver` on the session's database, started once."""
        if "dev" in self.servers:
            server = self.servers["dev"]
            if server.process.poll() is None:
                return server
            raise SessionError(
                "the development server stopped", seen=server.errors_since(0, wait=0)
            )
        if "dev-failed" in self.cache:
            raise SessionError(
                "the development server did not start", seen=str(self.cache["dev-failed"])
            )
        self.migrated()
        port = free_port()
        argv = [self.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
        try:
            return self.start("dev", argv, self.dev_env(), port)
        except SessionError as error:
            self.cache["dev-failed"] = error.seen
            raise

    def run_line(self, command: str, env: dict[str, str], timeout: float = 120):
        """Run a shell command line (a Procfile's) in the copy."""
        key = ("line", command, _frozen(env))
        return self.take(key, lambda: self._line(command, env, timeout))

    def _line(self, command: str, env: dict[str, str], timeout: float):
        try:
            return self._run(command, shell=True, env=env, timeout=self.remaining(timeout))
        except subprocess.TimeoutExpired:
            raise SessionError(f"`{command}` did not finish within {timeout:.0f} s") from None

    def close(self) -> None:
        with self._lock:
            self._closing = True
            running = list(self._running)
        self.untaken = [key[:2] for key in self._ahead]
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        for process in running:  # work started ahead that no check needed after all
            _kill_group(process)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for server in self.servers.values():
            server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _frozen(env: dict[str, str]) -> tuple:
    return tuple(sorted(env.items()))


def _manage_key(args, env: dict[str, str], stdin: str | None) -> tuple:
    return ("manage", tuple(args), _frozen(env), stdin)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = set()
    for name in names:
        path = os.path.join(folder, name)
        if name in COPY_SKIP_DIRS and os.path.isdir(path):
            skipped.add(name)
        elif name in COPY_SKIP_FILES or name.endswith((".sqlite3", ".pyc")):
            skipped.add(name)
    return skipped


def procfile(project: Path) -> dict[str, str]:
    """The process types of a Procfile: {"web": "daphne …", "release": "python manage.py …"}."""
    processes = {}
    path = project / "Procfile"
    if not path.is_file():
        return processes
    for line in path.read_text(errors="replace").splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            processes[name.strip()] = command.strip()
    return processes


def command_words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


# The session's open development shell: runs each piece of code it is sent (one JSON string a
# line) in fresh globals, as `manage.py shell -c` would, and answers with what it printed.
SHELL_WORKER = r"""
import contextlib as _contextlib, io as _io, json as _json, sys as _sys, traceback as _traceback
from django.db import connections as _connections
_fresh = dict(globals())
_answer = _sys.stdout
for _line in _sys.stdin:
    _printed = _io.StringIO()
    try:
        with _contextlib.redirect_stdout(_printed), _contextlib.redirect_stderr(_printed):
            exec(compile(_json.loads(_line), "<retro check>", "exec"), dict(_fresh))
    except BaseException:
        _printed.write(_traceback.format_exc())
    finally:
        _connections.close_all()
    _answer.write(_json.dumps({"printed": _printed.getvalue()}) + "\n")
    _answer.flush()
"""

# Printed by `manage.py shell -c` in the project: what a reviewer learns by reading settings.
FACTS = r"""
import json
from pathlib import Path
from django.apps import apps
from django.conf import settings
from django.db import models as _models

def _safe(call, default=None):
    try:
        return call()
    except Exception as error:
        return default if default is not None else f"error: {error}"

base = Path.cwd().resolve()
user_model = apps.get_model(settings.AUTH_USER_MODEL)
own_apps, post_models = [], []
for config in apps.get_app_configs():
    if not Path(config.path).resolve().is_relative_to(base):
        continue
    own_apps.append(config.label)
    for model in config.get_models():
        fields = model._meta.get_fields()
        to_user = [f.name for f in fields if getattr(f, "many_to_one", False)
                   and f.related_model is user_model]
        texts = [f.name for f in fields if isinstance(f, (_models.TextField, _models.CharField))]
        if to_user and texts:
            post_models.append({"label": model._meta.label, "user_fields": to_user,
                                "text_fields": texts})

def _login_url():
    from django.shortcuts import resolve_url
    return resolve_url(settings.LOGIN_URL)

def _asgi():
    from django.utils.module_loading import import_string
    app = import_string(settings.ASGI_APPLICATION)
    return type(app).__module__ + "." + type(app).__name__

layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
database = settings.DATABASES.get("default", {})
print("RETRO:" + json.dumps({
    "debug": bool(settings.DEBUG),
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": list(settings.ALLOWED_HOSTS),
    "installed_apps": list(settings.INSTALLED_APPS),
    "own_apps": own_apps,
    "post_models": post_models,
    "database": {"engine": database.get("ENGINE", ""), "name": str(database.get("NAME", "")),
                 "host": str(database.get("HOST", "") or "")},
    "channel_layer": (layers.get("default") or {}).get("BACKEND", ""),
    "asgi_application": getattr(settings, "ASGI_APPLICATION", None),
    "asgi_type": _safe(_asgi) if getattr(settings, "ASGI_APPLICATION", None) else None,
    "login_url": _safe(_login_url),
    "middleware": list(settings.MIDDLEWARE),
    "storages": {k: v.get("BACKEND", "") for k, v in getattr(settings, "STORAGES", {}).items()},
}, default=str))
"""
