"""
Mail leaves through the worker. Django sends every message (a password reset, a server
error's report to ADMINS) through settings.EMAIL_BACKEND; this backend does not talk to a
mail server while a request waits: it writes each message into a task, `deliver`, and the
worker (`python manage.py db_worker`) sends it with settings.MAIL_DELIVERY_BACKEND.

If the task cannot be enqueued (the database is down: the very error being reported, perhaps),
the message is sent at once instead, so no mail is lost.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django_tasks import task

logger = logging.getLogger(__name__)


def as_data(message) -> dict:
    """A message as JSON, the form a task's arguments take."""
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [list(pair) for pair in getattr(message, "alternatives", [])],
    }


def from_data(data: dict) -> EmailMultiAlternatives:
    return EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        alternatives=[tuple(pair) for pair in data["alternatives"]],
    )


def delivery_connection(**kwargs):
    return get_connection(settings.MAIL_DELIVERY_BACKEND, **kwargs)


@task()
def deliver(messages: list[dict]) -> int:
    """Send the messages (in the worker); returns how many went. A failure fails the task, and
    the worker's log and the admin's task results show why."""
    return delivery_connection().send_messages([from_data(data) for data in messages])


class TaskEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        queued, now = [], []
        for message in email_messages:
            # Attachments are not JSON: such a message goes at once.
            (now if message.attachments else queued).append(message)
        if queued:
            try:
                # In a savepoint: a failed insert must not break the caller's transaction.
                with transaction.atomic():
                    deliver.enqueue([as_data(message) for message in queued])
            except Exception:  # whatever stops the enqueue, the message is sent now instead
                logger.exception("could not enqueue %d message(s); sending them now", len(queued))
                now.extend(queued)
        if now:
            delivery_connection(fail_silently=self.fail_silently).send_messages(now)
        return len(email_messages)
