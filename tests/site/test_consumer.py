import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from posts.consumers import FeedConsumer
from posts.models import Post
from posts.services import post_broadcast, post_payload
from retrosocial.asgi import application


@pytest.mark.django_db(transaction=True)
class TestFeedConsumer:
    async def test_every_connected_client_receives_a_broadcast_post(self):
        first = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        second = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        assert (await first.connect())[0]
        assert (await second.connect())[0]

        from asgiref.sync import sync_to_async

        @sync_to_async
        def make_post():
            post = Post.objects.create(author=User.objects.create_user("ada"), text="hi all")
            post_broadcast(post)
            return post_payload(post)

        payload = await make_post()
        assert await first.receive_json_from(timeout=2) == payload
        assert await second.receive_json_from(timeout=2) == payload
        await first.disconnect()
        await second.disconnect()

    async def test_a_disconnected_client_leaves_the_hub(self):
        from retrosocial.live import hub

        before = set(hub().topics.get("feed", {}))
        communicator = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        await communicator.connect()
        joined = set(hub().topics.get("feed", {})) - before
        assert len(joined) == 1
        await communicator.disconnect()
        assert not joined & set(hub().topics.get("feed", {}))
        assert not joined & set(hub().listeners)


@pytest.mark.django_db(transaction=True)
class TestFeedRouting:
    async def test_the_site_routes_ws_feed_and_checks_the_origin(self):
        good = WebsocketCommunicator(
            application,
            "/ws/feed",
            headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")],
        )
        assert (await good.connect())[0]
        await good.disconnect()

        foreign = WebsocketCommunicator(
            application,
            "/ws/feed",
            headers=[(b"host", b"localhost"), (b"origin", b"http://evil.example")],
        )
        connected, _ = await foreign.connect()
        assert not connected
