from channels.generic.websocket import AsyncJsonWebsocketConsumer

from posts.services import FEED_GROUP


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """The public live feed: every new post, as JSON, to every connected client."""

    async def connect(self):
        # Client → server: join the feed group, then accept the socket.
        await self.channel_layer.group_add(FEED_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        # Client went away: leave the group.
        await self.channel_layer.group_discard(FEED_GROUP, self.channel_name)

    async def feed_post(self, event):
        # Server → client: a post was saved somewhere on the site.
        await self.send_json(event["post"])
