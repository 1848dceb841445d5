"""
`retro deploy local`: the production configuration on this machine, the way Heroku runs it
(like `heroku local`): PostgreSQL and Redis, DEBUG off, static files collected, the Procfile's
release process, then its web process through honcho, in the foreground until Ctrl-C, with the
Procfile's other long-running processes (a `worker:` for background tasks) beside it.

Settings come from the environment and from the project's `.env` (where the course has the
student write them, as for `heroku local`); a variable set in the environment wins over the
file's. Every process (collectstatic, release, web) gets the same settings: honcho is told not
to read `.env` again, since it would let the file win.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from cli.deploy.ports import check_port
from cli.deploy.services import check_postgres, check_redis
from cli.deploy.settings import Settings, production_env, secret_key
from cli.deploy.steps import Steps, plain, procfile_processes, project_root
from cli.errors import CLIError, ExitCode

HEALTH_TIMEOUT = float(os.environ.get("RETRO_DEPLOY_LOCAL_TIMEOUT", "60"))


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


def running_processes(processes: dict[str, str]) -> list[str]:
    """The Procfile's processes that run until stopped, web first (honcho gives it the port)."""
    return ["web", *(name for name in processes if name not in ("web", "release"))]


def wait_healthy(url: str, process: subprocess.Popen, step, timeout: float, what: str) -> None:
    from cli.net import NotAnswering, wait_until_answering

    def waiting(last: str, seconds: float) -> None:
        step.update(f"waiting for {url} ({seconds:.0f} s)")

    try:
        wait_until_answering(url, timeout=timeout, process=process, interval=0.2, on_wait=waiting)
    except NotAnswering as error:
        if error.exit_status is not None:
            raise CLIError(
                f"{what} stopped (exit {error.exit_status}) before answering /healthz",
                ExitCode.DEPLOY_FAILED,
                hint="its output is above",
            ) from None
        raise CLIError(
            f"{url} did not answer 200 within {timeout:.0f} s (last: {error.last})",
            ExitCode.DEPLOY_FAILED,
        ) from None


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
    names = running_processes(processes)
    what = (
        "the web process"
        if len(names) == 1
        else f"the {' and '.join(names)} processes (honcho stops all when one stops)"
    )
    process = subprocess.Popen(
        honcho(root, "-p", str(port), *names),
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
            wait_healthy(health, process, step, HEALTH_TIMEOUT, what)
            step.detail = f"{health} answers 200"
        for name in names[1:]:
            with steps.step(f"{name.capitalize()} process: {processes[name]}") as step:
                if process.poll() is not None:
                    raise CLIError(
                        f"the {name} process stopped (exit {process.returncode})",
                        ExitCode.DEPLOY_FAILED,
                        hint="its output is above",
                    )
                step.detail = f"running beside web (its lines start with {name}.1)"
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
            f"{what} stopped (exit {code})",
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
