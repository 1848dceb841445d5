"""
How `retro deploy heroku` runs the Heroku CLI and git: in the project, with a time limit, each
failure a CLIError naming the command that resumes the deploy; in a dry run, printed instead.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cli.deploy.steps import Step, Steps, plain
from cli.errors import CLIError, ExitCode

POSTGRES_PLAN = "heroku-postgresql:essential-0"
REDIS_PLAN = "heroku-redis:mini"
REMOTE = "heroku"
NEW_APP = "NEW_APP"  # in a dry run without --app: the name Heroku will pick


def app_of_remote(url: str) -> str:
    """The app a `heroku` git remote's URL names, as the Heroku CLI itself reads it."""
    return Path(urlsplit(url.strip()).path).name.removesuffix(".git")


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def message(self) -> str:
        """Heroku's own words: its " ›   Error: …" line, else git's "remote: !" / "error:" lines,
        else the last line of output."""
        lines = [plain(line) for line in (self.stderr + "\n" + self.stdout).splitlines()]
        lines = [line for line in lines if line]
        for marker in ("Error:",):
            found = [line.split(marker, 1)[1].strip() for line in lines if marker in line]
            if found:
                return found[0]
        rejected = [
            line.removeprefix("remote:").strip(" !")
            for line in lines
            if line.startswith("remote:") and line.removeprefix("remote:").strip().startswith("!")
        ]
        rejected = [line for line in rejected if line]
        if rejected:
            return rejected[0]
        errors = [line for line in lines if line.startswith(("error:", "fatal:"))]
        if errors:
            return errors[0]
        return lines[-1] if lines else f"exit status {self.returncode}"


@dataclass
class Target:
    """What is deployed where: the app (None until it is known), its URLs once they are, and
    the options of the run."""

    app: str | None
    server_name: str
    dry_run: bool = False
    postgres_plan: str = POSTGRES_PLAN
    redis_plan: str = REDIS_PLAN
    timeout: float = 600
    # --frontend-origin: origins added to CORS_ALLOWED_ORIGINS (the static frontend's hosts).
    frontend_origins: list[str] = field(default_factory=list)
    web_url: str = ""
    git_url: str = ""
    # CORS_ALLOWED_ORIGINS as the config step left it.
    allowed_origins: list[str] = field(default_factory=list)

    def resume(self) -> str:
        app = f" --app {self.app}" if self.app and self.app != NEW_APP else ""
        return f"retro deploy heroku{app}"


class HerokuCLI:
    """Runs commands in the project for the deploy (or prints them, in a dry run)."""

    def __init__(self, target: Target, steps: Steps):
        self.target = target
        self.steps = steps
        self.root: Path | None = None
        self.step: Step | None = None  # the step running now: a streamed command logs to it

    def fail(
        self, message: str, *, code: ExitCode = ExitCode.DEPLOY_FAILED, fix: str | None = None
    ) -> CLIError:
        hint = f"resume with: {self.target.resume()}"
        return CLIError(message, code, hint=f"{fix}; then {hint}" if fix else hint)

    def run(
        self,
        argv: list[str],
        *,
        note: str = "",
        shown: str = "",
        stream: bool = False,
        timeout: float | None = None,
    ) -> Result | None:
        """Run `argv` in the project (None in a dry run, after printing it). `shown` is what to
        print instead when the command holds a secret."""
        text = shown or shlex.join(argv)
        if self.target.dry_run:
            self.steps.say(f"      $ {text}" + (f"    # {note}" if note else ""))
            return None
        if stream:
            return self._stream(argv, timeout or self.target.timeout)
        try:
            done = subprocess.run(
                argv,
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=timeout or self.target.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            limit = timeout or self.target.timeout
            raise self.fail(f"`{text}` did not finish within {limit:.0f} s") from None
        except FileNotFoundError:
            raise self.fail(f"cannot run {argv[0]}: not found on PATH") from None
        return Result(done.returncode, done.stdout, done.stderr)

    def _stream(self, argv: list[str], timeout: float) -> Result:
        """Run `argv` showing its output as it comes (a build takes minutes)."""
        process = subprocess.Popen(
            argv,
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            stdin=subprocess.DEVNULL,
        )
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        for line in process.stdout:
            lines.append(line)
            self.step.log(line)
            if time.monotonic() > deadline:
                process.kill()
                break
        code = process.wait()
        return Result(code, "", "".join(lines))

    def heroku(self, *args: str, **options) -> Result | None:
        return self.run(["heroku", *args], **options)

    def heroku_json(self, *args: str, what: str):
        """Run a heroku command with --json and parse its answer (None in a dry run)."""
        result = self.heroku(*args)
        if result is None:
            return None
        if not result.ok:
            raise self.fail(f"{what}: {result.message()}")
        try:
            return json.loads(result.stdout)
        except ValueError:
            raise self.fail(f"{what}: the Heroku CLI did not answer JSON") from None

    def git(self, *args: str, **options) -> Result | None:
        return self.run(["git", *args], **options)
