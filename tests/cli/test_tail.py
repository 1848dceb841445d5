"""`retro tail` in a subprocess against real daphne processes: live posts and messages from
other clients, and a server that goes away and comes back while posts keep being made."""

from __future__ import annotations

import pytest

from tests.live import Browser, unique
from tests.own_redis import own_redis  # noqa: F401  (a fixture)


def test_tail_json_receives_posts_from_other_clients(cli_server, person):
    reader, writer = person("reader"), person("writer")
    with reader.spawn("tail", "--json") as tail, reader.spawn("tail") as human:
        tail.wait_stderr("Following")
        human.wait_stderr("Following")

        from_cli = writer.ok("post", "from another terminal", "--json").json()
        assert tail.next_json() == from_cli

        browser = Browser(cli_server).signup(writer.username + "b")
        assert browser.post("from a browser").status_code == 302
        from_page = tail.next_json()
        assert (from_page["author"], from_page["text"]) == (writer.username + "b", "from a browser")
        assert from_page["id"] > from_cli["id"]

        first = human.next_line()
        assert f"#{from_cli['id']} " in first
        assert f"{writer.username}: from another terminal" in first
        assert "from a browser" in human.next_line()

        # Nothing else came: the next post is the next line of each.
        last = writer.ok("post", "the last one", "--json").json()
        assert tail.next_json() == last
        assert f"#{last['id']} " in human.next_line()
        assert tail.interrupt() == 0
        assert human.interrupt() == 0
        assert "Stopped." in "".join(tail.all_stderr())


def test_tail_last_shows_recent_posts_first(person):
    writer = person("history")
    posts = [writer.ok("post", f"earlier {n}", "--json").json() for n in range(3)]
    with writer.spawn("tail", "--json", "--last", "2") as tail:
        assert [tail.next_json(), tail.next_json()] == posts[1:]
        newer = writer.ok("post", "later", "--json").json()
        assert tail.next_json() == newer
        assert tail.interrupt() == 0


def test_tail_messages_shows_my_direct_messages(person):
    me, friend, stranger = person("me"), person("friend"), person("stranger")
    with me.spawn("tail", "--json", "--messages") as tail:
        tail.wait_stderr("Following")
        received = friend.ok("message", me.username, "psst", "--json").json()
        assert tail.next_json() == received
        stranger.ok("message", friend.username, "not for me")  # someone else's conversation
        sent = me.ok("message", friend.username, "hi back", "--json").json()
        assert tail.next_json() == sent
        post = friend.ok("post", "and a post", "--json").json()
        assert tail.next_json() == post
        last = friend.ok("post", "the last one", "--json").json()
        assert tail.next_json() == last  # nothing else came in between
        assert tail.interrupt() == 0


def test_tail_survives_a_server_restart_printing_every_post_once(
    make_live_server, person, retro_for
):
    """The server tail follows is stopped, posts and a message are made through another server
    process on the same database meanwhile, then it starts again and one more post is made
    right away: tail says the connection dropped, reconnects, and prints each exactly once, in
    order."""
    followed, other = make_live_server(), make_live_server()
    me, writer = person("tailer"), person("poster")
    for retro in (me, writer):
        retro.server = followed.url  # the token was saved for cli_server; log in here too
        assert retro.login(retro.username).returncode == 0
    via_other = retro_for(other.url)
    assert via_other.login(writer.username).returncode == 0

    with me.spawn("tail", "--json", "--messages") as tail:
        tail.wait_stderr("Following")
        before = writer.ok("post", "before the restart", "--json").json()
        assert tail.next_json() == before

        followed.stop()
        tail.wait_stderr("lost")
        during = [via_other.ok("post", f"while down {n}", "--json").json() for n in range(3)]
        message = via_other.ok("message", me.username, "while down", "--json").json()

        followed.start()
        after = writer.ok("post", "right after the restart", "--json").json()

        received = [tail.next_json(timeout=30) for _ in range(len(during) + 2)]
        posts = [item for item in received if "author" in item]
        assert posts == [*during, after]  # every post once, in order
        # (Fetching a conversation through the API marks it read, so compare without `read`.)
        messages = [(m["id"], m["text"]) for m in received if "sender" in m]
        assert messages == [(message["id"], "while down")]
        last = writer.ok("post", "the last one", "--json").json()
        assert tail.next_json(timeout=30) == last  # and nothing twice before it
        tail.wait_stderr("Reconnected")
        assert tail.interrupt() == 0


