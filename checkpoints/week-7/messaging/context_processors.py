from django.db.models import Count, Max, Q
from django.utils.functional import SimpleLazyObject

from messaging.models import Message


def unread_messages(request):
    """`unread_message_count` for the header and `latest_message_id`, the newest message the
    user sent or received, where the header's live count starts from. Both come from one
    query, run only when a template actually shows them, and only for a logged-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    header = SimpleLazyObject(
        lambda: Message.objects.involving(user).aggregate(
            latest=Max("id"), unread=Count("id", filter=Q(recipient=user, read__isnull=True))
        )
    )
    return {
        "unread_message_count": SimpleLazyObject(lambda: header["unread"]),
        "latest_message_id": SimpleLazyObject(lambda: header["latest"] or 0),
    }
