"""Week 3, going live: signing up, settings from the environment, the production run."""

from __future__ import annotations

import re
import secrets
import sqlite3

from cli.checks import CheckFailed, check
from cli.checks.page import Page
from cli.checks.session import (
    PASSWORD,
    Session,
    SessionError,
    command_words,
    procfile,
    tail,
)
from cli.checks.web import (
    SIGNUP_PATHS,
    SIGNUP_WORDS,
    Visitor,
    describe,
    find_form_page,
    logged_in,
    login,
    server_error_hint,
    user_field,
)

SERVERS = ("daphne", "gunicorn", "uvicorn", "hypercorn")
POSTGRES_DRIVERS = {"psycopg", "psycopg2", "psycopg2-binary", "psycopg-binary"}
DEBUG_PAGE = ("Django tried these URL patterns", "DEBUG = True")


def requirement_names(session: Session) -> dict[str, str]:
    path = session.dir / "requirements.txt"
    if not path.is_file():
        raise CheckFailed("a requirements.txt next to manage.py", "no requirements.txt")
    names = {}
    for line in path.read_text(errors="replace").splitlines():
        line = line.split("#")[0].strip()
        match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)", line)
        if match and not line.startswith("-"):
            names[match.group(1).lower().replace("_", "-")] = match.group(3)
    return names


def web_command(session: Session) -> str:
    processes = procfile(session.dir)
    if "web" not in processes:
        raise CheckFailed(
            "a Procfile next to manage.py with a `web:` line that starts the site",
            f"Procfile processes: {', '.join(processes) or 'none (no Procfile)'}",
        )
    return processes["web"]


POSTGRES_EXAMPLE = "postgres://retro:secret@db.example.com:5432/retrosocial"


def production_settings(session: Session) -> tuple[int, dict[str, str]]:
    """The port and environment of the production run (the same all session long)."""
    port = session.port_for("production")
    return port, session.production_env(PORT=str(port))


def settings_environment(session: Session) -> dict[str, str]:
    """Production settings with a secret key and hosts of the check's own choosing."""
    return session.production_env(
        SECRET_KEY=session.token("settings"), ALLOWED_HOSTS="retro.example.com,127.0.0.1"
    )


def ahead(session: Session) -> None:
    """What the project says with production settings and with a PostgreSQL DATABASE_URL,
    the migrations onto databases of the checks' own, and Heroku's build and release steps:
    none of them depends on what the checks before them do."""
    session.facts_ahead(settings_environment(session))
    session.facts_ahead(session.dev_env(DATABASE_URL=POSTGRES_EXAMPLE))
    other = session.dev_env(DATABASE_URL=f"sqlite:///{session.tmp / 'from-database-url.sqlite3'}")
    session.manage_ahead("migrate", "--noinput", env=other)
    server = session.services.get("postgres")
    if server:
        session.ahead(("postgres-migrate", server), lambda: migrate_on_postgres(session, server))
    _, env = production_settings(session)
    session.manage_ahead("collectstatic", "--noinput", env=env)
    release = procfile(session.dir).get("release")
    if release:
        session.run_line_ahead(release, env)
    else:
        session.manage_ahead("migrate", "--noinput", env=env)


def production_server(session: Session):
    """The site as Heroku runs it: collectstatic (the build), the release process, then the
    Procfile's web process with DEBUG unset, behind a (pretend) HTTPS router."""
    if "production" in session.servers:
        return session.servers["production"]
    if "production-failed" in session.cache:
        raise SessionError(
            "the production run did not start", str(session.cache["production-failed"])
        )
    try:
        web = web_command(session)
        port, env = production_settings(session)
        result = session.manage("collectstatic", "--noinput", env=env)
        if result.returncode != 0:
            raise SessionError(
                "`python manage.py collectstatic --noinput` failed with DEBUG off",
                session.explain(result.stderr or result.stdout),
            )
        release = procfile(session.dir).get("release")
        if release:
            result = session.run_line(release, env)
            if result.returncode != 0:
                raise SessionError(
                    f"the release process `{release}` failed",
                    session.explain(result.stderr or result.stdout),
                )
        else:
            session.manage("migrate", "--noinput", env=env)
        return session.start(
            "production", web, env, port, headers={"X-Forwarded-Proto": "https"}, timeout=40
        )
    except (SessionError, CheckFailed) as error:
        session.cache["production-failed"] = getattr(error, "seen", "") or str(error)
        raise


