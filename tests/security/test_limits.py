"""
Limits on every door: sign-up, login (per address, and per account for wrong passwords, for a
short time only), posting and messaging share one limit whichever door a request comes
through (page form or API), counted in a store every process shares, and by the address the
trusted proxy saw rather than one the client wrote.
"""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth.models import User

from messaging.models import Message
from posts.models import Post
from tests.live import PASSWORD, Browser, unique
from tests.security.servers import OwnRedis
from tests.windows import fresh_window

WRONG = "not-the-password-at-all"


@pytest.fixture
def rates(settings):
    def set_rates(auth="1000/minute", login="1000/minute", write="1000/minute"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"auth": auth, "login": login, "write": write},
        }
        fresh_window()

    return set_rates


@pytest.fixture
def api(api):
    """api(user): an APIClient that sends JSON."""

    def make(user):
        client = api(user)
        client.default_format = "json"
        return client

    return make


@pytest.mark.django_db
class TestWritesShareOneLimit:
    def test_after_the_api_says_429_the_post_form_is_refused_too(self, rates, api, ada, client):
        rates(write="3/minute")
        for number in range(3):
            assert api(ada).post("/api/posts", {"text": f"api {number}"}).status_code == 201
        assert api(ada).post("/api/posts", {"text": "one too many"}).status_code == 429
        client.force_login(ada)
        response = client.post("/", {"text": "through the form"})
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "Too many attempts" in response.content.decode()
        assert Post.objects.count() == 3

    def test_after_the_api_says_429_the_message_form_is_refused_too(
        self, rates, api, ada, bob, client
    ):
        rates(write="2/minute")
        for number in range(2):
            response = api(ada).post("/api/messages/bob", {"text": f"api {number}"})
            assert response.status_code == 201
        client.force_login(ada)
        response = client.post("/messages/bob", {"text": "through the form"})
        assert response.status_code == 429
        assert Message.objects.count() == 2

    def test_form_posts_count_against_the_api(self, rates, api, ada, bob, client):
        rates(write="2/minute")
        client.force_login(ada)
        assert client.post("/", {"text": "form post"}).status_code == 302
        assert client.post("/messages/bob", {"text": "form message"}).status_code == 302
        response = api(ada).post("/api/posts", {"text": "api post"})
        assert response.status_code == 429
        assert response.json()["detail"].startswith("Request was throttled")

    def test_other_people_keep_their_own_allowance(self, rates, api, ada, bob):
        rates(write="1/minute")
        assert api(ada).post("/api/posts", {"text": "ada's"}).status_code == 201
        assert api(ada).post("/api/posts", {"text": "ada's again"}).status_code == 429
        assert api(bob).post("/api/posts", {"text": "bob's"}).status_code == 201


@pytest.mark.django_db
class TestLogin:
    def login(self, client, username, password, address="192.0.2.1"):
        return client.post(
            "/login", {"username": username, "password": password}, REMOTE_ADDR=address
        )

    def test_the_login_page_limits_attempts_per_address(self, rates, client, ada):
        rates(auth="10/minute")
        for number in range(10):
            assert self.login(client, f"someone{number}", WRONG).status_code == 200
        response = self.login(client, "ada", PASSWORD)
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "_auth_user_id" not in client.session
        # Another address is not held back by this one.
        assert self.login(client, "ada", PASSWORD, address="192.0.2.2").status_code == 302

    def test_the_page_and_the_api_share_the_per_address_limit(self, rates, client, api, ada):
        rates(auth="3/minute")
        for _ in range(3):
            assert self.login(client, "ada", WRONG, address="127.0.0.1").status_code == 200
        response = api(None).post("/api/auth/token", {"username": "ada", "password": PASSWORD})
        assert response.status_code == 429

    def test_wrong_passwords_lock_the_account_from_every_address(self, rates, client, api, ada):
        rates(login="3/minute")
        for number in range(3):
            assert self.login(client, "ada", WRONG, address=f"192.0.2.{number}").status_code == 200
        # The right password now, from elsewhere, through either door: not checked at all.
        assert self.login(client, "ADA", PASSWORD, address="198.51.100.9").status_code == 429
        response = api(None).post("/api/auth/token", {"username": "ada", "password": PASSWORD})
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        # Someone else's account is not locked.
        User.objects.create_user("bob", password=PASSWORD)
        assert self.login(client, "bob", PASSWORD, address="192.0.2.1").status_code == 302

    def test_an_account_is_locked_out_only_until_its_window_ends(self, rates, client, ada):
        rates(login="2/second")
        fresh_window(period=1, need=1)
        for _ in range(2):
            assert self.login(client, "ada", WRONG).status_code == 200
        assert self.login(client, "ada", PASSWORD).status_code == 429
        fresh_window(period=1, need=1)
        assert self.login(client, "ada", PASSWORD).status_code == 302

    def test_a_right_password_does_not_count_against_the_account(self, rates, client, ada):
        rates(login="1/minute")
        for _ in range(3):
            assert self.login(client, "ada", PASSWORD).status_code == 302
            client.logout()


