"""The inbox socket and websocket authentication, through the site's ASGI application."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token

from messaging.services import message_create, message_payload
from posts.services import post_create, post_payload
from retrosocial.asgi import application
from retrosocial.routing import websocket_urlpatterns
from retrosocial.websocket import WebsocketAuthMiddleware

pytestmark = pytest.mark.django_db(transaction=True)
OWN_ORIGIN = (b"origin", b"http://localhost")
FOREIGN_ORIGIN = (b"origin", b"http://evil.example")
HOST = (b"host", b"localhost")  # what every real client sends


def token_header(user) -> tuple[bytes, bytes]:
    token, _ = Token.objects.get_or_create(user=user)
    return (b"authorization", f"Token {token.key}".encode())


def session_cookie(user) -> tuple[bytes, bytes]:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode())


async def connect(path="/ws/inbox", *headers):
    communicator = WebsocketCommunicator(application, path, headers=[HOST, *headers])
    connected, _ = await communicator.connect()
    return communicator, connected


def send(sender, recipient, text):
    """Save a message and run its on-commit delivery (these tests run outside a transaction)."""
    return message_payload(message_create(sender=sender, recipient=recipient, text=text))


def announce_post(author, text):
    """Save a post and run its on-commit delivery to the feed."""
    return post_payload(post_create(author=author, text=text))


class TestWhoMayConnect:
    async def test_an_anonymous_inbox_socket_is_refused(self):
        communicator, connected = await connect("/ws/inbox", OWN_ORIGIN)
        assert not connected

    async def test_a_token_socket_needs_no_origin(self, ada):
        header = await sync_to_async(token_header)(ada)
        communicator, connected = await connect("/ws/inbox", header)
        assert connected
        await communicator.disconnect()

    async def test_a_token_socket_may_come_from_anywhere(self, ada):
        header = await sync_to_async(token_header)(ada)
        communicator, connected = await connect("/ws/inbox", header, FOREIGN_ORIGIN)
        assert connected
        await communicator.disconnect()

    @pytest.mark.parametrize(
        "value", [b"Token not-a-real-key", b"Token", b"Bearer abc", b"Token a b"]
    )
    async def test_a_bad_token_is_refused_even_on_the_public_feed(self, value):
        for path in ("/ws/inbox", "/ws/feed"):
            communicator, connected = await connect(path, (b"authorization", value), OWN_ORIGIN)
            assert not connected, (path, value)

    async def test_a_revoked_token_is_refused(self, ada):
        header = await sync_to_async(token_header)(ada)
        await sync_to_async(Token.objects.filter(user=ada).delete)()
        communicator, connected = await connect("/ws/inbox", header)
        assert not connected

    async def test_an_inactive_users_token_is_refused(self, ada):
        header = await sync_to_async(token_header)(ada)
        ada.is_active = False
        await sync_to_async(ada.save)()
        communicator, connected = await connect("/ws/inbox", header)
        assert not connected

    async def test_a_session_socket_from_the_sites_own_origin_is_accepted(self, ada):
        cookie = await sync_to_async(session_cookie)(ada)
        communicator, connected = await connect("/ws/inbox", cookie, OWN_ORIGIN)
        assert connected
        await communicator.disconnect()

    @pytest.mark.parametrize("origin", [[FOREIGN_ORIGIN], [(b"origin", b"null")], []])
    async def test_a_session_socket_from_another_origin_or_none_is_refused(self, ada, origin):
        cookie = await sync_to_async(session_cookie)(ada)
        communicator, connected = await connect("/ws/inbox", cookie, *origin)
        assert not connected

    async def test_a_wildcard_in_allowed_hosts_admits_no_other_origin(self, ada, settings):
        settings.ALLOWED_HOSTS = ["*", "localhost"]
        app = WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns))
        cookie = await sync_to_async(session_cookie)(ada)
        foreign = WebsocketCommunicator(app, "/ws/inbox", headers=[HOST, cookie, FOREIGN_ORIGIN])
        assert not (await foreign.connect())[0]
        own = WebsocketCommunicator(app, "/ws/inbox", headers=[HOST, cookie, OWN_ORIGIN])
        assert (await own.connect())[0]
        await own.disconnect()

    async def test_the_feed_stays_open_to_anonymous_browsers_on_the_site(self):
        communicator, connected = await connect("/ws/feed", OWN_ORIGIN)
        assert connected
        await communicator.disconnect()


class TestDelivery:
    async def test_each_participant_gets_the_message_and_a_third_user_nothing(self, ada, bob, eve):
        sockets = {}
        for user in (ada, bob, eve):
            header = await sync_to_async(token_header)(user)
            sockets[user.username], connected = await connect("/ws/inbox", header)
            assert connected
        feed, connected = await connect("/ws/feed", OWN_ORIGIN)
        assert connected

        payload = await sync_to_async(send)(ada, bob, "just between us")
        assert await sockets["ada"].receive_json_from(timeout=2) == payload
        assert await sockets["bob"].receive_json_from(timeout=2) == payload
        # What eve and the feed get first is what is theirs, sent after: nothing came before.
        to_eve = await sync_to_async(send)(ada, eve, "for eve")
        assert await sockets["eve"].receive_json_from(timeout=2) == to_eve
        assert await sockets["ada"].receive_json_from(timeout=2) == to_eve
        post = await sync_to_async(announce_post)(ada, "for everyone")
        assert await feed.receive_json_from(timeout=2) == post

        reply = await sync_to_async(send)(bob, ada, "indeed")
        assert await sockets["ada"].receive_json_from(timeout=2) == reply
        assert await sockets["bob"].receive_json_from(timeout=2) == reply
        to_eve = await sync_to_async(send)(bob, eve, "and for eve")
        assert await sockets["eve"].receive_json_from(timeout=2) == to_eve
        for socket in (*sockets.values(), feed):
            await socket.disconnect()

    async def test_every_open_tab_of_a_user_gets_it(self, ada, bob):
        cookie = await sync_to_async(session_cookie)(bob)
        tabs = []
        for _ in range(2):
            tab, connected = await connect("/ws/inbox", cookie, OWN_ORIGIN)
            assert connected
            tabs.append(tab)
        payload = await sync_to_async(send)(ada, bob, "hello both tabs")
        for tab in tabs:
            assert await tab.receive_json_from(timeout=2) == payload
            await tab.disconnect()

    async def test_whatever_a_client_sends_is_ignored(self, ada, bob):
        header = await sync_to_async(token_header)(bob)
        socket, connected = await connect("/ws/inbox", header)
        await socket.send_to(text_data="not json {")
        await socket.send_to(bytes_data=b"\x00\x01")
        await socket.send_json_to({"type": "inbox.message", "message": {"text": "forged"}})
        payload = await sync_to_async(send)(ada, bob, "still open")
        assert await socket.receive_json_from(timeout=2) == payload  # the first thing it gets
        # The socket handles what comes in one thing at a time, in order: once it has handled
        # the disconnect, anything it answered to the junk would be waiting here.
        await socket.disconnect(timeout=10)
        assert await socket.receive_nothing(timeout=0)

    async def test_nothing_arrives_after_disconnecting(self, ada, bob):
        header = await sync_to_async(token_header)(bob)
        closed, connected = await connect("/ws/inbox", header)
        assert connected
        still_open, connected = await connect("/ws/inbox", header)
        assert connected
        await closed.disconnect(timeout=10)
        payload = await sync_to_async(send)(ada, bob, "after one tab closed")
        assert await still_open.receive_json_from(timeout=2) == payload
        # One delivery writes to every socket of the inbox before anything else runs: had the
        # closed tab still been listening, the message would be waiting there by now.
        assert await closed.receive_nothing(timeout=0)
        await still_open.disconnect()
