"""
`retro tail`: follow the public feed (and with --messages, your direct messages) live.

Each stream is a websocket (/ws/feed, /ws/inbox) kept open by a thread of its own, following
the live protocol of the README ("Live delivery"). When the connection drops (or the server
closes it with 4000), the thread says so on standard error and reconnects with exponential
backoff and full jitter; after every (re)connect, on every `{"type": "resync"}` frame and when
an item's id jumps past the next one, it fetches through the API what it missed (the items
after the last id it has shown), so the output has every item exactly once. A close with 4401
(token revoked, password changed) ends tail with an error. The main thread does all the
printing (cli/output.py's `live_item`). Ctrl-C stops with status 0.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

import typer

from cli import api
from cli.errors import CLIError, ExitCode, connection_failure
from cli.output import examples

if TYPE_CHECKING:
    import queue

BACKOFF_FIRST = 0.5  # seconds before the first reconnection attempt
BACKOFF_MAX = 10.0
CONNECT_TIMEOUT = 10.0
# Daphne pings every 20 s, so a minute of silence means the connection is dead.
IDLE_TIMEOUT = 60.0
CLOSE_CREDENTIALS = 4401  # the server ended the socket because its credentials ended


app = typer.Typer()


class Stream:
    """One live websocket and the API calls that fill the gaps around it."""

    kind = ""
    path = ""

    def __init__(self, client, events: queue.Queue, stopping: threading.Event):
        self.client = client
        self.events = events
        self.stopping = stopping
        self.ws_url = api.socket_url(client.server, self.path)
        self.last_id = 0  # the highest id shown
        self.confirmed = 0  # every item up to this id has been shown
        self.seen: set[int] = set()
        self.ws = None
        self.thread = threading.Thread(target=self._run, name=f"tail-{self.kind}", daemon=True)

    # --- what differs between the feed and the inbox ------------------------------------------

    def latest(self, count: int) -> list[dict]:
        """The `count` newest items, oldest first (and set `confirmed` to the newest there is)."""
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
        """Open the socket, then fetch what was posted since `last_id`."""
        import websocket

        try:
            ws = websocket.create_connection(
                self.ws_url, timeout=CONNECT_TIMEOUT, header=self.headers()
            )
        except websocket.WebSocketBadStatusException as error:
            raise self._refused(error.status_code) from None
        except (OSError, websocket.WebSocketException) as error:
            raise CLIError(
                f"cannot reach the server at {self.ws_url}: {connection_failure(error)}",
                ExitCode.UNREACHABLE,
            ) from None
        ws.settimeout(IDLE_TIMEOUT)
        self.ws = ws
        try:
            self._catch_up()
        except BaseException:
            self.close()
            raise

    def _catch_up(self) -> None:
        """Fetch and show everything after `confirmed`; then everything up to here is shown."""
        after, before = self.confirmed, self.last_id
        items = self.missed(after)
        for item in items:
            self._emit(item)
        self.confirmed = max(after, before, *(item["id"] for item in items))

    def _refused(self, status: int) -> CLIError:
        if status in (401, 403):
            return CLIError(
                f"{self.ws_url} refused the connection (HTTP {status})",
                ExitCode.AUTH,
                hint="the token may be revoked or expired: run retro login USERNAME",
            )
        if status == 404:
            return CLIError(f"{self.ws_url} does not exist (HTTP 404)", ExitCode.NOT_FOUND)
        return CLIError(
            f"{self.ws_url} refused the connection (HTTP {status})", ExitCode.UNREACHABLE
        )

    def close(self) -> None:
        """Close the socket, if open (the thread then reconnects unless it is stopping)."""
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.shutdown()

    def _emit(self, item: dict) -> None:
        item_id = item.get("id")
        if not isinstance(item_id, int) or item_id in self.seen:
            return
        self.seen.add(item_id)
        if self.confirmed == self.last_id and item_id == self.last_id + 1:
            self.confirmed = item_id
        self.last_id = max(self.last_id, item_id)
        self.events.put(("item", self.kind, item))

    def _status(self, message: str) -> None:
        self.events.put(("status", self.kind, message))

    # --- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        import websocket

        while not self.stopping.is_set():
            if self.ws is None and not self._reconnect():
                return
            try:
                opcode, data = self.ws.recv_data()
            except websocket.WebSocketTimeoutException:
                opcode, reason = None, f"no word from the server in {IDLE_TIMEOUT:.0f} s"
            except (OSError, websocket.WebSocketException) as error:
                opcode, reason = None, connection_failure(error)
            else:
                reason = "the server closed it"
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                if code == CLOSE_CREDENTIALS:
                    self.close()
                    ended = CLIError(
                        f"{self.ws_url} was closed because its credentials ended",
                        ExitCode.AUTH,
                        hint="the token was revoked or the password changed: run retro login",
                    )
                    self.events.put(("fatal", self.kind, ended))
                    return
                reason = f"the server closed it ({code})" if code else reason
                opcode = None
            if opcode is None:
                self.close()
                if not self.stopping.is_set():
                    self._status(f"Connection to {self.ws_url} lost ({reason}); reconnecting…")
                continue
            try:
                self._frame(data)
            except CLIError as error:  # a catch-up failed: reconnect, which catches up again
                self.close()
                self._status(f"Catching up failed ({error.message}); reconnecting…")

    def _frame(self, data: bytes) -> None:
        """One frame: an item to show, a resync to obey, or something to ignore."""
        import json

        try:
            item = json.loads(data)
        except ValueError:
            return  # not one of ours; the socket carries JSON objects only
        if not isinstance(item, dict):
            return
        if item.get("type") == "resync":
            self._catch_up()
            return
        if "type" in item or not isinstance(item.get("id"), int):
            return  # a control frame this version does not know
        if item["id"] > self.last_id + 1:  # a gap: fetch what came before it first
            self._catch_up()
        self._emit(item)

    def _reconnect(self) -> bool:
        """Try until connected (True) or stopped or refused for good (False). Waits are random
        up to a ceiling that doubles (full jitter): clients cut at once come back spread out."""
        import random

        delay = BACKOFF_FIRST
        while not self.stopping.wait(random.uniform(0, delay)):
            before = self.last_id
            try:
                self._connect()
            except CLIError as error:
                if error.code in (ExitCode.AUTH, ExitCode.NOT_FOUND):
                    self.events.put(("fatal", self.kind, error))
                    return False
                delay = min(delay * 2, BACKOFF_MAX)
                self._status(f"Still cannot connect ({error.message}); trying again.")
                continue
            caught_up = sum(1 for item_id in self.seen if item_id > before)
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
            self.confirmed = self.last_id = max(post["id"] for post in newest)
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
        self.confirmed = self.last_id = max((message["id"] for message in newest), default=0)
        return []

    def missed(self, after: int) -> list[dict]:
        # The inbox marks nothing read: showing them here does not mean they were read.
        return api.inbox_after(self.client, after)


@app.command(
    epilog=examples(
        "retro tail",
        "retro tail --last 10 --messages",
        "retro tail --retry",
        "retro tail --json | jq -r .text",
    )
)
def tail(
    ctx: typer.Context,
    json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line (JSON Lines) for each item.")
    ] = False,
    messages: Annotated[
        bool,
        typer.Option(
            "--messages", "-m", help="Also your direct messages, sent and received (log in first)."
        ),
    ] = False,
    last: Annotated[
        int,
        typer.Option(
            "--last", "-n", min=0, max=api.PAGE_LIMIT, help="First show the N latest posts."
        ),
    ] = 0,
    retry: Annotated[
        bool,
        typer.Option(
            "--retry",
            help="If the server is down when tail starts, wait for it instead of exiting "
            "(without --retry tail exits with an error; once connected it always reconnects).",
        ),
    ] = False,
) -> None:
    """Follow the feed live: print each new post as it arrives, until Ctrl-C.

    If the connection drops, tail says so on standard error, reconnects, and fetches what it
    missed, so every post is printed exactly once. A server that is down when tail starts is
    an error unless --retry is given: then tail waits for it. With --json, a post is a line
    with "author"; a message (--messages) is a line with "sender" and "recipient".
    """
    import queue

    from cli import output
    from cli.client import Client

    events: queue.Queue = queue.Queue()
    stopping = threading.Event()
    streams: list[Stream] = []
    try:
        server = ctx.obj.get("server")
        streams.append(FeedStream(Client.for_server(server), events, stopping))
        if messages:
            streams.append(InboxStream(Client.for_server(server, login=True), events, stopping))
        for stream in streams:
            stream.start(last if stream.kind == "post" else 0, retry=retry)
        output.status(
            f"Following {' and '.join(s.ws_url for s in streams)} (Ctrl-C to stop).", "dim"
        )
        while True:
            event, kind, payload = events.get()
            if event == "item":
                output.live_item(kind, payload, as_json=json)
            elif event == "status":
                output.status(payload, "yellow")
            else:  # fatal
                raise payload
    except KeyboardInterrupt:
        output.status("Stopped.")
    except BrokenPipeError:  # e.g. `retro tail | head -3`
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        stopping.set()
        for stream in streams:
            stream.close()
            stream.client.close()
