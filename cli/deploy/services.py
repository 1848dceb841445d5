"""
What `retro deploy local` checks before it starts anything: PostgreSQL and Redis reachable at
the URLs of its settings (the database created when missing), each failure said with the way to
start the server.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cli.database_url import DatabaseURLError, connect_params, shown_url, where
from cli.deploy.steps import plain
from cli.errors import CLIError, ExitCode

START_POSTGRES = (
    "start PostgreSQL: `sudo service postgresql start` (Debian/Ubuntu), "
    "`brew services start postgresql` (macOS) or "
    "`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres`; "
    "or point DATABASE_URL at a running server"
)
START_REDIS = (
    "start Redis: `sudo service redis-server start` (Debian/Ubuntu), "
    "`brew services start redis` (macOS) or `docker run -d -p 6379:6379 redis`; "
    "or point REDIS_URL at a running server"
)


def check_postgres(url: str, *, create: bool) -> str:
    """Reach the PostgreSQL server of `url` (read as the site reads it: dj-database-url, then
    Django's connection parameters); create its database if missing and `create`. Returns
    what was found, for the step's ✓ line."""
    import psycopg
    from psycopg import sql

    try:
        params = connect_params(url)
    except DatabaseURLError as error:
        raise CLIError(
            str(error),
            ExitCode.DEPLOY_FAILED,
            hint="production runs on PostgreSQL, e.g. postgres:///retrosocial (this machine's "
            "server, as you) or postgres://postgres@127.0.0.1:5432/retrosocial",
        ) from None
    name = params["dbname"]
    server = where(params)
    shown = f"{shown_url(url)}: database {name} on {server}"
    try:
        try:
            psycopg.connect(**{"connect_timeout": 3, **params}).close()
            return shown
        except psycopg.OperationalError as error:
            if f'database "{name}" does not exist' not in str(error):
                raise
        if not create:
            return f"{shown} (the database does not exist yet; it will be created)"
        # The server answers but has no such database: create it from its maintenance database.
        admin = connect_params(url, dbname="postgres")
        with psycopg.connect(**{"connect_timeout": 3, **admin}, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"{shown} (database {name} created)"
    except psycopg.OperationalError as error:
        first = plain(str(error)).splitlines()[0] if plain(str(error)) else "no answer"
        reason = first.rsplit("failed: ", 1)[-1].strip()
        if "FATAL" in reason or "password" in reason:  # the server answered, and said no
            raise CLIError(
                f"PostgreSQL at {server} refused the connection: {reason}",
                ExitCode.DEPLOY_FAILED,
                hint="check the user, password and database in DATABASE_URL",
            ) from None
        raise CLIError(
            f"PostgreSQL is not reachable at {server}: {reason}",
            ExitCode.DEPLOY_FAILED,
            hint=START_POSTGRES,
        ) from None
    except psycopg.Error as error:
        raise CLIError(
            f"PostgreSQL at {server} refused: {plain(str(error))}", ExitCode.DEPLOY_FAILED
        ) from None


def check_redis(url: str) -> str:
    import redis

    options = {"socket_connect_timeout": 3, "socket_timeout": 3}
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    try:
        client = redis.Redis.from_url(url, **options)
        client.ping()
        version = client.info("server").get("redis_version", "?")
    except ValueError as error:
        raise CLIError(f"REDIS_URL is not a Redis URL: {error}", ExitCode.DEPLOY_FAILED) from None
    except redis.RedisError as error:
        raise CLIError(
            f"Redis is not reachable at {where}: {plain(str(error))}",
            ExitCode.DEPLOY_FAILED,
            hint=START_REDIS,
        ) from None
    return f"{shown_url(url)} (Redis {version})"
