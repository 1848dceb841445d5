"""
Rate limits: one limit per action, whichever door it comes through (a page's form or the API).

| scope   | counted per    | what                               | setting, default              |
| ------- | -------------- | ---------------------------------- | ----------------------------- |
| `auth`  | client address | sign-ups and log-ins, page and API | API_THROTTLE_AUTH, 10/minute  |
| `login` | account        | wrong passwords                    | LOGIN_FAILURE_LIMIT, 5/minute |
| `write` | user           | posts and messages, page and API   | API_THROTTLE_WRITE, 60/minute |

The rates are read from settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] on every request.
Each counter is a fixed window (a minute for "N/minute") in Django's cache: Redis, shared by
every process, when REDIS_URL is set. A locked account opens again when its window ends, so a
stranger's wrong guesses keep its owner out for a minute at most, and only while the per-address
limit lets the stranger keep guessing.

When the cache cannot be reached the request is let through and a warning logged: a Redis
outage must not stop anyone from posting.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TOO_MANY = "Too many attempts. Try again in {} seconds."


def rate(scope: str) -> tuple[int, int]:
    """(how many, per how many seconds) for a scope, from a rate such as "10/minute"."""
    number, period = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")
    return int(number), PERIODS[period.strip()[0]]


def _window(scope: str, ident) -> tuple[str, int, float, int]:
    limit, period = rate(scope)
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:32]
    wait = max(1, math.ceil((window + 1) * period - now))
    return f"limit:{scope}:{digest}:{window}", limit, wait, period


def hit(scope: str, ident) -> int | None:
    """Count one attempt. None if it is within the limit, else the seconds to wait."""
    key, limit, wait, period = _window(scope, ident)
    try:
        cache.add(key, 0, timeout=period + 1)
        used = cache.incr(key)
    except Exception as error:  # the cache (Redis) is down: let the request through
        logger.warning("Rate limit %s not counted, the cache is unreachable: %s", scope, error)
        return None
    return wait if used > limit else None


def reached(scope: str, ident) -> int | None:
    """Like hit(), without counting: None if another attempt is allowed, else the wait."""
    key, limit, wait, _ = _window(scope, ident)
    try:
        used = cache.get(key, 0)
    except Exception as error:
        logger.warning("Rate limit %s not read, the cache is unreachable: %s", scope, error)
        return None
    return wait if used >= limit else None


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the entry
    they appended to X-Forwarded-For (counted from the right; the client writes the left)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [
        entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    forwarded = [entry for entry in forwarded if entry]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def account_key(username: str) -> str:
    return str(username).strip().casefold()
