"""
The cache (retrosocial/cache.py): the home page's first page of posts and its people list are
read from it, renewed by post_create and user_create once their transaction commits, and a
cache that cannot be reached (Redis down) makes pages slower, never errors. On the suite's own
database (SQLite, or PostgreSQL with DATABASE_URL) and a real Redis.
"""

from __future__ import annotations

import logging
import time
import uuid

import pytest
import redis
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from posts.models import Post
from posts.services import POSTS_PER_PAGE, post_create
from retrosocial import cache as site_cache
from tests.live import free_port
from tests.own_redis import own_redis  # noqa: F401  (a fixture)
from users.services import user_create

PASSWORD = "a-long-pass-phrase"


def queries_of(client, path: str = "/") -> tuple[int, str]:
    """(how many database queries GET `path` made, the page)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


def redis_cache(url: str, timeout: float = 1) -> dict:
    """The site's Redis cache (settings.py with REDIS_URL) at `url`, under a prefix of its own;
    the suite's shared Redis gets a longer timeout than the site's, as it may be busy."""
    return {
        "default": {
            "BACKEND": "retrosocial.cache.GuardedRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"retro-test-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
                "pool_class": "retrosocial.cache.SharedConnectionPool",
            },
        }
    }


@pytest.fixture
def redis_cached(redis_url):
    """The site's cache in the machine's Redis, under a prefix of this test's own."""
    with override_settings(CACHES=redis_cache(redis_url)):
        yield
        cache.delete_many(["feed:version", "people:version"])


@pytest.fixture
def redis_down():
    """The site's cache pointing at a port where nothing listens."""
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{free_port()}/0")):
        yield


@pytest.fixture
def crowd(db):
    """Two people and more posts than one page holds."""
    ada = User.objects.create_user("ada", password=PASSWORD)
    User.objects.create_user("grace", password=PASSWORD)
    Post.objects.bulk_create(
        Post(author=ada, text=f"post number {n}") for n in range(POSTS_PER_PAGE + 10)
    )
    return ada


@pytest.mark.django_db
class TestTheHomePageReadsTheCache:
    def test_the_second_visit_makes_fewer_queries_than_the_first(self, client, crowd):
        first, page = queries_of(client)
        second, again = queries_of(client)
        assert first >= 3  # the first page of posts, how many there are, the people
        assert second < first
        assert second == 0  # a visitor's page: everything on it came from the cache
        assert again == page
        assert f"post number {POSTS_PER_PAGE + 9}" in again and "grace" in again
        assert "Page 1 of 2" in again

    def test_the_second_page_is_read_from_the_database(self, client, crowd):
        queries_of(client)
        queries, page = queries_of(client, "/?page=2")
        assert queries >= 2
        assert "post number 0" in page and "Page 2 of 2" in page

    def test_a_new_post_renews_the_first_page(
        self, client, crowd, django_capture_on_commit_callbacks
    ):
        queries_of(client)
        with django_capture_on_commit_callbacks(execute=True):
            post_create(author=crowd, text="just now")
        queries, page = queries_of(client)
        assert queries >= 2
        assert page.index("just now") < page.index(f"post number {POSTS_PER_PAGE + 9}")
        assert "Page 1 of 2" in page

    def test_a_new_account_renews_the_people_list(
        self, client, crowd, django_capture_on_commit_callbacks
    ):
        queries_of(client)
        with django_capture_on_commit_callbacks(execute=True):
            user_create(username="hopper", password=PASSWORD)
        _, page = queries_of(client)
        assert "hopper" in page

    def test_a_post_rolled_back_renews_nothing(self, client, crowd):
        """The copy is renewed after the commit: a transaction that fails leaves it alone."""
        from django.db import transaction

        queries_of(client)
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                post_create(author=crowd, text="never saved")
                raise RuntimeError("the transaction fails")
        queries, page = queries_of(client)
        assert queries == 0
        assert "never saved" not in page


@pytest.mark.django_db(transaction=True)
def test_the_author_sees_their_post_on_the_page_they_are_sent_back_to(client):
    """Real commits (no test transaction around them), as on the live site: the author's
    redirect lands on a home page whose first page was in the cache before they posted."""
    ada = User.objects.create_user("ada", password=PASSWORD)
    post_create(author=ada, text="the first post")
    client.force_login(ada)
    assert "the first post" in client.get("/").content.decode()  # now in the cache
    response = client.post("/", {"text": "hello from the author"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    page = response.content.decode()
    assert page.index("hello from the author") < page.index("the first post")


@pytest.mark.django_db
class TestWithRedis:
    def test_the_rows_are_kept_in_redis_and_renewed_on_write(
        self, client, crowd, redis_cached, django_capture_on_commit_callbacks
    ):
        first, _ = queries_of(client)
        second, _ = queries_of(client)
        assert second < first
        assert cache.get("feed:version") is not None
        with django_capture_on_commit_callbacks(execute=True):
            post_create(author=crowd, text="kept in redis")
        _, page = queries_of(client)
        assert "kept in redis" in page

    def test_redis_down_the_pages_answer_from_the_database_and_say_so(
        self, client, crowd, redis_down, caplog, django_capture_on_commit_callbacks
    ):
        with caplog.at_level(logging.WARNING, logger="retrosocial.cache"):
            first, page = queries_of(client)
            second, _ = queries_of(client)
            assert second == first >= 3  # nothing kept: every visit reads the database
            assert f"post number {POSTS_PER_PAGE + 9}" in page and "grace" in page
            assert "Cache: feed read from the database, the cache is unreachable" in caplog.text
            assert "Cache: people read from the database" in caplog.text
            client.force_login(crowd)
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post("/", {"text": "posted while Redis is down"})
            assert response.status_code == 302
            assert Post.objects.filter(text="posted while Redis is down").exists()
            assert "posted while Redis is down" in client.get("/").content.decode()
            assert "Cache: feed not renewed, the cache is unreachable" in caplog.text


@pytest.mark.django_db
class TestAFrozenRedis:
    """A frozen Redis (SIGSTOP: it takes connections and never answers) costs one wait of the
    site's timeout; then the process leaves it alone for a few seconds, and once it answers
    again, renews what was written meanwhile."""

    def test_one_wait_then_skipped_then_renewed_when_back(
        self, client, crowd, own_redis, monkeypatch, caplog, django_capture_on_commit_callbacks  # noqa: F811
    ):
        monkeypatch.setattr(site_cache, "SKIP", 0.5)
        with override_settings(CACHES=redis_cache(own_redis.url, timeout=0.1)):
            assert "a new post" not in queries_of(client)[1]  # the first page, now kept
            own_redis.freeze()
            try:
                with pytest.raises(redis.TimeoutError):
                    cache.get("anything")
                with pytest.raises(site_cache.Skipped):  # not asked at all: no wait
                    cache.get("anything")
                with django_capture_on_commit_callbacks(execute=True):
                    post_create(author=crowd, text="a new post")  # its renewal is skipped
                assert "a new post" in queries_of(client)[1]  # from the database
            finally:
                own_redis.thaw()
            time.sleep(0.6)
            # Redis still holds the first page as it was before the post: the first request
            # that asks it again renews the page before reading it.
            with caplog.at_level(logging.WARNING, logger="retrosocial.cache"):
                count, page = queries_of(client)
            assert "a new post" in page
            assert "Cache: Redis answers again; renewed feed, people" in caplog.text
            assert queries_of(client)[0] < count  # and it is kept again
