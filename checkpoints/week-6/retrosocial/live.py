"""
Live delivery: how a saved post or message reaches every open socket, fast and without loss.

One hub per daphne process holds that process's sockets by topic ("feed", "inbox.<user id>").
An item is encoded to its JSON frame once, where it is published, and the hub writes that
same frame to each local socket: no channel-layer message, queue or dispatch per socket.

- Without REDIS_URL (runserver on your own machine) the hub is the whole story: `publish`
  hands the frame to the hub of this process.
- With REDIS_URL every process subscribes once to one Redis pub/sub channel; `publish` puts the
  frame on a small queue that a background thread sends to Redis, so a request never waits on
  Redis. A failed send, or a subscription that was cut or went silent, makes the hub send
  `{"type": "resync"}` to its sockets (and, once Redis answers again, to every process's): the
  clients then fetch what they missed through the API.
- A socket whose client reads too slowly is closed with 4000 (catch up and reconnect) instead
  of holding a growing buffer; one whose credentials ended is closed with 4401.
- A client that comes back says what it has: /ws/feed?after=ID. The hub remembers the recent
  items of the topics that were asked for, so it sends what came after ID itself, then
  `{"type": "live"}`; when it cannot be sure it has them all, it sends `{"type": "resync"}`
  instead. A thousand feed pages back from a restart then cost no API request at all.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import logging
import queue
import threading
import time
from collections import deque
from urllib.parse import parse_qs

from autobahn.websocket.protocol import PreparedMessage
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

logger = logging.getLogger(__name__)

RESYNC = json.dumps({"type": "resync"})
LIVE = json.dumps({"type": "live"})  # what you missed was sent: from here on, it is live
CHUNK = 100  # sockets written to before the loop may run other work (a request waiting on it)
RECENT = 500  # items of a topic the hub keeps for sockets that come back with ?after=ID
CLOSE_BEHIND = 4000  # the client fell too far behind: catch up, and reconnect
CLOSE_CREDENTIALS = 4401  # the token was revoked or the session ended: do not come back with it
PUBLISH_QUEUE = 10_000  # items waiting for Redis; beyond that they are dropped and resynced
PUBLISH_TIMEOUT = 0.5  # seconds a send to Redis may take before it counts as failed
SILENCE = 10.0  # seconds without a word from Redis (not even a PONG) before it counts as lost


def credential(kind: str, secret: str) -> str:
    """The topic that ends the sockets opened with one token or session, e.g. on log out."""
    return f"end.{kind}." + hashlib.sha256(secret.encode()).hexdigest()[:32]


def user_topic(user_id: int) -> str:
    return f"end.user.{user_id}"


def daphne_protocol(send):
    """The connection behind a consumer's `send` when daphne serves it (None otherwise).

    Daphne speaks websocket through Autobahn, whose connections can send a message framed once
    for many of them (prepareMessage / sendPreparedMessage: its broadcast API). Channels'
    session middleware wraps the `send` of a cookie socket, keeping daphne's as `real_send`."""
    while hasattr(getattr(send, "__self__", None), "real_send"):
        send = send.__self__.real_send
    protocol = getattr(send, "args", (None,))[0]
    return protocol if hasattr(protocol, "sendPreparedMessage") else None


def backlog(protocol) -> int:
    """Bytes held for this connection that its client has not read yet.

    A write goes into the Twisted transport of the connection at once and never waits, so the
    only sign of a slow reader is what piles up in that transport's buffer."""
    transport = getattr(protocol, "transport", None)
    if transport is None:
        return 0
    data = getattr(transport, "dataBuffer", b"")
    return len(data) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def plain_tcp(transport) -> bool:
    """A Twisted TCP connection without TLS (daphne behind Heroku's router, or on your own
    machine), whose socket can take bytes directly."""
    return hasattr(transport, "writeSomeData") and not getattr(transport, "TLS", False)