def test_tail_notices_a_gap_and_prints_the_missing_post_before_the_next(
    make_live_server, person, retro_for
):
    """Two processes with the in-memory layer share a database but not their sockets: a post
    made on the other one never reaches tail live, so the next post tail does get jumps an id.
    Tail fetches the one it missed first, and prints each once, in order."""
    followed, other = make_live_server(), make_live_server()
    me, writer = person("gapper"), person("gappost")
    for retro in (me, writer):
        retro.server = followed.url
        assert retro.login(retro.username).returncode == 0
    via_other = retro_for(other.url)
    assert via_other.login(writer.username).returncode == 0

    with me.spawn("tail", "--json") as tail:
        tail.wait_stderr("Following")
        unseen = via_other.ok("post", "made on the other process", "--json").json()
        seen = writer.ok("post", "made on the followed one", "--json").json()
        assert [tail.next_json(timeout=30), tail.next_json(timeout=30)] == [unseen, seen]
        last = writer.ok("post", "the last one", "--json").json()
        assert tail.next_json(timeout=30) == last  # and nothing twice before it
        assert tail.interrupt() == 0


@pytest.mark.redis
def test_tail_catches_up_on_a_resync_after_redis_comes_back(
    make_live_server, person, retro_for, own_redis  # noqa: F811
):
    """Redis (the test's own) stops while tail follows process A; posts and a message made
    through process B meanwhile cannot reach A. When Redis is back, A tells its sockets to
    resync and tail prints what it missed, each once, without its socket ever dropping."""
    prefix = unique("tail")
    a = make_live_server(redis_url=own_redis.url, CHANNEL_LAYER_PREFIX=prefix)
    b = make_live_server(redis_url=own_redis.url, CHANNEL_LAYER_PREFIX=prefix)
    me, writer = person("resyncer"), person("resyncpost")
    for retro in (me, writer):
        retro.server = a.url
        assert retro.login(retro.username).returncode == 0
    via_b = retro_for(b.url)
    assert via_b.login(writer.username).returncode == 0

    with me.spawn("tail", "--json", "--messages") as tail:
        tail.wait_stderr("Following")
        first = writer.ok("post", "before", "--json").json()
        assert tail.next_json(timeout=30) == first
        own_redis.stop()
        during = [via_b.ok("post", f"during {n}", "--json").json() for n in range(3)]
        message = via_b.ok("message", me.username, "during", "--json").json()
        own_redis.start()
        received = [tail.next_json(timeout=60) for _ in range(4)]
        assert [item for item in received if "author" in item] == during
        assert [item for item in received if "sender" in item] == [message]
        last = writer.ok("post", "the last one", "--json").json()
        assert tail.next_json(timeout=30) == last  # and nothing twice before it
        assert "lost" not in "".join(tail.all_stderr())  # the socket never dropped
        assert tail.interrupt() == 0


def test_tail_retry_waits_for_a_server_that_is_down(make_live_server, person):
    server = make_live_server()
    me = person("patient")
    me.server = server.url
    assert me.login(me.username).returncode == 0
    server.stop()
    with me.spawn("tail", "--json", "--retry") as tail:
        tail.wait_stderr("waiting for the server", timeout=30)
        server.start()
        tail.wait_stderr("Following", timeout=60)
        post = me.ok("post", "you waited", "--json").json()
        assert tail.next_json(timeout=30) == post
        assert tail.interrupt() == 0


def test_tail_without_retry_says_the_server_is_down_and_exits(make_live_server, person):
    server = make_live_server()
    me = person("impatient")
    me.server = server.url
    assert me.login(me.username).returncode == 0
    server.stop()
    result = me("tail")
    assert result.returncode != 0
    assert "cannot reach the server" in result.stderr
    assert "Traceback" not in result.stderr
