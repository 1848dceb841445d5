"""The account's email address and a forgotten password from the terminal, against a real
daphne: `retro signup --email`, `retro email`, `retro whoami`, `retro password reset`. The
session's server runs no worker, so a reset's mail waits in the database as a task: that it
is there (or not) is read from the server's database by a real `manage.py shell`. The mail's
way through a worker and an SMTP server is tests/site/test_password_reset_live.py's."""

from __future__ import annotations

import json

import pytest

from cli.errors import ExitCode
from tests.cli.helpers import PASSWORD
from tests.live import manage, production_env, unique

SENT = (
    "If an account on {} has that address, a mail with a link to choose a new password is on "
    "its way.\n"
)
QUEUED_TO = """
import json
from django_tasks_db.models import DBTaskResult
print(json.dumps([
    message["to"]
    for task in DBTaskResult.objects.filter(task_path="retrosocial.mail.deliver")
    for message in task.args_kwargs["args"][0]
]))
"""


def queued_to(live_database) -> list[list[str]]:
    """The addressees of every mail waiting in (or sent from) the server's task queue."""
    run = manage("shell", "-c", QUEUED_TO, env=production_env(live_database.url))
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture
def address():
    return f"{unique('someone')}@example.com"


def test_sign_up_with_an_email_and_whoami_shows_it(cli_server, retro_for, address):
    retro = retro_for(cli_server.url)
    name = unique("mailer")
    run = retro.ok(
        "signup", name, "--email", address, "--password-stdin", input=PASSWORD + "\n"
    )
    assert f"Signed up as {name} on {cli_server.url}" in run.stdout
    me = retro.ok("whoami", "--json").json()
    assert me["email"] == address
    whoami = retro.ok("whoami").stdout
    assert whoami.startswith(f"{name} on {cli_server.url} (joined ")
    assert whoami.endswith(f", email {address})\n")


def test_whoami_without_an_email_says_nothing_of_one(person):
    retro = person("nomail")
    assert retro.ok("whoami", "--json").json()["email"] is None
    assert "email" not in retro.ok("whoami").stdout


def test_sign_up_refuses_an_address_that_is_not_one(cli_server, retro_for):
    retro = retro_for(cli_server.url)
    run = retro("signup", unique("bad"), "--email", "bad@", "--password-stdin",
                input=PASSWORD + "\n")  # fmt: skip
    assert run.returncode == ExitCode.INVALID, str(run)
    assert run.stderr == "retro: error: email: Enter a valid email address.\n"
    assert not (retro.config_dir / "tokens.json").exists()


def test_retro_email_sets_changes_and_removes_the_address(person, address):
    retro = person("changer")
    run = retro.ok("email", address)
    assert run.stdout == (
        f"The email address of {retro.username} on {retro.server} is now {address}.\n"
    )
    assert retro.ok("whoami", "--json").json()["email"] == address
    changed = retro.ok("email", "Other@EXAMPLE.com", "--json").json()
    assert changed["email"] == "Other@example.com" and changed["server"] == retro.server
    run = retro.ok("email", "--remove")
    assert run.stdout == f"{retro.username} on {retro.server} has no email address now.\n"
    assert retro.ok("whoami", "--json").json()["email"] is None


def test_retro_email_refuses_bad_input(person, retro_for, cli_server):
    retro = person("refused")
    run = retro("email", "not an address")
    assert run.returncode == ExitCode.INVALID, str(run)
    assert run.stderr == "retro: error: email: Enter a valid email address.\n"
    for args in (["email"], ["email", "a@example.com", "--remove"]):
        run = retro(*args)
        assert run.returncode == ExitCode.USAGE, str(run)
        assert run.stderr == "retro: error: give an email address, or --remove (not both)\n"
    stranger = retro_for(cli_server.url)
    run = stranger("email", "a@example.com")
    assert run.returncode == ExitCode.AUTH, str(run)
    assert run.stderr.startswith(f"retro: error: not logged in to {cli_server.url}")


def test_password_reset_queues_the_mail_and_says_the_same_for_any_address(
    cli_server, retro_for, live_database, address
):
    owner = retro_for(cli_server.url)
    owner.ok("signup", unique("forgetful"), "--email", address, "--password-stdin",
             input=PASSWORD + "\n")  # fmt: skip
    # Asked from another machine, not logged in: as someone who forgot their password is.
    retro = retro_for(cli_server.url)
    known = retro.ok("password", "reset", address)
    nobody = f"{unique('nobody')}@example.com"
    unknown = retro.ok("password", "reset", nobody)
    assert known.stdout == unknown.stdout == SENT.format(cli_server.url)
    assert "then: retro login" in known.stderr
    queued = queued_to(live_database)
    assert queued.count([address]) == 1
    assert [nobody] not in queued

    answer = retro.ok("password", "reset", address, "--json").json()
    assert answer["email"] == address and answer["server"] == cli_server.url
    assert "If an account has that email address" in answer["detail"]


def test_password_reset_refuses_what_is_not_an_address(cli_server, retro_for):
    run = retro_for(cli_server.url)("password", "reset", "forgetful")
    assert run.returncode == ExitCode.INVALID, str(run)
    assert run.stderr == "retro: error: email: Enter a valid email address.\n"


def test_password_reset_needs_an_address(cli_server, retro_for):
    run = retro_for(cli_server.url)("password", "reset")
    assert run.returncode == ExitCode.USAGE, str(run)
    assert "Missing argument" in run.stderr