class Listener:
    """One open socket: where to write its frames, and the topics it listens to."""

    def __init__(self, send, topics: list[str]):
        self.send = send
        self.protocol = daphne_protocol(send)
        self.topics = topics
        self.closed = False

    def write_prepared(self, prepared: PreparedMessage) -> None:
        """Under daphne: the frame's bytes straight onto the connection, or close it (4000)
        if its client has left too much unread."""
        if self.closed or self.protocol.state != self.protocol.STATE_OPEN:
            return
        try:
            pending = backlog(self.protocol)
            if pending > settings.LIVE_SOCKET_BUFFER:
                logger.info("Closing a socket %s bytes behind", pending)
                self.closed = True
                self.protocol.sendClose(code=CLOSE_BEHIND)
                return
            transport = self.protocol.transport
            if pending or self.protocol.send_queue or not plain_tcp(transport):
                self.protocol.sendPreparedMessage(prepared)  # queue behind what is waiting
                return
            # Nothing waiting: one send() now. Twisted's own write would register the socket
            # for writing and send on the next turn of the loop: two epoll changes per frame.
            data = prepared.payloadHybi
            sent = transport.writeSomeData(data)
            if isinstance(sent, Exception):
                self.closed = True  # the connection is gone; daphne will say disconnect
            elif sent < len(data):
                transport.write(data[sent:])  # the kernel's buffer is full: Twisted keeps the rest
        except Exception:  # the connection went away meanwhile; daphne will say disconnect
            self.closed = True

    async def write(self, frame: str) -> None:
        """Anywhere else (channels' test communicator): an ASGI send."""
        if not self.closed:
            try:
                await self.send({"type": "websocket.send", "text": frame})
            except Exception:  # the connection went away meanwhile
                self.closed = True

    async def close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            try:
                await self.send({"type": "websocket.close", "code": code})
            except Exception:  # gone already
                return


class Memory:
    """The recent items of one topic that a hub heard since it began to remember it."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.items: deque[tuple[int, str]] = deque()
        self.dropped = 0  # the newest id no longer kept
        # The newest id in the database once the hub listened: it has heard every newer one.
        self.newest_in_db: asyncio.Future = loop.create_future()

    def add(self, frame: str) -> None:
        try:
            item_id = json.loads(frame)["id"]
        except (ValueError, KeyError, TypeError):
            return
        self.items.append((item_id, frame))
        if len(self.items) > RECENT:
            self.dropped = max(self.dropped, self.items.popleft()[0])

    def after(self, after: int) -> list[str] | None:
        """The frames of the items after `after`, oldest first; None if some may be missing."""
        if after < max(self.newest_in_db.result(), self.dropped):
            return None
        return [frame for item_id, frame in self.items if item_id > after]


class Hub:
    """The sockets of this process, by topic, and the one Redis subscription that feeds them."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.topics: dict[str, dict[Listener, None]] = {}
        self.listeners: dict[Listener, None] = {}
        self.subscriber: asyncio.Task | None = None
        self.subscribed = asyncio.Event()
        self.interrupted = False
        self.delivering = asyncio.Lock()  # one frame at a time: every socket keeps the order
        # What the hub heard of the topics that sockets coming back asked to replay.
        self.memory: dict[str, Memory] = {}

    async def ready(self) -> None:
        """Wait until this process hears Redis, so that a socket accepted now misses nothing
        published after it opened. While Redis is known to be down, do not wait: the socket
        gets a resync when it is back."""
        if not settings.REDIS_URL:
            return
        if self.subscriber is None:
            self.subscriber = self.loop.create_task(self.subscribe())
        if not self.interrupted:
            try:
                await asyncio.wait_for(asyncio.shield(self.subscribed.wait()), SILENCE)
            except TimeoutError:
                return

    def join(self, listener: Listener) -> None:
        self.listeners[listener] = None
        for topic in listener.topics:
            self.topics.setdefault(topic, {})[listener] = None

    def leave(self, listener: Listener) -> None:
        listener.closed = True
        self.listeners.pop(listener, None)
        for topic in listener.topics:
            members = self.topics.get(topic, {})
            members.pop(listener, None)
            if not members:
                self.topics.pop(topic, None)
                self.forget(topic)

    def forget(self, topic: str | None = None) -> None:
        """Stop remembering `topic` (every topic: None), e.g. after a gap in what the hub heard."""
        if topic is None:
            self.memory.clear()
        else:
            self.memory.pop(topic, None)

    async def remembered(self, topic: str, newest_id) -> Memory | None:
        """What the hub heard of `topic`, remembering it from now on if it did not yet; None
        when the database cannot say where that begins."""
        memory = self.memory.get(topic)
        if memory is None:
            from channels.db import database_sync_to_async

            memory = self.memory[topic] = Memory(self.loop)
            try:  # read after the memory began: every newer item is in it
                memory.newest_in_db.set_result(await database_sync_to_async(newest_id)())
            except Exception as exc:  # the database is down: no replay; ask again next time
                logger.warning("Live delivery: no newest id for %s (%s)", topic, exc)
                memory.newest_in_db.set_result(None)
                self.memory.pop(topic, None)
        await asyncio.shield(memory.newest_in_db)
        if memory.newest_in_db.result() is None or self.memory.get(topic) is not memory:
            return None  # no floor, or forgotten meanwhile (a resync)
        return memory

    async def replay(self, listener: Listener, topic: str, after: int, newest_id) -> bool:
        """Join `listener` and send it the items of `topic` after `after`, then LIVE; False
        (not joined) when the hub cannot be sure it has them all."""
        memory = await self.remembered(topic, newest_id)
        if memory is None:
            return False
        async with self.delivering:  # no new frame between the missed ones and LIVE
            missed = memory.after(after)
            if missed is None:
                return False
            self.join(listener)
            for frame in [*missed, LIVE]:
                if listener.protocol is not None:
                    listener.write_prepared(PreparedMessage(frame.encode(), False, False, True))
                else:
                    await listener.write(frame)
        return True

    async def deliver(self, topic: str, frame: str) -> None:
        """Write one frame (already encoded) to every local socket of `topic`, one frame at a
        time in the order they come, letting the loop run other work every CHUNK sockets."""
        async with self.delivering:
            if topic == "resync":
                targets, frame = list(self.listeners), RESYNC
                self.forget()  # something may have been missed: remember afresh
            else:
                targets = list(self.topics.get(topic, ()))
                if topic in self.memory:
                    self.memory[topic].add(frame)
            if topic.startswith("end."):
                for listener in targets:
                    await listener.close(CLOSE_CREDENTIALS)
                return
            # Framed once, the same bytes for every connection.
            prepared = PreparedMessage(frame.encode(), False, False, True)
            for index, listener in enumerate(targets):
                if index and not index % CHUNK:
                    await asyncio.sleep(0)  # a request waiting on the loop goes on meanwhile
                if listener.protocol is not None:
                    listener.write_prepared(prepared)
                else:
                    await listener.write(frame)

    def deliver_soon(self, topic: str, frame: str) -> None:
        """`deliver` from any thread."""
        asyncio.run_coroutine_threadsafe(self.deliver(topic, frame), self.loop)

    async def subscribe(self) -> None:
        """Listen to Redis for as long as this process runs; resync the sockets after a gap."""
        import redis.asyncio as aioredis

        channel = bus_channel()
        while True:
            client = aioredis.from_url(
                settings.REDIS_URL, socket_connect_timeout=SILENCE, **redis_ssl()
            )
            pubsub = client.pubsub()
            try:
                await asyncio.wait_for(pubsub.subscribe(channel), SILENCE)
                self.subscribed.set()
                if self.interrupted:
                    self.forget()
                    logger.warning("Live delivery: Redis is back; the sockets resync")
                    self.interrupted = False
                    await self.deliver("resync", RESYNC)
                await self.listen(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis stopped, frozen, or the connection was cut
                self.subscribed.clear()
                if not self.interrupted:
                    logger.warning("Live delivery: lost Redis (%s); the sockets resync", exc)
                    self.interrupted = True
                    await self.deliver("resync", RESYNC)
                await asyncio.sleep(0.5)
            finally:
                await asyncio.shield(close_quietly(pubsub, client))

    async def listen(self, pubsub) -> None:
        """Deliver what arrives; PING when it is quiet; give up after SILENCE seconds of nothing."""
        heard = time.monotonic()
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=0.5)
            now = time.monotonic()
            if message is not None:
                heard, pinged = now, False
                if message["type"] == "message":
                    topic, _, frame = message["data"].decode().partition("\n")
                    await self.deliver(topic, frame)
            elif now - heard > SILENCE:
                raise ConnectionError(f"no word from Redis in {SILENCE:.0f} s")
            elif now - heard > 2 and not pinged:
                await asyncio.wait_for(pubsub.ping(), SILENCE)
                pinged = True


