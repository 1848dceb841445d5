"""WSGI entry point, for servers that speak only HTTP (no websockets)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retrosocial.settings")

application = get_wsgi_application()
