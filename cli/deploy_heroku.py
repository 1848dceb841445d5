"""
`retro deploy heroku`: the whole deploy as a list of steps, each idempotent, through the Heroku
CLI and git. Running it again skips what is done; it stops at the first failure with Heroku's
own message and the command that resumes; with --dry-run it prints every command, runs none.

The same code runs both ways: in a dry run every query answers "nothing there yet", so the
printed commands are those of a first deploy, in the order a real one runs them.
"""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cli.deploy_steps import Step, Steps, plain, project_root
from cli.errors import CLIError, ExitCode

POSTGRES_PLAN = "heroku-postgresql:essential-0"
REDIS_PLAN = "heroku-redis:mini"
REMOTE = "heroku"
NEW_APP = "NEW_APP"  # in a dry run without --app: the name Heroku will pick
SECRET_SHOWN = "\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\""


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
        rejected = [line.removeprefix("remote:").strip(" !") for line in lines
                    if line.startswith("remote:") and line.removeprefix("remote:").strip()
                    .startswith("!")]
        rejected = [line for line in rejected if line]
        if rejected:
            return rejected[0]
        errors = [line for line in lines if line.startswith(("error:", "fatal:"))]
        if errors:
            return errors[0]
        return lines[-1] if lines else f"exit status {self.returncode}"


def with_item(listed: str, item: str) -> str:
    """A comma-separated setting with `item` in it (unchanged when it is there already)."""
    items = [part.strip() for part in listed.split(",") if part.strip()]
    return ",".join(items if item in items else [*items, item])


