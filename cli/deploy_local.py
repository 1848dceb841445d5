"""
`retro deploy local`: the production configuration on this machine, the way Heroku runs it
(like `heroku local`): PostgreSQL and Redis, DEBUG off, static files collected, the Procfile's
release process, then its web process through honcho, in the foreground until Ctrl-C.

Settings come from the environment and from the project's `.env` (where the course has the
student write them, as for `heroku local`); a variable set in the environment wins over the
file's. Every process (collectstatic, release, web) gets the same settings: honcho is told not
to read `.env` again, since it would let the file win.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cli import envfile
from cli.database_url import DatabaseURLError, connect_params, shown_url, where
from cli.deploy_steps import Steps, plain, procfile_processes, project_root, user_environment
from cli.errors import CLIError, ExitCode

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/retrosocial"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET_KEY_FILE = "deploy-local-secret-key"
HEALTH_TIMEOUT = float(os.environ.get("RETRO_DEPLOY_LOCAL_TIMEOUT", "60"))

START_POSTGRES = (
    "start PostgreSQL: `sudo service postgresql start` (Debian/Ubuntu), "
    "`brew services start postgresql` (macOS) or "
    "`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres`; "
    "or point DATABASE_URL at a running server"
)
START_REDIS = (
    "start Redis: `sudo service redis-server start` (Debian/Ubuntu), "
    "`brew services start redis` (macOS) or `docker run -d -p 6379:6379 redis`; "
    "or point REDIS_URL at a running server"
)


# --- settings: the environment, then .env -------------------------------------------------

# What the production run always sets, whatever the environment or .env says: DEBUG off, and
# plain http on this machine (no certificate, no HSTS), on the port of --port.
PRODUCTION = {
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
}
SHOWN_ALWAYS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS")
DEFAULTS = {
    "DATABASE_URL": DEFAULT_DATABASE_URL,
    "REDIS_URL": DEFAULT_REDIS_URL,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
}


@dataclass
class Settings:
    """The settings of the run and where each comes from: the environment first, then the
    project's .env, then retro's defaults."""

    root: Path
    file: envfile.EnvFile | None

    @classmethod
    def load(cls, root: Path) -> Settings:
        try:
            return cls(root, envfile.read(root))
        except envfile.EnvFileError as error:
            raise CLIError(
                str(error), ExitCode.PROJECT, hint="fix that line of .env (KEY=VALUE, one a line)"
            ) from None

    def file_value(self, name: str) -> str:
        return self.file.values.get(name, "") if self.file else ""

    def get(self, name: str) -> tuple[str, str]:
        """(value, where it comes from); ("", "") when nothing sets it."""
        if os.environ.get(name):
            return os.environ[name], "the environment"
        if self.file_value(name):
            return self.file_value(name), ".env"
        if name in DEFAULTS:
            return DEFAULTS[name], "retro's default"
        return "", ""

    def environment(self) -> dict[str, str]:
        """This process's environment with .env's variables added where it has none."""
        env = user_environment()
        for name, value in (self.file.values if self.file else {}).items():
            if not env.get(name):
                env[name] = value
        return env

    def summary(self) -> str:
        if self.file is None:
            return f"no .env in {self.root}: the environment and retro's defaults"
        count = len(self.file.values)
        return (
            f"{self.file.path} read ({count} variable{'s' if count != 1 else ''}); "
            "the environment wins over it"
        )

    def lines(self, port: int) -> list[str]:
        """One line per setting worth knowing: its value (secrets hidden) and its source."""
        names = list(SHOWN_ALWAYS)
        names += [name for name in (self.file.values if self.file else {}) if name not in names]
        lines = []
        for name in names:
            value, source = self.get(name)
            if not source:
                continue
            note = source
            if source == "the environment" and self.file_value(name) not in ("", value):
                note += f", over .env's {envfile.shown(name, self.file_value(name))}"
            forced = dict(PRODUCTION, PORT=str(port)).get(name)
            if forced is not None and forced != value:
                why = "--port chooses the port" if name == "PORT" else "production settings"
                note += f"; run with {name}={forced} ({why})"
            lines.append(f"{envfile.shown(name, value)}  ({note})")
        if self.file:
            lines += [f"{self.file.path}: {problem}: skipped" for problem in self.file.skipped]
        return lines


# --- the checks -----------------------------------------------------------------------------


def check_postgres(url: str, *, create: bool) -> str:
    """Reach the PostgreSQL server of `url` (read as the site reads it: dj-database-url, then
    Django's connection parameters); create its database if missing and `create`. Returns
    what was found, for the step's ✓ line."""
    import psycopg
    from psycopg import sql

    try:
        params = connect_params(url)
    except DatabaseURLError as error:
        raise CLIError(
            str(error),
            ExitCode.DEPLOY_FAILED,
            hint="production runs on PostgreSQL, e.g. postgres:///retrosocial (this machine's "
            "server, as you) or postgres://postgres@127.0.0.1:5432/retrosocial",
        ) from None
    name = params["dbname"]
    server = where(params)
    shown = f"{shown_url(url)}: database {name} on {server}"
    try:
        try:
            psycopg.connect(**{"connect_timeout": 3, **params}).close()
            return shown
        except psycopg.OperationalError as error:
            if f'database "{name}" does not exist' not in str(error):
                raise
        if not create:
            return f"{shown} (the database does not exist yet; it will be created)"
        # The server answers but has no such database: create it from its maintenance database.
        admin = connect_params(url, dbname="postgres")
        with psycopg.connect(**{"connect_timeout": 3, **admin}, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"{shown} (database {name} created)"
    except psycopg.OperationalError as error:
        first = plain(str(error)).splitlines()[0] if plain(str(error)) else "no answer"
        reason = first.rsplit("failed: ", 1)[-1].strip()
        if "FATAL" in reason or "password" in reason:  # the server answered, and said no
            raise CLIError(
                f"PostgreSQL at {server} refused the connection: {reason}",
                ExitCode.DEPLOY_FAILED,
                hint="check the user, password and database in DATABASE_URL",
            ) from None
        raise CLIError(
            f"PostgreSQL is not reachable at {server}: {reason}",
            ExitCode.DEPLOY_FAILED,
            hint=START_POSTGRES,
        ) from None
    except psycopg.Error as error:
        raise CLIError(
            f"PostgreSQL at {server} refused: {plain(str(error))}", ExitCode.DEPLOY_FAILED
        ) from None


def check_redis(url: str) -> str:
    import redis

    options = {"socket_connect_timeout": 3, "socket_timeout": 3}
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    try:
        client = redis.Redis.from_url(url, **options)
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except ValueError as error:
        raise CLIError(f"REDIS_URL is not a Redis URL: {error}", ExitCode.DEPLOY_FAILED) from None
    except redis.RedisError as error:
        raise CLIError(
            f"Redis is not reachable at {where}: {plain(str(error))}",
            ExitCode.DEPLOY_FAILED,
            hint=START_REDIS,
        ) from None
    return f"{shown_url(url)} (Redis {version})"


def port_taken(port: int) -> str:
    """Why `port` cannot serve the Procfile's web process ("" when it can): something binds it
    on some interface, or answers on 127.0.0.1 (where a `runserver` listens)."""
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as error:
            return error.strerror or str(error)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return "something answers on 127.0.0.1"
    return ""


def free_port_after(port: int) -> int | None:
    for candidate in range(port + 1, min(port + 100, 65536)):
        if not port_taken(candidate):
            return candidate
    return None


def listener(port: int) -> tuple[int, str] | None:
    """(pid, command line) of the process listening on `port`, when this machine says so:
    /proc on Linux, lsof elsewhere. None when it cannot be known (another user's process)."""
    found = _listener_proc(port) if Path("/proc/net/tcp").exists() else _listener_lsof(port)
    if found is None:
        return None
    pid, argv = found
    if not argv:
        return None
    words = [Path(argv[0]).name, *argv[1:]]
    command = " ".join(words)
    return pid, command if len(command) <= 80 else command[:77] + "..."


def _listener_proc(port: int) -> tuple[int, list[str]] | None:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()  # local address (hex ip:port), …, state (0A: LISTEN), …, inode
            if len(fields) > 9 and fields[3] == "0A":
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (folder / "fd").iterdir()}
            if links & inodes:
                argv = (folder / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
                return int(folder.name), [word.decode(errors="replace") for word in argv]
        except OSError:  # gone, or another user's
            continue
    return None


def _listener_lsof(port: int) -> tuple[int, list[str]] | None:
    import shlex
    import shutil

    if shutil.which("lsof") is None:
        return None
    try:
        found = subprocess.run(
            ["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-t"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        pid = int(found.stdout.split()[0])
        command = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None
    try:
        return pid, shlex.split(command)
    except ValueError:
        return pid, command.split()


def server_software(port: int) -> str:
    """What the web server on `port` says it is (its Server header), "" if it does not say."""
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).headers.get("server", "")
    except httpx.HTTPError:
        return ""


def what_uses(port: int, reason: str) -> str:
    """What most likely holds `port`, in words: the end of the error message."""
    earlier = "left running from an earlier step"
    found = listener(port)
    if found:
        pid, command = found
        if "runserver" in command:
            return f" by `{command}` (pid {pid}): a development server {earlier}"
        if "daphne" in command or "honcho" in command:
            return f" by `{command}` (pid {pid}): a Daphne {earlier}"
        return f" by `{command}` (pid {pid})"
    software = server_software(port).lower()
    if "daphne" in software:
        return (
            " by a Daphne server (its Server header says so): most likely a `python "
            f"manage.py runserver` or `daphne` {earlier}"
        )
    if "wsgiserver" in software:
        return (
            " by Django's own development server (its Server header says so): most likely "
            f"a `python manage.py runserver` {earlier}"
        )
    return f" ({reason}): most likely a `python manage.py runserver` or `daphne` {earlier}"


def check_port(port: int) -> str:
    """Is `port` free on every interface, where the Procfile's web process binds? If not, say
    what most likely holds it and which free port to use instead."""
    reason = port_taken(port)
    if not reason:
        return f"http://127.0.0.1:{port}/"
    free = free_port_after(port)
    instead = f"retro deploy local --port {free}" if free else "retro deploy local --port PORT"
    raise CLIError(
        f"port {port} is in use{what_uses(port, reason)}",
        ExitCode.DEPLOY_FAILED,
        hint=f"stop it with Ctrl-C in its terminal, or use a free port: {instead}",
    )


def secret_key(settings: Settings) -> tuple[str, str]:
    """SECRET_KEY from the environment or .env, else the one kept in retro's config folder
    (made on the first run, readable by its owner only). Returns (key, where it came from)."""
    given, source = settings.get("SECRET_KEY")
    if given:
        if len(given) < 50 or given.startswith("django-insecure"):
            raise CLIError(
                f"SECRET_KEY in {source} is too weak for production (50+ random characters needed)",
                ExitCode.DEPLOY_FAILED,
                hint="remove it to let retro generate one, or set a longer one",
            )
        return given, f"from {source}"
    from cli.config import config_dir

    path = config_dir() / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 50:
            return key, f"kept in {path}"
    except FileNotFoundError:
        pass
    except OSError as error:
        raise CLIError(f"cannot read {path}: {error.strerror}", ExitCode.DEPLOY_FAILED) from None
    key = secrets.token_urlsafe(50)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(key + "\n")
    except OSError as error:
        raise CLIError(f"cannot write {path}: {error.strerror}", ExitCode.DEPLOY_FAILED) from None
    return key, f"generated, kept in {path}"


# --- running --------------------------------------------------------------------------------


def production_env(
    settings: Settings, database_url: str, redis_url: str, key: str, port: int
) -> dict[str, str]:
    """What Heroku would give the processes, minus HTTPS: this is plain http on one machine.
    The environment and .env first, then what production needs on top."""
    env = settings.environment()
    for name in ("DJANGO_SETTINGS_MODULE",):
        env.pop(name, None)
    env.update(PRODUCTION)
    env.update(
        SECRET_KEY=key,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    if not env.get("ALLOWED_HOSTS"):
        env["ALLOWED_HOSTS"] = DEFAULTS["ALLOWED_HOSTS"]
    return env


def honcho(root: Path, *args: str) -> list[str]:
    """honcho running the Procfile, with the environment it is given and nothing else: its own
    reading of .env would put the file's values over the environment's."""
    return [
        sys.executable,
        "-m",
        "honcho",
        "start",
        "--no-colour",
        "-d",
        str(root),
        "-f",
        str(root / "Procfile"),
        "-e",
        os.devnull,
        *args,
    ]


def run_quietly(step, argv: list[str], root: Path, env: dict, what: str, timeout: float = 600):
    """Run `argv`, keep its output for when it fails; raise CLIError with its last lines."""
    try:
        result = subprocess.run(
            argv, cwd=root, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise CLIError(f"{what} took more than {timeout:.0f} s", ExitCode.DEPLOY_FAILED) from None
    output = (result.stdout + result.stderr).splitlines()
    if result.returncode != 0:
        for line in output[-15:]:
            step.log(line)
        last = next((plain(line) for line in reversed(output) if plain(line)), "no output")
        raise CLIError(f"{what} failed (exit {result.returncode}): {last}", ExitCode.DEPLOY_FAILED)
    return output


def wait_healthy(url: str, process: subprocess.Popen, step, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    started = time.monotonic()
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CLIError(
                f"the web process stopped (exit {process.returncode}) before answering /healthz",
                ExitCode.DEPLOY_FAILED,
                hint="its output is above",
            )
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = f"{response.status_code}: {response.text[:200]}"
        except httpx.TransportError as error:
            last = type(error).__name__
        step.update(f"waiting for {url} ({time.monotonic() - started:.0f} s)")
        time.sleep(0.2)
    raise CLIError(
        f"{url} did not answer 200 within {timeout:.0f} s (last: {last})", ExitCode.DEPLOY_FAILED
    )


def stream(process: subprocess.Popen, steps: Steps) -> threading.Thread:
    """Copy the web process's output (through honcho) to the screen as it comes."""

    def copy() -> None:
        from rich.text import Text

        for line in process.stdout:
            steps.console.print(Text(line.rstrip("\n")))

    thread = threading.Thread(target=copy, name="honcho-output", daemon=True)
    thread.start()
    return thread


def stop(process: subprocess.Popen) -> None:
    """Ask honcho to stop (it stops daphne), then make sure it has."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(*, port: int, check_only: bool, steps: Steps | None = None) -> None:
    steps = steps or Steps()
    root = project_root()

    with steps.step("The Procfile declares release and web") as step:
        processes = procfile_processes(root)
        missing = [name for name in ("release", "web") if name not in processes]
        if missing:
            raise CLIError(
                f"{root / 'Procfile'} has no {' and no '.join(missing)} process",
                ExitCode.PROJECT,
            )
        step.detail = str(root / "Procfile")
    with steps.step("Settings: the environment, then the project's .env") as step:
        settings = Settings.load(root)
        step.detail = settings.summary()
    for line in settings.lines(port):
        steps.print_dim(f"      {line}")
    database_url, database_from = settings.get("DATABASE_URL")
    redis_url, redis_from = settings.get("REDIS_URL")
    with steps.step(f"PostgreSQL is reachable (DATABASE_URL from {database_from})") as step:
        step.detail = check_postgres(database_url, create=not check_only)
    with steps.step(f"Redis is reachable (REDIS_URL from {redis_from})") as step:
        step.detail = check_redis(redis_url)
    with steps.step(f"Port {port} is free") as step:
        step.detail = check_port(port)
    if check_only:
        steps.say("All checks passed: `retro deploy local` can start the production stack.")
        return

    with steps.step("SECRET_KEY") as step:
        key, step.detail = secret_key(settings)
    env = production_env(settings, database_url, redis_url, key, port)

    with steps.step("Static files collected (what Heroku's build does)") as step:
        argv = [sys.executable, "manage.py", "collectstatic", "--noinput"]
        output = run_quietly(step, argv, root, env, "collectstatic")
        step.detail = next((plain(line) for line in reversed(output) if plain(line)), "")
    with steps.step(f"Release process: {processes['release']}") as step:
        output = run_quietly(step, honcho(root, "release"), root, env, "the release process")
        applied = sum(" Applying " in line for line in output)
        step.detail = f"{applied} migrations applied" if applied else "no migrations to apply"

    health = f"http://127.0.0.1:{port}/healthz"
    process = subprocess.Popen(
        honcho(root, "-p", str(port), "web"),
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    # SIGTERM and SIGHUP stop the site as Ctrl-C does, instead of leaving it running.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    output = stream(process, steps)
    try:
        with steps.step(f"Web process: {processes['web']}") as step:
            wait_healthy(health, process, step, HEALTH_TIMEOUT)
            step.detail = f"{health} answers 200"
        steps.say("")
        steps.say(f"  RetroSocial is running at http://127.0.0.1:{port}/", style="bold")
        steps.say(
            "  production settings: DEBUG off, PostgreSQL, Redis, hashed and compressed "
            "static files. Ctrl-C to stop."
        )
        steps.say("")
        code = process.wait()
        output.join(timeout=5)
        raise CLIError(
            f"the web process stopped (exit {code})",
            ExitCode.DEPLOY_FAILED,
            hint="its output is above",
        )
    except KeyboardInterrupt:
        stop(process)
        output.join(timeout=5)
        steps.say("Stopped.")
    finally:
        stop(process)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
