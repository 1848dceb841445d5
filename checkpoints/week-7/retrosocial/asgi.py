"""
ASGI entry point: plain HTTP goes to Django, websockets to the consumers in routing.py.

Daphne serves this (`daphne retrosocial.asgi:application`, or `manage.py runserver`
with daphne in INSTALLED_APPS).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retrosocial.settings")
# Set Django up before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from retrosocial.routing import websocket_urlpatterns  # noqa: E402
from retrosocial.websocket import WebsocketAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # An API token in the handshake, or else the session cookie with an Origin check.
        "websocket": WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