class Deploy:
    def __init__(self, *, app: str | None, dry_run: bool, steps: Steps, server_name: str,
                 postgres_plan: str = POSTGRES_PLAN, redis_plan: str = REDIS_PLAN,
                 timeout: float = 600):
        self.app = app
        self.dry_run = dry_run
        self.steps = steps
        self.server_name = server_name
        self.postgres_plan = postgres_plan
        self.redis_plan = redis_plan
        self.timeout = timeout
        self.root: Path | None = None
        self.web_url = ""
        self.git_url = ""
        self.step: Step | None = None

    # --- running commands ---------------------------------------------------------------

    def resume(self) -> str:
        app = f" --app {self.app}" if self.app and self.app != NEW_APP else ""
        return f"retro deploy heroku{app}"

    def fail(self, message: str, *, code: ExitCode = ExitCode.DEPLOY_FAILED,
             fix: str | None = None) -> CLIError:
        hint = f"resume with: {self.resume()}"
        return CLIError(message, code, hint=f"{fix}; then {hint}" if fix else hint)

    def run(self, argv: list[str], *, note: str = "", shown: str = "",
            stream: bool = False, timeout: float | None = None) -> Result | None:
        """Run `argv` in the project (None in a dry run, after printing it). `shown` is what to
        print instead when the command holds a secret."""
        text = shown or shlex.join(argv)
        if self.dry_run:
            self.steps.say(f"      $ {text}" + (f"    # {note}" if note else ""))
            return None
        if stream:
            return self._stream(argv, timeout or self.timeout)
        try:
            done = subprocess.run(argv, cwd=self.root, capture_output=True, text=True,
                                  timeout=timeout or self.timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            limit = timeout or self.timeout
            raise self.fail(f"`{text}` did not finish within {limit:.0f} s") from None
        except FileNotFoundError:
            raise self.fail(f"cannot run {argv[0]}: not found on PATH") from None
        return Result(done.returncode, done.stdout, done.stderr)

    def _stream(self, argv: list[str], timeout: float) -> Result:
        """Run `argv` showing its output as it comes (a build takes minutes)."""
        process = subprocess.Popen(argv, cwd=self.root, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, bufsize=1,
                                   stdin=subprocess.DEVNULL)
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

    # --- the steps ----------------------------------------------------------------------

    def prepare(self) -> None:
        """Find the project and, unless told, the app of an earlier deploy (its git remote)."""
        self.root = project_root()
        self.steps.say(f"Project: {self.root}", style="dim")
        self.check_git()
        if not self.app and not self.dry_run:
            self.app = self.app_from_remote()

    def deploy(self) -> None:
        if self.root is None:
            self.prepare()
        for title, action in (
            ("The Heroku CLI is installed and logged in", self.logged_in),
            ("The app exists", self.app_exists),
            ("The heroku-postgresql and heroku-redis add-ons are attached", self.addons),
            ("Config vars are set (SECRET_KEY, DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, "
             "TRUSTED_PROXY_COUNT)",
             self.config_vars),
            ("The code is pushed (git push heroku HEAD:main)", self.push),
            ("The release phase finished", self.release),
            ("/healthz answers on the app's URL", self.healthz),
            (f"The app is saved as server {self.server_name!r} (retro server list)",
             self.remember),
        ):
            if self.dry_run:
                self.steps.say(f"  {self.steps.count + 1}. {title}", style="bold")
                self.steps.count += 1
                action(None)
            else:
                with self.steps.step(title) as step:
                    self.step = step
                    action(step)

    def check_git(self) -> None:
        if self.dry_run:
            return
        inside = self.run(["git", "rev-parse", "--show-toplevel"])
        if not inside.ok or Path(inside.stdout.strip()).resolve() != self.root:
            raise CLIError(
                f"{self.root} is not the top of a git repository",
                ExitCode.PROJECT,
                hint="Heroku deploys a git commit: git init && git add -A && git commit",
            )
        head = self.run(["git", "rev-parse", "--verify", "HEAD"])
        if not head.ok:
            raise CLIError("the repository has no commit yet", ExitCode.PROJECT,
                           hint="commit your work first: Heroku deploys commits")
        changes = self.run(["git", "status", "--porcelain", "--untracked-files=no"])
        if changes.ok and changes.stdout.strip():
            self.steps.say("Note: uncommitted changes are not deployed; Heroku gets the last "
                           "commit only.", style="yellow")

    def logged_in(self, step: Step | None) -> None:
        if not self.dry_run and shutil.which("heroku") is None:
            raise CLIError(
                "the Heroku CLI is not installed (no `heroku` on PATH)",
                ExitCode.DEPLOY_FAILED,
                hint="install it: npm install -g heroku (or see "
                "https://devcenter.heroku.com/articles/heroku-cli); then heroku login; "
                f"then {self.resume()}",
            )
        whoami = self.heroku("auth:whoami")
        if whoami is None:
            return
        if not whoami.ok:
            raise self.fail(
                f"the Heroku CLI is not logged in (heroku auth:whoami: {whoami.message()})",
                code=ExitCode.AUTH,
                fix="log in with: heroku login",
            )
        step.detail = f"logged in as {plain(whoami.stdout)}"

    def app_exists(self, step: Step | None) -> None:
        if not self.app and self.dry_run:
            self.app = self.app_from_remote()
        created = False
        info = None
        if self.app:
            result = self.heroku("apps:info", "--app", self.app, "--json",
                                 note="is the app there?")
            if result is not None and result.ok:
                try:
                    info = json.loads(result.stdout)["app"]
                except (ValueError, KeyError):
                    raise self.fail("apps:info: the Heroku CLI did not answer JSON") from None
            elif result is not None:
                message = result.message()
                if "do not have access" in message:
                    raise self.taken(message)
                if "Couldn't find that app" not in message:
                    raise self.fail(f"cannot look up the app {self.app}: {message}")
        if info is None:
            args = ["apps:create", *([self.app] if self.app else []), "--json"]
            note = "only when it does not exist yet"
            if not self.app:
                note = f"Heroku picks the name, {NEW_APP} below"
            result = self.heroku(*args, note=note)
            created = True
            if result is not None and not result.ok:
                message = result.message()
                if "taken" in message:
                    raise self.taken(message)
                raise self.fail(f"cannot create the app: {message}")
            if result is not None:
                try:
                    info = json.loads(result.stdout)
                except ValueError:
                    raise self.fail("apps:create: the Heroku CLI did not answer JSON") from None
        if info is None:  # dry run
            self.app = self.app or NEW_APP
            self.web_url = f"https://{self.app}-xxxxxxxxxxxx.herokuapp.com/"
            self.git_url = f"https://git.heroku.com/{self.app}.git"
        else:
            self.app = info["name"]
            self.web_url = info["web_url"]
            self.git_url = info["git_url"]
        remote = self.git("remote", "get-url", REMOTE, note="is the git remote there?")
        if remote is None or not remote.ok or remote.stdout.strip() != self.git_url:
            result = self.heroku("git:remote", "--app", self.app,
                                 note="only when the remote is missing or points elsewhere")
            if result is not None and not result.ok:
                raise self.fail(f"cannot set the git remote: {result.message()}")
        if step is not None:
            step.detail = f"{'created' if created else 'reused'} {self.app} at {self.web_url}"
            step.done_before = not created

    def app_from_remote(self) -> str | None:
        """The app named by the `heroku` git remote, as the Heroku CLI itself finds it."""
        remote = self.git("remote", "get-url", REMOTE, note="an app from an earlier deploy?")
        if remote is None or not remote.ok:
            return None
        name = Path(urlsplit(remote.stdout.strip()).path).name.removesuffix(".git")
        return name or None

    def taken(self, message: str) -> CLIError:
        return CLIError(
            f"the app name {self.app!r} is taken by another Heroku account: {message}",
            ExitCode.DEPLOY_FAILED,
            hint="choose another name: retro deploy heroku --app ANOTHER-NAME "
            "(or leave out --app and Heroku picks one)",
        )

    def addons(self, step: Step | None) -> None:
        attached = self.heroku_json("addons", "--app", self.app, "--json",
                                    what="cannot list the add-ons")
        services = {item.get("addon_service", {}).get("name") for item in attached or []}
        added = []
        for plan in (self.postgres_plan, self.redis_plan):
            if plan.split(":", 1)[0] in services:
                continue
            result = self.heroku("addons:create", plan, "--app", self.app, "--wait",
                                 note="only when it is not attached yet", timeout=self.timeout)
            if result is not None and not result.ok:
                raise self.fail(f"cannot attach {plan}: {result.message()}",
                                fix="see heroku addons:plans " + plan.split(":", 1)[0])
            added.append(plan)
        if step is not None:
            step.done_before = not added
            step.detail = f"added {', '.join(added)}" if added else "both attached"

    def config_vars(self, step: Step | None) -> None:
        current = self.heroku_json("config", "--app", self.app, "--json",
                                   what="cannot read the config vars") or {}
        if not self.dry_run:
            missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not current.get(name)]
            if missing:
                raise self.fail(
                    f"{' and '.join(missing)} not set yet: the add-ons are still being created",
                    fix=f"wait, and check with: heroku addons --app {self.app}",
                )
        host = urlsplit(self.web_url).hostname or ""
        wanted = {
            "DEBUG": "0",
            # Added to what is there, so a custom domain set by hand stays allowed.
            "ALLOWED_HOSTS": with_item(current.get("ALLOWED_HOSTS", ""), host),
            "CSRF_TRUSTED_ORIGINS": with_item(current.get("CSRF_TRUSTED_ORIGINS", ""),
                                              f"https://{host}"),
            # Heroku's router appends the client's address to X-Forwarded-For: the rate
            # limits count that entry, not one the client wrote.
            "TRUSTED_PROXY_COUNT": "1",
        }
        key = current.get("SECRET_KEY", "")
        if len(key) < 50 or key.startswith("django-insecure"):
            wanted["SECRET_KEY"] = secrets.token_urlsafe(50)
        changes = {name: value for name, value in wanted.items() if current.get(name) != value}
        if changes:
            pairs = [f"{name}={value}" for name, value in sorted(changes.items())]
            shown = " ".join(
                f"SECRET_KEY={SECRET_SHOWN}" if name == "SECRET_KEY" else shlex.quote(pair)
                for pair, name in zip(pairs, sorted(changes), strict=True)
            )
            result = self.heroku("config:set", *pairs, "--app", self.app,
                                 shown=f"heroku config:set {shown} --app {self.app}",
                                 note="only the ones missing or different; an existing "
                                 "SECRET_KEY is kept")
            if result is not None and not result.ok:
                raise self.fail(f"cannot set the config vars: {result.message()}")
        if step is not None:
            step.done_before = not changes
            step.detail = f"set {', '.join(sorted(changes))}" if changes else "all set"

    def push(self, step: Step | None) -> None:
        head = self.git("rev-parse", "HEAD", note="the commit to deploy")
        there = self.git("ls-remote", REMOTE, "refs/heads/main", note="what Heroku has")
        if head is not None and there is not None and there.ok:
            commit = head.stdout.strip()
            if there.stdout.split() and there.stdout.split()[0] == commit:
                step.done_before = True
                step.detail = f"Heroku has {commit[:7]}"
                return
        result = self.git("push", REMOTE, "HEAD:main", stream=True,
                          note="builds the app: installs requirements.txt, runs collectstatic")
        if result is None:
            return
        if not result.ok:
            raise self.fail(f"the push failed: {result.message()}",
                            fix="fix what the build says above and commit")
        step.detail = f"pushed {head.stdout.strip()[:7]}"

    def release(self, step: Step | None) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            releases = self.heroku_json("releases", "--app", self.app, "--json", "--num", "1",
                                        what="cannot read the releases")
            if releases is None:
                self.steps.say("      … again every 3 s while its status is pending")
                return
            if not releases:
                raise self.fail("the app has no release yet")
            latest = releases[0]
            status = latest.get("status")
            if status == "succeeded":
                step.detail = f"v{latest.get('version')} {status}"
                return
            if status != "pending":
                raise self.fail(
                    f"release v{latest.get('version')} {status}: "
                    f"{latest.get('description', '')}".strip(),
                    fix=f"see why: heroku releases:output --app {self.app}",
                )
            if time.monotonic() > deadline:
                raise self.fail(f"release v{latest.get('version')} still pending after "
                                f"{self.timeout:.0f} s")
            step.update(f"v{latest.get('version')} pending")
            time.sleep(3)

    def healthz(self, step: Step | None) -> None:
        url = self.web_url.rstrip("/") + "/healthz"
        if self.dry_run:
            self.steps.say(f"      GET {url}    # until it answers 200")
            return
        import httpx

        deadline = time.monotonic() + self.timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = httpx.get(url, timeout=10, follow_redirects=True)
                if response.status_code == 200:
                    step.detail = f"{url} answers 200"
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as error:
                last = f"{type(error).__name__}: {error}"
            step.update(f"waiting for {url} — {last}")
            time.sleep(2)
        raise self.fail(f"{url} did not answer 200 within {self.timeout:.0f} s (last: {last})",
                        fix=f"see the logs: retro deploy logs --app {self.app}")

    def remember(self, step: Step | None) -> None:
        if self.dry_run:
            self.steps.say(f"      remember {self.web_url} as {self.server_name!r}")
            return
        from cli.config import add_server

        url = add_server(self.server_name, self.web_url)
        step.detail = f"retro --server {self.server_name} … talks to {url}"
