"""
Input and output shapes of the API. Output serializers of posts and messages render through
posts.services.post_payload and messaging.services.message_payload, so the API and the
websockets send byte-for-byte the same JSON; their fields are declared for the schema.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer

from messaging.models import MAX_MESSAGE_LENGTH
from messaging.services import message_payload
from posts.models import MAX_POST_LENGTH
from posts.services import post_payload

User = get_user_model()


class StrictCharField(serializers.CharField):
    """A text input that takes JSON strings only. DRF's CharField turns 12 or 1.5 into "12" or
    "1.5", which the schema (type: string) does not allow: the fuzzer caught it."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SignupSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
    }
    password = StrictCharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )

    class Meta:
        model = User
        fields = ["username", "password"]

    def validate(self, attrs):
        # Django's password validators, including "too similar to the username".
        try:
            validate_password(attrs["password"], user=User(username=attrs["username"]))
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class SignupResultSerializer(serializers.Serializer):
    username = serializers.CharField()
    token = serializers.CharField()


class TokenResultSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "date_joined"]


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
    text = StrictCharField(
        max_length=MAX_POST_LENGTH, help_text="1 to 500 characters after trimming."
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
    text = StrictCharField(
        max_length=MAX_MESSAGE_LENGTH, help_text="1 to 2000 characters after trimming."
    )


class ConversationSerializer(serializers.Serializer):
    username = serializers.CharField(source="other.username", help_text="The other person.")
    last_message = MessageSerializer()
    unread = serializers.IntegerField(help_text="Messages from them you have not read yet.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer):
    """{"field": ["message", ...]} for each field in error, or "non_field_errors"."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
