"""
One URL, several operations. `by_method(GET=PostListView, POST=PostCreateView)` is the view of
a URL whose methods are views of their own: each operation declares its own authentication,
permissions, throttles and schema, and this dispatcher only hands the request to the one its
method names (HEAD to the GET view). Any other method is the API's JSON 405 with an Allow
header naming the URL's methods, and OPTIONS describes the URL.

drf-spectacular documents views, not URLs: `operation_endpoints`, one of its
PREPROCESSING_HOOKS (settings.SPECTACULAR_SETTINGS), puts each method's own view in the
dispatcher's place, so /api/schema/ lists every operation once, as its view declares it.
"""

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class MethodDispatcher(APIView):
    operations: dict = {}  # {"GET": a view, ...}: by_method makes a subclass that sets it
    # The operations authenticate, check and count their requests; routing them needs none.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @property
    def allowed_methods(self):
        served = {*self.operations, "OPTIONS"} | ({"HEAD"} if "GET" in self.operations else set())
        return [method.upper() for method in self.http_method_names if method.upper() in served]

    def get_view_name(self):
        return " / ".join(view.cls().get_view_name() for view in self.operations.values())

    def dispatch(self, request, *args, **kwargs):
        operation = self.operations.get("GET" if request.method == "HEAD" else request.method)
        if operation is None:  # OPTIONS, or a method no operation serves (405)
            return super().dispatch(request, *args, **kwargs)
        response = operation(request, *args, **kwargs)
        response["Allow"] = ", ".join(self.allowed_methods)  # the URL's, not the one view's
        return response


def by_method(**views):
    """The view of a URL that serves each method with its own view: by_method(GET=..., POST=...)."""
    operations = {method: view.as_view() for method, view in views.items()}
    return type("MethodDispatcher", (MethodDispatcher,), {"operations": operations}).as_view()


def operation_endpoints(endpoints):
    """drf-spectacular's list of (path, regex, method, view) with each dispatcher's method
    replaced by the view that serves it."""
    return [
        (path, regex, method, getattr(view.cls, "operations", {}).get(method, view))
        for path, regex, method, view in endpoints
    ]
