"""
`retro doctor`: is this machine, and this project, ready for the course? Each line is ✓ (fine),
✗ (a problem, with the command that fixes it) or – (not needed yet, or only to deploy).

The project is looked at with its own Python (the active virtual environment, or the
project's .venv/), in the environment of this terminal, as `python manage.py` would see it.
The first lines say which Python that is and whose; a project without a virtual environment of
its own is a problem (✗), and what follows is then retro's own Python. `manage.py check`, the
database and Redis are each checked on their own: settings that refuse to load without DEBUG
are read again with DEBUG=1, else the database and Redis come from DATABASE_URL and REDIS_URL.
A project with background tasks gets a line on its worker and one on its mail
(cli/course/doctor_tasks.py).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import typer

from cli.course.options import PathOption, python_option
from cli.output import JsonOption, examples

OK, PROBLEM, SKIP = "ok", "problem", "skip"
TOOLKIT_PACKAGES = ("retrosocial", "users", "posts", "messaging", "api")


app = typer.Typer()


@dataclass
class Line:
    status: str
    what: str
    detail: str = ""
    fix: str = ""


PROBE = r"""
import importlib.metadata as metadata, importlib.util, json, re, sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
wanted, missing = [], []
requirements = root / "requirements.txt"
if requirements.is_file():
    for line in requirements.read_text(errors="replace").splitlines():
        line = line.split("#")[0].strip()
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;]+)", line)
        if match:
            wanted.append(match.group(1))
            try:
                have = metadata.version(match.group(1))
            except metadata.PackageNotFoundError:
                have = None
            if have != match.group(3):
                missing.append([match.group(1), match.group(3), have])
try:
    django = metadata.version("Django")
except metadata.PackageNotFoundError:
    django = None
shadowed = []
sys.path = [p for p in sys.path if p not in ("", str(root))]
for name in PACKAGES:
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin and not Path(spec.origin).resolve().is_relative_to(root):
        shadowed.append(name)
print(json.dumps({
    "python": ".".join(map(str, sys.version_info[:3])),
    "venv": sys.prefix != sys.base_prefix,
    "prefix": sys.prefix,
    "django": django,
    "pinned": len(wanted),
    "missing": missing,
    "shadowed": shadowed,
}))
""".replace("PACKAGES", repr(TOOLKIT_PACKAGES))

SETTINGS = r"""
import json
from django.conf import settings
layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
layer = layers.get("default") or {}
database = settings.DATABASES["default"]
result = {"apps": list(settings.INSTALLED_APPS), "engine": database.get("ENGINE", ""),
          "name": str(database.get("NAME", "")), "host": str(database.get("HOST") or ""),
          "layer": layer.get("BACKEND", ""), "redis": [], "database_error": None}
for host in (layer.get("CONFIG") or {}).get("hosts", []):
    if isinstance(host, dict):
        host = host.get("address", "")
    elif not isinstance(host, str):
        host = "redis://{}:{}".format(*host)
    result["redis"].append(host)
try:
    from pathlib import Path
    from django.db import connection
    if result["engine"].endswith("sqlite3") and not Path(result["name"]).exists():
        raise FileNotFoundError("the database file does not exist yet")
    connection.ensure_connection()
except Exception as error:
    text = str(error).strip()
    result["database_error"] = text.splitlines()[0] if text else type(error).__name__
