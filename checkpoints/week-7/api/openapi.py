"""
The API's OpenAPI description, kept apart from the views so that they read like views: for
each operation its id, tag, summary, what it accepts and every answer it can give, and the
error answers and parameters they share. A view class names its description with one
decorator, `@openapi.posts_list`. /api/schema/ is built from these; /api/docs/ shows it.
"""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from api import idempotency
from api import serializers as s


def error(description):
    """An error answer: always the one shape, {"code", "detail", "fields"?} (api/errors.py)."""
    return OpenApiResponse(s.ErrorSerializer, description=description)


BAD_REQUEST = error("Invalid input (`fields` says which), or a body that is not JSON.")
UNAUTHORIZED = error("No credentials, or an invalid token (`WWW-Authenticate: Token`).")
FORBIDDEN = error("A session request without a valid CSRF token.")
THROTTLED = error("Too many requests; the `Retry-After` header says how many seconds to wait.")
BAD_CURSOR = error("Invalid cursor.")
KEY_REUSED = error("The Idempotency-Key was used before with a different request.")
NO_SUCH_USER = error("No such user.")
USERNAME = OpenApiParameter("username", str, OpenApiParameter.PATH, description="The other person.")
PEEK = OpenApiParameter(
    "peek", bool, OpenApiParameter.QUERY, description="Read without marking anything read."
)
# What every list can answer besides a page: a bad page_size or ?after=, a bad token or cursor.
LIST_ERRORS = {400: BAD_REQUEST, 401: UNAUTHORIZED, 404: BAD_CURSOR}

METHODS = ("get", "post", "put", "patch", "delete")


def operation(**schema):
    """The decorator of a view class that serves one operation: `schema` describes the one
    method the class has (a class with two is an error: one view per operation)."""

    def describe(view):
        (method,) = [name for name in METHODS if hasattr(view, name)]
        return extend_schema_view(**{method: extend_schema(**schema)})(view)

    return describe


# --- accounts -------------------------------------------------------------------------------

signup = operation(
    operation_id="signup",
    tags=["auth"],
    summary="Create an account and get its token",
    request=s.SignupSerializer,
    responses={201: s.SignupResultSerializer, 400: BAD_REQUEST, 429: THROTTLED},
    auth=[],
)
token_create = operation(
    operation_id="token_create",
    tags=["auth"],
    summary="Log in: exchange a username and password for a token",
    request=s.TokenRequestSerializer,
    responses={200: s.TokenResultSerializer, 400: BAD_REQUEST, 429: THROTTLED},
    auth=[],
)
token_revoke = operation(
    operation_id="token_revoke",
    tags=["auth"],
    summary="Log out: revoke your token",
    request=None,
    responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN},
)
password_reset = operation(
    operation_id="password_reset",
    tags=["auth"],
    summary="Forgot your password: mail a link to choose a new one",
    description="Every active account with that email address is sent a link to the site's "
    "page for choosing a new password; the link works once. The answer is the same whether or "
    "not any account has the address.",
    request=s.PasswordResetSerializer,
    responses={202: s.PasswordResetResultSerializer, 400: BAD_REQUEST, 429: THROTTLED},
    auth=[],
)
me = operation(
    operation_id="me",
    tags=["users"],
    summary="Who am I",
    responses={200: s.MeSerializer, 401: UNAUTHORIZED},
)
me_update = operation(
    operation_id="me_update",
    tags=["users"],
    summary="Change your email address (null removes it)",
    request=s.MeUpdateSerializer,
    responses={200: s.MeSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN},
)
users_list = operation(
    operation_id="users_list",
    tags=["users"],
    summary="Everyone on the site, by username",
    responses={200: s.UserSerializer(many=True), **LIST_ERRORS},
)

# --- posts ----------------------------------------------------------------------------------

posts_list = operation(
    operation_id="posts_list",
    tags=["posts"],
    summary="The feed: newest first, or what came after a post",
    responses={200: s.PostSerializer(many=True), **LIST_ERRORS},
)
posts_create = operation(
    operation_id="posts_create",
    tags=["posts"],
    summary="Post to the feed (it goes out on /ws/feed at once)",
    parameters=[idempotency.PARAMETER],
    request=s.PostCreateSerializer,
    responses={
        201: s.PostSerializer,
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        422: KEY_REUSED,
        429: THROTTLED,
    },
)

# --- direct messages ------------------------------------------------------------------------

conversations_list = operation(
    operation_id="conversations_list",
    tags=["messages"],
    summary="Your conversations, newest first, with unread counts",
    responses={200: s.ConversationSerializer(many=True), **LIST_ERRORS},
)
inbox_list = operation(
    operation_id="inbox_list",
    tags=["messages"],
    summary="Every message you sent or received: newest first, or what came after a message",
    description="What /ws/inbox sends, for catching up after a reconnect or a resync frame "
    "with `?after=ID`. Marks nothing read.",
    responses={200: s.MessageSerializer(many=True), **LIST_ERRORS},
)
conversation_read = operation(
    operation_id="conversation_read",
    tags=["messages"],
    summary="One conversation: newest first, or what came after a message",
    description="Reading a conversation marks the messages the other person sent you as "
    "read, as opening it on the site does, unless `?peek=true` (what a program that only "
    "catches up after its /ws/inbox reconnects should send).",
    parameters=[USERNAME, PEEK],
    responses={
        200: s.MessageSerializer(many=True),
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        404: error("No such user, or an invalid cursor."),
    },
)
message_send = operation(
    operation_id="message_send",
    tags=["messages"],
    summary="Send a message (it goes out on both people's /ws/inbox at once)",
    parameters=[USERNAME, idempotency.PARAMETER],
    request=s.MessageCreateSerializer,
    responses={
        201: s.MessageSerializer,
        400: BAD_REQUEST,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NO_SUCH_USER,
        422: KEY_REUSED,
        429: THROTTLED,
    },
)
