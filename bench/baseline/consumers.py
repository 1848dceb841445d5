"""The feed consumer and broadcast as the course first wrote them, under a group of their own."""

import logging

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from posts.models import Post

logger = logging.getLogger(__name__)

# Not the site's group name: whatever the site itself does with a new post, only this module
# sends to these sockets, once per post.
FEED_GROUP = "bench-baseline-feed"


def post_payload(post: Post) -> dict:
    return {
        "id": post.id,
        "author": post.author.username,
        "text": post.text,
        "created": post.created.isoformat(),
    }


def post_broadcast(post: Post) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(
            FEED_GROUP, {"type": "feed.post", "post": post_payload(post)}
        )
    except Exception:
        logger.exception("Post %s was saved but could not be sent to the live feed", post.id)


@receiver(post_save, sender=Post, dispatch_uid="bench-baseline-broadcast")
def announce(sender, instance, created, **kwargs):
    if created:
        transaction.on_commit(lambda: post_broadcast(instance))


class FeedConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(FEED_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(FEED_GROUP, self.channel_name)

    async def feed_post(self, event):
        await self.send_json(event["post"])
