"""
People for the tests: ada and bob talk, eve is the third user who must never see what they
say. tests/conftest.py gives these fixtures to every test.
"""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.live import PASSWORD

HIGH_RATES = {"auth": "100000/minute", "login": "100000/minute", "write": "100000/minute"}


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Every test starts with empty throttle counters and rates it cannot reach by accident;
    a test of throttling sets its own rates (settings.REST_FRAMEWORK)."""
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": HIGH_RATES}
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """These tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str) -> User:
    return User.objects.create_user(username, password=PASSWORD)


@pytest.fixture
def ada(db):
    return make_user("ada")


@pytest.fixture
def bob(db):
    return make_user("bob")


@pytest.fixture
def eve(db):
    return make_user("eve")


def api_client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated with that user's token; api(None): anonymous."""
    return api_client_for


class GroupListener:
    """A place in this process's live hub (retrosocial.live), listening to one topic ("feed",
    "inbox.<user id>"): what a socket listening there would get. The hub runs on an event loop
    in a thread of its own, as daphne's does."""

    def __init__(self, group: str):
        import asyncio
        import queue
        import threading

        from retrosocial import live

        self.group = group
        self.frames: queue.Queue = queue.Queue()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def send(message):
            self.frames.put(message)

        async def join():
            self.listener = live.Listener(send, [group])
            live.hub().join(self.listener)

        asyncio.run_coroutine_threadsafe(join(), self.loop).result(timeout=10)

    def close(self) -> None:
        import asyncio

        from retrosocial import live

        async def leave():
            live.hub().leave(self.listener)

        asyncio.run_coroutine_threadsafe(leave(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def receive(self, timeout: float = 5) -> dict:
        """The next frame's JSON (queue.Empty if none comes in `timeout` seconds)."""
        import json

        return json.loads(self.frames.get(timeout=timeout)["text"])

    def got_nothing(self) -> bool:
        """Whether nothing has come to this topic so far: a marker published to it now, the way
        the site publishes, must be the first frame that arrives. (Waiting a while for nothing
        to arrive would pass on a machine too slow to have delivered it yet.)"""
        import uuid

        from retrosocial import live

        marker = {"type": "test-marker", "marker": uuid.uuid4().hex}
        live.publish(marker, self.group)
        return self.receive() == marker


@pytest.fixture
def listen():
    """listen(group) → a GroupListener, taken out of the group again after the test."""
    listeners: list[GroupListener] = []

    def make(group: str) -> GroupListener:
        listeners.append(GroupListener(group))
        return listeners[-1]

    yield make
    for listener in listeners:
        listener.close()
