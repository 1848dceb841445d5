from django.db.models import Max

from posts.models import Post
from posts.services import FEED_GROUP
from retrosocial.live import LiveConsumer


class FeedConsumer(LiveConsumer):
    """The public live feed: every new post, as JSON, to every connected client."""

    def topics(self):
        return [FEED_GROUP]

    def newest_id(self):
        return Post.objects.aggregate(newest=Max("id"))["newest"] or 0
