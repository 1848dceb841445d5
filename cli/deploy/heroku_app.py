"""
The steps of `retro deploy heroku` that make the app on Heroku: the Heroku CLI logged in, the
app itself (found, or created) with its git remote, its add-ons and its config vars.
"""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
from urllib.parse import urlsplit

from cli.deploy.heroku_cli import NEW_APP, REMOTE, HerokuCLI, Target, app_of_remote
from cli.deploy.steps import Step, plain
from cli.errors import CLIError, ExitCode

SECRET_SHOWN = "\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\""


class AppSteps:
    """The Heroku CLI is ready and the app exists, with the `heroku` git remote pointing at it."""

    def __init__(self, cli: HerokuCLI, target: Target):
        self.cli = cli
        self.target = target

    def logged_in(self, step: Step | None) -> None:
        if not self.target.dry_run and shutil.which("heroku") is None:
            raise CLIError(
                "the Heroku CLI is not installed (no `heroku` on PATH)",
                ExitCode.DEPLOY_FAILED,
                hint="install it: npm install -g heroku (or see "
                "https://devcenter.heroku.com/articles/heroku-cli); then heroku login; "
                f"then {self.target.resume()}",
            )
        whoami = self.cli.heroku("auth:whoami")
        if whoami is None:
            return
        if not whoami.ok:
            raise self.cli.fail(
                f"the Heroku CLI is not logged in (heroku auth:whoami: {whoami.message()})",
                code=ExitCode.AUTH,
                fix="log in with: heroku login",
            )
        step.detail = f"logged in as {plain(whoami.stdout)}"

    def app_exists(self, step: Step | None) -> None:
        if not self.target.app and self.target.dry_run:
            self.target.app = self.app_from_remote()
        created = False
        info = None
        if self.target.app:
            result = self.cli.heroku(
                "apps:info", "--app", self.target.app, "--json", note="is the app there?"
            )
            if result is not None and result.ok:
                try:
                    info = json.loads(result.stdout)["app"]
                except (ValueError, KeyError):
                    raise self.cli.fail("apps:info: the Heroku CLI did not answer JSON") from None
            elif result is not None:
                message = result.message()
                if "do not have access" in message:
                    raise self.taken(message)
                if "Couldn't find that app" not in message:
                    raise self.cli.fail(f"cannot look up the app {self.target.app}: {message}")
        if info is None:
            args = ["apps:create", *([self.target.app] if self.target.app else []), "--json"]
            note = "only when it does not exist yet"
            if not self.target.app:
                note = f"Heroku picks the name, {NEW_APP} below"
            result = self.cli.heroku(*args, note=note)
            created = True
            if result is not None and not result.ok:
                message = result.message()
                if "taken" in message:
                    raise self.taken(message)
                raise self.cli.fail(f"cannot create the app: {message}")
            if result is not None:
                try:
                    info = json.loads(result.stdout)
                except ValueError:
                    raise self.cli.fail("apps:create: the Heroku CLI did not answer JSON") from None
        if info is None:  # dry run
            self.target.app = self.target.app or NEW_APP
            self.target.web_url = f"https://{self.target.app}-xxxxxxxxxxxx.herokuapp.com/"
            self.target.git_url = f"https://git.heroku.com/{self.target.app}.git"
        else:
            self.target.app = info["name"]
            self.target.web_url = info["web_url"]
            self.target.git_url = info["git_url"]
        remote = self.cli.git("remote", "get-url", REMOTE, note="is the git remote there?")
        if remote is None or not remote.ok or remote.stdout.strip() != self.target.git_url:
            result = self.cli.heroku(
                "git:remote",
                "--app",
                self.target.app,
                note="only when the remote is missing or points elsewhere",
            )
            if result is not None and not result.ok:
                raise self.cli.fail(f"cannot set the git remote: {result.message()}")
        if step is not None:
            step.detail = (
                f"{'created' if created else 'reused'} {self.target.app} at {self.target.web_url}"
            )
            step.done_before = not created

    def app_from_remote(self) -> str | None:
        """The app named by the `heroku` git remote, as the Heroku CLI itself finds it."""
        remote = self.cli.git("remote", "get-url", REMOTE, note="an app from an earlier deploy?")
        if remote is None or not remote.ok:
            return None
        return app_of_remote(remote.stdout) or None

    def taken(self, message: str) -> CLIError:
        return CLIError(
            f"the app name {self.target.app!r} is taken by another Heroku account: {message}",
            ExitCode.DEPLOY_FAILED,
            hint="choose another name: retro deploy heroku --app ANOTHER-NAME "
            "(or leave out --app and Heroku picks one)",
        )


