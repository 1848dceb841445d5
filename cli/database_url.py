"""
A DATABASE_URL read the way the site reads it: dj-database-url turns it into Django's DATABASES
entry, and Django's PostgreSQL backend turns that entry into psycopg's connection parameters.
Doing the same here means every URL the site accepts is one retro accepts too:
`postgres:///retrosocial` (no host: the local socket, as the current user), a host with a port,
`user:password@`, `postgresql://`, a percent-encoded socket folder as the host.

A URL is never handed to libpq as it is: libpq knows neither dj-database-url's other schemes
(`pgsql://`) nor its options (`?currentSchema=`), and rebuilding a URL with urllib loses the
`//` of a URL without a host (`postgres:/postgres` is not a URL to libpq any more).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

POSTGRES_BACKENDS = ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis")
# DATABASES["default"]["OPTIONS"] keys that Django keeps for itself (not libpq's).
DJANGO_ONLY_OPTIONS = ("isolation_level", "assume_role", "server_side_binding", "pool")


class DatabaseURLError(ValueError):
    """Not a PostgreSQL URL the site could use; the message says why, without the password."""


def shown_url(url: str) -> str:
    """`url` with any password replaced by ***, for printing."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def postgres_settings(url: str) -> dict:
    """The DATABASES entry dj-database-url makes of `url`, which must be PostgreSQL's."""
    import dj_database_url

    try:
        settings = dj_database_url.parse(url)
    except dj_database_url.UnknownSchemeError:
        raise DatabaseURLError(f"DATABASE_URL is not a PostgreSQL URL: {shown_url(url)}") from None
    except ValueError as error:  # an unknown scheme, or a part that is not quoted
        raise DatabaseURLError(f"DATABASE_URL cannot be read: {shown_url(url)}: {error}") from None
    if settings.get("ENGINE") not in POSTGRES_BACKENDS:
        raise DatabaseURLError(f"DATABASE_URL is not a PostgreSQL URL: {shown_url(url)}")
    if not settings.get("NAME"):
        raise DatabaseURLError(f"DATABASE_URL names no database: {shown_url(url)}")
    return settings


def connect_params(url: str, dbname: str | None = None) -> dict:
    """psycopg.connect(**params) for `url` (for its database, or `dbname` on the same server),
    as Django's PostgreSQL backend builds them from the settings."""
    settings = postgres_settings(url)
    options = dict(settings.get("OPTIONS") or {})
    for name in DJANGO_ONLY_OPTIONS:
        options.pop(name, None)
    params = {key: str(value) for key, value in options.items()}
    params["dbname"] = dbname or settings["NAME"]
    for key, name in (
        ("USER", "user"),
        ("PASSWORD", "password"),
        ("HOST", "host"),
        ("PORT", "port"),
    ):
        if settings.get(key):
            params[name] = str(settings[key])
    return params


def where(params: dict) -> str:
    """The server of `params` in words: host:port, or the local socket (and its folder)."""
    host = params.get("host", "")
    port = params.get("port") or "5432"
    if not host:
        return f"the local socket (port {port})"
    if host.startswith("/"):
        return f"the local socket in {host} (port {port})"
    return f"{host}:{port}"


def with_database(url: str, name: str) -> str:
    """`url` naming the database `name` instead: scheme, user, password, host, port and options
    kept, and the `//` of a URL without a host too."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}/{quote(name, safe='')}{query}"
