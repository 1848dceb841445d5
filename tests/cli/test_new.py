"""
`retro new NAME`: a project from the course's template (cli/course/project_template) that runs at
once with DEBUG=1, passes `check --deploy` under production settings, and deploys like
RetroSocial (its Procfile and requirements). Bad input says what is wrong and writes nothing.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from cli.course.new import TEMPLATE
from cli.net import free_port, wait_until_answering
from tests.live import ROOT


def retro(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "DEBUG"}}
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def manage(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SECRET_KEY",
                                "ALLOWED_HOSTS", "STATIC_ROOT"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project, env=environment, capture_output=True, text=True, timeout=120,
    )


def test_a_new_project_runs_at_once_and_passes_check_deploy(tmp_path):
    made = retro("new", "mysite", "--python", sys.executable, cwd=tmp_path)

    assert made.returncode == 0, made.stderr
    project = tmp_path / "mysite"
    assert f"Created the project mysite in {project}" in made.stdout
    assert "pip install -r requirements.txt" in made.stderr  # the next steps
    assert (project / "Procfile").read_text().splitlines() == [
        "release: python manage.py migrate --noinput",
        "web: daphne --proxy-headers --bind 0.0.0.0 --port $PORT mysite.asgi:application",
    ]
    assert ".env" in (project / ".gitignore").read_text().split()
    assert "# mysite" in (project / "README.md").read_text()
    assert 'ROOT_URLCONF = "mysite.urls"' in (project / "mysite" / "settings.py").read_text()

    # Production settings: no warning at all.
    production = manage(
        project, "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="mysite.example.com",
    )
    assert production.returncode == 0, production.stdout + production.stderr
    assert "System check identified no issues" in production.stdout
    # DEBUG off and no SECRET_KEY: a clear refusal, not a site with a known key.
    refused = manage(project, "check", DEBUG="0", ALLOWED_HOSTS="mysite.example.com")
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr

    # It runs at once, with DEBUG=1 and nothing else (SQLite).
    assert manage(project, "migrate", "--noinput", DEBUG="1").returncode == 0
    assert (project / "db.sqlite3").is_file()
    port = free_port()
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project, env={**environment, "DEBUG": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        health = wait_until_answering(f"http://127.0.0.1:{port}/healthz", timeout=60,
                                      process=server)
        assert health.json() == {"database": "ok", "status": "ok"}
        login = httpx.get(f"http://127.0.0.1:{port}/admin/login/", timeout=10)
        assert login.status_code == 200 and "Django administration" in login.text
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def test_the_templates_pins_are_the_sites(tmp_path):
    """The template's requirements move with the course's own, pin for pin."""

    def pins(path: Path) -> dict[str, str]:
        """Package → version; extras aside (the site's psycopg has the pool, a template's need
        not)."""
        lines = path.read_text().splitlines()
        return dict(re.match(r"([\w-]+)(?:\[[\w,]+\])?==(\S+)", line).groups()
                    for line in lines if "==" in line and not line.startswith("#"))

    template, site = pins(TEMPLATE / "requirements.txt"), pins(ROOT / "requirements.txt")
    assert template, "the template pins nothing"
    assert {name: site.get(name) for name in template} == template


def test_bad_names_and_places_are_refused_and_nothing_is_written(tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine\n")

    for args, message in (
        (("new", "1bad"), "cannot create 1bad: '1bad' is not a valid project name"),
        (("new", "django"), "'django' conflicts with the name of an existing Python module"),
        (("new", "mysite", "--path", str(taken)), f"{taken} exists and is not empty"),
        (("new",), "name the project: retro new NAME"),
        (("new", "mysite", "--python", str(tmp_path / "nopython")), "no Python at"),
    ):
        run = retro(*args, "--python", sys.executable, cwd=tmp_path) if "--python" not in args \
            else retro(*args, cwd=tmp_path)
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr

    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]
    assert (taken / "notes.txt").read_text() == "mine\n"


def test_a_python_without_django_says_how_to_get_one(tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True,
                   timeout=60)
    run = retro("new", "mysite", cwd=tmp_path, VIRTUAL_ENV=str(bare))

    assert run.returncode == 2
    assert f"{bare / 'bin' / 'python'} has no Django to create the project with" in run.stderr
    assert "pip install 'Django>=5.2,<6'" in run.stderr
    assert not (tmp_path / "mysite").exists()
