"""
`retro deploy local`: the production configuration on this machine, the way Heroku runs it
(like `heroku local`): PostgreSQL and Redis, DEBUG off, static files collected, the Procfile's
release process, then its web process through honcho, in the foreground until Ctrl-C.
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


def shown_url(url: str) -> str:
    """`url` with any password replaced by ***, for printing."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# --- the checks -----------------------------------------------------------------------------


def check_postgres(url: str, *, create: bool) -> str:
    """Reach the PostgreSQL server of `url`; create its database if missing and `create`.
    Returns what was found, for the step's ✓ line."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise CLIError(
            f"DATABASE_URL is not a PostgreSQL URL: {shown_url(url)}",
            ExitCode.DEPLOY_FAILED,
            hint="production runs on PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/retrosocial",
        )
    name = parts.path.lstrip("/")
    if not name:
        raise CLIError(f"DATABASE_URL names no database: {shown_url(url)}", ExitCode.DEPLOY_FAILED)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists:
                return f"{shown_url(url)}"
            if not create:
                return f"{shown_url(url)} (the database does not exist yet; it will be created)"
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return f"{shown_url(url)} (database {name} created)"
    except psycopg.OperationalError as error:
        first = plain(str(error)).splitlines()[0] if plain(str(error)) else "no answer"
        reason = first.rsplit("failed: ", 1)[-1].strip()
        if "FATAL" in reason or "password" in reason:  # the server answered, and said no
            raise CLIError(
                f"PostgreSQL at {where} refused the connection: {reason}",
                ExitCode.DEPLOY_FAILED,
                hint="check the user, password and database in DATABASE_URL",
            ) from None
        raise CLIError(
            f"PostgreSQL is not reachable at {where}: {reason}",
            ExitCode.DEPLOY_FAILED,
            hint=START_POSTGRES,
        ) from None
    except psycopg.Error as error:
        raise CLIError(
            f"PostgreSQL at {where} refused: {plain(str(error))}", ExitCode.DEPLOY_FAILED
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


def check_port(port: int) -> str:
    """Is `port` free on every interface, where the Procfile's web process binds?"""
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError as error:
            raise CLIError(
                f"port {port} is in use: {error.strerror}",
                ExitCode.DEPLOY_FAILED,
                hint=f"stop what uses it, or choose another: retro deploy local --port {port + 1}",
            ) from None
    return f"http://127.0.0.1:{port}/"


def secret_key() -> tuple[str, str]:
    """SECRET_KEY from the environment, else the one kept in retro's config folder (made on the
    first run, readable by its owner only). Returns (key, where it came from)."""
    given = os.environ.get("SECRET_KEY", "")
    if given:
        if len(given) < 50 or given.startswith("django-insecure"):
            raise CLIError(
                "SECRET_KEY in the environment is too weak for production (50+ random "
                "characters needed)",
                ExitCode.DEPLOY_FAILED,
                hint="unset it to let retro generate one, or set a longer one",
            )
        return given, "from SECRET_KEY"
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


def production_env(database_url: str, redis_url: str, key: str, port: int) -> dict[str, str]:
    """What Heroku would give the processes, minus HTTPS: this is plain http on one machine."""
    env = user_environment()
    for name in ("DJANGO_SETTINGS_MODULE",):
        env.pop(name, None)
    env.update(
        DEBUG="0",
        SECRET_KEY=key,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    return env


def honcho(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "honcho", "start", "--no-colour", "-d", str(root),
            "-f", str(root / "Procfile"), *args]


def run_quietly(step, argv: list[str], root: Path, env: dict, what: str, timeout: float = 600):
    """Run `argv`, keep its output for when it fails; raise CLIError with its last lines."""
    try:
        result = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True,
                                timeout=timeout)
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
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL

    with steps.step("The Procfile declares release and web") as step:
        processes = procfile_processes(root)
        missing = [name for name in ("release", "web") if name not in processes]
        if missing:
            raise CLIError(
                f"{root / 'Procfile'} has no {' and no '.join(missing)} process",
                ExitCode.PROJECT,
            )
        step.detail = str(root / "Procfile")
    with steps.step("PostgreSQL is reachable (DATABASE_URL)") as step:
        step.detail = check_postgres(database_url, create=not check_only)
    with steps.step("Redis is reachable (REDIS_URL)") as step:
        step.detail = check_redis(redis_url)
    with steps.step(f"Port {port} is free") as step:
        step.detail = check_port(port)
    if check_only:
        steps.say("All checks passed: `retro deploy local` can start the production stack.")
        return

    with steps.step("SECRET_KEY") as step:
        key, step.detail = secret_key()
    env = production_env(database_url, redis_url, key, port)

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
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        bufsize=1, start_new_session=True,
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
        steps.say("  production settings: DEBUG off, PostgreSQL, Redis, hashed and compressed "
                  "static files. Ctrl-C to stop.")
        steps.say("")
        code = process.wait()
        output.join(timeout=5)
        raise CLIError(f"the web process stopped (exit {code})", ExitCode.DEPLOY_FAILED,
                       hint="its output is above")
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
