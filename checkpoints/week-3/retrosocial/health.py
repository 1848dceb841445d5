"""/healthz: is the site able to serve? Checks the database."""

import logging

from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def healthz(request):
    report, healthy = {}, True
    for name, check in (("database", _check_database),):
        try:
            check()
            report[name] = "ok"
        except Exception as exc:  # any failure is a health finding, reported and logged
            logger.warning("healthz: %s is down: %s", name, exc)
            report[name] = f"error: {exc}"
            healthy = False
    report["status"] = "ok" if healthy else "error"
    return JsonResponse(report, status=200 if healthy else 503)
