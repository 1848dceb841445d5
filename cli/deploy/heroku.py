"""
`retro deploy heroku`: the whole deploy as a list of steps, each idempotent, through the Heroku
CLI and git. Running it again skips what is done; it stops at the first failure with Heroku's
own message and the command that resumes; with --dry-run it prints every command, runs none.

The same code runs both ways: in a dry run every query answers "nothing there yet", so the
printed commands are those of a first deploy, in the order a real one runs them. The steps
themselves are in heroku_app.py and heroku_release.py; the commands run through heroku_cli.py.
"""

from __future__ import annotations

from pathlib import Path

from cli.deploy.heroku_app import AppSteps, ConfigSteps
from cli.deploy.heroku_cli import HerokuCLI, Target
from cli.deploy.heroku_dynos import WORKER, DynoSteps
from cli.deploy.heroku_release import ReleaseSteps
from cli.deploy.steps import Steps, procfile_processes, project_root
from cli.errors import CLIError, ExitCode


class Deploy:
    """The deploy in order: the project checked, then each step shown as it runs."""

    def __init__(self, target: Target, steps: Steps):
        self.target = target
        self.steps = steps
        self.cli = HerokuCLI(self.target, steps)
        self.app_steps = AppSteps(self.cli, self.target)
        self.config_steps = ConfigSteps(self.cli, self.target)
        self.release_steps = ReleaseSteps(self.cli, self.target)
        self.dyno_steps = DynoSteps(self.cli, self.target)

    @property
    def app(self) -> str | None:
        return self.target.app

    @property
    def web_url(self) -> str:
        return self.target.web_url

    def prepare(self) -> None:
        """Find the project and, unless told, the app of an earlier deploy (its git remote)."""
        self.cli.root = project_root()
        self.steps.say(f"Project: {self.cli.root}", style="dim")
        self.check_git()
        if not self.target.app and not self.target.dry_run:
            self.target.app = self.app_steps.app_from_remote()

    def deploy(self) -> None:
        if self.cli.root is None:
            self.prepare()
        for title, action in self.plan():
            if self.target.dry_run:
                self.steps.say(f"  {self.steps.count + 1}. {title}", style="bold")
                self.steps.count += 1
                action(None)
            else:
                with self.steps.step(title) as step:
                    self.cli.step = step
                    action(step)

    def plan(self) -> list:
        """[(title, step)] in order; the worker's only when the Procfile declares one."""
        worker = WORKER in procfile_processes(self.cli.root)
        cors = ", CORS_ALLOWED_ORIGINS" if self.target.frontend_origins else ""
        return [
            ("The Heroku CLI is installed and logged in", self.app_steps.logged_in),
            ("The app exists", self.app_steps.app_exists),
            (
                "The heroku-postgresql and heroku-redis add-ons are attached",
                self.config_steps.addons,
            ),
            (
                "Config vars are set (SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, "
                f"TRUSTED_PROXY_COUNT{cors})",
                self.config_steps.config_vars,
            ),
            ("The code is pushed (git push heroku HEAD:main)", self.release_steps.push),
            ("The release phase finished", self.release_steps.release),
            ("/healthz answers on the app's URL", self.release_steps.healthz),
            *(
                [(f"The worker dyno runs (heroku ps:scale {WORKER}=1)", self.dyno_steps.worker)]
                if worker
                else []
            ),
            (
                f"The app is saved as server {self.target.server_name!r} (retro server list)",
                self.release_steps.remember,
            ),
        ]

    def check_git(self) -> None:
        if self.target.dry_run:
            return
        inside = self.cli.run(["git", "rev-parse", "--show-toplevel"])
        if not inside.ok or Path(inside.stdout.strip()).resolve() != self.cli.root:
            raise CLIError(
                f"{self.cli.root} is not the top of a git repository",
                ExitCode.PROJECT,
                hint="Heroku deploys a git commit: git init && git add -A && git commit",
            )
        head = self.cli.run(["git", "rev-parse", "--verify", "HEAD"])
        if not head.ok:
            raise CLIError(
                "the repository has no commit yet",
                ExitCode.PROJECT,
                hint="commit your work first: Heroku deploys commits",
            )
        changes = self.cli.run(["git", "status", "--porcelain", "--untracked-files=no"])
        if changes.ok and changes.stdout.strip():
            self.steps.say(
                "Note: uncommitted changes are not deployed; Heroku gets the last commit only.",
                style="yellow",
            )


def frontend_help(target: Target) -> list[str]:
    """How to host the static frontend (frontend/) against this app, and which origins the app
    lets use its API from a browser: what every deploy ends with."""
    api = target.web_url.rstrip("/")
    allowed = ", ".join(target.allowed_origins) or "none yet (no page on another origin may)"
    return [
        "The static frontend (frontend/ in the project) is plain files: host the folder on any "
        "static host (GitHub Pages, Netlify, …), or try it on this machine with",
        "  python -m http.server --bind 127.0.0.1 8001 --directory frontend",
        f"and open it at http://127.0.0.1:8001/?api={api} (?api= names the server; or set "
        "API_URL in frontend/config.js).",
        f"Origins allowed to use the API from a browser (CORS_ALLOWED_ORIGINS): {allowed}.",
        "Allow the frontend's origin (its scheme, host and port; http://127.0.0.1:8001 to try "
        f"it here) with: {target.resume()} --frontend-origin https://example.github.io",
    ]
