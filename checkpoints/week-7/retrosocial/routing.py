"""Websocket URLs: the websocket counterpart of urls.py."""

from django.urls import path

from messaging.consumers import InboxConsumer
from posts.consumers import FeedConsumer

websocket_urlpatterns = [
    path("ws/feed", FeedConsumer.as_asgi()),
    path("ws/inbox", InboxConsumer.as_asgi()),
]
