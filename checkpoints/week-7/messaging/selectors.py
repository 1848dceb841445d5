"""Reading direct messages: a user's list of conversations."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from messaging.models import Message


@dataclass
class Conversation:
    other: object  # the other person (a User)
    last_message: Message
    unread: int


def conversation_list(*, rows) -> list[Conversation]:
    """Turn rows of Message.objects.conversations(user) (a page of them) into Conversations,
    with two queries whatever the number of rows."""
    rows = list(rows)
    people = get_user_model().objects.in_bulk([row["other"] for row in rows])
    last = Message.objects.select_related("sender", "recipient").in_bulk(
        [row["last_id"] for row in rows]
    )
    return [
        Conversation(other=people[row["other"]], last_message=last[row["last_id"]],
                     unread=row["unread"])
        for row in rows
    ]


def active_user(username: str):
    """The active user called `username`, or None. A name no account could have (wrong
    characters, a NUL byte, too long) is never sent to the database."""
    User = get_user_model()
    field = User._meta.get_field("username")
    if not username or len(username) > field.max_length:
        return None
    try:
        for validator in field.validators:
            validator(username)
    except ValidationError:
        return None
    return User.objects.filter(username=username, is_active=True).first()