@check(
    3,
    "signup",
    "a visitor can sign up, and is logged in at once",
    (3, "Sign up"),
    needs=["w2.login"],
)
def signup(session: Session):
    visitor = Visitor(session.dev_server())
    home = visitor.page("/", "the home page")
    found = find_form_page(visitor, home, SIGNUP_WORDS, SIGNUP_PATHS, [], passwords=2)
    if not found:
        raise CheckFailed(
            "a sign-up page linked from the home page: a form with a password and its confirmation",
            "no such link or page (tried the links that say “sign up” and /signup)",
        )
    url, _, form = found
    username = f"newcomer{secrets.token_hex(3)}"
    values = {user_field(form): username}
    for field in form.passwords:
        values[field.name] = PASSWORD
    for field in form.text_fields:
        if field.name not in values:
            values[field.name] = f"{username}@example.com" if "mail" in field.name else "x"
    response = visitor.submit(form, url, values)
    if not response.is_redirect:
        errors = Page(response.text).text[:200] if response.status_code == 200 else ""
        raise CheckFailed(
            "signing up to redirect",
            describe(response, also=f" {errors}" if errors else ""),
            server_error_hint(response),
        )
    visitor.follow(response)
    if not logged_in(visitor.page("/", "the home page")):
        raise CheckFailed("the new user logged in right after signing up", "not logged in")
    login(session, Visitor(session.dev_server()), username)


@check(
    3,
    "settings",
    "DEBUG, SECRET_KEY and ALLOWED_HOSTS come from the environment",
    (3, "environment"),
    needs=["w1.system-check"],
)
def settings_from_environment(session: Session):
    env = settings_environment(session)
    key = env["SECRET_KEY"]
    production = session.facts(env=env, key="production")
    seen = []
    if production["debug"]:
        seen.append("DEBUG is on with DEBUG unset")
    if production["secret_key"] != key:
        seen.append("SECRET_KEY is not the one in the environment")
    if "retro.example.com" not in production["allowed_hosts"]:
        seen.append(f"ALLOWED_HOSTS is {production['allowed_hosts']}")
    if not session.facts()["debug"]:
        seen.append("DEBUG is off with DEBUG=1")
    if seen:
        raise CheckFailed(
            "DEBUG on only when DEBUG=1; SECRET_KEY and ALLOWED_HOSTS read from the environment",
            "; ".join(seen),
        )


