"""
Retries create no duplicates: POST /api/posts and POST /api/messages/<user> with the same
Idempotency-Key return the first answer; the same key with another body is a 422; `retro post`
and `retro message` send a key and reuse it when they retry a broken connection.
"""

from __future__ import annotations

import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from api.models import IdempotentRequest
from messaging.models import Message
from posts.models import Post
from tests.live import PASSWORD, LiveDatabase, LiveServer, free_port, unique

KEY = "Idempotency-Key"


def post(client, path, text, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, {"text": text}, format="json", **headers)


@pytest.mark.django_db
class TestIdempotencyKey:
    @pytest.mark.parametrize("path", ["/api/posts", "/api/messages/bob"])
    def test_the_same_request_twice_is_done_once_and_answered_alike(self, api, ada, bob, path):
        key = str(uuid.uuid4())
        first = post(api(ada), path, "only once", key)
        again = post(api(ada), path, "only once", key)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again["Idempotent-Replayed"] == "true"
        assert Post.objects.count() + Message.objects.count() == 1

    @pytest.mark.parametrize("path", ["/api/posts", "/api/messages/bob"])
    def test_the_same_key_with_another_body_is_a_422(self, api, ada, bob, path):
        key = str(uuid.uuid4())
        assert post(api(ada), path, "the first", key).status_code == 201
        response = post(api(ada), path, "something else", key)
        assert response.status_code == 422
        assert response.json() == {
            "code": "key_reused",
            "detail": "This Idempotency-Key was already used with a different request.",
        }
        assert Post.objects.count() + Message.objects.count() == 1

    def test_the_same_key_on_another_path_is_a_422(self, api, ada, bob):
        key = str(uuid.uuid4())
        assert post(api(ada), "/api/posts", "hello", key).status_code == 201
        assert post(api(ada), "/api/messages/bob", "hello", key).status_code == 422
        assert not Message.objects.exists()

    def test_keys_belong_to_their_user(self, api, ada, bob):
        key = str(uuid.uuid4())
        assert post(api(ada), "/api/posts", "same words", key).status_code == 201
        assert post(api(bob), "/api/posts", "same words", key).status_code == 201
        assert sorted(Post.objects.values_list("author__username", flat=True)) == ["ada", "bob"]

    def test_without_a_key_each_request_is_done(self, api, ada):
        assert post(api(ada), "/api/posts", "twice").status_code == 201
        assert post(api(ada), "/api/posts", "twice").status_code == 201
        assert Post.objects.count() == 2

    def test_a_refused_request_keeps_nothing_and_can_be_fixed(self, api, ada):
        key = str(uuid.uuid4())
        assert post(api(ada), "/api/posts", "   ", key).status_code == 400
        assert post(api(ada), "/api/posts", "fixed", key).status_code == 201
        assert list(Post.objects.values_list("text", flat=True)) == ["fixed"]

    def test_a_key_is_kept_for_a_day(self, api, ada):
        key = str(uuid.uuid4())
        assert post(api(ada), "/api/posts", "yesterday", key).status_code == 201
        IdempotentRequest.objects.update(created=IdempotentRequest.objects.get().created
                                         - timedelta(hours=25))
        assert post(api(ada), "/api/posts", "yesterday", key).status_code == 201
        assert Post.objects.count() == 2

    @pytest.mark.parametrize("key", ["", "with space", "x" * 256, "caf\u00e9"])
    def test_a_malformed_key_is_a_400(self, api, ada, key):
        client = api(ada)
        response = client.post(
            "/api/posts", {"text": "hello"}, format="json",
            headers={KEY: key.encode("utf-8").decode("latin-1")},
        )
        assert response.status_code == 400
        assert KEY in response.json()["fields"]
        assert not Post.objects.exists()


@pytest.mark.live
@pytest.mark.postgres
def test_the_same_request_sent_at_once_from_many_connections_is_done_once(postgres_url):
    database = LiveDatabase(postgres_url)
    server = LiveServer(database).start()
    try:
        signup = httpx.post(
            f"{server.url}/api/auth/signup",
            json={"username": unique("ada"), "password": PASSWORD},
            timeout=30,
        )
        headers = {"Authorization": f"Token {signup.json()['token']}", KEY: str(uuid.uuid4())}

        def send(_):
            return httpx.post(
                f"{server.url}/api/posts", json={"text": "raced"}, headers=headers, timeout=60
            )

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(send, range(8)))
        assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        feed = httpx.get(f"{server.url}/api/posts", timeout=30).json()["results"]
        assert [p["text"] for p in feed] == ["raced"]
    finally:
        server.stop()
        database.drop()


class DroppingProxy:
    """A TCP proxy in front of a live server that forwards each request and its answer, except
    the first answer to `POST <path>`: that one it swallows, closing the client's connection
    as a network failure would after the server has done the work."""

    def __init__(self, upstream_port: int, path: str):
        self.upstream_port = upstream_port
        self.request_line = f"POST {path} ".encode()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dropped = 0
        self.keys: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.5)
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            with client:
                client.settimeout(30)
                self.handle(client)

    def handle(self, client: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in lines
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += client.recv(65536)
        for line in lines:
            if line.lower().startswith(b"idempotency-key:"):
                self.keys.append(line.split(b":", 1)[1].strip().decode())
        lines = [line for line in lines if not line.lower().startswith(b"connection:")]
        request = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30) as up:
            up.sendall(request)
            answer = b""
            while chunk := up.recv(65536):
                answer += chunk
        if lines[0].startswith(self.request_line) and not self.dropped:
            self.dropped += 1
            return  # the work is done, the answer lost
        client.sendall(answer)

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.mark.live
@pytest.mark.parametrize("command", ["post", "message"])
def test_retro_retries_a_lost_answer_with_the_same_key(live_server, retro_for, command):
    path = "/api/posts" if command == "post" else None
    friend = unique("friend")
    if command == "message":
        response = httpx.post(
            f"{live_server.url}/api/auth/signup",
            json={"username": friend, "password": PASSWORD}, timeout=30,
        )
        assert response.status_code == 201
        path = f"/api/messages/{friend}"
    proxy = DroppingProxy(live_server.port, path)
    try:
        retro = retro_for(proxy.url)
        retro.signup(unique("ada"))
        text = f"sent once {uuid.uuid4().hex[:6]}"
        args = ("post", text) if command == "post" else ("message", friend, text)
        run = retro(*args, "--json")
        assert run.returncode == 0, str(run)
        assert proxy.dropped == 1
        assert len(proxy.keys) == 2 and proxy.keys[0] == proxy.keys[1], proxy.keys
        uuid.UUID(proxy.keys[0])
        sent = run.json()
        assert sent["text"] == text
        if command == "post":
            feed = httpx.get(f"{live_server.url}/api/posts?page_size=200", timeout=30).json()
            assert [p["id"] for p in feed["results"] if p["text"] == text] == [sent["id"]]
        else:
            conversation = retro("conversation", friend, "--json")
            assert [m["id"] for m in conversation.json() if m["text"] == text] == [sent["id"]]
        # The next invocation sends a key of its own.
        assert retro(*args[:-1], text + " again").returncode == 0
        assert len(set(proxy.keys)) == 2
    finally:
        proxy.close()
