"""
Who is on the other end of a websocket.

- A program sends `Authorization: Token <key>` with the handshake: the socket belongs to that
  token's user and needs no Origin header (command-line clients often send none). A browser
  cannot add that header to a websocket, so a page on another site cannot borrow a token.
  A bad or revoked token is refused outright rather than treated as anonymous.
- Everything else is a browser: the session cookie says who it is, and the Origin must be one
  of the site's own hosts (ALLOWED_HOSTS) so another site cannot open a socket with the
  visitor's cookie — channels' AllowedHostsOriginValidator, except that a "*" in ALLOWED_HOSTS
  admits no origin: it would let every site in.
"""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from rest_framework.authtoken.models import Token

DEBUG_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def site_origins_only(application):
    """AllowedHostsOriginValidator without its wildcard."""
    hosts = settings.ALLOWED_HOSTS or (DEBUG_HOSTS if settings.DEBUG else [])
    return OriginValidator(application, [host for host in hosts if host != "*"])


def token_key(scope) -> str | None:
    """The key of an `Authorization: Token <key>` handshake header; "" if the header is there
    but malformed, None if there is none."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            parts = value.decode("latin-1").split()
            if len(parts) == 2 and parts[0].lower() == "token":
                return parts[1]
            return ""
    return None


@database_sync_to_async
def token_user(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


class WebsocketAuthMiddleware:
    """Token header → that user, no Origin check; otherwise session cookie + Origin check."""

    def __init__(self, inner):
        self.inner = inner
        self.browser = site_origins_only(AuthMiddlewareStack(inner))

    async def __call__(self, scope, receive, send):
        key = token_key(scope)
        if key is None:
            return await self.browser(scope, receive, send)
        user = await token_user(key) if key else None
        if user is None:
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.inner(dict(scope, user=user), receive, send)