print("RETRO:" + json.dumps(result, default=str))
"""


def run(
    argv: list[str],
    cwd: Path | None = None,
    timeout: float = 30,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess | None:
    import os

    try:
        return subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **env} if env else None,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def machine_lines(python: str, root: Path | None, whose: str = "") -> tuple[list[Line], dict]:
    from cli.course.project import NO_VENV_FIX, RETRO_OWN

    lines: list[Line] = []
    if whose == RETRO_OWN and root is not None:
        lines.append(
            Line(
                PROBLEM,
                "the project's virtual environment",
                f"none: no .venv/ or venv/ in {root}, and none active; what follows is "
                f"retro's own Python ({python}), not the project's",
                NO_VENV_FIX,
            )
        )
    result = run([python, "-c", PROBE, str(root or Path.cwd())])
    if result is None or result.returncode != 0:
        lines.append(
            Line(
                PROBLEM,
                "Python",
                f"{python} does not run",
                "install Python 3.10 or newer, then make the project's virtual "
                "environment: python3 -m venv .venv",
            )
        )
        return lines, {}
    import json

    probe = json.loads(result.stdout.strip().splitlines()[-1])
    version = tuple(int(part) for part in probe["python"].split("."))
    lines.append(
        Line(
            OK if version >= (3, 10) else PROBLEM,
            f"Python {probe['python']}",
            f"{python} ({whose})" if whose else python,
            "" if version >= (3, 10) else "Django 5.2 needs Python 3.10 or newer",
        )
    )
    if whose == RETRO_OWN and root is not None:
        pass  # said above: the project has none
    elif probe["venv"]:
        lines.append(Line(OK, "a virtual environment", probe["prefix"]))
    else:
        lines.append(
            Line(
                PROBLEM,
                "a virtual environment",
                f"{python} is the system's Python",
                "python3 -m venv .venv && source .venv/bin/activate",
            )
        )
    django = probe["django"]
    if django and django.startswith("5.2"):
        lines.append(Line(OK, f"Django {django}"))
    else:
        lines.append(
            Line(
                PROBLEM,
                "Django 5.2",
                f"installed: {django or 'none'}",
                "python -m pip install -r requirements.txt",
            )
        )
    if root is not None and probe["pinned"]:
        if probe["missing"]:
            shown = ", ".join(
                f"{name} {want} (have {have or 'none'})"
                for name, want, have in probe["missing"][:4]
            )
            lines.append(
                Line(
                    PROBLEM,
                    "the packages pinned in requirements.txt",
                    shown,
                    "python -m pip install -r requirements.txt",
                )
            )
        else:
            lines.append(
                Line(
                    OK,
                    "the packages pinned in requirements.txt",
                    f"all {probe['pinned']} installed",
                )
            )
    if probe["shadowed"]:
        lines.append(
            Line(
                PROBLEM,
                "the course toolkit kept apart from your project",
                f"this environment imports {', '.join(probe['shadowed'])} from outside the project",
                "install retro in a virtual environment of its own (week 1, “Before you start”), "
                "not in the project's",
            )
        )
    return lines, probe


def read_settings(
    python: str, root: Path, env: dict[str, str] | None = None, script: str = SETTINGS
) -> dict | None:
    """What `script`, run by `manage.py shell`, prints after "RETRO:" (JSON), or None."""
    import json

    shell = run([python, "manage.py", "shell", "-c", script], cwd=root, timeout=60, env=env)
    for text in shell.stdout.splitlines() if shell else []:
        if text.startswith("RETRO:"):
            return json.loads(text[len("RETRO:") :])
    return None


def project_lines(python: str, root: Path) -> list[Line]:
    """`manage.py check`, then the settings, the database and Redis, each on its own: one
    failing does not hide the others."""
    import os

    lines: list[Line] = []
    check = run([python, "manage.py", "check"], cwd=root, timeout=60)
    if check is None or check.returncode != 0:
        output = ((check.stderr or check.stdout) if check else "did not finish").strip()
        last = output.splitlines()[-1] if output else "failed"
        fix = (
            "export DEBUG=1 (for development), or set SECRET_KEY and ALLOWED_HOSTS"
            if "SECRET_KEY" in last or "ALLOWED_HOSTS" in last
            else "read the error above; `retro lesson show` has an “If it broke” section"
        )
        lines.append(Line(PROBLEM, "python manage.py check", last[:160], fix))
    else:
        lines.append(Line(OK, "python manage.py check", "no issues"))
    facts = read_settings(python, root)
    note = ""
    if facts is None and os.environ.get("DEBUG") != "1":
        # Settings that refuse to load without DEBUG still say where the database and Redis
        # are: read them in development mode to look further.
        facts = read_settings(python, root, {"DEBUG": "1"})
        note = " (settings read with DEBUG=1)"
    if facts is None:
        lines.append(
            Line(
                PROBLEM,
                "the project's settings",
                "manage.py shell could not load them; the database and Redis are checked "
                "from DATABASE_URL and REDIS_URL",
                "fix what python manage.py check says first",
            )
        )
        lines += environment_lines(python, root)
        return lines
    apps = facts["apps"]
    if "channels" in apps or facts["layer"]:
        if "daphne" in apps and apps.index("daphne") < apps.index("django.contrib.staticfiles"):
            lines.append(Line(OK, "daphne in INSTALLED_APPS", "runserver serves websockets"))
        else:
            lines.append(
                Line(
                    PROBLEM,
                    "daphne in INSTALLED_APPS",
                    "without it first, runserver answers websockets with a 404",
                    'put "daphne" first in INSTALLED_APPS (week 4, step 2)',
                )
            )
    else:
        lines.append(Line(SKIP, "daphne in INSTALLED_APPS", "not needed until week 4"))
    engine = facts["engine"].rsplit(".", 1)[-1]
    name = Path(facts["name"]).name if engine == "sqlite3" else facts["name"]
    where = f"{facts['host'] or 'local'}/{name}"
    if facts["database_error"]:
        if engine.startswith("postgres"):
            fix = (
                "start PostgreSQL (sudo service postgresql start, or brew services start "
                "postgresql@17), create the database (createdb NAME), or fix DATABASE_URL"
            )
        elif "does not exist yet" in facts["database_error"]:
            fix = "python manage.py migrate"
        else:
            fix = "check DATABASE_URL"
        lines.append(
            Line(PROBLEM, f"the database ({engine})", facts["database_error"][:160] + note, fix)
        )
    else:
        lines.append(Line(OK, f"the database ({engine})", f"{where} answers{note}"))
        migrated = run([python, "manage.py", "migrate", "--check"], cwd=root, timeout=60)
        if migrated is not None and migrated.returncode != 0:
            lines.append(
                Line(
                    PROBLEM,
                    "migrations applied",
                    "some are not applied yet",
                    "python manage.py migrate",
                )
            )
        else:
            lines.append(Line(OK, "migrations applied"))
    if facts["layer"].startswith("channels_redis"):
        lines.append(redis_line(python, root, facts["redis"]))
        lines[-1].detail += note
    elif facts["layer"]:
        lines.append(Line(SKIP, "Redis", "the in-memory channel layer is in use (REDIS_URL unset)"))
    else:
        lines.append(Line(SKIP, "Redis", "not needed until week 4"))
    from cli.course.doctor_tasks import task_lines

    lines += task_lines(python, root, facts, {"DEBUG": "1"} if note else None, note)
    return lines


POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql", "postgis")


def environment_lines(python: str, root: Path) -> list[Line]:
    """The database and Redis from the environment alone, when the settings cannot load."""
    import os

    lines = []
    database = os.environ.get("DATABASE_URL", "")
    if database.split(":", 1)[0] in POSTGRES_SCHEMES:
        lines.append(postgres_line(python, root, database))
    else:
        lines.append(Line(SKIP, "the database", "not checked: the settings did not load"))
    if os.environ.get("REDIS_URL"):
        lines.append(redis_line(python, root, [os.environ["REDIS_URL"]]))
    else:
        lines.append(Line(SKIP, "Redis", "REDIS_URL is unset"))
    return lines


def postgres_line(python: str, root: Path, database: str) -> Line:
    """Does the PostgreSQL database of DATABASE_URL answer? The URL read as the site reads it
    (dj-database-url, then Django's connection parameters), not handed to libpq as it is."""
    import json

    from cli.database_url import DatabaseURLError, connect_params

    what = "the database (postgresql)"
    try:
        params = {"connect_timeout": "3", **connect_params(database)}
    except DatabaseURLError as error:
        return Line(PROBLEM, what, str(error), "fix DATABASE_URL")
    code = "import json, sys, psycopg\npsycopg.connect(**json.loads(sys.argv[1])).close()\n"
    result = run([python, "-c", code, json.dumps(params)], cwd=root, timeout=20)
    if result is not None and result.returncode == 0:
        return Line(OK, what, "DATABASE_URL answers")
    error = (result.stderr.strip().splitlines() or ["no answer"])[-1] if result else ""
    return Line(
        PROBLEM,
        what,
        f"DATABASE_URL: {error[:140] or 'no answer'}",
        "start PostgreSQL (sudo service postgresql start, or brew services start "
        "postgresql@17), create the database (createdb NAME), or fix DATABASE_URL",
    )


def redis_line(python: str, root: Path, hosts: list[str]) -> Line:
    code = (
        "import sys, redis\n"
        "for url in sys.argv[1:]:\n"
        "    options = {'ssl_cert_reqs': None} if url.startswith('rediss://') else {}\n"
        "    redis.Redis.from_url(url, socket_connect_timeout=3, **options).ping()\n"
    )
    result = run([python, "-c", code, *hosts], cwd=root, timeout=20)
    if result is not None and result.returncode == 0:
        return Line(OK, "Redis", ", ".join(hosts) + " answers")
    error = (result.stderr.strip().splitlines() or ["no answer"])[-1] if result else "no answer"
    return Line(
        PROBLEM,
        "Redis",
        f"{', '.join(hosts)}: {error[:120]}",
        "start Redis (sudo service redis-server start, or brew services start redis), "
        "or unset REDIS_URL to use the in-memory layer",
    )


def heroku_lines() -> list[Line]:
    heroku = shutil.which("heroku") or (
        str(Path("node_modules/.bin/heroku").resolve())
        if Path("node_modules/.bin/heroku").is_file()
        else None
    )
    if heroku is None:
        return [
            Line(
                SKIP,
                "the Heroku CLI",
                "only needed to deploy to Heroku (paid)",
                "see https://devcenter.heroku.com/articles/heroku-cli, or npm install heroku",
            )
        ]
    version = run([heroku, "--version"], timeout=30)
    shown = version.stdout.strip().splitlines()[0] if version and version.stdout.strip() else heroku
    lines = [Line(OK, "the Heroku CLI", shown)]
    whoami = run([heroku, "auth:whoami"], timeout=30)
    if whoami is not None and whoami.returncode == 0 and whoami.stdout.strip():
        lines.append(Line(OK, "logged in to Heroku", whoami.stdout.strip().splitlines()[0]))
    else:
        lines.append(Line(SKIP, "logged in to Heroku", "not logged in", "heroku login"))
    return lines


PythonOption = python_option(
    "The Python that runs your project (default: your active "
    "virtual environment, else .venv/ or venv/ in the project)."
)


@app.command("doctor", epilog=examples("retro doctor", "retro doctor --path ~/retrosocial"))
def doctor(
    path: PathOption = None,
    python: PythonOption = None,
    json_output: JsonOption = False,
) -> None:
    """Check this machine and your project for the course: each line ✓, ✗ with its fix, or –.

    Exit status 0 when nothing is ✗, 8 otherwise.
    """
    from rich.text import Text

    from cli import output
    from cli.course.project import find_python
    from cli.errors import CLIError, ExitCode

    root = (path or Path.cwd()).expanduser().resolve()
    project = root if (root / "manage.py").is_file() else None
    interpreter, whose = find_python(root, python)
    lines, _ = machine_lines(interpreter, project, whose)
    if project is None:
        lines.append(
            Line(
                SKIP,
                "your project",
                f"no manage.py in {root}",
                "cd into your project folder, or pass --path DIR",
            )
        )
    elif any(line.what == "Python" and line.status == PROBLEM for line in lines):
        pass  # this Python does not run: nothing more to learn from it
    else:
        lines += project_lines(interpreter, project)
    lines.append(
        Line(
            OK if shutil.which("git") else PROBLEM,
            "git",
            "" if shutil.which("git") else "not installed",
            "" if shutil.which("git") else "install git (the course commits each week)",
        )
    )
    lines += heroku_lines()
    problems = [line for line in lines if line.status == PROBLEM]
    if json_output:
        output.print_json([line.__dict__ for line in lines])
    else:
        console = output.stdout()
        marks = {OK: ("✓", "green"), PROBLEM: ("✗", "red"), SKIP: ("–", "dim")}
        for line in lines:
            mark, style = marks[line.status]
            text = Text(f"{mark} ", style=style)
            text.append(line.what, style="bold" if line.status == PROBLEM else "")
            if line.detail:
                text.append(f"  {line.detail}", style="dim")
            console.print(text)
            if line.fix and line.status != OK:
                console.print(Text(f"    fix: {line.fix}"))
    if problems:
        raise CLIError(f"{len(problems)} problem(s) found", code=ExitCode.CHECK_FAILED)
