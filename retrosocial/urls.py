from django.conf import settings
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

# The debug toolbar's own pages (/__debug__/…), which its panel loads, exist only where the
# settings installed the toolbar: with DEBUG on, on a machine that has requirements-local.txt.
if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
