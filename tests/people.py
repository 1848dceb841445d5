"""
People for the messaging and API tests: ada and bob talk, eve is the third user who must
never see what they say. Import the fixtures into a conftest.py to use them.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
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
    """A channel subscribed to a channel-layer group: what a socket in that group would get."""

    def __init__(self, group: str):
        self.group = group
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(group, self.channel)

    def close(self) -> None:
        async_to_sync(self.layer.group_discard)(self.group, self.channel)

    def receive(self, timeout: float = 2) -> dict:
        import asyncio

        async def get():
            return await asyncio.wait_for(self.layer.receive(self.channel), timeout)

        return async_to_sync(get)()

    def nothing_waiting(self) -> bool:
        try:
            self.receive(timeout=0.2)
        except TimeoutError:
            return True
        return False


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
