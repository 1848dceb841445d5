"""
The live streams `retro tail` follows: the public feed and the inbox, each a websocket (/ws/feed,
/ws/inbox) kept open by a thread of its own, following the live protocol of the README ("Live
delivery"). When the connection drops (or the server closes it with 4000), the thread says so
and reconnects with exponential backoff and full jitter. Every (re)connect says what was shown
(?after=ID): the server sends what came after, then `{"type": "live"}`, or says resync. On
every `{"type": "resync"}` frame, when an item's id jumps past the next one, and when the server
answers ?after= with neither within ANSWER_TIMEOUT (an older server), it fetches through the
API what it missed (the items after the last id it has shown), so every item comes once. A
close with 4401 (token revoked, password changed) ends the stream with an error.

Once started, a stream prints nothing: it puts ("item" | "status" | "fatal", kind, payload)
on a queue that the command's main thread reads.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from cli import api
from cli.errors import CLIError, ExitCode, connection_failure

if TYPE_CHECKING:
    import queue

BACKOFF_FIRST = 0.5  # seconds before the first reconnection attempt
BACKOFF_MAX = 10.0
CONNECT_TIMEOUT = 10.0
ANSWER_TIMEOUT = 3.0  # seconds for the server to answer ?after= with live or resync
# Daphne pings every 20 s, so a minute of silence means the connection is dead.
IDLE_TIMEOUT = 60.0
CLOSE_CREDENTIALS = 4401  # the server ended the socket because its credentials ended


class Lost(Exception):
    """The socket was lost (dropped, timed out, or closed by the server): why, in words."""


class Quiet(Exception):
    """Nothing arrived within the wait asked for; the socket stays open."""


class LiveSocket:
    """One websocket: opened, read a frame at a time, closed; every failure said in words."""

    def __init__(self, url: str):
        self.url = url
        self.ws = None

    @property
    def is_open(self) -> bool:
        return self.ws is not None

    def open(self, headers: list[str], after: int) -> None:
        """Connect, saying that every item up to `after` was shown; a refusal or an unreachable
        server is a CLIError."""
        import websocket

        try:
            ws = websocket.create_connection(
                f"{self.url}?after={after}", timeout=CONNECT_TIMEOUT, header=headers
            )
        except websocket.WebSocketBadStatusException as error:
            raise self._refused(error.status_code) from None
        except (OSError, websocket.WebSocketException) as error:
            raise CLIError(
                f"cannot reach the server at {self.url}: {connection_failure(error)}",
                ExitCode.UNREACHABLE,
            ) from None
        ws.settimeout(IDLE_TIMEOUT)
        self.ws = ws

    def receive(self, wait: float | None = None) -> bytes:
        """The next data frame. Raises Lost when the connection ends (the socket is then
        closed), CLIError when the server ended it because the credentials ended, and, given
        `wait`, Quiet when nothing came within that many seconds."""
        import websocket

        try:
            self.ws.settimeout(wait or IDLE_TIMEOUT)
            opcode, data = self.ws.recv_data()
        except websocket.WebSocketTimeoutException:
            if wait:
                raise Quiet() from None
            self.close()
            raise Lost(f"no word from the server in {IDLE_TIMEOUT:.0f} s") from None
        except (OSError, websocket.WebSocketException) as error:
            self.close()
            raise Lost(connection_failure(error)) from None
        if opcode != websocket.ABNF.OPCODE_CLOSE:
            return data
        self.close()
        code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
        if code == CLOSE_CREDENTIALS:
            raise CLIError(
                f"{self.url} was closed because its credentials ended",
                ExitCode.AUTH,
                hint="the token was revoked or the password changed: run retro login",
            )
        raise Lost(f"the server closed it ({code})" if code else "the server closed it")

    def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.shutdown()

    def _refused(self, status: int) -> CLIError:
        if status in (401, 403):
            return CLIError(
                f"{self.url} refused the connection (HTTP {status})",
                ExitCode.AUTH,
                hint="the token may be revoked or expired: run retro login USERNAME",
            )
        if status == 404:
            return CLIError(f"{self.url} does not exist (HTTP 404)", ExitCode.NOT_FOUND)
        return CLIError(f"{self.url} refused the connection (HTTP {status})", ExitCode.UNREACHABLE)


class Shown:
    """Which items a stream has shown: their ids, the highest, and the id up to which every
    item is known to be shown (past it, a catch-up fetches what may be missing)."""

    def __init__(self) -> None:
        self.last_id = 0
        self.confirmed = 0
        self.ids: set[int] = set()

    def add(self, item_id: int) -> bool:
        """Note `item_id` as shown; False when it was already."""
        if item_id in self.ids:
            return False
        self.ids.add(item_id)
        if self.confirmed == self.last_id and item_id == self.last_id + 1:
            self.confirmed = item_id
        self.last_id = max(self.last_id, item_id)
        return True

    def starting_at(self, newest: int) -> None:
        """Everything up to `newest` counts as shown (what came before the stream started)."""
        self.confirmed = self.last_id = newest

    def is_gap_before(self, item_id: int) -> bool:
        return item_id > self.last_id + 1

    def count_after(self, item_id: int) -> int:
        return sum(1 for shown in self.ids if shown > item_id)


class Stream:
    """One live websocket and the API calls that fill the gaps around it."""

    kind = ""
    path = ""

    def __init__(self, client, events: queue.Queue, stopping: threading.Event):
        self.client = client
        self.events = events
        self.stopping = stopping
        self.ws_url = api.socket_url(client.server, self.path)
        self.socket = LiveSocket(self.ws_url)
        self.shown = Shown()
        self.thread = threading.Thread(target=self._run, name=f"tail-{self.kind}", daemon=True)

    # --- what differs between the feed and the inbox ------------------------------------------

    def latest(self, count: int) -> list[dict]:
        """The `count` newest items, oldest first (and count as shown the newest there is)."""
        raise NotImplementedError

    def missed(self, after: int) -> list[dict]:
        """The items newer than `after`, oldest first."""
        raise NotImplementedError

    def headers(self) -> list[str]:
        return []

    # --- the connection --------------------------------------------------------------------------

    def start(self, show_last: int, retry: bool = False) -> None:
        """Connect for the first time, in the caller's thread: a failure here is a CLIError
        (with `retry`, an unreachable server is waited for instead)."""
        import random

        delay = BACKOFF_FIRST
        while True:
            try:
                for item in self.latest(show_last):
                    self._emit(item)
                self._connect()
                break
            except CLIError as error:
                if not retry or error.code != ExitCode.UNREACHABLE:
                    raise
                from cli import output

                delay = min(delay * 2, BACKOFF_MAX)
                output.status(f"{error.message}; waiting for the server…", "yellow")
                if self.stopping.wait(random.uniform(0, delay)):
                    return
        self.thread.start()

    def _connect(self) -> None:
        """Open the socket saying what was shown; then take what the server sends first: what
        came after, up to live, or a resync (which fetches it through the API, as does no
        answer at all within ANSWER_TIMEOUT)."""
        import time

        self.socket.open(self.headers(), self.shown.confirmed)
        deadline = time.monotonic() + ANSWER_TIMEOUT
        try:
            while True:
                try:
                    data = self.socket.receive(wait=max(0.01, deadline - time.monotonic()))
                except Quiet:
                    self._catch_up()
                    return
                if self._frame(data) in ("live", "resync"):
                    return
        except Lost:
            return  # closed meanwhile: the thread reconnects
        except BaseException:
            self.close()
            raise

    def _catch_up(self) -> None:
        """Fetch and show everything after `confirmed`; then everything up to here is shown."""
        after, before = self.shown.confirmed, self.shown.last_id
        items = self.missed(after)
        for item in items:
            self._emit(item)
        self.shown.confirmed = max(after, before, *(item["id"] for item in items))

    def close(self) -> None:
        """Close the socket, if open (the thread then reconnects unless it is stopping)."""
        self.socket.close()

    def _emit(self, item: dict) -> None:
        item_id = item.get("id")
        if isinstance(item_id, int) and self.shown.add(item_id):
            self.events.put(("item", self.kind, item))

    def _status(self, message: str) -> None:
        self.events.put(("status", self.kind, message))

    # --- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stopping.is_set():
            if not self.socket.is_open and not self._reconnect():
                return
            try:
                data = self.socket.receive()
            except Lost as lost:
                if not self.stopping.is_set():
                    self._status(f"Connection to {self.ws_url} lost ({lost}); reconnecting…")
                continue
            except CLIError as ended:
                self.events.put(("fatal", self.kind, ended))
                return
            try:
                self._frame(data)
            except CLIError as error:  # a catch-up failed: reconnect, which catches up again
                self.close()
                self._status(f"Catching up failed ({error.message}); reconnecting…")

    def _frame(self, data: bytes) -> str | None:
        """One frame: an item to show, a resync to obey, live to note, or something to ignore.
        Returns the control frame's type ("resync", "live"), if it was one."""
        import json

        try:
            item = json.loads(data)
        except ValueError:
            return None  # not one of ours; the socket carries JSON objects only
        if not isinstance(item, dict):
            return None
        if item.get("type") == "resync":
            self._catch_up()
            return "resync"
        if item.get("type") == "live":  # everything after ?after= was sent
            self.shown.confirmed = self.shown.last_id
            return "live"
        if "type" in item or not isinstance(item.get("id"), int):
            return None  # a control frame this version does not know
        if self.shown.is_gap_before(item["id"]):  # fetch what came before it first
            self._catch_up()
        self._emit(item)
        return None

    def _reconnect(self) -> bool:
        """Try until connected (True) or stopped or refused for good (False). Waits are random
        up to a ceiling that doubles (full jitter): clients cut at once come back spread out."""
        import random

        delay = BACKOFF_FIRST
        while not self.stopping.wait(random.uniform(0, delay)):
            before = self.shown.last_id
            try:
                self._connect()
            except CLIError as error:
                if error.code in (ExitCode.AUTH, ExitCode.NOT_FOUND):
                    self.events.put(("fatal", self.kind, error))
                    return False
                delay = min(delay * 2, BACKOFF_MAX)
                self._status(f"Still cannot connect ({error.message}); trying again.")
                continue
            caught_up = self.shown.count_after(before)
            self._status(
                f"Reconnected to {self.ws_url}; fetched {caught_up} missed {self.kind}(s)."
            )
            return True
        return False


class FeedStream(Stream):
    kind = "post"
    path = api.FEED_SOCKET

    def latest(self, count: int) -> list[dict]:
        newest = api.newest_posts(self.client, count)
        if newest:
            self.shown.starting_at(max(post["id"] for post in newest))
        return list(reversed(newest[:count]))

    def missed(self, after: int) -> list[dict]:
        return api.posts_after(self.client, after)


class InboxStream(Stream):
    kind = "message"
    path = api.INBOX_SOCKET

    def headers(self) -> list[str]:
        return api.socket_headers(self.client)

    def latest(self, count: int) -> list[dict]:
        newest = api.newest_inbox(self.client)
        self.shown.starting_at(max((message["id"] for message in newest), default=0))
        return []

    def missed(self, after: int) -> list[dict]:
        # The inbox marks nothing read: showing them here does not mean they were read.
        return api.inbox_after(self.client, after)
