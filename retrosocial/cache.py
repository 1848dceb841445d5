"""
The site's cache: rows that every visit reads and few requests change, kept in Django's cache
(Redis when REDIS_URL is set, this process's memory otherwise) and renewed by the code that
writes them.

The cache is only a copy of the database. When it cannot be reached (Redis stopped, restarting
or out of reach), `cached` reads the database instead and logs a warning: a Redis outage makes
pages slower, never broken. A Redis that stops answering is left alone for a few seconds
(GuardedRedisCache), so that it costs a request at most one short wait.

Each cached thing has a name ("feed", "people") and a version. `forget(name)` gives the name a
new version once the writer's transaction has committed. A reader that began before the write
and stores its older rows afterwards stores them under the old version, which nobody reads any
more: so the person who wrote sees what they wrote on the very next page.
"""

import functools
import logging
import threading
import time
import uuid

import redis
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

logger = logging.getLogger(__name__)

# Seconds a copy is kept at most: a change that no service makes (in the admin) shows after this.
TIMEOUT = 60
# Seconds this process leaves a Redis alone after it failed to answer.
SKIP = 5.0

names: set[str] = set()  # what this process has cached or renewed: renewed when Redis is back


def cached(name: str, compute):
    """What `compute()` returns, from the cache when a copy is there (else computed and kept)."""
    names.add(name)
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
    names.add(name)
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


class Skipped(redis.ConnectionError):
    """The cache was not asked: it failed to answer a moment ago."""


class Guard:
    """Whether one Redis is being left alone, for every thread of this process."""

    def __init__(self):
        self.skip_until = 0.0  # time.monotonic() until which nobody asks it
        self.failed = False  # failed since it last answered


_guards: dict[str, Guard] = {}


def guarded(operation):
    """`operation` (a method of the cache) that raises Skipped at once while its Redis is left
    alone, and leaves it alone for SKIP seconds when it does not answer."""

    @functools.wraps(operation)
    def call(self, *args, **kwargs):
        guard = self.guard
        if time.monotonic() < guard.skip_until:
            raise Skipped("the cache failed a moment ago; it is left alone for a few seconds")
        if guard.failed:  # asked again: first renew what writes meanwhile could not
            guard.failed = False
            for name in sorted(names):
                renew(name)
            if guard.failed:  # a renewal failed: still no answer
                raise Skipped("the cache still does not answer")
            if names:
                logger.warning("Cache: Redis answers again; renewed %s", ", ".join(sorted(names)))
        try:
            return operation(self, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            guard.skip_until = time.monotonic() + SKIP
            guard.failed = True
            logger.warning("Cache: Redis does not answer (%s); left alone for %ss", error, SKIP)
            raise

    return call


class GuardedRedisCache(RedisCache):
    """Django's Redis cache (settings.CACHES names it), left alone for SKIP seconds by this
    process once Redis fails to answer.

    A stopped Redis refuses at once, but a frozen one (or one out of reach) lets every command
    wait until its timeout. After one such wait, every operation raises Skipped at once, which
    the callers take as any other failure: the limits let the request through, the pages read
    the database. Then one request asks again."""

    def __init__(self, server, params):
        super().__init__(server, params)
        # Django makes a cache object per request; the guard of one Redis is the process's.
        self.guard = _guards.setdefault(str(server), Guard())


for _method in ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr",
                "set_many", "delete_many", "clear"):
    setattr(GuardedRedisCache, _method, guarded(getattr(RedisCache, _method)))
