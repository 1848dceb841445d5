"""
Writing direct messages. The pages, the API and anything else that sends a message calls
`message_create`: it is the one place that checks, saves and delivers a message.

A message is delivered live to the inbox group of each of its two participants, and to
nobody else: a user's inbox socket joins that user's group only.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from messaging.models import MAX_MESSAGE_LENGTH, Message
from retrosocial import live
from retrosocial.text import clean_text


def inbox_group(user_id: int) -> str:
    """The live topic of one user's open inbox sockets."""
    return f"inbox.{user_id}"


def message_payload(message: Message) -> dict:
    """The JSON form of a message, as the inbox socket, the API and the page's script see it."""
    return {
        "id": message.id,
        "sender": message.sender.username,
        "recipient": message.recipient.username,
        "text": message.text,
        "created": message.created.isoformat(),
        "read": message.read.isoformat() if message.read else None,
    }


def message_broadcast(message: Message) -> None:
    """Send the message to its two participants' sockets. Never waits on Redis and never
    raises: the message is saved, and if the live delivery fails the sockets resync."""
    people = {message.sender_id, message.recipient_id}
    live.publish(message_payload(message), *(inbox_group(user_id) for user_id in people))


def message_create(*, sender, recipient, text: str) -> Message:
    """Save a message from `sender` to `recipient` and deliver it once it is committed.

    Raises django.core.exceptions.ValidationError, saving nothing, when the text breaks the
    rules of retrosocial.text (empty or only invisible characters once trimmed, longer than
    MAX_MESSAGE_LENGTH, a NUL or a bidirectional override character), or when sender and
    recipient are one person.
    """
    try:
        text = clean_text(text, max_length=MAX_MESSAGE_LENGTH, what="A message")
    except ValidationError as error:
        raise ValidationError({"text": error.error_list}) from error
    message = Message(sender=sender, recipient=recipient, text=text)
    # The participants are real users already; check the text and Message.clean (not to self).
    message.full_clean(exclude=["sender", "recipient"])
    message.save()
    transaction.on_commit(lambda: message_broadcast(message))
    return message


def conversation_mark_read(*, reader, other) -> int:
    """Mark every message `other` sent to `reader` as read now; returns how many were unread."""
    return (
        Message.objects.unread_by(reader).filter(sender=other).update(read=timezone.now())
    )
