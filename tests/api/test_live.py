"""End to end with a real daphne (production settings): the API and the websockets together."""

import json
import re

import httpx
import pytest
import websocket

from tests.live import Browser, feed_socket, receive_json, unique
from tests.live_clients import ApiPerson

pytestmark = pytest.mark.live


def refused(server, path, **options) -> int:
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(f"{server.ws_url}{path}", timeout=10, **options)
    return caught.value.status_code


class TestMessagesLive:
    def test_a_message_sent_over_the_api_arrives_on_the_recipients_token_socket(
        self, live_server
    ):
        ada, bob, eve = (ApiPerson(live_server, name) for name in ("ada", "bob", "eve"))
        sockets = {p.username: p.socket("/ws/inbox") for p in (ada, bob, eve)}
        try:
            response = ada.http.post(f"/api/messages/{bob.username}", json={"text": "hi bob"})
            assert response.status_code == 201
            message = response.json()
            assert receive_json(sockets[bob.username]) == message
            assert receive_json(sockets[ada.username]) == message  # the sender's other tabs
            # eve's first frame is her own message, sent after: she never got theirs.
            to_eve = ada.http.post(f"/api/messages/{eve.username}", json={"text": "hi eve"})
            assert receive_json(sockets[eve.username]) == to_eve.json()
            # and bob reads it back through the API
            body = bob.http.get(f"/api/messages/{ada.username}").json()
            assert [m["id"] for m in body["results"]] == [message["id"]]
        finally:
            for ws in sockets.values():
                ws.close()

    def test_a_browser_session_socket_from_the_site_gets_messages(self, live_server):
        ada = ApiPerson(live_server, "ada")
        browser = Browser(live_server).signup(unique("bob"))
        bob_name = browser.http.get("/api/me").json()["username"]
        ws = websocket.create_connection(
            f"{live_server.ws_url}/ws/inbox",
            timeout=10,
            origin=live_server.url,
            cookie=browser.session_cookie_header(),
        )
        try:
            sent = ada.http.post(f"/api/messages/{bob_name}", json={"text": "to the page"})
            assert receive_json(ws) == sent.json()
        finally:
            ws.close()

    def test_session_sockets_from_elsewhere_or_without_origin_are_refused(self, live_server):
        browser = Browser(live_server).signup(unique("bob"))
        cookie = browser.session_cookie_header()
        assert refused(live_server, "/ws/inbox", cookie=cookie, origin="http://evil.example") == 403
        assert refused(live_server, "/ws/inbox", cookie=cookie, suppress_origin=True) == 403

    def test_anonymous_and_bad_token_inbox_sockets_are_refused(self, live_server):
        assert refused(live_server, "/ws/inbox", origin=live_server.url) == 403
        bad = ["Authorization: Token 0000000000000000000000000000000000000000"]
        assert refused(live_server, "/ws/inbox", header=bad, suppress_origin=True) == 403

    def test_a_revoked_token_no_longer_opens_a_socket(self, live_server):
        ada = ApiPerson(live_server, "ada")
        assert ada.http.delete("/api/auth/token").status_code == 204
        header = [f"Authorization: Token {ada.token}"]
        assert refused(live_server, "/ws/inbox", header=header, suppress_origin=True) == 403


class TestPostsLive:
    def test_a_post_over_the_api_arrives_on_the_feed(self, live_server):
        ada = ApiPerson(live_server, "ada")
        token_socket = ada.socket("/ws/feed")
        browser_socket = feed_socket(live_server)
        try:
            response = ada.http.post("/api/posts", json={"text": "hello from the API"})
            assert response.status_code == 201
            post = response.json()
            assert receive_json(token_socket) == post
            assert receive_json(browser_socket) == post
            newest = ada.http.get("/api/posts?page_size=1").json()["results"]
            assert newest == [post]
        finally:
            token_socket.close()
            browser_socket.close()


class TestDocs:
    def test_the_schema_is_served_in_production(self, live_server):
        response = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=10)
        assert response.status_code == 200
        schema = json.loads(response.text)
        assert schema["openapi"].startswith("3.")
        assert {"/api/messages/{username}", "/api/posts", "/api/auth/token"} <= set(
            schema["paths"]
        )

    def test_the_docs_page_loads_every_asset_from_the_site_itself(self, live_server):
        page = httpx.get(f"{live_server.url}/api/docs/", timeout=10)
        assert page.status_code == 200
        # Swagger UI's files (data-css, data-bundle, …) load when asked; its start-up script
        # comes from the docs view itself (no inline script).
        assets = re.findall(r'(?:src|data-[a-z]+)="(/[^"]*)"', page.text)
        assets += re.findall(r'<link [^>]*href="([^"]+)"', page.text)
        assert "/api/docs/?script=" in assets
        assert any(a.endswith(".js") for a in assets)
        for asset in assets:
            ours = asset.startswith("/static/") or asset.startswith("/api/docs/?")
            assert ours, f"{asset} is not served by the site"
            assert httpx.get(f"{live_server.url}{asset}", timeout=10).status_code == 200, asset
        assert "cdn" not in page.text.lower()


@pytest.mark.redis
class TestAcrossProcesses:
    def test_a_message_sent_to_one_daphne_reaches_a_socket_on_another_through_redis(
        self, make_live_server, redis_url, channel_prefix
    ):
        a = make_live_server(redis_url=redis_url, CHANNEL_LAYER_PREFIX=channel_prefix)
        b = make_live_server(redis_url=redis_url, CHANNEL_LAYER_PREFIX=channel_prefix)
        ada, bob, eve = ApiPerson(a, "ada"), ApiPerson(b, "bob"), ApiPerson(b, "eve")
        bob_socket, eve_socket = bob.socket("/ws/inbox"), eve.socket("/ws/inbox")
        try:
            sent = ada.http.post(f"/api/messages/{bob.username}", json={"text": "via redis"})
            assert sent.status_code == 201
            assert receive_json(bob_socket) == sent.json()
            to_eve = ada.http.post(f"/api/messages/{eve.username}", json={"text": "yours"})
            assert receive_json(eve_socket) == to_eve.json()  # and nothing of bob's before it
        finally:
            bob_socket.close()
            eve_socket.close()
