"""
Is a service the tests can use reachable? `python -m tests.services postgres|redis` exits 0 when
it is, 1 when it is not (the suite skips that part), and 2 when it is not but
RETRO_REQUIRE_<SERVICE>=1 says it must be (the run fails). Used by the Makefile and conftest.
"""

from __future__ import annotations

import os
import sys

POSTGRES_TEST_URL = os.environ.get(
    "RETRO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("RETRO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_reachable(url: str = POSTGRES_TEST_URL) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def redis_reachable(url: str = REDIS_TEST_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


CHECKS = {
    "postgres": (postgres_reachable, POSTGRES_TEST_URL),
    "redis": (redis_reachable, REDIS_TEST_URL),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in CHECKS:
        print(f"usage: python -m tests.services {'|'.join(CHECKS)}", file=sys.stderr)
        return 2
    check, url = CHECKS[argv[0]]
    if check():
        return 0
    required = os.environ.get(f"RETRO_REQUIRE_{argv[0].upper()}") == "1"
    print(f"{argv[0]} is not reachable at {url}" + (" but is required" if required else ""),
          file=sys.stderr)
    return 2 if required else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
