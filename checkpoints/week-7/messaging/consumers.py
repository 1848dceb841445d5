from messaging.services import inbox_group
from retrosocial.live import LiveConsumer


class InboxConsumer(LiveConsumer):
    """A user's own direct messages, live: each new message they sent or received, as JSON.

    The user comes from the session cookie or an API token (see retrosocial.websocket); an anonymous
    socket is refused before it is accepted.
    """

    def topics(self):
        # This user's own inbox only; an anonymous socket listens to nothing and is refused.
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return []
        return [inbox_group(user.pk)]
