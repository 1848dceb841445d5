"""
Writing posts. The page, the API and anything else that creates a post calls `post_create`:
it is the one place that saves a post and announces it on the live feed.
"""

from django.db import transaction

from posts.models import Post
from retrosocial import live

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
    """Send the post to every feed socket. Never waits on Redis and never raises: the post is
    saved, and if the live delivery fails the sockets are told to resync."""
    live.publish(post_payload(post), FEED_GROUP)


def post_create(*, author, text: str) -> Post:
    post = Post.objects.create(author=author, text=text)
    # Only announce what is really in the database: after the surrounding transaction commits.
    transaction.on_commit(lambda: post_broadcast(post))
    return post
