from channels.generic.websocket import AsyncJsonWebsocketConsumer

from messaging.services import inbox_group


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """A user's own direct messages, live: each new message they sent or received, as JSON.

    The user comes from the session cookie (AuthMiddlewareStack in asgi.py); an anonymous
    socket is refused before it is accepted.
    """

    group = None

    async def connect(self):
        # Client → server: join this user's own inbox group only, or refuse the socket.
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        self.group = inbox_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Client → server: the inbox only speaks; whatever a client sends is ignored.
        pass

    async def disconnect(self, code):
        # Client went away: leave the group (if the socket ever joined one).
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def inbox_message(self, event):
        # Server → client: a message to or from this user was saved.
        await self.send_json(event["message"])
