"""Two people message each other with `retro`, against a real daphne."""

from __future__ import annotations

from cli.errors import ExitCode


def test_two_users_exchange_messages(person):
    ann, ben = person("ann"), person("ben")

    sent = ann.ok("message", ben.username, "Lunch at noon?", "--json").json()
    assert (sent["sender"], sent["recipient"]) == (ann.username, ben.username)
    assert ben.ok("message", ann.username, "Yes, see you there.").stdout.startswith("Sent #")

    inbox = ann.ok("inbox", "--json").json()
    assert inbox[0]["username"] == ben.username
    assert inbox[0]["last_message"]["text"] == "Yes, see you there."
    assert inbox[0]["unread"] == 1
    assert ben.username in ann.ok("inbox").stdout

    talk = ann.ok("conversation", ben.username, "--json").json()
    assert [(m["sender"], m["text"]) for m in talk] == [
        (ann.username, "Lunch at noon?"),
        (ben.username, "Yes, see you there."),
    ]
    assert ann.ok("inbox", "--json").json()[0]["unread"] == 0  # reading marks it read

    piped = ben.ok("message", ann.username, "-", "--json", input="from a pipe\n").json()
    latest = ann.ok("conversation", ben.username, "--limit", "1", "--json").json()
    assert [(m["id"], m["text"]) for m in latest] == [(piped["id"], "from a pipe")]
    assert latest[0]["read"] is not None  # read now that ann has opened the conversation
    table = ben.ok("conversation", ann.username).stdout
    assert "Lunch at noon?" in table and "from a pipe" in table


def test_a_conversation_with_no_messages_yet(person):
    ann, ben = person("quiet"), person("quiet")
    run = ann.ok("conversation", ben.username)
    assert run.stdout == ""
    assert f"No messages with {ben.username} yet." in run.stderr
    assert ann.ok("inbox", "--json").json() == []


def test_messages_need_a_login(cli_server, retro_for, person):
    ben = person("target")
    anonymous = retro_for(cli_server.url)
    for args in (["message", ben.username, "hi"], ["inbox"], ["conversation", ben.username]):
        run = anonymous(*args)
        assert run.returncode == ExitCode.AUTH, str(run)
        assert f"not logged in to {cli_server.url}" in run.stderr
