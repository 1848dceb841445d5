"""
The REST API (its contract: /api/schema/, read at /api/docs/): one view per URL, each calling the
same services the pages call — users.services.user_create, posts.services.post_create,
messaging.services.message_create — and counting the same limits (retrosocial.limits).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api import idempotency
from api import serializers as s
from api.pagination import ConversationPagination, NewestFirstPagination, UsernamePagination
from api.throttles import AuthRateThrottle, WriteRateThrottle
from messaging.models import Message
from messaging.selectors import active_user, conversation_list
from messaging.services import conversation_mark_read, message_create
from posts.models import Post
from posts.services import post_create
from retrosocial import limits
from users.services import user_create

User = get_user_model()

FIELD_ERRORS = {
    "type": "object",
    "description": 'Field errors: {"field": ["message", ...]}; errors that belong to no field '
    'come under "non_field_errors".',
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def error(description):
    return OpenApiResponse(s.ErrorSerializer, description=description)


BAD_REQUEST = OpenApiResponse(
    {
        "anyOf": [
            FIELD_ERRORS,
            {
                "type": "object",
                "description": "A body that is not JSON: {\"detail\": \"JSON parse error - ...\"}",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            },
        ]
    },
    description="Invalid input; nothing was saved.",
)
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


def as_field_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    """A service's ValidationError as DRF's 400 body."""
    if not hasattr(exc, "error_dict"):
        return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    return serializers.ValidationError(
        {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
            for field, messages in exc.message_dict.items()
        }
    )


def other_user_or_404(username: str):
    user = active_user(username)
    if user is None:
        raise NotFound(f"No user called {username!r}.")
    return user


class SignupView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        operation_id="signup",
        tags=["auth"],
        summary="Create an account and get its token",
        request=s.SignupSerializer,
        responses={201: s.SignupResultSerializer, 400: BAD_REQUEST, 429: THROTTLED},
        auth=[],
    )
    def post(self, request):
        serializer = s.SignupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = user_create(**serializer.validated_data)
        except DjangoValidationError as exc:
            raise as_field_errors(exc) from exc
        token = Token.objects.create(user=user)
        return Response(
            {"username": user.username, "token": token.key}, status=status.HTTP_201_CREATED
        )


class TokenView(APIView):
    # POST logs in (no credentials needed to ask); DELETE revokes the caller's token.

    def logging_in(self) -> bool:
        request = getattr(self, "request", None)  # None while the schema is generated
        return request is not None and request.method == "POST"

    def get_authenticators(self):
        return [] if self.logging_in() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self.logging_in() else [IsAuthenticated()]

    def get_throttles(self):
        return [AuthRateThrottle()] if self.logging_in() else []

    @extend_schema(
        operation_id="token_create",
        tags=["auth"],
        summary="Log in: exchange a username and password for a token",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenResultSerializer, 400: BAD_REQUEST, 429: THROTTLED},
        auth=[],
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        account = limits.account_key(data.get("username", ""))
        # A locked account is refused before its password is checked (and hashed).
        wait = limits.reached("login", account)
        if wait:
            raise Throttled(wait)
        serializer = s.TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if "non_field_errors" in serializer.errors:  # a wrong password
                limits.hit("login", account)
            raise serializers.ValidationError(serializer.errors)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(
        operation_id="token_revoke",
        tags=["auth"],
        summary="Log out: revoke your token",
        request=None,
        responses={204: None, 401: UNAUTHORIZED, 403: FORBIDDEN},
    )
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me",
        tags=["users"],
        summary="Who am I",
        responses={200: s.MeSerializer, 401: UNAUTHORIZED},
    )
    def get(self, request):
        return Response(s.MeSerializer(request.user).data)


class UsersView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = s.UserSerializer
    pagination_class = UsernamePagination
    queryset = User.objects.filter(is_active=True)

    @extend_schema(
        operation_id="users_list",
        tags=["users"],
        summary="Everyone on the site, by username",
        responses={200: s.UserSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHORIZED,
                   404: BAD_CURSOR},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PostsView(generics.GenericAPIView):
    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_classes = [WriteRateThrottle]
    pagination_class = NewestFirstPagination
    serializer_class = s.PostSerializer
    queryset = Post.objects.select_related("author")

    @extend_schema(
        operation_id="posts_list",
        tags=["posts"],
        summary="The feed: newest first, or what came after a post",
        responses={200: s.PostSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHORIZED,
                   404: BAD_CURSOR},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.PostSerializer(page, many=True).data)

    @extend_schema(
        operation_id="posts_create",
        tags=["posts"],
        summary="Post to the feed (it goes out on /ws/feed at once)",
        parameters=[idempotency.PARAMETER],
        request=s.PostCreateSerializer,
        responses={201: s.PostSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN,
                   422: KEY_REUSED, 429: THROTTLED},
    )
    @idempotency.idempotent
    def post(self, request):
        serializer = s.PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            post = post_create(author=request.user, text=serializer.validated_data["text"])
        except DjangoValidationError as exc:
            raise as_field_errors(exc) from exc
        return Response(s.PostSerializer(post).data, status=status.HTTP_201_CREATED)


class ConversationsView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = ConversationPagination
    serializer_class = s.ConversationSerializer

    def get_queryset(self):
        return Message.objects.conversations(self.request.user)

    @extend_schema(
        operation_id="conversations_list",
        tags=["messages"],
        summary="Your conversations, newest first, with unread counts",
        responses={200: s.ConversationSerializer(many=True), 400: BAD_REQUEST,
                   401: UNAUTHORIZED, 404: BAD_CURSOR},
    )
    def get(self, request):
        rows = self.paginate_queryset(self.get_queryset())
        conversations = conversation_list(rows=rows)
        return self.get_paginated_response(
            s.ConversationSerializer(conversations, many=True).data
        )


class InboxView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = NewestFirstPagination
    serializer_class = s.MessageSerializer

    @extend_schema(
        operation_id="inbox_list",
        tags=["messages"],
        summary="Every message you sent or received: newest first, or what came after a message",
        description="What /ws/inbox sends, for catching up after a reconnect or a resync frame "
        "with `?after=ID`. Marks nothing read.",
        responses={200: s.MessageSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHORIZED,
                   404: BAD_CURSOR},
    )
    def get(self, request):
        messages = Message.objects.involving(request.user).select_related("sender", "recipient")
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(s.MessageSerializer(page, many=True).data)


class ConversationView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [WriteRateThrottle]
    pagination_class = NewestFirstPagination
    serializer_class = s.MessageSerializer

    @extend_schema(
        operation_id="conversation_read",
        tags=["messages"],
        summary="One conversation: newest first, or what came after a message",
        description="Reading a conversation marks the messages the other person sent you as "
        "read, as opening it on the site does, unless `?peek=true` (what a program that only "
        "catches up after its /ws/inbox reconnects should send).",
        parameters=[USERNAME, PEEK],
        responses={200: s.MessageSerializer(many=True), 400: BAD_REQUEST, 401: UNAUTHORIZED,
                   404: OpenApiResponse(s.ErrorSerializer, description="No such user, or an "
                                        "invalid cursor.")},
    )
    def get(self, request, username):
        other = other_user_or_404(username)
        peek = request.query_params.get("peek", "false")
        if peek not in ("true", "false"):
            raise serializers.ValidationError({"peek": ["Must be true or false."]})
        if peek == "false":
            conversation_mark_read(reader=request.user, other=other)
        page = self.paginate_queryset(Message.objects.between(request.user, other))
        return self.get_paginated_response(s.MessageSerializer(page, many=True).data)

    @extend_schema(
        operation_id="message_send",
        tags=["messages"],
        summary="Send a message (it goes out on both people's /ws/inbox at once)",
        parameters=[USERNAME, idempotency.PARAMETER],
        request=s.MessageCreateSerializer,
        responses={201: s.MessageSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED,
                   403: FORBIDDEN, 404: NO_SUCH_USER, 422: KEY_REUSED, 429: THROTTLED},
    )
    @idempotency.idempotent
    def post(self, request, username):
        other = other_user_or_404(username)
        serializer = s.MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            message = message_create(
                sender=request.user, recipient=other, text=serializer.validated_data["text"]
            )
        except DjangoValidationError as exc:
            raise as_field_errors(exc) from exc
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)
