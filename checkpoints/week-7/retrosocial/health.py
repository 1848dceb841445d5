"""/healthz: is the site able to serve? Checks the database and the channel layer, and says how
many background tasks wait for the worker (`tasks_waiting`) and for how long the oldest has
waited (`oldest_task_seconds`): a backlog that grows means no worker runs, or it is too slow.

It says which part is down, never why: the error's text (addresses, ports, user names) goes
to the log only."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

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


def task_backlog() -> dict:
    waiting = DBTaskResult.objects.ready()
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    age = (timezone.now() - oldest).total_seconds() if oldest else 0
    return {"tasks_waiting": waiting.count(), "oldest_task_seconds": round(max(age, 0))}


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
    if report["database"] == "ok":
        try:
            report.update(task_backlog())
        except Exception as exc:  # the tasks' table missing (not migrated): a finding too
            logger.warning("healthz: the task queue cannot be read: %s", exc)
            report["tasks"] = "down"
            healthy = False
    report["status"] = "ok" if healthy else "error"
    return JsonResponse(report, status=200 if healthy else 503)