class ConfigSteps:
    """The app's add-ons are attached and its config vars are production's."""

    def __init__(self, cli: HerokuCLI, target: Target):
        self.cli = cli
        self.target = target

    def addons(self, step: Step | None) -> None:
        attached = self.cli.heroku_json(
            "addons", "--app", self.target.app, "--json", what="cannot list the add-ons"
        )
        services = {item.get("addon_service", {}).get("name") for item in attached or []}
        added = []
        for plan in (self.target.postgres_plan, self.target.redis_plan):
            if plan.split(":", 1)[0] in services:
                continue
            result = self.cli.heroku(
                "addons:create",
                plan,
                "--app",
                self.target.app,
                "--wait",
                note="only when it is not attached yet",
                timeout=self.target.timeout,
            )
            if result is not None and not result.ok:
                raise self.cli.fail(
                    f"cannot attach {plan}: {result.message()}",
                    fix="see heroku addons:plans " + plan.split(":", 1)[0],
                )
            added.append(plan)
        if step is not None:
            step.done_before = not added
            step.detail = f"added {', '.join(added)}" if added else "both attached"

    def config_vars(self, step: Step | None) -> None:
        current = (
            self.cli.heroku_json(
                "config", "--app", self.target.app, "--json", what="cannot read the config vars"
            )
            or {}
        )
        if not self.target.dry_run:
            missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not current.get(name)]
            if missing:
                raise self.cli.fail(
                    f"{' and '.join(missing)} not set yet: the add-ons are still being created",
                    fix=f"wait, and check with: heroku addons --app {self.target.app}",
                )
        host = urlsplit(self.target.web_url).hostname or ""
        wanted = {
            "DEBUG": "0",
            # Added to what is there, so a custom domain set by hand stays allowed.
            "ALLOWED_HOSTS": with_item(current.get("ALLOWED_HOSTS", ""), host),
            "CSRF_TRUSTED_ORIGINS": with_item(
                current.get("CSRF_TRUSTED_ORIGINS", ""), f"https://{host}"
            ),
            # Heroku's router appends the client's address to X-Forwarded-For: the rate
            # limits count that entry, not one the client wrote.
            "TRUSTED_PROXY_COUNT": "1",
        }
        # The static frontend's hosts, added to what is there (origins set by hand stay).
        origins = current.get("CORS_ALLOWED_ORIGINS", "")
        for origin in self.target.frontend_origins:
            origins = with_item(origins, origin)
        if origins != current.get("CORS_ALLOWED_ORIGINS", ""):
            wanted["CORS_ALLOWED_ORIGINS"] = origins
        self.target.allowed_origins = [item for item in origins.split(",") if item]
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
            result = self.cli.heroku(
                "config:set",
                *pairs,
                "--app",
                self.target.app,
                shown=f"heroku config:set {shown} --app {self.target.app}",
                note="only the ones missing or different; an existing SECRET_KEY is kept",
            )
            if result is not None and not result.ok:
                raise self.cli.fail(f"cannot set the config vars: {result.message()}")
        if step is not None:
            step.done_before = not changes
            step.detail = f"set {', '.join(sorted(changes))}" if changes else "all set"


def frontend_origin(value: str) -> str:
    """`value` as CORS_ALLOWED_ORIGINS wants an origin: http(s)://host[:port], nothing after
    it (a trailing / is dropped). A CLIError saying what an origin is, otherwise."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == -1
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise CLIError(
            f"--frontend-origin {value!r} is not an origin",
            ExitCode.USAGE,
            hint="an origin is a scheme, a host and perhaps a port, with no path, e.g. "
            "https://example.github.io; GitHub Pages serves https://example.github.io/repo/ "
            "from that origin",
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def with_item(listed: str, item: str) -> str:
    """A comma-separated setting with `item` in it (unchanged when it is there already)."""
    items = [part.strip() for part in listed.split(",") if part.strip()]
    return ",".join(items if item in items else [*items, item])
