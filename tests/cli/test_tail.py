"""`retro tail` in a subprocess against real daphne processes: live posts and messages from
other clients, and a server that goes away and comes back while posts keep being made."""

from __future__ import annotations

from tests.live import Browser


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

        assert tail.no_more_lines(0.5) == []
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
        assert tail.no_more_lines(0.5) == []
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
        assert tail.no_more_lines(1.0) == []
        tail.wait_stderr("Reconnected")
        assert tail.interrupt() == 0
