"""
Clients of the live protocol for end-to-end tests: a person with an API token, and reading a
socket frame by frame (items, control frames, the close code).
"""

from __future__ import annotations

import json
import time

import httpx
import websocket

from tests.live import PASSWORD, LiveServer, unique


class ApiPerson:
    """Someone using the API with a token, as the CLI does."""

    def __init__(self, server: LiveServer, name: str):
        self.server = server
        self.username = unique(name)
        self.http = httpx.Client(base_url=server.url, timeout=30)
        response = self.http.post(
            "/api/auth/signup", json={"username": self.username, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        self.token = response.json()["token"]
        self.http.headers["Authorization"] = f"Token {self.token}"

    def on(self, server: LiveServer) -> ApiPerson:
        """The same person and token, talking to another process of the same site."""
        self.server = server
        self.http.base_url = server.url
        return self

    def socket(self, path: str, timeout: float = 30) -> websocket.WebSocket:
        # No Origin header at all, as command-line clients often do.
        return websocket.create_connection(
            f"{self.server.ws_url}{path}",
            timeout=timeout,
            header=[f"Authorization: Token {self.token}"],
            suppress_origin=True,
        )

    def post(self, text: str) -> dict:
        response = self.http.post("/api/posts", json={"text": text})
        assert response.status_code == 201, response.text
        return response.json()

    def message(self, to: str, text: str) -> dict:
        response = self.http.post(f"/api/messages/{to}", json={"text": text})
        assert response.status_code == 201, response.text
        return response.json()


def frame(ws: websocket.WebSocket, wait: float = 60) -> dict | int:
    """The next frame: a JSON object, or the close code if the server closed the socket.

    Daphne's pings are answered and count as nothing: if no data or close frame comes within
    `wait` seconds, this fails instead of waiting for ever. A close frame is read, not answered:
    the server may already have dropped the connection, and answering would raise then."""
    deadline = time.monotonic() + wait
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"nothing arrived on the socket within {wait:.0f} s"
        ws.settimeout(remaining)
        got = ws.recv_frame()
        if got.opcode == websocket.ABNF.OPCODE_PING:
            ws.pong(got.data)
            continue
        if got.opcode == websocket.ABNF.OPCODE_PONG:
            continue
        if got.opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(got.data[:2], "big") if len(got.data) >= 2 else 1005
        assert got.fin, "the server split a frame; these tests expect whole frames"
        return json.loads(got.data)


def next_item(ws: websocket.WebSocket) -> dict | int:
    """The next item (or close code), passing over control frames such as resync."""
    while True:
        got = frame(ws)
        if not isinstance(got, dict) or "type" not in got:
            return got
