from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, F, Max, Q, When

MAX_MESSAGE_LENGTH = 2000
MESSAGE_TO_SELF_ERROR = "You cannot send a message to yourself."


class MessageQuerySet(models.QuerySet):
    def involving(self, user):
        """Every message `user` sent or received: all that user may ever see."""
        return self.filter(Q(sender=user) | Q(recipient=user))

    def between(self, user, other):
        """The conversation of two people, in both directions."""
        return self.filter(
            Q(sender=user, recipient=other) | Q(sender=other, recipient=user)
        ).select_related("sender", "recipient")

    def newest_first(self):
        return self.order_by("-created", "-id")

    def after(self, message_id):
        """Messages newer than `message_id`, oldest first: what a client that saw it missed."""
        return self.filter(id__gt=message_id).order_by("id")

    def unread_by(self, user):
        return self.filter(recipient=user, read__isnull=True)

    def conversations(self, user):
        """One row per person `user` has exchanged messages with, newest conversation first:
        {"other": user id, "last_id": id of the latest message, "unread": messages to `user`
        from them not yet read}."""
        return (
            self.involving(user)
            .annotate(other=Case(When(sender=user, then=F("recipient")), default=F("sender")))
            .values("other")
            .annotate(
                last_id=Max("id"),
                unread=Count("id", filter=Q(recipient=user, read__isnull=True)),
            )
            .order_by("-last_id")
        )


class Message(models.Model):
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_sent"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages_received"
    )
    text = models.CharField(max_length=MAX_MESSAGE_LENGTH)
    created = models.DateTimeField(auto_now_add=True)
    # When the recipient opened the conversation; empty while unread.
    read = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # The header's unread count: WHERE recipient = me AND read IS NULL.
            models.Index(fields=["recipient", "read"], name="message_unread"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sender=F("recipient")), name="message_not_to_self"
            ),
        ]

    def __str__(self):
        return f"{self.sender} → {self.recipient}: {self.text[:50]}"

    def clean(self):
        if self.sender_id is not None and self.sender_id == self.recipient_id:
            raise ValidationError(MESSAGE_TO_SELF_ERROR, code="to_self")