@check(
    3,
    "database-url",
    "the database comes from DATABASE_URL",
    (3, "DATABASE_URL"),
    needs=["w1.migrate"],
)
def database_url(session: Session):
    url = POSTGRES_EXAMPLE
    database = session.facts(env=session.dev_env(DATABASE_URL=url), key="postgres")["database"]
    if not database["engine"].endswith("postgresql") or database["name"] != "retrosocial":
        raise CheckFailed(
            f"DATABASE_URL={url} to configure PostgreSQL, database “retrosocial”",
            f"ENGINE {database['engine']!r}, NAME {database['name']!r}",
            "read it with dj_database_url.config(default=…) in settings.py",
        )
    other = session.tmp / "from-database-url.sqlite3"  # as in ahead()
    result = session.manage(
        "migrate", "--noinput", env=session.dev_env(DATABASE_URL=f"sqlite:///{other}")
    )
    tables = []
    if result.returncode == 0 and other.exists():
        with sqlite3.connect(other) as db:
            tables = [
                row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
    if "django_migrations" not in tables:
        raise CheckFailed(
            f"migrate with DATABASE_URL=sqlite:///{other.name} to build that database",
            tail(result.stdout + result.stderr) or "the database is not there",
        )
    server = session.services.get("postgres")
    if server:
        work = lambda: migrate_on_postgres(session, server)  # noqa: E731
        return [session.take(("postgres-migrate", server), work)]
    return ["PostgreSQL itself not tried: pass --postgres URL to migrate a database on it"]


def migrate_on_postgres(session: Session, server: str) -> str:
    """Migrate a database of the check's own on the PostgreSQL server at `server`, then drop it.
    `server` is read as the site reads a DATABASE_URL (postgres:///postgres, the local socket,
    as much as postgres://user@host:port/postgres)."""
    import psycopg
    from psycopg import sql

    from cli.database_url import DatabaseURLError, connect_params, with_database
    from cli.database_url import where as server_words

    try:
        params = {"connect_timeout": "5", **connect_params(server)}
    except DatabaseURLError as error:
        raise CheckFailed("a PostgreSQL server URL after --postgres", str(error)) from None
    name = f"retro_check_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise CheckFailed(f"a PostgreSQL server at {server}", str(error).strip()) from None
    url = with_database(server, name)
    try:
        result = session.manage("migrate", "--noinput", env=session.dev_env(DATABASE_URL=url))
        if result.returncode != 0:
            raise CheckFailed(
                "migrate to build the tables in PostgreSQL", tail(result.stdout + result.stderr)
            )
    finally:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    return f"migrated a fresh PostgreSQL database {name} on {server_words(params)}, then dropped it"


@check(
    3,
    "requirements",
    "requirements.txt names what production needs",
    (3, "requirements"),
    needs=["w1.system-check"],
)
def requirements(session: Session):
    names = requirement_names(session)
    server = command_words(web_command(session))[0] if procfile(session.dir).get("web") else ""
    missing = []
    if "django" not in names:
        missing.append("Django")
    if not POSTGRES_DRIVERS & set(names):
        missing.append("a PostgreSQL driver (psycopg)")
    if server in SERVERS and server not in names:
        missing.append(f"{server} (the Procfile runs it)")
    if missing:
        raise CheckFailed(
            "requirements.txt to list everything Heroku must install",
            f"missing: {', '.join(missing)}",
        )
    if not names["django"].startswith(("==5.2", "~=5.2", ">=5.2")):
        raise CheckFailed("Django pinned to 5.2 (Django==5.2.x)", f"Django{names['django']}")


@check(
    3,
    "procfile",
    "the Procfile starts the web server on $PORT and migrates on release",
    (3, "Procfile"),
)
def procfile_lines(session: Session):
    web = web_command(session)
    words = command_words(web)
    if not words or words[0] not in SERVERS:
        raise CheckFailed(f"`web:` to start a production server ({', '.join(SERVERS)})", web)
    if "$PORT" not in web and "${PORT}" not in web:
        raise CheckFailed("the web server to listen on $PORT (Heroku chooses the port)", web)
    release = procfile(session.dir).get("release", "")
    if "migrate" not in release:
        raise CheckFailed(
            "a `release:` line that runs `python manage.py migrate`",
            release or "no release process",
        )


@check(3, "python-version", "the Python version is declared for Heroku", (3, "Procfile"))
def python_version(session: Session):
    declared = session.dir / ".python-version"
    if declared.is_file() and re.fullmatch(r"3\.\d+(\.\d+)?", declared.read_text().strip()):
        return
    runtime = session.dir / "runtime.txt"
    if runtime.is_file():
        raise CheckFailed(
            "a .python-version file such as “3.11” (Heroku deprecated runtime.txt)",
            f"runtime.txt: {runtime.read_text().strip()}",
        )
    raise CheckFailed(
        "a .python-version file next to manage.py naming a Python 3 version, such as “3.11”",
        declared.read_text().strip() if declared.is_file() else "no .python-version",
    )


@check(
    3,
    "production",
    "the site runs with production settings, as Heroku runs it",
    (3, "production run"),
    needs=["w3.settings", "w3.procfile"],
)
def production(session: Session):
    server = production_server(session)
    visitor = Visitor(server, headers={"X-Forwarded-Proto": "https"})
    page = visitor.page("/", "the home page, with DEBUG off,")
    notes = []
    for href in page.stylesheets:
        response = visitor.get(visitor.local(href))
        if response.status_code != 200:
            raise CheckFailed(
                f"the stylesheet {href} served with DEBUG off (WhiteNoise)",
                describe(response),
                server_error_hint(response),
            )
        notes.append(
            f"{href} served" + (" compressed" if response.headers.get("content-encoding") else "")
        )
    if not page.stylesheets:
        raise CheckFailed("a stylesheet on the home page", 'no <link rel="stylesheet">')
    response = visitor.get("/retro-check-no-such-page")
    if response.status_code != 404 or any(words in response.text for words in DEBUG_PAGE):
        debug_page = ", with Django's debug page" if "DEBUG = True" in response.text else ""
        raise CheckFailed(
            "a plain 404 page for an unknown URL (no debug page: DEBUG must be off)",
            describe(response, also=debug_page),
            server_error_hint(response),
        )
    return notes
