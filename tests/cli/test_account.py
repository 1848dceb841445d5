"""Accounts from the terminal against a real daphne: signup, login, post, feed, logout."""

from __future__ import annotations

import stat

from cli.errors import ExitCode
from tests.cli.helpers import PASSWORD
from tests.live import unique


def test_signup_login_post_and_the_feed_shows_it(cli_server, retro_for):
    alice = unique("alice")
    retro = retro_for(cli_server.url)

    signed_up = retro.ok("signup", alice, "--password-stdin", input=PASSWORD + "\n")
    assert f"Signed up as {alice} on {cli_server.url}" in signed_up.stdout
    retro.ok("logout")
    assert retro("whoami").returncode == ExitCode.AUTH

    logged_in = retro.login(alice)
    assert logged_in.returncode == 0, str(logged_in)
    assert f"Logged in to {cli_server.url} as {alice}." in logged_in.stdout
    me = retro.ok("whoami", "--json").json()
    assert me["username"] == alice and me["server"] == cli_server.url
    assert retro.ok("whoami").stdout.startswith(f"{alice} on {cli_server.url} (joined ")

    text = f"hello from the terminal {unique('')} [bold]not markup[/bold] :smile:"
    posted = retro.ok("post", text, "--json").json()
    assert posted["author"] == alice and posted["text"] == text

    feed = retro.ok("feed", "--limit", "5", "--json").json()
    assert feed[0] == posted
    assert len(feed) <= 5
    table = retro.ok("feed", "--limit", "5").stdout
    assert alice in table and "[bold]not markup[/bold] :smile:" in table  # shown literally


def test_post_from_standard_input(person):
    retro = person("piper")
    posted = retro.ok("post", "-", "--json", input="  piped\nin  \n").json()
    assert posted["text"] == "piped\nin"
    assert retro.ok("post", "second one").stdout.startswith("Posted #")


def test_the_feed_pages_through_more_than_one_page(person):
    retro = person("pager")
    for number in range(3):
        retro.ok("post", f"page test {number}")
    assert len(retro.ok("feed", "--limit", "3", "--json").json()) == 3
    # --limit above the API's page size follows the `next` links.
    everything = retro.ok("feed", "--limit", "250", "--json").json()
    ids = [post["id"] for post in everything]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids))


def test_token_file_is_readable_by_its_owner_only(person):
    retro = person("owner")
    tokens = retro.config_dir / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert stat.S_IMODE(retro.config_dir.stat().st_mode) == 0o700
    assert retro.username in tokens.read_text()


def test_logout_revokes_the_token_on_the_server(person, retro_for, cli_server):
    laptop = person("revoker")
    # The same person logged in from a second machine shares the token (one per user).
    desktop = retro_for(cli_server.url)
    assert desktop.login(laptop.username).returncode == 0
    desktop.ok("logout")
    run = laptop("whoami")
    assert run.returncode == ExitCode.AUTH
    assert run.stderr == (
        f"retro: error: the token saved for {cli_server.url} was revoked or has expired "
        "(run: retro login USERNAME)\n"
    )
    assert laptop("post", "after revocation").returncode == ExitCode.AUTH
    # Logging out once more forgets the dead token without failing.
    assert laptop.ok("logout").stderr.startswith("The server had already revoked the token.")
    assert laptop("whoami").stderr.startswith(f"retro: error: not logged in to {cli_server.url}")


def test_users_lists_everyone(person):
    first, second = person("listed"), person("listed")
    names = [user["username"] for user in first.ok("users", "--limit", "10000", "--json").json()]
    assert first.username in names and second.username in names
    assert names == sorted(names)
    assert first.username in first.ok("users", "--limit", "10000").stdout
