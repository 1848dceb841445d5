"""When the channel layer (Redis) is down, posts are still saved and /healthz says so."""

import logging
import time

import pytest
from django.contrib.auth.models import User

from posts.models import Post
from tests.live import free_port


@pytest.fixture
def redis_down(settings):
    """The channel layer and live delivery pointing at a port where nothing listens."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": settings.REDIS_URL}]},
        }
    }


@pytest.mark.django_db
class TestRedisDown:
    def test_a_post_is_saved_and_answered_and_the_failed_delivery_logged(
        self, client, redis_down, caplog, django_capture_on_commit_callbacks
    ):
        client.force_login(User.objects.create_user("ada"))
        with caplog.at_level(logging.ERROR, logger="retrosocial.live"):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post("/", {"text": "still here"})
            assert response.status_code == 302
            post = Post.objects.get()
            assert post.text == "still here"
            # The request did not wait for Redis: a thread of its own tries, fails and says so.
            deadline = time.monotonic() + 30
            while "could not send to Redis" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
        assert "Live delivery: could not send to Redis" in caplog.text
        assert "the sockets resync" in caplog.text

    def test_healthz_is_503_and_names_the_channel_layer(self, client, redis_down):
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["database"] == "ok"
        assert body["channel_layer"] == "down"
        assert body["status"] == "error"


@pytest.mark.django_db
def test_healthz_is_200_when_everything_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "channel_layer": "ok",
        "tasks_waiting": 0,
        "oldest_task_seconds": 0,
        "status": "ok",
    }
