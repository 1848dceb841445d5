import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from posts.consumers import FeedConsumer
from posts.models import Post
from posts.services import post_broadcast, post_payload
from retrosocial.asgi import application


@sync_to_async
def make_post(text: str) -> dict:
    """Save a post and announce it, as the site does once the post is committed."""
    author, _ = User.objects.get_or_create(username="ada")
    post = Post.objects.create(author=author, text=text)
    post_broadcast(post)
    return post_payload(post)


@pytest.mark.django_db(transaction=True)
class TestFeedConsumer:
    async def test_every_connected_client_receives_a_broadcast_post(self):
        first = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        second = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        assert (await first.connect())[0]
        assert (await second.connect())[0]

        payload = await make_post("hi all")
        assert await first.receive_json_from(timeout=2) == payload
        assert await second.receive_json_from(timeout=2) == payload
        await first.disconnect()
        await second.disconnect()

    async def test_a_disconnected_client_gets_nothing_more(self):
        closed = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        still_open = WebsocketCommunicator(FeedConsumer.as_asgi(), "/ws/feed")
        assert (await closed.connect())[0]
        assert (await still_open.connect())[0]
        await closed.disconnect(timeout=10)
        payload = await make_post("after one client left")
        assert await still_open.receive_json_from(timeout=2) == payload
        # One delivery writes to every socket of the feed before anything else runs: had the
        # closed one still been listening, the post would be waiting there by now.
        assert await closed.receive_nothing(timeout=0)
        await still_open.disconnect()


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
