"""
The RetroSocial API's endpoints, one function each: the only module that knows their paths, the
websockets' and the server's page limit (the README's "API" and "Live delivery" say what each
answers). Commands call these with a `Client` (cli/client.py), which sends the requests and
turns every failure into a CLIError.

Nothing heavy is imported here: the commands' modules may import it at the top.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cli.client import Client

PAGE_LIMIT = 200  # the most items one page of a list holds (the server's posts.models.PAGE_LIMIT)
FEED_SOCKET = "/ws/feed"  # every new post
INBOX_SOCKET = "/ws/inbox"  # the logged-in user's direct messages, sent and received


def _user_path(username: str) -> str:
    """`username` as one segment of a path: whatever it holds, it stays one."""
    from urllib.parse import quote

    return quote(username, safe="")


def _no_such_user(client: Client, username: str) -> str:
    return f"no user named {username!r} on {client.server}"


# --- accounts -------------------------------------------------------------------------------


def signup(client: Client, username: str, password: str, email: str | None = None) -> dict:
    """Create an account, with an email address if one is given: {"username", "token"}."""
    body = {"username": username, "password": password}
    if email is not None:
        body["email"] = email
    return client.post("/api/auth/signup", body)


def token(client: Client, username: str, password: str) -> dict:
    """Log in: {"token"}."""
    return client.post("/api/auth/token", {"username": username, "password": password})


def revoke_token(client: Client) -> None:
    """Log out: the client's token stops working, everywhere."""
    client.delete("/api/auth/token")


def me(client: Client) -> dict:
    """{"id", "username", "email" (None when the account has none), "date_joined"}."""
    return client.get("/api/me")


def set_email(client: Client, email: str | None) -> dict:
    """Change the logged-in account's email address (None removes it); the account as `me`."""
    return client.request("PATCH", "/api/me", json={"email": email})


def password_reset(client: Client, email: str) -> dict:
    """Ask for a mail with a link to choose a new password, sent to `email` if an account has
    that address; the answer ({"detail"}) is the same if none has."""
    return client.post("/api/auth/password-reset", {"email": email})


def users(client: Client, limit: int) -> Iterator[dict]:
    """The site's users by username, at most `limit`."""
    return client.pages("/api/users", limit=limit)


# --- posts ----------------------------------------------------------------------------------


def post(client: Client, text: str) -> dict:
    """Post to the public feed (sent again with the same key if the connection breaks)."""
    return client.post("/api/posts", {"text": text}, idempotent=True)


def feed(client: Client, limit: int) -> Iterator[dict]:
    """The newest posts, newest first, at most `limit`."""
    return client.pages("/api/posts", limit=limit)


def newest_posts(client: Client, count: int) -> list[dict]:
    """One page of the newest posts, newest first: `count` of them (at least one is asked for)."""
    return client.get("/api/posts", page_size=max(count, 1))["results"]


def posts_after(client: Client, after: int) -> list[dict]:
    """Every post newer than id `after`, oldest first."""
    return list(client.pages("/api/posts", after=after, page_size=PAGE_LIMIT))


# --- direct messages ------------------------------------------------------------------------


def send_message(client: Client, username: str, text: str) -> dict:
    """A direct message to `username` (sent again with the same key if the connection breaks)."""
    return client.post(
        f"/api/messages/{_user_path(username)}",
        {"text": text},
        not_found=_no_such_user(client, username),
        idempotent=True,
    )


def conversations(client: Client) -> Iterator[dict]:
    """The logged-in user's conversations, the most recent first."""
    return client.pages("/api/messages")


def conversation(client: Client, username: str, limit: int) -> Iterator[dict]:
    """The latest messages with `username`, newest first, at most `limit` (marks them read)."""
    return client.pages(
        f"/api/messages/{_user_path(username)}",
        limit=limit,
        not_found=_no_such_user(client, username),
    )


def newest_inbox(client: Client) -> list[dict]:
    """The newest message sent or received (a list of one, or none)."""
    return client.get("/api/inbox", page_size=1)["results"]


def inbox_after(client: Client, after: int) -> list[dict]:
    """Every message sent or received newer than id `after`, oldest first (marks none read)."""
    return list(client.pages("/api/inbox", after=after, page_size=PAGE_LIMIT))


# --- websockets -----------------------------------------------------------------------------


def socket_url(server: str, path: str) -> str:
    """The websocket at `path` of `server` (wss:// for an https:// site)."""
    if server.startswith("https://"):
        return "wss://" + server.removeprefix("https://") + path
    return "ws://" + server.removeprefix("http://") + path


def authorization(token: str) -> str:
    """The Authorization header's value that signs requests and sockets in with `token`."""
    return f"Token {token}"


def socket_headers(client: Client) -> list[str]:
    """The headers that open a socket as the logged-in user (the inbox)."""
    return [f"Authorization: {authorization(client.token)}"]
