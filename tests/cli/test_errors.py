"""Every failure a terminal user can meet: one plain line on stderr, its own exit status, no
traceback (Retro checks that on every run). Against real daphne processes."""

from __future__ import annotations

import re

from cli.errors import ExitCode
from tests.live import PASSWORD, free_port, unique
from tests.windows import fresh_window


def test_unreachable_server_is_named(retro_for):
    url = f"http://127.0.0.1:{free_port()}"
    retro = retro_for(url)
    for args in (["feed"], ["users"], ["tail"]):
        run = retro(*args)
        assert run.returncode == ExitCode.UNREACHABLE, str(run)
        assert run.stderr.startswith(f"retro: error: cannot reach the server at {url}"), str(run)
        assert "connection refused" in run.stderr
        assert run.stderr.count("\n") == 1


def test_a_site_without_the_api_is_not_taken_for_one(retro_for, cli_server):
    run = retro_for(cli_server.url + "/static")("feed")
    assert run.returncode == ExitCode.NOT_FOUND, str(run)
    assert "has no RetroSocial API" in run.stderr


def test_wrong_password(person, retro_for, cli_server):
    someone = person("pw")
    retro = retro_for(cli_server.url)
    run = retro.login(someone.username, "not-the-password")
    assert run.returncode == ExitCode.AUTH
    assert run.stderr == f"retro: error: wrong username or password for {cli_server.url}\n"
    assert not (retro.config_dir / "tokens.json").exists()


def test_not_logged_in(retro_for, cli_server):
    retro = retro_for(cli_server.url)
    for args in (["post", "hello"], ["whoami"], ["inbox"], ["tail", "--messages"]):
        run = retro(*args)
        assert run.returncode == ExitCode.AUTH, str(run)
        assert run.stderr == (
            f"retro: error: not logged in to {cli_server.url} (run: retro login USERNAME)\n"
        )


def test_revoked_token(person, retro_for, cli_server):
    laptop = person("rev")
    other_machine = retro_for(cli_server.url)
    assert other_machine.login(laptop.username).returncode == 0
    other_machine.ok("logout")  # revokes the token both share
    for args in (["whoami"], ["post", "x"], ["tail", "--messages"]):
        run = laptop(*args)
        assert run.returncode == ExitCode.AUTH, str(run)
        assert "revoked or has expired" in run.stderr or "token may be revoked" in run.stderr
        assert "retro login" in run.stderr


def test_validation_errors_carry_the_fields_message(person, retro_for, cli_server):
    retro = person("valid")
    cases = [
        (["post", "   "], "text: This field may not be blank."),
        (["post", "x" * 501], "text: Ensure this field has no more than 500 characters."),
        (["message", retro.username, "hi"], None),  # to yourself
    ]
    for args, message in cases:
        run = retro(*args)
        assert run.returncode == ExitCode.INVALID, str(run)
        assert run.stderr.startswith("retro: error: ")
        if message:
            assert run.stderr == f"retro: error: {message}\n"
    newcomer = retro_for(cli_server.url)
    run = newcomer("signup", unique("short"), "--password-stdin", input="abc\n")
    assert run.returncode == ExitCode.INVALID
    assert "password: This password is too short." in run.stderr
    run = newcomer("signup", retro.username, "--password-stdin", input=PASSWORD + "\n")
    assert run.returncode == ExitCode.INVALID
    assert run.stderr == "retro: error: username: A user with that username already exists.\n"


def test_unknown_user(person, cli_server):
    retro = person("lonely")
    for args in (["message", "nobody-here", "hi"], ["conversation", "nobody-here"]):
        run = retro(*args)
        assert run.returncode == ExitCode.NOT_FOUND, str(run)
        assert run.stderr == f"retro: error: no user named 'nobody-here' on {cli_server.url}\n"


def test_throttled_says_how_long_to_wait(make_live_server, retro_for):
    strict = make_live_server(API_THROTTLE_AUTH="2/minute")
    retro = retro_for(strict.url)
    fresh_window()
    for _ in range(2):
        assert retro.login("whoever", "wrong").returncode == ExitCode.AUTH
    run = retro.login("whoever", "wrong")
    assert run.returncode == ExitCode.THROTTLED, str(run)
    match = re.fullmatch(
        rf"retro: error: too many requests to {re.escape(strict.url)}: "
        r"try again in (\d+) seconds?\n",
        run.stderr,
    )
    assert match, run.stderr
    assert 0 < int(match.group(1)) <= 60


def test_empty_password_from_stdin_is_a_usage_error(retro_for, cli_server):
    run = retro_for(cli_server.url)("login", "someone", "--password-stdin", input="")
    assert run.returncode == ExitCode.USAGE
    assert run.stderr == "retro: error: no password on standard input\n"
