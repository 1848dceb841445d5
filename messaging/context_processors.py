from django.db.models import Max
from django.utils.functional import SimpleLazyObject

from messaging.models import Message


def unread_messages(request):
    """`unread_message_count` for the header (one indexed COUNT) and `latest_message_id`, the
    newest message the user sent or received, where the header's live count starts from; each
    runs only when a template actually shows it, and only for a logged-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = SimpleLazyObject(lambda: Message.objects.unread_by(user).count())
    latest = SimpleLazyObject(
        lambda: Message.objects.involving(user).aggregate(latest=Max("id"))["latest"] or 0
    )
    return {"unread_message_count": count, "latest_message_id": latest}
