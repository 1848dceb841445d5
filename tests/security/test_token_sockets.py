"""Tokens on websockets from a browser: the key named as a subprotocol after
`retrosocial.token`, accepted with that subprotocol echoed and never the key; the socket is its
token's user's; a bad token is refused as in the header; and a page may use it only from the
site's own origin or one of CORS_ALLOWED_ORIGINS, while cookie sockets stay same-origin."""

import pytest
import websocket
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from messaging.services import message_create
from retrosocial.asgi import application
from retrosocial.websocket import TOKEN_PROTOCOL
from tests.live import Browser, unique
from tests.live_clients import ApiPerson, next_item

FRONTEND = "http://127.0.0.1:8001"
SITE = [(b"host", b"localhost")]


def token_of(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def communicator(path: str, key: str | None, origin: str | None = FRONTEND, cookie: str = ""):
    headers = list(SITE)
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    subprotocols = [TOKEN_PROTOCOL, key] if key is not None else []
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=subprotocols)


@pytest.fixture
def frontend_allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    return settings


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("frontend_allowed")
class TestTheTokenSubprotocol:
    async def test_the_inbox_opens_for_the_tokens_user_with_the_subprotocol_echoed(self, ada, bob):
        key = await sync_to_async(token_of)(ada)
        ws = communicator("/ws/inbox", key)
        connected, subprotocol = await ws.connect()
        assert connected
        assert subprotocol == TOKEN_PROTOCOL  # never the key itself
        message = await sync_to_async(message_create)(sender=bob, recipient=ada, text="hi ada")
        got = await ws.receive_json_from(timeout=5)
        assert (got["id"], got["recipient"], got["text"]) == (message.id, "ada", "hi ada")
        await ws.disconnect()

    async def test_a_wrong_key_is_refused(self, ada):
        ws = communicator("/ws/feed", "0" * 40)
        assert not (await ws.connect())[0]

    async def test_the_subprotocol_without_a_key_is_refused(self, ada):
        ws = WebsocketCommunicator(
            application,
            "/ws/feed",
            headers=[*SITE, (b"origin", FRONTEND.encode())],
            subprotocols=[TOKEN_PROTOCOL],
        )
        assert not (await ws.connect())[0]

    async def test_an_inactive_users_token_is_refused(self, ada):
        key = await sync_to_async(token_of)(ada)
        ada.is_active = False
        await sync_to_async(ada.save)()
        assert not (await communicator("/ws/inbox", key).connect())[0]

    async def test_an_origin_not_in_the_list_is_refused_even_with_a_good_token(self, ada):
        key = await sync_to_async(token_of)(ada)
        for origin in ("http://evil.example", "http://127.0.0.1:8002", "https://127.0.0.1:8001"):
            ws = communicator("/ws/feed", key, origin=origin)
            assert not (await ws.connect())[0], origin

    async def test_with_no_origins_configured_no_other_origin_may(self, ada, settings):
        settings.CORS_ALLOWED_ORIGINS = []
        key = await sync_to_async(token_of)(ada)
        assert not (await communicator("/ws/feed", key).connect())[0]

    async def test_the_sites_own_origin_may_use_it(self, ada):
        key = await sync_to_async(token_of)(ada)
        ws = communicator("/ws/inbox", key, origin="http://localhost")
        assert await ws.connect() == (True, TOKEN_PROTOCOL)
        await ws.disconnect()

    async def test_a_program_without_an_origin_may_use_it(self, ada):
        key = await sync_to_async(token_of)(ada)
        ws = communicator("/ws/inbox", key, origin=None)
        assert await ws.connect() == (True, TOKEN_PROTOCOL)
        await ws.disconnect()

    async def test_a_cookie_from_a_cors_origin_opens_nothing(self, ada, client):
        """CORS_ALLOWED_ORIGINS is for tokens: a session socket from that origin is refused
        (the feed too, which an anonymous program may follow)."""
        await sync_to_async(client.force_login)(ada)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        for path in ("/ws/inbox", "/ws/feed"):
            ws = communicator(path, None, cookie=cookie)
            assert not (await ws.connect())[0], path

    async def test_the_header_token_still_needs_no_subprotocol(self, ada):
        key = await sync_to_async(token_of)(ada)
        ws = WebsocketCommunicator(
            application,
            "/ws/inbox",
            headers=[*SITE, (b"authorization", f"Token {key}".encode())],
        )
        assert await ws.connect() == (True, None)
        await ws.disconnect()



@pytest.mark.live
class TestTokenSubprotocolOnDaphne:
    """The same through a real daphne and a real websocket client, as a browser does it."""

    @pytest.fixture
    def server(self, make_live_server):
        return make_live_server(CORS_ALLOWED_ORIGINS=FRONTEND)

    def test_a_page_of_a_listed_origin_follows_the_feed_and_its_inbox(self, server):
        ada = ApiPerson(server, "ada")
        sockets = [
            websocket.create_connection(
                f"{server.ws_url}{path}",
                timeout=30,
                origin=FRONTEND,
                subprotocols=[TOKEN_PROTOCOL, ada.token],
            )
            for path in ("/ws/feed", "/ws/inbox")
        ]
        assert [ws.getsubprotocol() for ws in sockets] == [TOKEN_PROTOCOL, TOKEN_PROTOCOL]
        bob = ApiPerson(server, "bob")
        post = bob.post("for everyone")
        message = bob.message(ada.username, "for ada")
        assert [next_item(ws) for ws in sockets] == [post, message]
        # Revoking the token ends both with 4401, as for the header's.
        assert ada.http.delete("/api/auth/token").status_code == 204
        assert [next_item(ws) for ws in sockets] == [4401, 4401]

    def test_an_unlisted_origin_or_a_revoked_token_is_refused_with_403(self, server):
        ada = ApiPerson(server, "ada")
        options = {"timeout": 30, "subprotocols": [TOKEN_PROTOCOL, ada.token]}
        with pytest.raises(websocket.WebSocketBadStatusException) as caught:
            websocket.create_connection(
                f"{server.ws_url}/ws/inbox", origin="http://127.0.0.1:9", **options
            )
        assert caught.value.status_code == 403
        assert ada.http.delete("/api/auth/token").status_code == 204
        with pytest.raises(websocket.WebSocketBadStatusException) as caught:
            websocket.create_connection(f"{server.ws_url}/ws/inbox", origin=FRONTEND, **options)
        assert caught.value.status_code == 403

    def test_a_session_cookie_from_a_listed_origin_is_refused(self, server):
        browser = Browser(server).signup(unique("ada"))
        with pytest.raises(websocket.WebSocketBadStatusException) as caught:
            websocket.create_connection(
                f"{server.ws_url}/ws/inbox",
                timeout=30,
                origin=FRONTEND,
                cookie=browser.session_cookie_header(),
            )
        assert caught.value.status_code == 403
