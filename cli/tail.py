"""
`retro tail`: follow the public feed (and with --messages, your direct messages) live.

Each stream (cli/streams.py) is a websocket kept open by a thread of its own that reconnects
when the connection drops and fetches what it missed, so the output has every item exactly once;
a close with 4401 (token revoked, password changed) ends tail with an error. The main thread
does all the printing (cli/output.py's `live_item`). Ctrl-C stops with status 0.
"""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from cli import api
from cli.output import examples

app = typer.Typer()


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
    from cli.streams import FeedStream, InboxStream, Stream

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
