from django.conf import settings
from django.db import models


class IdempotentRequest(models.Model):
    """The answer to a POST sent with an Idempotency-Key header, kept so that the same request
    sent again (a client retrying after a lost connection) gets the same answer instead of
    doing it twice. See api/idempotency.py."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    # sha256 of the path and the body: the same key with another request is a mistake.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]

    def __str__(self):
        return f"{self.user} {self.key}"
