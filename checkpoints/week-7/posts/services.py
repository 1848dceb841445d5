"""
Writing posts. The page, the API and anything else that creates a post calls `post_create`:
it is the one place that saves a post and announces it on the live feed.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from posts.models import MAX_POST_LENGTH, Post
from retrosocial import live
from retrosocial.cache import cached, forget
from retrosocial.text import clean_text

FEED_GROUP = "feed"
POSTS_PER_PAGE = 50


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


def feed_first_page() -> tuple[list[dict], int]:
    """The newest POSTS_PER_PAGE posts as rows, and how many posts there are in all: what
    nearly every visit to the home page reads. From the cache; post_create renews it."""
    return cached(
        "feed",
        lambda: (list(Post.objects.newest_first().rows()[:POSTS_PER_PAGE]), Post.objects.count()),
    )


def post_create(*, author, text: str) -> Post:
    """Save a post by `author` and announce it once it is committed.

    Raises django.core.exceptions.ValidationError ({"text": [...]}), saving nothing, when the
    text breaks the rules of retrosocial.text: empty or only invisible characters once trimmed,
    longer than MAX_POST_LENGTH, a NUL or a bidirectional override character.
    """
    try:
        text = clean_text(text, max_length=MAX_POST_LENGTH, what="A post")
    except ValidationError as error:
        raise ValidationError({"text": error.error_list}) from error
    post = Post.objects.create(author=author, text=text)
    forget("feed")  # the first page changes, once the post is committed
    # Only announce what is really in the database: after the surrounding transaction commits.
    transaction.on_commit(lambda: post_broadcast(post))
    return post
