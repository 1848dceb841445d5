"""
The REST API (its contract: /api/schema/, read at /api/docs/): one view per operation, each
declaring who may call it and how often, and calling the same services the pages call —
users.services.user_create, posts.services.post_create, messaging.services.message_create —
counting the same limits (retrosocial.limits). A password reset is Django's
PasswordResetForm (users.services.password_reset_request), as on the site's page. Views without
`authentication_classes` take a token or the session (settings.REST_FRAMEWORK); what each
answers is in api/openapi.py.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from api import errors, idempotency, openapi
from api import serializers as s
from api.pagination import ConversationPagination, NewestFirstPagination, UsernamePagination
from api.throttles import AuthRateThrottle, WriteRateThrottle
from messaging.models import Message
from messaging.selectors import active_user, conversation_list
from messaging.services import conversation_mark_read, message_create
from posts.models import Post
from posts.services import post_create
from retrosocial import limits
from users.services import password_reset_request, user_create, user_set_email

User = get_user_model()
PASSWORD_RESET_SENT = (
    "If an account has that email address, a mail with a link to choose a new password is on "
    "its way."
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


# --- accounts -------------------------------------------------------------------------------


@openapi.signup
class SignupView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

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


@openapi.token_create
class TokenCreateView(APIView):
    # Logging in: no credentials needed to ask, so it is counted per client address.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

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
                raise errors.WrongCredentials()
            raise serializers.ValidationError(serializer.errors)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


@openapi.token_revoke
class TokenRevokeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@openapi.me
class MeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    def get(self, request):
        return Response(s.MeSerializer(request.user).data)


@openapi.me_update
class MeUpdateView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    def patch(self, request):
        serializer = s.MeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "email" in serializer.validated_data:
            try:
                user_set_email(user=request.user, email=serializer.validated_data["email"])
            except DjangoValidationError as exc:
                raise as_field_errors(exc) from exc
        return Response(s.MeSerializer(request.user).data)


@openapi.password_reset
class PasswordResetView(APIView):
    # Asked without credentials, so counted per client address like logging in. The answer is
    # the same whether or not an account has the address: it tells no one which ones do.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    def post(self, request):
        serializer = s.PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            password_reset_request(email=serializer.validated_data["email"], request=request)
        except DjangoValidationError as exc:
            raise as_field_errors(exc) from exc
        return Response({"detail": PASSWORD_RESET_SENT}, status=status.HTTP_202_ACCEPTED)


@openapi.users_list
class UserListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    throttle_classes = []
    serializer_class = s.UserSerializer
    pagination_class = UsernamePagination
    queryset = User.objects.filter(is_active=True)


# --- posts ----------------------------------------------------------------------------------


@openapi.posts_list
class PostListView(generics.ListAPIView):
    # The feed: readable without logging in.
    permission_classes = [AllowAny]
    throttle_classes = []
    serializer_class = s.PostSerializer
    pagination_class = NewestFirstPagination
    queryset = Post.objects.select_related("author")


@openapi.posts_create
class PostCreateView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [WriteRateThrottle]

    @idempotency.idempotent
    def post(self, request):
        serializer = s.PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            post = post_create(author=request.user, text=serializer.validated_data["text"])
        except DjangoValidationError as exc:
            raise as_field_errors(exc) from exc
        return Response(s.PostSerializer(post).data, status=status.HTTP_201_CREATED)


# --- direct messages ------------------------------------------------------------------------


@openapi.conversations_list
class ConversationListView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []
    serializer_class = s.ConversationSerializer
    pagination_class = ConversationPagination

    def get_queryset(self):
        return Message.objects.conversations(self.request.user)

    def get(self, request):
        rows = self.paginate_queryset(self.get_queryset())
        conversations = conversation_list(rows=rows)
        return self.get_paginated_response(s.ConversationSerializer(conversations, many=True).data)


@openapi.inbox_list
class InboxView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []
    serializer_class = s.MessageSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self):
        return Message.objects.involving(self.request.user).select_related("sender", "recipient")


@openapi.conversation_read
class ConversationReadView(generics.GenericAPIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []
    serializer_class = s.MessageSerializer
    pagination_class = NewestFirstPagination

    def get(self, request, username):
        other = other_user_or_404(username)
        peek = request.query_params.get("peek", "false")
        if peek not in ("true", "false"):
            raise serializers.ValidationError({"peek": ["Must be true or false."]})
        if peek == "false":
            conversation_mark_read(reader=request.user, other=other)
        page = self.paginate_queryset(Message.objects.between(request.user, other))
        return self.get_paginated_response(s.MessageSerializer(page, many=True).data)


@openapi.message_send
class MessageSendView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [WriteRateThrottle]

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
