"""
The settings of `retro deploy local`: the environment first, then the project's `.env` (where
the course has the student write them, as for `heroku local`), then retro's defaults; with what
production always sets on top, and a SECRET_KEY kept in retro's config folder when none is set.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cli.deploy import envfile
from cli.deploy.steps import user_environment
from cli.errors import CLIError, ExitCode

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/retrosocial"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET_KEY_FILE = "deploy-local-secret-key"


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
