"""
The baseline ASGI application: the site's HTTP (pages and API) as it is in this tree, and
/ws/feed served by bench.baseline.consumers.FeedConsumer.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.baseline.consumers import FeedConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/feed", FeedConsumer.as_asgi())]),
    }
)
