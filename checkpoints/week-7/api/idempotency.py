"""
Retries create no duplicates. A client that sent `POST /api/posts` and lost the connection
cannot know whether the post was saved; sending the request again with the same
`Idempotency-Key` header returns the first answer (same status, same body) instead of posting
twice. Keys belong to their user and are kept for KEEP; the same key with a different request
is refused (422). Without the header a request is simply done.

The answer is saved in the same transaction as the post or message, so either both are saved
or neither. Two copies of a request racing each other: the second to commit breaks the unique
(user, key) constraint, its work is rolled back, and it answers with the first one's result.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.response import Response

from api.errors import error_body
from api.models import IdempotentRequest

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
KEY_PATTERN = r"^[!-~]{1,255}$"  # printable ASCII without spaces: a UUID fits
KEY_REUSED = f"This {HEADER} was already used with a different request."

PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    pattern=KEY_PATTERN,
    description="Any unique string (a UUID): sending the same request again with the same key "
    "within 24 hours returns the first answer instead of doing it twice.",
)


def fingerprint(request) -> str:
    payload = json.dumps([request.path, request.data], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all("!" <= char <= "~" for char in key)


def replay(previous: IdempotentRequest, request) -> Response:
    if previous.fingerprint != fingerprint(request):
        body = error_body("key_reused", KEY_REUSED)
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    return Response(previous.body, status=previous.status, headers={"Idempotent-Replayed": "true"})


def idempotent(method):
    """Decorate an API view's post(): honour an Idempotency-Key header (see above)."""

    @functools.wraps(method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        if not valid_key(key):
            raise serializers.ValidationError(
                {HEADER: ["1 to 255 printable ASCII characters without spaces, e.g. a UUID."]}
            )
        mine = IdempotentRequest.objects.filter(user=request.user, key=key)
        try:
            with transaction.atomic():
                cutoff = timezone.now() - KEEP
                previous = mine.filter(created__gte=cutoff).first()
                if previous is not None:
                    return replay(previous, request)
                # Only an expired answer: one a twin committed meanwhile must stay and win.
                mine.filter(created__lt=cutoff).delete()
                response = method(view, request, *args, **kwargs)
                if status.is_success(response.status_code):
                    IdempotentRequest.objects.create(
                        user=request.user,
                        key=key,
                        fingerprint=fingerprint(request),
                        status=response.status_code,
                        body=response.data,
                    )
                return response
        except IntegrityError:
            # The same request, sent twice at once, committed first: answer as it did.
            previous = mine.first()
            if previous is None:
                raise
            return replay(previous, request)

    return wrapper
