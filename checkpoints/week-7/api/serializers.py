"""
Input and output shapes of the API. Output serializers of posts and messages render through
posts.services.post_payload and messaging.services.message_payload, so the API and the
websockets send byte-for-byte the same JSON; their fields are declared for the schema.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from api.errors import CODES
from messaging.models import MAX_MESSAGE_LENGTH
from messaging.services import message_payload
from posts.models import MAX_POST_LENGTH
from posts.services import post_payload
from retrosocial.text import REFUSED_PATTERN, clean_text, visible_pattern

User = get_user_model()


class StrictCharField(serializers.CharField):
    """A text input that takes JSON strings only. DRF's CharField turns 12 or 1.5 into "12" or
    "1.5", which the schema (type: string) does not allow: the fuzzer caught it."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class EmailAddressField(serializers.EmailField):
    """An email address (Django's rules, at most 254 characters): JSON strings only, as
    StrictCharField. An account without an address shows null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

    def to_representation(self, value):
        return value or None


class TextField(StrictCharField):
    """What people write: at most `max_length` characters as sent, then the rules of
    retrosocial.text (trimmed, not blank or invisible, no NUL or bidirectional override). The
    schema says the same (TextFieldSchema), so the fuzzer and the site agree on what is valid."""

    def __init__(self, *, what: str, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)
        self.what = what

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        if not data.strip():
            self.fail("blank")
        try:
            return clean_text(data, max_length=self.max_length, what=self.what)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class TextFieldSchema(OpenApiSerializerFieldExtension):
    target_class = TextField

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "minLength": 1,
            "maxLength": self.target.max_length,
            "pattern": visible_pattern(),
            "not": {"pattern": REFUSED_PATTERN},
        }


class SignupSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
    }
    password = StrictCharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    email = EmailAddressField(
        required=False,
        write_only=True,
        help_text="Optional: where a link to choose a new password is sent if you forget it.",
    )

    class Meta:
        model = User
        fields = ["username", "password", "email"]


class SignupResultSerializer(serializers.Serializer):
    username = serializers.CharField()
    token = serializers.CharField()


class TokenResultSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    email = EmailAddressField(
        allow_null=True,
        read_only=True,
        help_text="Where a password reset is sent; null when the account has none.",
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "date_joined"]


class MeUpdateSerializer(serializers.Serializer):
    email = EmailAddressField(
        allow_null=True,
        required=False,
        help_text="Your new email address, or null to remove it.",
    )


class PasswordResetSerializer(serializers.Serializer):
    email = EmailAddressField(help_text="The email address of the account.")


class PasswordResetResultSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="The same sentence whatever the address.")


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "date_joined"]


class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(help_text="The author's username.")
    text = serializers.CharField()
    created = serializers.DateTimeField()

    def to_representation(self, instance):
        return post_payload(instance)


class TokenRequestSerializer(AuthTokenSerializer):
    username = StrictCharField(label="Username", write_only=True)
    password = StrictCharField(
        label="Password", style={"input_type": "password"}, trim_whitespace=False,
        write_only=True,
    )


class PostCreateSerializer(serializers.Serializer):
    text = TextField(
        what="A post",
        max_length=MAX_POST_LENGTH,
        help_text="At most 500 characters, trimmed; not only blank or invisible characters; "
        "no NUL or bidirectional override characters.",
    )


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sender = serializers.CharField(help_text="The sender's username.")
    recipient = serializers.CharField(help_text="The recipient's username.")
    text = serializers.CharField()
    created = serializers.DateTimeField()
    read = serializers.DateTimeField(
        allow_null=True, help_text="When the recipient opened the conversation; null if unread."
    )

    def to_representation(self, instance):
        return message_payload(instance)


class MessageCreateSerializer(serializers.Serializer):
    text = TextField(
        what="A message",
        max_length=MAX_MESSAGE_LENGTH,
        help_text="At most 2000 characters, trimmed; not only blank or invisible characters; "
        "no NUL or bidirectional override characters.",
    )


class ConversationSerializer(serializers.Serializer):
    username = serializers.CharField(source="other.username", help_text="The other person.")
    last_message = MessageSerializer()
    unread = serializers.IntegerField(help_text="Messages from them you have not read yet.")


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API, in one shape (api/errors.py)."""

    code = serializers.ChoiceField(choices=list(CODES.items()), help_text="What went wrong.")
    detail = serializers.CharField(help_text="What went wrong, in a sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Only when some field is in error: each one's messages.",
    )
