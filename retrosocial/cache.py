"""
The site's cache: rows that every visit reads and few requests change, kept in Django's cache
(Redis when REDIS_URL is set, this process's memory otherwise) and renewed by the code that
writes them.

The cache is only a copy of the database. When it cannot be reached (Redis stopped, restarting
or out of reach), `cached` reads the database instead and logs a warning: a Redis outage makes
pages slower, never broken.

Each cached thing has a name ("feed", "people") and a version. `forget(name)` gives the name a
new version once the writer's transaction has committed. A reader that began before the write
and stores its older rows afterwards stores them under the old version, which nobody reads any
more: so the person who wrote sees what they wrote on the very next page.
"""

import logging
import threading
import uuid

import redis
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

# Seconds a copy is kept at most: a change that no service makes (in the admin) shows after this.
TIMEOUT = 60


def cached(name: str, compute):
    """What `compute()` returns, from the cache when a copy is there (else computed and kept)."""
    try:
        version = cache.get_or_set(f"{name}:version", uuid.uuid4().hex, timeout=None)
        key = f"{name}:{version}"
        value = cache.get(key)
    except Exception as error:  # the cache is down: the database answers instead
        logger.warning(
            "Cache: %s read from the database, the cache is unreachable: %s", name, error
        )
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, TIMEOUT)
        except Exception as error:
            logger.warning("Cache: %s not kept, the cache is unreachable: %s", name, error)
    return value


def forget(name: str) -> None:
    """Readers of `name` get fresh rows once the current transaction commits."""
    transaction.on_commit(lambda: renew(name))


def renew(name: str) -> None:
    try:
        cache.set(f"{name}:version", uuid.uuid4().hex, timeout=None)
    except Exception as error:
        logger.warning("Cache: %s not renewed, the cache is unreachable: %s", name, error)


class SharedConnectionPool(redis.ConnectionPool):
    """One pool of Redis connections per process (settings.CACHES names it).

    Under ASGI, Django builds its cache objects anew for each request, and each would open a
    pool, and so a connection, of its own: a TCP connection to Redis per request. This hands
    every one of them the same pool."""

    _shared: dict[tuple, redis.ConnectionPool] = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url, **options):
        key = (url, repr(sorted(options.items())))
        with cls._lock:
            if key not in cls._shared:
                cls._shared[key] = super().from_url(url, **options)
            return cls._shared[key]