async def close_quietly(pubsub, client) -> None:
    try:
        await asyncio.wait_for(pubsub.aclose(), 1)
        await asyncio.wait_for(client.aclose(), 1)
    except Exception:  # the connection is broken already; nothing to tidy up
        return


def bus_channel() -> str:
    return f"{settings.LIVE_PREFIX}:live"


def redis_ssl() -> dict:
    # Heroku Redis (rediss://) presents a self-signed certificate.
    return {"ssl_cert_reqs": None} if settings.REDIS_URL.startswith("rediss://") else {}


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The hub of the running event loop (daphne runs one per process)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        for old in [old for old in _hubs if old.is_closed()]:
            del _hubs[old]
        _hubs[loop] = Hub(loop)
    return _hubs[loop]


def local_deliver(topic: str, frame: str) -> None:
    for each in list(_hubs.values()):
        if not each.loop.is_closed():
            each.deliver_soon(topic, frame)


class Publisher:
    """Sends frames to Redis from a thread of its own, so that no request waits on Redis."""

    def __init__(self, url: str):
        self.url = url
        self.queue: queue.Queue = queue.Queue(maxsize=PUBLISH_QUEUE)
        self.owe_resync = False
        self.thread = threading.Thread(target=self.run, name="live-publisher", daemon=True)
        self.thread.start()
        # A short-lived process (a management command, the shell) sends what it queued.
        atexit.register(self.flush)

    def flush(self, timeout: float = 2.0) -> None:
        """Wait (a little) until everything queued has been sent or given up on."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)

    def put(self, topic: str, frame: str) -> None:
        message = f"{topic}\n{frame}"
        try:
            self.queue.put_nowait(message)
        except queue.Full:
            self.failed(f"{PUBLISH_QUEUE} items are waiting for Redis", [message])

    def failed(self, reason: str, batch: list[str]) -> None:
        """Redis did not take `batch`: this process's sockets get it directly, and every
        process resyncs once Redis answers again."""
        if not self.owe_resync:
            logger.error("Live delivery: could not send to Redis (%s); the sockets resync", reason)
            local_deliver("resync", RESYNC)
        self.owe_resync = True
        for message in batch:
            topic, _, frame = message.partition("\n")
            if topic != "resync":
                local_deliver(topic, frame)

    def run(self) -> None:
        import redis

        client = redis.Redis.from_url(
            self.url,
            socket_timeout=PUBLISH_TIMEOUT,
            socket_connect_timeout=PUBLISH_TIMEOUT,
            **redis_ssl(),
        )
        channel = bus_channel()
        while True:
            try:
                batch = [self.queue.get(timeout=1)]
            except queue.Empty:
                batch = []
            while batch and len(batch) < 500:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            taken = len(batch)
            if self.owe_resync:  # tell every process to resync before anything new
                batch.insert(0, "resync\n" + RESYNC)
            if not batch:
                continue
            try:
                with client.pipeline(transaction=False) as pipe:
                    for message in batch:
                        pipe.publish(channel, message)
                    pipe.execute()
                self.owe_resync = False
            except Exception as exc:  # Redis stopped, frozen or unreachable
                while not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                    taken += 1
                self.failed(str(exc) or type(exc).__name__, batch)
                time.sleep(0.2)
            for _ in range(taken):
                self.queue.task_done()


class LiveConsumer(AsyncWebsocketConsumer):
    """A socket that only listens: the hub writes to it; what its client sends is ignored."""

    # No channel-layer channel per socket: the hub does the fan-out.
    channel_layer_alias = None
    listener = None

    def topics(self) -> list[str]:
        """What this socket listens to; [] refuses it."""
        raise NotImplementedError

    # A function of no arguments giving the newest id of topics()[0]'s items in the database
    # (0: none yet) lets sockets that come back with ?after=ID be replayed what they missed;
    # None: such a socket is sent a resync, and catches up through the API.
    newest_id = None

    def after(self) -> int | None:
        """The ?after=ID this socket came with (-1: not a whole number), or None."""
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("after")
        if not values:
            return None
        digits = values[0]
        return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else -1

    async def connect(self):
        # Client → server: accept, then join the hub (or refuse the socket).
        topics = self.topics()
        if not topics:
            await self.close()
            return
        await hub().ready()
        await self.accept()
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            topics = [*topics, user_topic(user.pk)]
        if self.scope.get("credential"):
            topics.append(self.scope["credential"])
        self.listener = Listener(self.base_send, topics)
        after = self.after()
        if after is None:
            hub().join(self.listener)
        elif self.newest_id is None or not await hub().replay(
            self.listener, topics[0], after, self.newest_id
        ):
            hub().join(self.listener)
            await self.send(RESYNC)  # catch up through the API

    async def receive(self, text_data=None, bytes_data=None):
        # Client → server: these sockets only speak; whatever a client sends is ignored.
        return

    async def disconnect(self, code):
        # Client went away: leave the hub.
        if self.listener is not None:
            hub().leave(self.listener)


_publishers: dict[str, Publisher] = {}
_publishers_lock = threading.Lock()


def publish(item: dict, *topics: str) -> None:
    """Send `item` to every socket of these topics, in every process, encoded once.
    Never waits, never raises."""
    frame = json.dumps(item, separators=(",", ":"))
    for topic in topics:
        send(topic, frame)


def send(topic: str, frame: str) -> None:
    url = settings.REDIS_URL
    if not url:
        local_deliver(topic, frame)
        return
    with _publishers_lock:
        if url not in _publishers:
            _publishers[url] = Publisher(url)
    _publishers[url].put(topic, frame)


def credentials_ended(*topics: str) -> None:
    """Close, with 4401, every socket opened with these credentials, in every process."""
    for topic in topics:
        send(topic, "")
