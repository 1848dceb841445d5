"""
A client that follows RetroSocial's live-delivery protocol (README, "Live delivery") exactly and
does nothing else: the protocol in executable form. Prints each post and, with --messages,
each direct message once, as a JSON line, and status lines on standard error.

- Streams: /ws/feed (posts) and /ws/inbox (the caller's messages), with `Authorization: Token`.
- A text frame without "type" is an item: `{"id","author","text","created"}` on /ws/feed,
  `{"id","sender","recipient","text","created","read"}` on /ws/inbox.
- A frame with "type" is control: `{"type": "resync"}` means catch up now.
- Catch up = `GET /api/posts?after=ID` or `GET /api/inbox?after=ID` (oldest first), following
  `next` until it is null, where ID is the highest id seen on that stream.
- Catch up after every (re)connect, on every resync frame, and when an item's id is more than
  one above the highest seen (a gap). Print an id only the first time it is seen.
- Close code 4401: the credentials ended; stop and do not reconnect with them (exit 3).
  Any other end (4000 included): reconnect after a random wait between 0 and
  min(cap, base * 2**attempt) (exponential backoff, full jitter).

    .venv/bin/python bench/protocol_client.py --server http://127.0.0.1:8000 --token KEY \
        [--messages] [--after 0] [--duration 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

CREDENTIALS_ENDED = 4401


class CredentialsEnded(Exception):
    pass


def status(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Stream:
    def __init__(self, kind: str, path: str, catch_up_path: str, args, http: httpx.AsyncClient):
        self.kind, self.path, self.catch_up_path = kind, path, catch_up_path
        self.args, self.http = args, http
        self.highest = args.after
        self.seen: set[int] = set()
        self.ws_url = args.server.replace("http", "ws", 1).rstrip("/") + path

    def emit(self, item: dict) -> None:
        if item["id"] in self.seen:
            return
        self.seen.add(item["id"])
        self.highest = max(self.highest, item["id"])
        sys.stdout.write(json.dumps(item) + "\n")
        sys.stdout.flush()

    async def catch_up(self) -> None:
        url = f"{self.catch_up_path}?after={self.highest}"
        while url:
            response = await self.http.get(url)
            if response.status_code in (401, 403):
                raise CredentialsEnded(f"{url} answered {response.status_code}")
            response.raise_for_status()
            body = response.json()
            for item in body["results"]:
                self.emit(item)
            url = body.get("next")

    async def run(self) -> None:
        attempt = 0
        headers = {"Authorization": f"Token {self.args.token}"}
        while True:
            try:
                async with connect(self.ws_url, additional_headers=headers, open_timeout=10,
                                   compression=None) as ws:
                    status(f"{self.kind}: connected")
                    attempt = 0
                    await self.catch_up()
                    async for frame in ws:
                        item = json.loads(frame)
                        if "type" in item:
                            if item["type"] == "resync":
                                await self.catch_up()
                            continue
                        if item["id"] > self.highest + 1:
                            await self.catch_up()
                        self.emit(item)
                    code = ws.close_code
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
            except InvalidStatus as exc:
                if exc.response.status_code in (401, 403):
                    raise CredentialsEnded(
                        f"handshake refused ({exc.response.status_code})"
                    ) from exc
                code = None
                status(f"{self.kind}: handshake answered {exc.response.status_code}")
            except (OSError, TimeoutError, httpx.HTTPError, ValueError, KeyError) as exc:
                code = None
                status(f"{self.kind}: {type(exc).__name__}: {exc}"[:200])
            if code == CREDENTIALS_ENDED:
                raise CredentialsEnded("the server closed the socket with 4401")
            wait = random.uniform(0, min(self.args.cap, self.args.base * 2**attempt))
            attempt += 1
            status(f"{self.kind}: disconnected (code {code}); reconnecting in {wait:.2f} s")
            await asyncio.sleep(wait)


async def main_async(args) -> int:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(
            sig, lambda: stop.done() or stop.set_result(None)
        )
    headers = {"Authorization": f"Token {args.token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=args.server, headers=headers, timeout=10) as http:
        streams = [Stream("posts", "/ws/feed", "/api/posts", args, http)]
        if args.messages:
            streams.append(Stream("messages", "/ws/inbox", "/api/inbox", args, http))
        tasks = [asyncio.create_task(stream.run()) for stream in streams]
        done, _ = await asyncio.wait(
            [*tasks, stop], timeout=args.duration, return_when=asyncio.FIRST_COMPLETED
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task is not stop and isinstance(task.exception(), CredentialsEnded):
                status(f"credentials ended: {task.exception()}; not reconnecting")
                return 3
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", required=True, help="the site's base URL (http://…)")
    parser.add_argument("--token", required=True, help="an API token")
    parser.add_argument("--messages", action="store_true", help="follow /ws/inbox too")
    parser.add_argument("--after", type=int, default=0, help="highest id already seen")
    parser.add_argument("--duration", type=float, default=600.0,
                        help="stop after this many seconds (default: 600)")
    parser.add_argument("--base", type=float, default=0.5, help="backoff base, seconds (0.5)")
    parser.add_argument("--cap", type=float, default=30.0, help="backoff cap, seconds (30)")
    args = parser.parse_args()
    if not args.server.startswith(("http://", "https://")):
        print(f"--server must start with http:// or https://, not {args.server!r}",
              file=sys.stderr)
        return 2
    if args.after < 0 or args.duration <= 0:
        print("--after takes 0 or more and --duration more than 0", file=sys.stderr)
        return 2
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
