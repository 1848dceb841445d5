"""End to end: real daphne processes, real websocket clients, posts made through the page."""

import pytest
import websocket

from tests.live import Browser, feed_socket, receive_json, unique

pytestmark = pytest.mark.live


class TestLiveFeed:
    def test_two_clients_both_receive_a_post_made_through_the_page(self, live_server):
        first, second = feed_socket(live_server), feed_socket(live_server)
        try:
            author = unique("ada")
            response = Browser(live_server).signup(author).post("hello, live world")
            assert response.status_code == 302
            for ws in (first, second):
                post = receive_json(ws)
                assert post["author"] == author
                assert post["text"] == "hello, live world"
                assert isinstance(post["id"], int)
                assert post["created"].endswith("+00:00")
        finally:
            first.close()
            second.close()

    def test_a_refused_post_is_not_broadcast(self, live_server):
        ws = feed_socket(live_server)
        try:
            browser = Browser(live_server).signup(unique("ada"))
            assert browser.post("   ").status_code == 200
            assert browser.post("the next one").status_code == 302
            assert receive_json(ws)["text"] == "the next one"  # and nothing before it
        finally:
            ws.close()

    def test_a_foreign_origin_is_refused(self, live_server):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(
                f"{live_server.ws_url}/ws/feed", timeout=5, origin="http://evil.example"
            )
        assert refused.value.status_code == 403

    def test_the_page_catches_up_through_posts_since(self, live_server):
        browser = Browser(live_server).signup(unique("ada"))
        browser.post("first")
        newest = browser.http.get("/posts/since?after=0").json()["posts"][-1]
        browser.post("missed while away")
        missed = browser.http.get(f"/posts/since?after={newest['id']}").json()
        assert [post["text"] for post in missed["posts"]] == ["missed while away"]


@pytest.mark.redis
class TestRedisFanOut:
    def test_a_post_made_on_process_a_reaches_a_client_of_process_b(
        self, make_live_server, redis_url, channel_prefix
    ):
        a = make_live_server(redis_url=redis_url, CHANNEL_LAYER_PREFIX=channel_prefix)
        b = make_live_server(redis_url=redis_url, CHANNEL_LAYER_PREFIX=channel_prefix)
        listener = feed_socket(b)
        try:
            author = unique("ada")
            assert Browser(a).signup(author).post("across processes").status_code == 302
            post = receive_json(listener)
            assert (post["author"], post["text"]) == (author, "across processes")
        finally:
            listener.close()

    def test_processes_with_the_memory_layer_do_not_share(self, make_live_server):
        a, b = make_live_server(), make_live_server()
        listener = feed_socket(b)
        try:
            assert Browser(a).signup(unique("ada")).post("stays on a").status_code == 302
            assert Browser(b).signup(unique("bob")).post("made on b").status_code == 302
            assert receive_json(listener)["text"] == "made on b"  # and nothing from a before it
        finally:
            listener.close()
