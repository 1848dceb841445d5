"""
Writing posts. The page, the API and anything else that creates a post calls `post_create`:
it is the one place that saves a post and announces it on the live feed.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from posts.models import Post

logger = logging.getLogger(__name__)

FEED_GROUP = "feed"


def post_payload(post: Post) -> dict:
    """The JSON form of a post, as the feed socket and the page's script see it."""
    return {
        "id": post.id,
        "author": post.author.username,
        "text": post.text,
        "created": post.created.isoformat(),
    }


def post_broadcast(post: Post) -> None:
    """Send the post to every feed socket. A failure is logged, never raised: the post is saved."""
    try:
        async_to_sync(get_channel_layer().group_send)(
            FEED_GROUP, {"type": "feed.post", "post": post_payload(post)}
        )
    except Exception:  # the channel layer (Redis) is down or unreachable
        logger.exception("Post %s was saved but could not be sent to the live feed", post.id)


def post_create(*, author, text: str) -> Post:
    post = Post.objects.create(author=author, text=text)
    # Only announce what is really in the database: after the surrounding transaction commits.
    transaction.on_commit(lambda: post_broadcast(post))
    return post
