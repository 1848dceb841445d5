from django.utils.functional import SimpleLazyObject

from messaging.models import Message


def unread_messages(request):
    """`unread_message_count` for the header: one indexed COUNT, run only when a template
    actually shows it, and only for a logged-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    count = SimpleLazyObject(lambda: Message.objects.unread_by(user).count())
    return {"unread_message_count": count}
