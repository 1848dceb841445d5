"""
A checking session: the student's project copied into a temporary folder, run the way a
reviewer would run it, in processes of its own, on databases of its own.

The student's folder is only read: everything runs in the copy (without their database,
virtual environment, .env or git folder), every process has a time limit, and every server
is stopped when the session closes. Its parts, in cli/checks/: processes.py (processes with a
time limit, work started ahead), commands.py (manage.py and command lines, now or ahead),
shell.py (the open development shell), server.py (the servers it starts), accounts.py (the
users it signs up).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from cli.checks.accounts import PASSWORD, Accounts
from cli.checks.commands import Commands, manage_key
from cli.checks.processes import Processes, SessionError
from cli.checks.server import Server, Servers, server_errors, tail
from cli.checks.shell import DjangoShell
from cli.course.model import HEAVY_DIRS
from cli.net import free_port

# What the checks import from here: the session, and the pieces it is made of.
__all__ = [
    "PASSWORD",
    "SCRUBBED_ENV",
    "Server",
    "Session",
    "SessionError",
    "command_words",
    "free_port",
    "procfile",
    "server_errors",
    "tail",
]

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


class Environments:
    """The environments the copy runs with: the user's own without what would point it at
    their database, Redis or settings (SCRUBBED_ENV), then development's or production's."""

    def __init__(self, python: str, tmp: Path, database_url: str, secret_key: str):
        self.python = python
        self.tmp = tmp
        self.database_url = database_url
        self.secret_key = secret_key

    def base(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
        env["PATH"] = str(Path(self.python).parent) + os.pathsep + env.get("PATH", "")
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        # The checks sign up and log in many people from one address within a minute: a site
        # that reads the course's rate settings must not take them for an attack.
        env.update(API_THROTTLE_AUTH="10000/minute", API_THROTTLE_WRITE="10000/minute")
        return env

    def dev(self, **extra: str) -> dict[str, str]:
        """Development settings: DEBUG on, the session's own SQLite database."""
        return {**self.base(), "DEBUG": "1", "DATABASE_URL": self.database_url, **extra}

    def production(self, **extra: str) -> dict[str, str]:
        """Production settings as Heroku gives them: DEBUG unset, a secret key, the hosts."""
        env = self.base()
        env.update(
            SECRET_KEY=self.secret_key,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=f"sqlite:///{self.tmp / 'production.sqlite3'}",
            STATIC_ROOT=str(self.tmp / "staticfiles"),
        )
        env.update(extra)
        return env


class Session:
    """The copy of one project and all that runs in it while it is checked."""

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
        self.environments = Environments(python, self.tmp, self.database_url, self.secret_key)
        self.servers = Servers(self)
        self.cache: dict[str, object] = {}
        self._ports: dict[str, int] = {}
        self._tokens: dict[str, str] = {}
        self.processes = Processes(self.dir)
        self.commands = Commands(self.processes, python, self.remaining, self.dev_env)
        self.django_shell = DjangoShell(self.processes, python, self.tmp / "shell.log")
        self.accounts = Accounts(self)
        self.users = self.accounts.users  # username -> password, created by the checks
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

    # -- environment (Environments) --------------------------------------------------------

    def dev_env(self, **extra: str) -> dict[str, str]:
        return self.environments.dev(**extra)

    def production_env(self, **extra: str) -> dict[str, str]:
        return self.environments.production(**extra)

    def explain(self, output: str) -> str:
        """A command's failure in short (the end of its traceback, else its last lines), naming
        the student's files rather than the copy's."""
        return server_errors(output, own=str(self.dir)).replace(str(self.dir), str(self.source))

    def remaining(self, cap: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 1:
            raise SessionError("the time limit for the checks ran out")
        return min(cap, left)

    # -- commands, now or started ahead (cli/checks/commands.py) ------------------------------

    def ahead(self, key: tuple, work: Callable[[], object]) -> Future:
        return self.commands.work_ahead.start(key, work)

    def take(self, key: tuple, work: Callable[[], object]):
        return self.commands.work_ahead.take(key, work)

    def manage(self, *args: str, env=None, timeout: float = 90, stdin: str | None = None):
        return self.commands.manage(*args, env=env, timeout=timeout, stdin=stdin)

    def manage_ahead(self, *args: str, env=None, timeout: float = 90, after=None) -> Future:
        return self.commands.manage_ahead(*args, env=env, timeout=timeout, after=after)

    def facts_ahead(self, env: dict[str, str] | None = None) -> Future:
        """Start `facts(env)` now (the `manage.py shell` it runs)."""
        return self.manage_ahead("shell", "-c", FACTS, env=env)

    def run_line(self, command: str, env: dict[str, str], timeout: float = 120):
        return self.commands.run_line(command, env, timeout)

    def run_line_ahead(self, command: str, env: dict[str, str], timeout: float = 120):
        self.commands.run_line_ahead(command, env, timeout)

    def shell(self, code: str, env: dict[str, str] | None = None, marker: str = "RETRO:"):
        """Run `code` with `manage.py shell` and return the JSON it prints after `marker`. With
        the development settings, in the session's open shell (cli/checks/shell.py)."""
        key = manage_key(("shell", "-c", code), env or self.dev_env(), None)
        if env is None and key not in self.commands.work_ahead:
            printed = self.django_shell.run(code, self.dev_env(), 90, self.remaining(90))
        else:
            printed = self.manage("shell", "-c", code, env=env).stdout
        for line in printed.splitlines():
            if line.startswith(marker):
                return json.loads(line[len(marker) :])
        raise SessionError("`python manage.py shell` failed", seen=tail(printed))

    # -- what the project says about itself, and its users ----------------------------------

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

    def facts(self, env: dict[str, str] | None = None, key: str = "dev") -> dict:
        """Settings, apps, URLs and models, as the project's own Django sees them."""
        cache_key = f"facts:{key}"
        if cache_key not in self.cache:
            self.cache[cache_key] = self.shell(FACTS, env=env)
        return self.cache[cache_key]  # type: ignore[return-value]

    def create_user(self, prefix: str, superuser: bool = False) -> str:
        """A new user with the password PASSWORD (cli/checks/accounts.py)."""
        return self.accounts.create_user(prefix, superuser)

    def superuser(self) -> str:
        return self.accounts.superuser()

    # -- servers (cli/checks/server.py) --------------------------------------------------------

    def start(self, name: str, argv: list[str] | str, env: dict[str, str], port: int, **wait):
        """Start a server process and wait until it answers HTTP on `port` (`wait`: ready_path,
        headers, timeout)."""
        return self.servers.start(name, argv, env, port, **wait)

    def dev_server(self) -> Server:
        return self.servers.dev()

    def close(self) -> None:
        self.processes.close()  # work started ahead that no check needed after all
        self.untaken = [key[:2] for key in self.commands.work_ahead.cancel()]
        self.commands.work_ahead.wait()
        self.django_shell.stop()
        self.servers.stop_all()
        shutil.rmtree(self.tmp, ignore_errors=True)


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