@pytest.mark.django_db
class TestSignup:
    def test_the_page_and_the_api_share_the_per_address_limit(self, rates, client, api):
        rates(auth="2/minute")
        response = client.post(
            "/signup", {"username": "ada", "password1": PASSWORD, "password2": PASSWORD}
        )
        assert response.status_code == 302
        response = api(None).post("/api/auth/signup", {"username": "bob", "password": PASSWORD})
        assert response.status_code == 201
        response = client.post(
            "/signup", {"username": "cy", "password1": PASSWORD, "password2": PASSWORD}
        )
        assert response.status_code == 429
        assert not User.objects.filter(username="cy").exists()


@pytest.mark.django_db
class TestClientAddress:
    def test_behind_one_proxy_the_entry_it_appended_counts(self, rates, api, settings):
        rates(auth="2/minute")
        settings.TRUSTED_PROXY_COUNT = 1
        client = api(None)
        for number in range(2):
            response = client.post(
                "/api/auth/signup",
                {"username": f"user{number}", "password": PASSWORD},
                HTTP_X_FORWARDED_FOR=f"10.9.9.{number}, 203.0.113.7",
            )
            assert response.status_code == 201
        response = client.post(
            "/api/auth/signup",
            {"username": "user9", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7",
        )
        assert response.status_code == 429
        response = client.post(
            "/api/auth/signup",
            {"username": "user10", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.8",
        )
        assert response.status_code == 201


@pytest.mark.live
class TestLiveServers:
    def test_daphne_proxy_headers_cannot_be_used_to_dodge_the_limit(self, make_live_server):
        """daphne --proxy-headers puts the FIRST X-Forwarded-For entry in the scope, which the
        client writes; with TRUSTED_PROXY_COUNT=1 the site counts the router's entry."""
        server = make_live_server(
            # Per hour: counters are fixed windows, and three requests must not straddle two.
            daphne_args=("--proxy-headers",), TRUSTED_PROXY_COUNT="1", API_THROTTLE_AUTH="2/hour"
        )
        statuses = []
        for number in range(3):
            response = httpx.post(
                f"{server.url}/api/auth/signup",
                json={"username": unique("dodger"), "password": PASSWORD},
                headers={"X-Forwarded-For": f"10.0.0.{number}, 203.0.113.50"},
                timeout=30,
            )
            statuses.append(response.status_code)
        assert statuses == [201, 201, 429]

    def test_processes_share_the_limit_through_redis(self, make_live_server, redis_url):
        prefix = unique("retro-limits-")
        servers = [
            make_live_server(
                redis_url=redis_url,
                API_THROTTLE_WRITE="3/hour",  # a fixed window the four posts cannot straddle
                CACHE_KEY_PREFIX=prefix,
                CHANNEL_LAYER_PREFIX=prefix,
            )
            for _ in range(2)
        ]
        person = Browser(servers[0]).signup(unique("ada"))
        statuses = []
        for server in (servers[0], servers[1], servers[0], servers[1]):
            person.http.base_url = server.url
            statuses.append(person.post(f"hello from {server.port}").status_code)
        assert statuses == [302, 302, 302, 429]

    def test_a_redis_outage_lets_writes_through_and_is_logged(self, make_live_server):
        redis = OwnRedis().start()
        try:
            server = make_live_server(redis_url=redis.url, API_THROTTLE_WRITE="100/minute")
            signup = httpx.post(
                f"{server.url}/api/auth/signup",
                json={"username": unique("ada"), "password": PASSWORD},
                timeout=30,
            )
            token = signup.json()["token"]
        finally:
            redis.stop()
        response = httpx.post(
            f"{server.url}/api/posts",
            json={"text": "while Redis is down"},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        assert response.json()["text"] == "while Redis is down"
        assert "Rate limit write not counted, the cache is unreachable" in server.output()
