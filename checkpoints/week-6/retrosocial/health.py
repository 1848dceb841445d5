"""/healthz: is the site able to serve? Checks the database and the channel layer.

It says which part is down, never why: the error's text (addresses, ports, user names) goes
to the log only."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_channel_layer():
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    # Sending to a group nobody listens to still has to reach Redis.
    async_to_sync(layer.group_send)("healthz", {"type": "healthz.ping"})


def healthz(request):
    report, healthy = {}, True
    for name, check in (("database", _check_database), ("channel_layer", _check_channel_layer)):
        try:
            check()
            report[name] = "ok"
        except Exception as exc:  # any failure is a health finding, reported and logged
            logger.warning("healthz: %s is down: %s", name, exc)
            report[name] = "down"
            healthy = False
    report["status"] = "ok" if healthy else "error"
    return JsonResponse(report, status=200 if healthy else 503)
