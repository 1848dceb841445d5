"""
Rate limits. The rates live in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (set from
API_THROTTLE_AUTH and API_THROTTLE_WRITE) and are read on every request, so tests can change
them. Counts are kept in Django's cache: per process with the default local-memory cache.
"""

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AuthRateThrottle(SettingsRateThrottle):
    """Signing up and asking for a token: per client address, whoever they claim to be."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WriteRateThrottle(SettingsRateThrottle):
    """Posting and sending messages: per user. Reading is not limited."""

    scope = "write"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
