from django.contrib import admin
from django.urls import include, path

from retrosocial.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("users.urls")),
    path("", include("posts.urls")),
    path("", include("messaging.urls")),
    path("api/", include("api.urls")),
]
