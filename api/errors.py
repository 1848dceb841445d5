"""
Everything under /api/ answers in JSON, whatever goes wrong:

- a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 {"detail": ...} (api/parsers.py);
- a body nested too deeply: 400, before anything walks it (api/parsers.py);
- the database unreachable: 503 {"detail": ...} with Retry-After;
- anything else: a JSON 500, logged like any server error.

`exception_handler` does it for the API's views (settings.REST_FRAMEWORK), and
`JSONErrorsMiddleware`, first in settings.MIDDLEWARE, turns any other error page under /api/
(from a middleware, or a URL that is not a view of ours) into the same JSON.
"""

import logging
import sys

from django.core import signals
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import PayloadTooLarge

logger = logging.getLogger("django.request")

DATABASE_RETRY_AFTER = 5  # seconds: how soon a client may try again after a 503
DATABASE_DOWN = "The database is unreachable; try again shortly."
SERVER_ERROR = "Server error."


def database_down() -> JsonResponse:
    response = JsonResponse({"detail": DATABASE_DOWN}, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def is_database_down(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, RequestDataTooBig):
        return JsonResponse({"detail": PayloadTooLarge.default_detail}, status=413)
    request = context.get("request")
    path = request.path if request is not None else "?"
    if is_database_down(exc):
        logger.error("Database unreachable: %s", path, exc_info=exc)
        return database_down()
    if isinstance(exc, DatabaseError):
        logger.error("Database error: %s", path, exc_info=exc)
    else:
        logger.error("Internal Server Error: %s", path, exc_info=exc)
    return JsonResponse({"detail": SERVER_ERROR}, status=500)


def remember_exception(sender, request=None, **kwargs):
    """Keep the exception Django is about to turn into an error page, for the middleware."""
    if request is not None:
        request.api_exception = sys.exc_info()[1]


signals.got_request_exception.connect(remember_exception)


class JSONErrorsMiddleware:
    """Under /api/, an error page that is not JSON becomes {"detail": ...} JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        exc = getattr(request, "api_exception", None)
        if is_database_down(exc):
            return database_down()
        if response.status_code >= 500:
            return JsonResponse({"detail": SERVER_ERROR}, status=500)
        return JsonResponse({"detail": response.reason_phrase}, status=response.status_code)
