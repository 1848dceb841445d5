"""
The API's rate limits, counted by retrosocial.limits: the same counters the pages' forms use,
so a limit holds whichever door a request comes through. DRF answers 429 with Retry-After.
"""

from rest_framework.throttling import BaseThrottle

from retrosocial import limits


class LimitThrottle(BaseThrottle):
    scope = ""

    def ident(self, request):
        raise NotImplementedError

    def allow_request(self, request, view):
        self.seconds = limits.hit(self.scope, self.ident(request))
        return self.seconds is None

    def wait(self):
        return self.seconds


class AuthRateThrottle(LimitThrottle):
    """Signing up and logging in: per client address, whoever they claim to be."""

    scope = "auth"

    def ident(self, request):
        return limits.client_address(request)


class WriteRateThrottle(LimitThrottle):
    """Posting and sending messages: per user, on the views that post or send (reading is not
    limited)."""

    scope = "write"

    def ident(self, request):
        return request.user.pk
