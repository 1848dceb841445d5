from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from api import views
from api.dispatch import by_method
from api.docs import DocsView

app_name = "api"


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request, rest=None):
    """Anything else under /api/: a JSON 404 like the rest of the API, not the HTML page."""
    raise NotFound()


urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="signup"),
    path(
        "auth/token",
        by_method(POST=views.TokenCreateView, DELETE=views.TokenRevokeView),
        name="token",
    ),
    path("auth/password-reset", views.PasswordResetView.as_view(), name="password_reset"),
    path("me", by_method(GET=views.MeView, PATCH=views.MeUpdateView), name="me"),
    path("users", views.UserListView.as_view(), name="users"),
    path("posts", by_method(GET=views.PostListView, POST=views.PostCreateView), name="posts"),
    path("inbox", views.InboxView.as_view(), name="inbox"),
    path("messages", views.ConversationListView.as_view(), name="conversations"),
    path(
        "messages/<str:username>",
        by_method(GET=views.ConversationReadView, POST=views.MessageSendView),
        name="conversation",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (docs/?script):
    # the Content-Security-Policy allows no inline script.
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    # Not schema/docs without their slash: APPEND_SLASH redirects those.
    re_path(r"^(?!(?:schema|docs)$)(?P<rest>.*)$", not_found),
]
