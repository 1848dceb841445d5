"""
Fixtures for `retro deploy`: a fake `heroku` on PATH with a state folder and a call log of its
own, a small git project to deploy, and `retro` itself run in a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import Run
from tests.live import ROOT

FAKE_HEROKU_DIR = Path(__file__).resolve().parent / "fake_heroku"
PROJECT_FILES = ("Procfile", "manage.py", "requirements.txt", ".python-version")


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class FakeHeroku:
    """The fake Heroku CLI's folder, log and switches, as one test sees them."""

    def __init__(self, folder: Path, web_url: str = ""):
        self.state_dir = folder / "heroku-state"
        self.log = folder / "heroku-calls.log"
        self.config_dir = folder / "retro-config"
        self.web_url = web_url
        self.fail = ""

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RETRO_", "FAKE_HEROKU"))}
        env.pop("HEROKU_APP", None)
        env.update(
            # The fake runs on `python3` from PATH: this suite's own first, not a version
            # manager's shim that takes longer to start than the fake takes to answer.
            PATH=os.pathsep.join(
                [str(FAKE_HEROKU_DIR), str(Path(sys.executable).parent), env.get("PATH", "")]
            ),
            FAKE_HEROKU_STATE=str(self.state_dir),
            FAKE_HEROKU_LOG=str(self.log),
            FAKE_HEROKU_WEB_URL=self.web_url,
            FAKE_HEROKU_FAIL=self.fail,
            RETRO_CONFIG_DIR=str(self.config_dir),
        )
        return env

    def admin(self, *args: str) -> None:
        """The fake's own switches (`fake:login`, …): not Heroku commands, not logged."""
        result = subprocess.run(
            [sys.executable, str(FAKE_HEROKU_DIR / "heroku"), *args],
            env=self.env(), capture_output=True, text=True, timeout=30,
        )
        assert result.returncode == 0, result.stderr

    def login(self, email: str = "ada@example.com") -> None:
        self.admin("fake:login", email)

    def logout(self) -> None:
        self.admin("fake:logout")

    def foreign_app(self, name: str) -> None:
        self.admin("fake:foreign-app", name)

    def calls(self) -> list[str]:
        """Each heroku command run since the last `clear_calls()`, as typed."""
        if not self.log.exists():
            return []
        return self.log.read_text().splitlines()

    def clear_calls(self) -> None:
        self.log.unlink(missing_ok=True)

    def state(self) -> dict:
        return json.loads((self.state_dir / "state.json").read_text())

    def app(self, name: str) -> dict:
        return self.state()["apps"][name]

    def pushed(self, name: str) -> str | None:
        """The commit the app's (bare) repository has on main, if any."""
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "refs/heads/main"],
            cwd=self.state_dir / "git" / f"{name}.git", capture_output=True, text=True,
        )
        return result.stdout.strip() or None


@pytest.fixture
def fake_heroku(tmp_path, live_server) -> FakeHeroku:
    """A logged-in fake Heroku whose apps' web URL is a real RetroSocial (the live server)."""
    fake = FakeHeroku(tmp_path, web_url=f"{live_server.url}/")
    fake.login()
    return fake


@pytest.fixture
def project(tmp_path) -> Path:
    """A git repository holding what a deploy needs, one commit on main."""
    folder = tmp_path / "project"
    folder.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, folder / name)
    git("init", "--quiet", "--initial-branch=main", cwd=folder)
    git("add", "--all", cwd=folder)
    git("-c", "user.name=Ada", "-c", "user.email=ada@example.com", "commit", "--quiet",
        "-m", "RetroSocial", cwd=folder)
    return folder


def run_retro(*args: str, cwd: Path, env: dict[str, str], input: str = "",
              timeout: float = 120) -> Run:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=cwd, env=env, input=input, capture_output=True, text=True, timeout=timeout,
    )
    run = Run(args, result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in run.stdout + run.stderr, str(run)
    return run
