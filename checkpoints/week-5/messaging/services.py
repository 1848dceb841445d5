"""
Writing direct messages. The pages, the API and anything else that sends a message calls
`message_create`: it is the one place that checks, saves and delivers a message.

A message is delivered live to the inbox group of each of its two participants, and to
nobody else: a user's inbox socket joins that user's group only.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from messaging.models import Message

logger = logging.getLogger(__name__)


def inbox_group(user_id: int) -> str:
    """The channel-layer group of one user's open inbox sockets."""
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
    """Send the message to its two participants' sockets. A failure is logged, never raised:
    the message is saved and the recipient sees it on the next page load or catch-up."""
    event = {"type": "inbox.message", "message": message_payload(message)}
    try:
        send = async_to_sync(get_channel_layer().group_send)
        for user_id in {message.sender_id, message.recipient_id}:
            send(inbox_group(user_id), event)
    except Exception:  # the channel layer (Redis) is down or unreachable
        logger.exception("Message %s was saved but could not be delivered live", message.id)


def message_create(*, sender, recipient, text: str) -> Message:
    """Save a message from `sender` to `recipient` and deliver it once it is committed.

    Raises django.core.exceptions.ValidationError, saving nothing, when the text is empty or
    longer than MAX_MESSAGE_LENGTH after trimming, or when sender and recipient are one person.
    """
    message = Message(sender=sender, recipient=recipient, text=text.strip())
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
