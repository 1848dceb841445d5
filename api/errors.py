"""
Everything under /api/ answers in JSON, whatever goes wrong, and every error in one shape:

    {"code": "invalid", "detail": "text: This field may not be blank.",
     "fields": {"text": ["This field may not be blank."]}}

`code` is one of CODES, for programs; `detail` is a sentence for people; `fields`, only when
some field is in error, gives each one's messages. Besides what the views refuse:

- a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 (api/parsers.py);
- a body nested too deeply: 400 "malformed", before anything walks it (api/parsers.py);
- the database unreachable: 503 with Retry-After;
- anything else: a 500, logged like any server error.

`exception_handler` does it for the API's views (settings.REST_FRAMEWORK), and
`JSONErrorsMiddleware`, near the top of settings.MIDDLEWARE (below only CORS), turns any other
error page under /api/ (from a middleware, or a URL that is not a view of ours) into the same
JSON.
"""

import logging
import sys

from django.core import signals
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from api.parsers import PayloadTooLarge

logger = logging.getLogger("django.request")

CODES = {
    "invalid": "400: the input breaks a rule; nothing was saved",
    "malformed": "400: the body is not JSON (or nests too deeply)",
    "wrong_credentials": "400: no account has that username and password",
    "unauthenticated": "401: no credentials, or a token that is not (or no longer) valid",
    "forbidden": "403: not allowed, such as a session request without its CSRF token",
    "not_found": "404: no such user, URL or cursor",
    "method_not_allowed": "405: the URL does not take that method (see the Allow header)",
    "not_acceptable": "406: the API answers application/json only",
    "too_large": "413: the body is too large",
    "unsupported_media_type": "415: the body must be application/json",
    "key_reused": "422: the Idempotency-Key came before with a different request",
    "throttled": "429: too many requests; Retry-After says how many seconds to wait",
    "server_error": "500: the server failed",
    "unavailable": "503: the database is unreachable; Retry-After says when to try again",
}
# DRF's names for some of these.
DRF_CODES = {
    "parse_error": "malformed",
    "not_authenticated": "unauthenticated",
    "authentication_failed": "unauthenticated",
    "permission_denied": "forbidden",
}
STATUS_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    422: "key_reused",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}

DATABASE_RETRY_AFTER = 5  # seconds: how soon a client may try again after a 503
DATABASE_DOWN = "The database is unreachable; try again shortly."
SERVER_ERROR = "Server error."


class WrongCredentials(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Unable to log in with provided credentials."
    default_code = "wrong_credentials"


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"code": code, "detail": str(detail)}
    if fields:
        body["fields"] = fields
    return body


def status_code_name(status_code: int) -> str:
    return STATUS_CODES.get(status_code, "server_error" if status_code >= 500 else "invalid")


def error_code(exc, status_code: int) -> str:
    """An exception's code: its own when it is one of CODES, DRF's renamed, or its status's."""
    code = getattr(exc, "default_code", "")
    if code in DRF_CODES:
        return DRF_CODES[code]
    return code if code in CODES else status_code_name(status_code)


def error_response(status_code: int, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status_code_name(status_code), detail), status=status_code)


def validation_body(errors) -> dict:
    """DRF's validation errors ({"field": [...], "non_field_errors": [...]}, or a list) in the
    one shape: the field errors under `fields`, and all of them in one sentence."""
    if not isinstance(errors, dict):
        errors = {api_settings.NON_FIELD_ERRORS_KEY: errors}
    parts, fields = [], {}
    for field, messages in errors.items():
        messages = messages if isinstance(messages, list) else [messages]
        text = " ".join(str(message) for message in messages)
        if field == api_settings.NON_FIELD_ERRORS_KEY:
            parts.append(text)
        else:
            fields[field] = [str(message) for message in messages]
            parts.append(f"{field}: {text}")
    return error_body("invalid", "; ".join(parts) or "Invalid input.", fields)


def database_down() -> JsonResponse:
    response = error_response(503, DATABASE_DOWN)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


def is_database_down(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:  # an APIException, Http404 or PermissionDenied
        if isinstance(exc, exceptions.ValidationError):
            response.data = validation_body(exc.detail)
        else:
            code = error_code(exc, response.status_code)
            response.data = error_body(code, response.data["detail"])
        return response
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, PayloadTooLarge.default_detail)
    request = context.get("request")
    path = request.path if request is not None else "?"
    if is_database_down(exc):
        logger.error("Database unreachable: %s", path, exc_info=exc)
        return database_down()
    if isinstance(exc, DatabaseError):
        logger.error("Database error: %s", path, exc_info=exc)
    else:
        logger.error("Internal Server Error: %s", path, exc_info=exc)
    return error_response(500, SERVER_ERROR)


def remember_exception(sender, request=None, **kwargs):
    """Keep the exception Django is about to turn into an error page, for the middleware."""
    if request is not None:
        request.api_exception = sys.exc_info()[1]


signals.got_request_exception.connect(remember_exception)


class JSONErrorsMiddleware:
    """Under /api/, an error page that is not JSON becomes the API's error JSON."""

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
            return error_response(500, SERVER_ERROR)
        return error_response(response.status_code, response.reason_phrase)
