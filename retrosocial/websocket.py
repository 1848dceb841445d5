"""
Who is on the other end of a websocket.

- A program sends `Authorization: Token <key>` with the handshake: the socket belongs to that
  token's user whatever its Origin header says, and needs none (command-line clients often
  send none). A browser cannot add that header to a websocket.
- A page cannot set headers on a websocket, but it can name subprotocols: the token goes as the
  two subprotocols `retrosocial.token` and then the key, e.g. in JavaScript
  `new WebSocket(url, ["retrosocial.token", key])`, which sends
  `Sec-WebSocket-Protocol: retrosocial.token, <key>`. The server accepts with
  `retrosocial.token` (never the key) as the chosen subprotocol, as browsers require. The
  socket belongs to the token's user, the cookie is not looked at, and the Origin, when there
  is one, must be the site's own or one of CORS_ALLOWED_ORIGINS: the origins that may use the
  API from a browser are exactly those that may use its sockets with a token.
- A bad or revoked token, sent either way, is refused outright rather than treated as
  anonymous.
- A program with no token and no Origin is anonymous: the public feed lets it in, the inbox
  does not. Its cookies, if it sent any, are not looked at.
- Everything else is a browser: the Origin must be the site's own (the scheme, host and port
  the socket came to, the host one of ALLOWED_HOSTS; or one of CSRF_TRUSTED_ORIGINS), so that
  another site cannot open a socket with the visitor's cookie; then the session cookie says
  who it is. CORS_ALLOWED_ORIGINS does not count here: cookie sockets stay same-origin.

Each socket also gets `scope["credential"]`: the topic that closes it (4401) when its token is
revoked or its session logs out (see retrosocial.live); and `scope["accept_subprotocol"]`, the
subprotocol its consumer accepts with (None when the client named none of ours).
"""

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain
from rest_framework.authtoken.models import Token

from retrosocial.live import credential

DEBUG_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
TOKEN_PROTOCOL = "retrosocial.token"  # the subprotocol named before the key


def header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def token_key(scope) -> str | None:
    """The key of an `Authorization: Token <key>` handshake header; "" if the header is there
    but malformed, None if there is none."""
    value = header(scope, b"authorization")
    if value is None:
        return None
    parts = value.split()
    if len(parts) == 2 and parts[0].lower() == "token":
        return parts[1]
    return ""


def protocol_token(scope) -> str | None:
    """The key a browser named as the subprotocol after `retrosocial.token`; "" if that
    subprotocol is there without a key after it, None if it is not there."""
    subprotocols = scope.get("subprotocols") or []
    if TOKEN_PROTOCOL not in subprotocols:
        return None
    index = subprotocols.index(TOKEN_PROTOCOL)
    return subprotocols[index + 1] if index + 1 < len(subprotocols) else ""


def cors_origin(origin: str) -> bool:
    """Is `origin` one of CORS_ALLOWED_ORIGINS (the same scheme, host and port)?"""
    got = urlsplit(origin.strip().lower())
    for allowed in settings.CORS_ALLOWED_ORIGINS:
        want = urlsplit(allowed.strip().lower())
        if (want.scheme, want.netloc) == (got.scheme, got.netloc):
            return True
    return False


def site_origin(scope, origin: str) -> bool:
    """Is `origin` this site's own: the scheme, host and port the socket came to?"""
    origin = origin.strip().lower()
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        want, got = urlsplit(trusted.lower()), urlsplit(origin)
        if want.scheme == got.scheme and is_same_domain(got.netloc, want.netloc.replace("*", "")):
            return True
    host = (header(scope, b"host") or "").strip().lower()
    secure = scope.get("scheme") in ("https", "wss") or (
        # Behind Heroku's router the original scheme arrives here, as it does for Django.
        settings.SECURE_PROXY_SSL_HEADER
        and header(scope, b"x-forwarded-proto") == settings.SECURE_PROXY_SSL_HEADER[1]
    )
    if not host or origin != f"{'https' if secure else 'http'}://{host}":
        return False
    hosts = settings.ALLOWED_HOSTS or (DEBUG_HOSTS if settings.DEBUG else [])
    domain, _port = split_domain_port(host)
    return validate_host(domain, [allowed for allowed in hosts if allowed != "*"])


@database_sync_to_async
def token_user(key: str):
    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


class SessionCredential:
    """Inside AuthMiddlewareStack: name the session a logged-in socket came with."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        session = scope.get("session")
        if scope["user"].is_authenticated and session is not None and session.session_key:
            scope = dict(scope, credential=credential("session", session.session_key))
        return await self.inner(scope, receive, send)


class WebsocketAuthMiddleware:
    """Token header → that user; token subprotocol → that user, from the site's origin or a
    CORS one; no token and no Origin → anonymous; otherwise the site's own Origin and the
    session cookie."""

    def __init__(self, inner):
        self.inner = inner
        self.browser = AuthMiddlewareStack(SessionCredential(inner))

    async def __call__(self, scope, receive, send):
        offered = TOKEN_PROTOCOL in (scope.get("subprotocols") or [])
        scope = dict(scope, accept_subprotocol=TOKEN_PROTOCOL if offered else None)
        origin = header(scope, b"origin")
        key = token_key(scope)
        if key is None:
            key = protocol_token(scope)
            if key is not None and origin is not None:
                if not (site_origin(scope, origin) or cors_origin(origin)):
                    return await WebsocketDenier()(scope, receive, send)
        if key is not None:
            user = await token_user(key) if key else None
            if user is None:
                return await WebsocketDenier()(scope, receive, send)
            scope = dict(scope, user=user, credential=credential("token", key))
            return await self.inner(scope, receive, send)
        if origin is None:
            return await self.inner(dict(scope, user=AnonymousUser()), receive, send)
        if not site_origin(scope, origin):
            return await WebsocketDenier()(scope, receive, send)
        return await self.browser(scope, receive, send)
